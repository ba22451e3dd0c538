"""The Koyeb stand-in's model: apps, services, deployments, events and secrets.

It lives in memory behind one re-entrant lock and is written to `koyeb.json`
in the state folder after every change (mode 0600: it holds the stored secret
values, as the provider would), so a restarted stand-in picks up where it was.
Records keep their API fields as the spec names them; keys starting with `_`
are the stand-in's own bookkeeping and never leave it.
"""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_FILE = "koyeb.json"

IN_PROGRESS = ("PENDING", "PROVISIONING", "SCHEDULED", "ALLOCATING", "STARTING")
FINISHED = ("CANCELED", "STOPPED", "ERROR")

Record = dict[str, Any]


def now() -> str:
    """The current UTC time as the API writes it (RFC 3339)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    """A fresh resource id (Koyeb uses UUIDs)."""
    return str(uuid.uuid4())


class Store:
    """Thread-safe holder of the model, saved to disk after each `edit`."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / STATE_FILE
        self._lock = threading.RLock()
        self._depth = 0
        self.data = self._load()

    def _load(self) -> Record:
        """The saved model, or an empty one for a new stand-in."""
        if self.path.is_file():
            return json.loads(self.path.read_text(encoding="utf-8"))
        empty: Record = {"organization_id": new_id(), "seq": 0}
        for table in ("apps", "services", "deployments", "events", "secrets"):
            empty[table] = {}
        return empty

    @contextmanager
    def read(self) -> Iterator[Record]:
        """The model, locked for a consistent read."""
        with self._lock:
            yield self.data

    @contextmanager
    def edit(self) -> Iterator[Record]:
        """The model, locked for a change that is saved when the block ends."""
        with self._lock:
            self._depth += 1
            try:
                yield self.data
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._save()

    def _save(self) -> None:
        """Write the model atomically, readable by its owner only."""
        scratch = self.path.with_suffix(".tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle, indent=1)
        os.replace(scratch, self.path)


def next_seq(data: Record) -> int:
    """An ever-growing number that orders records by creation."""
    data["seq"] += 1
    return int(data["seq"])


def add_event(
    data: Record,
    deployment_id: str,
    kind: str,
    message: str,
    metadata: Record | None = None,
) -> None:
    """Append one DeploymentEvent to a deployment's history."""
    data["events"].setdefault(deployment_id, []).append(
        {
            "id": new_id(),
            "when": now(),
            "organization_id": data["organization_id"],
            "deployment_id": deployment_id,
            "type": kind,
            "message": message,
            "metadata": metadata or {},
            "_seq": next_seq(data),
        }
    )


_STAMPS = {
    "ALLOCATING": "allocated_at",
    "STARTING": "started_at",
    "HEALTHY": "succeeded_at",
    "STOPPED": "terminated_at",
    "ERROR": "terminated_at",
    "CANCELED": "terminated_at",
}


def set_status(data: Record, deployment_id: str, status: str) -> None:
    """Move a deployment to `status`, stamping its timeline and its events."""
    deployment = data["deployments"][deployment_id]
    if deployment["status"] == status:
        return
    previous = deployment["status"]
    stamp = now()
    deployment["status"] = status
    deployment["updated_at"] = stamp
    if status in _STAMPS:
        deployment[_STAMPS[status]] = stamp
    add_event(
        data,
        deployment_id,
        "status_changed",
        f"Deployment status changed from {previous} to {status}",
        {"previous_status": previous, "status": status},
    )


def app_by_id(data: Record, app_id: str) -> Record | None:
    """The app with this id, unless it is unknown."""
    return data["apps"].get(app_id)


def services_of(data: Record, app_id: str) -> list[Record]:
    """The services of an app, oldest first."""
    found = [s for s in data["services"].values() if s["app_id"] == app_id]
    return sorted(found, key=lambda s: s["_seq"])


def deployments_of(data: Record, service_id: str) -> list[Record]:
    """The deployments of a service, newest first."""
    found = [d for d in data["deployments"].values() if d["service_id"] == service_id]
    return sorted(found, key=lambda d: d["_seq"], reverse=True)


def secret_by_name(data: Record, name: str) -> Record | None:
    """The stored secret called `name`, if any."""
    for secret in data["secrets"].values():
        if secret["name"] == name:
            return secret
    return None
