"""PostgreSQL role passwords for rotation: change one, try a login, rewrite a URL.

A new password reaches the server only as a SCRAM-SHA-256 verifier made on
this machine (as psql's \\password does), so the value never appears in a
statement the server could log; logins go through psycopg, never a child
process, so no password reaches a process argument.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret


def url_user(url: Secret) -> str:
    """The user name a postgresql:// URL logs in as."""
    user = urlsplit(url.reveal()).username
    if not user:
        raise ShipyardError("the database URL names no user: expected "
                            "postgresql://user:password@host:port/dbname")
    return unquote(user)


def url_with(url: Secret, user: str, password: Secret, name: str) -> Secret:
    """`url` logging in as `user` with `password`; host, port, database kept."""
    parts = urlsplit(url.reveal())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    login = f"{quote(user, safe='')}:{quote(password.reveal(), safe='')}"
    rebuilt = urlunsplit(
        (parts.scheme, f"{login}@{host}{port}", parts.path, parts.query, "")
    )
    return Secret(rebuilt, name)


def can_login(url: Secret) -> str | None:
    """None when `url` logs in and runs a query; else why not, in one line."""
    from shipyard.providers.postgres import Database

    try:
        with Database.from_url(url).connect(connect_timeout=5) as connection:
            connection.execute("SELECT 1").fetchone()
    except ShipyardError as problem:
        return str(problem)
    return None


def set_password(login: Secret, role: str, password: Secret) -> None:
    """ALTER ROLE `role` to `password`, logged in with the URL `login`.

    `login` may be the role itself (a role may always change its own
    password) or a role allowed to alter it.
    """
    from psycopg import sql

    from shipyard.providers.postgres import Database
    from shipyard.sandbox.postgres_roles import _scram_verifier

    statement = sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
        sql.Identifier(role), sql.Literal(_scram_verifier(password.reveal()))
    )
    database = Database.from_url(login)
    try:
        with database.connect(connect_timeout=5, autocommit=True) as connection:
            connection.execute(statement)
    except ShipyardError:
        raise
    except Exception as problem:  # noqa: BLE001 - psycopg's errors are many
        reason = str(problem).strip().splitlines()[0] if str(problem).strip() else ""
        raise ShipyardError(
            f"could not change the password of role {role} as "
            f"{database.label}: {reason or type(problem).__name__}"
        ) from None
