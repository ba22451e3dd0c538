"""PostgreSQL parity: local server against the environment's, pg_dump against both.

pg_dump reads servers of its own major version and older, never newer, so a
local pg_dump older than a server means backups of that server fail.
"""

from __future__ import annotations

from typing import Any

from shipyard.errors import ShipyardError
from shipyard.parity_model import RuntimeCheck, Side
from shipyard.redaction import Secret
from shipyard.stack import Stack

CONNECT_TIMEOUT = 3
DATABASE_URL = "DATABASE_URL"


def server_version(url: Secret | str) -> tuple[int, int] | str:
    """(major, minor) of the server behind `url`, or why it could not be read."""
    try:
        from shipyard.providers.postgres import Database
    except ImportError:
        return "the PostgreSQL provider is not available"
    try:
        database = Database.from_url(url)
        with database.connect(connect_timeout=CONNECT_TIMEOUT) as conn:
            row = conn.execute("SHOW server_version_num").fetchone()
    except ImportError:
        return "psycopg is not installed"
    except ShipyardError as problem:
        return " ".join(str(problem).split())
    number = int(row[0]) if row else 0
    return number // 10000, number % 10000


def pg_dump_version(config: Any) -> tuple[tuple[int, int], str] | str:
    """(major, minor) of the pg_dump backups of `config` run, and its path; or why
    it is not known."""
    try:
        from shipyard.providers.postgres import client_version, configured_tools

        program = configured_tools(config).pg_dump
        version = client_version(program)
    except ImportError:
        return "the PostgreSQL provider is not available"
    except ShipyardError as problem:
        return str(problem)
    return (version.major, version.minor), program


def env_database_url(stack: Stack, store: Any) -> Secret | str:
    """The environment's DATABASE_URL from the secret store, or why it is not there."""
    item = stack.manifest.app_keys().get(DATABASE_URL)
    name = item.name if item else DATABASE_URL
    try:
        value = store.get(name)
    except ShipyardError as problem:
        return f"cannot read {name}: {problem}"
    return value if value is not None else f"no {name} in the secret store"


def postgres_checks(
    stack: Stack, store: Any, local_url: Secret | str | None, *, live: bool
) -> list[RuntimeCheck]:
    """Server majors local against the environment's, and pg_dump against both."""
    local = _server("local", local_url, "no DATABASE_URL in the local env file")
    if live:
        found = env_database_url(stack, store)
        remote = _server(
            stack.env,
            found if isinstance(found, Secret) else None,
            found if isinstance(found, str) else "",
        )
    else:
        remote = (Side(stack.env, "?"), "not read: live checks are off")
    checks = [_compare_servers(local, remote)]
    dump = pg_dump_version(stack.config)
    if isinstance(dump, str):
        ours = Side("pg_dump", "?")
        return [
            *checks,
            RuntimeCheck("pg_dump", ours, Side("-", "?"), "not checked", hint=dump),
        ]
    (major, minor), program = dump
    ours = Side(f"pg_dump ({program})", f"{major}.{minor}")
    for side, version in (local, remote):
        checks.append(_dump_against(ours, major, side, version))
    return checks


Server = tuple[Side, tuple[int, int] | str]


def _server(label: str, url: Secret | str | None, missing: str) -> Server:
    if url is None:
        return Side(f"{label} server", "?"), missing
    version = server_version(url)
    if isinstance(version, str):
        return Side(f"{label} server", "?"), version
    return Side(f"{label} server (DATABASE_URL)", f"{version[0]}.{version[1]}"), version


def _compare_servers(local: Server, remote: Server) -> RuntimeCheck:
    (ours, mine), (theirs, other) = local, remote
    name = "PostgreSQL server"
    if isinstance(mine, str) or isinstance(other, str):
        why = mine if isinstance(mine, str) else other
        return RuntimeCheck(name, ours, theirs, "not checked", hint=str(why))
    if mine[0] == other[0]:
        return RuntimeCheck(name, ours, theirs, "same")
    return RuntimeCheck(
        name,
        ours,
        theirs,
        "differs",
        drift=True,
        hint=f"develop against PostgreSQL {other[0]}, the version {theirs.where} runs",
    )


def _dump_against(
    ours: Side, major: int, theirs: Side, version: tuple[int, int] | str
) -> RuntimeCheck:
    name = f"pg_dump vs {theirs.where.split(' ')[0]} server"
    if isinstance(version, str):
        return RuntimeCheck(name, ours, theirs, "not checked", hint=version)
    if major == version[0]:
        return RuntimeCheck(name, ours, theirs, "same")
    if major > version[0]:
        return RuntimeCheck(name, ours, theirs, "compatible")
    return RuntimeCheck(
        name,
        ours,
        theirs,
        "differs",
        drift=True,
        hint=f"pg_dump {major} cannot dump a PostgreSQL {version[0]} server: install "
        f"postgresql-client-{version[0]}",
    )
