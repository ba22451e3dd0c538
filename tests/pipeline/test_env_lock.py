"""The environment lock: one holder at a time even when processes race, a clear
message naming the holder, stale locks broken only on purpose and audited."""

from __future__ import annotations

import getpass
import multiprocessing
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from shipyard.audit import AuditLog
from shipyard.errors import LockHeld, ShipyardError
from shipyard.lock import FileLockStore, default_holder, held

RACERS = 8


def race_for_lock(directory: str, number: int, start: Any, results: Any) -> None:
    """One racer: wait for the start signal, then try to take the prod lock."""
    store = FileLockStore(Path(directory))
    start.wait()
    try:
        store.acquire("prod", f"racer {number}", "race", 60)
    except LockHeld:
        results.put((number, "lost"))
    else:
        results.put((number, "won"))


def test_only_one_of_many_racing_processes_gets_the_lock(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    start, results = context.Event(), context.Queue()
    racers = [
        context.Process(target=race_for_lock, args=(str(tmp_path), n, start, results))
        for n in range(RACERS)
    ]
    for racer in racers:
        racer.start()

    start.set()
    outcomes = [results.get(timeout=15) for _ in racers]
    for racer in racers:
        racer.join(timeout=15)

    winners = [number for number, outcome in outcomes if outcome == "won"]
    assert len(winners) == 1
    lock = FileLockStore(tmp_path).status("prod")
    assert lock is not None and lock.holder == f"racer {winners[0]}"


def test_held_lock_error_names_holder_since_reason_and_force_command(
    root: Path,
) -> None:
    store = FileLockStore.for_project(root)
    first = store.acquire("prod", "alice@laptop pid 41", "release 3f2a9c1", 600)

    with pytest.raises(LockHeld) as refused:
        store.acquire("prod", "bob@desk pid 7", "release 9e8d7c6", 600)

    message = str(refused.value)
    assert "alice@laptop pid 41" in message and first.since in message
    assert "release 3f2a9c1" in message
    assert "inv lock.release --env=prod --force" in message
    assert "\n" not in message and first.token not in message


def test_stale_lock_is_reported_and_only_force_breaks_it(root: Path) -> None:
    store = FileLockStore.for_project(root)
    store.acquire("prod", "alice@laptop pid 41", "release 3f2a9c1", ttl_seconds=0)

    status = store.status("prod")
    assert status is not None and status.stale
    with pytest.raises(LockHeld, match="stale lock held by alice@laptop"):
        store.acquire("prod", "bob@desk pid 7", "release 9e8d7c6", 600)

    broken = store.break_lock("prod", by="bob@desk")
    taken = store.acquire("prod", "bob@desk pid 7", "release 9e8d7c6", 600)

    assert broken is not None and broken.holder == "alice@laptop pid 41"
    assert taken.holder == "bob@desk pid 7" and not taken.stale


def test_breaking_a_lock_is_audited_with_who_broke_it(root: Path) -> None:
    store = FileLockStore.for_project(root)
    store.acquire("prod", "alice@laptop pid 41", "release 3f2a9c1", 600)

    store.break_lock("prod", by="bob@desk")

    entries = AuditLog.for_project(root).entries()
    assert [entry.who for entry in entries] == ["alice@laptop pid 41", "bob@desk"]
    assert entries[0].what == "lock taken by alice@laptop pid 41 (release 3f2a9c1)"
    assert entries[1].what.startswith("lock broken by bob@desk; it was held by alice")
    assert all(entry.env == "prod" for entry in entries)
    assert store.break_lock("prod", by="bob@desk") is None


def test_release_refuses_a_lock_someone_else_now_holds(root: Path) -> None:
    store = FileLockStore.for_project(root)
    mine = store.acquire("prod", "alice@laptop pid 41", "release", 600)
    store.break_lock("prod", by="bob@desk")
    store.acquire("prod", "bob@desk pid 7", "hotfix", 600)

    with pytest.raises(ShipyardError, match="no longer this run's.*bob@desk pid 7"):
        store.release("prod", mine.token)

    status = store.status("prod")
    assert status is not None and status.holder == "bob@desk pid 7"


def test_held_releases_the_lock_when_the_block_fails(root: Path) -> None:
    store = FileLockStore.for_project(root)

    with pytest.raises(RuntimeError), held(store, "staging", "release") as lock:
        assert store.status("staging") == lock
        raise RuntimeError("deploy broke")

    assert store.status("staging") is None
    assert lock.holder == default_holder()


def test_lock_file_holds_holder_time_reason_expiry_and_token(root: Path) -> None:
    store = FileLockStore.for_project(root)

    lock = store.acquire("prod", None, "release 3f2a9c1", 600)

    on_disk = (root / ".shipyard" / "locks" / "prod.json").read_text()
    for value in (lock.holder, lock.since, lock.reason, lock.expires, lock.token):
        assert value in on_disk
    assert lock.holder == (
        f"{getpass.getuser()}@{socket.gethostname()} pid {os.getpid()}"
    )


def test_environment_names_cannot_escape_the_lock_folder(root: Path) -> None:
    with pytest.raises(ShipyardError, match="environment name"):
        FileLockStore.for_project(root).acquire("../prod", None, "release", 60)
