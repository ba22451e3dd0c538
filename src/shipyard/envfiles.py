"""Dotenv files read with the line of each key, and the env ladder with its origins.

Parity and lint point at the exact line a value came from, so a person can
go straight to what needs changing; `config.py` keeps only Shipyard's own
settings, while these readers keep every key an app may read.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.errors import ConfigError

# Keys outside settings.py that Shipyard itself reads from the ladder.
EXTRA_KEYS = (
    "BACKEND_URL",
    "BACKEND_PUBLIC_URL",
    "NETLIFY_SITE_PORT",
    "FRONTEND_URL",
    "NETLIFY_API_URL",
    "NETLIFY_SITE_ID",
    "NETLIFY_ACCOUNT",
    "GITHUB_API_URL",
    "GITHUB_REPOSITORY",
)


@dataclass(frozen=True)
class EnvValue:
    """One value of a key and where it was set (`env/prod.env:7`)."""

    value: str
    where: str


def relative(path: Path, root: Path) -> str:
    """`path` as shown to people: relative to the project root when inside it."""
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def read_env_lines(path: Path, root: Path) -> dict[str, EnvValue]:
    """Every key of dotenv file `path` with its value and `file:line`."""
    from dotenv import dotenv_values
    from dotenv.parser import parse_stream

    shown = relative(path, root)
    text = path.read_text(encoding="utf-8")
    lines: dict[str, int] = {}
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            raise ConfigError(
                f"{shown}:{binding.original.line}: cannot parse "
                f"{binding.original.string.strip()[:40]!r}: expected KEY=value"
            )
        if binding.key:
            lines[binding.key] = binding.original.line
    values = dotenv_values(stream=io.StringIO(text), interpolate=True)
    return {
        key: EnvValue(value or "", f"{shown}:{lines.get(key, 1)}")
        for key, value in values.items()
    }


def ladder(
    root: Path, env: str, defaults: dict[str, Any], known: set[str]
) -> dict[str, EnvValue]:
    """The env ladder of `env` for every key: defaults, env file, process env.

    The process environment only overrides keys the project knows (those in
    the lower layers, `known`, and Shipyard's extra keys), as config.py does.
    """
    merged = {
        key: EnvValue(_text(value), "shipyard.toml [defaults]")
        for key, value in defaults.items()
    }
    env_file = root / "env" / f"{env}.env"
    if env_file.is_file():
        merged.update(read_env_lines(env_file, root))
    for key in {*merged, *known, *EXTRA_KEYS}:
        if key in os.environ:
            merged[key] = EnvValue(os.environ[key], "process environment")
    return merged


def split_list(raw: str) -> list[str]:
    """A comma-separated setting (ALLOWED_HOSTS, CORS_ALLOWED_ORIGINS) as items."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
