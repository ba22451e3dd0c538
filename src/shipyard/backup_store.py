"""Where backups live in S3 (`backups/<env>/<id>.dump` and its metadata
`backups/<env>/<id>.json`) and what the metadata records. The metadata is
written after the dump and deleted before it, so a listed backup is whole."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.providers.s3 import (
    delete_key,
    get_json,
    is_precondition_failed,
    list_keys,
    put_json,
)
from shipyard.stamps import compact, iso, parse_iso, utc_now

PREFIX = "backups"
FORMAT = 1
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Verification:
    """The outcome of restoring a backup into a scratch database and comparing it."""

    at: datetime
    ok: bool
    detail: str
    by: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"at": iso(self.at), "ok": self.ok, "detail": self.detail, "by": self.by}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Verification:
        return cls(
            at=parse_iso(data["at"]),
            ok=bool(data["ok"]),
            detail=str(data.get("detail", "")),
            by=str(data.get("by", "")),
        )


@dataclass(frozen=True)
class Backup:
    """One stored backup, as its metadata describes it."""

    id: str
    env: str
    created_at: datetime
    size: int
    sha256: str
    database: str
    server_version: str
    client_version: str
    row_counts: dict[str, int] = field(default_factory=dict)
    release: dict[str, Any] | None = None
    sse: str | None = None
    verified: Verification | None = None

    @property
    def dump_key(self) -> str:
        return dump_key(self.env, self.id)

    @property
    def meta_key(self) -> str:
        return meta_key(self.env, self.id)

    @property
    def verified_ok(self) -> bool:
        return self.verified is not None and self.verified.ok

    def to_json(self) -> dict[str, Any]:
        """The metadata object's content."""
        return {
            "format": FORMAT,
            "id": self.id,
            "env": self.env,
            "created_at": iso(self.created_at),
            "dump_key": self.dump_key,
            "size": self.size,
            "sha256": self.sha256,
            "database": self.database,
            "server_version": self.server_version,
            "client_version": self.client_version,
            "row_counts": dict(sorted(self.row_counts.items())),
            "release": self.release,
            "sse": self.sse,
            "verified": self.verified.to_json() if self.verified else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Backup:
        verified = data.get("verified")
        return cls(
            id=str(data["id"]),
            env=str(data["env"]),
            created_at=parse_iso(data["created_at"]),
            size=int(data["size"]),
            sha256=str(data["sha256"]),
            database=str(data.get("database", "")),
            server_version=str(data.get("server_version", "")),
            client_version=str(data.get("client_version", "")),
            row_counts={k: int(v) for k, v in data.get("row_counts", {}).items()},
            release=data.get("release"),
            sse=data.get("sse"),
            verified=Verification.from_json(verified) if verified else None,
        )


def check_name(kind: str, value: str) -> str:
    """`value` when it is safe inside an S3 key; a ShipyardError otherwise."""
    if not _NAME_RE.match(value):
        raise ShipyardError(
            f"{kind} {value!r} may hold only letters, digits, '.', '_' and '-'"
        )
    return value


def now_ms() -> datetime:
    """The current UTC time to the millisecond: what the metadata keeps."""
    now = utc_now()
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def new_backup_id(now: datetime) -> str:
    """A sortable, unique id such as 20240131T120000Z-1a2b3c."""
    return f"{compact(now)}-{secrets.token_hex(3)}"


def dump_key(env: str, backup_id: str) -> str:
    return (
        f"{PREFIX}/{check_name('env', env)}/{check_name('backup id', backup_id)}.dump"
    )


def meta_key(env: str, backup_id: str) -> str:
    return (
        f"{PREFIX}/{check_name('env', env)}/{check_name('backup id', backup_id)}.json"
    )


def write_backup(
    s3: Any, bucket: str, backup: Backup, *, if_match: str | None = None
) -> str:
    """Write the metadata object (encrypted like the dump) and return its ETag."""
    return put_json(
        s3, bucket, backup.meta_key, backup.to_json(), sse=backup.sse, if_match=if_match
    )


def read_backup(s3: Any, bucket: str, env: str, backup_id: str) -> tuple[Backup, str]:
    """A backup's metadata and the metadata object's ETag."""
    found = get_json(s3, bucket, meta_key(env, backup_id))
    if found is None:
        raise ShipyardError(
            f"no backup {backup_id} for {env} in s3://{bucket}/{PREFIX}/{env}/; "
            "list them with `inv backup.list`"
        )
    data, etag = found
    return Backup.from_json(data), etag


def list_backups(s3: Any, bucket: str, env: str) -> list[Backup]:
    """Every listed backup of `env` (those whose metadata exists), newest first."""
    prefix = f"{PREFIX}/{check_name('env', env)}/"
    backups = []
    for key in list_keys(s3, bucket, prefix):
        if not key.endswith(".json"):
            continue
        try:
            found = get_json(s3, bucket, key)
            if found is not None:
                backups.append(Backup.from_json(found[0]))
        except (KeyError, TypeError, ValueError):
            console.warn(f"skipping s3://{bucket}/{key}: not readable backup metadata")
    backups.sort(key=lambda b: (b.created_at, b.id), reverse=True)
    return backups


def record_verification(
    s3: Any, bucket: str, env: str, backup_id: str, verification: Verification
) -> Backup:
    """Store a verification in the backup's metadata, unless it changed meanwhile."""
    backup, etag = read_backup(s3, bucket, env, backup_id)
    updated = replace(backup, verified=verification)
    try:
        write_backup(s3, bucket, updated, if_match=etag)
    except Exception as exc:
        if not is_precondition_failed(exc):
            raise
        raise ShipyardError(
            f"the metadata of backup {backup_id} changed while it was verified; "
            "run the verification again"
        ) from None
    return updated


def delete_backup(s3: Any, bucket: str, backup: Backup) -> None:
    """Delete a backup: metadata first, so it is never listed without its dump."""
    delete_key(s3, bucket, backup.meta_key)
    delete_key(s3, bucket, backup.dump_key)
