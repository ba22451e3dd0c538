"""Starting the GitHub stand-in for the sandbox: the Actions secrets API on the port
of GITHUB_API_URL, holding the repository GITHUB_REPOSITORY, and a token kept in
the sandbox store."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path
from urllib.parse import urlsplit

from shipyard import console
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.sandbox import processes
from shipyard.secrets.store import SandboxStore

GITHUB = "github"


def configured(config: Config) -> bool:
    """Whether the sandbox environment names a repository for Actions secrets."""
    return bool(config["GITHUB_REPOSITORY"])


def start_github(config: Config, folder: Path, store: SandboxStore) -> None:
    """Start the stand-in (or reuse the running one) with the sandbox's repository."""
    parsed = urlsplit(config["GITHUB_API_URL"])
    if parsed.hostname not in ("127.0.0.1", "localhost") or not parsed.port:
        raise ShipyardError(f"GITHUB_API_URL {config['GITHUB_API_URL']} is not a "
                            "loopback address with a port: fix env/sandbox.env")
    state = folder / GITHUB
    state.mkdir(parents=True, exist_ok=True)
    token_file = state / "token"
    if not token_file.is_file():
        token_file.write_text(secrets.token_urlsafe(32))
        token_file.chmod(0o600)
    store.put("GITHUB_TOKEN", Secret(token_file.read_text().strip(), "GITHUB_TOKEN"))

    pid = processes.pid_of(GITHUB, folder)
    if pid is None:
        if processes.port_open(parsed.port):
            raise ShipyardError(f"port {parsed.port} is taken: stop what listens "
                                "there or change GITHUB_API_URL in env/sandbox.env")
        argv = [sys.executable, "-m", "shipyard.sandbox.github", "--port",
                str(parsed.port), "--state-dir", str(state), "--token-file",
                str(token_file), "--repo", f"{config['GITHUB_REPOSITORY']}:sandbox"]
        pid = processes.spawn(GITHUB, argv, folder)
    processes.wait_until(lambda: processes.port_open(parsed.port),
                         "the GitHub stand-in", 30, folder / f"{GITHUB}.log")
    console.done(f"GitHub stand-in on {config['GITHUB_API_URL']} (pid {pid}), "
                 f"repository {config['GITHUB_REPOSITORY']}")


def stop_github(folder: Path) -> bool:
    return processes.stop(GITHUB, folder)


def github_pid(folder: Path) -> int | None:
    return processes.pid_of(GITHUB, folder)
