"""A sandbox of its own for the tests of backups taken and restored by releases."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from shipyard.sandbox.processes import free_port
from tests.release.project import PORTS, Project, make_project


@pytest.fixture(scope="module")
def project() -> Iterator[Project]:
    root = Path(tempfile.mkdtemp(prefix="shipyard-release-data-"))
    root.chmod(0o755)
    project = make_project(root, {name: free_port() for name in PORTS})
    started = project.inv("sandbox.up", timeout=900)
    assert started.returncode == 0, started.stdout + started.stderr
    yield project
    stopped = project.inv("sandbox.down", timeout=120)
    shutil.rmtree(root, ignore_errors=True)
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
