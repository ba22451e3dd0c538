"""Fixtures for the build and push tests: the real Docker engine, a sandbox
registry started for the session, the sandbox base image, the example
backend built once with wheels, and throwaway PostgreSQL clusters."""

from __future__ import annotations

import platform
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shipyard.providers.docker_engine import BuiltImage, build_image, engine_available
from shipyard.sandbox.baseimage import default_cache_dir, ensure_base_image
from shipyard.sandbox.postgres import SERVICE_USER, Cluster, start_cluster, stop_cluster
from shipyard.sandbox.registry import RegistryProcess, start_registry, stop_registry
from shipyard.sandbox.wheels import download_wheels

EXAMPLE_BACKEND = Path(__file__).resolve().parents[2] / "examples" / "backend"
BACKEND_REPOSITORY = "shipyard-demo-backend"
APP_VERSION = "1.2.3-test"
SOURCE = "https://example.invalid/shipyard-demo"


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    import docker

    problem = engine_available()
    assert problem is None, problem
    client = docker.from_env(timeout=300)
    yield client
    client.close()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RegistryProcess]:
    state = tmp_path_factory.mktemp("registry")
    running = start_registry(state)
    try:
        yield running
    finally:
        stop_registry(state)
        shutil.rmtree(state / "storage", ignore_errors=True)


@pytest.fixture(scope="session")
def base_image(engine: Any) -> str:
    return ensure_base_image(engine)


@pytest.fixture(scope="session")
def backend_context(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the example backend with wheels for the base image's Python."""
    context = tmp_path_factory.mktemp("context") / "backend"
    shutil.copytree(
        EXAMPLE_BACKEND, context, ignore=shutil.ignore_patterns("wheels", "__pycache__")
    )
    cache = default_cache_dir() / "wheels" / f"cp311-{platform.machine()}"
    download_wheels(context / "requirements.txt", cache)
    shutil.copytree(cache, context / "wheels")
    return context


@pytest.fixture(scope="session")
def git_sha() -> str:
    return secrets.token_hex(20)


@pytest.fixture(scope="session")
def build_output() -> list[str]:
    return []


@pytest.fixture(scope="session")
def backend_image(
    engine: Any,
    base_image: str,
    backend_context: Path,
    registry: RegistryProcess,
    git_sha: str,
    build_output: list[str],
) -> Iterator[BuiltImage]:
    """The example backend built FROM the sandbox base image, tagged by git SHA."""
    image = build_image(
        backend_context,
        repository=f"{registry.address}/{BACKEND_REPOSITORY}",
        tag=git_sha,
        build_args={
            "BASE_IMAGE": base_image,
            "GIT_SHA": git_sha,
            "APP_VERSION": APP_VERSION,
        },
        labels={
            "org.opencontainers.image.source": SOURCE,
            "org.opencontainers.image.title": BACKEND_REPOSITORY,
        },
        on_line=build_output.append,
    )
    yield image
    engine.images.remove(image.ref)


@pytest.fixture
def cluster_home() -> Iterator[Path]:
    """A scratch folder the PostgreSQL server's user may write in."""
    import os

    home = Path(tempfile.mkdtemp(prefix="shipyard-pg-"))
    if os.geteuid() == 0:
        shutil.chown(home, SERVICE_USER)
    try:
        yield home
    finally:
        stop_cluster(home / "data")
        shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def cluster(cluster_home: Path) -> Cluster:
    return start_cluster(cluster_home / "data")
