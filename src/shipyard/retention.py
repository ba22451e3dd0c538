"""Backup retention: which backups to keep (the newest few, the newest of each
recent day and ISO week, always the newest verified one) and pruning the rest.
Planning is a pure function, so a dry run can print it and tests can check it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shipyard import console
from shipyard.backup_leftovers import Leftovers, find_leftovers, remove_leftovers
from shipyard.backup_store import Backup, delete_backup, list_backups
from shipyard.errors import ShipyardError
from shipyard.stamps import iso, utc_now


@dataclass(frozen=True)
class PruneResult:
    """What a prune kept and deleted (or would delete, on a dry run), and why
    each kept backup stays."""

    keep: list[Backup]
    delete: list[Backup]
    reasons: dict[str, list[str]] = field(default_factory=dict)
    dry_run: bool = True
    leftovers: Leftovers = field(default_factory=lambda: Leftovers([], []))


def keep_reasons(
    backups: list[Backup],
    *,
    keep_last: int,
    keep_daily_days: int,
    keep_weekly_weeks: int,
    now: datetime,
) -> dict[str, list[str]]:
    """For each backup id, the rules that keep it (empty: it may go).

    Days and ISO weeks are counted in UTC back from `now`: with 7 daily days,
    today and the six days before each keep their newest backup.
    """
    _check_policy(keep_last, keep_daily_days, keep_weekly_weeks)
    ordered = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    reasons: dict[str, list[str]] = {b.id: [] for b in ordered}
    today = now.astimezone(UTC).date()

    for backup in ordered[:keep_last]:
        reasons[backup.id].append(f"newest {keep_last}")

    seen_days: set[date] = set()
    seen_weeks: set[date] = set()
    for backup in ordered:
        day = backup.created_at.astimezone(UTC).date()
        if (today - day).days < keep_daily_days and day not in seen_days:
            seen_days.add(day)
            reasons[backup.id].append(f"newest of {day.isoformat()}")
        week = _monday(day)
        weeks_ago = (_monday(today) - week).days // 7
        if weeks_ago < keep_weekly_weeks and week not in seen_weeks:
            seen_weeks.add(week)
            year, number, _ = day.isocalendar()
            reasons[backup.id].append(f"newest of week {year}-W{number:02d}")

    verified = next((b for b in ordered if b.verified_ok), None)
    if verified is not None:
        reasons[verified.id].append("newest verified")
    return reasons


def plan_prune(
    backups: list[Backup],
    *,
    keep_last: int,
    keep_daily_days: int,
    keep_weekly_weeks: int,
    now: datetime,
) -> tuple[list[Backup], list[Backup]]:
    """Split `backups` into (keep, delete), each newest first; see `keep_reasons`.

    The newest verified backup is never in `delete`.
    """
    reasons = keep_reasons(
        backups,
        keep_last=keep_last,
        keep_daily_days=keep_daily_days,
        keep_weekly_weeks=keep_weekly_weeks,
        now=now,
    )
    ordered = sorted(backups, key=lambda b: (b.created_at, b.id), reverse=True)
    keep = [b for b in ordered if reasons[b.id]]
    delete = [b for b in ordered if not reasons[b.id]]
    return keep, delete


def prune(
    s3: Any,
    bucket: str,
    env: str,
    *,
    keep_last: int,
    keep_daily_days: int,
    keep_weekly_weeks: int,
    now: datetime | None = None,
    dry_run: bool = True,
) -> PruneResult:
    """Delete the backups of `env` that the retention policy does not keep.

    With `dry_run` (the default) only the plan is shown. Each backup's
    metadata is deleted before its dump, so a prune stopped half-way never
    leaves a listed backup without its dump. Leftovers of runs killed outright
    (see `shipyard.backup_leftovers`) are swept as well.
    """
    moment = now or utc_now()
    backups = list_backups(s3, bucket, env)
    policy = {
        "keep_last": keep_last,
        "keep_daily_days": keep_daily_days,
        "keep_weekly_weeks": keep_weekly_weeks,
        "now": moment,
    }
    reasons = keep_reasons(backups, **policy)
    keep, delete = plan_prune(backups, **policy)
    leftovers = find_leftovers(s3, bucket, env, now=moment)
    _show_plan(env, keep, delete, reasons, dry_run)
    if leftovers:
        console.say(
            f"{len(leftovers.orphan_dumps)} dumps without metadata and "
            f"{len(leftovers.stale_uploads)} incomplete uploads are left from "
            "unfinished backups"
        )

    if not dry_run:
        for backup in delete:
            delete_backup(s3, bucket, backup)
        remove_leftovers(s3, bucket, leftovers)
        console.done(f"pruned {len(delete)} backups of {env}, kept {len(keep)}")
    return PruneResult(keep, delete, reasons, dry_run, leftovers)


def _show_plan(
    env: str,
    keep: list[Backup],
    delete: list[Backup],
    reasons: dict[str, list[str]],
    dry_run: bool,
) -> None:
    rows = [
        [
            b.id,
            iso(b.created_at),
            "yes" if b.verified_ok else "",
            "keep",
            ", ".join(reasons[b.id]),
        ]
        for b in keep
    ]
    action = "would delete" if dry_run else "delete"
    rows += [
        [b.id, iso(b.created_at), "yes" if b.verified_ok else "", action, ""]
        for b in delete
    ]
    rows.sort(key=lambda row: row[1], reverse=True)
    console.table(
        f"retention plan for {env}",
        ["backup", "created", "verified", "action", "why"],
        rows,
    )


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _check_policy(keep_last: int, keep_daily_days: int, keep_weekly_weeks: int) -> None:
    if keep_last < 1:
        raise ShipyardError("keep_last must be at least 1, so the newest backup stays")
    if keep_daily_days < 0 or keep_weekly_weeks < 0:
        raise ShipyardError("keep_daily_days and keep_weekly_weeks cannot be negative")
