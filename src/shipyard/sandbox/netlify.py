"""Shipyard's Netlify stand-in: the file-digest deploy API, served on loopback.

Run as `python -m shipyard.sandbox.netlify --port P --state-dir DIR
--token-file FILE [--site NAME[=ID]]... [--site-port NAME=PORT]...`. It speaks
the part of the API in specs/netlify-openapi.yml that Shipyard and netlify-cli
use, keeps file contents by SHA1, and serves each site's published deploy on a
loopback port of its own (fixed by --site-port, else any free one, kept across
restarts). Failures can be injected through POST /_sandbox/faults.
"""

from __future__ import annotations

import argparse
import hmac
import json
import math
import sys
import threading
import time
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from shipyard.sandbox import netlify_env_routes, netlify_routes
from shipyard.sandbox.netlify_env_store import EnvStore
from shipyard.sandbox.netlify_routes import API, Context, create_served_site, error
from shipyard.sandbox.netlify_serve import SiteServers
from shipyard.sandbox.netlify_state import Store
from shipyard.sandbox.netlify_views import Urls


def _masked(body: Any) -> Any:
    """`body` with every environment variable's `value` replaced by a mask."""
    if isinstance(body, list):
        return [_masked(item) for item in body]
    if isinstance(body, dict):
        return {key: "****" if key == "value" and isinstance(item, str)
                else _masked(item) for key, item in body.items()}
    return body


def create_app(ctx: Context, token: str, log_file: Path | None = None) -> Flask:
    """The stand-in's API app: auth, rate-limit fault, routes and request log."""
    app = Flask("netlify-sandbox")
    store = ctx.store
    log_lock = threading.Lock()

    @app.before_request
    def guard() -> Any:
        if not request.path.startswith((API, "/_sandbox")):
            return None
        given = request.headers.get("Authorization", "")
        if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
            return error(401, "Access Denied: a valid Bearer token is required")
        if request.path.startswith(API):
            return _rate_limited(store)
        return None

    @app.after_request
    def record(response: Any) -> Any:
        if log_file is not None and request.path.startswith(API):
            entry = {
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                # Environment variables may hold secrets: their values are
                # masked in the log, their shape kept.
                "json": _masked(response.get_json(silent=True))
                if response.is_json else None,
            }
            with log_lock, log_file.open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(entry) + "\n")
        return response

    @app.errorhandler(HTTPException)
    def http_error(problem: HTTPException) -> Any:
        return error(problem.code or 500, problem.description or problem.name)

    netlify_routes.register(app, ctx)
    netlify_env_routes.register(app, ctx)
    _register_extras(app, store)
    return app


def _rate_limited(store: Store) -> Any:
    """A 429 while the rate_limit fault has answers left, else None."""
    with store.lock:
        faults = store.faults
        if faults.rate_limit <= 0:
            return None
        if time.time() >= faults.rate_limit_reset:
            faults.rate_limit = 0
            return None
        faults.rate_limit -= 1
        reset = math.ceil(faults.rate_limit_reset)
    response, status = error(429, "API rate limit exceeded, retry after the reset")
    response.headers["X-RateLimit-Limit"] = "500"
    response.headers["X-RateLimit-Remaining"] = "0"
    response.headers["X-RateLimit-Reset"] = str(reset)
    return response, status


def _register_extras(app: Flask, store: Store) -> None:
    """Fault knobs, and the extension look-ups netlify-cli makes beside the API."""

    @app.get("/team/<account_id>/integrations/installations/meta/<site_id>")
    @app.get("/site/<site_id>/integrations/safe")
    @app.get("/meta/auto-installable")
    def no_extensions(**_: str) -> Any:
        return jsonify([])

    @app.get("/_sandbox/faults")
    def show_faults() -> Any:
        return jsonify(store.faults.as_json())

    @app.delete("/_sandbox/faults")
    def clear_faults() -> Any:
        with store.lock:
            store.faults.clear()
        return jsonify(store.faults.as_json())

    @app.post("/_sandbox/faults")
    def set_faults() -> Any:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "Send a JSON object of faults")
        with store.lock:
            faults = store.faults
            if "fail_uploads" in body:
                faults.fail_uploads = int(body["fail_uploads"])
            if "rate_limit" in body:
                faults.rate_limit = int(body["rate_limit"])
                faults.rate_limit_reset = time.time() + float(body.get("reset_in", 60))
            if "stall_uploading" in body:
                faults.stall_uploading = bool(body["stall_uploading"])
            if "error_next_deploy" in body:
                faults.error_next_deploy = body["error_next_deploy"] or None
            if "rate_limit_after_publish" in body:
                faults.limit_after_publish = float(body["rate_limit_after_publish"])
            return jsonify(faults.as_json())


def main(argv: list[str] | None = None) -> int:
    """Start the stand-in and serve until stopped."""
    args = _parser().parse_args(argv)
    token = Path(args.token_file).read_text(encoding="utf-8").strip()
    if not token:
        print(
            f"netlify stand-in: token file {args.token_file} is empty", file=sys.stderr
        )
        return 2

    store = Store(Path(args.state_dir))
    servers = SiteServers(store)
    ctx = Context(
        store=store, env=EnvStore(store), urls=Urls(args.port), servers=servers
    )
    ports = _site_ports(args.site_port)
    with store.edit() as data:
        for site in data["sites"].values():
            site["port"] = ports.get(site["name"], site["port"])
    for site in list(store.data["sites"].values()):
        try:
            servers.start(site["id"], site["port"])
        except OSError as problem:
            print(
                f"netlify stand-in: cannot serve site {site['name']} on its port "
                f"{site['port']} ({problem}): free the port and start again",
                file=sys.stderr,
            )
            return 1
    for wanted in args.site:
        name, _, site_id = wanted.partition("=")
        known = store.find_site(name) or (site_id and store.find_site(site_id))
        if not known:
            create_served_site(ctx, name, site_id or None, ports.get(name, 0))

    app = create_app(ctx, token, Path(args.log_file) if args.log_file else None)
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(
        f"netlify stand-in listening on http://127.0.0.1:{args.port}{API}", flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        servers.stop()
    return 0


def _site_ports(wanted: list[str]) -> dict[str, int]:
    """NAME=PORT pairs of --site-port, as a mapping of site name to port."""
    ports = {}
    for pair in wanted:
        name, _, port = pair.partition("=")
        if not port.isdigit():
            raise SystemExit(f"--site-port {pair}: expected NAME=PORT")
        ports[name] = int(port)
    return ports


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shipyard.sandbox.netlify")
    parser.add_argument("--port", type=int, required=True, help="API port on 127.0.0.1")
    parser.add_argument("--state-dir", required=True, help="folder for state and files")
    parser.add_argument("--token-file", required=True, help="file holding the token")
    parser.add_argument(
        "--site",
        action="append",
        default=[],
        metavar="NAME[=ID]",
        help="create this site unless it exists (repeatable)",
    )
    parser.add_argument(
        "--site-port",
        action="append",
        default=[],
        metavar="NAME=PORT",
        help="serve site NAME on this loopback port (repeatable; default: any)",
    )
    parser.add_argument("--log-file", help="append one JSON line per API answer here")
    return parser


if __name__ == "__main__":
    sys.exit(main())
