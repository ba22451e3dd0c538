"""Shipyard's client for Netlify: file-digest deploys, rollback and site env vars.

Plain HTTP against a base URL, so the same code drives Netlify itself
(https://api.netlify.com/api/v1) and the sandbox stand-in
(http://127.0.0.1:PORT/api/v1).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.providers.netlify_api import PRODUCTION_URL, NetlifyAPI, one_line
from shipyard.providers.netlify_env import EnvMixin
from shipyard.providers.netlify_files import (
    LocalFile,
    check_publish_folder,
    digest_folder,
    scan_folder,
    upload_url_path,
)
from shipyard.providers.netlify_upload import UploadProgress, plan_uploads, upload_all
from shipyard.redaction import Secret

__all__ = [
    "PRODUCTION_URL",
    "DeployResult",
    "NetlifyClient",
    "UploadProgress",
    "check_publish_folder",
    "digest_folder",
]

# Above this many files Netlify wants the digest diffed in the background.
ASYNC_FILE_LIMIT = 100
# Netlify allows three production deploys a minute per site and token.
PRODUCTION_DEPLOYS_PER_MINUTE = 3
_DIGEST_READY = frozenset(
    {"prepared", "uploading", "uploaded", "processing", "processed", "ready"}
)


@dataclass(frozen=True)
class DeployResult:
    """What one deploy did: its id and URLs, and how many files it sent."""

    deploy_id: str
    deploy_url: str
    url: str
    state: str
    published: bool
    files_hashed: int
    files_uploaded: int
    files_skipped: int
    bytes_sent: int


class NetlifyClient(EnvMixin, NetlifyAPI):
    """Deploys static folders to Netlify sites with one token.

    Use it as a context manager so its connections are closed. `sleep` and
    `clock` (epoch seconds) are injectable so waits run fast in tests.
    """

    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        concurrency: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        poll_interval: float = 1.0,
        max_retries: int = 5,
    ) -> None:
        super().__init__(
            base_url, token, sleep=sleep, clock=clock, max_retries=max_retries
        )
        self._concurrency = concurrency
        self._poll_interval = poll_interval
        self._production_deploys: deque[float] = deque(
            maxlen=PRODUCTION_DEPLOYS_PER_MINUTE
        )
        self._seeded_sites: set[str] = set()

    def get_site(self, site_id: str) -> dict[str, Any]:
        """The site as Netlify describes it (URLs, account, published deploy)."""
        return self._call("GET", f"sites/{site_id}", f"site {site_id}")

    def get_deploy(self, site_id: str, deploy_id: str) -> dict[str, Any]:
        """One deploy of a site, with its state."""
        return self._call(
            "GET", f"sites/{site_id}/deploys/{deploy_id}", f"deploy {deploy_id}"
        )

    def published_deploy(self, site_id: str) -> dict[str, Any] | None:
        """The deploy the site serves now, or None before its first deploy."""
        return self.get_site(site_id).get("published_deploy") or None

    def restore(self, site_id: str, deploy_id: str) -> dict[str, Any]:
        """Publish an earlier deploy again, for rollback; checks that it took."""
        restored = self._call(
            "POST",
            f"sites/{site_id}/deploys/{deploy_id}/restore",
            f"deploy {deploy_id} of site {site_id}",
        )
        self._confirm_published(site_id, deploy_id)
        return restored

    def deploy(
        self,
        site_id: str,
        folder: Path | str,
        *,
        production: bool = True,
        title: str | None = None,
        on_progress: Callable[[UploadProgress], None] | None = None,
        timeout: float = 600.0,
    ) -> DeployResult:
        """Deploy `folder` to the site and wait until Netlify serves it.

        Only the files Netlify does not hold yet are sent. A production deploy
        is checked to be the site's published one before this returns; a
        draft deploy gets its own URL and leaves the site as it was.
        """
        check_publish_folder(folder)
        files = scan_folder(folder)
        if production:
            self._space_production_deploys(site_id)

        deadline = self._clock() + timeout
        created = self._create_deploy(site_id, files, production, title)
        deploy_id = created["id"]
        console.step(f"Netlify deploy {deploy_id}: {len(files)} files hashed")

        prepared = self._wait(site_id, created, _DIGEST_READY, deadline, timeout)
        plan = plan_uploads(files, prepared.get("required") or [])
        sent = upload_all(
            plan,
            lambda item, body: self._upload(deploy_id, item, body),
            concurrency=self._concurrency,
            on_progress=on_progress,
        )

        ready = self._wait(site_id, prepared, {"ready"}, deadline, timeout)
        if production:
            self._confirm_published(site_id, deploy_id)
        return DeployResult(
            deploy_id=deploy_id,
            deploy_url=ready.get("deploy_ssl_url") or ready.get("deploy_url") or "",
            url=ready.get("ssl_url") or ready.get("url") or "",
            state=ready.get("state", ""),
            published=production,
            files_hashed=len(files),
            files_uploaded=len(plan.uploads),
            files_skipped=plan.skipped,
            bytes_sent=sent,
        )

    def _create_deploy(
        self, site_id: str, files: list[LocalFile], production: bool, title: str | None
    ) -> dict[str, Any]:
        body = {
            "files": {f"/{item.key}": item.sha1 for item in files},
            "async": len(files) > ASYNC_FILE_LIMIT,
            "draft": not production,
        }
        params = {"title": title} if title else None
        if production:
            self._production_deploys.append(self._clock())
        return self._call(
            "POST",
            f"sites/{site_id}/deploys",
            f"a new deploy of site {site_id}",
            params=params,
            json=body,
        )

    def _upload(self, deploy_id: str, item: LocalFile, body: bytes) -> None:
        self._call(
            "PUT",
            f"deploys/{deploy_id}/files/{upload_url_path(item.key)}",
            f"the upload of {item.key} to deploy {deploy_id}",
            content=body,
            headers={"Content-Type": "application/octet-stream"},
        )

    def _wait(
        self,
        site_id: str,
        deploy: dict[str, Any],
        wanted: set[str] | frozenset[str],
        deadline: float,
        timeout: float,
    ) -> dict[str, Any]:
        """Poll the deploy until its state is one of `wanted`; raise on `error`."""
        deploy_id = deploy["id"]
        while True:
            state = deploy.get("state", "")
            if state == "error":
                message = one_line(deploy.get("error_message") or "no reason given")
                raise ShipyardError(
                    f"Netlify deploy {deploy_id} failed: {message}; the site still "
                    "serves its previous deploy"
                )
            if state in wanted:
                return deploy
            if self._clock() >= deadline:
                raise ShipyardError(
                    f"Netlify deploy {deploy_id} was still '{state}' after "
                    f"{timeout:g} s: check the deploy in Netlify, then deploy again"
                )
            self._sleep(self._poll_interval)
            deploy = self.get_deploy(site_id, deploy_id)

    def _confirm_published(self, site_id: str, deploy_id: str) -> None:
        published = self.published_deploy(site_id) or {}
        if published.get("id") != deploy_id:
            shown = published.get("id") or "nothing"
            raise ShipyardError(
                f"Netlify site {site_id} publishes {shown}, not deploy {deploy_id}: "
                "check whether deploys of the site are locked"
            )

    def _space_production_deploys(self, site_id: str) -> None:
        """Wait so that no more than three production deploys start in a minute.

        The first time a site is deployed, its own recent production deploys
        are counted too, so separate runs (a release, then a rollback, then
        another release) keep to the limit together.
        """
        if site_id not in self._seeded_sites:
            self._seeded_sites.add(site_id)
            for started in sorted(self._recent_production_starts(site_id)):
                self._production_deploys.append(started)
        if len(self._production_deploys) < PRODUCTION_DEPLOYS_PER_MINUTE:
            return
        wait = self._production_deploys[0] + 60.0 - self._clock()
        if wait > 0:
            console.say(
                f"Netlify allows {PRODUCTION_DEPLOYS_PER_MINUTE} production deploys "
                f"a minute; waiting {wait:.0f} s"
            )
            self._sleep(wait)

    def _recent_production_starts(self, site_id: str) -> list[float]:
        """Epoch times of the site's production deploys created in the last minute."""
        newest = self._call(
            "GET",
            f"sites/{site_id}/deploys",
            f"the deploys of site {site_id}",
            params={"page": "1", "per_page": "20"},
        )
        since = self._clock() - 60.0
        starts = []
        for deploy in newest or []:
            created = _epoch(deploy.get("created_at"))
            if deploy.get("context") == "production" and created and created > since:
                starts.append(created)
        return starts


def _epoch(stamp: object) -> float | None:
    """Seconds since the epoch of an ISO 8601 time as Netlify writes it."""
    if not isinstance(stamp, str):
        return None
    try:
        return datetime.fromisoformat(stamp).timestamp()
    except ValueError:
        return None
