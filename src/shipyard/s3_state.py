"""The team's shared state in S3: the environment lock and the release ledger,
following `shipyard.lock.LockStore` and `shipyard.ledger.Ledger` so they replace
the local files. The lock rests on S3's conditional writes, so one racer wins."""

from __future__ import annotations

import json
import secrets
from typing import Any

from shipyard.audit import AuditEntry, AuditLog
from shipyard.backup_store import check_name
from shipyard.ledger import Ledger, Release
from shipyard.lock import LockInfo, LockStore
from shipyard.providers.s3 import (
    delete_key,
    get_json,
    is_missing,
    is_precondition_failed,
    list_keys,
    put_json,
)
from shipyard.records import one_line, scrub
from shipyard.redaction import redact
from shipyard.stamps import iso, utc_now


def _stamp() -> str:
    """Now to the microsecond, sortable as text: orders records in a listing."""
    return f"{utc_now().strftime('%Y%m%dT%H%M%S%f')}Z-{secrets.token_hex(3)}"


def _join(prefix: str, *parts: str) -> str:
    return "/".join(part for part in (prefix.strip("/"), *parts) if part)


class S3LockStore(LockStore):
    """Locks as `<prefix>/locks/<env>.json` objects, created only when absent and
    deleted only in the version that was read; lock events are also written
    as shared audit records under `<prefix>/audit/<env>/`."""

    def __init__(
        self, s3: Any, bucket: str, prefix: str = "", audit: AuditLog | None = None
    ) -> None:
        super().__init__(audit)
        self.s3, self.bucket, self.prefix = s3, bucket, prefix

    def _key(self, env: str) -> str:
        return _join(self.prefix, "locks", f"{env}.json")

    def _create(self, info: LockInfo) -> bool:
        try:
            put_json(
                self.s3,
                self.bucket,
                self._key(info.env),
                info.to_dict(),
                if_none_match=True,
            )
        except Exception as exc:
            if is_precondition_failed(exc):
                return False
            raise
        # Read back: a store that applied two racing creates one after the
        # other leaves only the later one, whose writer alone may hold the lock.
        found = self._get(info.env)
        return found is not None and found[0].token == info.token

    def _read(self, env: str) -> LockInfo | None:
        found = self._get(env)
        return found[0] if found else None

    def _delete(self, env: str, token: str | None) -> LockInfo | None:
        found = self._get(env)
        if found is None:
            return None
        current, etag = found
        if token is not None and current.token != token:
            return None
        try:
            delete_key(self.s3, self.bucket, self._key(env), if_match=etag)
        except Exception as exc:
            if is_precondition_failed(exc) or is_missing(exc):
                return None
            raise
        return current

    def _get(self, env: str) -> tuple[LockInfo, str] | None:
        try:
            found = get_json(self.s3, self.bucket, self._key(env))
        except json.JSONDecodeError:
            unreadable = f"unreadable lock object s3://{self.bucket}/{self._key(env)}"
            return LockInfo(
                env, f"unknown ({unreadable})", "?", unreadable, "?", ""
            ), ""
        if found is None:
            return None
        data, etag = found
        return LockInfo.from_dict(data), etag

    def _audit(self, env: str, what: str, who: str) -> None:
        super()._audit(env, what, who)
        record = {"when": iso(utc_now()), "who": who, "env": env, "what": what}
        key = _join(self.prefix, "audit", env, f"{_stamp()}.json")
        put_json(self.s3, self.bucket, key, scrub(record))

    def audit_entries(self, env: str) -> list[AuditEntry]:
        """The shared audit records of `env`'s lock, oldest first."""
        entries = []
        for key in sorted(
            list_keys(self.s3, self.bucket, _join(self.prefix, "audit", env) + "/")
        ):
            found = get_json(self.s3, self.bucket, key)
            if found is not None:
                data = found[0]
                entries.append(
                    AuditEntry(
                        data["when"],
                        data["who"],
                        data["env"],
                        redact(one_line(data["what"])),
                    )
                )
        return entries


class S3Ledger(Ledger):
    """The ledger as one JSON object per record under `<prefix>/ledger/<env>/`,
    named by the time it was written, never overwritten (secrets masked)."""

    def __init__(self, s3: Any, bucket: str, prefix: str = "") -> None:
        self.s3, self.bucket, self.prefix = s3, bucket, prefix

    def _folder(self, env: str) -> str:
        return _join(self.prefix, "ledger", check_name("environment", env)) + "/"

    def _append(self, release: Release) -> None:
        name = check_name("release id", release.id)
        key = f"{self._folder(release.env)}{_stamp()}-{name}.json"
        put_json(
            self.s3, self.bucket, key, scrub(release.to_dict()), if_none_match=True
        )

    def _records(self, env: str) -> list[dict[str, Any]]:
        records = []
        for key in sorted(list_keys(self.s3, self.bucket, self._folder(env))):
            found = get_json(self.s3, self.bucket, key)
            if found is not None:
                records.append(found[0])
        return records
