"""PostgreSQL for backups: connection details, client tools, versions and row counts.

The password travels to pg_dump and pg_restore only through PGPASSWORD in
their environment, never in a process argument.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret

if TYPE_CHECKING:
    import psycopg

_DEBIAN_PG_LIB = Path("/usr/lib/postgresql")
_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?")
_TABLES_SQL = """
SELECT n.nspname, c.relname
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
  AND NOT EXISTS (
    SELECT 1 FROM pg_depend d
    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
ORDER BY 1, 2
"""


@dataclass(frozen=True, order=True)
class PgVersion:
    """A PostgreSQL release number; `major` decides dump compatibility."""

    major: int
    minor: int = 0

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True)
class PgTools:
    """Paths of the client programs Shipyard runs."""

    pg_dump: str
    pg_restore: str

    @classmethod
    def find(
        cls,
        bin_dir: str | Path | None = None,
        *,
        pg_dump: str | None = None,
        pg_restore: str | None = None,
    ) -> PgTools:
        """Locate the client programs: explicit path, else only `bin_dir` when
        given, else the newest Debian install under /usr/lib/postgresql, then PATH.

        The newest client is preferred because pg_dump reads older servers
        but not newer ones.
        """
        return cls(
            pg_dump=pg_dump or _find_program("pg_dump", bin_dir),
            pg_restore=pg_restore or _find_program("pg_restore", bin_dir),
        )


def configured_tools(config: Any) -> PgTools:
    """The client programs of an environment's configuration (PG_BIN_DIR, else
    the newest installed): the one lookup backups, restores and parity share."""
    return PgTools.find(config["PG_BIN_DIR"] or None)


def _find_program(name: str, bin_dir: str | Path | None) -> str:
    if bin_dir:
        program = Path(bin_dir) / name
        if not program.is_file():
            raise ShipyardError(
                f"no {name} in {bin_dir}: set PG_BIN_DIR to the folder of the "
                "PostgreSQL client programs, or leave it empty for the newest installed"
            )
        return str(program)
    folders: list[Path] = []
    if _DEBIAN_PG_LIB.is_dir():
        versions = [p for p in _DEBIAN_PG_LIB.iterdir() if p.name.isdigit()]
        versions.sort(key=lambda p: int(p.name), reverse=True)
        folders += [p / "bin" for p in versions]
    for folder in folders:
        if (folder / name).is_file():
            return str(folder / name)
    found = shutil.which(name)
    if not found:
        raise ShipyardError(
            f"{name} not found; install the PostgreSQL client (postgresql-client)"
        )
    return found


class Database:
    """Where a database is and how to log in, with the password kept apart.

    Built from a `postgresql://` URL or a `key=value` connection string;
    `conninfo()` is safe to put in a process argument because it never holds
    the password.
    """

    def __init__(self, params: dict[str, str], password: Secret | None) -> None:
        self._params = dict(params)
        self.password = password

    @classmethod
    def from_url(cls, url: Secret | str) -> Database:
        """Parse a connection URL; the password becomes a Secret of its own."""
        from psycopg import ProgrammingError
        from psycopg.conninfo import conninfo_to_dict

        raw = url.reveal() if isinstance(url, Secret) else url
        try:
            params = {k: str(v) for k, v in conninfo_to_dict(raw).items()}
        except ProgrammingError:
            raise ShipyardError(
                "the database URL is not a valid PostgreSQL connection string; "
                "expected postgresql://user:password@host:port/dbname"
            ) from None
        password = params.pop("password", None)
        return cls(params, Secret(password, "database password") if password else None)

    @property
    def name(self) -> str:
        return self._params.get("dbname", self._params.get("user", ""))

    @property
    def label(self) -> str:
        """user@host:port/dbname, for messages."""
        p = self._params
        return (
            f"{p.get('user', '')}@{p.get('host', 'localhost')}:"
            f"{p.get('port', '5432')}/{self.name}"
        )

    def conninfo(self) -> str:
        """A libpq connection string without the password."""
        from psycopg.conninfo import make_conninfo

        return make_conninfo(**self._params)

    def with_dbname(self, dbname: str) -> Database:
        """The same server and login, another database."""
        return Database({**self._params, "dbname": dbname}, self.password)

    def child_env(self) -> dict[str, str]:
        """Environment for a client program: ours, with PGPASSWORD set to ours."""
        env = {k: v for k, v in os.environ.items() if k != "PGPASSWORD"}
        if self.password:
            env["PGPASSWORD"] = self.password.reveal()
        return env

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """A psycopg connection; raises ShipyardError naming the server on failure."""
        import psycopg

        password = self.password.reveal() if self.password else None
        kwargs.setdefault(
            "connect_timeout", int(self._params.get("connect_timeout", 10))
        )
        try:
            return psycopg.connect(self.conninfo(), password=password, **kwargs)
        except psycopg.OperationalError as exc:
            reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
            raise ShipyardError(
                f"cannot connect to PostgreSQL at {self.label}: {reason}"
            ) from None


def server_version(db: Database) -> PgVersion:
    """The version of the server behind `db`."""
    with db.connect() as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    num = int(row[0]) if row else 0
    if num >= 100000:
        return PgVersion(num // 10000, num % 10000)
    return PgVersion(num // 10000, (num // 100) % 100)


def client_version(program: str) -> PgVersion:
    """The version a client program reports with `--version`."""
    try:
        out = subprocess.run(
            [program, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError as exc:
        raise ShipyardError(f"cannot run {program}: {exc.strerror}") from None
    match = _VERSION_RE.search(out.stdout)
    if out.returncode != 0 or not match:
        raise ShipyardError(f"{program} --version did not report a PostgreSQL version")
    return PgVersion(int(match.group(1)), int(match.group(2) or 0))


def count_rows(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row counts of every user table, keyed `schema.table`, in the
    connection's current transaction."""
    from psycopg import sql

    counts: dict[str, int] = {}
    for schema, table in conn.execute(_TABLES_SQL).fetchall():
        query = sql.SQL("SELECT count(*) FROM ONLY {}.{}").format(
            sql.Identifier(schema), sql.Identifier(table)
        )
        row = conn.execute(query).fetchone()
        counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


@dataclass(frozen=True)
class Snapshot:
    """An exported snapshot and the row counts seen in it."""

    id: str
    row_counts: dict[str, int]


@contextmanager
def exported_snapshot(db: Database) -> Iterator[Snapshot]:
    """Hold a REPEATABLE READ transaction open and export its snapshot, so a
    `pg_dump --snapshot` run sees exactly the rows counted here."""
    from psycopg import IsolationLevel

    with db.connect() as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        row = conn.execute("SELECT pg_export_snapshot()").fetchone()
        counts = count_rows(conn)
        try:
            yield Snapshot(id=str(row[0]) if row else "", row_counts=counts)
        finally:
            conn.rollback()


def table_row_counts(db: Database) -> dict[str, int]:
    """Row counts of every user table of `db`, in one consistent read."""
    from psycopg import IsolationLevel

    with db.connect() as conn:
        conn.isolation_level = IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        counts = count_rows(conn)
        conn.rollback()
    return counts


def create_database(server: Database, name: str) -> Database:
    """Create an empty database on the server of `server` and return it."""
    import psycopg
    from psycopg import sql

    with server.connect(autocommit=True) as conn:
        try:
            conn.execute(
                sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(
                    sql.Identifier(name)
                )
            )
        except psycopg.errors.InsufficientPrivilege:
            raise ShipyardError(
                f"{server.label} may not create a scratch database: grant its role "
                "CREATEDB, or name a database to restore into with --scratch-db"
            ) from None
    return server.with_dbname(name)


def drop_database(server: Database, name: str) -> None:
    """Drop a database, ending its sessions first where the server allows it."""
    from psycopg import sql

    force = (
        sql.SQL(" WITH (FORCE)") if server_version(server).major >= 13 else sql.SQL("")
    )
    with server.connect(autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {}{}").format(sql.Identifier(name), force)
        )
