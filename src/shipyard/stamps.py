"""UTC timestamps and the who-did-it label shared by the journal, lock, ledger and
audit log, so every record of Shipyard's state reads the same way."""

from __future__ import annotations

import getpass
import socket
from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current moment, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """`moment` as UTC ISO 8601 to the millisecond with a Z suffix, for records."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    """The moment an `iso()` string names, timezone-aware."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def compact(moment: datetime) -> str:
    """`moment` as 20240131T120000Z: sortable and safe in file names and ids."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def whoami() -> str:
    """user@host of the person (or CI runner) running Shipyard, for audit records."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
