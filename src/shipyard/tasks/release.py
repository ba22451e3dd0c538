"""`inv release`, `inv rollback` and `inv releases`."""

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

PREVIEW_HELP = ("print the plan and change nothing; when the real run would be "
                "refused (a cut-off run to --resume or --abort, a lock held by "
                "another run, for a release uncommitted changes) say why and exit 1")


@task(help={
    "env": ENV_HELP, "dry_run": PREVIEW_HELP, "json": JSON_HELP,
    "allow_dirty": "release a tree with uncommitted changes (tagged -dirty)",
    "resume": "finish the newest release of this environment that was cut off",
    "abort": "undo the newest release of this environment that was cut off",
    "no_backup": "skip the pre-release database backup (recorded in the ledger)",
})
@guarded
def release(c, env="", dry_run=False, json=False, allow_dirty=False, resume=False,
            abort=False, no_backup=False):
    """Build, push, deploy, verify backend and frontend; roll back on failure."""
    from shipyard import release as flow
    from shipyard.release_context import make_context

    check_pick_up(resume=resume, abort=abort, dry_run=dry_run)
    config = load_config(env)
    if resume or abort:
        return _pick_up(config, abort=abort, json=json)
    inputs = flow.new_inputs(config, allow_dirty=allow_dirty or dry_run)
    inputs.extra["no_backup"] = no_backup
    plan = flow.plan_release(config, inputs)
    if dry_run:
        return preview(config, plan, json, allow_dirty=allow_dirty)
    result = flow.execute(config, plan, make_context(config, inputs), announce=lambda:
                          console.say(f"release {inputs.release_id} of "
                                      f"{inputs.git_sha[:12]} to {env}"))
    finish(result, json, release_id=inputs.release_id)


def preview(config, plan, json: bool, *, allow_dirty: bool = True,  # type: ignore[no-untyped-def]
            extra: dict | None = None) -> None:
    """Show the plan, then refuse in one line if the real run would be refused."""
    from shipyard.errors import ShipyardError
    from shipyard.release_checks import refusals

    refused = refusals(config, allow_dirty=allow_dirty)
    show_plan(plan, json, {**(extra or {}), "would_refuse": refused})
    if refused:
        raise ShipyardError(f"dry run only: the real {plan.name} would be refused: "
                            + "; ".join(refused))


def _cut_off_run(config, plan_name: str):  # type: ignore[no-untyped-def]
    """The newest unfinished run of `plan_name` in this environment."""
    from shipyard import release as flow
    from shipyard.errors import ShipyardError
    from shipyard.journal import Journal

    journal = Journal.latest_unfinished(config.env, root=config.root)
    if journal is None:
        raise ShipyardError(f"no cut-off {plan_name} of {config.env} to pick up")
    plan = journal.header.get("plan")
    if plan != plan_name:
        command = flow.pick_up_command(plan, config.env)
        raise ShipyardError(f"run {journal.run_id} is a {plan} run: pick it up "
                            f"with `{command} --resume` or `--abort`")
    return journal


def _pick_up(config, *, abort: bool, json: bool):  # type: ignore[no-untyped-def]
    from shipyard import release as flow
    from shipyard.release_context import ReleaseInputs

    journal = _cut_off_run(config, "release")
    header = journal.header
    facts = journal.done_facts()
    image = facts.get("build", {}).get("image", "")
    tag = image.rsplit(":", 1)[-1] if image else header["git_sha"][:12]
    inputs = ReleaseInputs(git_sha=header["git_sha"], tag=tag,
                           release_id=header["release_id"])
    inputs.extra["no_backup"] = "backup" not in journal.step_names
    _carry_on(config, flow.plan_release(config, inputs), inputs, journal,
              abort=abort, json=json)


def _carry_on(config, plan, inputs, journal, *, abort: bool, json: bool):  # type: ignore[no-untyped-def]
    """Resume or abort a cut-off run of `plan` from its journal."""
    from shipyard import frontend_steps, pipeline
    from shipyard import release as flow
    from shipyard.lock import held
    from shipyard.release_context import close, make_context
    from shipyard.shared_state import lock_store

    ctx = make_context(config, inputs)
    if not abort:
        return finish(
            flow.execute(config, plan, ctx, resume_run=journal, picking_up=True,
                         announce=lambda: console.say(f"resuming run {journal.run_id}")),
            json, release_id=inputs.release_id,
        )
    locks = lock_store(config, ctx.data["store"])
    flow.take_over_dead_lock(locks, config.env, picking_up=True)
    with held(locks, config.env, f"abort {journal.run_id}"):
        console.say(f"aborting run {journal.run_id}")
        try:
            result = pipeline.abort(plan, journal, ctx, on_event=flow._show_event)
        finally:
            close(ctx)
            frontend_steps.close(ctx)
        flow.record_abort(config, inputs.release_id, result)
    finish(result, json, wanted="rolled_back", release_id=inputs.release_id)


@task(help={"env": ENV_HELP, "to": "release id to go back to (default: the last "
            "good one before the current)", "dry_run": PREVIEW_HELP,
            "json": JSON_HELP,
            "with_data": "also restore the database as it was while that release "
            "served (needs --confirm-data-loss)",
            "confirm_data_loss": "confirm that data written since then is replaced "
            "(it is backed up first)",
            "resume": "finish this environment's rollback that was cut off",
            "abort": "undo this environment's rollback that was cut off"})
@guarded
def rollback(c, env="", to=None, dry_run=False, json=False, with_data=False,
             confirm_data_loss=False, resume=False, abort=False):
    """Put the backend and the frontend back on a release recorded in the ledger."""
    from shipyard import release as flow
    from shipyard import rollback as back
    from shipyard.release_context import make_context

    refuse_empty("--to", to, f"name a release id from `inv releases --env="
                 f"{env or 'ENV'}`, or leave --to out for the last good release")
    check_pick_up(resume=resume, abort=abort, dry_run=dry_run)
    if (resume or abort) and (to is not None or with_data):
        from shipyard.errors import ShipyardError

        raise ShipyardError("a cut-off rollback goes on with its own target: drop "
                            "--to and --with-data when you --resume or --abort")
    config = load_config(env)
    if resume or abort:
        journal = _cut_off_run(config, "rollback")
        _target, plan, inputs = back.pick_up(config, journal)
        return _carry_on(config, plan, inputs, journal, abort=abort, json=json)
    target = back.choose_target(config, to)
    plan = back.plan_rollback(config, target, with_data=with_data)
    frontend = (f", Netlify deploy {target.frontend_deploy_id}"
                if target.frontend_deploy_id else "")
    if dry_run:
        console.say(f"would roll {env} back to release {target.id} "
                    f"({target.image_ref}{frontend})")
        if with_data and not confirm_data_loss:
            console.warn("to run it, add --confirm-data-loss: the database is "
                         "replaced (today's data is backed up first)")
        return preview(config, plan, json, extra={"target": target.id})
    if with_data and not confirm_data_loss:
        from shipyard.errors import ShipyardError

        raise ShipyardError(
            "--with-data replaces the database with an older backup (today's data "
            "is backed up first): add --confirm-data-loss to go ahead"
        )
    inputs = back.inputs_for(target, plan)
    result = flow.execute(config, plan, make_context(config, inputs), announce=lambda:
                          console.say(f"rolling {env} back to release {target.id} "
                                      f"({target.image_ref}{frontend})"))
    finish(result, json, release_id=inputs.release_id)


@task(help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def releases(c, env="", json=False):
    """List the releases recorded for an environment, newest first."""
    from shipyard.shared_state import ledger

    config = load_config(env)
    entries = ledger(config).list(env)
    if json:
        return console.emit_json([entry.to_dict() for entry in entries])
    rows = [[e.id, f"rollback to {e.restores}" if e.kind == "rollback" else e.kind,
             e.outcome, e.image_ref or "", e.backend_deployment_id or "",
             e.frontend_deploy_id or "", e.who, e.finished_at or e.started_at]
            for e in entries]
    console.table(f"releases of {env}", ["release", "kind", "outcome", "image",
                                         "deployment", "frontend deploy", "who",
                                         "when"], rows)


def show_plan(plan, json: bool,  # type: ignore[no-untyped-def]
              extra: dict | None = None) -> None:
    """Print what a run would do, changing nothing."""
    if json:
        return console.emit_json({"plan": plan.header(), "steps": plan.describe(),
                                  **(extra or {})})
    rows = [[str(i), s["step"], s["description"],
             "yes" if s["undo"] else ("-" if not s["changes_world"] else "no")]
            for i, s in enumerate(plan.describe(), 1)]
    console.table(f"{plan.name} plan for {plan.env} (dry run: nothing changed)",
                  ["#", "step", "what", "undo"], rows)


def finish(result, json: bool, wanted: str = "succeeded",  # type: ignore[no-untyped-def]
           release_id: str | None = None) -> None:
    """Print the run's summary; a run that did not end as `wanted` exits non-zero.

    The JSON result names the release the run recorded in the ledger.
    """
    from shipyard.errors import ShipyardError

    if json:
        named = {"release_id": release_id} if release_id else {}
        console.emit_json({**named, **result.to_dict()})
    else:
        rows = [[name, "done"] for name in result.completed]
        if result.failed_step:
            rows.append([result.failed_step, f"failed: {result.error}"])
        rows += [[name, "undone"] for name in result.undone]
        console.table(f"{result.plan} on {result.env}: "
                      f"{result.outcome.replace('_', ' ')}", ["step", "state"], rows)
        for line in result.summary()[1:]:
            console.say(line)
        url = result.facts.get("smoke_test", {}).get("url")
        if url:
            console.say(f"backend: {url}")
        site = result.facts.get("smoke_test_frontend", {}).get("frontend_url")
        if site:
            console.say(f"frontend: {site}")
    if result.outcome != wanted:
        raise ShipyardError(f"{result.plan} {result.outcome.replace('_', ' ')}: "
                            f"{result.error or 'see above'}")
