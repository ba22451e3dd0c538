"""A stable loopback address that forwards to whichever deployment is live.

The relay works at the TCP level, so HTTP keep-alive, streaming and WebSockets
pass through untouched. Each connection picks its target once, from the path
of its first HTTP request line, through a resolver the owner supplies; the
target can change at any time and only new connections follow it, so
requests in flight finish where they started. With no target the relay
answers 503; when the target refuses the connection, 502.
"""

from __future__ import annotations

import selectors
import socket
import socketserver
import threading
from collections.abc import Callable

Target = tuple[str, int]
Resolver = Callable[[str], Target | None]

HEAD_LIMIT = 8192
HEAD_WAIT = 10.0
IDLE_LIMIT = 300.0
CHUNK = 65536


class Relay:
    """One listening relay on 127.0.0.1, forwarding to `resolve(path)`."""

    def __init__(self, resolve: Resolver, port: int = 0) -> None:
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.resolve = resolve
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"relay-{self.port}", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The loopback port the relay listens on."""
        return int(self._server.server_address[1])

    def close(self) -> None:
        """Stop listening; open connections end when either side closes."""
        self._server.shutdown()
        self._server.server_close()


class _Server(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True
    resolve: Resolver


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        client: socket.socket = self.request
        head = _read_head(client)
        if not head:
            return
        try:
            target = self.server.resolve(_path_of(head))
        except Exception:  # noqa: BLE001 - a broken lookup must not kill the relay
            target = None
        if target is None:
            client.sendall(_reply(503, "no healthy deployment serves this path"))
            return
        try:
            upstream = socket.create_connection(target, timeout=5)
        except OSError:
            client.sendall(_reply(502, "the deployment refused the connection"))
            return
        with upstream:
            upstream.settimeout(None)
            client.settimeout(None)
            upstream.sendall(head)
            _pump(client, upstream)


def _read_head(client: socket.socket) -> bytes:
    """The first bytes of a connection, up to the end of its first line."""
    client.settimeout(HEAD_WAIT)
    head = b""
    try:
        while b"\n" not in head and len(head) < HEAD_LIMIT:
            chunk = client.recv(HEAD_LIMIT)
            if not chunk:
                break
            head += chunk
    except OSError:
        return b""
    return head


def _path_of(head: bytes) -> str:
    """The path of an HTTP request line, or '/' for anything else."""
    parts = head.split(b"\n", 1)[0].split()
    if len(parts) >= 2 and parts[1].startswith(b"/"):
        return parts[1].decode("latin-1").split("?", 1)[0]
    return "/"


def _reply(status: int, text: str) -> bytes:
    """A complete, closing HTTP/1.1 answer with a plain-text body."""
    reason = {502: "Bad Gateway", 503: "Service Unavailable"}[status]
    body = f"{text}\n".encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


def _pump(left: socket.socket, right: socket.socket) -> None:
    """Copy bytes both ways until both sides have finished sending."""
    peer = {left: right, right: left}
    with selectors.DefaultSelector() as selector:
        selector.register(left, selectors.EVENT_READ)
        selector.register(right, selectors.EVENT_READ)
        open_sides = 2
        while open_sides:
            ready = selector.select(IDLE_LIMIT)
            if not ready:
                return
            for key, _ in ready:
                source: socket.socket = key.fileobj  # type: ignore[assignment]
                try:
                    data = source.recv(CHUNK)
                    if data:
                        peer[source].sendall(data)
                        continue
                    peer[source].shutdown(socket.SHUT_WR)
                except OSError:
                    return
                selector.unregister(source)
                open_sides -= 1
