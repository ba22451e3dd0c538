"""Redeploying the backend so it reads changed secrets, and checking its health.

Koyeb resolves secret values when a deployment starts, so a new deployment
of the definition that serves now is how the backend picks up a rotated
value: same image, same settings, the secrets' values of this moment.
"""

from __future__ import annotations

from typing import Any

from shipyard import console
from shipyard.config import Config
from shipyard.errors import ShipyardError


def backend_service(config: Config, client: Any) -> Any:
    """The backend's Koyeb service, or None before its first release."""
    app = client.find_app(config.backend.koyeb_app)
    if app is None:
        return None
    return client.find_service(app.id, config.backend.koyeb_service)


def redeploy(config: Config, client: Any, service: Any) -> str:
    """Deploy again what serves now, wait until healthy; the new deployment's id."""
    source = service.active_deployment_id or service.latest_deployment_id
    if not source:
        raise ShipyardError(
            f"Koyeb service {config.backend.koyeb_service} has no deployment to "
            "redeploy: release the backend first"
        )
    deployment = client.rollback(service.id, source)
    console.say(f"Koyeb deployment {deployment.id} started to read the new values")
    client.wait_healthy(
        deployment.id,
        timeout=config["DEPLOY_TIMEOUT"],
        on_status=lambda d: console.detail(f"deployment {d.id}: {d.status}"),
    )
    console.done(f"deployment {deployment.id} healthy")
    return deployment.id


def check_health(config: Config, client: Any) -> str:
    """GET the backend's health path on its public URL until 200; the URL."""
    from shipyard.backend_steps import wait_for_health

    return wait_for_health(config, client)[1]
