"""The audit log: one line per change Shipyard makes to the outside world (a step
done or undone, a lock taken, released or broken), saying when, who, where, what."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from shipyard.paths import state_dir
from shipyard.records import append_line, one_line
from shipyard.redaction import redact
from shipyard.stamps import iso, utc_now, whoami


class AuditEntry(NamedTuple):
    """One line of the audit log."""

    when: str
    who: str
    env: str
    what: str


class AuditLog:
    """An append-only, tab-separated log at `.shipyard/audit.log`.

    Tab-separated text reads well with `tail` and still splits cleanly into
    fields; each line is forced to disk as it is written.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def for_project(cls, root: Path | None = None) -> AuditLog:
        """The audit log of the project at `root` (found from the cwd by default)."""
        return cls(state_dir(root) / "audit.log")

    def append(self, env: str, what: str, *, who: str | None = None) -> AuditEntry:
        """Record that `who` (this user@host by default) changed `what` in `env`."""
        entry = AuditEntry(iso(utc_now()), who or whoami(), env, redact(what))
        fields = [one_line(field.replace("\t", " ")) for field in entry]
        append_line(self.path, "\t".join(fields))
        return AuditEntry(*fields)

    def entries(self) -> list[AuditEntry]:
        """Every line of the log, oldest first."""
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        rows = [line.split("\t", 3) for line in lines]
        return [AuditEntry(*row) for row in rows if len(row) == 4]
