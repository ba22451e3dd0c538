"""Start, find and stop the sandbox's background processes by their pid files."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from shipyard.errors import ShipyardError


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def spawn(name: str, argv: list[str], folder: Path, env: dict | None = None) -> int:
    """Start `argv` detached, logging to folder/name.log; its pid goes to name.pid."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.log", "ab") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **(env or {})},
            start_new_session=True,
        )
    (folder / f"{name}.pid").write_text(str(process.pid))
    return process.pid


def pid_of(name: str, folder: Path) -> int | None:
    """The pid recorded for `name` when that process is still alive."""
    pid_file = folder / f"{name}.pid"
    if not pid_file.is_file():
        return None
    try:
        pid = int(pid_file.read_text().strip())
        os.kill(pid, 0)
    except (ValueError, ProcessLookupError, PermissionError):
        return None
    return pid


def stop(name: str, folder: Path, grace: float = 10.0) -> bool:
    """End the process recorded for `name` (SIGTERM, then SIGKILL after `grace`)."""
    pid = pid_of(name, folder)
    if pid is None:
        (folder / f"{name}.pid").unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        if not _alive(pid):
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    (folder / f"{name}.pid").unlink(missing_ok=True)
    return True


def _alive(pid: int) -> bool:
    try:
        finished, _ = os.waitpid(pid, os.WNOHANG)
        if finished == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_until(check: Callable[[], bool], what: str, timeout: float, log: Path) -> None:
    """Poll `check` until it holds; on timeout, say what and show where the log is."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise ShipyardError(f"{what} did not come up within {timeout:.0f} s: see {log}")
