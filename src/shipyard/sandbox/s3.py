"""The sandbox's S3: a moto server on a loopback port, started and stopped by pid file.

`start_s3` leaves `s3.pid`, `s3.port` and `s3.log` in the state folder so a
later run (or `stop_s3`) finds the same server.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from shipyard.errors import ShipyardError
from shipyard.sandbox.processes import free_port, pid_of, spawn, stop, wait_until

HOST = "127.0.0.1"
REGION = "us-east-1"
ACCESS_KEY = "sandbox-access-key-id"
SECRET_KEY = "sandbox-secret-access-key"


@dataclass(frozen=True)
class S3Server:
    """A running sandbox S3 server."""

    pid: int
    port: int

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"


def running_s3(state_dir: Path) -> S3Server | None:
    """The server started from `state_dir`, when it is alive and answering."""
    pid = pid_of("s3", state_dir)
    port = _read_port(state_dir)
    if pid and port and _answers(port):
        return S3Server(pid=pid, port=port)
    return None


def start_s3(state_dir: Path, port: int | None = None, timeout: float = 30) -> S3Server:
    """Start the moto S3 server, or return the one already running from `state_dir`."""
    running = running_s3(state_dir)
    if running:
        return running
    stop_s3(state_dir)

    port = port or free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(port)]
    pid = spawn("s3", argv, state_dir)
    (state_dir / "s3.port").write_text(f"{port}\n")
    try:
        wait_until(
            lambda: _answers(port) or pid_of("s3", state_dir) is None,
            f"the sandbox S3 server on port {port}",
            timeout,
            state_dir / "s3.log",
        )
        if not _answers(port):
            raise ShipyardError(
                f"the sandbox S3 server exited while starting: see {state_dir}/s3.log"
            )
    except BaseException:
        stop_s3(state_dir)
        raise
    return S3Server(pid=pid, port=port)


def stop_s3(state_dir: Path) -> None:
    """Stop the server started from `state_dir`, if any, and forget its port."""
    stop("s3", state_dir)
    (state_dir / "s3.port").unlink(missing_ok=True)


def _answers(port: int) -> bool:
    import httpx

    try:
        httpx.get(f"http://{HOST}:{port}/moto-api/", timeout=1)
    except httpx.HTTPError:
        return False
    return True


def _read_port(state_dir: Path) -> int | None:
    try:
        return int((state_dir / "s3.port").read_text().strip())
    except (OSError, ValueError):
        return None
