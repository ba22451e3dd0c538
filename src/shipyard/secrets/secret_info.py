"""What a store shows of its secrets (never values) and what a versioned store offers.

`SecretInfo` is what a listing shows: versions present, ages and keyed
fingerprints. `VersionedStore` is the interface the rotation pipeline uses;
the keyring store implements it, and the CI store too, read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal, Protocol

from shipyard.redaction import Secret
from shipyard.stamps import utc_now

Version = Literal["current", "previous", "pending"]
VERSIONS: tuple[Version, ...] = ("current", "previous", "pending")


@dataclass(frozen=True)
class VersionInfo:
    """One version of a secret as a listing shows it."""

    created: datetime | None
    fingerprint: str | None

    def age(self, now: datetime | None = None) -> timedelta | None:
        """How long ago this version was stored (None when unknown)."""
        if self.created is None:
            return None
        return (now or utc_now()) - self.created


@dataclass(frozen=True)
class SecretInfo:
    """A secret as `list()` shows it: versions present, ages, fingerprints.

    `versioned` is False for a value Shipyard did not write itself (an entry
    made by hand, or an environment variable): it has no history.
    """

    name: str
    created: datetime | None
    rotated_at: datetime | None
    versions: dict[str, VersionInfo]
    versioned: bool = True

    @property
    def present(self) -> tuple[str, ...]:
        """The versions this secret has, in the order current, previous, pending."""
        return tuple(version for version in VERSIONS if version in self.versions)

    @property
    def rotating(self) -> bool:
        """Whether a rotation has begun and is neither finished nor cancelled."""
        return "pending" in self.versions

    def age(self, now: datetime | None = None) -> timedelta | None:
        """How long the current value has been in use (None when unknown)."""
        current = self.versions.get("current")
        return current.age(now) if current else None


class VersionedStore(Protocol):
    """What a store with versions offers; the keyring store implements it."""

    def get(self, name: str) -> Secret | None: ...

    def get_version(self, name: str, version: Version) -> Secret | None: ...

    def set(self, name: str, value: Secret) -> None: ...

    def begin_rotation(self, name: str, pending: Secret) -> str: ...

    def finish_rotation(self, name: str, fingerprint: str | None = None) -> None: ...

    def reopen_rotation(self, name: str, fingerprint: str) -> bool: ...

    def cancel_rotation(self, name: str) -> bool: ...

    def list(self, names: tuple[str, ...] = ()) -> list[SecretInfo]: ...

    def fingerprint(self, value: Secret | str) -> str: ...
