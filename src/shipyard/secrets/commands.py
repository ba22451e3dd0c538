"""What `inv secrets.*` does: set, list, push, check and show one environment's secrets.

The tasks in shipyard/tasks/secrets.py only parse flags and call these.
Values are read from the versioned store and handed to targets; what is
printed is names, fingerprints, ages and targets, never a value (except
`show` with an explicit reveal).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipyard import console
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.manifest import Manifest, load_manifest
from shipyard.secrets.variables_push import (
    check_variables,
    configured,
    push_variables,
)


@dataclass
class Env:
    """One environment's config, manifest and versioned store."""

    config: Config
    manifest: Manifest
    store: Any

    @classmethod
    def load(cls, config: Config) -> Env:
        from shipyard.secrets.store import open_versioned_store

        store = open_versioned_store(config["SECRET_STORE"], config.project,
                                     config.env)
        return cls(config, load_manifest(config.root), store)

    def required(self) -> list[str]:
        """Every secret the environment needs: the manifest's and Shipyard's own.

        Shipyard's own are the tokens of the providers it talks to (GitHub's
        only when a secret or a variable goes there) and any admin URL a
        rotation logs in with.
        """
        from shipyard.secrets.targets import GITHUB_TOKEN

        specs = self.manifest.secrets.values()
        names = list(self.manifest.names())
        extra = list(self.config.secret_names)
        to_github = any(t.kind == "github" for spec in specs for t in spec.targets)
        if to_github or configured(self):
            extra.append(GITHUB_TOKEN)
        extra += [spec.admin_url for spec in specs if spec.admin_url]
        names += [n for n in dict.fromkeys(extra) if n not in names]
        return names


def read_value(name: str, *, from_stdin: bool) -> Secret:
    """A value typed at a prompt without echo, or read whole from stdin."""
    import getpass
    import sys

    if from_stdin:
        text = sys.stdin.read().rstrip("\r\n")
    else:
        if not sys.stdin.isatty():
            raise ShipyardError(f"no terminal to type {name} at: pipe the value in "
                                "with --from-stdin")
        text = getpass.getpass(f"value of {name} (not shown): ")
    if not text:
        raise ShipyardError(f"no value given for {name}: nothing was changed")
    return Secret(text, name)


def set_secret(env: Env, name: str, value: Secret) -> str:
    """Store `value` as the current value of `name`; its fingerprint."""
    from shipyard.secrets.versions import check_name

    check_name(name)
    if name not in env.required():
        console.warn(f"{name} is not in shipyard.toml [secrets] or [backend.secrets]; "
                     "stored anyway")
    env.store.set(name, value)
    mark = env.store.fingerprint(value)
    console.done(f"{name} stored for {env.config.env} ({mark}); "
                 f"`inv secrets.push --env={env.config.env}` delivers it")
    return mark


def list_rows(env: Env) -> list[dict[str, Any]]:
    """One row per secret: versions, age, targets, fingerprint, due or not."""
    from shipyard.stamps import utc_now

    now = utc_now()
    listed = {info.name: info for info in env.store.list(tuple(env.required()))}
    rows = []
    for name in env.required():
        info = listed.get(name)
        spec = env.manifest.secrets.get(name)
        age = info.age(now) if info else None
        current = info.versions.get("current") if info else None
        rotated = (info.rotated_at or info.created) if info else None
        rows.append({
            "name": name,
            "kind": spec.kind if spec else "setting",
            "versions": list(info.present) if info else [],
            "age_days": age.days if age is not None else None,
            "fingerprint": current.fingerprint if current else None,
            "targets": [t.describe() for t in spec.targets] if spec else [],
            "due": bool(spec and info and spec.due(rotated, now)),
            "rotating": bool(info and info.rotating),
        })
    return rows


@dataclass
class Delivery:
    """What `push` did (or, in a dry run, would do) per target."""

    done: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def push(env: Env, *, dry_run: bool) -> Delivery:
    """Deliver every current value to every target of the manifest."""
    from shipyard.secrets.targets import Targets

    result = Delivery()
    targets = Targets(env.config, env.store)
    try:
        for spec in env.manifest.secrets.values():
            value = env.store.get(spec.name) if spec.targets else None
            for target in spec.targets:
                where = f"{spec.name} → {target.describe()}"
                if value is None:
                    result.missing.append(where)
                    continue
                if not dry_run:
                    targets.set(target, value)
                    console.done(f"delivered {where}")
                result.done.append(where)
        result.done += push_variables(env, targets, dry_run=dry_run)
    finally:
        targets.close()
    return result


def check(env: Env) -> list[str]:
    """Every problem: a secret missing from the store or from one of its targets."""
    from shipyard.secrets.targets import Targets

    problems = []
    for name in env.required():
        if env.store.get(name) is None:
            problems.append(f"{name}: not in the {env.config['SECRET_STORE']} store")
    targets = Targets(env.config, env.store)
    # A provider that failed once (unreachable, token refused) is not asked
    # again for every other secret: each retry would wait out its backoff.
    failed: set[str] = set()
    try:
        for spec in env.manifest.secrets.values():
            for target in spec.targets:
                if target.kind in failed:
                    problems.append(f"{spec.name}: not checked at {target.describe()} "
                                    f"({target.kind} failed above)")
                    continue
                try:
                    if not targets.present(target):
                        problems.append(f"{spec.name}: missing at {target.describe()}")
                except ShipyardError as problem:
                    failed.add(target.kind)
                    problems.append(f"{spec.name}: cannot check "
                                    f"{target.describe()}: {problem}")
        problems += _variable_problems(env, targets, failed)
    finally:
        targets.close()
    return problems


def _variable_problems(env: Env, targets: Any, failed: set[str]) -> list[str]:
    """What `check` finds wrong with the `[github] variables` at GitHub."""
    if not configured(env):
        return []
    if "github" in failed:
        return ["[github] variables: not checked (github failed above)"]
    try:
        return check_variables(env, targets)
    except ShipyardError as problem:
        return [f"[github] variables: cannot check github: {problem}"]


def show(env: Env, name: str, *, reveal: bool, version: str = "current") -> str:
    """The value of `name`, only with `reveal`; what is printed is its caller's."""
    if not reveal:
        raise ShipyardError(
            f"printing {name} shows a secret: add --reveal if that is what you want"
        )
    value = env.store.get_version(name, version)
    if value is None:
        raise ShipyardError(f"secret {name} has no {version} value in {env.config.env}")
    return value.reveal()
