"""Runtime parity: Python of the backend image, Node of the frontend in CI, PostgreSQL.

Each check names both versions and where each was read; one that cannot be
made (no Docker image here, database not reachable) says why instead.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import Any

from shipyard import node_versions
from shipyard.dockerfile import SCRATCH, python_version_of, read_dockerfile
from shipyard.parity_model import RuntimeCheck, Side
from shipyard.stack import Stack
from shipyard.workflows import node_versions as ci_node_versions

LOCAL_PYTHON = "local interpreter"


@dataclass(frozen=True)
class BaseImage:
    """The image of one FROM line, where it is written and the key that sets it
    (BASE_IMAGE, the ARG the FROM line reads, or FROM itself). `pulled` is False
    for an earlier stage or scratch."""

    image: str
    where: str
    key: str
    pulled: bool = True


def base_images(stack: Stack) -> list[BaseImage]:
    """The image of every FROM line of the backend's Dockerfile, in order; BASE_IMAGE
    of the configuration stands in for the ARG of that name."""
    backend = stack.config.backend
    path = backend.context / backend.dockerfile
    override = stack.config["BASE_IMAGE"]
    configured = BaseImage(override, stack.where("BASE_IMAGE"), "BASE_IMAGE")
    if not path.is_file():
        return [configured] if override else []
    shown = path.relative_to(stack.root) if path.is_relative_to(stack.root) else path
    found = []
    for image in read_dockerfile(path).images:
        if override and image.arg == "BASE_IMAGE":
            found.append(replace(configured, pulled=image.pulled))
        else:
            where, key = f"{shown}:{image.line}", image.arg or "FROM"
            found.append(BaseImage(image.value, where, key, image.pulled))
    return found


def base_image(stack: Stack) -> tuple[str, str] | None:
    """The base of the image that runs (the last FROM) and where it is set."""
    found = base_images(stack)
    if not found or found[-1].image.lower() == SCRATCH:
        return None
    return found[-1].image, found[-1].where


def python_check(stack: Stack, *, use_docker: bool = True) -> RuntimeCheck:
    """The Python of the backend image's base against the local interpreter."""
    local = sys.version_info
    ours = Side(
        f"{LOCAL_PYTHON} ({sys.executable})", f"{local[0]}.{local[1]}.{local[2]}"
    )
    found = base_image(stack)
    if found is None:
        return _unchecked("Python", ours, "no Dockerfile FROM line to read")
    image, where = found
    version: tuple[int, ...] | None = python_version_of(image)
    how = "tag"
    if version is None:
        if not use_docker:
            return _unchecked("Python", ours, f"{image} names no python version")
        reported = _python_in_image(image)
        if isinstance(reported, str):
            return _unchecked("Python", ours, reported)
        version, how = reported, "python3 --version in the image"
    theirs = Side(f"{where} ({image}, {how})", ".".join(map(str, version)))
    if tuple(version[:2]) == (local[0], local[1]):
        return RuntimeCheck("Python", ours, theirs, "same")
    return RuntimeCheck(
        "Python",
        ours,
        theirs,
        "differs",
        drift=True,
        hint=f"use Python {version[0]}.{version[1]} locally, or move the image's "
        f"base to python:{local[0]}.{local[1]}",
    )


def _python_in_image(image: str) -> tuple[int, ...] | str:
    """The image's python3 version, run on this machine's engine; or why not."""
    try:
        import docker
        from docker.errors import DockerException, ImageNotFound
    except ImportError:
        return "the docker SDK is not installed"
    try:
        client = docker.from_env()
        client.images.get(image)
        output = client.containers.run(
            image,
            entrypoint=["python3", "--version"],
            remove=True,
            network_mode="host",
            stdout=True,
            stderr=True,
        )
    except ImageNotFound:
        return f"image {image} is not on this machine: build or pull it first"
    except DockerException as problem:
        return f"cannot run python3 in {image}: {str(problem).splitlines()[0]}"
    text = output.decode("utf-8", "replace").strip().split()[-1]
    try:
        return tuple(int(part) for part in text.split(".")[:3])
    except ValueError:
        return f"python3 in {image} reported {text!r}"


def node_check(stack: Stack) -> RuntimeCheck | None:
    """The Node the frontend asks for against the one CI sets up; None without one."""
    folders = ([stack.frontend.context] if stack.frontend else []) + [stack.root]
    wanted = node_versions.wanted_node(folders, stack.root)
    if wanted is None:
        if stack.frontend is None:
            return None
        where = stack.frontend.context.name
        return _unchecked("Node", Side(where, "?"), "no .nvmrc or engines.node")
    text, where, exact = wanted
    ours = Side(where, text)
    ci = ci_node_versions(stack.root)
    if not ci:
        return _unchecked("Node", ours, "no workflow step runs actions/setup-node")
    theirs = Side(ci[0].where, ci[0].name)
    ci_major = node_versions.major(ci[0].name)
    if ci_major is None:
        return _unchecked("Node", ours, f"cannot read Node version {ci[0].name!r}")
    if exact:
        asked = node_versions.major(text)
        fits = None if asked is None else asked == ci_major
    else:
        fits = node_versions.satisfies(ci_major, text)
    if fits is None:
        return _unchecked("Node", ours, f"cannot read the version range {text!r}")
    if fits:
        return RuntimeCheck("Node", ours, theirs, "same")
    return RuntimeCheck(
        "Node",
        ours,
        theirs,
        "differs",
        drift=True,
        hint=f"make {theirs.where} set up the Node of {where}",
    )


def _unchecked(name: str, ours: Side, why: str) -> RuntimeCheck:
    return RuntimeCheck(name, ours, Side("-", "?"), "not checked", hint=why)


def runtime_checks(
    stack: Stack, store: Any, local_url: Any, *, live: bool
) -> list[RuntimeCheck]:
    """Every runtime check of the environment (PostgreSQL only over a live look)."""
    from shipyard.parity_postgres import postgres_checks

    checks = [python_check(stack)]
    node = node_check(stack)
    if node is not None:
        checks.append(node)
    checks += postgres_checks(stack, store, local_url, live=live)
    return checks
