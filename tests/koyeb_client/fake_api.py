"""A scripted HTTP server on loopback that answers like the Koyeb API.

Each test says what to answer per operation; the server checks every body
it sends and every body it receives against the Koyeb spec, and keeps a list
of the requests it saw, so tests can assert what reached the wire.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from .spec_responses import operation, validate_request, validate_response

Reply = tuple[int, Any] | tuple[int, Any, dict[str, str]]
Handler = Callable[["Seen"], Reply]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any

    def arg(self, name: str, default: str = "") -> str:
        return (self.query.get(name) or [default])[0]


@dataclass
class FakeKoyebAPI:
    """Answers scripted per (method, path); records requests and spec misfits."""

    requests: list[Seen] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _scripts: dict[tuple[str, str], list[Reply | Handler]] = field(default_factory=dict)
    url: str = ""

    def on(self, method: str, path: str, *replies: Reply | Handler) -> None:
        """Answer `method path` with `replies` in turn; the last one repeats."""
        self._scripts[(method.upper(), path)] = list(replies)

    def calls(self, method: str, path: str) -> list[Seen]:
        return [r for r in self.requests if (r.method, r.path) == (method, path)]

    def __call__(self, environ: dict, start_response: Callable) -> Any:
        request = Request(environ)
        seen = Seen(
            method=request.method,
            path=request.path,
            query={k: request.args.getlist(k) for k in request.args},
            headers=dict(request.headers),
            body=request.get_json(silent=True) if request.data else None,
        )
        self.requests.append(seen)
        return self._answer(seen)(environ, start_response)

    def _answer(self, seen: Seen) -> Response:
        try:
            operation(seen.method, seen.path)
            if seen.body is not None:
                validate_request(seen.method, seen.path, seen.body)
        except (LookupError, jsonschema.ValidationError) as problem:
            return self._misfit(f"request {seen.method} {seen.path}: {problem}")

        script = self._scripts.get((seen.method, seen.path))
        if not script:
            return self._misfit(f"no answer scripted for {seen.method} {seen.path}")
        reply = script.pop(0) if len(script) > 1 else script[0]
        if callable(reply):
            reply = reply(seen)
        status, body, *rest = reply
        headers = rest[0] if rest else {}

        try:
            validate_response(seen.method, seen.path, status, body)
        except jsonschema.ValidationError as problem:
            return self._misfit(f"answer to {seen.method} {seen.path}: {problem}")
        return Response(
            json.dumps(body),
            status=status,
            headers=headers,
            content_type="application/json",
        )

    def _misfit(self, problem: str) -> Response:
        self.problems.append(problem.splitlines()[0])
        return Response(json.dumps({"message": problem}), status=418)


class Served:
    """Runs a WSGI app on 127.0.0.1 in a thread until stopped."""

    def __init__(self, app: Callable) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.server_port
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
