"""The GitHub stand-in's API routes: Actions secrets, environment secrets, variables.

Each route is an operation of specs/github-actions-secrets-openapi.json and
answers as that spec describes; errors use GitHub's usual body (message,
documentation_url, status). Secret and variable names are kept upper-case,
as GitHub keeps them.
"""

from __future__ import annotations

import math
import re
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, jsonify, request

from shipyard.sandbox.github_state import Rejected, State, public_of

SECRETS = "/repos/<owner>/<repo>/actions/secrets"
ENV_SECRETS = "/repos/<owner>/<repo>/environments/<environment_name>/secrets"
VARIABLES = "/repos/<owner>/<repo>/actions/variables"
DOCS = "https://docs.github.com/rest/actions"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BASE64 = re.compile(
    r"(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=|[A-Za-z0-9+/]{4})"
)


def error(status: int, message: str) -> Response:
    """GitHub's error answer."""
    reply = jsonify(
        {"message": message, "documentation_url": DOCS, "status": str(status)}
    )
    reply.status_code = status
    return reply


def register(app: Flask, state: State) -> None:
    """Add the spec's routes to `app`, serving `state`."""

    @app.errorhandler(Rejected)
    def rejected(problem: Rejected) -> Response:
        return error(problem.status, problem.message)

    for prefix, env_route in ((SECRETS, False), (ENV_SECRETS, True)):
        _register_secrets(app, state, prefix, env_route)
    _register_variables(app, state)


def _register_secrets(app: Flask, state: State, prefix: str, env_route: bool) -> None:
    """The five secret operations under `prefix` (repository or environment)."""
    kind = "environment" if env_route else "repo"

    def scope_of(args: dict[str, str]) -> tuple[str, str, str | None]:
        return args["owner"], args["repo"], args.get("environment_name")

    @app.get(prefix, endpoint=f"list_{kind}_secrets")
    def list_secrets(**args: str) -> Response:
        scope = state.scope(*scope_of(args))
        names = sorted(scope["secrets"])
        shown, links = _page(names, default=30, maximum=100)
        reply = jsonify(
            {
                "total_count": len(names),
                "secrets": [_secret(name, scope["secrets"][name]) for name in shown],
            }
        )
        if links:
            reply.headers["Link"] = links
        return reply

    @app.get(f"{prefix}/public-key", endpoint=f"get_{kind}_public_key")
    def public_key(**args: str) -> Response:
        scope = state.scope(*scope_of(args))
        current = scope["keys"][scope["key_id"]]
        return jsonify({"key_id": scope["key_id"], "key": public_of(current)})

    @app.get(f"{prefix}/<secret_name>", endpoint=f"get_{kind}_secret")
    def get_secret(secret_name: str, **args: str) -> Response:
        scope = state.scope(*scope_of(args))
        name = secret_name.upper()
        if name not in scope["secrets"]:
            raise Rejected(404, "Not Found")
        return jsonify(_secret(name, scope["secrets"][name]))

    @app.put(f"{prefix}/<secret_name>", endpoint=f"put_{kind}_secret")
    def put_secret(secret_name: str, **args: str) -> Any:
        name = _checked_name(secret_name, "secret")
        body = _sealed_body()
        if state.put_secret(*scope_of(args), name, body):
            return jsonify({}), 201
        return "", 204

    @app.delete(f"{prefix}/<secret_name>", endpoint=f"delete_{kind}_secret")
    def delete_secret(secret_name: str, **args: str) -> Any:
        state.delete_secret(*scope_of(args), secret_name.upper())
        return "", 204


def _register_variables(app: Flask, state: State) -> None:
    """The repository variable operations."""

    @app.get(VARIABLES)
    def list_variables(owner: str, repo: str) -> Response:
        variables = state.repo(owner, repo)["variables"]
        names = sorted(variables)
        shown, links = _page(names, default=10, maximum=30)
        reply = jsonify(
            {
                "total_count": len(names),
                "variables": [_variable(name, variables[name]) for name in shown],
            }
        )
        if links:
            reply.headers["Link"] = links
        return reply

    @app.post(VARIABLES)
    def create_variable(owner: str, repo: str) -> Any:
        body = _object_body()
        name, value = body.get("name"), body.get("value")
        if not isinstance(name, str) or not isinstance(value, str):
            raise Rejected(422, "Invalid request: name and value must be strings")
        state.create_variable(owner, repo, _checked_name(name, "variable"), value)
        return jsonify({}), 201

    @app.get(f"{VARIABLES}/<name>")
    def get_variable(owner: str, repo: str, name: str) -> Response:
        variables = state.repo(owner, repo)["variables"]
        if name.upper() not in variables:
            raise Rejected(404, "Not Found")
        return jsonify(_variable(name.upper(), variables[name.upper()]))

    @app.patch(f"{VARIABLES}/<name>")
    def update_variable(owner: str, repo: str, name: str) -> Any:
        body = _object_body()
        new_name, value = body.get("name"), body.get("value")
        if new_name is not None and not isinstance(new_name, str):
            raise Rejected(422, "Invalid request: name must be a string")
        if value is not None and not isinstance(value, str):
            raise Rejected(422, "Invalid request: value must be a string")
        renamed = _checked_name(new_name, "variable") if new_name else None
        state.update_variable(owner, repo, name.upper(), renamed, value)
        return "", 204

    @app.delete(f"{VARIABLES}/<name>")
    def delete_variable(owner: str, repo: str, name: str) -> Any:
        state.delete_variable(owner, repo, name.upper())
        return "", 204


def _secret(name: str, stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "created_at": stored["created_at"],
        "updated_at": stored["updated_at"],
    }


def _variable(name: str, stored: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "value": stored["value"],
        "created_at": stored["created_at"],
        "updated_at": stored["updated_at"],
    }


def _checked_name(name: str, kind: str) -> str:
    """`name` upper-cased, or a 422 when GitHub would not accept it."""
    if not _NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
        raise Rejected(
            422,
            f"Invalid {kind} name: use only letters, digits and underscores, "
            "not starting with a digit or GITHUB_",
        )
    return name.upper()


def _object_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Rejected(400, "Problems parsing JSON")
    return body


def _sealed_body() -> dict[str, Any]:
    """The request's body; a 422 unless it holds a base64 encrypted_value and key_id."""
    body = _object_body()
    sealed, key_id = body.get("encrypted_value"), body.get("key_id")
    if not isinstance(key_id, str) or not key_id:
        raise Rejected(422, "Invalid request: key_id wasn't supplied")
    if not isinstance(sealed, str) or not _BASE64.fullmatch(sealed):
        raise Rejected(422, "Invalid request: encrypted_value is not base64")
    return body


def _page(names: list[str], *, default: int, maximum: int) -> tuple[list[str], str]:
    """One page of `names` from the query's per_page and page, and its Link header."""
    per_page = min(_int_arg("per_page", default), maximum)
    page = _int_arg("page", 1)
    last = max(1, math.ceil(len(names) / per_page))
    shown = names[(page - 1) * per_page : page * per_page]
    links = []
    for rel, number in (("prev", page - 1), ("next", page + 1)):
        if 1 <= number <= last:
            links.append(_link(rel, number, per_page))
    if page < last:
        links.append(_link("last", last, per_page))
    if page > 1:
        links.append(_link("first", 1, per_page))
    return shown, ", ".join(links)


def _link(rel: str, page: int, per_page: int) -> str:
    query = urlencode({**request.args.to_dict(), "per_page": per_page, "page": page})
    return f'<{request.base_url}?{query}>; rel="{rel}"'


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise Rejected(422, f"Invalid {name}: must be a whole number") from None
    if value < 1:
        raise Rejected(422, f"Invalid {name}: must be 1 or more")
    return value
