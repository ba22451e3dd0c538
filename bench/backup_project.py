"""The throwaway project `bench/backup.py` runs `inv backup` in.

A shipyard.toml, one env file naming the bench's own PostgreSQL and moto
server (every provider address on loopback, so the sandbox secret store is
allowed), a tasks.py loading Shipyard's collections as a user's does, and
the sandbox secret store holding the database URL and the S3 keys.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from shipyard import settings
from shipyard.redaction import Secret
from shipyard.sandbox import s3 as sandbox_s3
from shipyard.secrets.store import SandboxStore

ENV = "bench"
# Nothing listens on port 9: the backup never calls these providers, and the
# addresses only have to be loopback for the sandbox secret store.
UNUSED = "http://127.0.0.1:9"

TOML = """\
[project]
name = "bench-backup"
environments = ["{env}"]

[backend]
context = "backend"
repository = "bench-backend"
koyeb_app = "bench"
koyeb_service = "api"
port = 8000
"""

ENV_FILE = """\
SECRET_STORE=sandbox
REGISTRY=127.0.0.1:9
KOYEB_API_URL={unused}/v1
NETLIFY_API_URL={unused}/api/v1
GITHUB_API_URL={unused}
S3_BUCKET={bucket}
S3_ENDPOINT_URL={endpoint}
S3_REGION={region}
"""

TASKS = "from shipyard.tasks import namespace as ns  # noqa: F401\n"

# Variables that would change what the child reads or how it prints: settings
# and Shipyard's overrides (the env file must be what counts), CI markers and
# rich's own switches (the run must look like a person's terminal).
_DROPPED = {"CI", "GITHUB_ACTIONS", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE",
            "TTY_INTERACTIVE", "COLUMNS", "LINES", "PYTHONWARNINGS"}


def write_project(root: Path, *, bucket: str, endpoint: str, db_url: Secret) -> None:
    """Write the project into `root` and put its secrets in its sandbox store."""
    files = {
        "shipyard.toml": TOML.format(env=ENV),
        f"env/{ENV}.env": ENV_FILE.format(
            unused=UNUSED, bucket=bucket, endpoint=endpoint, region=sandbox_s3.REGION
        ),
        "tasks.py": TASKS,
        "backend/.keep": "",
    }
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    store = SandboxStore(root / ".shipyard" / "sandbox")
    store.put("DATABASE_URL", db_url)
    store.put("AWS_ACCESS_KEY_ID", Secret(sandbox_s3.ACCESS_KEY, "AWS_ACCESS_KEY_ID"))
    store.put("AWS_SECRET_ACCESS_KEY",
              Secret(sandbox_s3.SECRET_KEY, "AWS_SECRET_ACCESS_KEY"))


def child_environment() -> dict[str, str]:
    """This process's environment without what would override the project's files
    or take the terminal away from rich."""
    env = {
        key: value for key, value in os.environ.items()
        if key not in settings.BY_KEY and key not in _DROPPED
        and not key.startswith("SHIPYARD_")
    }
    if env.get("TERM", "dumb") == "dumb":
        env["TERM"] = "xterm-256color"
    return env


def inv_command() -> list[str]:
    """`inv backup --env=bench` with the `inv` of this interpreter's environment."""
    inv = Path(sys.executable).with_name("inv")
    head = [str(inv)] if inv.is_file() else [sys.executable, "-m", "invoke"]
    return [*head, "backup", f"--env={ENV}"]
