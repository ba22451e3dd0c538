"""The Netlify stand-in's model: account, sites, deploys and their file blobs.

The model lives in memory behind one re-entrant lock and is written to
`netlify.json` in the state folder after each change (mode 0600: it holds
environment values, as the provider would). File contents are stored once
per SHA1 under `netlify-blobs/`, which is how `required` is worked out.
Deploys move through Netlify's state names lazily: each read advances a
deploy whose waiting time is over.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

STATE_FILE = "netlify.json"
BLOB_FOLDER = "netlify-blobs"
# How long the stand-in spends diffing an async digest and processing a deploy.
PREPARE_SECONDS = 0.3
PROCESS_SECONDS = 0.3

Record = dict[str, Any]


def iso(moment: float | None = None) -> str:
    """A time as the API writes it (UTC, milliseconds)."""
    when = datetime.fromtimestamp(moment or time.time(), UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def object_id() -> str:
    """A fresh 24-hex-digit id, the shape of Netlify's deploy and account ids."""
    return secrets.token_hex(12)


class Faults:
    """Failures the sandbox was asked to inject, counted down as they happen."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        """Inject nothing from now on."""
        self.fail_uploads = 0
        self.rate_limit = 0
        self.rate_limit_reset = 0.0
        self.stall_uploading = False
        self.error_next_deploy: str | None = None
        self.limit_after_publish = 0.0

    def as_json(self) -> Record:
        return {
            "fail_uploads": self.fail_uploads,
            "rate_limit": self.rate_limit,
            "rate_limit_reset": self.rate_limit_reset,
            "stall_uploading": self.stall_uploading,
            "error_next_deploy": self.error_next_deploy,
            "rate_limit_after_publish": self.limit_after_publish,
        }

    def published(self) -> None:
        """A deploy went live: arm the rate limit if asked to, once.

        Every API answer is then a 429 until the reset, so a client is held
        between the publish and what it does next, as a test needs.
        """
        if self.limit_after_publish > 0:
            self.rate_limit = 1_000_000
            self.rate_limit_reset = time.time() + self.limit_after_publish
            self.limit_after_publish = 0.0


class Store:
    """Thread-safe holder of the model and the blob folder."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / STATE_FILE
        self.blobs = state_dir / BLOB_FOLDER
        self.blobs.mkdir(exist_ok=True)
        self.faults = Faults()
        self.lock = threading.RLock()
        self._depth = 0
        self.data = self._load()

    def _load(self) -> Record:
        if self.path.is_file():
            data = json.loads(self.path.read_text(encoding="utf-8"))
            for deploy in data["deploys"].values():
                files = deploy["_files"] or {}
                deploy["_missing"] = sorted(
                    {sha for sha in files.values() if not self.has_blob(sha)}
                )
            return data
        return {
            "account": {"id": object_id(), "slug": "sandbox", "name": "Sandbox"},
            "user": {"id": object_id(), "email": "sandbox@localhost"},
            "sites": {},
            "deploys": {},
            "env": {},
            "seq": 0,
        }

    @contextmanager
    def edit(self) -> Iterator[Record]:
        """The model, locked for a change that is saved when the block ends."""
        with self.lock:
            self._depth += 1
            try:
                yield self.data
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self._save()

    def _save(self) -> None:
        scratch = self.path.with_suffix(".tmp")
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(self.data, handle)
        os.replace(scratch, self.path)

    # Blobs: file contents by SHA1.

    def blob_path(self, sha: str) -> Path:
        return self.blobs / sha[:2] / sha

    def has_blob(self, sha: str) -> bool:
        return self.blob_path(sha).is_file()

    def put_blob(self, body: bytes) -> str:
        sha = hashlib.sha1(body).hexdigest()
        target = self.blob_path(sha)
        if not target.is_file():
            target.parent.mkdir(exist_ok=True)
            scratch = target.with_name(f"{sha}.{uuid.uuid4().hex}.tmp")
            scratch.write_bytes(body)
            os.replace(scratch, target)
        return sha

    # Sites.

    def find_site(self, site_id: str) -> Record | None:
        """A site by id or by name, as Netlify accepts either."""
        sites = self.data["sites"]
        if site_id in sites:
            return sites[site_id]
        for site in sites.values():
            if site["name"] == site_id:
                return site
        return None

    def add_site(self, name: str, port: int, site_id: str | None = None) -> Record:
        """A new site; the caller has bound `port` to serve it."""
        with self.edit() as data:
            stamp = iso()
            site = {
                "id": site_id or str(uuid.uuid4()),
                "name": name,
                "port": port,
                "created_at": stamp,
                "updated_at": stamp,
                "published_deploy_id": None,
            }
            data["sites"][site["id"]] = site
            return site

    # Deploys.

    def site_deploys(self, site_id: str) -> list[Record]:
        """The site's deploys, newest first, each advanced to its current state."""
        with self.lock:
            found = [
                d for d in self.data["deploys"].values() if d["site_id"] == site_id
            ]
            for deploy in found:
                self.advance(deploy)
            return sorted(found, key=lambda d: d["_seq"], reverse=True)

    def get_deploy(self, deploy_id: str) -> Record | None:
        with self.lock:
            deploy = self.data["deploys"].get(deploy_id)
            if deploy is not None:
                self.advance(deploy)
            return deploy

    def create_deploy(self, site: Record, body: Record, title: str | None) -> Record:
        """A new deploy of `site`; with files, its digest is diffed at once or soon."""
        with self.edit() as data:
            data["seq"] += 1
            stamp = iso()
            deploy: Record = {
                "id": object_id(),
                "site_id": site["id"],
                "state": "new",
                "draft": bool(body.get("draft")),
                "branch": body.get("branch"),
                "title": title or body.get("title"),
                "locked": False,
                "created_at": stamp,
                "updated_at": stamp,
                "published_at": None,
                "error_message": None,
                "_seq": data["seq"],
                "_files": None,
                "_missing": [],
                "_fail_with": self.faults.error_next_deploy,
                "_due": 0.0,
            }
            self.faults.error_next_deploy = None
            data["deploys"][deploy["id"]] = deploy
            if body.get("files") is not None:
                self.set_files(deploy, body)
            return deploy

    def set_files(self, deploy: Record, body: Record) -> None:
        """Take the deploy's file digest; `required` is what no blob holds yet.

        Whether the deploy is a draft was settled when it was created: the
        digest netlify-cli sends afterwards always says `draft: false`.
        """
        with self.edit():
            files = {
                path.lstrip("/"): str(sha).lower()
                for path, sha in (body.get("files") or {}).items()
            }
            deploy["_files"] = files
            deploy["_missing"] = sorted(
                {sha for sha in files.values() if not self.has_blob(sha)}
            )
            deploy["updated_at"] = iso()
            if body.get("async"):
                deploy["state"] = "preparing"
                deploy["_due"] = time.time() + PREPARE_SECONDS
            else:
                deploy["state"] = "prepared"
            self.advance(deploy)

    def received(self, deploy: Record, sha: str) -> None:
        """A required file arrived for the deploy.

        Saved only when the deploy's state changes: a restarted stand-in works
        `required` out again from the blobs it holds.
        """
        with self.lock:
            if sha in deploy["_missing"]:
                deploy["_missing"].remove(sha)
            before = deploy["state"]
            if before == "prepared":
                deploy["state"] = "uploading"
            self.advance(deploy)
            if deploy["state"] != before:
                deploy["updated_at"] = iso()
                self._save()

    def advance(self, deploy: Record) -> None:
        """Move the deploy on through the states whose time has come."""
        with self.lock:
            before = deploy["state"]
            self._step(deploy, time.time())
            if deploy["state"] != before:
                self._save()

    def _step(self, deploy: Record, now: float) -> None:
        if deploy["state"] == "preparing" and now >= deploy["_due"]:
            deploy["state"] = "prepared"
        if deploy["state"] in ("prepared", "uploading") and not deploy["_missing"]:
            if self.faults.stall_uploading:
                deploy["state"] = "uploading"
                return
            deploy["state"] = "uploaded"
        if deploy["state"] == "uploaded":
            deploy["state"] = "processing"
            deploy["_due"] = now + PROCESS_SECONDS
        if deploy["state"] == "processing" and now >= deploy["_due"]:
            self._finish(deploy)

    def _finish(self, deploy: Record) -> None:
        deploy["updated_at"] = iso()
        if deploy["_fail_with"]:
            deploy["state"] = "error"
            deploy["error_message"] = deploy["_fail_with"]
            return
        deploy["state"] = "ready"
        site = self.data["sites"][deploy["site_id"]]
        current = self.data["deploys"].get(site["published_deploy_id"] or "")
        production = not deploy["draft"] and not deploy["branch"]
        if production and (current is None or not current["locked"]):
            self.publish(deploy)

    def publish(self, deploy: Record) -> None:
        """Make the deploy the one its site serves."""
        with self.edit():
            site = self.data["sites"][deploy["site_id"]]
            site["published_deploy_id"] = deploy["id"]
            site["updated_at"] = deploy["published_at"] = iso()
            self.faults.published()

    def cancel(self, deploy: Record) -> None:
        with self.edit():
            deploy["state"] = "error"
            deploy["error_message"] = "Deploy was cancelled"
            deploy["updated_at"] = iso()
