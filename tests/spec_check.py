"""Checks that HTTP answers and routes match an official Swagger 2.0 spec.

Stand-ins are tested with these so they cannot drift from the real API:
each answer must fit the schema the spec gives for its operation and
status, and each route served must be an operation of the spec. Objects are
checked strictly: a property the spec does not name fails the check.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema


class SpecMismatch(AssertionError):
    """An answer or a route that the spec does not describe."""


@cache
def _load(spec_path: str) -> dict[str, Any]:
    return json.loads(Path(spec_path).read_text(encoding="utf-8"))


@cache
def _definitions(spec_path: str, strict: bool) -> dict[str, Any]:
    """The spec's definitions, closed to unnamed properties when `strict`."""
    definitions = copy.deepcopy(_load(spec_path).get("definitions", {}))
    if strict:
        _close(definitions)
    return definitions


def _close(node: Any) -> None:
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _close(value)
    elif isinstance(node, list):
        for value in node:
            _close(value)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", template)
    pattern = "".join(
        "[^/]+" if part.startswith("{") else re.escape(part) for part in parts
    )
    return re.compile(pattern)


def find_operation(spec_path: Path, method: str, path: str) -> tuple[str, dict]:
    """The (path template, operation) of the spec serving `method path`.

    Literal templates win over templated ones, as a router would choose.
    """
    spec = _load(str(spec_path))
    bare = path.split("?", 1)[0]
    base = spec.get("basePath", "").rstrip("/")
    templates = sorted(spec["paths"], key=lambda t: (t.count("{"), -len(t)))
    for template in templates:
        if _template_regex(base + template).fullmatch(bare):
            operation = spec["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    raise SpecMismatch(f"the spec has no operation {method.upper()} {bare}")


def validate_swagger_response(
    spec_path: Path,
    method: str,
    path: str,
    status: int,
    body: Any,
    *,
    strict: bool = True,
) -> None:
    """Raise SpecMismatch unless `body` fits the spec's response for `status`.

    The schema is the operation's response for that status, else its
    `default`; `#/definitions/...` references are resolved from the spec.
    """
    template, operation = find_operation(spec_path, method, path)
    responses = operation.get("responses", {})
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise SpecMismatch(
            f"{method.upper()} {template} has no response {status} and no default"
        )
    schema = response.get("schema")
    if schema is None:
        return
    full = {**schema, "definitions": _definitions(str(spec_path), strict)}
    try:
        jsonschema.Draft4Validator(full).validate(body)
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(body)"
        raise SpecMismatch(
            f"{method.upper()} {path} answered {status} with a body that does not "
            f"fit the spec at {where}: {exc.message}"
        ) from None


def assert_routes_in_spec(spec_path: Path, routes: Iterable[tuple[str, str]]) -> None:
    """Raise SpecMismatch unless every (method, path template) is in the spec.

    Templates may name their parameters differently from the spec
    (`{app_id}` against `{id}`); only their positions must agree.
    """
    spec = _load(str(spec_path))
    shapes = {
        (re.sub(r"\{[^/{}]+\}", "{}", template), method.lower())
        for template, operations in spec["paths"].items()
        for method in operations
    }
    missing = [
        f"{method.upper()} {template}"
        for method, template in routes
        if (re.sub(r"\{[^/{}]+\}", "{}", template), method.lower()) not in shapes
    ]
    if missing:
        raise SpecMismatch(f"routes not in the spec: {', '.join(sorted(missing))}")


def flask_routes(app: Any, prefix: str) -> list[tuple[str, str]]:
    """(method, path template) of every route of a Flask app under `prefix`."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefix):
            continue
        template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found.append((method, template))
    return found
