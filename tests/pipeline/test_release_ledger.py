"""The release ledger: releases come back as recorded, newest first, the latest
record of each wins, and last_good finds what a rollback should return to."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shipyard.errors import ShipyardError
from shipyard.ledger import FileLedger, Release, release_id

SHA = "3f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c"


def release(number: int, outcome: str, env: str = "prod") -> Release:
    """Release `number` of a series, started `number` minutes after noon."""
    started = f"2024-01-31T12:{number:02d}:00.000Z"
    return Release(
        id=f"{number:07d}-20240131T12{number:02d}00Z",
        env=env,
        git_sha=f"{number:07d}" + SHA[7:],
        started_at=started,
        outcome=outcome,
    )


def test_release_id_is_short_sha_and_utc_time() -> None:
    moment = datetime(2024, 1, 31, 12, 0, 5, tzinfo=UTC)

    assert release_id(SHA, moment) == "3f2a9c1-20240131T120005Z"


def test_ledger_round_trips_every_field(root: Path) -> None:
    ledger = FileLedger.for_project(root)
    recorded = Release(
        id="3f2a9c1-20240131T120000Z",
        env="prod",
        git_sha=SHA,
        image_digest="sha256:" + "ab" * 32,
        image_ref="127.0.0.1:5000/app@sha256:" + "ab" * 32,
        backend_deployment_id="dep-2",
        previous_backend_deployment_id="dep-1",
        frontend_deploy_id="site-deploy-2",
        previous_frontend_deploy_id="site-deploy-1",
        backup_id="backup-20240131",
        started_at="2024-01-31T12:00:00.000Z",
        finished_at="2024-01-31T12:04:00.000Z",
        who="alice@laptop",
        outcome="succeeded",
        notes="first release of the year",
        kind="rollback",
        restores="0000001-20240131T120100Z",
    )

    ledger.record(recorded)

    assert ledger.get("prod", recorded.id) == recorded
    assert FileLedger(root / ".shipyard" / "ledger").list("prod") == [recorded]
    assert ledger.list("staging") == [] and ledger.get("prod", "nope") is None


def test_list_is_newest_first_and_updates_replace_earlier_records(root: Path) -> None:
    ledger = FileLedger.for_project(root)
    first, second = release(1, "succeeded"), release(2, "in_progress")
    ledger.record(first)
    ledger.record(second)

    ledger.record(second.finished("rolled_back", notes="health check failed"))

    listed = ledger.list("prod")
    assert [item.id for item in listed] == [second.id, first.id]
    assert listed[0].outcome == "rolled_back" and listed[0].finished_at
    assert listed[0].notes == "health check failed"
    lines = (root / ".shipyard" / "ledger" / "prod.jsonl").read_text().splitlines()
    assert len(lines) == 3


def test_last_good_skips_failed_and_rolled_back_releases(root: Path) -> None:
    ledger = FileLedger.for_project(root)
    for number, outcome in enumerate(
        ["succeeded", "succeeded", "failed", "rolled_back", "in_progress"], start=1
    ):
        ledger.record(release(number, outcome))
    ledger.record(release(9, "succeeded", env="staging"))

    good = ledger.last_good("prod")

    assert good is not None and good.id == release(2, "succeeded").id


def test_last_good_before_a_release_looks_only_at_older_ones(root: Path) -> None:
    ledger = FileLedger.for_project(root)
    for number in (1, 2, 3):
        ledger.record(release(number, "succeeded"))

    before_third = ledger.last_good("prod", before=release(3, "succeeded").id)
    before_first = ledger.last_good("prod", before=release(1, "succeeded").id)

    assert before_third is not None and before_third.id == release(2, "succeeded").id
    assert before_first is None
    with pytest.raises(ShipyardError, match="no release 0000042-x recorded for prod"):
        ledger.last_good("prod", before="0000042-x")


def test_release_refuses_an_unknown_outcome() -> None:
    with pytest.raises(ValueError, match="outcome must be one of"):
        release(1, "mostly fine")


def test_record_written_before_kinds_were_kept_reads_as_a_release(root: Path) -> None:
    folder = root / ".shipyard" / "ledger"
    folder.mkdir(parents=True)
    old = release(1, "succeeded").to_dict()
    del old["kind"], old["restores"]
    (folder / "prod.jsonl").write_text(json.dumps(old) + "\n", encoding="utf-8")

    [read] = FileLedger.for_project(root).list("prod")

    assert (read.id, read.kind, read.restores) == (old["id"], "release", None)


def test_release_refuses_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="kind"):
        Release(id="x", env="prod", git_sha=SHA, kind="hotfix")
