"""One environment of the whole stack as parity and lint read it.

Beside the validated Config this keeps what those checks also need: every
key of the env ladder with the line it came from, the secrets manifest, the
frontend (`[frontend]`: folder, publish, netlify_site, env, url), the
GitHub repository (`[github] repository` or GITHUB_REPOSITORY) and the
`[parity] ignore` patterns. The backend's public URL is BACKEND_PUBLIC_URL
(or BACKEND_URL, or `[backend] url`); the frontend's origin is FRONTEND_URL,
`[frontend] url`, the Netlify stand-in's loopback port in the sandbox, or
`https://<site name>.netlify.app`.
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shipyard import settings
from shipyard.config import Config
from shipyard.envfiles import EXTRA_KEYS, EnvValue, ladder
from shipyard.errors import ConfigError
from shipyard.manifest_view import Manifest, read_manifest

PRODUCTION_NAMES = ("prod", "production")
TOML = "shipyard.toml"
BACKEND_URL_KEYS = ("BACKEND_PUBLIC_URL", "BACKEND_URL")
_SITE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*")
_LOOPBACK_API = re.compile(r"^https?://(127\.0\.0\.1|localhost)[:/]")


@dataclass(frozen=True)
class Frontend:
    """The Next.js frontend: its folder, publish folder and Netlify site."""

    context: Path
    publish: Path
    site: str
    env_keys: tuple[str, ...]
    url: str = ""


@dataclass(frozen=True)
class Stack:
    """Config plus the ladder's origins, the manifest and the frontend."""

    config: Config
    document: dict[str, Any]
    values: dict[str, EnvValue]
    manifest: Manifest
    frontend: Frontend | None
    ignore: tuple[str, ...]
    production: bool

    @property
    def root(self) -> Path:
        return self.config.root

    @property
    def env(self) -> str:
        return self.config.env

    def value(self, key: str) -> str | None:
        """The ladder's value of `key`, or None when no layer sets it."""
        found = self.values.get(key)
        return found.value if found else None

    def where(self, key: str) -> str:
        """Where the ladder's value of `key` was set, or the env file to set it in."""
        found = self.values.get(key)
        return found.where if found else f"env/{self.env}.env"

    def ignored(self, key: str) -> bool:
        """Whether `[parity] ignore` leaves `key` out of every comparison."""
        if key in RELEASE_KEYS:
            return True
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.ignore)

    def backend_url(self) -> EnvValue | None:
        """The backend's public URL of this environment, when the project says it."""
        for key in BACKEND_URL_KEYS:
            if self.value(key):
                return EnvValue(str(self.value(key)).rstrip("/"), self.where(key))
        return self._from_table("backend")

    def frontend_url(self) -> EnvValue | None:
        """The frontend's public origin of this environment, when it can be told."""
        if self.value("FRONTEND_URL"):
            value = str(self.value("FRONTEND_URL")).rstrip("/")
            return EnvValue(value, self.where("FRONTEND_URL"))
        if self.frontend is None:
            return None
        found = self._from_table("frontend")
        api = self.value("NETLIFY_API_URL") or ""
        port = self.value("NETLIFY_SITE_PORT")
        if found is None and _LOOPBACK_API.match(api) and port:
            found = EnvValue(
                f"http://127.0.0.1:{port}", self.where("NETLIFY_SITE_PORT")
            )
        site = self.netlify_site()
        if found is None and _SITE_NAME.fullmatch(site) and len(site) < 36:
            found = EnvValue(f"https://{site}.netlify.app", "the Netlify site's name")
        return found

    def frontend_env_keys(self) -> list[str]:
        """Keys handed to the frontend: `[frontend] env`, else every NEXT_PUBLIC_*."""
        if self.frontend and self.frontend.env_keys:
            return list(self.frontend.env_keys)
        return sorted(k for k in self.values if k.startswith("NEXT_PUBLIC_"))

    def shipyard_keys(self) -> set[str]:
        """Keys Shipyard itself reads; the rest of an env file is the app's."""
        return set(settings.BY_KEY) | set(EXTRA_KEYS) | {"SHIPYARD_FINGERPRINT_KEY"}

    def github_repository(self) -> str:
        table = self.document.get("github") or {}
        return self.value("GITHUB_REPOSITORY") or str(table.get("repository", ""))

    def netlify_site(self) -> str:
        site = self.value("NETLIFY_SITE_ID")
        return site or (self.frontend.site if self.frontend else "")

    def _from_table(self, name: str) -> EnvValue | None:
        table = self.document.get(name) or {}
        if isinstance(table, dict) and table.get("url"):
            return EnvValue(str(table["url"]).rstrip("/"), f"{TOML} [{name}] url")
        return None


# Keys every release writes into the backend's env itself: never drift.
RELEASE_KEYS = ("GIT_SHA", "APP_VERSION")


def load_stack(config: Config) -> Stack:
    """The stack of `config`'s environment, read from the same project files."""
    document = read_document(config.root)
    known = set(settings.BY_KEY) | set(config.backend.env_keys)
    values = ladder(config.root, config.env, document.get("defaults") or {}, known)
    parity = document.get("parity") or {}
    ignore = parity.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(i, str) for i in ignore):
        raise ConfigError(f"{TOML}: [parity] ignore must be a list of key patterns")
    lint = document.get("lint") or {}
    production = tuple(lint.get("production", PRODUCTION_NAMES))
    return Stack(
        config=config,
        document=document,
        values=values,
        manifest=read_manifest(document),
        frontend=_frontend(config, document.get("frontend")),
        ignore=tuple(ignore),
        production=config.env in production,
    )


def read_document(root: Path) -> dict[str, Any]:
    """shipyard.toml as plain data (config.load has already validated it)."""
    return tomllib.loads((root / TOML).read_text(encoding="utf-8"))


def _frontend(config: Config, table: Any) -> Frontend | None:
    """The frontend as Config parsed it, or read from the table when it did not."""
    parsed = getattr(config, "frontend", None)
    if parsed is not None:
        return Frontend(
            context=parsed.folder,
            publish=parsed.publish_folder,
            site=parsed.netlify_site,
            env_keys=tuple(parsed.env_keys),
            url=str(table.get("url", "")) if isinstance(table, dict) else "",
        )
    if not isinstance(table, dict):
        return None
    root = config.root
    context = root / str(_first(table, ("folder", "context", "path"), "frontend"))
    publish = str(_first(table, ("publish", "publish_dir", "dist"), "out"))
    env_keys = table.get("env", [])
    return Frontend(
        context=context,
        publish=context / publish,
        site=str(_first(table, ("netlify_site", "site", "site_id"), "")),
        env_keys=tuple(env_keys) if isinstance(env_keys, list) else (),
        url=str(table.get("url", "")),
    )


def _first(table: dict[str, Any], names: tuple[str, ...], default: str) -> Any:
    for name in names:
        if table.get(name):
            return table[name]
    return default
