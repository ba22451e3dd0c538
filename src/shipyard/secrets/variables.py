"""Non-secret values of the env ladder delivered as GitHub Actions variables.

`[github] variables` in shipyard.toml names keys of the env ladder
(`[defaults]`, env/<env>.env, the process environment) that a workflow
reads as `vars.NAME`. The Actions API Shipyard follows has repository
variables only, no environment ones, so one variable serves every
environment: a key whose value differs between environments is given a
name per environment, `{ENV}` standing for the environment's name in
capitals (`{ BACKEND_PUBLIC_URL = "{ENV}_BACKEND_PUBLIC_URL" }`).

A key the manifest or the backend treats as a secret, or whose value looks
like one, is refused: secrets go to Actions secrets, never to variables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.errors import ConfigError

if TYPE_CHECKING:
    from shipyard.config import Config

WHERE = "shipyard.toml: [github] variables"
ENV_MARK = "{ENV}"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Variable:
    """One ladder key as a repository variable: its name there and its value."""

    key: str
    name: str
    value: str
    where: str

    def describe(self) -> str:
        return f"github:variable:{self.name}"


def load_variables(config: Config, document: dict[str, Any]) -> list[Variable]:
    """The variables `[github] variables` names for `config`'s environment, checked.

    Every error is one line naming shipyard.toml and the key to fix.
    """
    entries = _entries(document)
    if not entries:
        return []
    secret_keys = _secret_keys(config, document)
    values = _ladder(config.root, config.env, document)
    found = []
    for key, template in entries:
        if key in secret_keys:
            raise ConfigError(
                f"{WHERE} names {key}, a secret ({secret_keys[key]}): secrets never "
                'go to Actions variables; give it a target {github = "repo"} instead'
            )
        if key not in values:
            raise ConfigError(
                f"{WHERE} names {key}, which the env ladder of {config.env} does not "
                f"set: add it to env/{config.env}.env or drop it from the list"
            )
        value = values[key]
        _check_value(key, value.value, value.where)
        name = _name(key, template, config.env)
        if ENV_MARK not in template:
            _check_shared(config, document, key, value.value)
        if name in (v.name for v in found):
            raise ConfigError(f"{WHERE} gives two keys the name {name}: name each "
                              "key's variable apart")
        found.append(Variable(key, name, value.value, value.where))
    return found


def names_elsewhere(config: Config, document: dict[str, Any]) -> set[str]:
    """Variable names the list gives the project's other environments."""
    entries = _entries(document)
    return {
        _name(key, template, other)
        for other in config.environments
        if other != config.env
        for key, template in entries
    }


def _entries(document: dict[str, Any]) -> list[tuple[str, str]]:
    """(ladder key, name template at GitHub) for each entry of the list."""
    table = document.get("github") or {}
    if not isinstance(table, dict):
        raise ConfigError("shipyard.toml: [github] must be a table")
    raw = table.get("variables", [])
    if not isinstance(raw, list):
        raise ConfigError(f"{WHERE} must be a list of keys, e.g. "
                          '["NEXT_PUBLIC_ENVIRONMENT"]')
    found = []
    for entry in raw:
        if isinstance(entry, str) and entry:
            found.append((entry, entry))
        elif (isinstance(entry, dict) and len(entry) == 1
              and all(isinstance(v, str) and v for v in entry.values())):
            ((key, template),) = entry.items()
            found.append((key, template))
        else:
            raise ConfigError(f"{WHERE} entry {entry!r} must be a key or "
                              '{KEY = "NAME"}, e.g. {KEY = "{ENV}_KEY"}')
    return found


def _name(key: str, template: str, env: str) -> str:
    """The variable's name at GitHub, checked as GitHub checks it."""
    name = template.replace(ENV_MARK, env.upper().replace("-", "_"))
    if not _NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
        raise ConfigError(
            f"{WHERE} {key}: {name!r} cannot be a GitHub variable name: use letters, "
            "digits and underscores, not starting with a digit or GITHUB_"
        )
    return name.upper()


def _secret_keys(config: Config, document: dict[str, Any]) -> dict[str, str]:
    """Keys that hold secrets, each with where it is declared one."""
    from shipyard.manifest_view import read_manifest

    keys = {name: "a token Shipyard keeps in the secret store"
            for name in (*config.secret_names, "GITHUB_TOKEN")}
    manifest = read_manifest(document)
    for key, item in (*manifest.app_keys().items(), *manifest.secrets.items()):
        keys[key] = item.where[0].removeprefix("shipyard.toml ")
    return keys


def _check_value(key: str, value: str, where: str) -> None:
    from shipyard.secretish import secret_value

    if not value:
        raise ConfigError(f"{WHERE} names {key}, which is empty in {where}: "
                          "GitHub keeps no empty variable; set a value")
    reason = secret_value(key, value)
    if reason:
        raise ConfigError(
            f"{WHERE} names {key}, whose value in {where} looks like a secret "
            f"({reason}): keep it in the secret store with a github target"
        )


def _check_shared(
    config: Config, document: dict[str, Any], key: str, value: str
) -> None:
    """A variable named alike in every environment must hold one value in all."""
    for other in config.environments:
        if other == config.env or not (config.root / "env" / f"{other}.env").is_file():
            continue
        theirs = _ladder(config.root, other, document).get(key)
        if theirs is not None and theirs.value != value:
            raise ConfigError(
                f"{WHERE} {key} is {value!r} in {config.env} but {theirs.value!r} in "
                f"{other}, and a repository variable holds one value: name it per "
                f'environment, {{{key} = "{ENV_MARK}_{key}"}}'
            )


def _ladder(root: Path, env: str, document: dict[str, Any]) -> dict[str, Any]:
    from shipyard.envfiles import ladder

    return ladder(root, env, document.get("defaults") or {}, set())
