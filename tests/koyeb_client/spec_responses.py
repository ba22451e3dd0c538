"""Koyeb API bodies shaped by the official spec, and the checks that keep them so.

Every body a test server sends, and every body the client sends it, is
validated against the operation's schema in shared/specs/koyeb-openapi.json.
Objects are checked strictly (no property the spec does not name), so a
misspelt field fails a test instead of passing silently.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared" / "specs" / "koyeb-openapi.json"
DIGEST = "sha256:" + "ab" * 32
IMAGE = f"127.0.0.1:5000/backend@{DIGEST}"
WHEN = "2025-01-01T12:00:{:02d}Z"


@cache
def spec() -> dict[str, Any]:
    """The Koyeb API definition (Swagger 2.0)."""
    return json.loads(SPEC_PATH.read_text())


@cache
def _strict_definitions() -> dict[str, Any]:
    definitions = copy.deepcopy(spec()["definitions"])

    def tighten(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                tighten(value)
        elif isinstance(node, list):
            for value in node:
                tighten(value)

    tighten(definitions)
    return definitions


def validate(schema: dict[str, Any], body: Any) -> None:
    """Raise jsonschema.ValidationError unless `body` fits `schema` strictly."""
    full = {**schema, "definitions": _strict_definitions()}
    jsonschema.Draft4Validator(full).validate(body)


def validate_definition_body(name: str, body: Any) -> None:
    """Check `body` against the spec's definition `name` (e.g. "App")."""
    validate({"$ref": f"#/definitions/{name}"}, body)


@cache
def _templates() -> list[tuple[re.Pattern[str], str]]:
    patterns = []
    for template in spec()["paths"]:
        regex = re.sub(r"\{[^/]+\}", "[^/]+", template)
        patterns.append((re.compile(regex), template))
    return patterns


def operation(method: str, path: str) -> dict[str, Any]:
    """The spec's operation for a concrete request path such as /v1/apps/abc."""
    for regex, template in _templates():
        if regex.fullmatch(path):
            found = spec()["paths"][template].get(method.lower())
            if found is not None:
                return found
    raise LookupError(f"the Koyeb spec has no operation {method} {path}")


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Check a response body against the operation's schema for `status`."""
    responses = operation(method, path)["responses"]
    answer = responses.get(str(status)) or responses["default"]
    validate(answer["schema"], body)


def validate_request(method: str, path: str, body: Any) -> None:
    """Check a request body against the operation's body parameter."""
    params = operation(method, path).get("parameters", [])
    schemas = [p["schema"] for p in params if p.get("in") == "body"]
    if not schemas:
        raise LookupError(f"{method} {path} takes no body in the spec")
    validate(schemas[0], body)


def domain(name: str, *, type_: str = "AUTOASSIGNED", status: str = "ACTIVE") -> dict:
    return {"id": f"dom-{name}", "name": name, "type": type_, "status": status}


def app(app_id: str, name: str, domains: list[dict] | None = None) -> dict:
    """An App (also fits AppListItem)."""
    return {
        "id": app_id,
        "name": name,
        "organization_id": "org-1",
        "status": "HEALTHY",
        "domains": domains if domains is not None else [domain(f"{name}.koyeb.app")],
        "created_at": WHEN.format(0),
    }


def service(
    service_id: str, name: str, app_id: str, latest: str = "", active: str = ""
) -> dict:
    """A Service (also fits ServiceListItem)."""
    body = {
        "id": service_id,
        "name": name,
        "app_id": app_id,
        "organization_id": "org-1",
        "status": "HEALTHY",
        "created_at": WHEN.format(0),
    }
    if latest:
        body["latest_deployment_id"] = latest
    if active:
        body["active_deployment_id"] = active
    return body


def definition(port: int = 8000, image: str = IMAGE) -> dict:
    """A DeploymentDefinition of a web service on `port`."""
    return {
        "type": "WEB",
        "regions": ["fra"],
        "docker": {"image": image},
        "env": [{"key": "DJANGO_DEBUG", "value": "0"}],
        "ports": [{"port": port, "protocol": "http"}],
        "routes": [{"port": port, "path": "/"}],
        "health_checks": [{"http": {"port": port, "path": "/health/"}}],
    }


def deployment(
    deployment_id: str,
    service_id: str,
    status: str,
    *,
    second: int = 0,
    spec_definition: dict | None = None,
    messages: list[str] | None = None,
) -> dict:
    """A Deployment (also fits DeploymentListItem)."""
    return {
        "id": deployment_id,
        "service_id": service_id,
        "app_id": "app-1",
        "organization_id": "org-1",
        "status": status,
        "created_at": WHEN.format(second),
        "definition": spec_definition or definition(),
        "messages": messages or [],
    }


def event(deployment_id: str, second: int, message: str) -> dict:
    """A DeploymentEvent."""
    return {
        "id": f"ev-{deployment_id}-{second}",
        "deployment_id": deployment_id,
        "organization_id": "org-1",
        "when": WHEN.format(second),
        "type": "status",
        "message": message,
    }


def page(key: str, items: list[dict], limit: int, offset: int) -> dict:
    """One page of a listing reply with has_next, as ListApps and others send."""
    chunk = items[offset : offset + limit]
    return {
        key: chunk,
        "limit": limit,
        "offset": offset,
        "count": len(items),
        "has_next": offset + limit < len(items),
    }


def error(status: int, message: str, code: str = "") -> dict:
    """An Error body."""
    return {"status": status, "code": code or f"http_{status}", "message": message}


def error_with_fields(message: str, fields: dict[str, str]) -> dict:
    """An ErrorWithFields body (400)."""
    return {
        "status": 400,
        "code": "invalid_argument",
        "message": message,
        "fields": [{"field": f, "description": d} for f, d in fields.items()],
    }


def rpc_status(code: int, message: str) -> dict:
    """A google.rpc.Status body: the spec's answer for statuses it does not list.

    Koyeb documents no 429, so a rate-limit answer has this shape (gRPC code
    8 is RESOURCE_EXHAUSTED).
    """
    return {"code": code, "message": message}
