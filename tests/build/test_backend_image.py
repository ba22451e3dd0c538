"""The example backend: built FROM the sandbox base image with wheels, labelled,
pushed by digest, and serving its health check and API from a real container."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shipyard.providers.docker_engine import BuiltImage
from shipyard.providers.registry import (
    MANIFEST_TYPES,
    image_ref,
    push_image,
    split_repository,
)
from shipyard.sandbox.postgres import Cluster, stop_cluster
from shipyard.sandbox.processes import free_port
from shipyard.sandbox.registry import RegistryProcess

from .conftest import APP_VERSION, SOURCE

pytestmark = pytest.mark.integration

FRONTEND_ORIGIN = "http://127.0.0.1:8610"


def test_example_image_is_built_from_the_sandbox_base_with_oci_labels(
    engine: Any, base_image: str, backend_image: BuiltImage, git_sha: str,
    build_output: list[str],
) -> None:  # fmt: skip
    base_layers = engine.images.get(base_image).attrs["RootFS"]["Layers"]
    layers = engine.images.get(backend_image.id).attrs["RootFS"]["Layers"]
    assert layers[: len(base_layers)] == base_layers
    assert len(layers) > len(base_layers)

    labels = backend_image.labels
    assert labels["org.opencontainers.image.revision"] == git_sha
    assert labels["org.opencontainers.image.source"] == SOURCE
    assert labels["org.opencontainers.image.title"] == "shipyard-demo-backend"
    created = labels["org.opencontainers.image.created"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", created)
    assert backend_image.tag == git_sha

    assert any(line.startswith("Step ") for line in build_output)
    # pip installs from the wheels in the context, unless the engine reused
    # that layer from an earlier build of the same wheels.
    from_wheels = any("Looking in links: /tmp/build" in line for line in build_output)
    cached = any("Using cache" in line for line in build_output)
    assert from_wheels or cached
    assert not any("Looking in indexes" in line for line in build_output)


def test_pushed_image_is_fetchable_from_the_registry_by_its_digest(
    backend_image: BuiltImage, registry: RegistryProcess, git_sha: str
) -> None:
    layers: dict[str, int] = {}

    def track(event: Any) -> None:
        layers[event.layer] = max(layers.get(event.layer, 0), event.current)

    digest = push_image(
        backend_image.repository, backend_image.tag, credentials=None, on_progress=track
    )

    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert layers and max(layers.values()) > 0
    registry_part, repository = split_repository(backend_image.repository)
    assert registry_part == registry.address
    ref = image_ref(registry_part, repository, digest)
    assert ref == f"{registry.address}/shipyard-demo-backend@{digest}"

    accept = {"Accept": ", ".join(MANIFEST_TYPES)}
    manifest = httpx.get(
        f"{registry.url}/v2/{repository}/manifests/{digest}", headers=accept
    )
    assert manifest.status_code == 200
    assert "sha256:" + hashlib.sha256(manifest.content).hexdigest() == digest
    config_digest = manifest.json()["config"]["digest"]
    config = httpx.get(f"{registry.url}/v2/{repository}/blobs/{config_digest}")
    pushed_labels = json.loads(config.content)["config"]["Labels"]
    assert pushed_labels["org.opencontainers.image.revision"] == git_sha


@pytest.fixture
def served(
    engine: Any, backend_image: BuiltImage, cluster: Cluster
) -> Iterator[tuple[str, Any]]:
    """The backend image running on a loopback port against the cluster."""
    port = free_port()
    container = engine.containers.run(
        backend_image.id,
        detach=True,
        network_mode="host",
        environment={
            "DATABASE_URL": cluster.url("demo", "demo", secrets.token_urlsafe(16)),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CORS_ALLOWED_ORIGINS": FRONTEND_ORIGIN,
            "HOST": "127.0.0.1",
            "PORT": str(port),
        },
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(f"{base}/api/info/", container)
        yield base, container
    finally:
        container.remove(force=True)


def test_backend_container_answers_health_and_info_and_503_without_database(
    served: tuple[str, Any], cluster: Cluster, git_sha: str
) -> None:
    base, container = served

    health = httpx.get(f"{base}/health/")
    assert health.status_code == 200, health.text
    assert health.json() == {"status": "ok", "database": "ok"}

    info = httpx.get(f"{base}/api/info/")
    assert info.status_code == 200
    assert info.json() == {
        "app": "shipyard-demo",
        "version": APP_VERSION,
        "git_sha": git_sha,
    }

    preflight = httpx.options(
        f"{base}/api/info/",
        headers={"Origin": FRONTEND_ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.headers.get("access-control-allow-origin") == FRONTEND_ORIGIN

    user = container.exec_run("id -u").output.decode().strip()
    assert user not in ("", "0")

    stop_cluster(cluster.data_dir)
    down = httpx.get(f"{base}/health/", timeout=30)
    assert down.status_code == 503
    body = down.json()
    assert body["status"] == "error" and body["database"] == "unavailable"
    assert body["reason"]


def _wait_for_http(url: str, container: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            container.reload()
            if container.status == "exited":
                break
            time.sleep(0.3)
    logs = container.logs().decode(errors="replace")[-2000:]
    raise AssertionError(f"the backend did not answer at {url}:\n{logs}")
