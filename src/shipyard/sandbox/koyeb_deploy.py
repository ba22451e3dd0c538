"""Runs one Koyeb stand-in deployment on the Docker engine, in a thread of its own.

A deployment walks the spec's statuses PENDING → PROVISIONING (pull) →
SCHEDULED → ALLOCATING (port) → STARTING (container up, probing) → HEALTHY,
or ends in ERROR or CANCELED. Only once it is HEALTHY does the service's
traffic move to it, in the same locked step, and only then is the previously
active deployment stopped (STOPPED). A failed deployment leaves the previous
one serving, and its events say what failed and show the container's last
log lines.

Ports: under host networking an old and a new deployment cannot both bind
the declared port, so each deployment gets a free loopback port of its own
for its lowest declared port. `PORT` is set to it (unless the definition
sets `PORT` itself, which is then honoured as the port to reach) and
`HOST=127.0.0.1`; health checks and routes on that declared port go to the
loopback port, other declared ports are reached as they are.
"""

from __future__ import annotations

import threading
import time

from shipyard.sandbox import koyeb_runner as runner
from shipyard.sandbox.koyeb_env import (
    command_of,
    container_env,
    context_of,
    port_map,
    with_hint,
)
from shipyard.sandbox.koyeb_probe import plan, wait_healthy
from shipyard.sandbox.koyeb_runner import RunnerError
from shipyard.sandbox.koyeb_state import Record, Store, add_event, set_status

DRAIN_SECONDS = 1.0
LOG_LINES = 20


class Canceled(Exception):
    """The deployment was canceled while it ran."""


class Deployer:
    """Starts deployment threads and moves traffic when one turns healthy."""

    def __init__(self, store: Store, instance: str) -> None:
        self.store = store
        self.instance = instance

    def launch(self, deployment_id: str) -> None:
        """Run a PENDING deployment in the background."""
        threading.Thread(
            target=self._run,
            args=(deployment_id,),
            name=f"deploy-{deployment_id[:8]}",
            daemon=True,
        ).start()

    def _run(self, deployment_id: str) -> None:
        try:
            self._deploy(deployment_id)
        except Canceled:
            self._finish_canceled(deployment_id)
        except RunnerError as exc:
            self._end_badly(deployment_id, str(exc))
        except Exception as exc:  # noqa: BLE001 - a deployment must always end
            self._end_badly(deployment_id, f"the sandbox stand-in failed: {exc!r}")

    def _end_badly(self, deployment_id: str, reason: str) -> None:
        """ERROR with `reason`, unless a cancellation came first."""
        with self.store.read() as data:
            canceled = data["deployments"][deployment_id]["status"] == "CANCELING"
        if canceled:
            self._finish_canceled(deployment_id)
        else:
            self._fail(deployment_id, reason)

    def _deploy(self, deployment_id: str) -> None:
        with self.store.edit() as data:
            self._check_canceled(data, deployment_id)
            set_status(data, deployment_id, "PROVISIONING")
            context = context_of(data, deployment_id)
        image = context["definition"]["docker"]["image"]
        self._note(deployment_id, "image_pull", f"Pulling image {image}")
        image_id = runner.pull(image, context["auth"])
        with self.store.edit() as data:
            self._check_canceled(data, deployment_id)
            data["deployments"][deployment_id]["provisioning_info"] = {
                "image": image,
                "sha": image_id,
            }
            add_event(data, deployment_id, "image_pull", f"Pulled image {image}")
            set_status(data, deployment_id, "SCHEDULED")
        self._start(deployment_id, context, image)

    def _start(self, deployment_id: str, context: Record, image: str) -> None:
        """Allocate a port, start the container, probe it, promote it."""
        definition = context["definition"]
        loopback = runner.claim_free_port()
        ports = port_map(definition, loopback)
        env = container_env(context, loopback)
        with self.store.edit() as data:
            deployment = data["deployments"][deployment_id]
            deployment["_port_map"] = {str(k): v for k, v in ports.items()}
            deployment["_loopback_port"] = loopback
            self._check_canceled(data, deployment_id)
            set_status(data, deployment_id, "ALLOCATING")
            if ports:
                declared = min(ports)
                add_event(
                    data,
                    deployment_id,
                    "port_assigned",
                    f"Declared port {declared} is reached on loopback port "
                    f"{ports[declared]}; PORT={env.get('PORT')}",
                )
        container_id = runner.start(
            image,
            name=f"koyeb-{context['app_name']}-{context['service_name']}-"
            f"{deployment_id[:8]}",
            env=env,
            labels=self._labels(context, deployment_id),
            command=command_of(definition["docker"]),
            entrypoint=definition["docker"].get("entrypoint"),
        )
        with self.store.edit() as data:
            data["deployments"][deployment_id]["_container_id"] = container_id
            self._check_canceled(data, deployment_id)
            set_status(data, deployment_id, "STARTING")
            add_event(data, deployment_id, "container_started", "Container started")
        checks, window = plan(definition, ports)
        for check in checks:
            self._note(deployment_id, "health_check", f"Waiting for {check.describe()}")
        failure = wait_healthy(
            checks, window, lambda: self._interruption(deployment_id, container_id)
        )
        if failure:
            raise RunnerError(with_hint(failure, definition, env, ports))
        if not checks:
            time.sleep(2)
            failure = self._interruption(deployment_id, container_id)
            if failure:
                raise RunnerError(failure)
        self._promote(deployment_id)

    def _labels(self, context: Record, deployment_id: str) -> dict[str, str]:
        return {
            runner.INSTANCE_LABEL: self.instance,
            runner.APP_LABEL: context["app_id"],
            runner.SERVICE_LABEL: context["service_id"],
            runner.DEPLOYMENT_LABEL: deployment_id,
        }

    def _interruption(self, deployment_id: str, container_id: str) -> str | None:
        """Why probing should stop now: canceled, or the container exited."""
        with self.store.read() as data:
            if data["deployments"][deployment_id]["status"] == "CANCELING":
                raise Canceled()
        found = runner.state(container_id)
        if found.status == "running":
            return None
        if found.status == "missing":
            return "the container disappeared before its health check passed"
        return (
            f"the container exited with code {found.exit_code} before its health "
            "check passed"
        )

    def _promote(self, deployment_id: str) -> None:
        """Make a healthy deployment the active one, then stop the previous."""
        with self.store.edit() as data:
            self._check_canceled(data, deployment_id)
            deployment = data["deployments"][deployment_id]
            service = data["services"][deployment["service_id"]]
            previous = service.get("active_deployment_id")
            deployment["messages"] = ["Deployment is healthy and serving"]
            set_status(data, deployment_id, "HEALTHY")
            service["active_deployment_id"] = deployment_id
            add_event(
                data,
                deployment_id,
                "traffic_switched",
                "The service's traffic now goes to this deployment",
            )
            old = data["deployments"].get(previous or "")
            if old is None or previous == deployment_id or old["status"] != "HEALTHY":
                return
            set_status(data, previous, "STOPPING")
            add_event(data, previous, "superseded", f"Replaced by {deployment_id}")
        time.sleep(DRAIN_SECONDS)
        self.stop(previous)

    def stop(self, deployment_id: str) -> None:
        """Remove a superseded deployment's container and mark it STOPPED."""
        with self.store.read() as data:
            deployment = data["deployments"][deployment_id]
            container_id = deployment.get("_container_id")
        try:
            runner.remove(container_id)
            note = "Deployment stopped"
        except RunnerError as exc:
            note = f"Deployment stopped, but its container was not removed: {exc}"
        runner.release_port(deployment.get("_loopback_port"))
        with self.store.edit() as data:
            deployment["messages"] = [note]
            set_status(data, deployment_id, "STOPPED")

    def _check_canceled(self, data: Record, deployment_id: str) -> None:
        if data["deployments"][deployment_id]["status"] == "CANCELING":
            raise Canceled()

    def _note(self, deployment_id: str, kind: str, message: str) -> None:
        with self.store.edit() as data:
            add_event(data, deployment_id, kind, message)

    def _finish_canceled(self, deployment_id: str) -> None:
        self._discard(deployment_id)
        with self.store.edit() as data:
            data["deployments"][deployment_id]["messages"] = ["Deployment canceled"]
            set_status(data, deployment_id, "CANCELED")

    def _fail(self, deployment_id: str, reason: str) -> None:
        """End a deployment in ERROR, saying why, with its container's last logs."""
        logs, secrets = self._discard(deployment_id)
        for value in secrets:
            logs = [line.replace(value, "****") for line in logs]
        with self.store.edit() as data:
            add_event(data, deployment_id, "error", reason)
            if logs:
                add_event(
                    data,
                    deployment_id,
                    "container_logs",
                    "Last lines the container wrote:\n" + "\n".join(logs),
                )
            data["deployments"][deployment_id]["messages"] = [reason]
            set_status(data, deployment_id, "ERROR")

    def _discard(self, deployment_id: str) -> tuple[list[str], list[str]]:
        """Remove the container of an unfinished deployment; return its logs."""
        with self.store.read() as data:
            deployment = data["deployments"][deployment_id]
            container_id = deployment.get("_container_id")
            secrets = [
                s["_value"]
                for s in data["secrets"].values()
                if len(s.get("_value", "")) > 3
            ]
        logs = runner.tail_logs(container_id, LOG_LINES) if container_id else []
        try:
            runner.remove(container_id, grace_seconds=1)
        except RunnerError:
            pass
        runner.release_port(deployment.get("_loopback_port"))
        return logs, secrets
