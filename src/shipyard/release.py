"""`inv release`: plan the steps of a release, run them under the environment's
lock, and record the outcome in the ledger."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shipyard import backend_steps, console, frontend_steps, git
from shipyard.backup_steps import backup_step
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.release_context import ReleaseInputs, close
from shipyard.steps import Context, Facts, Plan, Step


def plan_release(config: Config, inputs: ReleaseInputs) -> Plan:
    """The steps of a release, as data: nothing runs until the plan is run."""
    image = f"{config.image_repository}:{inputs.tag}"
    backend = config.backend
    target = f"Koyeb {backend.koyeb_app}/{backend.koyeb_service}"
    frontend = config.frontend
    checked = "secrets, the Koyeb token" + (" and the Netlify site" if frontend
                                            else "")
    steps = [
        Step("preflight", f"check engine, registry {config['REGISTRY']}, {checked} "
             f"for {config.env}", preflight, changes_world=False),
    ]
    if frontend is not None and not config["BACKEND_PUBLIC_URL"]:
        steps.append(Step(
            "backend_app", f"make sure Koyeb app {backend.koyeb_app} exists, so the "
            "frontend is built with its URL", frontend_steps.ensure_backend_app,
            why_no_undo="an app without services serves nothing and keeps its URL "
            "for the next release"))
    dockerfile = _relative(backend.context / backend.dockerfile, config)
    build_what = f"build {image} from {dockerfile}"
    if frontend is None:
        steps.append(Step("build", build_what, backend_steps.build,
                          changes_world=False))
    else:
        steps.append(Step(
            "build", f"{build_what}, and at the same time the frontend in "
            f"{_relative(frontend.folder, config)}/ (`{frontend.build_command}`)",
            frontend_steps.build_both, changes_world=False))
    steps += [
        Step("push", f"push {image} to {config['REGISTRY']} and record its digest",
             backend_steps.push,
             why_no_undo="a pushed image is harmless and keeps rollbacks possible"),
    ]
    if not inputs.extra.get("no_backup"):
        steps.append(backup_step(config))
    steps += [
        Step("deploy", f"deploy the image by digest to {target}",
             backend_steps.deploy, undo=backend_steps.undo_deploy, undo_cut_off=True),
        Step("wait_healthy", f"wait up to {config['DEPLOY_TIMEOUT']} s for the "
             f"deployment to pass GET {backend.health_path}",
             backend_steps.wait_healthy, changes_world=False),
        Step("smoke_test", f"GET {backend.health_path} on the public URL answers 200",
             backend_steps.smoke_test, changes_world=False),
    ]
    if frontend is not None:
        publish = _relative(frontend.publish_folder, config)
        steps += frontend_release_steps(config, frontend_steps.deploy_frontend,
                                        f"deploy {publish}/ to", undo_cut_off=True)
    return Plan("release", config.env, steps, release_id=inputs.release_id,
                git_sha=inputs.git_sha)


def _relative(path: Any, config: Config) -> str:
    try:
        return str(path.relative_to(config.root))
    except ValueError:
        return str(path)


def frontend_release_steps(config: Config, deploy: Any, verb: str, *,
                           undo_cut_off: bool = False) -> list[Step]:
    """Deploy the frontend (undone by publishing the previous deploy), then check it.

    With `undo_cut_off`, a deploy cut off mid-way is undone from what
    preflight saw published (a release journals that; a rollback does not).
    """
    from shipyard.frontend_smoke import smoke_test_frontend

    frontend = config.frontend
    assert frontend is not None
    text = f" showing {frontend.smoke_text!r}" if frontend.smoke_text else ""
    return [
        Step("deploy_frontend", f"{verb} Netlify site {config.netlify_site} "
             "as its production deploy", deploy,
             undo=frontend_steps.undo_deploy_frontend, undo_cut_off=undo_cut_off),
        Step("smoke_test_frontend", f"the site answers 200{text}; a CORS preflight "
             f"from its origin to {frontend.api_path} is allowed",
             smoke_test_frontend, changes_world=False),
    ]


def preflight(ctx: Context) -> Facts:
    """Refuse early what would fail later: no engine, no registry, missing secrets."""
    from shipyard.providers.docker_engine import engine_available
    from shipyard.providers.registry import registry_reachable
    from shipyard.secrets.store import require

    config = ctx.data["config"]
    problem = engine_available() or registry_reachable(config["REGISTRY"])
    if problem:
        raise ShipyardError(problem)
    for name in config.secret_names:
        require(ctx.data["store"], name, config.env)
    _check_parity(ctx)
    from shipyard.release_context import koyeb

    client = koyeb(ctx)
    app = client.find_app(config.backend.koyeb_app)
    live = _live_backend(client, app, config.backend.koyeb_service)
    shown = ""
    if config.frontend is not None:
        shown, published = _check_netlify_site(ctx)
        live["frontend_deploy_id"] = published
    console.done(
        f"preflight: engine, registry and secrets ready; Koyeb token accepted "
        f"(app {config.backend.koyeb_app} {'found' if app else 'will be created'})"
        + (f"; Netlify site {shown} found" if shown else "")
    )
    return {"koyeb_app_exists": app is not None, **live}


def _live_backend(client: Any, app: Any, service_name: str) -> Facts:
    """What serves the backend before this release, for undoing a cut-off deploy.

    Journaled with preflight, so a resumed or aborted run still knows what
    was live before any of its own deployments.
    """
    service = client.find_service(app.id, service_name) if app else None
    if service is None:
        return {"backend_service_id": None, "backend_deployment_id": None}
    return {"backend_service_id": service.id,
            "backend_deployment_id": service.active_deployment_id or None}


def _check_parity(ctx: Context) -> None:
    """Stop on drift between the env files, the manifest and the live providers.

    Differences in the Koyeb service's env are not drift here: the release is
    about to replace that env.
    """
    from shipyard.parity import check_parity, require_no_drift

    config = ctx.data["config"]
    report = check_parity(config, against=None, live=True, store=ctx.data["store"],
                          runtime=False)
    require_no_drift(report, for_release=True)
    console.done("parity: no drift that blocks a release")


def _check_netlify_site(ctx: Context) -> tuple[str, str | None]:
    """The Netlify site's name and URL, and the id of the deploy it serves.

    The site's origin must be one the backend allows.
    """
    from shipyard.frontend_smoke import origin_of

    config = ctx.data["config"]
    site = frontend_steps.netlify(ctx).get_site(config.netlify_site)
    url = site.get("ssl_url") or site.get("url") or ""
    shown = f"{site.get('name') or config.netlify_site} ({url})"
    allowed = config.app_env.get("CORS_ALLOWED_ORIGINS")
    if url and allowed is not None:
        origins = [item.strip().rstrip("/") for item in allowed.split(",")]
        if origin_of(url) not in origins:
            raise ShipyardError(
                f"CORS_ALLOWED_ORIGINS in env/{config.env}.env lacks the frontend's "
                f"origin {origin_of(url)}: add it, or the browser cannot call the API"
            )
    return shown, (site.get("published_deploy") or {}).get("id")


def new_inputs(config: Config, *, allow_dirty: bool) -> ReleaseInputs:
    """Name the release after the commit, refusing an unclean tree unless allowed."""
    from shipyard.ledger import release_id

    sha = git.head_sha(config.root)
    dirty = bool(git.dirty_paths(config.root))
    if dirty and not allow_dirty:
        git.require_clean(config.root)
    rid = release_id(sha)
    tag = sha[:12] + (f"-dirty-{rid.split('-', 1)[1].lower()}" if dirty else "")
    return ReleaseInputs(git_sha=sha, tag=tag, release_id=rid, allow_dirty=dirty)


def execute(
    config: Config,
    plan: Plan,
    ctx: Context,
    *,
    resume_run: Any = None,
    picking_up: bool = False,
    announce: Callable[[], None] | None = None,
):
    """Run (or resume) `plan` holding the environment's lock; record the ledger.

    `announce` prints the run's start line once the lock is held and no
    cut-off run stands in the way, so a refused run never looks started.
    """
    from shipyard import pipeline
    from shipyard.journal import Journal
    from shipyard.ledger import Release
    from shipyard.lock import held
    from shipyard.shared_state import ledger as ledger_of
    from shipyard.shared_state import lock_store

    inputs: ReleaseInputs = ctx.data["inputs"]
    ledger = ledger_of(config, ctx.data["store"])
    locks = lock_store(config, ctx.data["store"])
    take_over_dead_lock(locks, config.env, picking_up=picking_up)
    with held(
        locks,
        config.env,
        f"{plan.name} {inputs.release_id}",
        ttl_seconds=config["DEPLOY_TIMEOUT"] * 3 + 1800,
    ):
        if resume_run is None:
            refuse_if_cut_off(config)
        if announce is not None:
            announce()
        journal = resume_run or Journal.new(plan.name, config.env, root=config.root)
        entry = ledger.get(config.env, inputs.release_id) or Release(
            id=inputs.release_id, env=config.env, git_sha=inputs.git_sha,
            kind=plan.name, restores=inputs.extra.get("restores"),
        )
        ledger.record(entry)
        try:
            if resume_run is None:
                result = pipeline.run(plan, journal=journal, ctx=ctx,
                                      on_event=_show_event)
            else:
                result = pipeline.resume(plan, journal, ctx, on_event=_show_event)
        finally:
            close(ctx)
            frontend_steps.close(ctx)
        ledger.record(_ledger_entry(entry, result, inputs.image_ref))
    return result


def take_over_dead_lock(locks: Any, env: str, *, picking_up: bool) -> None:
    """Free a lock whose holder died on this machine, when picking up its run.

    A release killed hard leaves its lock behind; `--resume` and `--abort`
    carry on that very run, so they may take the lock over (audited). A new
    release is told what happened instead.
    """
    import os

    from shipyard.errors import LockHeld
    from shipyard.release_checks import dead_holder_pid
    from shipyard.stamps import whoami

    info = locks.status(env)
    pid = dead_holder_pid(info) if info is not None else None
    if pid is None:
        return
    if not picking_up:
        from shipyard.journal import Journal

        unfinished = Journal.latest_unfinished(env)
        command = pick_up_command(
            unfinished.header.get("plan") if unfinished else None, env)
        raise LockHeld(
            f"{env} is locked by pid {pid}, which is gone: its run was cut "
            f"off; finish it with `{command} --resume` or undo it with "
            f"`{command} --abort`"
        )
    locks.break_lock(env, by=f"{whoami()} pid {os.getpid()} picking up a cut-off run")
    console.warn(f"took over the {env} lock of pid {pid}, which is gone")


def refuse_if_cut_off(config: Config) -> None:
    """A new run must not start on top of one that was cut off half-way."""
    from shipyard.journal import Journal

    unfinished = Journal.latest_unfinished(config.env, root=config.root)
    if unfinished is not None:
        command = pick_up_command(unfinished.header.get("plan"), config.env)
        raise ShipyardError(
            f"run {unfinished.run_id} of {config.env} was cut off: finish it with "
            f"`{command} --resume` or undo it with `{command} --abort`"
        )


def pick_up_command(plan: str | None, env: str) -> str:
    """The command that resumes or aborts a cut-off run of `plan`."""
    verb = {"rotate": "rotate", "rollback": "rollback"}.get(plan or "", "release")
    return f"inv {verb} --env={env}"


def record_abort(config: Config, release_id: str, result: Any) -> None:
    """Mark an aborted release in the ledger as rolled back (or failed)."""
    from dataclasses import replace

    from shipyard.shared_state import ledger as ledger_of

    ledger = ledger_of(config)
    entry = ledger.get(config.env, release_id)
    if entry is None:
        return
    outcome = "rolled_back" if result.outcome == "rolled_back" else "failed"
    ledger.record(replace(entry).finished(outcome, notes="aborted after a cut-off run"))


def _ledger_entry(entry: Any, result: Any, image_ref: str | None = None) -> Any:
    from dataclasses import replace

    facts = result.facts
    push, deploy = facts.get("push", {}), facts.get("deploy", {})
    site = facts.get("deploy_frontend", {})
    outcome = "succeeded" if result.ok else (
        "rolled_back" if result.outcome == "rolled_back" else "failed"
    )
    updated = replace(
        entry,
        image_digest=push.get("digest", entry.image_digest),
        image_ref=push.get("image_ref", entry.image_ref or image_ref),
        backend_deployment_id=deploy.get("deployment_id", entry.backend_deployment_id),
        previous_backend_deployment_id=deploy.get(
            "previous_deployment_id", entry.previous_backend_deployment_id),
        frontend_deploy_id=site.get("deploy_id", entry.frontend_deploy_id),
        previous_frontend_deploy_id=site.get(
            "previous_deploy_id", entry.previous_frontend_deploy_id),
        backup_id=facts.get("backup", {}).get("backup_id", entry.backup_id),
    )
    notes = [result.error or ""]
    if "backup" not in result.facts and result.plan == "release" and (
        "deploy" in result.facts
    ):
        notes.append("no pre-release backup (--no-backup)")
    restored = facts.get("restore_data", {}).get("restored")
    if restored:
        notes.append(f"data restored from backup {restored}; today's data is in "
                     f"backup {facts.get('safety_backup', {}).get('backup_id')}")
    return updated.finished(outcome, notes="; ".join(n for n in notes if n))


def _show_event(record: dict[str, Any]) -> None:
    event, step = record.get("event"), record.get("step")
    if event == "started" and step:
        console.step(step.replace("_", " "))
    elif event in ("undoing",) and step:
        console.warn(f"undoing {step.replace('_', ' ')}")
    elif event == "undone" and step:
        console.say(f"undone: {step.replace('_', ' ')}")
    elif event == "undo_failed" and step:
        console.warn(f"could not undo {step}: {record.get('error', '')}")
