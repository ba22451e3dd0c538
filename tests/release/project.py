"""A throwaway copy of the example project, released to its own sandbox by tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
COPIED = ["shipyard.toml", "tasks.py", ".gitignore", "env", "examples/backend",
          "examples/frontend"]
# Installs and outputs of the example apps: each copy makes its own.
NOT_COPIED = ("wheels", "__pycache__", "node_modules", ".next", "out")
PORTS = ("registry", "koyeb", "postgres", "netlify", "site", "s3", "github")


@dataclass
class Project:
    root: Path
    env: dict[str, str]

    def inv(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """Run `inv ARGS` in the project, as a user would."""
        return subprocess.run(
            [sys.executable, "-m", "invoke", *args],
            cwd=self.root, env=self.env, capture_output=True, text=True,
            timeout=timeout, check=False,
        )

    def start_inv(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "invoke", *args],
            cwd=self.root, env=self.env, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True,
        )

    def kill_after_deploy(self, *args: str) -> str:
        """Start `inv ARGS` and kill it hard once its deploy step is journaled done;
        the id of the run it leaves cut off."""
        process = self.start_inv(*args)
        runs = self.root / ".shipyard" / "runs"
        before = set(runs.glob("*.jsonl"))
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            for path in set(runs.glob("*.jsonl")) - before:
                if '"step":"deploy","event":"done"' in path.read_text().replace(" ", ""):
                    process.kill()
                    process.communicate(timeout=30)
                    return path.stem
            assert process.poll() is None, process.communicate()
            time.sleep(0.05)
        process.kill()
        process.communicate(timeout=30)
        raise AssertionError(f"inv {' '.join(args)} never reached its deploy step")

    def git(self, *args: str) -> str:
        done = subprocess.run(["git", *args], cwd=self.root, check=True,
                              capture_output=True, text=True)
        return done.stdout.strip()

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-qm", message)
        return self.git("rev-parse", "HEAD")

    def edit(self, relative: str, old: str, new: str) -> None:
        path = self.root / relative
        text = path.read_text()
        assert old in text, f"{old!r} not in {relative}"
        path.write_text(text.replace(old, new))

    def ledger(self) -> list[dict]:
        """The sandbox's releases as `inv releases --json` reports them (S3)."""
        listed = self.inv("releases", "--env=sandbox", "--json", timeout=60)
        assert listed.returncode == 0, listed.stderr
        return json.loads(listed.stdout)

    def journals(self) -> list[list[dict]]:
        runs = sorted((self.root / ".shipyard" / "runs").glob("*.jsonl"),
                      key=lambda p: p.stat().st_mtime)
        return [[json.loads(line) for line in p.read_text().splitlines() if line]
                for p in runs]

    def backend_url(self) -> str:
        """The stable URL of the backend, as the last release's smoke test saw it."""
        for journal in reversed(self.journals()):
            for record in journal:
                url = (record.get("facts") or {}).get("url")
                if record.get("step") == "smoke_test" and url:
                    return url
        raise AssertionError("no release has passed its smoke test yet")

    def frontend_url(self) -> str:
        """Where the sandbox's Netlify stand-in serves the frontend's site."""
        return f"http://127.0.0.1:{self.env['NETLIFY_SITE_PORT']}"

    def info(self) -> dict:
        return httpx.get(self.backend_url() + "/api/info/", timeout=10).json()


def make_project(root: Path, ports: dict[str, int]) -> Project:
    """Copy the example into `root`, commit it, and point it at its own ports."""
    for name in COPIED:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, root / name,
                            ignore=shutil.ignore_patterns(*NOT_COPIED))
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, root / name)
    env = {
        **os.environ,
        "REGISTRY": f"127.0.0.1:{ports['registry']}",
        "KOYEB_API_URL": f"http://127.0.0.1:{ports['koyeb']}/v1",
        "SANDBOX_POSTGRES_PORT": str(ports["postgres"]),
        "NETLIFY_API_URL": f"http://127.0.0.1:{ports['netlify']}/api/v1",
        "NETLIFY_SITE_PORT": str(ports["site"]),
        "SANDBOX_S3_PORT": str(ports["s3"]),
        "GITHUB_API_URL": f"http://127.0.0.1:{ports['github']}",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{ports['s3']}",
        "CORS_ALLOWED_ORIGINS": f"http://127.0.0.1:{ports['site']}",
        "CSRF_TRUSTED_ORIGINS": f"http://127.0.0.1:{ports['site']}",
        "DEPLOY_TIMEOUT": "90",
        "SMOKE_TIMEOUT": "30",
    }
    for key in ("SHIPYARD_ROOT", "SHIPYARD_SANDBOX_DIR"):
        env.pop(key, None)
    project = Project(root, env)
    project.git("init", "-q", "-b", "main")
    project.git("config", "user.email", "tests@shipyard.invalid")
    project.git("config", "user.name", "Shipyard tests")
    project.commit("example app v1")
    return project
