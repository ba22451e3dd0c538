"""Koyeb stand-in routes for deployments and their events."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shipyard.sandbox.koyeb_http import listed, missing, page, standin
from shipyard.sandbox.koyeb_state import IN_PROGRESS, Record, add_event, set_status
from shipyard.sandbox.koyeb_validate import FieldErrors, field
from shipyard.sandbox.koyeb_views import deployment_full, deployment_item, event

api = Blueprint("koyeb_runs", __name__)

DEPLOYMENT_STATUSES = (
    "PENDING",
    "PROVISIONING",
    "SCHEDULED",
    "CANCELING",
    "CANCELED",
    "ALLOCATING",
    "STARTING",
    "HEALTHY",
    "DEGRADED",
    "UNHEALTHY",
    "STOPPING",
    "STOPPED",
    "ERRORING",
    "ERROR",
    "STASHED",
    "SLEEPING",
)
ORDERS = ("asc", "desc")


@api.get("/v1/deployments")
def list_deployments() -> Any:
    statuses = listed(request.args.getlist("statuses"), DEPLOYMENT_STATUSES, "statuses")
    service_id = request.args.get("service_id")
    app_id = request.args.get("app_id")
    with standin().store.read() as data:
        found = [
            d
            for d in data["deployments"].values()
            if (not service_id or d["service_id"] == service_id)
            and (not app_id or d["app_id"] == app_id)
            and (not statuses or d["status"] in statuses)
        ]
        found.sort(key=lambda d: d["_seq"], reverse=True)
        return page("deployments", found, deployment_item)


def _deployment(data: Record, deployment_id: str) -> Record:
    deployment = data["deployments"].get(deployment_id)
    if deployment is None:
        raise missing("deployment", deployment_id)
    return deployment


@api.get("/v1/deployments/<deployment_id>")
def get_deployment(deployment_id: str) -> Any:
    with standin().store.read() as data:
        return {"deployment": deployment_full(_deployment(data, deployment_id))}


@api.post("/v1/deployments/<deployment_id>/cancel")
def cancel_deployment(deployment_id: str) -> Any:
    with standin().store.edit() as data:
        deployment = _deployment(data, deployment_id)
        status = deployment["status"]
        if status == "CANCELING":
            return {}
        if status not in IN_PROGRESS:
            raise FieldErrors(
                [
                    field(
                        "id",
                        f"the deployment is {status}; only one in progress "
                        "can be canceled",
                    )
                ],
                "Deployment cannot be canceled",
            )
        set_status(data, deployment_id, "CANCELING")
        add_event(data, deployment_id, "cancel_requested", "Cancellation requested")
    return {}


@api.get("/v1/deployment_events")
def list_deployment_events() -> Any:
    order = (request.args.get("order") or "desc").lower()
    if order not in ORDERS:
        raise FieldErrors([field("order", "must be asc or desc")])
    types = set(request.args.getlist("types"))
    deployment_id = request.args.get("deployment_id")
    with standin().store.read() as data:
        if deployment_id:
            _deployment(data, deployment_id)
            pools = [data["events"].get(deployment_id, [])]
        else:
            pools = list(data["events"].values())
        found = [e for pool in pools for e in pool if not types or e["type"] in types]
        found.sort(key=lambda e: e["_seq"], reverse=order == "desc")
        reply = page("events", found, event)
    reply.pop("count")
    reply["order"] = order
    return reply
