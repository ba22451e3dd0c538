"""Fixtures for the Netlify client and stand-in tests.

The stand-in runs as a user runs it (`python -m shipyard.sandbox.netlify`),
with a request log whose every API answer the tests can check against the
spec. Each test gets a fresh site, so deploys of one test never meet another's.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.providers.netlify import NetlifyClient
from shipyard.redaction import Secret

TOKEN = "netlify-standin-test-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class StandIn:
    """One stand-in process with its state folder, token file and request log."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.port = free_port()
        self.token_file = folder / "token"
        self.token_file.write_text(TOKEN + "\n")
        self.log_file = folder / "answers.jsonl"
        self.output = folder / "standin.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.root}/api/v1"

    def http(self) -> httpx.Client:
        """A plain HTTP client of the API, with the token."""
        return httpx.Client(
            base_url=self.root,
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )

    def start(self, *sites: str) -> None:
        argv = [
            sys.executable, "-m", "shipyard.sandbox.netlify",
            "--port", str(self.port), "--state-dir", str(self.folder / "state"),
            "--token-file", str(self.token_file), "--log-file", str(self.log_file),
        ]  # fmt: skip
        for site in sites:
            argv += ["--site", site]
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(
                argv, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + 30
        with self.http() as http:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.output.read_text()[-3000:]
                try:
                    if http.get("/api/v1/user").status_code == 200:
                        return
                except httpx.TransportError:
                    time.sleep(0.1)
        raise AssertionError(f"the stand-in did not answer: {self.output.read_text()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def answers(self) -> list[dict[str, Any]]:
        """Every API answer logged so far: method, path, status, json."""
        if not self.log_file.exists():
            return []
        lines = self.log_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def faults(self, **knobs: Any) -> None:
        with self.http() as http:
            http.post("/_sandbox/faults", json=knobs).raise_for_status()

    def new_site(self) -> dict[str, Any]:
        with self.http() as http:
            answer = http.post(
                "/api/v1/sites", json={"name": f"t-{uuid.uuid4().hex[:10]}"}
            )
            answer.raise_for_status()
            return answer.json()

    def site(self, site_id: str) -> dict[str, Any]:
        with self.http() as http:
            answer = http.get(f"/api/v1/sites/{site_id}")
            answer.raise_for_status()
            return answer.json()


@pytest.fixture(scope="session")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    """The stand-in shared by the session's tests."""
    process = StandIn(tmp_path_factory.mktemp("netlify-standin"))
    process.start("demo")
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(autouse=True)
def _no_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    """Faults set by one test never reach the next."""
    yield
    if "standin" in request.fixturenames:
        process = request.getfixturevalue("standin")
        with process.http() as http:
            http.delete("/_sandbox/faults").raise_for_status()


@pytest.fixture
def site(standin: StandIn) -> dict[str, Any]:
    """A fresh site of the stand-in."""
    return standin.new_site()


class Sleeps:
    """A sleep for the client that records each wait and sleeps a little of it."""

    def __init__(self, real_fraction: float = 0.0, cap: float = 0.05) -> None:
        self.waits: list[float] = []
        self._fraction = real_fraction
        self._cap = cap

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        time.sleep(max(min(seconds, self._cap), seconds * self._fraction))


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(standin: StandIn) -> Iterator[Callable[..., NetlifyClient]]:
    """NetlifyClient factory against the stand-in; clients are closed afterwards."""
    made: list[NetlifyClient] = []

    def make(**options: Any) -> NetlifyClient:
        token = options.pop("token", Secret(TOKEN, "NETLIFY_AUTH_TOKEN"))
        options.setdefault("poll_interval", 0.1)
        options.setdefault("sleep", Sleeps())
        client = NetlifyClient(standin.api_url, token, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def write_tree(root: Path, files: dict[str, bytes | str]) -> Path:
    """Create `files` (relative path → content) under `root`."""
    for name, content in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        target.write_bytes(data)
    return root
