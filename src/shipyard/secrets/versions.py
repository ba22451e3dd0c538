"""The versions of a secret (current, previous, pending) and how each change moves them.

Everything here is pure data: a store reads a SecretRecord, asks one of the
`plan_*` functions what the next record is and which value to write first,
and carries the plan out in its own crash-safe order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.secret_info import VERSIONS, SecretInfo, Version, VersionInfo
from shipyard.stamps import iso, parse_iso, utc_now

FORMAT = 1
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class StoredVersion:
    """Where one version's value is kept, and what is known about it."""

    entry: str
    created: datetime | None
    fingerprint: str


@dataclass(frozen=True)
class SecretRecord:
    """The metadata of one secret: which entry holds which version.

    `retired` lists entries the record no longer points to, still to be
    deleted; `next_generation` numbers the next fresh entry, so a value is
    never written over an entry the record points to.
    """

    name: str
    created: datetime | None
    rotated_at: datetime | None
    next_generation: int
    versions: dict[str, StoredVersion] = field(default_factory=dict)
    retired: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The record as JSON data (no values: entries and fingerprints only)."""
        return {
            "format": FORMAT,
            "name": self.name,
            "created": _iso_or_none(self.created),
            "rotated_at": _iso_or_none(self.rotated_at),
            "next_generation": self.next_generation,
            "versions": {
                version: {
                    "entry": stored.entry,
                    "created": _iso_or_none(stored.created),
                    "fingerprint": stored.fingerprint,
                }
                for version, stored in self.versions.items()
            },
            "retired": list(self.retired),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SecretRecord:
        """The record kept as JSON by `to_json`."""
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown metadata format {data.get('format')!r}")
        return cls(
            name=data["name"],
            created=_parse_or_none(data.get("created")),
            rotated_at=_parse_or_none(data.get("rotated_at")),
            next_generation=int(data["next_generation"]),
            versions={
                version: StoredVersion(
                    entry=stored["entry"],
                    created=_parse_or_none(stored.get("created")),
                    fingerprint=stored["fingerprint"],
                )
                for version, stored in data.get("versions", {}).items()
                if version in VERSIONS
            },
            retired=tuple(data.get("retired", ())),
        )


@dataclass(frozen=True)
class Plan:
    """One change: the value to write to `entry` first, then the record to commit."""

    record: SecretRecord
    entry: str | None = None
    value: Secret | None = None


def check_name(name: str) -> str:
    """`name` when it is a valid secret name, else a ShipyardError naming it."""
    if not _NAME.fullmatch(name):
        raise ShipyardError(
            f"secret name {name!r} is not valid: use letters, digits and "
            "underscores, not starting with a digit"
        )
    return name


def check_version(version: str) -> Version:
    """`version` when it is one of current, previous, pending."""
    if version not in VERSIONS:
        raise ShipyardError(
            f"unknown secret version {version!r}: use current, previous or pending"
        )
    return version  # type: ignore[return-value]


def adopted(name: str, entry: str, fingerprint: str) -> SecretRecord:
    """A record for a value found in an entry Shipyard did not write itself."""
    current = StoredVersion(entry=entry, created=None, fingerprint=fingerprint)
    return SecretRecord(
        name=name,
        created=None,
        rotated_at=None,
        next_generation=1,
        versions={"current": current},
    )


def plan_set(
    record: SecretRecord | None, name: str, value: Secret, fingerprint: str
) -> Plan | None:
    """A new value: it becomes current, current becomes previous.

    None when `value` already is the current value, so setting it twice keeps
    the previous value instead of pushing it out.
    """
    now = utc_now()
    if record is not None and "pending" in record.versions:
        raise ShipyardError(
            f"secret {name} is being rotated: finish or cancel that rotation "
            "before setting a new value"
        )
    base = record or SecretRecord(name, now, None, 1)
    old_current = base.versions.get("current")
    if old_current is not None and old_current.fingerprint == fingerprint:
        return None
    entry = entry_name(name, base.next_generation)
    fresh = StoredVersion(entry=entry, created=now, fingerprint=fingerprint)
    versions = {"current": fresh}
    retired = list(base.retired)
    if old_current is not None:
        versions["previous"] = old_current
    if "previous" in base.versions:
        retired.append(base.versions["previous"].entry)
    committed = replace(
        base,
        created=base.created or now,
        rotated_at=now if old_current is not None else base.rotated_at,
        next_generation=base.next_generation + 1,
        versions=versions,
        retired=tuple(retired),
    )
    return Plan(committed, entry, value)


def plan_begin(
    record: SecretRecord | None, name: str, pending: Secret, fingerprint: str
) -> Plan | None:
    """A pending value beside current; None when that same value is already pending."""
    if record is None or "current" not in record.versions:
        raise ShipyardError(
            f"secret {name} has no current value to rotate: set it first with "
            f"`inv secrets.set {name}`"
        )
    waiting = record.versions.get("pending")
    if waiting is not None:
        if waiting.fingerprint == fingerprint:
            return None
        raise ShipyardError(
            f"secret {name} already has a pending value: finish or cancel that "
            "rotation before starting another"
        )
    entry = entry_name(name, record.next_generation)
    stored = StoredVersion(entry=entry, created=utc_now(), fingerprint=fingerprint)
    committed = replace(
        record,
        next_generation=record.next_generation + 1,
        versions={**record.versions, "pending": stored},
    )
    return Plan(committed, entry, pending)


def plan_finish(
    record: SecretRecord | None, name: str, fingerprint: str | None = None
) -> Plan | None:
    """Pending becomes current, current becomes previous, the old previous goes.

    None when nothing is pending but current has `fingerprint`: that rotation
    already finished, so finishing it again is harmless.
    """
    if record is None or "pending" not in record.versions:
        current = record.versions.get("current") if record else None
        if fingerprint and current and current.fingerprint == fingerprint:
            return None
        raise ShipyardError(f"secret {name} has no pending rotation to finish")
    versions = {"current": record.versions["pending"]}
    retired = list(record.retired)
    if "current" in record.versions:
        versions["previous"] = record.versions["current"]
    if "previous" in record.versions:
        retired.append(record.versions["previous"].entry)
    committed = replace(
        record, rotated_at=utc_now(), versions=versions, retired=tuple(retired)
    )
    return Plan(committed)


def plan_reopen(
    record: SecretRecord | None, name: str, fingerprint: str
) -> Plan | None:
    """A finished rotation made pending again: previous back to current.

    For a rotation that must be undone after its finish step moved some
    values: the value with `fingerprint` goes back to pending, where a
    cancel drops it. None when that value is not current (nothing to reopen).
    """
    if record is None or "pending" in record.versions:
        return None
    current = record.versions.get("current")
    if current is None or current.fingerprint != fingerprint:
        return None
    previous = record.versions.get("previous")
    if previous is None:
        raise ShipyardError(
            f"secret {name} has no previous value to go back to: set it by hand "
            f"with `inv secrets.set {name}`"
        )
    versions = {"current": previous, "pending": current}
    return Plan(replace(record, rotated_at=previous.created, versions=versions))


def plan_cancel(record: SecretRecord | None) -> Plan | None:
    """The pending value dropped, current untouched; None when nothing is pending."""
    if record is None or "pending" not in record.versions:
        return None
    versions = {k: v for k, v in record.versions.items() if k != "pending"}
    retired = (*record.retired, record.versions["pending"].entry)
    return Plan(replace(record, versions=versions, retired=retired))


def plan_delete(record: SecretRecord) -> Plan:
    """Every version dropped: the record keeps only the entries left to delete."""
    entries = tuple(stored.entry for stored in record.versions.values())
    return Plan(replace(record, versions={}, retired=(*record.retired, *entries)))


def info(record: SecretRecord) -> SecretInfo:
    """What a listing shows of `record`."""
    return SecretInfo(
        name=record.name,
        created=record.created,
        rotated_at=record.rotated_at,
        versions={
            version: VersionInfo(stored.created, stored.fingerprint)
            for version, stored in record.versions.items()
        },
    )


def entry_name(name: str, generation: int) -> str:
    """The keyring user name of one stored value of `name`."""
    return f"{name}@v{generation}"


def _iso_or_none(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def _parse_or_none(text: str | None) -> datetime | None:
    return parse_iso(text) if text else None
