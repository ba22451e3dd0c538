"""`inv backup.prune`: a dry run by default or with --dry-run, deleting only with
--apply, and --dry-run together with --apply refused before anything is read."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from shipyard.backup_store import Backup, new_backup_id, write_backup
from shipyard.backups import list_backups
from shipyard.sandbox import s3 as sandbox_s3
from shipyard.stamps import utc_now
from tests.parity.project import Project, Ran

pytestmark = pytest.mark.integration


@pytest.fixture
def project(
    tmp_path: Path, s3_server: sandbox_s3.S3Server, bucket: str
) -> Project:
    """A project whose prod keeps one backup, with its bucket on the moto server."""
    project = Project(tmp_path / "app").build()
    project.append(
        "env/prod.env",
        f"S3_BUCKET={bucket}\nS3_ENDPOINT_URL={s3_server.endpoint_url}\n"
        f"S3_REGION={sandbox_s3.REGION}\nBACKUP_KEEP_LAST=1\n"
        "BACKUP_KEEP_DAILY_DAYS=0\nBACKUP_KEEP_WEEKLY_WEEKS=0\n",
    )
    project.put_secret("AWS_ACCESS_KEY_ID", sandbox_s3.ACCESS_KEY)
    project.put_secret("AWS_SECRET_ACCESS_KEY", sandbox_s3.SECRET_KEY)
    return project


def stored_backups(s3: Any, bucket: str, days_ago: list[int]) -> list[str]:
    """Backups created `days_ago`, newest first; their ids."""
    ids = []
    for days in days_ago:
        created = utc_now() - timedelta(days=days, minutes=1)
        item = Backup(
            id=new_backup_id(created), env="prod", created_at=created, size=5,
            sha256="0" * 64, database="app", server_version="15.6",
            client_version="15.6",
        )
        s3.put_object(Bucket=bucket, Key=item.dump_key, Body=b"PGDMP")
        write_backup(s3, bucket, item)
        ids.append(item.id)
    return ids


def listed(s3: Any, bucket: str) -> list[str]:
    return [b.id for b in list_backups(s3, bucket, "prod")]


def prune(project: Project, *flags: str) -> Ran:
    return project.inv("backup.prune", "--env=prod", *flags)


@pytest.mark.parametrize("flags", [(), ("--dry-run",)], ids=["no flag", "dry-run"])
def test_prune_without_apply_shows_the_plan_and_deletes_nothing(
    project: Project, s3: Any, bucket: str, flags: tuple[str, ...]
) -> None:
    ids = stored_backups(s3, bucket, [0, 3, 9])

    ran = prune(project, *flags)

    assert ran.code == 0, ran.err
    assert listed(s3, bucket) == ids
    rows = {line.split()[1]: line for line in ran.out.splitlines() if "Z-" in line}
    assert "keep" in rows[ids[0]] and "would delete" not in rows[ids[0]]
    for old in ids[1:]:
        assert "would delete" in rows[old]


def test_prune_with_apply_deletes_what_retention_does_not_keep(
    project: Project, s3: Any, bucket: str
) -> None:
    ids = stored_backups(s3, bucket, [0, 3, 9])

    ran = prune(project, "--apply")

    assert ran.code == 0, ran.err
    assert listed(s3, bucket) == ids[:1]


def test_dry_run_with_apply_is_refused_in_one_line_and_deletes_nothing(
    project: Project, s3: Any, bucket: str
) -> None:
    ids = stored_backups(s3, bucket, [0, 3, 9])

    ran = prune(project, "--dry-run", "--apply")

    assert ran.code != 0
    assert ran.err.strip().count("\n") == 0
    assert "--dry-run" in ran.err and "--apply" in ran.err
    assert "pass one of them" in ran.err
    assert "Traceback" not in ran.err
    assert listed(s3, bucket) == ids
