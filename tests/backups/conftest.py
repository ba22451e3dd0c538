"""Fixtures for the backup tests: one real PostgreSQL cluster and one moto S3 server
for the session, a fresh bucket and a fresh database with data for each test."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from shipyard.providers.s3 import ensure_bucket, s3_client
from shipyard.redaction import Secret
from shipyard.sandbox import s3 as sandbox_s3
from tests.backups.backup_cluster import Cluster, start_cluster
from tests.backups.databases import APP_SCHEMA, BLOBS, new_database


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    running = start_cluster()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def s3_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[sandbox_s3.S3Server]:
    state = tmp_path_factory.mktemp("sandbox-s3")
    server = sandbox_s3.start_s3(state)
    try:
        yield server
    finally:
        sandbox_s3.stop_s3(state)


@pytest.fixture(scope="session")
def s3(s3_server: sandbox_s3.S3Server) -> Iterator[Any]:
    client = s3_client(
        s3_server.endpoint_url,
        sandbox_s3.REGION,
        Secret(sandbox_s3.ACCESS_KEY),
        Secret(sandbox_s3.SECRET_KEY),
    )
    yield client
    client.close()


@pytest.fixture
def bucket(s3: Any) -> str:
    name = f"backups-{uuid.uuid4().hex[:12]}"
    ensure_bucket(s3, name)
    return name


@pytest.fixture
def app_db(cluster: Cluster) -> Secret:
    """A small application database: three tables in two schemas."""
    return new_database(cluster, APP_SCHEMA)


@pytest.fixture(scope="session")
def big_db(cluster: Cluster) -> Secret:
    """A database whose dump takes several upload parts of 5 MiB (read only)."""
    return new_database(cluster, APP_SCHEMA + BLOBS)
