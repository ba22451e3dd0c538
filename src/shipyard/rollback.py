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


def plan_rollback(config: Config, target, *, with_data: bool = False) -> Plan:  # type: ignore[no-untyped-def]
    """Redeploy the target's backend definition, then publish its frontend deploy.

    A target recorded before the project had a frontend leaves the frontend
    as it is, and the plan says so.
    """
    from shipyard.backup_steps import data_backup_to_restore, data_steps
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
    # The journal names the target, so a cut-off rollback can be picked up.
    return Plan("rollback", config.env, steps, release_id=target.id,
                git_sha=target.git_sha)


def inputs_for(target) -> ReleaseInputs:  # type: ignore[no-untyped-def]
    """A rollback is recorded as a release of its own, of the target's commit."""
    from shipyard.ledger import release_id

    return ReleaseInputs(
        git_sha=target.git_sha,
        tag="",
        release_id=release_id(target.git_sha),
        image_ref=target.image_ref,
    )


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
