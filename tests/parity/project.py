"""Small fixture projects for parity and lint: a clean one, then one mistake each.

Each project is a real folder with shipyard.toml, env files, a backend with
a Dockerfile and Django-style settings, a built frontend, a workflow and a
git index, so every rule reads the same files it reads in a user's project.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from invoke import Collection, Program

from shipyard.redaction import Secret
from shipyard.secrets.store import SandboxStore

PY = f"{sys.version_info[0]}.{sys.version_info[1]}"
DIGEST = "sha256:" + "ab" * 32
CHECKOUT = "actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683"
SETUP_NODE = "actions/setup-node@39370e3970a6d050c480ffad4ff0ed4d3fdee5af"

TOML = """\
[project]
name = "parity-demo"
environments = ["sandbox", "staging", "prod"]

[backend]
context = "backend"
repository = "parity-demo-backend"
koyeb_app = "{app}"
koyeb_service = "api"
port = 8000
health_path = "/health/"
env = ["DEBUG", "ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS", "CSRF_TRUSTED_ORIGINS"]

[backend.secrets]
SECRET_KEY = "DJANGO_SECRET_KEY"
DATABASE_URL = "DATABASE_URL"

[frontend]
folder = "frontend"
publish = "out"
netlify_site = "parity-demo"
env = ["NEXT_PUBLIC_ENVIRONMENT"]

[defaults]
REGISTRY = "127.0.0.1:5000"
DEBUG = "false"
SECRET_STORE = "sandbox"
KOYEB_API_URL = "http://127.0.0.1:9/v1"
NETLIFY_API_URL = "http://127.0.0.1:9/api/v1"
GITHUB_API_URL = "http://127.0.0.1:9"
"""

ENV_FILE = """\
ALLOWED_HOSTS=api.{env}.parity.example
CORS_ALLOWED_ORIGINS={frontend}
CSRF_TRUSTED_ORIGINS={frontend}
BACKEND_PUBLIC_URL=https://api.{env}.parity.example
NEXT_PUBLIC_ENVIRONMENT={env}
"""

LOCAL_ENV = """\
DEBUG=true
ALLOWED_HOSTS=localhost,127.0.0.1
CORS_ALLOWED_ORIGINS=http://localhost:3000
CSRF_TRUSTED_ORIGINS=http://localhost:3000
NEXT_PUBLIC_ENVIRONMENT=local
SECRET_KEY={secret_key}
DATABASE_URL=postgresql://parity:{password}@127.0.0.1:9/parity
"""

DOCKERFILE = f"""\
ARG BASE_IMAGE=python:{PY}-slim@{DIGEST}
FROM ${{BASE_IMAGE}}
WORKDIR /app
COPY . .
EXPOSE 8000
CMD ["sh", "-c", "exec gunicorn --bind 0.0.0.0:${{PORT:-8000}} app.wsgi"]
"""

SETTINGS = """\
import os

SECRET_KEY = os.environ["SECRET_KEY"]
DATABASE_URL = os.environ.get("DATABASE_URL", "")
DEBUG = os.environ.get("DEBUG") == "true"
ALLOWED_HOSTS = os.environ.get("ALLOWED_HOSTS", "").split(",")
"""

WORKFLOW = f"""\
name: checks
on: push
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: {CHECKOUT} # v4.2.2
      - uses: {SETUP_NODE} # v4.1.0
        with:
          node-version: "20"
      - run: npm ci
"""


@dataclass
class Ran:
    """What one task run printed and how it ended."""

    code: int
    out: str
    err: str


class Project:
    """A fixture project in `root`, with helpers to seed one mistake."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.app = "parity-" + secrets.token_hex(4)
        self.secret_key = "sk-" + secrets.token_urlsafe(32)
        self.db_password = "pw-" + secrets.token_urlsafe(16)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def read(self, relative: str) -> str:
        return (self.root / relative).read_text(encoding="utf-8")

    def edit(self, relative: str, old: str, new: str) -> None:
        text = self.read(relative)
        assert old in text, f"{old!r} not in {relative}"
        self.write(relative, text.replace(old, new, 1))

    def append(self, relative: str, text: str) -> None:
        self.write(relative, self.read(relative) + text)

    def line_of(self, relative: str, start: str) -> int:
        """The 1-based line of `relative` that starts with `start`."""
        for number, line in enumerate(self.read(relative).splitlines(), 1):
            if line.startswith(start):
                return number
        raise AssertionError(f"no line starting {start!r} in {relative}")

    @property
    def store(self) -> SandboxStore:
        return SandboxStore(self.root / ".shipyard" / "sandbox")

    def put_secret(self, name: str, value: str) -> None:
        self.store.put(name, Secret(value, name))

    def git_add(self) -> None:
        subprocess.run(["git", "add", "-A"], cwd=self.root, check=True)

    def build(self) -> Project:
        """Write the clean project: every check passes on it."""
        frontend = {"sandbox": "http://127.0.0.1:8610"}
        self.write("shipyard.toml", TOML.format(app=self.app))
        for env in ("sandbox", "staging", "prod"):
            origin = frontend.get(env, "https://parity-demo.netlify.app")
            self.write(f"env/{env}.env", ENV_FILE.format(env=env, frontend=origin))
        self.write(
            ".env",
            LOCAL_ENV.format(secret_key=self.secret_key, password=self.db_password),
        )
        self.write(".gitignore", ".env\n.shipyard/\n")
        self.write("backend/Dockerfile", DOCKERFILE)
        self.write("backend/app/settings.py", SETTINGS)
        self.write("frontend/.nvmrc", "20\n")
        self.write("frontend/package.json", '{"name": "parity-demo-frontend"}\n')
        self.write("frontend/out/index.html", "<h1>parity demo</h1>\n")
        self.write(".github/workflows/checks.yml", WORKFLOW)
        self.put_secret("DJANGO_SECRET_KEY", "prod-" + secrets.token_urlsafe(32))
        self.put_secret("DATABASE_URL", "postgresql://parity:x@127.0.0.1:9/parity")
        subprocess.run(["git", "init", "-q"], cwd=self.root, check=True)
        self.git_add()
        return self

    def inv(self, *argv: str) -> Ran:
        """Run `inv parity|lint|ci.workflow|backup.*|secrets.* ...` in this process,
        as a user would."""
        from shipyard.tasks import backup, ci, parity
        from shipyard.tasks import secrets as secrets_tasks

        namespace = Collection()
        namespace.add_task(parity.parity)
        namespace.add_task(parity.lint)
        namespace.add_collection(ci.ci)
        namespace.add_collection(backup.backup)
        namespace.add_collection(secrets_tasks.secrets)
        code = 0
        with _captured() as (out, err), _inside(self.root):
            try:
                Program(namespace=namespace).run(["inv", *argv])
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
        return Ran(code, out.read_text(), err.read_text())


@contextmanager
def _captured() -> Iterator[tuple[Path, Path]]:
    """stdout and stderr of the block, into two files (read once it ends)."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="parity-out-"))
    out, err = folder / "out", folder / "err"
    saved = sys.stdout, sys.stderr
    with out.open("w") as out_file, err.open("w") as err_file:
        sys.stdout, sys.stderr = out_file, err_file
        try:
            yield out, err
        finally:
            sys.stdout, sys.stderr = saved


@contextmanager
def _inside(root: Path) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("SHIPYARD_ROOT", "COLUMNS")}
    os.environ["SHIPYARD_ROOT"] = str(root)
    os.environ["COLUMNS"] = "400"
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
