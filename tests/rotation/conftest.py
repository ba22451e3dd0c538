"""One sandbox for the rotation tests, its secrets in the real keyring.

The project is a copy of the example with the secrets manifest of
manifest.toml, SECRET_STORE=keyring in the process environment, and two
PostgreSQL roles used in turn. `inv sandbox.up` starts the registry,
PostgreSQL and the Koyeb and Netlify stand-ins; the GitHub stand-in is
started here, since the launcher does not start it yet. The keyring gets
the sandbox's tokens plus distinctive values (SENTINEL) that the leak test
looks for, they are pushed to every target, and the backend is released.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from shipyard.redaction import Secret
from shipyard.sandbox.processes import free_port
from shipyard.secrets.keyring_store import KeyringStore
from shipyard.secrets.sandbox_store import SandboxStore
from tests.release.project import PORTS, make_project
from tests.rotation.world import OWNER, REPO, World, without_manifest
from tests.secrets_store.conftest import private_keyring
from tests.secrets_store.keyring_session import secret_service_ready

HERE = Path(__file__).resolve().parent
SENTINEL = "SENTINEL"


def sentinel(what: str) -> str:
    """A distinctive value the leak test can search every output for."""
    return f"{SENTINEL}{what}{secrets.token_hex(8)}"


@pytest.fixture(scope="session")
def keyring_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The D-Bus session of an unlocked Secret Service: CI's, or one of our own."""
    if secret_service_ready():
        yield {"DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"]}
        return
    with private_keyring(tmp_path_factory.mktemp("rotation-keyring")) as env, \
            pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        yield env


@pytest.fixture(scope="session")
def world(keyring_env: dict[str, str]) -> Iterator[World]:
    root = Path(tempfile.mkdtemp(prefix="shipyard-rotation-"))
    root.chmod(0o755)
    ports = {name: free_port() for name in (*PORTS, "github")}
    with ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, root, ignore_errors=True)
        project = make_project(root, ports)
        name = f"rotation-{uuid.uuid4().hex[:8]}"
        _prepare(project, name, ports["github"], keyring_env)
        up = project.inv("sandbox.up", timeout=900)
        assert up.returncode == 0, up.stdout + up.stderr
        cleanup.callback(project.inv, "sandbox.down", timeout=120)
        # sandbox.up started the GitHub stand-in on GITHUB_API_URL's port.
        token = (root / ".shipyard/sandbox/github/token").read_text().strip()
        world = World(project, name, f"http://127.0.0.1:{ports['github']}", token)
        _seed_keyring(world, token)
        pushed = world.inv("secrets.push", "--env=sandbox")
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr
        released = world.inv("release", "--env=sandbox", timeout=900)
        assert released.returncode == 0, released.stdout + released.stderr
        yield world


def _prepare(project, name: str, github_port: int, keyring_env: dict) -> None:  # type: ignore[no-untyped-def]
    """Manifest, tasks, keyring store and GitHub settings of the test project."""
    toml = project.root / "shipyard.toml"
    text = toml.read_text().replace('name = "shipyard-demo"', f'name = "{name}"')
    if "SECRET_KEY_FALLBACKS =" not in text:
        text = text.replace('DATABASE_URL = "DATABASE_URL"\n',
                            'DATABASE_URL = "DATABASE_URL"\n'
                            'SECRET_KEY_FALLBACKS = "DJANGO_SECRET_KEY_FALLBACKS"\n')
    toml.write_text(without_manifest(text) + (HERE / "manifest.toml").read_text())
    shutil.copy(HERE / "tasks_shim.py", project.root / "tasks.py")
    project.commit("rotation test project")
    project.env.update(keyring_env)
    project.env.update(
        SECRET_STORE="keyring",
        GITHUB_API_URL=f"http://127.0.0.1:{github_port}",
        GITHUB_REPOSITORY=f"{OWNER}/{REPO}",
        DEPLOY_TIMEOUT="60",
        SMOKE_TIMEOUT="20",
    )


def _seed_keyring(world: World, github_token: str) -> None:
    """The sandbox's values, two database roles and sentinel values, in the keyring.

    Every value the sandbox generated (stand-in tokens, S3 keys) is copied
    first; the app's secrets are then replaced by sentinels.
    """
    from shipyard.sandbox.postgres import running_cluster

    sandbox = SandboxStore(world.root / ".shipyard" / "sandbox")
    store: KeyringStore = world.store()
    for info in sandbox.list():
        store.set(info.name, sandbox.get(info.name))  # type: ignore[arg-type]
    store.set("GITHUB_TOKEN", Secret(github_token))

    cluster = running_cluster(world.root / ".shipyard" / "sandbox" / "postgres")
    assert cluster is not None
    password = sentinel("DbA")
    url = cluster.ensure_database("shipyard_demo", "shipyard_demo_a", password)
    cluster.ensure_database("shipyard_demo", "shipyard_demo_b", sentinel("DbB"))
    admin = cluster.ensure_database("shipyard_demo", "shipyard_admin", sentinel("Adm"))
    cluster.sql("ALTER ROLE shipyard_admin CREATEROLE;")
    store.set("DATABASE_PASSWORD", Secret(password))
    store.set("DATABASE_URL", Secret(url))
    store.set("DATABASE_ADMIN_URL", Secret(admin))
    reports = sentinel("Reports")
    store.set("REPORTS_DB_PASSWORD", Secret(reports))
    store.set("REPORTS_DATABASE_URL", Secret(
        cluster.ensure_database("shipyard_demo", "shipyard_reports", reports)))
    key = sentinel("DjangoKey")
    store.set("DJANGO_SECRET_KEY", Secret(key))
    store.set("DJANGO_SECRET_KEY_FALLBACKS", Secret(key))
    store.set("PAYMENT_API_KEY", Secret(sentinel("Payment")))
    store.set("WEBHOOK_SIGNING_KEY", Secret(sentinel("Webhook")))
