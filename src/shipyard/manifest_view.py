"""The secrets manifest as parity and lint see it: names, app keys and targets.

Two tables of shipyard.toml name secrets: `[backend.secrets]` (app key =
secret name, delivered to Koyeb) and, when present, a `[secrets]` manifest
with one table per secret (`[secrets.NAME]` or `[[secrets]]` with `name`)
whose `targets` list names where the value goes (github, koyeb, netlify;
a suffix such as `github:environment` is allowed) and whose `env` names
the app key(s) it is delivered as (the secret's name by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TARGETS = ("github", "koyeb", "netlify")


@dataclass
class ManifestSecret:
    """One secret of the manifest: under which app keys and where it is delivered."""

    name: str
    app_keys: list[str] = field(default_factory=list)
    targets: set[str] = field(default_factory=set)
    where: list[str] = field(default_factory=list)
    declared_targets: bool = False
    kind: str = ""

    @property
    def delivered_by_rotation(self) -> bool:
        """A database password goes to the database role itself, not a target."""
        return self.kind == "database_password"


@dataclass(frozen=True)
class Manifest:
    """Every secret the project declares, by name."""

    secrets: dict[str, ManifestSecret]

    def names(self) -> list[str]:
        return sorted(self.secrets)

    def app_keys(self) -> dict[str, ManifestSecret]:
        """App key → the secret delivered under it."""
        return {key: item for item in self.secrets.values() for key in item.app_keys}

    def knows(self, key: str) -> bool:
        """Whether `key` is a secret's name or an app key a secret is delivered as."""
        return key in self.secrets or key in self.app_keys()

    def for_target(self, target: str) -> list[ManifestSecret]:
        return [s for s in self.secrets.values() if target in s.targets]


def read_manifest(document: dict[str, Any]) -> Manifest:
    """The manifest declared by a parsed shipyard.toml."""
    found: dict[str, ManifestSecret] = {}
    backend = document.get("backend") or {}
    for app_key, name in (backend.get("secrets") or {}).items():
        item = found.setdefault(str(name), ManifestSecret(str(name)))
        _add(item.app_keys, str(app_key))
        item.targets.add("koyeb")
        _add(item.where, "shipyard.toml [backend.secrets]")
        item.declared_targets = True

    for name, table in _manifest_tables(document.get("secrets")):
        item = found.setdefault(name, ManifestSecret(name))
        item.kind = str(table.get("kind", ""))
        # A secret [backend.secrets] already hands to the app keeps those keys.
        keys = table.get("env", table.get("as", [] if item.app_keys else name))
        for key in [keys] if isinstance(keys, str) else list(keys or []):
            _add(item.app_keys, str(key))
        if "targets" in table:
            item.declared_targets = True
            item.targets.update(_targets(table["targets"]))
        _add(item.where, f"shipyard.toml [secrets.{name}]")
    return Manifest(found)


def _manifest_tables(raw: Any) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(raw, list):
        return [(str(t["name"]), t) for t in raw if isinstance(t, dict) and "name" in t]
    if isinstance(raw, dict):
        return [(str(n), t) for n, t in raw.items() if isinstance(t, dict)]
    return []


def _targets(raw: Any) -> set[str]:
    """Target kinds named by a `targets` list of strings or tables."""
    kinds: set[str] = set()
    for entry in raw if isinstance(raw, list) else [raw]:
        text = entry
        if isinstance(entry, dict):
            named = [kind for kind in TARGETS if entry.get(kind)]
            if named:
                kinds.update(named)
                continue
            text = entry.get("type") or entry.get("kind") or entry.get("target") or ""
        lowered = str(text).lower()
        kinds.update(kind for kind in TARGETS if lowered.startswith(kind))
    return kinds


def _add(items: list[str], value: str) -> None:
    if value not in items:
        items.append(value)
