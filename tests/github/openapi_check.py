"""Checks requests and answers against GitHub's Actions secrets spec (OpenAPI 3.0.3).

openapi-core validates every request and every answer whose status the spec
declares; objects are closed first, so a property the spec does not name
fails the check. Error statuses the reduced spec leaves out (401, 404, 409,
422) must carry GitHub's usual error body, which is checked here instead.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from openapi_core import OpenAPI
from openapi_core.exceptions import OpenAPIError
from openapi_core.testing import MockRequest, MockResponse

SPEC = (
    Path(__file__).resolve().parents[2].parent
    / "shared/specs/github-actions-secrets-openapi.json"
)
SERVER = "https://api.github.com"

# GitHub's error body ("basic-error" in its full description).
ERROR_BODY = {
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "documentation_url": {"type": "string"},
        "status": {"type": "string"},
        "url": {"type": "string"},
    },
    "additionalProperties": False,
}


class SpecMismatch(AssertionError):
    """A request or an answer the spec does not describe."""


@cache
def spec() -> dict[str, Any]:
    """The spec as JSON data."""
    return json.loads(SPEC.read_text(encoding="utf-8"))


@cache
def _openapi() -> OpenAPI:
    closed = copy.deepcopy(spec())
    _close(closed)
    return OpenAPI.from_dict(closed)


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def operation_of(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """(path template, operation) of the spec serving `method path`."""
    templates = sorted(spec()["paths"], key=lambda t: (t.count("{"), -len(t)))
    for template in templates:
        pattern = re.sub(r"\\\{[^/{}]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            operation = spec()["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    raise SpecMismatch(f"the spec has no operation {method.upper()} {path}")


def check_exchange(
    method: str,
    path: str,
    query: dict[str, str],
    request_body: bytes | None,
    status: int,
    headers: dict[str, str],
    body: bytes,
) -> str:
    """Raise SpecMismatch unless request and answer fit the spec; the template."""
    template, operation = operation_of(method, path)
    request = MockRequest(SERVER, method, path, args=query, data=request_body or None)
    try:
        _openapi().validate_request(request)
    except OpenAPIError as problem:
        raise SpecMismatch(f"{method} {path}: request: {_why(problem)}") from None

    if str(status) not in operation["responses"]:
        _check_error_body(method, path, status, body)
        return template
    content_type = headers.get("content-type", "application/json").split(";")[0]
    response = MockResponse(
        body, status_code=status, headers=headers, content_type=content_type
    )
    try:
        _openapi().validate_response(request, response)
    except OpenAPIError as problem:
        raise SpecMismatch(
            f"{method} {path} answered {status}: {_why(problem)}"
        ) from None
    return template


def _check_error_body(method: str, path: str, status: int, body: bytes) -> None:
    if status < 400:
        raise SpecMismatch(f"{method} {path} answered {status}, not in the spec")
    try:
        jsonschema.Draft4Validator(ERROR_BODY).validate(json.loads(body))
    except (ValueError, jsonschema.ValidationError) as problem:
        raise SpecMismatch(
            f"{method} {path} answered {status} without GitHub's error body: "
            f"{_why(problem)}"
        ) from None


def _why(problem: BaseException) -> str:
    causes = [str(problem)]
    inner = getattr(problem, "schema_errors", None) or []
    causes += [getattr(error, "message", str(error)) for error in inner]
    if problem.__cause__ is not None:
        causes.append(_why(problem.__cause__))
    return "; ".join(cause for cause in causes if cause)
