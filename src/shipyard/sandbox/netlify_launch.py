"""Starting the Netlify stand-in for the sandbox: its API on the port of
NETLIFY_API_URL, the frontend's site with a fixed id on NETLIFY_SITE_PORT (the
origin the backend's CORS settings name), and a token kept in the sandbox store."""

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

NETLIFY = "netlify"


def api_port(config: Config) -> int:
    """The loopback port of NETLIFY_API_URL, refusing any other host."""
    parsed = urlsplit(config["NETLIFY_API_URL"])
    if parsed.hostname not in ("127.0.0.1", "localhost") or not parsed.port:
        raise ShipyardError(f"NETLIFY_API_URL {config['NETLIFY_API_URL']} is not a "
                            "loopback address with a port: fix env/sandbox.env")
    return parsed.port


def site_url(config: Config) -> str:
    """Where the stand-in serves the frontend's site."""
    return f"http://127.0.0.1:{config['NETLIFY_SITE_PORT']}"


def start_netlify(config: Config, folder: Path, store: SandboxStore) -> None:
    """Start the stand-in (or reuse the running one) and check it serves the site."""
    port = api_port(config)
    state = folder / NETLIFY
    state.mkdir(parents=True, exist_ok=True)
    token_file = state / "token"
    if not token_file.is_file():
        token_file.write_text(secrets.token_urlsafe(32))
        token_file.chmod(0o600)
    token = Secret(token_file.read_text().strip(), "NETLIFY_AUTH_TOKEN")
    store.put("NETLIFY_AUTH_TOKEN", token)

    frontend = config.frontend
    assert frontend is not None
    name, site_id = frontend.netlify_site, config["NETLIFY_SITE_ID"]
    pid = processes.pid_of(NETLIFY, folder)
    if pid is None:
        for taken, setting in ((port, "NETLIFY_API_URL"),
                               (config["NETLIFY_SITE_PORT"], "NETLIFY_SITE_PORT")):
            if processes.port_open(taken):
                raise ShipyardError(f"port {taken} is taken: stop what listens there "
                                    f"or change {setting} in env/sandbox.env")
        argv = [sys.executable, "-m", "shipyard.sandbox.netlify", "--port", str(port),
                "--state-dir", str(state), "--token-file", str(token_file),
                "--site", f"{name}={site_id}" if site_id else name,
                "--site-port", f"{name}={config['NETLIFY_SITE_PORT']}",
                "--log-file", str(state / "answers.jsonl")]
        pid = processes.spawn(NETLIFY, argv, folder)

    served = _wait_for_site(config, token, folder)
    if served.rstrip("/") != site_url(config):
        raise ShipyardError(f"the running Netlify stand-in serves {name} at {served}, "
                            f"not {site_url(config)}: run `inv sandbox.down` and "
                            "`inv sandbox.up` again")
    console.done(f"Netlify stand-in on {config['NETLIFY_API_URL']} (pid {pid}), "
                 f"site {name} at {served}")


def _wait_for_site(config: Config, token: Secret, folder: Path) -> str:
    import httpx

    found: dict[str, str] = {}

    def answers() -> bool:
        try:
            reply = httpx.get(
                f"{config['NETLIFY_API_URL']}/sites/{config.netlify_site}",
                headers={"Authorization": f"Bearer {token.reveal()}"}, timeout=2.0,
            )
        except httpx.HTTPError:
            return False
        if reply.status_code == 200:
            found["url"] = reply.json().get("url", "")
        return reply.status_code == 200

    processes.wait_until(answers, "the Netlify stand-in", 30,
                         folder / f"{NETLIFY}.log")
    return found["url"]


def stop_netlify(folder: Path) -> bool:
    """Stop the stand-in; whether it was running."""
    return processes.stop(NETLIFY, folder)


def netlify_pid(folder: Path) -> int | None:
    return processes.pid_of(NETLIFY, folder)
