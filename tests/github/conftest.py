"""Fixtures for the GitHub client and stand-in tests.

`session` drives the stand-in's Flask app in this process and checks each
exchange against the spec. `standin` runs it as its own process, as the
sandbox does, and `client` is Shipyard's client pointed at it, with every
request it sends and every answer it gets checked against the spec too.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.providers.github import GitHubActions
from shipyard.redaction import Secret
from shipyard.sandbox.github import create_app
from shipyard.sandbox.github_state import State
from shipyard.sandbox.processes import free_port, port_open
from tests.github.openapi_check import check_exchange

OWNER, REPO = "octo-org", "shipyard-demo"
ENVIRONMENTS = ("production", "staging")
TOKEN = "github-standin-test-token"
START_TIMEOUT = 30.0


class SpecSession:
    """The stand-in's Flask test client; every /repos exchange is checked."""

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()
        self.covered: set[tuple[str, str]] = set()

    def call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        query: dict[str, str] | None = None,
        token: str = TOKEN,
        expect: int = 200,
    ) -> Any:
        """Send one request; check it and its answer against the spec and `expect`."""
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
        }
        data = json.dumps(json_body).encode() if json_body is not None else None
        answer = self.client.open(
            path,
            method=method,
            data=data,
            content_type="application/json" if data else None,
            query_string=query,
            headers=headers,
        )
        if path.startswith("/repos/"):
            template = check_exchange(
                method,
                path,
                query or {},
                data,
                answer.status_code,
                {k.lower(): v for k, v in answer.headers.items()},
                answer.get_data(),
            )
            self.covered.add((method.lower(), template))
        assert answer.status_code == expect, (
            method,
            path,
            answer.get_json(silent=True),
        )
        self.last_headers = answer.headers
        return answer.get_json(silent=True)


@pytest.fixture
def session(tmp_path: Path) -> SpecSession:
    """The stand-in's API in this process, with one repository and its environments."""
    state = State(tmp_path / "github")
    state.add_repo(OWNER, REPO, list(ENVIRONMENTS))
    return SpecSession(create_app(state, TOKEN))


@dataclass
class RunningStandIn:
    """A stand-in process of this test run."""

    process: subprocess.Popen
    url: str
    state_dir: Path
    token: Secret
    exchanges: list[str] = field(default_factory=list)

    def decrypted(self, name: str, environment: str | None = None) -> str:
        """The value the stand-in opened from the sealed box it got for `name`."""
        where = f"environments/{environment}/" if environment else ""
        answer = httpx.get(
            f"{self.url}/_sandbox/secrets/{OWNER}/{REPO}/{where}{name}",
            headers={"Authorization": f"Bearer {self.token.reveal()}"},
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["value"]

    def rotate_key(self, environment: str | None = None) -> str:
        """Give the repository (or environment) a new key pair; its key id."""
        answer = httpx.post(
            f"{self.url}/_sandbox/keys/{OWNER}/{REPO}/rotate",
            params={"environment": environment} if environment else None,
            headers={"Authorization": f"Bearer {self.token.reveal()}"},
            timeout=10,
        )
        answer.raise_for_status()
        return answer.json()["key_id"]

    def stop(self) -> None:
        """End this stand-in, by its own pid."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def start_standin(state_dir: Path) -> RunningStandIn:
    """`python -m shipyard.sandbox.github` on a free loopback port."""
    state_dir.mkdir(parents=True, exist_ok=True)
    token_file = state_dir.parent / "github-token"
    token_file.write_text(TOKEN)
    port = free_port()
    repo_arg = f"{OWNER}/{REPO}:{','.join(ENVIRONMENTS)}"
    log = open(state_dir.parent / "github-standin.log", "ab")  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "shipyard.sandbox.github", "--port", str(port)]
        + ["--state-dir", str(state_dir), "--token-file", str(token_file)]
        + ["--repo", repo_arg],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    log.close()
    deadline = time.monotonic() + START_TIMEOUT
    while not port_open(port):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the GitHub stand-in did not start: see {log.name}")
        time.sleep(0.1)
    return RunningStandIn(process, f"http://127.0.0.1:{port}", state_dir, Secret(TOKEN))


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[RunningStandIn]:
    """The GitHub stand-in running as its own process."""
    running = start_standin(tmp_path / "github")
    try:
        yield running
    finally:
        running.stop()


def spec_checked(client: GitHubActions, seen: list[str]) -> GitHubActions:
    """`client`, with each of its requests and answers checked against the spec."""

    def check(response: httpx.Response) -> None:
        response.read()
        request = response.request
        path = request.url.path
        template = check_exchange(
            request.method,
            path,
            dict(request.url.params),
            request.content or None,
            response.status_code,
            {k.lower(): v for k, v in response.headers.items()},
            response.content,
        )
        seen.append(f"{request.method} {template} {response.status_code}")

    client.api._http.event_hooks["response"].append(check)
    return client


@pytest.fixture
def client(standin: RunningStandIn) -> Iterator[GitHubActions]:
    """Shipyard's client for the stand-in's repository, spec-checked."""
    actions = GitHubActions(OWNER, REPO, standin.token, base_url=standin.url)
    with spec_checked(actions, standin.exchanges) as checked:
        yield checked


def random_value() -> Secret:
    """A fresh value no other test uses."""
    return Secret("value-" + secrets.token_urlsafe(18))
