"""The secrets manifest: one `[secrets.NAME]` table of shipyard.toml per secret.

Each table says what kind of value the secret holds (and so how a new one is
made), where it is delivered (`targets`), which services read it and must be
redeployed after a change (`readers`), and how often it is rotated; the
keys of a table are listed in `manifest_tables.py`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from shipyard.errors import ConfigError, ShipyardError
from shipyard.secrets.generators import ALPHABETS, DJANGO_KEY_LENGTH
from shipyard.secrets.manifest_tables import (
    KINDS,
    READERS,
    STRATEGIES,
    Where,
    parse_targets,
)

TOML = "shipyard.toml"


@dataclass(frozen=True)
class Target:
    """One place a secret is delivered: a GitHub, Koyeb or Netlify secret."""

    kind: str
    name: str
    environment: str | None = None

    def describe(self) -> str:
        """Where, in a few words: `github:NAME`, `koyeb:django-secret-key`."""
        if self.kind == "github" and self.environment:
            return f"github:{self.environment}:{self.name}"
        return f"{self.kind}:{self.name}"


@dataclass(frozen=True)
class SecretSpec:
    """One secret of the manifest, validated."""

    name: str
    kind: str
    targets: tuple[Target, ...] = ()
    readers: tuple[str, ...] = ()
    rotation_days: int | None = None
    length: int = 32
    alphabet: str = "alphanumeric"
    role: str = ""
    roles: tuple[str, ...] = ()
    strategy: str = "single"
    url_secret: str = ""
    admin_url: str = ""
    fallbacks: str = ""
    derived_from: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rotatable(self) -> bool:
        """Whether `inv rotate --secret=NAME` may rotate this secret on its own."""
        return self.kind != "derived"

    @property
    def companions(self) -> tuple[str, ...]:
        """The secrets whose values this one's rotation derives (URL, fallbacks)."""
        return tuple(name for name in (self.url_secret, self.fallbacks) if name)

    def due(self, rotated: datetime | None, now: datetime) -> bool:
        """Whether the rotation period has passed since `rotated` (never: not due)."""
        if self.rotation_days is None or not self.rotatable:
            return False
        if rotated is None:
            return True
        return now - rotated >= timedelta(days=self.rotation_days)


@dataclass(frozen=True)
class Manifest:
    """Every secret the project declares, by name, in file order."""

    secrets: dict[str, SecretSpec]

    def names(self) -> list[str]:
        return list(self.secrets)

    def get(self, name: str) -> SecretSpec:
        """The secret `name`, or a one-line error naming the table to add."""
        spec = self.secrets.get(name)
        if spec is None:
            known = ", ".join(self.secrets) or "none"
            raise ConfigError(
                f"{TOML}: no [secrets.{name}] table (declared: {known}): add one "
                "with its kind and targets"
            )
        return spec

    def parent_of(self, name: str) -> SecretSpec | None:
        """The secret whose rotation derives `name`, if any."""
        for spec in self.secrets.values():
            if name in spec.companions:
                return spec
        return None


def load_manifest(root: Path) -> Manifest:
    """The `[secrets.*]` tables of `root`/shipyard.toml, validated.

    A project without a `[secrets]` table has an empty manifest.
    """
    path = root / TOML
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{TOML} not found in {root}") from None
    except tomllib.TOMLDecodeError as problem:
        raise ConfigError(f"{TOML}: not valid TOML: {problem}") from None
    return parse_manifest(document)


def parse_manifest(document: dict[str, Any]) -> Manifest:
    """The manifest of a parsed shipyard.toml."""
    raw = document.get("secrets", {})
    if not isinstance(raw, dict):
        raise ConfigError(f"{TOML}: [secrets] must be a table of [secrets.NAME] tables")
    found = {}
    for name, table in raw.items():
        where = Where(f"[secrets.{name}]")
        if not isinstance(table, dict):
            raise where.error("", "must be a table")
        found[name] = _spec(name, table, where)
    _link(found)
    return Manifest(found)


def _spec(name: str, table: dict[str, Any], where: Where) -> SecretSpec:
    from shipyard.secrets.versions import check_name

    try:
        check_name(name)
    except ShipyardError:
        raise where.error("", "names a secret with letters, digits and underscores "
                          "only") from None
    kind = where.choice(table, "kind", KINDS, None)
    known = {"kind", "targets", "readers", "rotation_days", "description",
             "length", "alphabet", "role", "roles", "strategy", "url_secret",
             "admin_url", "fallbacks", "from"}
    unknown = sorted(set(table) - known)
    if unknown:
        raise where.error(unknown[0], "is not a key Shipyard knows")
    readers = tuple(where.strings(table, "readers"))
    bad = [reader for reader in readers if reader not in READERS]
    if bad:
        raise where.error("readers", f"names {bad[0]!r}: use "
                          + " or ".join(repr(r) for r in READERS))
    spec = SecretSpec(
        name=name,
        kind=kind,
        targets=tuple(Target(*t) for t in parse_targets(name, table, where)),
        readers=readers,
        rotation_days=where.positive(table, "rotation_days", None),
    )
    return _with_kind(spec, table, where)


def _with_kind(spec: SecretSpec, table: dict[str, Any], where: Where) -> SecretSpec:
    from dataclasses import replace

    if spec.kind == "generated":
        return replace(
            spec,
            length=where.positive(table, "length", 32),
            alphabet=where.choice(table, "alphabet", tuple(ALPHABETS), "alphanumeric"),
        )
    if spec.kind == "django_secret_key":
        fallbacks = where.text(table, "fallbacks", "")
        return replace(spec, length=DJANGO_KEY_LENGTH, fallbacks=fallbacks)
    if spec.kind == "database_password":
        strategy = where.choice(table, "strategy", STRATEGIES, "single")
        roles = tuple(where.strings(table, "roles"))
        role = where.text(table, "role", "")
        if strategy == "alternating" and len(roles) != 2:
            raise where.error("roles", 'must name two roles for strategy = '
                              '"alternating", e.g. ["app_a", "app_b"]')
        if strategy == "single" and not role:
            raise where.error("role", "is missing: name the PostgreSQL role whose "
                              "password this is")
        url_secret = where.text(table, "url_secret", "")
        if not url_secret:
            raise where.error("url_secret", "is missing: name the secret holding "
                              "the database URL the app reads, e.g. DATABASE_URL")
        return replace(
            spec, role=role, roles=roles, strategy=strategy, url_secret=url_secret,
            admin_url=where.text(table, "admin_url", ""),
            length=where.positive(table, "length", 32),
        )
    if spec.kind == "derived":
        return replace(spec, derived_from=where.text(table, "from", ""))
    return spec


def _link(found: dict[str, SecretSpec]) -> None:
    """Check that every URL or fallbacks secret named is declared as derived."""
    for spec in found.values():
        for companion in spec.companions:
            other = found.get(companion)
            key = "url_secret" if companion == spec.url_secret else "fallbacks"
            where = Where(f"[secrets.{spec.name}]")
            if other is None:
                raise where.error(key, f"names {companion}, which has no "
                                  f"[secrets.{companion}] table: add one with "
                                  'kind = "derived" and its targets')
            if other.kind != "derived":
                raise where.error(key, f"names {companion}, whose kind must be "
                                  f'"derived", not {other.kind!r}')
            if other.derived_from not in ("", spec.name):
                raise Where(f"[secrets.{companion}]").error(
                    "from", f"is {other.derived_from}, but [secrets.{spec.name}] "
                    f"{key} names it: make them agree")
