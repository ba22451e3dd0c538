"""What a configuration lint rule reports: a finding with file, key and the fix."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Level = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Finding:
    """One problem (or a check that could not be made, at level info).

    `file` is `path:line` where the value is set (or should be), `message`
    what is wrong, `fix` what to change.
    """

    rule: str
    level: Level
    file: str
    key: str
    message: str
    fix: str


def origin(url: str) -> str:
    """scheme://host[:port] of `url`, lower-cased, as browsers send Origin."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default = {"http": 80, "https": 443}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def truthy(raw: str | None) -> bool:
    """Whether a setting is on, read the way the example backend reads flags."""
    return (raw or "").strip().lower() in {"1", "true", "yes", "on"}
