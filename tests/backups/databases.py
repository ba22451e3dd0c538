"""Databases for the backup tests: what they hold, how to make one, and how to
read them back for comparison."""

from __future__ import annotations

import uuid

import psycopg

from shipyard.providers.postgres import Database
from shipyard.redaction import Secret
from tests.backups.backup_cluster import Cluster

APP_SCHEMA = """
CREATE SCHEMA billing;
CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL);
CREATE TABLE orders (
    id int PRIMARY KEY, customer_id int REFERENCES customers(id), total numeric);
CREATE TABLE billing.invoices (id int PRIMARY KEY, order_id int, paid boolean);
INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 200) g;
INSERT INTO orders SELECT g, 1 + g % 200, g * 1.5 FROM generate_series(1, 3000) g;
INSERT INTO billing.invoices SELECT g, g, g % 3 = 0 FROM generate_series(1, 1500) g;
"""

# About 14 MiB of random bytes: the dump cannot compress it below three 5 MiB parts.
BLOBS = """
CREATE TABLE blobs (id int PRIMARY KEY, payload bytea NOT NULL);
INSERT INTO blobs
SELECT g, decode(string_agg(md5(random()::text), ''), 'hex')
FROM generate_series(1, 14000) g, generate_series(1, 64) k GROUP BY g;
"""


def new_database(cluster: Cluster, sql: str) -> Secret:
    """A new database on the cluster holding what `sql` creates."""
    name = f"app_{uuid.uuid4().hex[:10]}"
    with Database.from_url(cluster.url()).connect(autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = cluster.url(name)
    with Database.from_url(url).connect(autocommit=True) as conn:
        conn.execute(sql)
    return url


def query(url: Secret, sql: str) -> list[tuple]:
    with psycopg.connect(url.reveal()) as conn:
        return conn.execute(sql).fetchall()


def fingerprint(url: Secret) -> dict[str, str]:
    """An md5 of every table's rows in key order, to compare whole contents."""
    tables = {
        "customers": "id",
        "orders": "id",
        "billing.invoices": "id",
    }
    result = {}
    for table, key in tables.items():
        rows = query(
            url, f"SELECT md5(string_agg(t::text, '|' ORDER BY {key})) FROM {table} t"
        )
        result[table] = rows[0][0]
    return result


def run(url: Secret, sql: str) -> None:
    """Execute statements that return no rows."""
    with psycopg.connect(url.reveal(), autocommit=True) as conn:
        conn.execute(sql)
