"""The stable-URL relay forwards each connection to the target of the moment."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from shipyard.sandbox.processes import free_port
from shipyard.sandbox.relay import Relay, Target


def named_server(name: str) -> ThreadingHTTPServer:
    """An HTTP server on loopback answering every GET with `name` and the path."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = f"{name} {self.path}".encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def backends() -> Iterator[dict[str, ThreadingHTTPServer]]:
    servers = {name: named_server(name) for name in ("blue", "green")}
    yield servers
    for server in servers.values():
        server.shutdown()
        server.server_close()


def test_relay_answers_503_while_nothing_is_healthy() -> None:
    relay = Relay(lambda path: None)
    try:
        answer = httpx.get(f"http://127.0.0.1:{relay.port}/", timeout=5)
    finally:
        relay.close()
    assert answer.status_code == 503
    assert "no healthy deployment" in answer.text


def test_relay_sends_new_connections_to_the_new_target(
    backends: dict[str, ThreadingHTTPServer],
) -> None:
    current: dict[str, Target] = {"target": ("127.0.0.1", _port(backends["blue"]))}
    seen_paths: list[str] = []

    def resolve(path: str) -> Target:
        seen_paths.append(path)
        return current["target"]

    relay = Relay(resolve)
    url = f"http://127.0.0.1:{relay.port}/api/items?page=2"
    try:
        before = httpx.get(url, timeout=5).text
        current["target"] = ("127.0.0.1", _port(backends["green"]))
        after = httpx.get(url, timeout=5).text
    finally:
        relay.close()
    assert before == "blue /api/items?page=2"
    assert after == "green /api/items?page=2"
    assert seen_paths == ["/api/items", "/api/items"]


def test_relay_answers_502_when_the_target_refuses() -> None:
    relay = Relay(lambda path: ("127.0.0.1", free_port()))
    try:
        answer = httpx.get(f"http://127.0.0.1:{relay.port}/", timeout=5)
    finally:
        relay.close()
    assert answer.status_code == 502


def test_relay_can_take_back_its_former_port() -> None:
    first = Relay(lambda path: None)
    port = first.port
    first.close()
    second = Relay(lambda path: None, port)
    try:
        assert second.port == port
    finally:
        second.close()


def _port(server: ThreadingHTTPServer) -> int:
    return int(server.server_address[1])
