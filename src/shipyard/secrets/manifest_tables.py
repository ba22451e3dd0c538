"""The keys of a `[secrets.NAME]` table and how each one is read and checked.

    kind          "generated" | "django_secret_key" | "database_password" |
                  "external" (a value a person brings) | "derived" (made by
                  another secret's rotation: a database URL, key fallbacks)
    targets       list of {github = "repo"}, {github = "environment:NAME"},
                  {koyeb = true}, {netlify = true} or {netlify = "KEY"}
    readers       services redeployed after a change: "backend", "frontend"
    rotation_days how many days a value may be used before it is due
    length, alphabet        generated: how many characters, from which set
    role | roles, strategy  database_password: the role ("single"), or two
                  roles used in turn ("alternating")
    url_secret    database_password: the derived secret holding the app's URL
    admin_url     database_password: a secret holding a URL of a role allowed
                  to ALTER ROLE; without it the role changes its own password,
                  logging in with a password the store knows for it
    fallbacks     django_secret_key: the derived secret holding the old key
    from          derived: the secret whose rotation makes this one

With strategy "single", connections the backend opened before the rotation
keep working, but new logins with the old password fail from the moment the
role gets the new one until the redeployed backend is healthy: a short
window of refused connections. "alternating" has none: the role that gets
the new password is the one the running backend does not use, and the old
role keeps its password until the next rotation.

Every error names shipyard.toml, the table and the key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shipyard.errors import ConfigError, ShipyardError

KINDS = ("generated", "django_secret_key", "database_password", "external", "derived")
READERS = ("backend", "frontend")
STRATEGIES = ("single", "alternating")
TARGET_KINDS = ("github", "koyeb", "netlify")


@dataclass(frozen=True)
class Where:
    """A table of shipyard.toml, to read keys from with errors that name them."""

    table: str

    def error(self, key: str, problem: str) -> ConfigError:
        """`shipyard.toml: [secrets.X] key <problem>`, one line."""
        place = f"{self.table} {key}".rstrip()
        return ConfigError(f"shipyard.toml: {place} {problem}")

    def text(self, table: dict[str, Any], key: str, default: str) -> str:
        value = table.get(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be text, got {type(value).__name__}")
        return value

    def choice(
        self, table: dict[str, Any], key: str, options: tuple[str, ...],
        default: str | None,
    ) -> str:
        if key not in table and default is None:
            raise self.error(key, "is missing: use " + _either(options))
        value = table.get(key, default)
        if value not in options:
            raise self.error(key, f"is {value!r}: use " + _either(options))
        return str(value)

    def positive(self, table: dict[str, Any], key: str, default: Any) -> Any:
        value = table.get(key, default)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise self.error(key, f"must be a whole number above 0, got {value!r}")
        return value

    def strings(self, table: dict[str, Any], key: str) -> list[str]:
        value = table.get(key, [])
        if not isinstance(value, list) or not all(
            isinstance(item, str) and item for item in value
        ):
            raise self.error(key, "must be a list of names")
        return value


def parse_targets(
    name: str, table: dict[str, Any], where: Where
) -> list[tuple[str, str, str | None]]:
    """The `targets` list as (kind, name at the target, GitHub environment)."""
    from shipyard.providers.koyeb_definition import koyeb_secret_name

    raw = table.get("targets", [])
    if not isinstance(raw, list):
        raise where.error("targets", "must be a list of tables like {koyeb = true}")
    found = []
    for entry in raw:
        if not isinstance(entry, dict) or len(entry) != 1:
            raise where.error("targets", f"entry {entry!r} must be one of "
                              '{github = "repo"}, {github = "environment:NAME"}, '
                              "{koyeb = true}, {netlify = true}")
        ((kind, value),) = entry.items()
        if kind == "github":
            found.append(("github", name, _github_environment(value, where)))
        elif kind == "koyeb" and value is True:
            try:
                found.append(("koyeb", koyeb_secret_name(name), None))
            except ShipyardError as problem:
                raise where.error("targets", f"koyeb: {problem}") from None
        elif kind == "netlify" and (value is True or isinstance(value, str) and value):
            found.append(("netlify", name if value is True else value, None))
        else:
            raise where.error("targets", f"entry {entry!r} is not understood: use "
                              "github, koyeb or netlify")
    return found


def _github_environment(value: Any, where: Where) -> str | None:
    if value == "repo":
        return None
    if isinstance(value, str) and value.startswith("environment:"):
        environment = value.split(":", 1)[1]
        if environment:
            return environment
    raise where.error("targets", f'github = {value!r}: use "repo" or '
                      '"environment:NAME"')


def _either(options: tuple[str, ...]) -> str:
    return ", ".join(repr(option) for option in options)
