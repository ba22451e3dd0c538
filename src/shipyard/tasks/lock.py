"""`inv lock.status` and `inv lock.release`: see and break an environment's lock."""

from __future__ import annotations

from invoke import Collection, task

from shipyard import console
from shipyard.tasks.common import ENV_HELP, JSON_HELP, guarded, load_config


@task(help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def status(c, env="", json=False):
    """Who holds the environment's lock, since when and why; says if its run is gone."""
    from shipyard.release_checks import dead_holder_pid
    from shipyard.shared_state import lock_store

    config = load_config(env)
    info = lock_store(config).status(env)
    gone = dead_holder_pid(info) if info is not None else None
    if json:
        payload = info.to_dict() if info else None
        if payload:
            payload.pop("token", None)
            payload["stale"] = info.stale
            payload["holder_gone"] = gone is not None
        return console.emit_json(payload)
    if info is None:
        return console.say(f"{env}: not locked")
    console.say(f"{env}: {info.describe()}" + (_gone_note(config) if gone else ""))


def _gone_note(config) -> str:  # type: ignore[no-untyped-def]
    """What a lock whose holder died on this machine means, and the way out."""
    from shipyard.journal import Journal
    from shipyard.release import pick_up_command

    journal = Journal.latest_unfinished(config.env, root=config.root)
    command = pick_up_command(journal.header.get("plan") if journal else None,
                              config.env)
    return (" (that process is no longer running: the run was cut off; use "
            f"`{command} --resume` or `--abort`)")


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
