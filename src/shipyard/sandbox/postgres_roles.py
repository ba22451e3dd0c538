"""SQL that gives an app its own PostgreSQL role and database, with a password.

Only a SCRAM-SHA-256 verifier of the password is sent to the server, as
psql's \\password does, so the value itself never reaches its logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRAM_ITERATIONS = 4096


def role_and_database_sql(database: str, user: str, password: str) -> str:
    """psql input that makes `user` log in with `password` and own `database`.

    The role may create databases, so `inv backup.verify` can restore into a
    scratch database of its own.

    Safe to run again: a role or database that exists is kept, and the
    password is set anew. It goes to psql's stdin, never its arguments.
    """
    role, name = _literal(user), _literal(database)
    return (
        f"SELECT format('CREATE ROLE %I', {role}) WHERE NOT EXISTS "
        f"(SELECT FROM pg_roles WHERE rolname = {role})\\gexec\n"
        f"ALTER ROLE {_identifier(user)} WITH LOGIN CREATEDB "
        f"PASSWORD {_literal(_scram_verifier(password))};\n"
        f"SELECT format('CREATE DATABASE %I OWNER %I', {name}, {role}) "
        f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = {name})\\gexec\n"
    )


def _scram_verifier(password: str) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores, made here (RFC 5802/7677)."""
    salt = secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return (
        f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}"
        f"${b64(stored_key)}:{b64(server_key)}"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'
