"""Deploying a large static site with Shipyard's Netlify client and with netlify-cli,
against one Netlify stand-in in one run.

Each tool gets a site of its own: 5,000 files of random bytes (about 50 MB,
some names with spaces and non-ASCII letters), deployed once, then deployed
again with 1 % of the files changed. Prints the wall time and the bytes the
stand-in received for each deploy, and the ratios. Bytes are counted from the
stand-in's request log (the size of each accepted upload).

    python bench/frontend_deploy.py [--files 5000] [--megabytes 50]

netlify-cli must be installed first (as CI does):
    npm install --prefix ~/.cache/shipyard/netlify-cli netlify-cli@27.10.2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from shipyard.providers.netlify import NetlifyClient
from shipyard.redaction import Secret
from shipyard.sandbox.netlify_cli import cli_environment

CLI = Path(os.environ.get("SHIPYARD_NETLIFY_CLI_DIR",
                          Path.home() / ".cache/shipyard/netlify-cli"))
FOLDERS = ["assets", "images/gallery", "docs/guide", "café", "日本語/ページ",
           "blog/2024/spring posts", "fonts"]
STEMS = ["page", "photo", "notes", "résumé", "chapter one", "naïve", "data", "köln"]


def make_site(root: Path, files: int, megabytes: int, seed: int) -> list[Path]:
    """Write `files` files of random bytes, about `megabytes` MB in all."""
    rng = random.Random(seed)
    average = megabytes * 1_000_000 // files
    written = []
    for number in range(files):
        if number == 0:
            path = root / "index.html"
        else:
            folder = FOLDERS[number % len(FOLDERS)]
            stem = STEMS[number % len(STEMS)]
            path = root / folder / f"{stem} {number}.bin"
        path.parent.mkdir(parents=True, exist_ok=True)
        size = rng.randint(average // 2, average * 3 // 2)
        path.write_bytes(rng.randbytes(size))
        written.append(path)
    return written


def change_some(paths: list[Path], share: float, seed: int) -> int:
    """Rewrite `share` of the files with new bytes of the same size; bytes changed."""
    rng = random.Random(seed)
    chosen = rng.sample(paths[1:], max(1, int(len(paths) * share)))
    for path in chosen:
        path.write_bytes(rng.randbytes(path.stat().st_size))
    return sum(path.stat().st_size for path in chosen)


class StandIn:
    """A Netlify stand-in process with a request log, for the run."""

    def __init__(self, folder: Path, sites: list[str]) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.token = secrets.token_urlsafe(24)
        (folder / "token").write_text(self.token)
        self.log = folder / "answers.jsonl"
        argv = [sys.executable, "-m", "shipyard.sandbox.netlify", "--port",
                str(self.port), "--state-dir", str(folder / "state"), "--token-file",
                str(folder / "token"), "--log-file", str(self.log)]
        for site in sites:
            argv += ["--site", site]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.api = f"http://127.0.0.1:{self.port}/api/v1"
        self._wait()

    def _wait(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"{self.api}/user", timeout=2,
                                   headers={"Authorization": f"Bearer {self.token}"})
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise SystemExit("the Netlify stand-in did not start")

    def bytes_received(self) -> int:
        """Bytes of every upload the stand-in accepted so far."""
        total = 0
        for line in self.log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            upload = entry["method"] == "PUT" and "/files/" in entry["path"]
            if upload and entry["status"] == 200 and entry["json"]:
                total += entry["json"]["size"]
        return total

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=30)


def deploy_with_shipyard(standin: StandIn, site: str, folder: Path) -> None:
    """One production deploy by Shipyard's client in a process of its own, so
    that both tools pay for starting their runtime."""
    env = {**os.environ, "NETLIFY_AUTH_TOKEN": standin.token}
    argv = [sys.executable, __file__, "--deploy", standin.api, site, str(folder)]
    done = subprocess.run(argv, env=env, capture_output=True, text=True,
                          timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"Shipyard's deploy failed: {done.stderr[-2000:]}")


def deploy_one(api: str, site: str, folder: str) -> None:
    """The child process of `deploy_with_shipyard`."""
    token = Secret(os.environ["NETLIFY_AUTH_TOKEN"], "NETLIFY_AUTH_TOKEN")
    with NetlifyClient(api, token, poll_interval=0.2) as client:
        client.deploy(site, Path(folder), production=True)


def deploy_with_cli(standin: StandIn, site: str, folder: Path, home: Path) -> None:
    netlify = CLI / "node_modules/.bin/netlify"
    argv = [str(netlify), "deploy", "--no-build", "--dir", str(folder), "--site",
            site, "--auth", standin.token, "--prod", "--json"]
    done = subprocess.run(argv, cwd=home.parent, env=cli_environment(standin.api, home),
                          capture_output=True, text=True, timeout=1800, check=False)
    if done.returncode != 0:
        raise SystemExit(f"netlify-cli failed: {done.stderr[-2000:]}")


def measure(standin: StandIn, deploy: object, *args: object) -> tuple[float, int]:
    """Wall seconds of one deploy and the bytes the stand-in received meanwhile."""
    before = standin.bytes_received()
    started = time.perf_counter()
    deploy(*args)  # type: ignore[operator]
    return time.perf_counter() - started, standin.bytes_received() - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--deploy", nargs=3, metavar=("API", "SITE", "FOLDER"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.deploy:
        return deploy_one(*args.deploy)
    if not (CLI / "node_modules/.bin/netlify").exists():
        raise SystemExit(f"netlify-cli is not installed in {CLI}: npm install "
                         f"--prefix {CLI} netlify-cli@27.10.2 --no-audit --no-fund")

    with tempfile.TemporaryDirectory(prefix="shipyard-bench-") as scratch:
        work = Path(scratch)
        (work / "standin").mkdir()
        standin = StandIn(work / "standin", ["bench-shipyard", "bench-cli"])
        try:
            rows = run(standin, work, args.files, args.megabytes)
        finally:
            standin.stop()
    report(rows, args.files, args.megabytes)


def run(standin: StandIn, work: Path, files: int, megabytes: int) -> dict:
    rows: dict[str, dict[str, float]] = {}
    tools = {
        "shipyard": (deploy_with_shipyard, "bench-shipyard", 1, ()),
        "netlify-cli": (deploy_with_cli, "bench-cli", 2, (work / "cli-home",)),
    }
    for name, (deploy, site, seed, extra) in tools.items():
        folder = work / name
        paths = make_site(folder, files, megabytes, seed)
        first, first_bytes = measure(standin, deploy, standin, site, folder, *extra)
        changed = change_some(paths, 0.01, seed + 100)
        second, second_bytes = measure(standin, deploy, standin, site, folder, *extra)
        rows[name] = {"first": first, "first_bytes": first_bytes, "again": second,
                      "again_bytes": second_bytes, "changed": changed,
                      "total": sum(p.stat().st_size for p in paths)}
    return rows


def report(rows: dict, files: int, megabytes: int) -> None:
    print(f"site: {files} files, about {megabytes} MB; redeploy changes 1 % of files")
    print(f"{'tool':<12} {'deploy s':>9} {'MB sent':>8} {'redeploy s':>11} "
          f"{'MB sent':>8} {'changed MB':>11} {'sent/changed':>13}")
    for name, row in rows.items():
        print(f"{name:<12} {row['first']:9.1f} {row['first_bytes'] / 1e6:8.2f} "
              f"{row['again']:11.1f} {row['again_bytes'] / 1e6:8.2f} "
              f"{row['changed'] / 1e6:11.2f} "
              f"{row['again_bytes'] / row['changed']:13.2f}")
    ours, theirs = rows["shipyard"], rows["netlify-cli"]
    print(f"wall time shipyard/netlify-cli: first deploy "
          f"{ours['first'] / theirs['first']:.2f}, redeploy "
          f"{ours['again'] / theirs['again']:.2f}")


if __name__ == "__main__":
    main()
