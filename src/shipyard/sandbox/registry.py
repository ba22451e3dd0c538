"""The sandbox's image registry: Debian's docker-registry on a loopback port.

Its pid, port, log, config.yml and storage/ live in one state folder of its
own. A restart keeps the earlier port, so image references recorded by
earlier releases still resolve.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ShipyardError
from shipyard.sandbox import processes

NAME = "registry"
BINARY = "/usr/bin/docker-registry"
HOST = "127.0.0.1"
START_TIMEOUT = 20.0


@dataclass(frozen=True)
class RegistryProcess:
    """A running sandbox registry: its pid and where it listens."""

    pid: int
    port: int
    state_dir: Path

    @property
    def address(self) -> str:
        """host:port, the registry part of image names pushed to it."""
        return f"{HOST}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    @property
    def log(self) -> Path:
        return self.state_dir / f"{NAME}.log"


@dataclass(frozen=True)
class RegistryStatus:
    """What `inv sandbox.status` shows for the registry."""

    running: bool
    pid: int | None
    port: int | None
    detail: str


def start_registry(
    state_dir: Path, port: int | None = None, *, htpasswd: Path | None = None
) -> RegistryProcess:
    """Start the sandbox registry, or return the one already running there.

    Without `port`, the port of the previous run is reused when it is free,
    else any free loopback port is taken. With `htpasswd` (bcrypt entries),
    pushes and pulls need a login, as on a real registry.
    """
    running = _running(state_dir)
    if running is not None and (port is None or port == running.port):
        return running
    if running is not None:
        raise ShipyardError(
            f"the sandbox registry already runs on port {running.port}, not {port}: "
            "stop it first (inv sandbox.down)"
        )

    binary = shutil.which("docker-registry") or BINARY
    if not Path(binary).is_file():
        raise ShipyardError(
            "docker-registry is not installed: apt-get install docker-registry"
        )
    port = port or _previous_port(state_dir) or processes.free_port()
    if processes.port_open(port):
        raise ShipyardError(
            f"port {port} on {HOST} is taken: stop what listens there or choose "
            "another registry port"
        )

    config = _write_config(state_dir, port, htpasswd)
    (state_dir / f"{NAME}.port").write_text(f"{port}\n")
    pid = processes.spawn(NAME, [binary, "serve", str(config)], state_dir)
    registry = RegistryProcess(pid=pid, port=port, state_dir=state_dir)
    try:
        processes.wait_until(
            lambda: _started(registry), "the sandbox registry", START_TIMEOUT,
            registry.log,
        )  # fmt: skip
    except ShipyardError:
        processes.stop(NAME, state_dir)
        raise
    return registry


def stop_registry(state_dir: Path) -> bool:
    """End the registry recorded in `state_dir`; False when none was running.

    Only the recorded pid is signalled, and only while it still is a
    registry (a pid file can outlive its process); the stored images stay
    for the next start.
    """
    pid = processes.pid_of(NAME, state_dir)
    if pid is not None and not _is_registry(pid):
        (state_dir / f"{NAME}.pid").unlink(missing_ok=True)
        return False
    return processes.stop(NAME, state_dir)


def _is_registry(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    return b"docker-registry" in command


def registry_status(state_dir: Path) -> RegistryStatus:
    """Whether the sandbox registry runs and answers, with its pid and port."""
    pid = processes.pid_of(NAME, state_dir)
    port = _previous_port(state_dir)
    if pid is None:
        return RegistryStatus(False, None, port, "stopped")
    if port is None:
        return RegistryStatus(False, pid, None, f"pid {pid} runs but no port file")
    registry = RegistryProcess(pid=pid, port=port, state_dir=state_dir)
    if _answers(registry):
        return RegistryStatus(True, pid, port, registry.url)
    return RegistryStatus(False, pid, port, f"pid {pid} does not answer on {port}")


def _running(state_dir: Path) -> RegistryProcess | None:
    pid = processes.pid_of(NAME, state_dir)
    port = _previous_port(state_dir)
    if pid is None or port is None:
        return None
    registry = RegistryProcess(pid=pid, port=port, state_dir=state_dir)
    return registry if _answers(registry) else None


def _started(registry: RegistryProcess) -> bool:
    """Whether the new registry answers yet; ShipyardError when it has exited."""
    try:
        reaped, _ = os.waitpid(registry.pid, os.WNOHANG)
    except ChildProcessError:
        reaped = 0
    if reaped == registry.pid or processes.pid_of(NAME, registry.state_dir) is None:
        lines = registry.log.read_text(errors="replace").strip().splitlines()
        last = lines[-1][:200] if lines else "no output"
        raise ShipyardError(
            f"the sandbox registry exited at start ({last}): see {registry.log}"
        )
    return _answers(registry)


def _answers(registry: RegistryProcess) -> bool:
    import httpx

    try:
        answer = httpx.get(f"{registry.url}/v2/", timeout=2.0)
    except httpx.TransportError:
        return False
    return answer.status_code in (200, 401)


def _previous_port(state_dir: Path) -> int | None:
    try:
        return int((state_dir / f"{NAME}.port").read_text().strip())
    except (OSError, ValueError):
        return None


def _write_config(state_dir: Path, port: int, htpasswd: Path | None) -> Path:
    """The registry's config.yml (JSON is YAML too), storing under state_dir."""
    storage = state_dir / "storage"
    storage.mkdir(parents=True, exist_ok=True)
    config = {
        "version": 0.1,
        "log": {"level": "info", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(storage.resolve())},
            "delete": {"enabled": True},
        },
        "http": {"addr": f"{HOST}:{port}"},
    }
    if htpasswd is not None:
        realm = {"realm": "shipyard-sandbox", "path": str(htpasswd.resolve())}
        config["auth"] = {"htpasswd": realm}
    path = state_dir / "config.yml"
    path.write_text(json.dumps(config, indent=2) + "\n")
    return path
