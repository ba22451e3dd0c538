"""PostgreSQL backups in S3, the way in: `create_backup` streams pg_dump straight
into a multipart upload; listing, restore, verification and retention live in
their own modules and are re-exported here."""

from __future__ import annotations

from typing import Any

from shipyard import console
from shipyard.backup_restore import ChecksumMismatch, restore_backup
from shipyard.backup_store import (
    Backup,
    delete_backup,
    dump_key,
    list_backups,
    new_backup_id,
    now_ms,
    write_backup,
)
from shipyard.backup_verify import verify_backup
from shipyard.errors import ShipyardError
from shipyard.providers.pg_process import client_run
from shipyard.providers.postgres import (
    Database,
    PgTools,
    PgVersion,
    client_version,
    exported_snapshot,
    server_version,
)
from shipyard.providers.s3 import describe_error, sse_args
from shipyard.providers.s3_upload import DEFAULT_PART_SIZE, MultipartUpload
from shipyard.redaction import Secret
from shipyard.retention import plan_prune, prune
from shipyard.transfer_progress import OnProgress, byte_progress, human_size

__all__ = [
    "Backup",
    "ChecksumMismatch",
    "create_backup",
    "list_backups",
    "plan_prune",
    "prune",
    "restore_backup",
    "verify_backup",
]


def create_backup(
    db_url: Secret,
    s3: Any,
    bucket: str,
    env: str,
    *,
    release: dict[str, Any] | None = None,
    sse: str | None = None,
    on_progress: OnProgress | None = None,
    tools: PgTools | None = None,
    part_size: int = DEFAULT_PART_SIZE,
) -> Backup:
    """Dump the database at `db_url` into S3 and return the listed backup.

    Refuses before dumping when pg_dump is older than the server. Row counts
    come from the very snapshot pg_dump reads, so verification can compare
    them exactly. `on_progress` receives the bytes uploaded so far; without
    it a progress bar is shown. A failed or interrupted run leaves neither
    an object nor an incomplete upload, and the metadata is written last.
    """
    db = Database.from_url(db_url)
    tools = tools or PgTools.find()
    sse_args(sse)
    server, client = check_dump_versions(db, tools.pg_dump)
    created = now_ms()
    backup_id = new_backup_id(created)
    key = dump_key(env, backup_id)

    console.step(f"backing up {db.label} (PostgreSQL {server}) to s3://{bucket}/{key}")
    with exported_snapshot(db) as snapshot:
        argv = [
            tools.pg_dump,
            "--format=custom",
            "--no-password",
            f"--snapshot={snapshot.id}",
            f"--dbname={db.conninfo()}",
        ]
        upload = MultipartUpload(s3, bucket, key, part_size=part_size, sse=sse)
        with (
            upload,
            client_run(argv, db) as dump,
            byte_progress("pg_dump", on_progress) as tick,
        ):
            upload.copy_from(dump.output, tick)
            dump.finish()
            stored = upload.complete()

    backup = Backup(
        id=backup_id,
        env=env,
        created_at=created,
        size=stored.size,
        sha256=stored.sha256,
        database=db.name,
        server_version=str(server),
        client_version=str(client),
        row_counts=snapshot.row_counts,
        release=release,
        sse=sse,
    )
    _write_metadata(s3, bucket, backup)
    console.done(
        f"backup {backup_id}: {human_size(stored.size)}, sha256 {stored.sha256[:12]}"
    )
    return backup


def check_dump_versions(db: Database, pg_dump: str) -> tuple[PgVersion, PgVersion]:
    """The server's and pg_dump's versions; a ShipyardError when pg_dump is older,
    because it cannot read a newer server's catalogs."""
    server = server_version(db)
    client = client_version(pg_dump)
    if client.major < server.major:
        raise ShipyardError(
            f"pg_dump {client} ({pg_dump}) is older than PostgreSQL {server} on "
            f"{db.label}; install pg_dump {server.major} or newer and point "
            "Shipyard at it"
        )
    return server, client


def _write_metadata(s3: Any, bucket: str, backup: Backup) -> None:
    """Write the metadata; if that fails, remove the dump it would have listed."""
    try:
        write_backup(s3, bucket, backup)
    except BaseException:
        try:
            delete_backup(s3, bucket, backup)
        except Exception as exc:  # noqa: BLE001 - the first failure is the one to show
            console.warn(f"could not remove {backup.dump_key}: {describe_error(exc)}")
        raise
