"""How the Koyeb stand-in's records look on the wire, per the spec's definitions.

Statuses of apps and services are derived from their deployments here, so
they can never disagree with what is really running.
"""

from __future__ import annotations

from typing import Any

from shipyard.sandbox.koyeb_state import IN_PROGRESS, Record, services_of

DEPLOYMENT_GROUP = "prod"
_REGISTRY_KINDS = (
    "docker_hub_registry",
    "private_registry",
    "digital_ocean_registry",
    "github_registry",
    "gitlab_registry",
    "gcp_container_registry",
    "azure_container_registry",
)
_HIDDEN_REGISTRY_KEYS = ("password", "keyfile_content")


def public(record: Record) -> Record:
    """A record without the stand-in's own `_` keys."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def domain(data: Record, app: Record) -> Record:
    """The app's AUTOASSIGNED domain: the loopback address of its relay."""
    port = app.get("_relay_port")
    return {
        "id": app["_domain_id"],
        "organization_id": data["organization_id"],
        "name": f"127.0.0.1:{port}",
        "created_at": app["created_at"],
        "updated_at": app["updated_at"],
        "status": "ACTIVE" if port else "PENDING",
        "type": "AUTOASSIGNED",
        "app_id": app["id"],
        "deployment_group": DEPLOYMENT_GROUP,
        "intended_cname": "",
        "messages": [],
        "version": "1",
    }


def app_status(data: Record, app: Record) -> str:
    """An App.Status summing up the statuses of the app's services."""
    if app.get("_deleting"):
        return "DELETING"
    statuses = {service_status(data, s) for s in services_of(data, app["id"])}
    if not statuses or statuses == {"HEALTHY"}:
        return "HEALTHY"
    if statuses == {"UNHEALTHY"}:
        return "UNHEALTHY"
    if "UNHEALTHY" not in statuses and "STARTING" in statuses:
        return "STARTING"
    return "DEGRADED"


def app_item(data: Record, app: Record) -> Record:
    """An AppListItem."""
    return {
        "id": app["id"],
        "name": app["name"],
        "organization_id": data["organization_id"],
        "created_at": app["created_at"],
        "updated_at": app["updated_at"],
        "domains": [domain(data, app)],
        "status": app_status(data, app),
        "messages": [],
    }


def app_full(data: Record, app: Record) -> Record:
    """An App."""
    return {
        **app_item(data, app),
        "version": str(app["version"]),
        "life_cycle": app.get("life_cycle") or {},
    }


def service_status(data: Record, service: Record) -> str:
    """A Service.Status: HEALTHY while a healthy deployment serves it."""
    if service.get("_deleting"):
        return "DELETING"
    deployments = data["deployments"]
    active = deployments.get(service.get("active_deployment_id") or "")
    if active and active["status"] == "HEALTHY":
        return "HEALTHY"
    latest = deployments.get(service.get("latest_deployment_id") or "")
    if latest is None or latest["status"] in (*IN_PROGRESS, "CANCELING"):
        return "STARTING"
    return "UNHEALTHY"


def service_messages(data: Record, service: Record) -> list[str]:
    """Why the latest deployment is not the one serving, when it failed."""
    latest = data["deployments"].get(service.get("latest_deployment_id") or "")
    if latest and latest["status"] == "ERROR":
        return [f"Deployment {latest['id']} failed", *latest.get("messages", [])]
    return []


def service_item(data: Record, service: Record) -> Record:
    """A ServiceListItem."""
    return {
        "id": service["id"],
        "name": service["name"],
        "type": service["type"],
        "organization_id": data["organization_id"],
        "app_id": service["app_id"],
        "created_at": service["created_at"],
        "updated_at": service["updated_at"],
        "status": service_status(data, service),
        "messages": service_messages(data, service),
        "version": str(service["version"]),
        "state": {},
        "active_deployment_id": service.get("active_deployment_id") or "",
        "latest_deployment_id": service.get("latest_deployment_id") or "",
        "life_cycle": service.get("life_cycle") or {},
    }


def service_full(data: Record, service: Record) -> Record:
    """A Service."""
    item = service_item(data, service)
    item["last_provisioned_deployment_id"] = service.get("latest_deployment_id") or ""
    return item


_DEPLOYMENT_ONLY = ("skip_build", "role")


def deployment_full(deployment: Record) -> Record:
    """A Deployment."""
    return public(deployment)


def deployment_item(deployment: Record) -> Record:
    """A DeploymentListItem (a Deployment less a few fields)."""
    shown = public(deployment)
    for key in _DEPLOYMENT_ONLY:
        shown.pop(key, None)
    return shown


def event(record: Record) -> Record:
    """A DeploymentEvent."""
    return public(record)


def secret(record: Record) -> Record:
    """A Secret as GET shows it: never its value or registry password."""
    shown = public(record)
    for kind in _REGISTRY_KINDS:
        if kind in shown:
            shown[kind] = {
                key: value
                for key, value in shown[kind].items()
                if key not in _HIDDEN_REGISTRY_KEYS
            }
    return shown


def revealed(record: Record) -> Any:
    """What RevealSecret answers: the value, or the registry settings."""
    if record["type"] == "SIMPLE":
        return record.get("_value", "")
    for kind in _REGISTRY_KINDS:
        if kind in record:
            return {kind: record[kind]}
    return ""
