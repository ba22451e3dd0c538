"""Backups stream to S3 and restore what was dumped (real PostgreSQL, real moto)."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.backups import create_backup, list_backups, restore_backup
from shipyard.redaction import Secret
from tests.backups.databases import fingerprint, new_database, query, run

pytestmark = pytest.mark.integration
MIB = 1024 * 1024


def test_dropped_table_comes_back_with_equal_rows_after_restore(
    app_db: Secret, s3: Any, bucket: str
) -> None:
    before = fingerprint(app_db)
    release = {"git_sha": "3f2a9c1d", "image_digest": "sha256:" + "ab" * 32}
    backup = create_backup(app_db, s3, bucket, "staging", release=release)

    run(app_db, "DROP TABLE billing.invoices; DELETE FROM orders WHERE id > 10")
    restore_backup(s3, bucket, "staging", backup.id, app_db)

    assert fingerprint(app_db) == before
    assert query(app_db, "SELECT count(*) FROM billing.invoices") == [(1500,)]


def test_backup_metadata_is_listed_with_checksum_versions_release_and_counts(
    app_db: Secret, s3: Any, bucket: str
) -> None:
    first = create_backup(app_db, s3, bucket, "staging")
    release = {"git_sha": "3f2a9c1d", "image_digest": "sha256:" + "cd" * 32}
    second = create_backup(app_db, s3, bucket, "staging", release=release)

    listed = list_backups(s3, bucket, "staging")
    assert [b.id for b in listed] == [second.id, first.id]
    assert listed[0] == second
    assert second.row_counts == {
        "billing.invoices": 1500,
        "public.customers": 200,
        "public.orders": 3000,
    }
    assert second.server_version.startswith("15.")
    assert second.client_version.startswith("15.")
    assert second.release == release and second.verified is None
    head = s3.head_object(Bucket=bucket, Key=second.dump_key)
    assert head["ContentLength"] == second.size
    body = s3.get_object(Bucket=bucket, Key=second.dump_key)["Body"].read()
    assert body.startswith(b"PGDMP")
    assert list_backups(s3, bucket, "prod") == []


def test_large_dump_uploads_in_encrypted_parts_and_restores(
    big_db: Secret, cluster: Any, s3: Any, bucket: str
) -> None:

    backup = create_backup(big_db, s3, bucket, "prod", sse="AES256", part_size=5 * MIB)

    head = s3.head_object(Bucket=bucket, Key=backup.dump_key)
    assert head["ServerSideEncryption"] == "AES256"
    parts = -(-backup.size // (5 * MIB))
    assert parts >= 3 and head["ETag"].strip('"').endswith(f"-{parts}")
    assert backup.size > 10 * MIB and backup.row_counts["public.blobs"] == 14000

    target = new_database(cluster, "SELECT 1")
    restore_backup(s3, bucket, "prod", backup.id, target)
    digest = "SELECT md5(string_agg(payload::text, '' ORDER BY id)) FROM blobs"
    assert query(target, digest) == query(big_db, digest)
    assert fingerprint(target) == fingerprint(big_db)


def test_unreadable_metadata_is_skipped_when_listing(
    app_db: Secret, s3: Any, bucket: str
) -> None:
    backup = create_backup(app_db, s3, bucket, "prod")
    s3.put_object(Bucket=bucket, Key="backups/prod/broken.json", Body=b"{not json")
    s3.put_object(Bucket=bucket, Key="backups/prod/partial.json", Body=b'{"id": "x"}')

    assert list_backups(s3, bucket, "prod") == [backup]
