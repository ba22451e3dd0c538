"""The sources parity reads from files and the store, as Entry maps by key.

Secret values are wrapped in Secret as soon as they are read, so they are
masked in any output and shown only as fingerprints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from shipyard.envfiles import EnvValue, read_env_lines, relative
from shipyard.errors import ShipyardError
from shipyard.parity_model import Entry, Unchecked
from shipyard.redaction import Secret
from shipyard.secretish import secret_value
from shipyard.stack import Stack

LOCAL_FILES = (".env", "env/local.env")


def entry(stack: Stack, key: str, found: EnvValue) -> Entry:
    """An Entry of a value read from a file, secret when it should be."""
    if stack.manifest.knows(key) or secret_value(key, found.value):
        return Entry(key, found.where, Secret(found.value, key))
    return Entry(key, found.where, found.value)


def app_entries(stack: Stack, values: dict[str, EnvValue]) -> dict[str, Entry]:
    """The app's keys of a ladder or file (Shipyard's own settings left out)."""
    own = stack.shipyard_keys()
    return {
        key: entry(stack, key, found)
        for key, found in values.items()
        if key not in own and not stack.ignored(key)
    }


def manifest_entries(stack: Stack) -> dict[str, Entry]:
    """The app keys the manifest's secrets are delivered as, without values."""
    return {
        key: Entry(key, "; ".join(item.where))
        for key, item in stack.manifest.app_keys().items()
        if not stack.ignored(key)
    }


def local_file(root: Path) -> Path | None:
    """The developer's local env file: `.env`, else `env/local.env`."""
    for name in LOCAL_FILES:
        if (root / name).is_file():
            return root / name
    return None


def against_entries(
    stack: Stack, against: str, other: Stack | None
) -> tuple[str, dict[str, Entry]] | Unchecked:
    """The side parity compares the environment with: local files or another env."""
    if against == "local":
        path = local_file(stack.root)
        if path is None:
            return Unchecked("local", "no .env or env/local.env in the project")
        label = relative(path, stack.root)
        return label, app_entries(stack, read_env_lines(path, stack.root))
    if other is None:
        return Unchecked(against, f"environment {against!r} could not be read")
    found = app_entries(other, other.values)
    found.update({k: v for k, v in manifest_entries(other).items() if k not in found})
    return f"env/{against}.env", found


def target_entries(stack: Stack) -> dict[str, Entry]:
    """The environment's app keys: its ladder, plus the manifest's secret keys."""
    found = app_entries(stack, stack.values)
    for key, item in manifest_entries(stack).items():
        found.setdefault(key, item)
    return found


def secrets_in_env_file(stack: Stack) -> dict[str, Entry]:
    """Manifest secrets that the environment's non-secret files set a value for."""
    known = stack.manifest
    return {
        key: entry(stack, key, found)
        for key, found in stack.values.items()
        if known.knows(key)
        and found.value
        and not stack.ignored(key)
        and found.where != "process environment"
    }


def store_entries(stack: Stack, store: Any) -> tuple[str, dict[str, Entry]] | Unchecked:
    """The manifest's secrets as the store holds them, values kept secret."""
    kind = stack.config["SECRET_STORE"]
    label = f"secret store ({kind})"
    found: dict[str, Entry] = {}
    try:
        for name in stack.manifest.names():
            value = store.get(name)
            if value is not None:
                found[name] = Entry(name, label, value)
    except ShipyardError as problem:
        return Unchecked(label, str(problem))
    return label, found


def manifest_names(stack: Stack) -> dict[str, Entry]:
    """The manifest's secret names, as the store should hold them."""
    return {
        name: Entry(name, "; ".join(item.where))
        for name, item in stack.manifest.secrets.items()
        if not stack.ignored(name)
    }
