"""The shared lock and ledger in S3 behave like the local ones, and of processes
racing for the lock exactly one wins."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from shipyard.audit import AuditLog
from shipyard.errors import LockHeld, ShipyardError
from shipyard.ledger import FAILED, SUCCEEDED, Release
from shipyard.redaction import Secret
from shipyard.s3_state import S3Ledger, S3LockStore

pytestmark = pytest.mark.integration
RACER = Path(__file__).resolve().parent / "lock_racer.py"


def test_of_two_processes_racing_for_the_lock_exactly_one_wins(
    s3: Any, s3_server: Any, bucket: str
) -> None:
    for round_number in range(3):
        env = f"race{round_number}"
        start_at = time.time() + 2
        racers = [
            subprocess.Popen(
                [
                    sys.executable,
                    str(RACER),
                    s3_server.endpoint_url,
                    bucket,
                    env,
                    f"racer-{n}",
                    str(start_at),
                ],
                stdout=subprocess.PIPE,
                text=True,
            )
            for n in range(2)
        ]
        results = [json.loads(racer.communicate(timeout=60)[0]) for racer in racers]

        winners = [r for r in results if r["won"]]
        [loser] = [r for r in results if not r["won"]]
        assert len(winners) == 1
        assert f"held by {winners[0]['holder']}" in loser["message"]
        status = S3LockStore(s3, bucket, "shipyard").status(env)
        assert status is not None and status.token == winners[0]["token"]


def test_release_needs_the_holders_token(s3: Any, bucket: str) -> None:
    store = S3LockStore(s3, bucket, "shipyard")
    info = store.acquire("prod", "ana@laptop", "release 3f2a9c1", ttl_seconds=600)

    with pytest.raises(LockHeld, match="held by ana@laptop"):
        store.acquire("prod", "bo@ci", "release 77aa001")
    with pytest.raises(ShipyardError, match="no longer this run's"):
        store.release("prod", "not-the-token")
    assert store.status("prod") == info

    store.release("prod", info.token)
    assert store.status("prod") is None
    assert s3.list_objects_v2(Bucket=bucket, Prefix="shipyard/locks/")["KeyCount"] == 0


def test_stale_lock_is_broken_by_force_and_the_audit_names_who_broke_it(
    s3: Any, bucket: str, tmp_path: Path
) -> None:
    store = S3LockStore(s3, bucket, "shipyard", audit=AuditLog(tmp_path / "audit.log"))
    dead = store.acquire(
        "prod", "ana@laptop pid 1", "release 3f2a9c1", ttl_seconds=0.05
    )
    time.sleep(0.1)

    with pytest.raises(LockHeld, match="stale lock held by ana@laptop pid 1"):
        store.acquire("prod", "bo@ci", "release 77aa001")
    broken = store.break_lock("prod", by="bo@ci")
    mine = store.acquire("prod", "bo@ci", "release 77aa001")

    assert broken == dead
    assert store.status("prod") == mine
    with pytest.raises(ShipyardError, match="no longer this run's"):
        store.release("prod", dead.token)
    shared = [entry.what for entry in store.audit_entries("prod")]
    assert shared[0] == "lock taken by ana@laptop pid 1 (release 3f2a9c1)"
    assert shared[1].startswith("lock broken by bo@ci; it was held by ana@laptop pid 1")
    assert shared[2] == "lock taken by bo@ci (release 77aa001)"
    assert [e.who for e in store.audit_entries("prod")][1] == "bo@ci"
    assert [e.what for e in AuditLog(tmp_path / "audit.log").entries()] == shared


def test_ledger_in_s3_keeps_every_record_and_reports_the_latest_state(
    s3: Any, bucket: str
) -> None:
    ledger = S3Ledger(s3, bucket, "shipyard")
    password = Secret("hunter2-database-password")
    first = Release(
        id="3f2a9c1-20240101T100000Z",
        env="prod",
        git_sha="3f2a9c1",
        started_at="2024-01-01T10:00:00.000Z",
    )
    second = Release(
        id="77aa001-20240102T100000Z",
        env="prod",
        git_sha="77aa001",
        started_at="2024-01-02T10:00:00.000Z",
    )
    ledger.record(first)
    ledger.record(first.finished(SUCCEEDED))
    ledger.record(second)
    ledger.record(
        second.finished(FAILED, notes=f"login failed for {password.reveal()}")
    )

    assert [r.id for r in ledger.list("prod")] == [second.id, first.id]
    assert ledger.get("prod", first.id).outcome == SUCCEEDED
    assert ledger.last_good("prod") == ledger.get("prod", first.id)
    assert ledger.list("staging") == []
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len(keys) == 4 and all(k.startswith("shipyard/ledger/prod/") for k in keys)
    assert "hunter2" not in ledger.get("prod", second.id).notes
