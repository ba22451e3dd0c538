"""Shipyard's Koyeb stand-in: the part of Koyeb's REST API Shipyard uses, run offline.

It answers under /v1 as app.koyeb.com does (bodies, statuses and enum names
from the official spec), really deploys each service's Docker image on the
local engine and publishes every app on a stable loopback URL (see
`koyeb_server` and `relay`). Under host networking two deployments cannot
share a port, so each deployment listens on a loopback port of its own,
given to it as $PORT (see `koyeb_deploy`). Outside the API, /_sandbox
offers fault injection and a state dump for tests; it needs no token and
never shows secret values.

    python -m shipyard.sandbox.koyeb --port P --state-dir DIR --token-file FILE
    python -m shipyard.sandbox.koyeb --cleanup [--state-dir DIR]
"""

from __future__ import annotations

import argparse
import copy
import hmac
import signal
import sys
import time
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from shipyard.sandbox.koyeb_http import error_body, standin
from shipyard.sandbox.koyeb_routes_apps import api as apps_api
from shipyard.sandbox.koyeb_routes_runs import api as runs_api
from shipyard.sandbox.koyeb_routes_secrets import api as secrets_api
from shipyard.sandbox.koyeb_runner import remove_all_containers
from shipyard.sandbox.koyeb_server import FAULT_STATUSES, StandIn
from shipyard.sandbox.koyeb_validate import FieldErrors, as_int

_ERROR_CODES = {
    400: "invalid_argument",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    500: "internal",
    503: "unavailable",
}
_RPC_CODES = {405: 12, 429: 8, 502: 14}


def create_app(state_dir: Path, token: str) -> Flask:
    """The stand-in's WSGI app, with its deployments adopted and relays open."""
    runtime = StandIn(state_dir, token)
    runtime.start()
    app = Flask(__name__)
    app.extensions["koyeb"] = runtime
    for blueprint in (apps_api, runs_api, secrets_api):
        app.register_blueprint(blueprint)
    app.before_request(_gate)
    app.register_error_handler(FieldErrors, _invalid)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _crash)
    app.add_url_rule("/_sandbox/faults", view_func=_arm_faults, methods=["POST"])
    app.add_url_rule("/_sandbox/state", view_func=_dump_state, methods=["GET"])
    return app


def _gate() -> Any:
    """Injected faults first, then the Bearer token, for every API request."""
    if not request.path.startswith("/v1/"):
        return None
    server = standin()
    fault = server.faults.take()
    if fault:
        return _fault_reply(*fault)
    expected = f"Bearer {server.token}".encode()
    given = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(given, expected):
        return error_body(401, "unauthenticated", "The token is missing or not valid")
    return None


def _fault_reply(status: int, retry_after: int) -> Any:
    """An injected failure, shaped as the spec describes that status."""
    if status in _RPC_CODES:
        reply = jsonify({"code": _RPC_CODES[status], "message": "Injected fault"})
        reply.status_code = status
    else:
        reply = error_body(status, _ERROR_CODES[status], "Injected fault")
    if status in (429, 503):
        reply.headers["Retry-After"] = str(retry_after)
        reply.headers["X-RateLimit-Reset"] = str(int(time.time()) + retry_after)
    return reply


def _invalid(exc: FieldErrors) -> Any:
    reply = jsonify(
        {
            "status": 400,
            "code": "invalid_argument",
            "message": exc.message,
            "fields": exc.fields,
        }
    )
    reply.status_code = 400
    return reply


def _http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    if status in _ERROR_CODES:
        return error_body(status, _ERROR_CODES[status], exc.description or exc.name)
    reply = jsonify({"code": _RPC_CODES.get(status, 2), "message": exc.name})
    reply.status_code = status
    return reply


def _crash(exc: Exception) -> Any:
    sys.stderr.write(f"koyeb stand-in: internal error: {exc!r}\n")
    return error_body(500, "internal", "Internal error of the Koyeb stand-in")


def _arm_faults() -> Any:
    """POST /_sandbox/faults {"status", "count", "retry_after"}."""
    payload = request.get_json(silent=True) or {}
    status = as_int(payload.get("status"))
    count = as_int(payload.get("count", 1))
    retry_after = as_int(payload.get("retry_after", 1))
    if status not in FAULT_STATUSES or count is None or count < 0:
        return error_body(
            400, "invalid_argument", f"status must be one of {FAULT_STATUSES}"
        )
    standin().faults.arm(status, count, max(retry_after or 0, 0))
    return {"status": status, "count": count, "retry_after": retry_after}


def _dump_state() -> Any:
    """GET /_sandbox/state: the model without any secret value."""
    with standin().store.read() as data:
        dump = copy.deepcopy(data)
    for secret in dump["secrets"].values():
        secret.pop("_value", None)
        for settings in secret.values():
            if isinstance(settings, dict):
                settings.pop("password", None)
                settings.pop("keyfile_content", None)
    return dump


def main(argv: list[str] | None = None) -> int:
    """Serve the stand-in on 127.0.0.1 until SIGTERM, or clean up its containers."""
    parser = argparse.ArgumentParser(prog="python -m shipyard.sandbox.koyeb")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--state-dir", type=Path)
    parser.add_argument("--token-file", type=Path)
    parser.add_argument(
        "--cleanup",
        action="store_true",
        help="stop and remove the stand-in's containers, then exit",
    )
    args = parser.parse_args(argv)
    if args.cleanup:
        removed = remove_all_containers(args.state_dir)
        print(f"removed {removed} Koyeb stand-in container(s)")
        return 0
    if not args.state_dir or not args.token_file:
        parser.error("--state-dir and --token-file are required to serve")
    token = args.token_file.read_text(encoding="utf-8").strip()
    if not token:
        parser.error(f"{args.token_file} is empty; write the API token there")
    app = create_app(args.state_dir, token)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Koyeb stand-in listening on http://127.0.0.1:{server.port}", flush=True)
    try:
        server.serve_forever()
    finally:
        app.extensions["koyeb"].close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
