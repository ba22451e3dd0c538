"""Koyeb stand-in routes for apps and services (`/v1/apps…`, `/v1/services…`)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shipyard.sandbox.koyeb_http import body, listed, missing, page, standin
from shipyard.sandbox.koyeb_records import (
    new_app,
    new_deployment,
    new_service,
    normalized,
)
from shipyard.sandbox.koyeb_state import Record, now, services_of
from shipyard.sandbox.koyeb_validate import (
    check_definition,
    check_name,
    field,
    raise_if,
)
from shipyard.sandbox.koyeb_views import (
    app_full,
    app_item,
    deployment_full,
    service_full,
    service_item,
    service_status,
)

api = Blueprint("koyeb_apps", __name__)

SERVICE_TYPES = ("INVALID_TYPE", "WEB", "WORKER", "DATABASE", "SANDBOX")
SERVICE_STATUSES = (
    "STARTING",
    "HEALTHY",
    "DEGRADED",
    "UNHEALTHY",
    "DELETING",
    "DELETED",
    "PAUSING",
    "PAUSED",
    "RESUMING",
)


def _matches(name: str) -> bool:
    """Whether a name passes the `name` filter (a substring match)."""
    wanted = request.args.get("name") or ""
    return wanted in name


@api.get("/v1/apps")
def list_apps() -> Any:
    with standin().store.read() as data:
        apps = [a for a in data["apps"].values() if _matches(a["name"])]
        apps.sort(key=lambda a: a["_seq"], reverse=True)
        return page("apps", apps, lambda a: app_item(data, a))


@api.post("/v1/apps")
def create_app() -> Any:
    payload = body()
    name: Any = payload.get("name")
    server = standin()
    with server.store.edit() as data:
        problems = check_name(name)
        if not problems and any(a["name"] == name for a in data["apps"].values()):
            problems = [field("name", f"an app named {name!r} already exists")]
        raise_if(problems)
        app = new_app(data, name, payload.get("life_cycle"))
        server.open_relay(data, app)
        return {"app": app_full(data, app)}


def _app(data: Record, app_id: str) -> Record:
    app = data["apps"].get(app_id)
    if app is None:
        raise missing("app", app_id)
    return app


@api.get("/v1/apps/<app_id>")
def get_app(app_id: str) -> Any:
    with standin().store.read() as data:
        return {"app": app_full(data, _app(data, app_id))}


@api.delete("/v1/apps/<app_id>")
def delete_app(app_id: str) -> Any:
    server = standin()
    with server.store.edit() as data:
        app = _app(data, app_id)
        app["_deleting"] = True
        for service in services_of(data, app_id):
            service["_deleting"] = True
    server.remove_later(app_id=app_id)
    return {}


@api.get("/v1/services")
def list_services() -> Any:
    types = listed(request.args.getlist("types"), SERVICE_TYPES, "types")
    statuses = listed(request.args.getlist("statuses"), SERVICE_STATUSES, "statuses")
    app_id = request.args.get("app_id")
    with standin().store.read() as data:
        services = [
            s
            for s in data["services"].values()
            if (not app_id or s["app_id"] == app_id)
            and _matches(s["name"])
            and (not types or s["type"] in types)
            and (not statuses or service_status(data, s) in statuses)
        ]
        services.sort(key=lambda s: s["_seq"], reverse=True)
        return page("services", services, lambda s: service_item(data, s))


def _secret_names(data: Record) -> set[str]:
    return {s["name"] for s in data["secrets"].values()}


def _dry_run() -> bool:
    return request.args.get("dry_run", "").lower() in ("1", "true")


@api.post("/v1/services")
def create_service() -> Any:
    payload = body()
    definition: Any = payload.get("definition")
    server = standin()
    with server.store.edit() as data:
        app = data["apps"].get(payload.get("app_id") or "")
        named = definition.get("name") if isinstance(definition, dict) else None
        name: Any = payload.get("name") or named
        problems = [] if app else [field("app_id", "no app has this id")]
        problems += check_name(name)
        if app and any(s["name"] == name for s in services_of(data, app["id"])):
            problems.append(field("name", f"the app already has a service {name!r}"))
        problems += check_definition(definition, _secret_names(data))
        raise_if(problems)
        if _dry_run():
            return {"service": {"name": name, "app_id": app["id"]}}
        service = new_service(data, app["id"], name, definition)
        if isinstance(payload.get("life_cycle"), dict):
            service["life_cycle"] = payload["life_cycle"]
        deployment = new_deployment(data, service)
        reply = {"service": service_full(data, service)}
    server.deployer.launch(deployment["id"])
    return reply


def _service(data: Record, service_id: str) -> Record:
    service = data["services"].get(service_id)
    if service is None:
        raise missing("service", service_id)
    return service


@api.get("/v1/services/<service_id>")
def get_service(service_id: str) -> Any:
    with standin().store.read() as data:
        return {"service": service_full(data, _service(data, service_id))}


@api.route("/v1/services/<service_id>", methods=["PUT", "PATCH"])
def update_service(service_id: str) -> Any:
    payload = body()
    server = standin()
    launched = None
    with server.store.edit() as data:
        service = _service(data, service_id)
        definition = payload.get("definition")
        if definition is not None or request.method == "PUT":
            raise_if(check_definition(definition, _secret_names(data)))
        if _dry_run():
            return {"service": service_full(data, service)}
        if isinstance(payload.get("life_cycle"), dict):
            service["life_cycle"] = payload["life_cycle"]
        if definition is not None:
            service["_definition"] = normalized(definition, service["name"])
            service["version"] += 1
            service["updated_at"] = now()
            if not payload.get("save_only"):
                launched = new_deployment(data, service)["id"]
        reply = {"service": service_full(data, service)}
    if launched:
        server.deployer.launch(launched)
    return reply


@api.delete("/v1/services/<service_id>")
def delete_service(service_id: str) -> Any:
    server = standin()
    with server.store.edit() as data:
        _service(data, service_id)["_deleting"] = True
    server.remove_later(service_id=service_id)
    return {}


@api.post("/v1/services/<service_id>/redeploy")
def redeploy(service_id: str) -> Any:
    body()
    server = standin()
    with server.store.edit() as data:
        deployment = new_deployment(data, _service(data, service_id))
        reply = {"deployment": deployment_full(deployment)}
    server.deployer.launch(deployment["id"])
    return reply
