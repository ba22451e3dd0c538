"""Fixtures for the keyring store tests: a real gnome-keyring Secret Service.

When the tests already run inside an unlocked keyring session (CI wraps the
suite in `dbus-run-session` and .ci/with-keyring), they use it; otherwise
they start a throwaway one with `dbus-run-session` running keyring_session.py.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from shipyard.secrets.keyring_store import KeyringStore
from tests.secrets_store.keyring_session import secret_service_ready

HELPER = Path(__file__).resolve().parent / "keyring_session.py"
START_TIMEOUT = 30.0


@contextmanager
def private_keyring(folder: Path) -> Iterator[dict[str, str]]:
    """A D-Bus session of our own with gnome-keyring unlocked; its environment."""
    data, runtime = folder / "data", folder / "run"
    for made in (data, runtime):
        made.mkdir(parents=True, exist_ok=True)
        made.chmod(0o700)
    env = {k: v for k, v in os.environ.items() if k != "DBUS_SESSION_BUS_ADDRESS"}
    env.update(XDG_DATA_HOME=str(data), XDG_RUNTIME_DIR=str(runtime))
    with open(folder / "session.log", "wb") as log:
        session = subprocess.Popen(
            ["dbus-run-session", "--", sys.executable, str(HELPER)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
        )
    try:
        ready, _, _ = select.select([session.stdout], [], [], START_TIMEOUT)
        line = session.stdout.readline() if ready else b""  # type: ignore[union-attr]
        if not line:
            raise RuntimeError(
                f"the test keyring did not start: see {folder / 'session.log'}"
            )
        yield {**json.loads(line), "XDG_DATA_HOME": str(data)}
    finally:
        session.stdin.close()  # type: ignore[union-attr]
        try:
            session.wait(timeout=15)
        except subprocess.TimeoutExpired:
            session.kill()
            session.wait(timeout=5)


@pytest.fixture(scope="session")
def keyring_bus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A D-Bus session whose Secret Service has an unlocked default collection."""
    if secret_service_ready():
        yield {"DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}
        return
    folder = tmp_path_factory.mktemp("keyring")
    with private_keyring(folder) as env, pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


@pytest.fixture
def backend(keyring_bus: dict[str, str]) -> Any:
    """keyring's Secret Service backend, talking to the session above."""
    from keyring.backends.SecretService import Keyring

    return Keyring()


@pytest.fixture
def project() -> str:
    """A project name no other test uses, so tests share a keyring safely."""
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def store(backend: Any, project: str) -> KeyringStore:
    """A versioned store for a fresh project's prod environment."""
    return KeyringStore(project, "prod", backend=backend)
