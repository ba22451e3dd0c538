"""A PostgreSQL stand-in that reports another major version than the one installed.

Only one PostgreSQL release is installed here, so a server of another major
version is played by this small wire-protocol server on loopback: it logs in
any user, reports `server_version` at startup, and answers what Shipyard asks
a server (`SHOW server_version_num`, and the BEGIN/COMMIT/ROLLBACK psycopg
wraps it in) over both the simple and the extended query protocol. Any other
statement gets an error, so a check that asks more cannot pass by accident.
"""

from __future__ import annotations

import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SSL_REQUEST = 80877103
GSS_REQUEST = 80877104
TEXT_OID = 25


def _message(kind: bytes, body: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(body) + 4) + body


def _cstr(text: str) -> bytes:
    return text.encode() + b"\0"


class _Session(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        self.sock: socket.socket = self.request
        self.in_transaction = False
        if not self._startup():
            return
        statement = ""
        while True:
            head = self._read(5)
            if head is None:
                return
            kind, length = head[:1], struct.unpack("!i", head[1:])[0]
            body = self._read(length - 4) or b""
            if kind == b"X":
                return
            if kind == b"Q":
                self._simple(body.rstrip(b"\0").decode())
            elif kind == b"P":
                statement = body.split(b"\0")[1].decode()
                self._send(_message(b"1"))
            elif kind == b"B":
                self._send(_message(b"2"))
            elif kind == b"D":
                if body[:1] == b"S":
                    self._send(_message(b"t", struct.pack("!h", 0)))
                self._send(self._describe(statement))
            elif kind == b"E":
                self._send(self._execute(statement))
            elif kind == b"C":
                self._send(_message(b"3"))
            elif kind == b"S":
                self._send(self._ready())

    def _startup(self) -> bool:
        while True:
            head = self._read(8)
            if head is None:
                return False
            length, code = struct.unpack("!ii", head)
            rest = self._read(length - 8) or b""
            if code in (SSL_REQUEST, GSS_REQUEST):
                self._send(b"N")
                continue
            break
        params = rest.split(b"\0")
        encoding = "UTF8"
        for name, value in zip(params[::2], params[1::2], strict=False):
            if name == b"client_encoding" and value:
                encoding = value.decode()
        status = {
            "server_version": self.server.version,
            "server_encoding": "UTF8",
            "client_encoding": encoding,
            "DateStyle": "ISO, MDY",
            "integer_datetimes": "on",
            "standard_conforming_strings": "on",
            "TimeZone": "UTC",
        }
        reply = _message(b"R", struct.pack("!i", 0))
        for name, value in status.items():
            reply += _message(b"S", _cstr(name) + _cstr(value))
        reply += _message(b"K", struct.pack("!ii", 4242, 2424))
        self._send(reply + self._ready())
        return True

    def _simple(self, query: str) -> None:
        self._send(self._describe(query) + self._execute(query) + self._ready())

    def _describe(self, query: str) -> bytes:
        if not _is_show(query):
            return _message(b"n")
        field = _cstr("server_version_num") + struct.pack(
            "!ihihih", 0, 0, TEXT_OID, -1, -1, 0
        )
        return _message(b"T", struct.pack("!h", 1) + field)

    def _execute(self, query: str) -> bytes:
        word = query.strip().rstrip(";").split(" ")[0].upper()
        if _is_show(query):
            value = str(self.server.version_num).encode()
            row = struct.pack("!h", 1) + struct.pack("!i", len(value)) + value
            return _message(b"D", row) + _message(b"C", _cstr("SHOW"))
        if word == "BEGIN":
            self.in_transaction = True
            return _message(b"C", _cstr("BEGIN"))
        if word in ("COMMIT", "ROLLBACK"):
            self.in_transaction = False
            return _message(b"C", _cstr(word))
        error = (
            b"SERROR\0"
            + b"C0A000\0"
            + _cstr(f"Mthe version stand-in answers no {word}")
            + b"\0"
        )
        return _message(b"E", error)

    def _ready(self) -> bytes:
        return _message(b"Z", b"T" if self.in_transaction else b"I")

    def _read(self, count: int) -> bytes | None:
        data = b""
        while len(data) < count:
            chunk = self.sock.recv(count - len(data))
            if not chunk:
                return None
            data += chunk
        return data

    def _send(self, data: bytes) -> None:
        self.sock.sendall(data)


def _is_show(query: str) -> bool:
    return query.strip().rstrip(";").lower() == "show server_version_num"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, version: str) -> None:
        super().__init__(("127.0.0.1", 0), _Session)
        major, minor = (int(part) for part in version.split("."))
        self.version = version
        self.version_num = major * 10000 + minor


@contextmanager
def postgres_standin(version: str) -> Iterator[int]:
    """Serve a PostgreSQL `version` ("14.11") on a free loopback port; its port."""
    server = _Server(version)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
