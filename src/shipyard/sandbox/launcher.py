"""`inv sandbox.up/down/status`: start and stop the stand-ins on loopback.

Ports come from the sandbox environment's own settings (REGISTRY,
KOYEB_API_URL, SANDBOX_POSTGRES_PORT, NETLIFY_API_URL, NETLIFY_SITE_PORT), so
the release reaches exactly what was started. Throwaway credentials (the Koyeb
and Netlify tokens, the database password, the Django secret key) are
generated once and kept in the sandbox store.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from shipyard import console
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.paths import sandbox_dir
from shipyard.redaction import Secret
from shipyard.sandbox import github_launch, processes, s3_launch
from shipyard.secrets.store import SandboxStore

KOYEB = "koyeb"
DATABASE = "shipyard_demo"


@dataclass(frozen=True)
class Component:
    name: str
    running: bool
    pid: int | None
    address: str
    detail: str = ""


def up(config: Config) -> list[Component]:
    """Start every stand-in the sandbox environment needs; reuse running ones."""
    from shipyard.providers.docker_engine import engine_available
    from shipyard.sandbox.baseimage import ensure_base_image

    folder = sandbox_dir(config.root)
    store = SandboxStore(folder)
    problem = engine_available()
    if problem:
        raise ShipyardError(problem)

    console.step("base image")
    console.done(f"base image {ensure_base_image()}")
    console.step("registry")
    _start_registry(config, folder)
    console.step("PostgreSQL")
    _start_postgres(config, folder, store)
    console.step("S3")
    s3_launch.start(config, folder, store)
    console.step("Koyeb stand-in")
    _start_koyeb(config, folder, store)
    _seed_koyeb_secrets(config, store)
    if config.frontend is not None:
        from shipyard.sandbox.netlify_launch import start_netlify

        console.step("Netlify stand-in")
        start_netlify(config, folder, store)
    if github_launch.configured(config):
        console.step("GitHub stand-in")
        github_launch.start_github(config, folder, store)
    if config["SECRET_STORE"] == "sandbox":
        _deliver_manifest(config)
    return status(config)


def _deliver_manifest(config: Config) -> None:
    """Put every manifest secret on its targets, as `inv secrets.push` does."""
    from shipyard.secrets.commands import Env, push

    console.step("secrets")
    delivery = push(Env.load(config), dry_run=False)
    for where in delivery.missing:
        console.warn(f"not delivered, no value in the sandbox store: {where}")


def _port(address: str) -> int:
    parsed = urlsplit(address if "://" in address else f"http://{address}")
    if parsed.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ShipyardError(f"sandbox address {address} is not on loopback: fix "
                            "env/sandbox.env")
    if not parsed.port:
        raise ShipyardError(f"sandbox address {address} has no port: fix "
                            "env/sandbox.env")
    return parsed.port


def _start_registry(config: Config, folder: Path) -> None:
    from shipyard.sandbox.registry import start_registry

    registry = start_registry(folder / "registry", port=_port(config["REGISTRY"]))
    console.done(f"registry on {registry.address} (pid {registry.pid})")


def _start_postgres(config: Config, folder: Path, store: SandboxStore) -> None:
    from shipyard.sandbox.postgres import start_cluster

    port = config["SANDBOX_POSTGRES_PORT"]
    cluster = start_cluster(folder / "postgres", port=port)
    # The role's password is the store's current one, so a sandbox.up after
    # `inv rotate` keeps what the rotation set.
    password = store.get("DATABASE_PASSWORD") or Secret(
        secrets.token_urlsafe(24), "DATABASE_PASSWORD"
    )
    store.put("DATABASE_PASSWORD", password)
    url = cluster.ensure_database(DATABASE, DATABASE, password)
    store.put("DATABASE_URL", Secret(url, "DATABASE_URL"))
    console.done(f"PostgreSQL on 127.0.0.1:{port}, database {DATABASE}")


def _start_koyeb(config: Config, folder: Path, store: SandboxStore) -> None:
    import httpx

    port = _port(config["KOYEB_API_URL"])
    state = folder / KOYEB
    state.mkdir(parents=True, exist_ok=True)
    token_file = state / "token"
    if not token_file.is_file():
        token_file.write_text(secrets.token_urlsafe(32))
        token_file.chmod(0o600)
    token = Secret(token_file.read_text().strip(), "KOYEB_TOKEN")
    store.put("KOYEB_TOKEN", token)

    pid = processes.pid_of(KOYEB, folder)
    if pid is None:
        if processes.port_open(port):
            raise ShipyardError(f"port {port} is taken: stop what listens there or "
                                "change KOYEB_API_URL in env/sandbox.env")
        argv = [sys.executable, "-m", "shipyard.sandbox.koyeb", "--port", str(port),
                "--state-dir", str(state), "--token-file", str(token_file)]
        pid = processes.spawn(KOYEB, argv, folder)

    def answers() -> bool:
        try:
            reply = httpx.get(f"{config['KOYEB_API_URL']}/apps", timeout=2.0,
                              headers={"Authorization": f"Bearer {token.reveal()}"})
            return reply.status_code == 200
        except httpx.HTTPError:
            return False

    processes.wait_until(answers, "the Koyeb stand-in", 30, folder / f"{KOYEB}.log")
    console.done(f"Koyeb stand-in on {config['KOYEB_API_URL']} (pid {pid})")


def _seed_koyeb_secrets(config: Config, store: SandboxStore) -> None:
    """Generate the backend's secrets once and put them where Koyeb reads them."""
    from shipyard.providers.koyeb import KoyebClient
    from shipyard.providers.koyeb_definition import koyeb_secret_name
    from shipyard.secrets.store import require

    names = sorted(set(config.backend.secrets.values()))
    for name in names:
        if store.get(name) is None:
            store.put(name, _first_value(config, store, name))
    with KoyebClient(config["KOYEB_API_URL"], require(store, "KOYEB_TOKEN",
                                                       "sandbox")) as client:
        for name in sorted(set(config.backend.secrets.values())):
            value = require(store, name, "sandbox")
            koyeb_name = koyeb_secret_name(name)
            existing = client.find_secret(koyeb_name)
            if existing is None:
                client.create_secret(koyeb_name, value)
            else:
                client.update_secret(existing.id, value)
    console.done("backend secrets delivered to the Koyeb stand-in")


def _first_value(config: Config, store: SandboxStore, name: str) -> Secret:
    """A throwaway first value; the old-keys list of a Django key starts as the key."""
    from shipyard.secrets.manifest import load_manifest

    parent = load_manifest(config.root).parent_of(name)
    if parent is not None and parent.fallbacks == name:
        key = store.get(parent.name) or Secret(secrets.token_urlsafe(48), parent.name)
        store.put(parent.name, key)
        return Secret(key.reveal(), name)
    return Secret(secrets.token_urlsafe(48), name)


def down(config: Config, *, purge: bool = False) -> None:
    """Stop every stand-in and remove the containers of its deployments."""
    import shutil
    import subprocess

    from shipyard.sandbox.netlify_launch import stop_netlify
    from shipyard.sandbox.postgres import stop_cluster
    from shipyard.sandbox.registry import stop_registry

    folder = sandbox_dir(config.root)
    if stop_netlify(folder):
        console.done("Netlify stand-in stopped")
    if github_launch.stop_github(folder):
        console.done("GitHub stand-in stopped")
    if processes.stop(KOYEB, folder):
        console.done("Koyeb stand-in stopped")
    subprocess.run([sys.executable, "-m", "shipyard.sandbox.koyeb", "--cleanup",
                    "--state-dir", str(folder / KOYEB)], capture_output=True, check=False)
    if stop_registry(folder / "registry"):
        console.done("registry stopped")
    if stop_cluster(folder / "postgres"):
        console.done("PostgreSQL stopped")
    if s3_launch.stop(folder):
        console.done("S3 stopped")
    if purge and folder.exists():
        shutil.rmtree(folder)
        console.done(f"removed {folder}")


def status(config: Config) -> list[Component]:
    """Which stand-ins run, with pid and address."""
    from shipyard.sandbox.postgres import cluster_status
    from shipyard.sandbox.registry import registry_status

    folder = sandbox_dir(config.root)
    registry = registry_status(folder / "registry")
    database = cluster_status(folder / "postgres")
    koyeb_pid = processes.pid_of(KOYEB, folder)
    found = [
        Component("registry", registry.running, registry.pid, config["REGISTRY"],
                  registry.detail),
        Component("postgres", database.running, database.pid,
                  f"127.0.0.1:{config['SANDBOX_POSTGRES_PORT']}", database.detail),
        Component(KOYEB, koyeb_pid is not None, koyeb_pid, config["KOYEB_API_URL"]),
    ]
    if github_launch.configured(config):
        pid = github_launch.github_pid(folder)
        found.append(Component("github", pid is not None, pid, config["GITHUB_API_URL"],
                               f"repository {config['GITHUB_REPOSITORY']}"))
    if config["S3_BUCKET"]:
        running, pid = s3_launch.state(folder)
        found.append(Component("s3", running, pid, config["S3_ENDPOINT_URL"],
                               f"bucket {config['S3_BUCKET']}"))
    if config.frontend is not None:
        from shipyard.sandbox.netlify_launch import NETLIFY, netlify_pid, site_url

        pid = netlify_pid(folder)
        found.append(Component(NETLIFY, pid is not None, pid,
                               config["NETLIFY_API_URL"],
                               f"site {config.frontend.netlify_site} at "
                               f"{site_url(config)}"))
    return found
