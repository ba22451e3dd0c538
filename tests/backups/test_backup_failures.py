"""A backup that fails or is cut short leaves nothing behind: no listed backup, no
object, no incomplete multipart upload, no pg_dump still running."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest

from shipyard.backups import create_backup, list_backups
from shipyard.errors import ShipyardError
from shipyard.providers.postgres import PgTools
from shipyard.redaction import Secret

pytestmark = pytest.mark.integration
MIB = 1024 * 1024


def children_named(name: str) -> list[int]:
    """Pids of this process's children whose command is `name`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(
            line.split(":\t", 1) for line in status.splitlines() if ":\t" in line
        )
        if (
            fields.get("Name", "").strip() == name
            and int(fields["PPid"]) == os.getpid()
        ):
            if fields.get("State", "").startswith("Z"):
                continue
            found.append(int(entry.name))
    return found


def assert_nothing_left(s3: Any, bucket: str) -> None:
    assert list_backups(s3, bucket, "prod") == []
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    assert children_named("pg_dump") == []


class PartsOnS3:
    """Progress callback that, past `after` bytes, waits until S3 holds at least
    one part of the backup's upload, notes the upload, then raises `stop`."""

    def __init__(self, s3: Any, bucket: str, after: int, stop: BaseException) -> None:
        self.s3, self.bucket, self.after, self.stop = s3, bucket, after, stop
        self.upload: dict[str, str] = {}
        self.parts: list[int] = []
        self.seen = 0

    def __call__(self, done: int) -> None:
        self.seen = done
        if done <= self.after:
            return
        deadline = time.monotonic() + 30
        while not self.parts and time.monotonic() < deadline:
            uploads = self.s3.list_multipart_uploads(Bucket=self.bucket)
            for upload in uploads.get("Uploads", []):
                self.upload = {"Key": upload["Key"], "UploadId": upload["UploadId"]}
                listed = self.s3.list_parts(Bucket=self.bucket, **self.upload)
                self.parts = [part["PartNumber"] for part in listed.get("Parts", [])]
            time.sleep(0.05)
        raise self.stop


def assert_upload_gone(s3: Any, bucket: str, upload: dict[str, str]) -> None:
    from botocore.exceptions import ClientError

    with pytest.raises(ClientError, match="NoSuchUpload"):
        s3.list_parts(Bucket=bucket, **upload)


def test_failure_after_some_parts_aborts_the_upload_and_lists_nothing(
    big_db: Secret, s3: Any, bucket: str
) -> None:
    fail = PartsOnS3(s3, bucket, 11 * MIB, RuntimeError("connection to S3 lost"))

    with pytest.raises(RuntimeError, match="connection to S3 lost"):
        create_backup(big_db, s3, bucket, "prod", on_progress=fail, part_size=5 * MIB)

    assert fail.seen > 11 * MIB
    assert fail.upload["Key"].startswith("backups/prod/")
    assert fail.parts and min(fail.parts) == 1
    assert_upload_gone(s3, bucket, fail.upload)
    assert_nothing_left(s3, bucket)


def test_ctrl_c_after_some_parts_aborts_the_upload_and_lists_nothing(
    big_db: Secret, s3: Any, bucket: str
) -> None:
    ctrl_c = PartsOnS3(s3, bucket, 6 * MIB, KeyboardInterrupt())

    with pytest.raises(KeyboardInterrupt):
        create_backup(
            big_db, s3, bucket, "prod", on_progress=ctrl_c, part_size=5 * MIB
        )

    assert ctrl_c.seen > 6 * MIB
    assert ctrl_c.parts
    assert_upload_gone(s3, bucket, ctrl_c.upload)
    assert_nothing_left(s3, bucket)


def test_pg_dump_killed_mid_stream_fails_the_backup_and_lists_nothing(
    big_db: Secret, s3: Any, bucket: str
) -> None:
    killed: list[int] = []

    def kill_pg_dump(done: int) -> None:
        if done > 6 * MIB and not killed:
            [pid] = children_named("pg_dump")
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    with pytest.raises(ShipyardError, match="pg_dump failed with exit code -9"):
        create_backup(
            big_db, s3, bucket, "prod", on_progress=kill_pg_dump, part_size=5 * MIB
        )

    assert killed
    assert_nothing_left(s3, bucket)


def test_older_pg_dump_is_refused_before_dumping_naming_both_versions(
    app_db: Secret, s3: Any, bucket: str, tmp_path: Path
) -> None:
    ran = tmp_path / "dumped"
    old_pg_dump = tmp_path / "pg_dump"
    old_pg_dump.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "--version" ]; then\n'
        '  echo "pg_dump (PostgreSQL) 14.11"; exit 0\n'
        "fi\n"
        f"touch {ran}\nexit 1\n"
    )
    old_pg_dump.chmod(0o755)
    tools = PgTools.find(pg_dump=str(old_pg_dump))

    with pytest.raises(ShipyardError) as refused:
        create_backup(app_db, s3, bucket, "prod", tools=tools)

    message = str(refused.value)
    assert "pg_dump 14.11" in message and "PostgreSQL 15." in message
    assert str(old_pg_dump) in message and "install pg_dump 15 or newer" in message
    assert not ran.exists()
    assert_nothing_left(s3, bucket)


def test_unknown_encryption_mode_is_refused_before_dumping(
    app_db: Secret, s3: Any, bucket: str
) -> None:
    with pytest.raises(ShipyardError, match="unknown server-side encryption"):
        create_backup(app_db, s3, bucket, "prod", sse="rot13")
    assert_nothing_left(s3, bucket)
