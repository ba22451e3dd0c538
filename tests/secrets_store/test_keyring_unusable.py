"""Without a usable keyring, or with a locked one, Shipyard says so and stops.

Each case runs keyring_probe.py the way a task runs: a fresh process on a
machine set up like the case, checked for its message and exit code, and
for never having written a file in place of the keyring.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.keyring_store import KeyringStore
from shipyard.secrets.store import require
from tests.secrets_store.conftest import private_keyring
from tests.secrets_store.keyring_session import lock_default_collection

PROBE = Path(__file__).resolve().parent / "keyring_probe.py"

HEADLESS = {
    "no D-Bus session": {},
    "D-Bus address pointing nowhere": {
        "DBUS_SESSION_BUS_ADDRESS": "unix:path={home}/no-such-bus"
    },
    "keyring's fail backend": {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"
    },
    "keyring's null backend": {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"
    },
    "a chainer with nothing to chain": {
        "PYTHON_KEYRING_BACKEND": "keyring.backends.chainer.ChainerBackend"
    },
}


def _machine(home: Path, extra: dict[str, str]) -> dict[str, str]:
    """The environment of a headless machine whose only home is `home`."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBUS_", "XDG_", "GNOME_KEYRING", "PYTHON_KEYRING"))
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
    )
    env.update({key: value.format(home=home) for key, value in extra.items()})
    return env


def _probe(
    env: dict[str, str], action: str, wrapper: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*wrapper, sys.executable, str(PROBE), action, "DATABASE_URL"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("case", sorted(HEADLESS))
@pytest.mark.parametrize("action", ["get", "set"])
def test_headless_machine_without_keyring_gets_a_clear_error(
    tmp_path: Path, case: str, action: str
) -> None:
    home = tmp_path / "home"
    home.mkdir()

    answer = _probe(_machine(home, HEADLESS[case]), action)

    assert answer.returncode != 0
    assert "error: no usable OS keyring here" in answer.stderr
    assert "SECRET_STORE=env" in answer.stderr
    assert "missing" not in answer.stderr
    assert [path for path in home.rglob("*") if path.is_file()] == []


def test_keyring_without_default_collection_is_explained(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "run").mkdir(parents=True, mode=0o700)
    env = _machine(home, {"XDG_RUNTIME_DIR": "{home}/run"})

    answer = _probe(env, "set", wrapper=("dbus-run-session", "--"))

    assert answer.returncode != 0
    assert "the keyring has no default collection" in answer.stderr
    assert "SECRET_STORE=env" in answer.stderr


def test_locked_collection_is_reported_as_locked_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends.SecretService import Keyring

    with private_keyring(tmp_path / "locked") as session:
        for key, value in session.items():
            monkeypatch.setenv(key, value)
        store = KeyringStore("probe", "prod", backend=Keyring())
        store.set("DATABASE_URL", Secret("postgres://locked-away"))

        lock_default_collection()

        for attempt in (
            lambda: require(store, "DATABASE_URL", "prod"),
            lambda: store.set("DATABASE_URL", Secret("another-value")),
            store.list,
        ):
            with pytest.raises(ShipyardError, match="^the keyring is locked: unlock"):
                attempt()
        answer = _probe(dict(os.environ), "get")

    assert answer.returncode != 0
    assert "error: the keyring is locked" in answer.stderr
    assert "missing" not in answer.stderr


def test_unusable_backend_is_refused_before_anything_is_written() -> None:
    from keyring.backends import fail

    store = KeyringStore("probe", "prod", backend=fail.Keyring())

    with pytest.raises(ShipyardError, match="no usable OS keyring"):
        store.set("DATABASE_URL", Secret("never-written-value"))


def test_secret_service_gone_mid_run_is_not_a_missing_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keyring.backends.SecretService import Keyring

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path}/gone")
    store = KeyringStore("probe", "prod", backend=Keyring())

    with pytest.raises(ShipyardError, match="cannot be reached over D-Bus"):
        store.get("DATABASE_URL")
