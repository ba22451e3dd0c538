"""`inv rotate`: rotate one secret (or each one due) in the four-step protocol."""

from __future__ import annotations

from invoke import task

from shipyard import console
from shipyard.tasks.common import (
    ENV_HELP,
    JSON_HELP,
    check_pick_up,
    guarded,
    load_config,
    refuse_empty,
)
from shipyard.tasks.release import PREVIEW_HELP


@task(help={
    "env": ENV_HELP, "secret": "the secret to rotate (a [secrets.NAME] of "
    "shipyard.toml)", "due": "rotate each secret whose rotation period has passed",
    "from_stdin": "read the new value from stdin (external secrets)",
    "resume": "finish this environment's rotation that was cut off",
    "abort": "undo this environment's rotation that was cut off",
    "dry_run": PREVIEW_HELP, "json": JSON_HELP,
})
@guarded
def rotate(c, env="", secret=None, due=False, from_stdin=False, resume=False,
           abort=False, dry_run=False, json=False):
    """Rotate a secret: pending → every target → test → current; undone on failure."""
    from shipyard import rotation as flow
    from shipyard.errors import ShipyardError
    from shipyard.secrets.commands import Env, read_value
    from shipyard.tasks.release import finish, preview

    refuse_empty("--secret", secret, "name a [secrets.NAME] of shipyard.toml, or "
                 "pass --due")
    check_pick_up(resume=resume, abort=abort, dry_run=dry_run)
    config = load_config(env)
    target = Env.load(config)
    if resume or abort:
        return _pick_up(target, abort=abort, json=json)
    if bool(secret) == bool(due):
        raise ShipyardError("name one secret with --secret=NAME, or pass --due")
    if from_stdin and due:
        raise ShipyardError("--from-stdin brings one value: use it with --secret=NAME")
    specs = ([target.manifest.get(secret)] if secret
             else flow.due_secrets(target.manifest, target.store))
    if not specs:
        console.say(f"no secret of {env} is due for rotation")
        return None
    value = read_value(specs[0].name, from_stdin=True) if from_stdin else None
    for spec in specs:
        plan = flow.plan_rotation(config, spec)
        if dry_run:
            preview(config, plan, json)
            continue
        ctx = flow.make_rotation(config, target.manifest, spec, value)
        finish(flow.execute(config, plan, ctx), json)
    return None


def _pick_up(target, *, abort: bool, json: bool):  # type: ignore[no-untyped-def]
    from shipyard import rotation as flow
    from shipyard.tasks.release import finish

    config = target.config
    journal = flow.unfinished_rotation(config)
    spec = target.manifest.get(journal.header["release_id"])
    plan = flow.plan_rotation(config, spec)
    ctx = flow.make_rotation(config, target.manifest, spec, resuming=True)
    if abort:
        return finish(flow.abort(config, plan, ctx, journal), json,
                      wanted="rolled_back")
    return finish(flow.execute(config, plan, ctx, journal=journal), json)
