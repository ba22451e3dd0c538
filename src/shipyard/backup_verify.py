"""Verify a backup: check its SHA-256, restore it into a scratch database, compare
its tables and row counts with the metadata, and record the outcome there."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from shipyard import console
from shipyard.backup_restore import (
    ChecksumMismatch,
    check_restore_version,
    fetch_checked,
    run_pg_restore,
)
from shipyard.backup_store import (
    Verification,
    now_ms,
    read_backup,
    record_verification,
)
from shipyard.errors import ShipyardError
from shipyard.providers.postgres import (
    Database,
    PgTools,
    create_database,
    drop_database,
    table_row_counts,
)
from shipyard.redaction import Secret
from shipyard.stamps import whoami
from shipyard.transfer_progress import OnProgress


def verify_backup(
    s3: Any,
    bucket: str,
    env: str,
    backup_id: str,
    db_url: Secret,
    *,
    scratch_url: Secret | None = None,
    tools: PgTools | None = None,
    on_progress: OnProgress | None = None,
    spool_dir: str | None = None,
) -> Verification:
    """Prove a backup restores to what was dumped, and record the result.

    Without `scratch_url`, a temporary database is created on the server of
    `db_url` (its login needs CREATEDB) and dropped afterwards; with it, the
    backup is restored into that database, which is left in place. A bad
    checksum, a failed restore or differing row counts give a failed
    verification, recorded in the metadata and returned; a server that cannot
    be reached raises instead, since that says nothing about the backup.
    """
    backup, _ = read_backup(s3, bucket, env, backup_id)
    tools = tools or PgTools.find()
    check_restore_version(backup, tools.pg_restore)

    console.step(f"verifying backup {backup_id}")
    try:
        with (
            fetch_checked(s3, bucket, backup, on_progress, spool_dir) as dump_file,
            scratch_database(db_url, scratch_url, backup_id) as scratch,
        ):
            counts = _restore_and_count(tools, scratch, dump_file)
        problems = compare_row_counts(backup.row_counts, counts)
        detail = "; ".join(problems) or f"{len(counts)} tables, row counts match"
    except (ChecksumMismatch, _RestoreFailed) as exc:
        problems, detail = [str(exc)], str(exc)

    verification = Verification(
        at=now_ms(), ok=not problems, detail=detail, by=whoami()
    )
    record_verification(s3, bucket, env, backup_id, verification)
    if verification.ok:
        console.done(f"backup {backup_id} verified: {detail}")
    else:
        console.warn(f"backup {backup_id} failed verification: {detail}")
    return verification


def compare_row_counts(expected: dict[str, int], actual: dict[str, int]) -> list[str]:
    """What differs between the tables and row counts of two databases, one line
    per difference; empty when they match."""
    problems = []
    for table in sorted(expected.keys() - actual.keys()):
        problems.append(f"table {table} is missing")
    for table in sorted(actual.keys() - expected.keys()):
        problems.append(f"table {table} is not in the metadata")
    for table in sorted(expected.keys() & actual.keys()):
        if expected[table] != actual[table]:
            problems.append(
                f"table {table} has {actual[table]} rows, expected {expected[table]}"
            )
    return problems


class _RestoreFailed(ShipyardError):
    """pg_restore could not restore the backup into the scratch database."""


def _restore_and_count(
    tools: PgTools, scratch: Database, dump_file: IO[bytes]
) -> dict[str, int]:
    try:
        run_pg_restore(tools, scratch, dump_file, no_owner=True)
    except ShipyardError as exc:
        raise _RestoreFailed(f"the restore failed: {exc}") from None
    return table_row_counts(scratch)


@contextmanager
def scratch_database(
    db_url: Secret, scratch_url: Secret | None, backup_id: str
) -> Iterator[Database]:
    """The database to restore into: `scratch_url`'s, left in place, or a new
    one on the server of `db_url`, dropped however the block ends."""
    if scratch_url is not None:
        yield Database.from_url(scratch_url)
        return
    server = Database.from_url(db_url)
    suffix = backup_id.lower().replace("-", "_")
    name = f"shipyard_verify_{suffix}_{secrets.token_hex(2)}"[:63]
    scratch = create_database(server, name)
    try:
        yield scratch
    finally:
        drop_database(server, name)
