"""New records of the Koyeb stand-in's model: apps, services, deployments, secrets."""

from __future__ import annotations

import copy
from typing import Any

from shipyard.sandbox.koyeb_state import (
    IN_PROGRESS,
    Record,
    add_event,
    deployments_of,
    new_id,
    next_seq,
    now,
    set_status,
)
from shipyard.sandbox.koyeb_views import DEPLOYMENT_GROUP

SECRET_FIELDS = (
    "docker_hub_registry",
    "private_registry",
    "digital_ocean_registry",
    "github_registry",
    "gitlab_registry",
    "gcp_container_registry",
    "azure_container_registry",
)


def new_app(data: Record, name: str, life_cycle: Any) -> Record:
    """Store a new app (its relay port is filled in by the caller)."""
    stamp = now()
    app = {
        "id": new_id(),
        "name": name,
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "life_cycle": life_cycle if isinstance(life_cycle, dict) else {},
        "_seq": next_seq(data),
        "_domain_id": new_id(),
        "_relay_port": None,
    }
    data["apps"][app["id"]] = app
    return app


def new_service(data: Record, app_id: str, name: str, definition: Record) -> Record:
    """Store a new service, without any deployment yet."""
    stamp = now()
    service = {
        "id": new_id(),
        "app_id": app_id,
        "name": name,
        "type": definition.get("type") or "WEB",
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
        "active_deployment_id": "",
        "latest_deployment_id": "",
        "life_cycle": {},
        "_seq": next_seq(data),
        "_definition": normalized(definition, name),
    }
    data["services"][service["id"]] = service
    return service


def normalized(definition: Record, service_name: str) -> Record:
    """A stored copy of a definition, named after its service."""
    stored = copy.deepcopy(definition)
    stored["name"] = service_name
    stored.setdefault("type", "WEB")
    return stored


def new_deployment(data: Record, service: Record) -> Record:
    """Store a PENDING deployment of the service's current definition.

    Deployments of the service still in progress are canceled: the newest
    definition wins, as on Koyeb.
    """
    for older in deployments_of(data, service["id"]):
        if older["status"] in IN_PROGRESS:
            set_status(data, older["id"], "CANCELING")
            add_event(data, older["id"], "superseded", "A newer deployment was created")
    stamp = now()
    parent = service.get("latest_deployment_id") or ""
    deployment = {
        "id": new_id(),
        "created_at": stamp,
        "updated_at": stamp,
        "organization_id": data["organization_id"],
        "app_id": service["app_id"],
        "service_id": service["id"],
        "parent_id": parent,
        "child_id": "",
        "status": "PENDING",
        "metadata": {"trigger": {"type": "UNKNOWN_TYPE", "actor": "USER"}},
        "definition": copy.deepcopy(service["_definition"]),
        "messages": [],
        "provisioning_info": {},
        "version": str(len(deployments_of(data, service["id"])) + 1),
        "deployment_group": DEPLOYMENT_GROUP,
        "_seq": next_seq(data),
    }
    data["deployments"][deployment["id"]] = deployment
    if parent in data["deployments"]:
        data["deployments"][parent]["child_id"] = deployment["id"]
    service["latest_deployment_id"] = deployment["id"]
    service["updated_at"] = stamp
    add_event(data, deployment["id"], "created", "Deployment created")
    return deployment


def new_secret(data: Record, body: Record) -> Record:
    """Store a new SIMPLE or REGISTRY secret."""
    stamp = now()
    secret = {
        "id": new_id(),
        "name": body["name"],
        "organization_id": data["organization_id"],
        "type": body.get("type") or "SIMPLE",
        "created_at": stamp,
        "updated_at": stamp,
        "_seq": next_seq(data),
    }
    apply_secret(secret, body)
    data["secrets"][secret["id"]] = secret
    return secret


def apply_secret(secret: Record, body: Record) -> None:
    """Copy the settable fields of a secret body onto a stored secret."""
    if isinstance(body.get("name"), str):
        secret["name"] = body["name"]
    if isinstance(body.get("value"), str):
        secret["_value"] = body["value"]
    for key in SECRET_FIELDS:
        if isinstance(body.get(key), dict):
            for other in SECRET_FIELDS:
                secret.pop(other, None)
            secret[key] = dict(body[key])
    secret["updated_at"] = now()
