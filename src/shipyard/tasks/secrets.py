"""`inv secrets.set|list|push|check|show`: the environment's secrets, one task each."""

from __future__ import annotations

from invoke import Collection, task

from shipyard import console
from shipyard.tasks.common import (
    DRY_RUN_HELP,
    ENV_HELP,
    JSON_HELP,
    guarded,
    load_config,
)


def _env(env: str):  # type: ignore[no-untyped-def]
    from shipyard.secrets.commands import Env

    return Env.load(load_config(env))


@task(name="set", help={"env": ENV_HELP, "name": "secret name, e.g. DJANGO_SECRET_KEY",
                        "from_stdin": "read the value from stdin instead of a prompt"})
@guarded
def set_(c, name, env="", from_stdin=False):
    """Store a secret's value (typed without echo, or from stdin) in the store."""
    from shipyard.secrets.commands import read_value, set_secret

    _check_name(name, "set")
    target = _env(env)
    set_secret(target, name, read_value(name, from_stdin=from_stdin))


def _check_name(name: str, verb: str) -> None:
    """A flag where the secret's name belongs (`--help` among them) is a mistake."""
    from shipyard.errors import ShipyardError

    if name.startswith("-"):
        raise ShipyardError(f"name the secret first: `inv secrets.{verb} NAME "
                            f"--env=ENV` (help: `inv --help secrets.{verb}`)")


@task(name="list", help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def list_(c, env="", json=False):
    """Names, versions, ages, targets, fingerprints and what is due for rotation."""
    from shipyard.secrets.commands import list_rows

    rows = list_rows(_env(env))
    if json:
        return console.emit_json(rows)
    console.table(f"secrets of {env}", ["secret", "kind", "versions", "age", "targets",
                                        "fingerprint", "due"],
                  [[r["name"], r["kind"], ", ".join(r["versions"]) or "missing",
                    "" if r["age_days"] is None else f"{r['age_days']} d",
                    ", ".join(r["targets"]), r["fingerprint"] or "",
                    "rotating" if r["rotating"] else ("yes" if r["due"] else "")]
                   for r in rows])


@task(help={"env": ENV_HELP, "dry_run": DRY_RUN_HELP, "json": JSON_HELP})
@guarded
def push(c, env="", dry_run=False, json=False):
    """Deliver every secret's current value to each of its targets."""
    from shipyard.errors import ShipyardError
    from shipyard.secrets.commands import push as deliver

    result = deliver(_env(env), dry_run=dry_run)
    if json:
        console.emit_json({"dry_run": dry_run, "delivered": result.done,
                           "missing": result.missing})
    else:
        verb = "would deliver" if dry_run else "delivered"
        for where in result.done:
            if dry_run:
                console.say(f"{verb} {where}")
        console.say(f"{verb} {len(result.done)} value(s)")
    if result.missing:
        raise ShipyardError(f"not in the store, so not delivered: {result.missing[0]}"
                            + (f" and {len(result.missing) - 1} more"
                               if len(result.missing) > 1 else ""))


@task(help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def check(c, env="", json=False):
    """Every required secret is in the store and at each target; non-zero if not."""
    from shipyard.errors import ShipyardError
    from shipyard.secrets.commands import check as find_problems

    problems = find_problems(_env(env))
    if json:
        console.emit_json({"ok": not problems, "problems": problems})
    else:
        for problem in problems:
            console.warn(problem)
    if problems:
        raise ShipyardError(f"secrets.check found {len(problems)} problem(s) in {env}: "
                            f"{problems[0]}")
    if not json:
        console.done(f"every secret of {env} is in the store and at its targets")


@task(help={"env": ENV_HELP, "name": "secret name",
            "reveal": "print the value itself (it will be on your screen)",
            "version": "current (default), previous or pending"})
@guarded
def show(c, name, env="", reveal=False, version="current"):
    """Print one secret's value; refuses without --reveal."""
    import sys

    from shipyard.secrets.commands import show as reveal_value

    _check_name(name, "show")
    value = reveal_value(_env(env), name, reveal=reveal, version=version)
    # The one output meant to show a secret: written past the redacting console.
    sys.__stdout__.write(value + "\n")
    sys.__stdout__.flush()


secrets = Collection("secrets", set_, list_, push, check, show)
