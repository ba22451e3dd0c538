"""Shipyard's GitHub stand-in: Actions secrets and variables, served on loopback.

Run as `python -m shipyard.sandbox.github --port P --state-dir DIR
--token-file FILE [--repo OWNER/REPO[:ENV,ENV...]]...`. It speaks the
operations of specs/github-actions-secrets-openapi.json, opens every sealed
box it receives with its own key pairs, and, outside the spec, lets tests
read the opened values back (GET /_sandbox/secrets/...), add repositories
(POST /_sandbox/repos) and rotate a key pair (POST /_sandbox/keys/...).
"""

from __future__ import annotations

import argparse
import hmac
import sys
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException
from werkzeug.serving import make_server

from shipyard.sandbox import github_routes
from shipyard.sandbox.github_routes import error
from shipyard.sandbox.github_state import Rejected, State

API_VERSIONS = ("2022-11-28",)
SANDBOX = "/_sandbox"


def create_app(state: State, token: str) -> Flask:
    """The stand-in's app: token check, API version check, routes."""
    app = Flask("github-sandbox", static_folder=None)

    @app.before_request
    def guard() -> Any:
        given = request.headers.get("Authorization", "")
        scheme, _, presented = given.partition(" ")
        accepted = scheme.lower() in ("bearer", "token")
        if not (accepted and hmac.compare_digest(presented.encode(), token.encode())):
            return error(401, "Bad credentials")
        version = request.headers.get("X-GitHub-Api-Version")
        if version is not None and version not in API_VERSIONS:
            return error(400, f"Unsupported 'X-GitHub-Api-Version' header: {version}")
        return None

    @app.errorhandler(HTTPException)
    def http_error(problem: HTTPException) -> Any:
        return error(problem.code or 500, problem.name)

    github_routes.register(app, state)
    _register_sandbox(app, state)
    return app


def _register_sandbox(app: Flask, state: State) -> None:
    """Routes outside the spec, for setting the stand-in up and for tests."""

    @app.get(f"{SANDBOX}/secrets/<owner>/<repo>/<name>")
    def repo_secret_value(owner: str, repo: str, name: str) -> Any:
        value = state.decrypted(owner, repo, None, name.upper())
        return jsonify({"name": name.upper(), "value": value})

    @app.get(f"{SANDBOX}/secrets/<owner>/<repo>/environments/<environment>/<name>")
    def environment_secret_value(
        owner: str, repo: str, environment: str, name: str
    ) -> Any:
        value = state.decrypted(owner, repo, environment, name.upper())
        return jsonify({"name": name.upper(), "value": value})

    @app.post(f"{SANDBOX}/repos")
    def add_repo() -> Any:
        body = request.get_json(silent=True) or {}
        owner, repo = body.get("owner"), body.get("repo")
        environments = body.get("environments", [])
        if not (isinstance(owner, str) and isinstance(repo, str) and owner and repo):
            raise Rejected(422, "send owner and repo as strings")
        if not all(isinstance(name, str) and name for name in environments):
            raise Rejected(422, "environments must be a list of names")
        record = state.add_repo(owner, repo, environments)
        return jsonify(
            {
                "repo": f"{record['owner']}/{record['name']}",
                "environments": sorted(record["environments"]),
            }
        )

    @app.post(f"{SANDBOX}/keys/<owner>/<repo>/rotate")
    def rotate_key(owner: str, repo: str) -> Any:
        environment = request.args.get("environment") or None
        return jsonify({"key_id": state.rotate_key(owner, repo, environment)})


def parse_repo(text: str) -> tuple[str, str, list[str]]:
    """OWNER/REPO[:ENV,ENV...] as (owner, repo, environments)."""
    slug, _, environments = text.partition(":")
    owner, _, repo = slug.partition("/")
    if not owner or not repo or "/" in repo:
        raise argparse.ArgumentTypeError(f"{text!r} is not OWNER/REPO[:ENV,...]")
    return owner, repo, [name for name in environments.split(",") if name]


def main(argv: list[str] | None = None) -> int:
    """Start the stand-in and serve until stopped."""
    args = _parser().parse_args(argv)
    token = Path(args.token_file).read_text(encoding="utf-8").strip()
    if not token:
        print(
            f"github stand-in: token file {args.token_file} is empty", file=sys.stderr
        )
        return 2
    state = State(Path(args.state_dir))
    for owner, repo, environments in args.repo:
        state.add_repo(owner, repo, environments)

    server = make_server(
        "127.0.0.1", args.port, create_app(state, token), threaded=True
    )
    print(f"github stand-in listening on http://127.0.0.1:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m shipyard.sandbox.github")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--state-dir", required=True, help="folder for the state file")
    parser.add_argument("--token-file", required=True, help="file holding the token")
    parser.add_argument(
        "--repo",
        type=parse_repo,
        action="append",
        default=[],
        metavar="OWNER/REPO[:ENV,...]",
        help="create this repository (and environments) unless it exists",
    )
    return parser


if __name__ == "__main__":
    sys.exit(main())
