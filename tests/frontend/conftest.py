"""One sandbox for the frontend release tests, with the Netlify stand-in, and helpers
to look at what the stand-in publishes."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.sandbox.processes import free_port
from tests.release.project import PORTS, Project, make_project


class Site:
    """The sandbox's Netlify stand-in, as the tests look at it."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self.api = project.env["NETLIFY_API_URL"]
        self.root = self.api.removesuffix("/api/v1")

    def _headers(self) -> dict[str, str]:
        token_file = self.project.root / ".shipyard/sandbox/netlify/token"
        return {"Authorization": f"Bearer {token_file.read_text().strip()}"}

    def site(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.api}/sites/shipyard-demo", headers=self._headers(),
                           timeout=10)
        answer.raise_for_status()
        return answer.json()

    def published_id(self) -> str | None:
        return (self.site().get("published_deploy") or {}).get("id")

    def deploys(self) -> list[dict[str, Any]]:
        answer = httpx.get(f"{self.api}/sites/shipyard-demo/deploys",
                           headers=self._headers(), timeout=10)
        answer.raise_for_status()
        return answer.json()

    def faults(self, **knobs: Any) -> None:
        answer = httpx.post(f"{self.root}/_sandbox/faults", json=knobs,
                            headers=self._headers(), timeout=10)
        answer.raise_for_status()

    def fault_state(self) -> dict[str, Any]:
        answer = httpx.get(f"{self.root}/_sandbox/faults", headers=self._headers(),
                           timeout=10)
        answer.raise_for_status()
        return answer.json()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.root}/_sandbox/faults", headers=self._headers(),
                     timeout=10).raise_for_status()

    def page(self, path: str = "/") -> httpx.Response:
        return httpx.get(self.project.frontend_url() + path, timeout=10)


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    # PostgreSQL refuses to run as root, so the project (which holds the
    # sandbox's data folder) must be traversable by the postgres user.
    root = Path(tempfile.mkdtemp(prefix="shipyard-frontend-"))
    root.chmod(0o755)
    project = make_project(root, {name: free_port() for name in PORTS})
    started = project.inv("sandbox.up", timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    yield project
    stopped = project.inv("sandbox.down", timeout=120)
    shutil.rmtree(root, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr


@pytest.fixture(scope="module")
def netlify(project: Project) -> Iterator[Site]:
    site = Site(project)
    yield site
    site.clear_faults()
