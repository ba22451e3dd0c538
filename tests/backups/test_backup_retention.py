"""Retention keeps the newest backups, the newest of each recent day and ISO week,
and never the newest verified backup; pruning deletes metadata before dumps."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipyard.backup_store import (
    Backup,
    Verification,
    new_backup_id,
    now_ms,
    write_backup,
)
from shipyard.backups import list_backups, plan_prune, prune
from shipyard.errors import ShipyardError
from shipyard.retention import keep_reasons
from shipyard.stamps import utc_now

NOW = datetime(2024, 5, 15, 12, 0, tzinfo=UTC)  # a Wednesday


def backup(hours_ago: float, *, verified: bool | None = None, n: int = 0) -> Backup:
    created = NOW - timedelta(hours=hours_ago)
    check = None
    if verified is not None:
        check = Verification(at=created + timedelta(hours=1), ok=verified, detail="")
    return Backup(
        id=f"{created:%Y%m%dT%H%M%S}Z-{n:06x}",
        env="prod",
        created_at=created,
        size=10,
        sha256="0" * 64,
        database="app",
        server_version="15.6",
        client_version="15.6",
        verified=check,
    )


backups_strategy = st.lists(
    st.tuples(
        st.floats(min_value=-2, max_value=24 * 120),
        st.sampled_from([None, True, False]),
    ),
    max_size=40,
).map(lambda items: [backup(h, verified=v, n=i) for i, (h, v) in enumerate(items)])


@settings(max_examples=300, deadline=None)
@given(
    backups=backups_strategy,
    keep_last=st.integers(1, 6),
    days=st.integers(0, 10),
    weeks=st.integers(0, 8),
)
def test_retention_never_deletes_the_newest_verified_or_the_newest_n(
    backups: list[Backup], keep_last: int, days: int, weeks: int
) -> None:
    keep, delete = plan_prune(
        backups,
        keep_last=keep_last,
        keep_daily_days=days,
        keep_weekly_weeks=weeks,
        now=NOW,
    )

    newest_first = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    assert sorted(b.id for b in keep + delete) == sorted(b.id for b in backups)
    assert not {b.id for b in keep} & {b.id for b in delete}
    verified = [b for b in newest_first if b.verified_ok]
    if verified:
        assert verified[0] in keep
    assert newest_first[:keep_last] == keep[: min(keep_last, len(keep))]
    for kept_day in {b.created_at.date() for b in newest_first}:
        if (NOW.date() - kept_day).days < days:
            newest_that_day = next(
                b for b in newest_first if b.created_at.date() == kept_day
            )
            assert newest_that_day in keep
    assert keep == [b for b in newest_first if b in keep]


def test_retention_keeps_daily_and_weekly_newest_and_says_why() -> None:
    today_late = backup(1, n=1)
    today_early = backup(5, n=2)
    yesterday = backup(24, n=3)
    yesterday_older = backup(26, n=4)
    last_week = backup(24 * 7, verified=False, n=5)
    two_weeks_ago = backup(24 * 14, n=6)
    old_verified = backup(24 * 60, verified=True, n=7)
    older = backup(24 * 61, n=8)
    all_backups = [
        older,
        today_early,
        yesterday,
        two_weeks_ago,
        old_verified,
        today_late,
        last_week,
        yesterday_older,
    ]

    keep, delete = plan_prune(
        all_backups, keep_last=1, keep_daily_days=2, keep_weekly_weeks=2, now=NOW
    )

    assert keep == [today_late, yesterday, last_week, old_verified]
    assert delete == [today_early, yesterday_older, two_weeks_ago, older]
    reasons = keep_reasons(
        all_backups, keep_last=1, keep_daily_days=2, keep_weekly_weeks=2, now=NOW
    )
    assert reasons[today_late.id] == [
        "newest 1",
        "newest of 2024-05-15",
        "newest of week 2024-W20",
    ]
    assert reasons[last_week.id] == ["newest of week 2024-W19"]
    assert reasons[old_verified.id] == ["newest verified"]


def test_retention_refuses_a_policy_that_could_delete_every_backup() -> None:
    with pytest.raises(ShipyardError, match="keep_last must be at least 1"):
        plan_prune(
            [backup(1)], keep_last=0, keep_daily_days=0, keep_weekly_weeks=0, now=NOW
        )


class RecordingS3:
    """The real client, with the order of its deletions written down."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.deleted: list[str] = []

    def delete_object(self, **kwargs: Any) -> Any:
        self.deleted.append(kwargs["Key"])
        return self._s3.delete_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


@pytest.mark.integration
def test_prune_dry_run_changes_nothing_and_real_run_deletes_metadata_first(
    s3: Any, bucket: str
) -> None:
    stored = [backup(h, n=i) for i, h in enumerate([1, 30, 31, 24 * 20, 24 * 21])]
    stored.append(backup(24 * 40, verified=True, n=9))
    for item in stored:
        s3.put_object(Bucket=bucket, Key=item.dump_key, Body=b"PGDMP")
        write_backup(s3, bucket, item)
    policy = {"keep_last": 1, "keep_daily_days": 3, "keep_weekly_weeks": 1, "now": NOW}

    planned = prune(s3, bucket, "prod", **policy)
    assert len(list_backups(s3, bucket, "prod")) == 6
    assert [b.id for b in planned.delete] == [stored[2].id, stored[3].id, stored[4].id]

    recorder = RecordingS3(s3)
    done = prune(recorder, bucket, "prod", dry_run=False, **policy)

    assert list_backups(s3, bucket, "prod") == done.keep
    assert [b.id for b in done.keep] == [stored[0].id, stored[1].id, stored[5].id]
    expected_order = []
    for item in done.delete:
        expected_order += [item.meta_key, item.dump_key]
    assert recorder.deleted == expected_order
    remaining = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert remaining == {k for b in done.keep for k in (b.meta_key, b.dump_key)}


@pytest.mark.integration
def test_prune_sweeps_old_dumps_without_metadata_and_abandoned_uploads(
    s3: Any, bucket: str
) -> None:
    listed = replace(backup(0), created_at=now_ms())
    s3.put_object(Bucket=bucket, Key=listed.dump_key, Body=b"PGDMP")
    write_backup(s3, bucket, listed)
    orphan = f"backups/prod/{new_backup_id(utc_now())}.dump"
    s3.put_object(Bucket=bucket, Key=orphan, Body=b"PGDMP")
    abandoned = s3.create_multipart_upload(
        Bucket=bucket, Key=f"backups/prod/{new_backup_id(utc_now())}.dump"
    )
    policy = {"keep_last": 1, "keep_daily_days": 0, "keep_weekly_weeks": 0}

    fresh = prune(s3, bucket, "prod", now=utc_now(), dry_run=False, **policy)
    assert not fresh.leftovers
    later = utc_now() + timedelta(days=3)
    planned = prune(s3, bucket, "prod", now=later, **policy)
    assert planned.leftovers.orphan_dumps == [orphan]
    assert planned.leftovers.stale_uploads == [
        (abandoned["Key"], abandoned["UploadId"])
    ]
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads")

    prune(s3, bucket, "prod", now=later, dry_run=False, **policy)

    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]}
    assert keys == {listed.dump_key, listed.meta_key}
    assert list_backups(s3, bucket, "prod") == [listed]
