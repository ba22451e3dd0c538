"""Throwaway PostgreSQL clusters: password logins over loopback, restarts on
the same port, and a stop that really stops the server."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from shipyard.sandbox.postgres import (
    Cluster,
    cluster_status,
    start_cluster,
    stop_cluster,
)

pytestmark = pytest.mark.integration


def test_cluster_url_logs_in_with_its_password_and_refuses_another(
    cluster: Cluster,
) -> None:
    url = cluster.url("shop", "shop_app", "it's a p@ss/word")

    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute("SELECT current_user, current_database()").fetchone()
    assert row == ("shop_app", "shop")

    wrong = f"postgresql://shop_app:nope@127.0.0.1:{cluster.port}/shop"
    with pytest.raises(psycopg.OperationalError, match="password authentication"):
        psycopg.connect(wrong, connect_timeout=5)


def test_cluster_url_changes_the_password_of_an_existing_role(cluster: Cluster) -> None:
    old = cluster.url("shop", "shop_app", "first-password")
    new = cluster.url("shop", "shop_app", "second-password")

    with psycopg.connect(new, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(old, connect_timeout=5)


def test_stopped_cluster_refuses_connections_and_restarts_on_its_port(
    cluster_home: Path,
) -> None:
    data = cluster_home / "data"
    first = start_cluster(data)
    url = first.url("app", "app", "secret-value")
    assert start_cluster(data) == first
    assert cluster_status(data).running

    assert stop_cluster(data)
    assert not stop_cluster(data)
    assert not cluster_status(data).running
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=5)

    again = start_cluster(data)
    assert again.port == first.port
    with psycopg.connect(url, connect_timeout=5) as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
