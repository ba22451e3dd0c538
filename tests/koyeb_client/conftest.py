"""Fixtures for the Koyeb client tests: a spec-checked fake API, a fake clock,
and for the integration tests the real stand-in and an image to deploy."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from shipyard import console
from shipyard.providers.koyeb import KoyebClient
from shipyard.redaction import Secret

from .fake_api import FakeKoyebAPI, Served
from .standin import RunningStandIn, build_probe_image, start_standin


@dataclass
class FakeTime:
    """A clock that moves only when something sleeps, and remembers the sleeps."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


@pytest.fixture
def fake_api() -> Iterator[FakeKoyebAPI]:
    """A Koyeb-shaped API on loopback; fails the test if anything misfits."""
    api = FakeKoyebAPI()
    served = Served(api)
    api.url = f"http://127.0.0.1:{served.port}/v1"
    try:
        yield api
    finally:
        served.stop()
    assert not api.problems, api.problems


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def token() -> Secret:
    return Secret("koyeb-token-" + secrets.token_hex(16), name="KOYEB_TOKEN")


@pytest.fixture
def client(
    fake_api: FakeKoyebAPI, token: Secret, fake_time: FakeTime
) -> Iterator[KoyebClient]:
    with KoyebClient(
        fake_api.url,
        token,
        timeout=5.0,
        sleep=fake_time.sleep,
        clock=fake_time.monotonic,
    ) as koyeb:
        yield koyeb


@pytest.fixture(autouse=True)
def fresh_console() -> Iterator[None]:
    """Rebuild Shipyard's console per test, so it writes to this test's stdout."""
    console.configure()
    yield
    console.configure()


@pytest.fixture
def output(capsys: pytest.CaptureFixture[str]) -> pytest.CaptureFixture[str]:
    """Captured console output of the test."""
    return capsys


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStandIn]:
    """The real Koyeb stand-in, as its own process, for one test module."""
    running = start_standin(tmp_path_factory.mktemp("koyeb-standin"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="module")
def probe_image(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The probe app pushed to a sandbox registry, referenced by digest."""
    import docker

    from shipyard.sandbox.registry import start_registry, stop_registry

    state_dir = tmp_path_factory.mktemp("registry")
    registry = start_registry(state_dir)
    tag = ""
    try:
        image, tag = build_probe_image(registry.address)
        yield image
    finally:
        stop_registry(state_dir)
        if tag:
            try:
                docker.from_env().images.remove(tag)
            except docker.errors.APIError:
                pass
