"""The environment lock: one run at a time per environment, naming who holds it,
since when and why. Stores only need create-if-absent, read and delete, so a
shared store (S3 with conditional writes) can stand in for the local files."""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from shipyard.audit import AuditLog
from shipyard.errors import LockHeld, ShipyardError
from shipyard.paths import state_dir
from shipyard.redaction import redact
from shipyard.stamps import iso, parse_iso, utc_now, whoami

DEFAULT_TTL_SECONDS = 3600.0
_ENV_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def default_holder() -> str:
    """user@host pid N of this process: enough for a person to find the run."""
    return f"{whoami()} pid {os.getpid()}"


@dataclass(frozen=True)
class LockInfo:
    """Who holds an environment's lock, since when, why, and until when."""

    env: str
    holder: str
    since: str
    reason: str
    expires: str
    token: str

    @property
    def stale(self) -> bool:
        """Past its expiry: its run probably died, but only --force removes it."""
        try:
            return parse_iso(self.expires) <= utc_now()
        except ValueError:
            return True

    def describe(self) -> str:
        """One line for people, without the token."""
        state = f"stale since {self.expires}" if self.stale else f"until {self.expires}"
        return f"held by {self.holder} since {self.since} ({self.reason}), {state}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LockInfo:
        return cls(**{key: str(data.get(key, "")) for key in cls.__dataclass_fields__})


class LockStore(ABC):
    """Environment locks, whatever holds them.

    Subclasses supply three storage primitives; the rules (who may release,
    what counts as stale, the audit lines) live here, the same for every store.
    """

    def __init__(self, audit: AuditLog | None = None) -> None:
        self.audit = audit

    @abstractmethod
    def _create(self, info: LockInfo) -> bool:
        """Store `info` only if `info.env` has no lock; whether it was stored."""

    @abstractmethod
    def _read(self, env: str) -> LockInfo | None:
        """The lock `env` has now, or None."""

    @abstractmethod
    def _delete(self, env: str, token: str | None) -> LockInfo | None:
        """Remove `env`'s lock if its token is `token` (any lock when None).

        Returns the lock removed, or None when there was none or it was not
        the expected one.
        """

    def acquire(
        self,
        env: str,
        holder: str | None,
        reason: str,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
    ) -> LockInfo:
        """Take `env`'s lock for `ttl_seconds`, or raise LockHeld naming its holder."""
        _check_env(env)
        now = utc_now()
        info = LockInfo(
            env=env,
            holder=holder or default_holder(),
            since=iso(now),
            reason=redact(reason),
            expires=iso(now + timedelta(seconds=ttl_seconds)),
            token=secrets.token_hex(16),
        )
        for _ in range(5):
            if self._create(info):
                what = f"lock taken by {info.holder} ({info.reason})"
                self._audit(env, what, info.holder)
                return info
            current = self._read(env)
            if current is not None:
                raise LockHeld(_held_message(current))
        raise ShipyardError(f"the lock on {env} keeps changing hands; try again")

    def release(self, env: str, token: str) -> None:
        """Give back a lock taken with `acquire`; refuse if it is no longer ours."""
        _check_env(env)
        removed = self._delete(env, token)
        if removed is not None:
            self._audit(env, f"lock released by {removed.holder}", removed.holder)
            return
        current = self._read(env)
        if current is not None:
            raise ShipyardError(
                f"the lock on {env} is no longer this run's: it was broken, and is "
                f"now {current.describe()}"
            )

    def status(self, env: str) -> LockInfo | None:
        """The lock on `env` now (check `.stale`), or None when it is free."""
        _check_env(env)
        return self._read(env)

    def break_lock(self, env: str, by: str | None = None) -> LockInfo | None:
        """Remove `env`'s lock whoever holds it (--force); the lock broken, if any.

        The audit log records who broke it and what it was.
        """
        _check_env(env)
        removed = self._delete(env, None)
        if removed is not None:
            who = by or default_holder()
            self._audit(env, f"lock broken by {who}; it was {removed.describe()}", who)
        return removed

    def _audit(self, env: str, what: str, who: str) -> None:
        if self.audit is not None:
            self.audit.append(env, what, who=who)


class FileLockStore(LockStore):
    """Locks as `<dir>/<env>.json` files, created with O_CREAT|O_EXCL so that of
    several processes racing for a lock exactly one wins."""

    def __init__(self, directory: Path, audit: AuditLog | None = None) -> None:
        super().__init__(audit)
        self.directory = directory

    @classmethod
    def for_project(cls, root: Path | None = None) -> FileLockStore:
        """The locks of the project at `root`, auditing to its audit log."""
        state = state_dir(root)
        return cls(state / "locks", AuditLog(state / "audit.log"))

    def _path(self, env: str) -> Path:
        return self.directory / f"{env}.json"

    def _create(self, info: LockInfo) -> bool:
        self.directory.mkdir(parents=True, exist_ok=True)
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
            fd = os.open(self._path(info.env), flags, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, json.dumps(info.to_dict(), indent=2).encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return True

    def _read(self, env: str) -> LockInfo | None:
        return _read_lock_file(self._path(env), env)

    def _delete(self, env: str, token: str | None) -> LockInfo | None:
        path = self._path(env)
        current = _read_lock_file(path, env)
        if current is None or (token is not None and current.token != token):
            return None
        claimed = path.with_name(f"{path.name}.{secrets.token_hex(4)}.removing")
        try:
            os.rename(path, claimed)
        except FileNotFoundError:
            return None
        removed = _read_lock_file(claimed, env)
        if token is not None and (removed is None or removed.token != token):
            _put_back(claimed, path)
            return None
        claimed.unlink()
        return removed or current


def _read_lock_file(path: Path, env: str) -> LockInfo | None:
    """The lock in `path`; waits briefly for a lock that is still being written."""
    for _ in range(40):
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            return LockInfo.from_dict(json.loads(text))
        except (json.JSONDecodeError, TypeError, AttributeError):
            time.sleep(0.025)
    unreadable = "unreadable lock file"
    return LockInfo(env, f"unknown ({unreadable} {path})", "?", unreadable, "?", "")


def _put_back(claimed: Path, path: Path) -> None:
    """Return a lock removed by mistake, unless a new one has appeared meanwhile."""
    with suppress(FileExistsError):
        os.link(claimed, path)
    claimed.unlink()


@contextmanager
def held(
    store: LockStore,
    env: str,
    reason: str,
    *,
    ttl_seconds: float = DEFAULT_TTL_SECONDS,
    holder: str | None = None,
) -> Iterator[LockInfo]:
    """Hold `env`'s lock for the length of a `with` block, releasing it however
    the block ends."""
    info = store.acquire(env, holder, reason, ttl_seconds)
    try:
        yield info
    finally:
        store.release(env, info.token)


def _held_message(current: LockInfo) -> str:
    """The one-line LockHeld message: holder, since when, why, and the way out."""
    force = f"inv lock.release --env={current.env} --force"
    if current.stale:
        return (
            f"{current.env} has a stale lock {current.describe()}; if that run is "
            f"gone, break it with `{force}`"
        )
    return (
        f"{current.env} is locked: {current.describe()}; wait for it to finish, "
        f"or break it with `{force}`"
    )


def _check_env(env: str) -> None:
    if not _ENV_NAME.match(env):
        raise ShipyardError(
            f"environment name {env!r} may use only letters, digits, '.', '_' and '-'"
        )
