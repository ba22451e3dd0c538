"""Builds and pushes that fail say what failed in one line, and push nothing."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import docker
import httpx
import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.docker_engine import BuildFailed, BuiltImage, build_image
from shipyard.providers.registry import push_image
from shipyard.sandbox.processes import free_port
from shipyard.sandbox.registry import RegistryProcess

pytestmark = pytest.mark.integration

FAILING_DOCKERFILE = """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
RUN echo "earlier step output"
RUN echo "compiling the frontend" && echo "missing module shipyard_x" >&2 && exit 3
RUN echo "never reached"
"""


def test_failed_run_step_names_the_step_carries_its_output_and_pushes_nothing(
    tmp_path: Path, engine: Any, base_image: str, registry: RegistryProcess
) -> None:
    (tmp_path / "Dockerfile").write_text(FAILING_DOCKERFILE)
    repository = f"{registry.address}/shipyard-failing-build"
    tag = secrets.token_hex(20)
    shown: list[str] = []

    with pytest.raises(ShipyardError) as raised:
        build_image(
            tmp_path,
            repository=repository,
            tag=tag,
            build_args={"BASE_IMAGE": base_image},
            labels={},
            on_line=shown.append,
        )

    failure = raised.value
    assert isinstance(failure, BuildFailed)
    message = str(failure)
    assert "\n" not in message
    assert 'Dockerfile step 4 (RUN echo "compiling the frontend"' in message
    assert message.endswith(": exit code 3")
    assert "compiling the frontend" in failure.output
    assert "missing module shipyard_x" in failure.output
    assert "earlier step output" not in failure.output
    assert any("missing module shipyard_x" in line for line in shown)

    with pytest.raises(docker.errors.ImageNotFound):
        engine.images.get(f"{repository}:{tag}")
    tags = httpx.get(f"{registry.url}/v2/shipyard-failing-build/tags/list")
    assert tags.status_code == 404
    catalog = httpx.get(f"{registry.url}/v2/_catalog").json()
    assert "shipyard-failing-build" not in catalog.get("repositories", [])


def test_missing_dockerfile_is_reported_before_the_engine_is_asked(
    tmp_path: Path,
) -> None:
    with pytest.raises(ShipyardError, match=r"no Dockerfile in .*: check the build"):
        build_image(tmp_path, repository="shipyard-nothing", tag="abc", build_args={},
                    labels={})  # fmt: skip


def test_push_to_a_wrong_registry_port_gives_a_one_line_error(
    engine: Any, backend_image: BuiltImage
) -> None:
    wrong = f"127.0.0.1:{free_port()}"
    repository = f"{wrong}/shipyard-demo-backend"
    engine.images.get(backend_image.id).tag(repository, backend_image.tag)
    try:
        with pytest.raises(ShipyardError) as raised:
            push_image(repository, backend_image.tag, credentials=None)
    finally:
        engine.images.remove(f"{repository}:{backend_image.tag}")

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"push to {wrong} refused: ")
    assert "connection refused" in message
    assert "check REGISTRY" in message


def test_pushing_an_image_that_was_never_built_says_to_build_it(
    registry: RegistryProcess,
) -> None:
    with pytest.raises(ShipyardError, match="build it first"):
        push_image(f"{registry.address}/shipyard-never-built", "0" * 40,
                   credentials=None)  # fmt: skip
