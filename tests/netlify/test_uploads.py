"""How NetlifyClient sends files: a refused upload is not sent again, and no more
than five uploads are ever in flight at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from shipyard.errors import ShipyardError
from tests.netlify.conftest import StandIn, write_tree


def upload_statuses(standin: StandIn, site_id: str) -> list[int]:
    """Statuses of every upload to the deploys of `site_id`, in order."""
    ours = {d["id"] for d in site_deploys(standin, site_id)}
    return [a["status"] for a in standin.answers()
            if a["method"] == "PUT" and "/files/" in a["path"]
            and a["path"].split("/")[4] in ours]


def site_deploys(standin: StandIn, site_id: str) -> list[dict[str, Any]]:
    with standin.http() as http:
        answer = http.get(f"/api/v1/sites/{site_id}/deploys")
        answer.raise_for_status()
        return answer.json()


class CancelAfterBadGateway:
    """The client's sleep: once an upload got a 502, someone cancels the deploy
    (as in Netlify's UI) while the client waits to retry it."""

    def __init__(self, standin: StandIn, site_id: str) -> None:
        self.standin, self.site_id = standin, site_id
        self.canceled: list[str] = []

    def __call__(self, seconds: float) -> None:
        if not self.canceled and 502 in upload_statuses(self.standin, self.site_id):
            with self.standin.http() as http:
                for deploy in site_deploys(self.standin, self.site_id):
                    if deploy["state"] not in ("ready", "error"):
                        http.post(f"/api/v1/deploys/{deploy['id']}/cancel"
                                  ).raise_for_status()
                        self.canceled.append(deploy["id"])
        time.sleep(min(seconds, 0.05))


def test_upload_refused_with_422_is_not_sent_again(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": f"{site['id']} home"})
    standin.faults(fail_uploads=1)
    sleep = CancelAfterBadGateway(standin, site["id"])

    with make_client(sleep=sleep) as client, pytest.raises(ShipyardError) as raised:
        client.deploy(site["id"], folder, production=False)

    assert sleep.canceled
    assert upload_statuses(standin, site["id"]) == [502, 422]
    assert "422" in str(raised.value) and "index.html" in str(raised.value)


class SlowUploads:
    """A loopback proxy to the stand-in that holds each upload a moment and
    counts how many are in flight at once."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.lock = threading.Lock()
        self.in_flight = self.most = self.uploads = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                size = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(size) if size else None
                upload = self.command == "PUT" and "/files/" in self.path
                if upload:
                    proxy._enter()
                try:
                    answer = httpx.request(
                        self.command, proxy.target + self.path, content=body,
                        headers={k: v for k, v in self.headers.items()
                                 if k.lower() in ("authorization", "content-type")},
                        timeout=30)
                finally:
                    if upload:
                        proxy._leave()
                self.send_response(answer.status_code)
                for key in ("Content-Type", "X-RateLimit-Reset"):
                    if key in answer.headers:
                        self.send_header(key, answer.headers[key])
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

            def log_message(self, *args: object) -> None:
                return

        return Handler

    def _enter(self) -> None:
        with self.lock:
            self.in_flight += 1
            self.uploads += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(0.3)

    def _leave(self) -> None:
        with self.lock:
            self.in_flight -= 1


@pytest.fixture
def slow_uploads(standin: StandIn) -> Iterator[SlowUploads]:
    proxy = SlowUploads(standin.root)
    thread = threading.Thread(target=proxy.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.server.shutdown()
        proxy.server.server_close()
        thread.join(timeout=10)


def test_uploads_run_five_at_a_time_and_never_more(
    site: dict, tmp_path: Path, slow_uploads: SlowUploads
) -> None:
    from shipyard.providers.netlify import NetlifyClient
    from shipyard.redaction import Secret
    from tests.netlify.conftest import TOKEN

    files = {f"page{i}.html": f"{site['id']} page {i}" for i in range(19)}
    files["index.html"] = f"{site['id']} home"
    folder = write_tree(tmp_path / "out", files)

    with NetlifyClient(slow_uploads.api_url, Secret(TOKEN, "NETLIFY_AUTH_TOKEN"),
                       poll_interval=0.1, sleep=lambda s: time.sleep(min(s, 0.05))
                       ) as client:
        result = client.deploy(site["id"], folder, production=False)

    assert result.state == "ready" and result.files_uploaded == 20
    assert slow_uploads.uploads == 20
    assert slow_uploads.most == 5
