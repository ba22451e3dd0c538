"""Restore a backup from S3: the dump is checked against its metadata's SHA-256
before pg_restore sees a byte of it, and restored in a single transaction."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from shipyard import console
from shipyard.backup_store import Backup, read_backup
from shipyard.errors import ShipyardError
from shipyard.providers.pg_process import client_run
from shipyard.providers.postgres import Database, PgTools, client_version
from shipyard.providers.s3 import describe_error
from shipyard.redaction import Secret
from shipyard.transfer_progress import OnProgress, byte_progress

_CHUNK = 1024 * 1024


class ChecksumMismatch(ShipyardError):
    """A stored dump is not the one its metadata describes."""


def restore_backup(
    s3: Any,
    bucket: str,
    env: str,
    backup_id: str,
    target_db_url: Secret,
    *,
    clean: bool = True,
    tools: PgTools | None = None,
    on_progress: OnProgress | None = None,
    spool_dir: str | None = None,
) -> Backup:
    """Restore a backup into the database at `target_db_url`.

    The dump is downloaded once into a temporary file (in `spool_dir`) while
    its SHA-256 is computed; only a dump matching its metadata is handed to
    pg_restore, so a mismatch leaves the target untouched. The restore runs
    in one transaction, so a failure part-way changes nothing either.
    `clean` drops the backup's objects before recreating them.
    """
    backup, _ = read_backup(s3, bucket, env, backup_id)
    target = Database.from_url(target_db_url)
    tools = tools or PgTools.find()
    check_restore_version(backup, tools.pg_restore)

    console.step(f"restoring backup {backup_id} into {target.label}")
    with fetch_checked(s3, bucket, backup, on_progress, spool_dir) as dump_file:
        run_pg_restore(tools, target, dump_file, clean=clean)
    console.done(f"restored backup {backup_id} into {target.label}")
    return backup


def check_restore_version(backup: Backup, pg_restore: str) -> None:
    """Refuse a pg_restore older than the pg_dump that wrote the archive, which
    could not read it."""
    made_by = int(backup.client_version.split(".")[0] or 0)
    have = client_version(pg_restore)
    if have.major < made_by:
        raise ShipyardError(
            f"pg_restore {have} ({pg_restore}) cannot read backup {backup.id}, "
            f"written by pg_dump {backup.client_version}; install pg_restore "
            f"{made_by} or newer"
        )


@contextmanager
def fetch_checked(
    s3: Any,
    bucket: str,
    backup: Backup,
    on_progress: OnProgress | None = None,
    spool_dir: str | None = None,
) -> Iterator[IO[bytes]]:
    """Download a backup's dump into a temporary file, rewound, once its size and
    SHA-256 match the metadata; a ChecksumMismatch otherwise."""
    digest = hashlib.sha256()
    size = 0
    with tempfile.TemporaryFile(dir=spool_dir) as spool:
        try:
            body = s3.get_object(Bucket=bucket, Key=backup.dump_key)["Body"]
        except Exception as exc:  # noqa: BLE001 - any S3 failure ends the same way
            raise ShipyardError(
                f"cannot read s3://{bucket}/{backup.dump_key}: {describe_error(exc)}"
            ) from None
        with body, byte_progress("download", on_progress, backup.size) as tick:
            for chunk in body.iter_chunks(_CHUNK):
                digest.update(chunk)
                spool.write(chunk)
                size += len(chunk)
                tick(size)
        if size != backup.size or digest.hexdigest() != backup.sha256:
            raise ChecksumMismatch(
                f"backup {backup.id} failed its checksum: the stored dump has "
                f"{size} bytes, sha256 {digest.hexdigest()[:16]}, but its metadata "
                f"says {backup.size} bytes, sha256 {backup.sha256[:16]}"
            )
        spool.flush()
        spool.seek(0)
        yield spool


def run_pg_restore(
    tools: PgTools,
    target: Database,
    dump_file: IO[bytes],
    *,
    clean: bool = True,
    no_owner: bool = False,
) -> None:
    """Feed a custom-format dump to pg_restore on stdin, in a single transaction."""
    argv = [tools.pg_restore, "--no-password", "--single-transaction"]
    if clean:
        argv += ["--clean", "--if-exists"]
    if no_owner:
        argv += ["--no-owner", "--no-privileges"]
    argv.append(f"--dbname={target.conninfo()}")
    with client_run(argv, target, stdin=dump_file, stdout=None) as restore:
        restore.finish()
