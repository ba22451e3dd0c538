"""Reconciles a restarted Koyeb stand-in with the containers the engine still runs.

Healthy deployments whose container still runs are adopted and keep serving;
deployments caught half-way by the restart end in ERROR (or CANCELED) and
lose their container; containers no deployment owns any more are removed.
"""

from __future__ import annotations

from typing import Any

import docker.errors

from shipyard.sandbox import koyeb_runner as runner
from shipyard.sandbox.koyeb_runner import RunnerError
from shipyard.sandbox.koyeb_state import (
    IN_PROGRESS,
    Record,
    Store,
    add_event,
    set_status,
)

INTERRUPTED = (
    "the Koyeb stand-in restarted while this deployment was in progress; deploy again"
)
VANISHED = "the container of this deployment stopped while the stand-in was down"


def adopt(store: Store, instance: str) -> None:
    """Bring the saved model in line with the engine after a restart."""
    try:
        containers = {
            c.labels.get(runner.DEPLOYMENT_LABEL): c for c in runner.labelled(instance)
        }
    except (RunnerError, docker.errors.DockerException):
        containers = None
    doomed: list[Any] = []
    with store.edit() as data:
        for deployment in list(data["deployments"].values()):
            found = (containers or {}).get(deployment["id"])
            if not _reconcile(data, deployment, found, containers is not None):
                doomed.append(found)
        known = set(data["deployments"])
        doomed += [c for key, c in (containers or {}).items() if key not in known]
    for container in doomed:
        if container is not None:
            try:
                container.remove(force=True)
            except docker.errors.DockerException:
                continue


def _reconcile(data: Record, deployment: Record, container: Any, checked: bool) -> bool:
    """Fix one deployment's status; False when its container must go."""
    status = deployment["status"]
    if status in IN_PROGRESS or status == "CANCELING":
        _end(data, deployment, "CANCELED" if status == "CANCELING" else "ERROR")
        return False
    if status == "STOPPING":
        set_status(data, deployment["id"], "STOPPED")
        return False
    if status != "HEALTHY" or not checked:
        return status == "HEALTHY"
    if container is not None and container.status == "running":
        runner.hold_port(deployment.get("_loopback_port"))
        return True
    _end(data, deployment, "ERROR", VANISHED)
    service = data["services"].get(deployment["service_id"])
    if service and service.get("active_deployment_id") == deployment["id"]:
        service["active_deployment_id"] = ""
    return False


def _end(
    data: Record, deployment: Record, status: str, reason: str = INTERRUPTED
) -> None:
    add_event(data, deployment["id"], "error", reason)
    deployment["messages"] = [reason]
    set_status(data, deployment["id"], status)
