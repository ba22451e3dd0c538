"""Fixtures for the pipeline, lock and ledger tests: a throwaway project root and a
folder standing in for the outside world."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A project root whose `.shipyard/` state starts empty."""
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def world(tmp_path: Path) -> Path:
    """The folder the file steps of pipeline_world change."""
    folder = tmp_path / "world"
    folder.mkdir()
    return folder


@pytest.fixture
def paused_run(root: Path, world: Path) -> Iterator[Callable[[], subprocess.Popen]]:
    """Start pipeline_world in its own process and wait until step b is sleeping."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, str(HERE / "pipeline_world.py"), str(root), str(world)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SHIPYARD_ROOT": str(root)},
        )
        started.append(process)
        deadline = time.monotonic() + 15
        while not (world / "b.started").exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"step b never started: {process.communicate()}")
            time.sleep(0.02)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)
