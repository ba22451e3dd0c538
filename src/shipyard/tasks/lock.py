"""`inv lock.status` and `inv lock.release`: see and break an environment's lock."""

from __future__ import annotations

from invoke import Collection, task

from shipyard import console
from shipyard.tasks.common import ENV_HELP, JSON_HELP, guarded, load_config


@task(help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def status(c, env="", json=False):
    """Who holds the environment's lock, since when and why."""
    from shipyard.shared_state import lock_store

    config = load_config(env)
    info = lock_store(config).status(env)
    if json:
        payload = info.to_dict() if info else None
        if payload:
            payload.pop("token", None)
            payload["stale"] = info.stale
        return console.emit_json(payload)
    console.say(f"{env}: {info.describe()}" if info else f"{env}: not locked")


@task(name="release", help={"env": ENV_HELP,
                            "force": "break the lock even though another run holds it"})
@guarded
def release_(c, env="", force=False):
    """Break the environment's lock (needs --force); the audit log names you."""
    from shipyard.errors import ShipyardError
    from shipyard.shared_state import lock_store

    config = load_config(env)
    store = lock_store(config)
    info = store.status(env)
    if info is None:
        console.say(f"{env}: not locked")
        return
    if not force:
        raise ShipyardError(f"{env} lock {info.describe()}: pass --force to break it")
    store.break_lock(env)
    console.warn(f"broke the {env} lock that was {info.describe()}")


lock = Collection("lock", status, release_)
