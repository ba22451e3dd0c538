"""Append-only JSON-lines files forced to disk record by record, with every known
secret masked before it is written; the journal, ledger and audit log use them."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.redaction import MASK, Secret, redact
from shipyard.stamps import iso


def scrub(value: Any) -> Any:
    """`value` as plain JSON data with every Secret and known secret value masked.

    Records outlive the process, so nothing secret may reach them even when a
    step hands back a Secret or a string with a password inside it.
    """
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, dict):
        return {redact(str(key)): scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [scrub(item) for item in value]
    return redact(str(value))


def one_line(text: str) -> str:
    """`text` folded onto a single line, for line-oriented records."""
    return " ".join(text.split())


def append_line(path: Path, line: str) -> None:
    """Append one line to `path` and force it to disk before returning.

    A process killed right after this call still leaves the line readable.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    created = not path.exists()
    data = (line.replace("\n", " ") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        _sync_folder(path.parent)


def append_json(path: Path, record: dict[str, Any]) -> None:
    """Append `record` as one JSON line; callers `scrub` whatever is free text.

    Identifiers (env, run id, step names) are written as they are, so that a
    weak secret that happens to equal one cannot make the record unreadable.
    """
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)
    append_line(path, line)


def read_json_lines(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON-lines file, oldest first ([] when it does not exist).

    A torn last line, left by a writer killed mid-write, is ignored; a broken
    line anywhere else is damage a person must look at.
    """
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()
    records = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            if number == len(lines):
                break
            raise ShipyardError(
                f"{path} line {number} is not valid JSON; repair or remove that line"
            ) from None
    return records


def _sync_folder(folder: Path) -> None:
    """Force a new file's directory entry to disk, so the file survives a crash."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
