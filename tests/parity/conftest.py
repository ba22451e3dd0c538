"""Fixtures for parity, lint and workflow tests: fixture projects and real stand-ins.

The Koyeb, Netlify and GitHub stand-ins run as their own processes on free
loopback ports, as `inv sandbox.up` runs them, once for the session; each
test gets its own Koyeb app, Netlify site and GitHub repository in them.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from shipyard.sandbox.processes import free_port
from tests.parity.live import Live
from tests.parity.project import Project

START_TIMEOUT = 30.0


@pytest.fixture(autouse=True)
def _own_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No sandbox folder or CI variable of the caller reaches a fixture project."""
    for key in (
        "SHIPYARD_SANDBOX_DIR",
        "SHIPYARD_FINGERPRINT_KEY",
        "GITHUB_ACTIONS",
        "DEBUG",
        "ALLOWED_HOSTS",
        "CORS_ALLOWED_ORIGINS",
        "SECRET_STORE",
    ):
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """A clean fixture project: no drift, no lint finding."""
    return Project(tmp_path / "app").build()


@dataclass
class StandIn:
    """One stand-in process: its API URL, token and state folder."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    token: str
    folder: Path

    def http(self) -> httpx.Client:
        root = self.url.split("/api/")[0].removesuffix("/v1")
        return httpx.Client(
            base_url=root, timeout=30, headers={"Authorization": f"Bearer {self.token}"}
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _start(name: str, folder: Path, args: list[str], url: str, probe: str) -> StandIn:
    folder.mkdir(parents=True, exist_ok=True)
    token = f"{name}-" + secrets.token_hex(12)
    (folder / "token").write_text(token)
    log = (folder / "out.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            f"shipyard.sandbox.{name}",
            "--state-dir",
            str(folder / "state"),
            "--token-file",
            str(folder / "token"),
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    standin = StandIn(name, process, url, token, folder)
    deadline = time.monotonic() + START_TIMEOUT
    with standin.http() as http:
        while time.monotonic() < deadline:
            assert process.poll() is None, (folder / "out.log").read_text()
            try:
                if http.get(probe).status_code == 200:
                    return standin
            except httpx.TransportError:
                time.sleep(0.1)
    standin.stop()
    raise AssertionError(
        f"{name} stand-in did not answer: {(folder / 'out.log').read_text()}"
    )


@pytest.fixture(scope="session")
def koyeb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    folder = tmp_path_factory.mktemp("koyeb")
    port = free_port()
    standin = _start(
        "koyeb",
        folder,
        ["--port", str(port)],
        f"http://127.0.0.1:{port}/v1",
        "/v1/apps",
    )
    yield standin
    standin.stop()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "shipyard.sandbox.koyeb",
            "--cleanup",
            "--state-dir",
            str(folder / "state"),
        ],
        capture_output=True,
        check=False,
        timeout=120,
    )


@pytest.fixture(scope="session")
def netlify(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    folder = tmp_path_factory.mktemp("netlify")
    port = free_port()
    standin = _start(
        "netlify",
        folder,
        ["--port", str(port)],
        f"http://127.0.0.1:{port}/api/v1",
        "/api/v1/user",
    )
    yield standin
    standin.stop()


@pytest.fixture(scope="session")
def github(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    folder = tmp_path_factory.mktemp("github")
    port = free_port()
    standin = _start(
        "github",
        folder,
        ["--port", str(port), "--repo", "octo/probe"],
        f"http://127.0.0.1:{port}",
        "/repos/octo/probe/actions/secrets",
    )
    yield standin
    standin.stop()


@pytest.fixture
def cluster_url() -> Iterator[str]:
    """A throwaway PostgreSQL cluster's URL, with a password login."""
    import os

    from shipyard.sandbox.postgres import SERVICE_USER, start_cluster, stop_cluster

    home = Path(tempfile.mkdtemp(prefix="parity-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, SERVICE_USER)
    try:
        cluster = start_cluster(home / "data")
        yield cluster.url("parity", "parity", "pg-" + secrets.token_urlsafe(12))
    finally:
        stop_cluster(home / "data")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def live(project: Project, koyeb: StandIn, netlify: StandIn, github: StandIn) -> Live:
    """The fixture project wired to the stand-ins, its site holding the frontend's
    variable."""
    wired = Live(project, koyeb, netlify, github)
    wired.set_site_env("NEXT_PUBLIC_ENVIRONMENT", "prod")
    return wired
