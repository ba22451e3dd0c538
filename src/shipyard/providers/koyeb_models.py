"""The Koyeb nouns Shipyard works with, read from the API's JSON.

Field names follow Koyeb's API definition (App, Domain, Service, Deployment,
Secret); only the fields Shipyard uses are kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from shipyard.errors import ShipyardError

HEALTHY = "HEALTHY"

# Deployment.Status values after which a deployment will never become healthy.
FAILED_STATUSES = frozenset(
    {"ERROR", "ERRORING", "DEGRADED", "UNHEALTHY", "CANCELED", "STOPPED", "STASHED"}
)

Outcome = Literal["healthy", "failed", "pending"]

# Domain.Status values under which a domain will not serve the app.
_UNUSABLE_DOMAIN = frozenset({"ERROR", "DELETING", "DELETED"})


def deployment_outcome(status: str) -> Outcome:
    """Where a deployment in `status` stands: healthy, failed, or still going.

    Statuses not named here (PENDING, PROVISIONING, SCHEDULED, ALLOCATING,
    STARTING, CANCELING, STOPPING, SLEEPING, or one Koyeb adds later) count as
    still going, so a wait only ends on a status that settles the question.
    """
    if status == HEALTHY:
        return "healthy"
    if status in FAILED_STATUSES:
        return "failed"
    return "pending"


@dataclass(frozen=True)
class Domain:
    """A name an app answers on (Domain.type AUTOASSIGNED or CUSTOM)."""

    name: str
    type: str = "AUTOASSIGNED"
    status: str = "PENDING"

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Domain:
        return cls(
            name=data.get("name", ""),
            type=data.get("type", "AUTOASSIGNED"),
            status=data.get("status", "PENDING"),
        )


@dataclass(frozen=True)
class App:
    """A Koyeb app: a group of services sharing domains."""

    id: str
    name: str
    status: str = ""
    domains: tuple[Domain, ...] = ()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> App:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            status=data.get("status", ""),
            domains=tuple(Domain.from_api(d) for d in data.get("domains") or ()),
        )


@dataclass(frozen=True)
class Service:
    """A Koyeb service; each change of its definition starts a new deployment."""

    id: str
    name: str
    app_id: str
    status: str = ""
    active_deployment_id: str = ""
    latest_deployment_id: str = ""

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Service:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            app_id=data.get("app_id", ""),
            status=data.get("status", ""),
            active_deployment_id=data.get("active_deployment_id", ""),
            latest_deployment_id=data.get("latest_deployment_id", ""),
        )


@dataclass(frozen=True)
class Deployment:
    """One deployment of a service, with the definition it runs."""

    id: str
    service_id: str
    status: str
    created_at: str = ""
    definition: dict[str, Any] = field(default_factory=dict, compare=False)
    messages: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Deployment:
        return cls(
            id=data["id"],
            service_id=data.get("service_id", ""),
            status=data.get("status", "PENDING"),
            created_at=data.get("created_at", ""),
            definition=data.get("definition") or {},
            messages=tuple(data.get("messages") or ()),
        )

    @property
    def image(self) -> str:
        """The image reference this deployment runs, or "" when not Docker."""
        return (self.definition.get("docker") or {}).get("image", "")


@dataclass(frozen=True)
class KoyebSecret:
    """A Koyeb secret as listed: its name and id, never its value."""

    id: str
    name: str
    type: str = "SIMPLE"

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> KoyebSecret:
        return cls(
            id=data["id"],
            name=data.get("name", ""),
            type=data.get("type", "SIMPLE"),
        )


def public_url(app: App, route_path: str = "/", scheme: str = "https") -> str:
    """The URL where `app` serves `route_path`, taken from the app's domains.

    An active custom domain wins over Koyeb's assigned one, since that is
    the name people use; a domain in error or being deleted is never chosen.
    """
    usable = [d for d in app.domains if d.name and d.status not in _UNUSABLE_DOMAIN]
    if not usable:
        raise ShipyardError(f"Koyeb app {app.name} has no usable domain yet: check it")
    best = min(usable, key=lambda d: (d.status != "ACTIVE", d.type != "CUSTOM"))
    path = route_path if route_path.startswith("/") else f"/{route_path}"
    return f"{scheme}://{best.name}{path}"


def timestamp(text: str) -> float:
    """Seconds since the epoch of an API date-time, 0 when absent or unreadable."""
    try:
        return datetime.fromisoformat(text).timestamp()
    except (TypeError, ValueError):
        return 0.0
