"""Image builds on the local Docker engine, streamed line by line and labelled.

Builds use the engine's classic builder with host networking, since the
sandbox engine runs without a bridge network. A failed step becomes one
ShipyardError that names the step and carries its output.
"""

from __future__ import annotations

import os
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shipyard.errors import ShipyardError

if TYPE_CHECKING:
    import docker

DEFAULT_ENGINE = "unix:///var/run/docker.sock"
OUTPUT_LINES_KEPT = 30
BUILD_TIMEOUT = 1800
OCI = "org.opencontainers.image"
# Lines of the engine's own about a step, not the step's output.
_ENGINE_NOTES = (" ---> ", "Removing intermediate container")
# The engine wraps a step's stderr in terminal colour codes.
_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class BuiltImage:
    """An image the engine built: its id, where it is tagged, and its labels."""

    id: str
    repository: str
    tag: str
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def ref(self) -> str:
        """repository:tag, the name the build gave the image."""
        return f"{self.repository}:{self.tag}"


class BuildFailed(ShipyardError):
    """A Dockerfile step failed; `output` holds the last lines that step printed."""

    def __init__(self, message: str, *, step: str, output: str) -> None:
        super().__init__(message)
        self.step = step
        self.output = output


def engine_address(base_url: str | None = None) -> str:
    """The engine address Shipyard talks to: `base_url`, DOCKER_HOST or the socket."""
    return base_url or os.environ.get("DOCKER_HOST") or DEFAULT_ENGINE


def engine_available(base_url: str | None = None) -> str | None:
    """None when a Docker engine answers, else a one-line reason and what to do."""
    try:
        engine_client(base_url, timeout=10).close()
    except ShipyardError as exc:
        return str(exc)
    return None


def build_image(
    context: Path,
    *,
    repository: str,
    tag: str,
    build_args: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    dockerfile: str = "Dockerfile",
    on_line: Callable[[str], None] | None = None,
) -> BuiltImage:
    """Build `context` as repository:tag and return the image.

    `tag` is the git SHA being released; it also becomes the OCI revision
    label unless `labels` names one, and the build time is added as the
    created label. Every output line goes to `on_line` as it arrives.
    """
    if not (context / dockerfile).is_file():
        raise ShipyardError(f"no {dockerfile} in {context}: check the build context")
    all_labels = {
        f"{OCI}.revision": tag,
        **(labels or {}),
        f"{OCI}.created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    client = engine_client(timeout=BUILD_TIMEOUT)
    try:
        return _build(
            client.api,
            context,
            f"{repository}:{tag}",
            dockerfile,
            build_args or {},
            all_labels,
            on_line or (lambda line: None),
        )
    finally:
        client.close()


def _build(
    api: Any,
    context: Path,
    ref: str,
    dockerfile: str,
    build_args: dict[str, str],
    labels: dict[str, str],
    on_line: Callable[[str], None],
) -> BuiltImage:
    """Run one build on the engine and inspect what it made."""

    def start() -> Any:
        return api.build(
            path=str(context),
            dockerfile=dockerfile,
            tag=ref,
            buildargs=build_args,
            labels=labels,
            network_mode="host",
            rm=True,
            forcerm=True,
            decode=True,
        )

    image_id = _follow(_guarded(start, ref), ref, on_line)

    inspected = api.inspect_image(image_id)
    found = (inspected.get("Config") or {}).get("Labels") or {}
    repository, _, tag = ref.rpartition(":")
    return BuiltImage(id=inspected["Id"], repository=repository, tag=tag, labels=found)


class _StepLog:
    """The current Dockerfile step and the last lines it printed."""

    def __init__(self) -> None:
        self.step = "before the first step"
        self.lines: deque[str] = deque(maxlen=OUTPUT_LINES_KEPT)
        self._partial = ""

    def feed(self, text: str) -> list[str]:
        """Add streamed text; return the complete lines it finished."""
        pieces = (self._partial + text).split("\n")
        self._partial = pieces.pop()
        finished = [_COLOUR.sub("", piece).rstrip("\r") for piece in pieces]
        for line in finished:
            if line.startswith("Step ") and " : " in line:
                self.step = line.removeprefix("Step ").strip()
                self.lines.clear()
            elif not line.startswith(_ENGINE_NOTES):
                self.lines.append(line)
        return finished

    def flush(self) -> list[str]:
        return self.feed("\n") if self._partial else []


def _follow(stream: Any, ref: str, on_line: Callable[[str], None]) -> str:
    log = _StepLog()
    image_id = ""
    for chunk in stream:
        if "stream" in chunk:
            for line in log.feed(chunk["stream"]):
                on_line(line)
        elif "status" in chunk:
            on_line(" ".join(str(chunk[k]) for k in ("id", "status") if k in chunk))
        if isinstance(chunk.get("aux"), dict) and chunk["aux"].get("ID"):
            image_id = chunk["aux"]["ID"]
        if "error" in chunk or "errorDetail" in chunk:
            for line in log.flush():
                on_line(line)
            raise _failure(ref, log, chunk)
    if not image_id:
        raise ShipyardError(f"the engine built {ref} but reported no image id")
    return image_id


def _failure(ref: str, log: _StepLog, chunk: dict[str, Any]) -> BuildFailed:
    detail = chunk.get("errorDetail") or {}
    reason = str(chunk.get("error") or detail.get("message") or "unknown error")
    reason = (reason.strip().splitlines() or ["unknown error"])[0]
    exited = re.search(r"returned a non-zero code: (\d+)", reason)
    if exited:
        reason = f"exit code {exited.group(1)}"

    number, _, instruction = log.step.partition(" : ")
    number = number.split("/")[0]
    if len(instruction) > 80:
        instruction = instruction[:77] + "..."
    where = f"Dockerfile step {number} ({instruction})" if instruction else log.step
    return BuildFailed(
        f"build of {ref} failed at {where}: {reason}",
        step=log.step,
        output="\n".join(log.lines).strip("\n"),
    )


def _guarded(start: Callable[[], Any], ref: str) -> Any:
    """The build's stream, with engine-level failures turned into ShipyardError."""
    import docker
    import requests

    try:
        yield from start()
    except docker.errors.APIError as exc:
        reason = (str(exc.explanation or exc).strip().splitlines() or ["no reason"])[0]
        raise ShipyardError(
            f"the Docker engine refused to build {ref}: {reason}"
        ) from None
    except requests.exceptions.RequestException as exc:
        raise ShipyardError(
            f"the Docker engine stopped answering during the build of {ref} "
            f"({type(exc).__name__}): check dockerd"
        ) from None


def engine_client(
    base_url: str | None = None, *, timeout: int = 60
) -> docker.DockerClient:
    """A client of the engine that answered a ping, or ShipyardError saying why not.

    `timeout` bounds each read from the engine, so it must outlast the
    quietest step of a build or push.
    """
    import docker

    address = engine_address(base_url)
    try:
        if base_url is None:
            client = docker.from_env(timeout=timeout)
        else:
            client = docker.DockerClient(base_url=base_url, timeout=timeout)
        client.ping()
    except docker.errors.DockerException as exc:
        if _permission_denied(exc):
            raise ShipyardError(
                f"permission denied on {address}: add your user to the docker "
                "group or run as root"
            ) from None
        raise ShipyardError(
            f"no Docker engine answers at {address}: start dockerd"
        ) from None
    return client


def _permission_denied(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, PermissionError) or "Permission denied" in str(error):
            return True
        error = error.__cause__ or error.__context__
    return False
