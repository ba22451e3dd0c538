"""Redeploying the backend so it reads changed secrets, and checking its health.

Koyeb resolves secret values when a deployment starts, so a new deployment
of the definition that serves now is how the backend picks up a rotated
value: same image, same settings, the secrets' values of this moment.
"""

from __future__ import annotations

import time
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
    import httpx

    app = client.find_app(config.backend.koyeb_app)
    if app is None:
        raise ShipyardError(f"Koyeb app {config.backend.koyeb_app} is gone")
    base = client.public_url(app, "/", config["KOYEB_PUBLIC_SCHEME"]).rstrip("/")
    url = base + config.backend.health_path
    deadline = time.monotonic() + config["SMOKE_TIMEOUT"]
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=5.0)
            if answer.status_code == 200:
                return url
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as problem:
            last = type(problem).__name__
        time.sleep(1.0)
    raise ShipyardError(f"the backend's health check GET {url} gave {last}")
