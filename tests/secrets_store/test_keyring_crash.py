"""A crash at any point of a change never loses the working current value.

The backend below passes every call through to the real Secret Service but
stops, as a killed process would, before its n-th change; the store is then
opened again from scratch, checked, and the interrupted change run again.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from shipyard.redaction import Secret
from shipyard.secrets.keyring_store import KeyringStore, meta_name
from shipyard.secrets.versions import VERSIONS
from tests.secrets_store.keyring_session import keyring_entries

NAME = "DB_PASSWORD"
OLDER, CURRENT, PENDING, NEWER = (
    Secret("crash-older-value"),
    Secret("crash-current-value"),
    Secret("crash-pending-value"),
    Secret("crash-newer-value"),
)


class SimulatedCrash(Exception):
    """The process 'died' here."""


class CrashingBackend:
    """The real backend, stopping before its `crash_at`-th write or delete."""

    def __init__(self, inner: Any, crash_at: int) -> None:
        self.inner = inner
        self.crash_at = crash_at
        self.changes = 0

    def get_password(self, service: str, user: str) -> str | None:
        return self.inner.get_password(service, user)

    def set_password(self, service: str, user: str, value: str) -> None:
        self._tick()
        self.inner.set_password(service, user, value)

    def delete_password(self, service: str, user: str) -> None:
        self._tick()
        self.inner.delete_password(service, user)

    def _tick(self) -> None:
        if self.changes == self.crash_at:
            raise SimulatedCrash(f"crashed before change {self.crash_at}")
        self.changes += 1


def _replace_value(store: KeyringStore) -> None:
    store.set(NAME, NEWER)


def _begin(store: KeyringStore) -> None:
    store.begin_rotation(NAME, PENDING)


def _finish(store: KeyringStore) -> None:
    store.finish_rotation(NAME, store.fingerprint(PENDING))


def _cancel(store: KeyringStore) -> None:
    store.cancel_rotation(NAME)


# change, whether it starts mid-rotation, how many keyring changes it makes,
# the values current may hold after a crash, and the final versions
# (current, previous, pending) once the change has been run again.
CASES: dict[str, tuple[Callable[[KeyringStore], None], bool, int, set, tuple]] = {
    "set": (_replace_value, False, 4, {CURRENT, NEWER}, (NEWER, CURRENT, None)),
    "begin_rotation": (_begin, False, 2, {CURRENT}, (CURRENT, OLDER, PENDING)),
    "finish_rotation": (_finish, True, 3, {CURRENT, PENDING}, (PENDING, CURRENT, None)),
    "cancel_rotation": (_cancel, True, 3, {CURRENT}, (CURRENT, OLDER, None)),
}
RUNS = [(change, at) for change, case in CASES.items() for at in range(case[2])]


@pytest.mark.parametrize(("change", "crash_at"), RUNS)
def test_crash_mid_change_keeps_current_readable(
    backend: Any, project: str, change: str, crash_at: int
) -> None:
    run, rotating, _, possible, final = CASES[change]
    prepared = KeyringStore(project, "prod", backend=backend)
    prepared.set(NAME, OLDER)
    prepared.set(NAME, CURRENT)
    if rotating:
        prepared.begin_rotation(NAME, PENDING)

    crashing = KeyringStore(project, "prod", backend=CrashingBackend(backend, crash_at))
    with pytest.raises(SimulatedCrash):
        run(crashing)

    reopened = KeyringStore(project, "prod", backend=backend)
    assert reopened.get(NAME) in possible
    for info in reopened.list():
        for version in info.present:
            assert reopened.get_version(NAME, version) is not None
    if reopened.get(NAME) == CURRENT and change == "finish_rotation":
        assert reopened.get_version(NAME, "pending") == PENDING

    run(reopened)
    versions = tuple(reopened.get_version(NAME, v) for v in VERSIONS)
    assert versions == final
    assert keyring_entries(reopened.service) == _referenced(backend, reopened.service)


def _referenced(backend: Any, service: str) -> set[str]:
    """The entries the metadata points at, plus the metadata and the index."""
    record = json.loads(backend.get_password(service, meta_name(NAME)))
    assert record["retired"] == []
    entries = {stored["entry"] for stored in record["versions"].values()}
    return {"@index", meta_name(NAME), *entries}


def test_cancel_after_crashed_begin_leaves_no_pending_value_behind(
    backend: Any, project: str
) -> None:
    prepared = KeyringStore(project, "prod", backend=backend)
    prepared.set(NAME, CURRENT)
    crashing = KeyringStore(project, "prod", backend=CrashingBackend(backend, 1))
    with pytest.raises(SimulatedCrash):
        crashing.begin_rotation(NAME, PENDING)

    reopened = KeyringStore(project, "prod", backend=backend)
    assert reopened.cancel_rotation(NAME) is False

    assert reopened.get(NAME) == CURRENT
    assert keyring_entries(reopened.service) == _referenced(backend, reopened.service)
