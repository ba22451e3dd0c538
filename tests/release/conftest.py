"""One sandbox for the release tests: registry, PostgreSQL and the Koyeb and Netlify
stand-ins. It takes minutes to start, so every module of this package shares it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.sandbox.processes import free_port
from tests.release.project import PORTS, Project, make_project


@pytest.fixture(scope="package")
def project() -> Iterator[Project]:
    # PostgreSQL refuses to run as root, so its data folder inside the project
    # must be reachable by the postgres user: a traversable folder, not
    # pytest's private tmp tree.
    root = Path(tempfile.mkdtemp(prefix="shipyard-release-"))
    root.chmod(0o755)
    ports = {name: free_port() for name in PORTS}
    project = make_project(root, ports)
    started = project.inv("sandbox.up", timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    yield project
    stopped = project.inv("sandbox.down", timeout=120)
    shutil.rmtree(root, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
