"""Verification restores into a scratch database and catches tampered dumps."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.backup_verify import compare_row_counts
from shipyard.backups import (
    ChecksumMismatch,
    create_backup,
    list_backups,
    restore_backup,
    verify_backup,
)
from shipyard.redaction import Secret
from tests.backups.databases import new_database, query, run


def scratch_databases(url: Secret) -> list[str]:
    rows = query(
        url, "SELECT datname FROM pg_database WHERE datname LIKE 'shipyard_verify%'"
    )
    return [row[0] for row in rows]


@pytest.mark.integration
def test_verify_restores_into_a_scratch_database_and_records_success(
    app_db: Secret, cluster: Any, s3: Any, bucket: str
) -> None:
    backup = create_backup(app_db, s3, bucket, "prod")

    result = verify_backup(s3, bucket, "prod", backup.id, cluster.url())

    assert result.ok, result.detail
    assert result.detail == "3 tables, row counts match"
    [listed] = list_backups(s3, bucket, "prod")
    assert listed.verified == result
    assert scratch_databases(cluster.url()) == []


@pytest.mark.integration
def test_tampered_dump_fails_verify_on_its_checksum_and_is_never_restored(
    app_db: Secret, cluster: Any, s3: Any, bucket: str
) -> None:
    backup = create_backup(app_db, s3, bucket, "prod")
    body = bytearray(s3.get_object(Bucket=bucket, Key=backup.dump_key)["Body"].read())
    body[len(body) // 2] ^= 0xFF
    s3.put_object(Bucket=bucket, Key=backup.dump_key, Body=bytes(body))

    result = verify_backup(s3, bucket, "prod", backup.id, cluster.url())

    assert not result.ok
    assert "failed its checksum" in result.detail
    assert list_backups(s3, bucket, "prod")[0].verified == result
    assert scratch_databases(cluster.url()) == []

    run(app_db, "DROP TABLE billing.invoices")
    with pytest.raises(ChecksumMismatch, match="failed its checksum"):
        restore_backup(s3, bucket, "prod", backup.id, app_db)
    tables = query(
        app_db, "SELECT count(*) FROM pg_tables WHERE schemaname = 'billing'"
    )
    assert tables == [(0,)]


@pytest.mark.integration
def test_verify_fails_when_restored_row_counts_differ_from_the_metadata(
    app_db: Secret, cluster: Any, s3: Any, bucket: str
) -> None:
    backup = create_backup(app_db, s3, bucket, "prod")
    meta = json.loads(s3.get_object(Bucket=bucket, Key=backup.meta_key)["Body"].read())
    meta["row_counts"]["public.customers"] = 201
    meta["row_counts"]["public.ghosts"] = 5
    s3.put_object(Bucket=bucket, Key=backup.meta_key, Body=json.dumps(meta).encode())

    result = verify_backup(s3, bucket, "prod", backup.id, cluster.url())

    assert not result.ok
    assert "table public.ghosts is missing" in result.detail
    assert "table public.customers has 200 rows, expected 201" in result.detail


@pytest.mark.integration
def test_verify_into_a_given_database_leaves_it_in_place(
    app_db: Secret, cluster: Any, s3: Any, bucket: str
) -> None:
    backup = create_backup(app_db, s3, bucket, "prod")
    scratch = new_database(cluster, "SELECT 1")

    result = verify_backup(
        s3, bucket, "prod", backup.id, cluster.url(), scratch_url=scratch
    )

    assert result.ok, result.detail
    assert query(scratch, "SELECT count(*) FROM orders") == [(3000,)]


def test_row_count_comparison_names_each_difference() -> None:
    expected = {"public.a": 1, "public.b": 2, "public.c": 3}
    actual = {"public.a": 1, "public.b": 5, "public.d": 0}

    assert compare_row_counts(expected, actual) == [
        "table public.c is missing",
        "table public.d is not in the metadata",
        "table public.b has 5 rows, expected 2",
    ]
    assert compare_row_counts(expected, dict(expected)) == []
