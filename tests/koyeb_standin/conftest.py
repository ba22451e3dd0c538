"""Fixtures for the Koyeb stand-in tests.

Spec tests drive the stand-in's Flask app in-process and check every answer
against the official spec. Integration tests run the stand-in as its own
process, next to a real registry holding a small probe image.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.sandbox.koyeb import create_app
from shipyard.sandbox.koyeb_runner import RunnerError, remove_all_containers
from shipyard.sandbox.processes import free_port
from tests.spec_check import validate_swagger_response

SPEC = Path(__file__).resolve().parents[2].parent / "shared/specs/koyeb-openapi.json"
TOKEN = "koyeb-standin-test-token"
HERE = Path(__file__).resolve().parent


class SpecCheckedClient:
    """The stand-in's Flask test client; every /v1 answer is checked against the spec."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.client = app.test_client()

    def call(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        query: dict[str, Any] | None = None,
        token: str | None = TOKEN,
        expect: int = 200,
    ) -> Any:
        """Send one request; check its answer against the spec and `expect`."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = self.client.open(
            path, method=method, json=json, query_string=query, headers=headers
        )
        body = answer.get_json(silent=True)
        if path.startswith("/v1/"):
            validate_swagger_response(SPEC, method, path, answer.status_code, body)
        assert answer.status_code == expect, (method, path, answer.status_code, body)
        self.last_headers = answer.headers
        return body

    def wait_status(
        self, deployment_id: str, wanted: set[str], limit: float = 60
    ) -> Any:
        """The deployment once its status is one of `wanted`."""
        deadline = time.monotonic() + limit
        while True:
            found = self.call("GET", f"/v1/deployments/{deployment_id}")["deployment"]
            if found["status"] in wanted or time.monotonic() > deadline:
                return found
            time.sleep(0.2)


@pytest.fixture
def local_api(tmp_path: Path) -> Iterator[SpecCheckedClient]:
    """The stand-in's API in this process, with a state folder of its own."""
    state_dir = tmp_path / "koyeb"
    app = create_app(state_dir, TOKEN)
    try:
        yield SpecCheckedClient(app)
    finally:
        app.extensions["koyeb"].close()
        try:
            remove_all_containers(state_dir)
        except RunnerError:
            pass


class StandInProcess:
    """The stand-in run as a user runs it: `python -m shipyard.sandbox.koyeb`."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.port = free_port()
        self.token_file = state_dir.parent / "koyeb-token"
        self.token_file.write_text(TOKEN + "\n")
        self.log = state_dir.parent / "koyeb.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self) -> httpx.Client:
        """An HTTP client for /v1 with the token."""
        return httpx.Client(
            base_url=f"{self.url}/v1",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=30,
        )

    def start(self) -> None:
        """Start the stand-in and wait until GET /v1/apps answers 200."""
        argv = [
            sys.executable, "-m", "shipyard.sandbox.koyeb", "--port", str(self.port),
            "--state-dir", str(self.state_dir), "--token-file", str(self.token_file),
        ]  # fmt: skip
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        with self.api() as api:
            while time.monotonic() < deadline:
                assert self.process.poll() is None, self.log.read_text()[-2000:]
                try:
                    if api.get("/apps").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise AssertionError(f"the stand-in did not answer: {self.log.read_text()}")

    def stop(self) -> None:
        """SIGTERM the stand-in and wait for it to end."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


@pytest.fixture
def standin(tmp_path: Path) -> Iterator[StandInProcess]:
    """A running stand-in process; its containers are removed afterwards."""
    process = StandInProcess(tmp_path / "koyeb")
    process.start()
    try:
        yield process
    finally:
        process.stop()
        remove_all_containers(process.state_dir)


@pytest.fixture(scope="session")
def engine() -> Any:
    """The local Docker engine."""
    import docker

    return docker.from_env(timeout=300)


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sandbox registry of the test session; yields its host:port."""
    from shipyard.sandbox.registry import start_registry, stop_registry

    folder = tmp_path_factory.mktemp("registry")
    running = start_registry(folder)
    try:
        yield running.address
    finally:
        stop_registry(folder)


@pytest.fixture(scope="session")
def probe_image(
    engine: Any, registry: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A tiny HTTP app pushed to the registry; yields its reference by digest.

    The app listens on $LISTEN_PORT when set, else on $PORT, and answers any
    path with JSON naming $MESSAGE, $APP_SECRET and its port.
    """
    from shipyard.sandbox.baseimage import ensure_base_image

    base = ensure_base_image(engine)
    folder = tmp_path_factory.mktemp("probe-image")
    (folder / "app.py").write_text((HERE / "probe_app.py").read_text())
    (folder / "Dockerfile").write_text(
        f'FROM {base}\nCOPY app.py /app.py\nCMD ["python3", "-u", "/app.py"]\n'
    )
    repository = f"{registry}/shipyard-koyeb-probe"
    image, _ = engine.images.build(
        path=str(folder), tag=f"{repository}:test", network_mode="host", rm=True
    )
    for line in engine.api.push(repository, tag="test", stream=True, decode=True):
        assert "error" not in line, line
    image.reload()
    reference = next(d for d in image.attrs["RepoDigests"] if d.startswith(repository))
    try:
        yield reference
    finally:
        engine.images.remove(image.id, force=True)
