"""Building the static frontend: `npm ci` when the lock changed, then the app's build
script with the environment's NEXT_PUBLIC_* values, then a check of the folder
Netlify will serve.

Two caches keep repeated releases fast without trusting stale output: the
installed node_modules carries the hash of the lock it was installed from, and
a build is skipped only when every input (sources, lock, Node version, build
command, NEXT_PUBLIC_* values) and the publish folder are exactly as the last
build left them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.frontend_config import API_URL_KEY, PUBLIC_PREFIX, Frontend
from shipyard.paths import state_dir

LOCK_STAMP = ".shipyard-lock.sha1"
BUILD_STAMP = "frontend-build.json"
NPM_CI = ["npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"]
# Folders of the frontend that are outputs or installs, never build inputs.
_NOT_INPUTS = frozenset({"node_modules", ".next", ".git", ".turbo"})

OnLine = Callable[[str], None]


@dataclass(frozen=True)
class FrontendBuild:
    """What a frontend build produced and with which backend URL."""

    publish_folder: Path
    files: int
    api_url: str
    installed: bool
    reused: bool
    seconds: float

    def facts(self) -> dict[str, object]:
        """The build as journal facts."""
        return {
            "publish_folder": str(self.publish_folder),
            "files": self.files,
            "api_url": self.api_url,
            "installed": self.installed,
            "reused": self.reused,
        }


def build_frontend(config: Config, api_url: str, on_line: OnLine) -> FrontendBuild:
    """Install, build and check the frontend of `config` for backend `api_url`."""
    from shipyard.providers.netlify import check_publish_folder, digest_folder

    frontend = _frontend(config)
    started = time.monotonic()
    installed = install_dependencies(frontend.folder, on_line)
    env = build_environment(config, api_url)
    inputs = input_digest(frontend, env)
    reused = _unchanged_since_last_build(config, inputs)
    if reused:
        on_line(f"inputs unchanged since the last build: reusing {frontend.publish}/")
    else:
        run_build(frontend, env, on_line)
    check_publish_folder(frontend.publish_folder)
    manifest = digest_folder(frontend.publish_folder)
    _remember_build(config, inputs, manifest)
    return FrontendBuild(
        publish_folder=frontend.publish_folder,
        files=len(manifest),
        api_url=api_url,
        installed=installed,
        reused=reused,
        seconds=time.monotonic() - started,
    )


def _frontend(config: Config) -> Frontend:
    frontend = config.frontend
    if frontend is None:
        raise ShipyardError("shipyard.toml has no [frontend] table: add one to build "
                            "a frontend")
    if not (frontend.folder / "package.json").is_file():
        raise ShipyardError(f"{frontend.folder} has no package.json: fix shipyard.toml "
                            "[frontend] folder")
    return frontend


def install_dependencies(folder: Path, on_line: OnLine) -> bool:
    """`npm ci` in `folder` unless node_modules was installed from this very lock.

    Returns whether npm ran. npm's own cache (with --prefer-offline) makes a
    fresh install on a machine that installed these packages before quick.
    """
    lock = folder / "package-lock.json"
    if not lock.is_file():
        raise ShipyardError(f"{folder} has no package-lock.json: run `npm install` "
                            "there and commit the lock file")
    wanted = _lock_hash(lock)
    stamp = folder / "node_modules" / LOCK_STAMP
    if stamp.is_file() and stamp.read_text().strip() == wanted:
        on_line("node_modules matches package-lock.json: npm ci skipped")
        return False
    _run(NPM_CI, folder, os.environ.copy(), on_line, "npm ci")
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(wanted + "\n")
    return True


def _lock_hash(lock: Path) -> str:
    digest = hashlib.sha1(lock.read_bytes())
    digest.update(_node_version().encode())
    return digest.hexdigest()


def _node_version() -> str:
    node = shutil.which("node")
    if node is None:
        raise ShipyardError("node not found: install Node.js 20 or newer and npm")
    done = subprocess.run([node, "--version"], capture_output=True, text=True,
                          check=False)
    return done.stdout.strip()


def build_environment(config: Config, api_url: str) -> dict[str, str]:
    """The build's process environment: this machine's, minus any NEXT_PUBLIC_*
    value not configured for the environment, plus the configured ones and the
    backend URL, so that what the browser gets depends on the config alone."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(PUBLIC_PREFIX)
    }
    env.update(config.frontend_env)
    env[API_URL_KEY] = api_url.rstrip("/")
    env["NEXT_TELEMETRY_DISABLED"] = "1"
    env.setdefault("CI", "true")
    return env


def input_digest(frontend: Frontend, env: dict[str, str]) -> str:
    """A hash of everything the build output depends on."""
    digest = hashlib.sha1()
    public = sorted((k, v) for k, v in env.items() if k.startswith(PUBLIC_PREFIX))
    digest.update(json.dumps([frontend.build_command, public, _node_version()])
                  .encode())
    skipped = _NOT_INPUTS | {frontend.publish.split("/")[0]}
    for path in sorted(_inputs(frontend.folder, skipped)):
        digest.update(path.relative_to(frontend.folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha1(path.read_bytes()).digest())
    return digest.hexdigest()


def _inputs(folder: Path, skipped: frozenset[str] | set[str]) -> list[Path]:
    found = []
    for here, subfolders, names in os.walk(folder):
        if Path(here) == folder:
            subfolders[:] = [name for name in subfolders if name not in skipped]
        found += [Path(here) / name for name in names]
    return [path for path in found if path.is_file()]


def _unchanged_since_last_build(config: Config, inputs: str) -> bool:
    from shipyard.providers.netlify import digest_folder

    stamp = state_dir(config.root) / BUILD_STAMP
    publish = config.frontend.publish_folder  # type: ignore[union-attr]
    if not stamp.is_file() or not (publish / "index.html").is_file():
        return False
    try:
        last = json.loads(stamp.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return False
    if last.get("inputs") != inputs:
        return False
    return last.get("output") == _manifest_hash(digest_folder(publish))


def _remember_build(config: Config, inputs: str, manifest: dict[str, str]) -> None:
    stamp = state_dir(config.root) / BUILD_STAMP
    stamp.parent.mkdir(parents=True, exist_ok=True)
    record = {"inputs": inputs, "output": _manifest_hash(manifest)}
    stamp.write_text(json.dumps(record) + "\n", encoding="utf-8")


def _manifest_hash(manifest: dict[str, str]) -> str:
    return hashlib.sha1(json.dumps(sorted(manifest.items())).encode()).hexdigest()


def run_build(frontend: Frontend, env: dict[str, str], on_line: OnLine) -> None:
    """Run the app's build command in its folder, streaming its output."""
    argv = shlex.split(frontend.build_command)
    if not argv:
        raise ShipyardError("shipyard.toml [frontend] build_command is empty: set it "
                            "to the app's build script, e.g. npm run build")
    _run(argv, frontend.folder, env, on_line, frontend.build_command)


def _run(argv: list[str], folder: Path, env: dict[str, str], on_line: OnLine,
         what: str) -> None:
    """Run `argv`, handing each output line to `on_line`; one-line error on failure."""
    if shutil.which(argv[0], path=env.get("PATH")) is None:
        raise ShipyardError(f"{argv[0]} not found: install Node.js 20 or newer and "
                            "npm to build the frontend")
    tail: list[str] = []
    with subprocess.Popen(argv, cwd=folder, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                          text=True, errors="replace") as process:
        assert process.stdout is not None
        for raw in process.stdout:
            line = raw.rstrip()
            if line.strip():
                on_line(line)
                tail = (tail + [line.strip()])[-5:]
    if process.returncode != 0:
        reason = next((line for line in reversed(tail) if "rror" in line),
                      tail[-1] if tail else "no output")
        raise ShipyardError(f"frontend `{what}` failed (exit {process.returncode}) in "
                            f"{folder.name}: {reason[:200]}")
