"""The running Koyeb stand-in: its model, deployment workers, relays and fault knobs.

Routing through an app's relay: each connection goes to the active healthy
deployment of the app's service whose route path is the longest prefix of
the request path (a service without routes answers on '/'), so an app with
several services splits traffic as Koyeb's routes do.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from shipyard.sandbox import koyeb_runner as runner
from shipyard.sandbox.koyeb_adopt import adopt
from shipyard.sandbox.koyeb_deploy import Deployer
from shipyard.sandbox.koyeb_env import declared_ports
from shipyard.sandbox.koyeb_runner import RunnerError
from shipyard.sandbox.koyeb_state import (
    IN_PROGRESS,
    Record,
    Store,
    services_of,
    set_status,
)
from shipyard.sandbox.koyeb_validate import as_int
from shipyard.sandbox.relay import Relay, Target

FAULT_STATUSES = (429, 500, 502, 503)


class Faults:
    """Injected failures: the next `count` API requests answer `status`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.status = 0
        self.remaining = 0
        self.retry_after = 1

    def arm(self, status: int, count: int, retry_after: int) -> None:
        """Fail the next `count` requests with `status`."""
        with self._lock:
            self.status, self.remaining, self.retry_after = status, count, retry_after

    def take(self) -> tuple[int, int] | None:
        """(status, retry_after) if this request must fail, else None."""
        with self._lock:
            if self.remaining <= 0:
                return None
            self.remaining -= 1
            return self.status, self.retry_after


class StandIn:
    """Everything one stand-in process holds besides its HTTP routes."""

    def __init__(self, state_dir: Path, token: str) -> None:
        self.store = Store(state_dir)
        self.instance = runner.instance_id(state_dir)
        self.deployer = Deployer(self.store, self.instance)
        self.token = token
        self.faults = Faults()
        self.relays: dict[str, Relay] = {}
        self._relay_lock = threading.Lock()

    def start(self) -> None:
        """Adopt what still runs, reopen each app's relay, finish deletions."""
        adopt(self.store, self.instance)
        with self.store.edit() as data:
            for app in list(data["apps"].values()):
                self.open_relay(data, app)
                if app.get("_deleting"):
                    self.remove_later(app_id=app["id"])
            for service in list(data["services"].values()):
                if service.get("_deleting"):
                    self.remove_later(service_id=service["id"])

    def close(self) -> None:
        """Stop every relay (containers keep running)."""
        with self._relay_lock:
            for relay in self.relays.values():
                relay.close()
            self.relays.clear()

    def open_relay(self, data: Record, app: Record) -> None:
        """Listen for an app, on its former port when it is still free."""
        app_id = app["id"]

        def resolve(path: str) -> Target | None:
            return self.resolve(app_id, path)

        try:
            relay = Relay(resolve, app.get("_relay_port") or 0)
        except OSError:
            relay = Relay(resolve, 0)
        with self._relay_lock:
            self.relays[app_id] = relay
        app["_relay_port"] = relay.port

    def resolve(self, app_id: str, path: str) -> Target | None:
        """Where a request for `path` on the app's URL goes now, if anywhere."""
        best: tuple[int, int] | None = None
        with self.store.read() as data:
            for service in services_of(data, app_id):
                for prefix, port in _routes(data, service):
                    if _under(path, prefix) and (best is None or len(prefix) > best[0]):
                        best = (len(prefix), port)
        return ("127.0.0.1", best[1]) if best else None

    def remove_later(
        self, app_id: str | None = None, service_id: str | None = None
    ) -> None:
        """Remove containers and records of a deleted app or service, in the background."""
        threading.Thread(
            target=self._remove, args=(app_id, service_id), daemon=True
        ).start()

    def _remove(self, app_id: str | None, service_id: str | None) -> None:
        with self.store.read() as data:
            services = (
                [service_id]
                if service_id
                else [s["id"] for s in services_of(data, app_id or "")]
            )
            doomed = [
                d for d in data["deployments"].values() if d["service_id"] in services
            ]
        for deployment in doomed:
            _wait_for_worker(self.store, deployment["id"])
            try:
                runner.remove(deployment.get("_container_id"), grace_seconds=2)
            except RunnerError:
                continue
            runner.release_port(deployment.get("_loopback_port"))
        with self.store.edit() as data:
            for deployment in doomed:
                data["deployments"].pop(deployment["id"], None)
                data["events"].pop(deployment["id"], None)
            for ident in services:
                data["services"].pop(ident, None)
            if app_id:
                data["apps"].pop(app_id, None)
        if app_id:
            with self._relay_lock:
                relay = self.relays.pop(app_id, None)
            if relay:
                relay.close()


def _wait_for_worker(store: Store, deployment_id: str, limit: float = 90.0) -> None:
    """Cancel a deployment still in progress and wait until its worker ends."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        with store.edit() as data:
            deployment = data["deployments"][deployment_id]
            if deployment["status"] in ("HEALTHY", "STOPPED", "ERROR", "CANCELED"):
                return
            if deployment["status"] in IN_PROGRESS:
                set_status(data, deployment_id, "CANCELING")
        time.sleep(0.2)


def _routes(data: Record, service: Record) -> list[tuple[str, int]]:
    """(path prefix, loopback port) of a service's active healthy deployment."""
    if service.get("_deleting"):
        return []
    deployment = data["deployments"].get(service.get("active_deployment_id") or "")
    if not deployment or deployment["status"] != "HEALTHY":
        return []
    ports = {int(k): v for k, v in (deployment.get("_port_map") or {}).items()}
    definition = deployment["definition"]
    routes = definition.get("routes") or []
    if not routes and ports:
        routes = [{"path": "/", "port": declared_ports(definition)[0]}]
    found = []
    for route in routes:
        port = as_int(route.get("port")) or 0
        found.append((route.get("path") or "/", ports.get(port, port)))
    return found


def _under(path: str, prefix: str) -> bool:
    """Whether `path` falls under the route `prefix` (whole segments only)."""
    if prefix == "/" or path == prefix:
        return True
    return path.startswith(prefix.rstrip("/") + "/")
