"""The real Koyeb stand-in and a tiny pushed image, for the integration tests.

The stand-in runs as its own process (`python -m shipyard.sandbox.koyeb`), as
`inv sandbox.up` starts it; the image is built on the sandbox's base image
and pushed to a sandbox registry, so it can be deployed by digest.
"""

from __future__ import annotations

import io
import secrets
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

import httpx

from shipyard.redaction import Secret

START_TIMEOUT = 30.0

# The app the stand-in deploys: answers /health/ and tells, on /, which
# release it is and what its GREETING (a Koyeb secret) holds.
PROBE_APP = """\
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

if os.environ.get("CRASH"):
    raise SystemExit("asked to crash at start")

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({
            "release": os.environ.get("RELEASE", ""),
            "greeting": os.environ.get("GREETING", ""),
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

HTTPServer((os.environ["HOST"], int(os.environ["PORT"])), Handler).serve_forever()
"""


@dataclass
class RunningStandIn:
    """A stand-in process of this test run, with its API URL and token."""

    process: subprocess.Popen
    url: str
    token: Secret
    state_dir: Path

    def arm_fault(self, status: int, count: int, retry_after: int = 1) -> None:
        """Make the next `count` API requests answer `status`."""
        knob = self.url.removesuffix("/v1") + "/_sandbox/faults"
        body = {"status": status, "count": count, "retry_after": retry_after}
        httpx.post(knob, json=body, timeout=10).raise_for_status()

    def stop(self) -> None:
        """End this stand-in (by its own pid) and remove its containers."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        subprocess.run(
            [sys.executable, "-m", "shipyard.sandbox.koyeb", "--cleanup"]
            + ["--state-dir", str(self.state_dir)],
            check=False,
            capture_output=True,
            timeout=120,
        )


def start_standin(folder: Path) -> RunningStandIn:
    """Start the stand-in on a free loopback port with a fresh token."""
    state_dir = folder / "state"
    state_dir.mkdir(parents=True)
    token = Secret("standin-" + secrets.token_hex(16), name="KOYEB_TOKEN")
    token_file = folder / "token"
    token_file.write_text(token.reveal())
    log = (folder / "standin.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "shipyard.sandbox.koyeb", "--port", "0"]
        + ["--state-dir", str(state_dir), "--token-file", str(token_file)],
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    line = process.stdout.readline() if process.stdout else ""
    if "listening on" not in line:
        process.kill()
        process.wait(timeout=5)
        log.close()
        raise RuntimeError(
            f"Koyeb stand-in did not start: {(folder / 'standin.log').read_text()}"
        )
    url = line.strip().rsplit(" ", 1)[-1] + "/v1"
    return RunningStandIn(process, url, token, state_dir)


def build_probe_image(registry_address: str) -> tuple[str, str]:
    """Build and push the probe app; return (image by digest, local tag)."""
    import docker

    from shipyard.sandbox.baseimage import ensure_base_image

    client = docker.from_env()
    base = ensure_base_image(client)
    dockerfile = f'FROM {base}\nCOPY app.py /app.py\nCMD ["python3", "/app.py"]\n'
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, text in (("Dockerfile", dockerfile), ("app.py", PROBE_APP)):
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)

    repository = f"{registry_address}/koyeb-client-probe"
    tag = f"{repository}:test"
    client.images.build(
        fileobj=context, custom_context=True, tag=tag, network_mode="host", rm=True
    )
    digest = ""
    for line in client.images.push(repository, tag="test", stream=True, decode=True):
        if line.get("error"):
            raise RuntimeError(f"push failed: {line['error']}")
        digest = (line.get("aux") or {}).get("Digest", digest)
    if not digest:
        raise RuntimeError("the registry gave no digest for the probe image")
    return f"{repository}@{digest}", tag
