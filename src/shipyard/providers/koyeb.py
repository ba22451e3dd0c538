"""Shipyard's client for the Koyeb REST API: apps, services, deployments, secrets.

Plain HTTP against a base URL, so the same code drives Koyeb itself
(https://app.koyeb.com/v1) and the sandbox stand-in (http://127.0.0.1:PORT/v1).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.providers.koyeb_api import KoyebAPI
from shipyard.providers.koyeb_definition import (
    build_definition,
    is_pinned,
    koyeb_secret_name,
    validate_definition,
    with_image,
)
from shipyard.providers.koyeb_errors import (
    DeploymentFailed,
    DeploymentTimedOut,
    one_line,
)
from shipyard.providers.koyeb_models import (
    App,
    Deployment,
    KoyebSecret,
    Service,
    deployment_outcome,
    public_url,
    timestamp,
)
from shipyard.redaction import Secret, redact

__all__ = [
    "PRODUCTION_URL",
    "App",
    "Deployment",
    "DeploymentFailed",
    "DeploymentTimedOut",
    "KoyebClient",
    "KoyebSecret",
    "Service",
    "build_definition",
    "deployment_outcome",
    "is_pinned",
    "koyeb_secret_name",
    "public_url",
    "validate_definition",
    "with_image",
]

PRODUCTION_URL = "https://app.koyeb.com/v1"
DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")


class KoyebClient(KoyebAPI):
    """Talks to one Koyeb organization with one token.

    `KoyebClient(base_url, token, *, timeout=30.0, max_retries=5,
    sleep=time.sleep, clock=time.monotonic, page_size=100)`; use it as a
    context manager so its connections are closed.
    """

    public_url = staticmethod(public_url)

    def find_app(self, name: str) -> App | None:
        """The app named exactly `name`, looking through every page of apps."""
        for item in self._pages("apps", "apps", {"name": name}, f"apps named {name}"):
            if item.get("name") == name:
                return App.from_api(item)
        return None

    def get_app(self, app_id: str) -> App:
        """The app with id `app_id`, with its domains."""
        return App.from_api(self._call("GET", f"apps/{app_id}", f"app {app_id}")["app"])

    def create_app(self, name: str) -> App:
        """Create the app `name`; Koyeb assigns it a domain."""
        reply = self._call("POST", "apps", f"new app {name}", json={"name": name})
        return App.from_api(reply["app"])

    def find_service(self, app_id: str, name: str) -> Service | None:
        """The service named exactly `name` in app `app_id`, over every page."""
        params = {"app_id": app_id, "name": name}
        for item in self._pages("services", "services", params, f"services {name}"):
            if item.get("name") == name and item.get("app_id", app_id) == app_id:
                return Service.from_api(item)
        return None

    def get_service(self, service_id: str) -> Service:
        """The service with id `service_id`."""
        reply = self._call("GET", f"services/{service_id}", f"service {service_id}")
        return Service.from_api(reply["service"])

    def create_service(
        self, app_id: str, name: str, definition: dict[str, Any]
    ) -> tuple[Service, Deployment]:
        """Create service `name` in app `app_id`; return it and its first deployment."""
        validate_definition(definition)
        body = {"app_id": app_id, "name": name, "definition": definition}
        reply = self._call("POST", "services", f"new service {name}", json=body)
        service = Service.from_api(reply["service"])

        deployment = self._newest_deployment(service)
        if deployment is None:
            raise ShipyardError(
                f"Koyeb created service {name} but started no deployment: check it"
            )
        return service, deployment

    def delete_service(self, service_id: str) -> None:
        """Delete the service; Koyeb stops its deployments."""
        self._call("DELETE", f"services/{service_id}", f"service {service_id}")

    def latest_deployment(self, service_id: str) -> Deployment | None:
        """The service's newest deployment, whatever its status, or None."""
        return self._newest_deployment(self.get_service(service_id))

    def get_deployment(self, deployment_id: str) -> Deployment:
        """The deployment with id `deployment_id`, with its status and definition."""
        path = f"deployments/{deployment_id}"
        reply = self._call("GET", path, f"deployment {deployment_id}")
        return Deployment.from_api(reply["deployment"])

    def deployment_events(self, deployment_id: str) -> list[str]:
        """The deployment's event messages, oldest first, to explain a failure."""
        params = {"deployment_id": deployment_id}
        what = f"events of deployment {deployment_id}"
        events = list(self._pages("deployment_events", "events", params, what))
        whens = [timestamp(event.get("when", "")) for event in events]
        if whens and whens[0] > whens[-1]:
            events.reverse()
        events.sort(key=lambda event: timestamp(event.get("when", "")))
        return [redact(event["message"]) for event in events if event.get("message")]

    def deploy(
        self,
        service_id: str,
        definition: dict[str, Any],
        *,
        allow_unpinned: bool = False,
    ) -> Deployment:
        """Replace the service's definition; return the deployment this starts.

        The definition is checked before anything is sent, so a bad one never
        reaches Koyeb.
        """
        validate_definition(definition, allow_unpinned=allow_unpinned)
        before = self.latest_deployment(service_id)

        reply = self._call(
            "PATCH",
            f"services/{service_id}",
            f"the new definition of service {service_id}",
            json={"definition": definition},
            idempotent=True,
        )
        deployment = self._newest_deployment(Service.from_api(reply["service"]))
        if deployment is None or (before is not None and deployment.id == before.id):
            raise ShipyardError(
                f"Koyeb accepted the new definition of service {service_id} but "
                "started no deployment: check the service in Koyeb"
            )
        return deployment

    def rollback(
        self,
        service_id: str,
        to_deployment_id: str,
        *,
        allow_unpinned: bool = False,
    ) -> Deployment:
        """Deploy again the definition of an earlier deployment of the service.

        Koyeb has no rollback of its own: going back is a new deployment of the
        old definition, which this returns.
        """
        target = self.get_deployment(to_deployment_id)
        if target.service_id and target.service_id != service_id:
            raise ShipyardError(
                f"deployment {to_deployment_id} belongs to service "
                f"{target.service_id}, not {service_id}: pick one of its own"
            )
        if not target.definition:
            raise ShipyardError(
                f"Koyeb gave no definition for deployment {to_deployment_id}"
            )
        definition = _restorable(target.definition)
        return self.deploy(service_id, definition, allow_unpinned=allow_unpinned)

    def wait_healthy(
        self,
        deployment_id: str,
        timeout: float,
        poll: float = 2.0,
        on_status: Callable[[Deployment], None] | None = None,
    ) -> Deployment:
        """Wait until the deployment is HEALTHY and return it.

        `on_status` hears each new status. A deployment that ends badly raises
        DeploymentFailed carrying its events; one still going after `timeout`
        seconds raises DeploymentTimedOut naming the status it was stuck in.
        """
        deadline = self._clock() + timeout
        seen = ""
        while True:
            deployment = self.get_deployment(deployment_id)
            if deployment.status != seen and on_status is not None:
                on_status(deployment)
            seen = deployment.status

            outcome = deployment_outcome(deployment.status)
            if outcome == "healthy":
                return deployment
            if outcome == "failed":
                raise self._failure(deployment)

            remaining = deadline - self._clock()
            if remaining <= 0:
                raise DeploymentTimedOut(
                    f"Koyeb deployment {deployment_id} still {deployment.status} "
                    f"after {timeout:g} s: it did not become healthy in time",
                    deployment_id=deployment_id,
                    status=deployment.status,
                    events=self._events_for_report(deployment_id),
                )
            self._sleep(min(poll, remaining))

    def list_secrets(self) -> list[KoyebSecret]:
        """Every secret of the organization, by name and id (never values)."""
        items = self._pages("secrets", "secrets", {}, "secrets")
        return [KoyebSecret.from_api(item) for item in items]

    def find_secret(self, name: str) -> KoyebSecret | None:
        """The secret named exactly `name`, looking through every page."""
        params = {"name": name}
        for item in self._pages("secrets", "secrets", params, f"secret {name}"):
            if item.get("name") == name:
                return KoyebSecret.from_api(item)
        return None

    def create_secret(self, name: str, value: Secret) -> KoyebSecret:
        """Create a simple secret `name` holding `value`."""
        body = {"name": name, "type": "SIMPLE", "value": value.reveal()}
        reply = self._call("POST", "secrets", f"new secret {name}", json=body)
        return KoyebSecret.from_api(reply["secret"])

    def put_registry_secret(
        self, name: str, registry: str, username: str, password: Secret
    ) -> KoyebSecret:
        """Create or update the REGISTRY secret Koyeb pulls a private image with."""
        kind = "docker_hub_registry" if registry in DOCKER_HUB else "private_registry"
        config = {"username": username, "password": password.reveal()}
        if kind == "private_registry":
            config["url"] = registry
        existing = self.find_secret(name)
        if existing is None:
            body = {"name": name, "type": "REGISTRY", kind: config}
            reply = self._call("POST", "secrets", f"new secret {name}", json=body)
        else:
            reply = self._call("PATCH", f"secrets/{existing.id}", f"secret {name}",
                               json={kind: config}, idempotent=True)
        return KoyebSecret.from_api(reply["secret"])

    def update_secret(self, secret_id: str, value: Secret) -> KoyebSecret:
        """Give secret `secret_id` a new value; services read it on next deploy."""
        body = {"value": value.reveal()}
        path = f"secrets/{secret_id}"
        reply = self._call(
            "PATCH", path, f"secret {secret_id}", json=body, idempotent=True
        )
        return KoyebSecret.from_api(reply["secret"])

    def _newest_deployment(self, service: Service) -> Deployment | None:
        if service.latest_deployment_id:
            return self.get_deployment(service.latest_deployment_id)
        params = {"service_id": service.id}
        what = f"deployments of service {service.id}"
        newest: dict[str, Any] | None = None
        for item in self._pages("deployments", "deployments", params, what):
            created = timestamp(item.get("created_at", ""))
            if newest is None or created > timestamp(newest.get("created_at", "")):
                newest = item
        return Deployment.from_api(newest) if newest else None

    def _failure(self, deployment: Deployment) -> DeploymentFailed:
        first = deployment.messages[0] if deployment.messages else ""
        reason = f": {one_line(redact(first))}" if first else ""
        return DeploymentFailed(
            f"Koyeb deployment {deployment.id} ended {deployment.status}{reason}",
            deployment_id=deployment.id,
            status=deployment.status,
            events=self._events_for_report(deployment.id),
        )

    def _events_for_report(self, deployment_id: str) -> list[str]:
        try:
            return self.deployment_events(deployment_id)
        except ShipyardError as error:
            return [f"(events unavailable: {error})"]


def _restorable(definition: dict[str, Any]) -> dict[str, Any]:
    """A definition read back from Koyeb, made fit to send again.

    Koyeb may echo an empty value beside a secret reference; sending both
    would be refused, so the empty value is dropped.
    """
    result = copy.deepcopy(definition)
    for entry in result.get("env") or []:
        if entry.get("secret") and entry.get("value") == "":
            del entry["value"]
    return result
