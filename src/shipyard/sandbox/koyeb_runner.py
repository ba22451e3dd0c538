"""Docker engine operations of the Koyeb stand-in: pull, run, watch and remove.

Every container it starts runs with host networking and carries labels naming
the stand-in instance, app, service and deployment, so a restarted stand-in can
find its containers again and `remove_all_containers` can clean them all up.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors

ROLE_LABEL = "shipyard.sandbox"
ROLE = "koyeb"
INSTANCE_LABEL = "shipyard.koyeb.instance"
APP_LABEL = "shipyard.koyeb.app_id"
SERVICE_LABEL = "shipyard.koyeb.service_id"
DEPLOYMENT_LABEL = "shipyard.koyeb.deployment_id"

_claimed_ports: set[int] = set()
_ports_lock = threading.Lock()


class RunnerError(Exception):
    """A Docker operation failed; the message is fit for a deployment event."""


@dataclass
class ContainerState:
    """What the engine says about one container."""

    status: str
    exit_code: int | None = None


def instance_id(state_dir: Path) -> str:
    """A short stable id for one stand-in, derived from its state folder."""
    return hashlib.sha256(str(state_dir.resolve()).encode()).hexdigest()[:12]


def engine() -> docker.DockerClient:
    """A client for the local Docker engine."""
    try:
        return docker.from_env(timeout=120)
    except docker.errors.DockerException as exc:
        raise RunnerError(f"the Docker engine cannot be reached: {exc}") from exc


def claim_free_port() -> int:
    """A free 127.0.0.1 port that no other deployment of this process holds."""
    with _ports_lock:
        for _ in range(50):
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            if port not in _claimed_ports:
                _claimed_ports.add(port)
                return port
    raise RunnerError("no free loopback port found for the deployment")


def hold_port(port: int | None) -> None:
    """Mark a port as taken by a deployment adopted after a restart."""
    with _ports_lock:
        _claimed_ports.add(port or 0)


def release_port(port: int | None) -> None:
    """Give a port claimed by `claim_free_port` back."""
    with _ports_lock:
        _claimed_ports.discard(port or 0)


def pull(image: str, auth: dict[str, str] | None = None) -> str:
    """Pull `image` (by digest when it names one) and return its image id."""
    client = engine()
    repository, _, reference = _split_reference(image)
    try:
        stream = client.api.pull(
            repository, tag=reference, stream=True, decode=True, auth_config=auth
        )
        for line in stream:
            if isinstance(line, dict) and line.get("error"):
                raise RunnerError(f"pulling image {image} failed: {line['error']}")
        return client.images.get(image).id
    except docker.errors.DockerException as exc:
        raise RunnerError(f"pulling image {image} failed: {_reason(exc)}") from exc


def _split_reference(image: str) -> tuple[str, str, str]:
    """(repository, separator, tag or digest) of an image reference."""
    if "@" in image:
        repository, digest = image.split("@", 1)
        return repository, "@", digest
    head, _, last = image.rpartition("/")
    if ":" in last:
        name, tag = last.split(":", 1)
        return (f"{head}/{name}" if head else name), ":", tag
    return image, ":", "latest"


def start(
    image: str,
    *,
    name: str,
    env: dict[str, str],
    labels: dict[str, str],
    command: list[str] | None,
    entrypoint: list[str] | None,
) -> str:
    """Start a detached host-network container and return its id."""
    client = engine()
    _remove_named(client, name)
    try:
        container = client.containers.run(
            image,
            command=command or None,
            entrypoint=entrypoint or None,
            environment=env,
            labels={ROLE_LABEL: ROLE, **labels},
            name=name,
            network_mode="host",
            detach=True,
        )
    except docker.errors.DockerException as exc:
        raise RunnerError(f"starting the container failed: {_reason(exc)}") from exc
    return str(container.id)


def _remove_named(client: docker.DockerClient, name: str) -> None:
    """Remove a leftover container holding `name`, if any."""
    try:
        client.containers.get(name).remove(force=True)
    except docker.errors.NotFound:
        return


def state(container_id: str) -> ContainerState:
    """Whether the container runs, has exited (with its code) or is gone."""
    try:
        container = engine().containers.get(container_id)
    except docker.errors.NotFound:
        return ContainerState("missing")
    except docker.errors.DockerException as exc:
        raise RunnerError(f"inspecting the container failed: {_reason(exc)}") from exc
    info: dict[str, Any] = container.attrs.get("State", {})
    return ContainerState(container.status, info.get("ExitCode"))


def tail_logs(container_id: str, lines: int = 20) -> list[str]:
    """The last `lines` lines the container wrote to stdout and stderr."""
    try:
        raw = engine().containers.get(container_id).logs(tail=lines)
    except docker.errors.DockerException:
        return []
    return raw.decode("utf-8", "replace").rstrip().splitlines()


def remove(container_id: str | None, grace_seconds: int = 5) -> None:
    """Stop (SIGTERM, then SIGKILL after the grace) and remove a container."""
    if not container_id:
        return
    try:
        container = engine().containers.get(container_id)
        if container.status == "running":
            container.stop(timeout=grace_seconds)
        container.remove(force=True)
    except docker.errors.NotFound:
        return
    except docker.errors.DockerException as exc:
        raise RunnerError(f"removing the container failed: {_reason(exc)}") from exc


def labelled(instance: str | None = None) -> list[Any]:
    """Every container (running or not) labelled by the stand-in."""
    filters = [f"{ROLE_LABEL}={ROLE}"]
    if instance:
        filters.append(f"{INSTANCE_LABEL}={instance}")
    return engine().containers.list(all=True, filters={"label": filters})


def remove_all_containers(state_dir: Path | None = None) -> int:
    """Stop and remove the stand-in's containers; return how many went.

    With `state_dir`, only the containers of the stand-in keeping its state
    there; without it, those of every Koyeb stand-in on this engine.
    """
    instance = instance_id(state_dir) if state_dir else None
    containers = labelled(instance)
    for container in containers:
        container.remove(force=True)
    return len(containers)


def _reason(exc: Exception) -> str:
    """The engine's own explanation of an error, on one line."""
    explanation = getattr(exc, "explanation", None)
    text = str(explanation or exc)
    return " ".join(text.split())
