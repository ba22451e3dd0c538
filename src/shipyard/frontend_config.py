"""The `[frontend]` table of shipyard.toml: where the Next.js app lives, how it is
built, which Netlify site it goes to and which NEXT_PUBLIC_ values it is given."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard.errors import ConfigError

# Shipyard sets this one itself: the backend URL of the environment released.
API_URL_KEY = "NEXT_PUBLIC_API_URL"
PUBLIC_PREFIX = "NEXT_PUBLIC_"


@dataclass(frozen=True)
class Frontend:
    """The static frontend: how to build it and which Netlify site serves it."""

    folder: Path
    build_command: str
    publish: str
    netlify_site: str
    env_keys: tuple[str, ...]
    smoke_text: str
    api_path: str

    @property
    def publish_folder(self) -> Path:
        """The folder the build writes and Netlify serves (`out` for Next.js)."""
        return self.folder / self.publish

    def describe(self, root: Path) -> dict[str, Any]:
        """The frontend as plain data, for `inv config --json`."""
        return {
            "folder": str(self.folder.relative_to(root)),
            "build_command": self.build_command,
            "publish": self.publish,
            "netlify_site": self.netlify_site,
            "env": list(self.env_keys),
            "smoke_text": self.smoke_text,
            "api_path": self.api_path,
        }


def parse_frontend(document: dict[str, Any], root: Path, path: Path) -> Frontend | None:
    """The `[frontend]` table as a Frontend, or None when the project has none.

    The folder must exist, as the backend's build context must.
    """
    table = document.get("frontend")
    if table is None:
        return None
    if not isinstance(table, dict):
        raise ConfigError(f"{path.name}: [frontend] must be a table")
    keys = _strings(table, "env", path)
    for key in keys:
        if not key.startswith(PUBLIC_PREFIX):
            raise ConfigError(f"{path.name}: [frontend] env lists {key}: only "
                              f"{PUBLIC_PREFIX}* values reach the browser; rename it")
        if key == API_URL_KEY:
            raise ConfigError(f"{path.name}: [frontend] env lists {API_URL_KEY}, "
                              "which Shipyard sets to the backend's URL; remove it")
    api_path = _text(table, "api_path", path, "/api/info/")
    folder = root / _text(table, "folder", path)
    if not folder.is_dir():
        raise ConfigError(f"{path.name}: [frontend] folder {folder.name!r} is not a "
                          "folder of this project")
    return Frontend(
        folder=folder,
        build_command=_text(table, "build_command", path, "npm run build"),
        publish=_text(table, "publish", path, "out"),
        netlify_site=_text(table, "netlify_site", path),
        env_keys=keys,
        smoke_text=_text(table, "smoke_text", path, ""),
        api_path=api_path if api_path.startswith("/") else f"/{api_path}",
    )


def _text(table: dict, key: str, path: Path, default: str | None = None) -> str:
    value = table.get(key, default)
    if value is None:
        raise ConfigError(f"{path.name}: [frontend] {key} is missing")
    if not isinstance(value, str):
        raise ConfigError(f"{path.name}: [frontend] {key} must be str, "
                          f"got {type(value).__name__}")
    return value


def _strings(table: dict, key: str, path: Path) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path.name}: [frontend] {key} must be a list of names")
    return tuple(value)
