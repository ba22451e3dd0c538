"""`inv rollback`: put the backend and the frontend back on a release recorded in
the ledger."""

from __future__ import annotations

from shipyard import backend_steps, console, frontend_steps
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.release_context import ReleaseInputs, koyeb
from shipyard.steps import Context, Facts, Plan, Step


def choose_target(config: Config, to: str | None):  # type: ignore[no-untyped-def]
    """The release to go back to: the one named, or the last good one before now."""
    from shipyard.shared_state import ledger as ledger_of

    ledger = ledger_of(config)
    releases = ledger.list(config.env)
    if to:
        target = ledger.get(config.env, to)
        if target is None:
            known = ", ".join(r.id for r in releases[:5]) or "none yet"
            raise ShipyardError(f"no release {to} in the {config.env} ledger "
                                f"(newest: {known}); see `inv releases --env={config.env}`")
    else:
        good = [r for r in releases if r.outcome == "succeeded"]
        if len(good) < 2:
            raise ShipyardError(f"{config.env} has no earlier good release to go back "
                                "to; name one with --to")
        target = good[1]
    if not target.backend_deployment_id or not target.image_ref:
        raise ShipyardError(f"release {target.id} has no recorded deployment to "
                            "restore; pick another with --to")
    return target


def plan_rollback(config: Config, target, *, with_data: bool = False,  # type: ignore[no-untyped-def]
                  rollback_id: str | None = None) -> Plan:
    """Redeploy the target's backend definition, then publish its frontend deploy.

    The rollback is recorded in the ledger as `rollback_id` (a new id when not
    given). A target recorded before the project had a frontend leaves the
    frontend as it is, and the plan says so.
    """
    from shipyard.backup_steps import data_backup_to_restore, data_steps
    from shipyard.ledger import release_id
    from shipyard.release import frontend_release_steps

    backend = config.backend
    steps = []
    if with_data:
        steps += data_steps(config, data_backup_to_restore(config, target))
    steps += [
        Step("deploy", f"redeploy the definition of {target.backend_deployment_id} "
             f"({target.image_ref}) to Koyeb {backend.koyeb_app}/"
             f"{backend.koyeb_service}", _restore(target),
             undo=backend_steps.undo_deploy),
        Step("wait_healthy", "wait for it to pass its health check",
             backend_steps.wait_healthy, changes_world=False),
        Step("smoke_test", f"GET {backend.health_path} on the public URL answers 200",
             backend_steps.smoke_test, changes_world=False),
    ]
    if config.frontend is not None and target.frontend_deploy_id:
        steps += frontend_release_steps(
            config, frontend_steps.restore_frontend(target.frontend_deploy_id),
            f"publish again deploy {target.frontend_deploy_id} of")
    elif config.frontend is not None:
        console.warn(f"release {target.id} recorded no frontend deploy: the "
                     "frontend is left as it is")
    # The journal names the rollback's own ledger record and its target, so
    # a cut-off rollback is picked up, and recorded, as the same run.
    return Plan("rollback", config.env, steps,
                release_id=rollback_id or release_id(target.git_sha),
                git_sha=target.git_sha, restores=target.id)


def inputs_for(target, plan: Plan, rollback_id: str | None = None) -> ReleaseInputs:  # type: ignore[no-untyped-def]
    """A rollback is recorded as a release of its own, of the target's commit,
    naming the release it restores."""
    inputs = ReleaseInputs(
        git_sha=target.git_sha,
        tag="",
        release_id=rollback_id or str(plan.release_id),
        image_ref=target.image_ref,
    )
    inputs.extra["restores"] = target.id
    return inputs


def pick_up(config: Config, journal):  # type: ignore[no-untyped-def]
    """The target, plan and inputs that carry on a cut-off rollback as the same
    run, recorded in the same ledger entry.

    A journal written before rollbacks named their own record holds the
    target as its release id; its ledger entry is then the unfinished
    rollback of the target's commit.
    """
    header = journal.header
    with_data = "restore_data" in journal.step_names
    if header.get("restores"):
        target = choose_target(config, header["restores"])
        plan = plan_rollback(config, target, with_data=with_data,
                             rollback_id=header.get("release_id"))
        return target, plan, inputs_for(target, plan)
    from shipyard.ledger import release_id

    target = choose_target(config, header.get("release_id"))
    plan = plan_rollback(config, target, with_data=with_data)
    plan = Plan(plan.name, plan.env, plan.steps, release_id=target.id,
                git_sha=plan.git_sha)
    own = _unfinished_rollback(config, target) or release_id(target.git_sha)
    return target, plan, inputs_for(target, plan, own)


def _unfinished_rollback(config: Config, target) -> str | None:  # type: ignore[no-untyped-def]
    from shipyard.shared_state import ledger as ledger_of

    for entry in ledger_of(config).list(config.env):
        if (entry.outcome == "in_progress" and entry.id != target.id
                and entry.git_sha == target.git_sha):
            return entry.id
    return None


def _restore(target):  # type: ignore[no-untyped-def]
    def do(ctx: Context) -> Facts:
        config = ctx.data["config"]
        client = koyeb(ctx)
        app = client.find_app(config.backend.koyeb_app)
        service = app and client.find_service(app.id, config.backend.koyeb_service)
        if not service:
            raise ShipyardError(f"Koyeb service {config.backend.koyeb_service} not "
                                "found: nothing to roll back")
        latest = client.latest_deployment(service.id)
        if latest is not None and latest.image == target.image_ref and (
            latest.id != service.active_deployment_id
        ):
            deployment = latest
        else:
            deployment = client.rollback(service.id, target.backend_deployment_id)
        console.say(f"Koyeb deployment {deployment.id} started for {target.image_ref}")
        return {"service_id": service.id, "deployment_id": deployment.id,
                "previous_deployment_id": service.active_deployment_id or None,
                "created_service": False}

    return do
