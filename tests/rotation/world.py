"""The rotation tests' world: a sandbox project whose secrets live in the real keyring.

Reading every target back as the tests do: the store through KeyringStore,
GitHub through its stand-in's decrypting /_sandbox routes, Koyeb through its
RevealSecret endpoint, Netlify through its env API, the database by logging in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from shipyard.redaction import Secret
from shipyard.secrets.db_roles import can_login
from shipyard.secrets.keyring_store import KeyringStore
from tests.release.project import Project

OWNER, REPO, GITHUB_ENV = "octo-org", "shipyard-demo", "sandbox"


@dataclass
class Run:
    """One `inv` run: its exit code, output and every child argv seen meanwhile."""

    returncode: int
    stdout: str
    stderr: str
    argvs: set[str] = field(default_factory=set)


@dataclass
class World:
    project: Project
    name: str
    github_url: str
    github_token: str
    runs: list[Run] = field(default_factory=list)

    @property
    def root(self) -> Path:
        return self.project.root

    def store(self) -> KeyringStore:
        from keyring.backends.SecretService import Keyring

        return KeyringStore(self.name, "sandbox", backend=Keyring())

    def value(self, name: str, version: str = "current") -> str | None:
        found = self.store().get_version(name, version)  # type: ignore[arg-type]
        return found.reveal() if found is not None else None

    def inv(self, *args: str, stdin: str | None = None, env: dict | None = None,
            timeout: float = 300) -> Run:
        """Run `inv ARGS`, sampling the argv of each of its descendants."""
        process = subprocess.Popen(
            [sys.executable, "-m", "invoke", *args], cwd=self.root,
            env={**self.project.env, **(env or {})}, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        argvs: set[str] = set()
        done = threading.Event()
        sampler = threading.Thread(target=_sample, args=(process.pid, argvs, done))
        sampler.start()
        try:
            out, err = process.communicate(stdin, timeout=timeout)
        finally:
            done.set()
            sampler.join()
        run = Run(process.returncode, out, err, argvs)
        self.runs.append(run)
        return run

    def start_inv(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "invoke", *args], cwd=self.root,
            env=self.project.env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )

    def github_secret(self, name: str, environment: str | None = None) -> str | None:
        path = f"/_sandbox/secrets/{OWNER}/{REPO}/" + (
            f"environments/{environment}/{name}" if environment else name)
        answer = httpx.get(self.github_url + path, timeout=10,
                           headers={"Authorization": f"Bearer {self.github_token}"})
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return answer.json()["value"]

    def koyeb_secret(self, name: str) -> str | None:
        api = self.project.env["KOYEB_API_URL"]
        headers = {"Authorization": f"Bearer {self.value('KOYEB_TOKEN')}"}
        listed = httpx.get(f"{api}/secrets", params={"name": name}, headers=headers,
                           timeout=10).json()["secrets"]
        found = [s for s in listed if s["name"] == name]
        if not found:
            return None
        reply = httpx.post(f"{api}/secrets/{found[0]['id']}/reveal", json={},
                           headers=headers, timeout=10)
        return reply.json()["value"]

    def netlify_env(self) -> dict[str, str]:
        api = self.project.env["NETLIFY_API_URL"]
        headers = {"Authorization": f"Bearer {self.value('NETLIFY_AUTH_TOKEN')}"}
        site = httpx.get(f"{api}/sites/shipyard-demo", headers=headers,
                         timeout=10).json()
        variables = httpx.get(f"{api}/accounts/{site['account_id']}/env",
                              params={"site_id": site["id"]}, headers=headers,
                              timeout=10).json()
        return {v["key"]: v["values"][0]["value"] for v in variables}

    def backend_deployment(self) -> str:
        """The id of the deployment the backend's Koyeb service serves now."""
        from shipyard.providers.koyeb import KoyebClient

        client = KoyebClient(self.project.env["KOYEB_API_URL"],
                             Secret(self.value("KOYEB_TOKEN") or ""))
        app = client.find_app("shipyard-demo")
        assert app is not None, "the backend has no Koyeb app"
        service = client.find_service(app.id, "backend")
        assert service is not None and service.active_deployment_id
        return service.active_deployment_id

    def logs_in(self, url: str) -> bool:
        return can_login(Secret(url)) is None

    def backend_url(self) -> str:
        for journal in reversed(self.project.journals()):
            for record in journal:
                url = (record.get("facts") or {}).get("url")
                if record.get("step") == "smoke_test" and url:
                    return url
        raise AssertionError("no release has passed its smoke test")

    def journal_events(self) -> list[tuple[str, str]]:
        """(step, event) of the newest journal, oldest first."""
        journals = sorted((self.root / ".shipyard" / "runs").glob("*.jsonl"),
                          key=lambda p: p.stat().st_mtime)
        lines = journals[-1].read_text().splitlines() if journals else []
        records = [json.loads(line) for line in lines if line.strip()]
        return [(r.get("step") or "", r["event"]) for r in records]


def _sample(root_pid: int, argvs: set[str], done: threading.Event) -> None:
    """Collect the command lines of `root_pid`'s descendants until `done`."""
    while not done.is_set():
        for pid in _descendants(root_pid):
            try:
                raw = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            argvs.add(raw.replace(b"\0", b" ").decode(errors="replace"))
        time.sleep(0.05)


def _descendants(root_pid: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [root_pid]
    while frontier:
        pid = frontier.pop()
        children = [child for child, parent in parents.items() if parent == pid]
        found += children
        frontier += children
    return found


def wait_for(check: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def assert_db_consistent(world: World) -> str:
    """Store, GitHub, Netlify, Koyeb, the database and the backend agree; the URL."""
    from urllib.parse import unquote, urlsplit

    for name in ("DATABASE_PASSWORD", "DATABASE_URL"):
        assert world.value(name, "pending") is None, f"{name} still has a pending value"
    password, url = world.value("DATABASE_PASSWORD"), world.value("DATABASE_URL")
    assert password and url
    assert unquote(urlsplit(url).password or "") == password
    assert world.github_secret("DATABASE_PASSWORD") == password
    assert world.netlify_env()["DATABASE_PASSWORD"] == password
    assert world.koyeb_secret("database-url") == url
    assert world.logs_in(url)
    assert httpx.get(world.backend_url() + "/health/", timeout=10).status_code == 200
    return url


def without_manifest(text: str) -> str:
    """The example's shipyard.toml less its own [secrets.*] tables."""
    kept, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("["):
            skipping = line.startswith("[secrets.")
        if not skipping:
            kept.append(line)
    return "".join(kept)
