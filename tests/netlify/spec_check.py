"""Checks answers of the Netlify stand-in against Netlify's Swagger 2.0 spec (YAML).

The operation is found by path template (a `{path}` parameter may span
several segments, as file uploads do), the schema is the response for the
status or the `default` one, and `#/definitions/...` references resolve in
the spec. Objects are checked strictly: a property the spec does not name
fails, apart from the few listed in EXTRA_FIELDS that Netlify really sends.
"""

from __future__ import annotations

import copy
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

SPEC = Path(__file__).resolve().parents[2].parent / "shared/specs/netlify-openapi.yml"

# Site fields Netlify sends beyond the spec; netlify-cli reads them.
EXTRA_FIELDS = {"site": {"use_envelope", "feature_flags", "default_domain"}}


class SpecMismatch(AssertionError):
    """An answer the spec does not describe."""


@cache
def spec() -> dict[str, Any]:
    """The spec, parsed once."""
    return yaml.safe_load(SPEC.read_text(encoding="utf-8"))


@cache
def _strict_definitions() -> dict[str, Any]:
    definitions = copy.deepcopy(spec()["definitions"])
    for name, node in definitions.items():
        _close(node, EXTRA_FIELDS.get(name, set()))
    return definitions


def _close(node: Any, extra: set[str]) -> None:
    """Forbid unnamed properties in every object schema under `node`."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            for name in extra:
                node["properties"].setdefault(name, {})
            node["additionalProperties"] = False
        for value in node.values():
            _close(value, set())
    elif isinstance(node, list):
        for value in node:
            _close(value, set())


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^/{}]+\})", template)
    regex = "".join(
        (".+" if part == "{path}" else "[^/]+")
        if part.startswith("{")
        else re.escape(part)
        for part in parts
    )
    return re.compile(regex)


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    """The (template, operation) serving `method path`; literal templates win."""
    paths = spec()["paths"]
    base = spec()["basePath"].rstrip("/")
    bare = path.split("?", 1)[0]
    candidates = [bare[len(base) :]] if bare.startswith(base + "/") else []
    candidates.append(bare)
    templates = sorted(paths, key=lambda t: (t.count("{"), -len(t)))
    for candidate in candidates:
        for template in templates:
            operation = paths[template].get(method.lower())
            if operation is not None and _pattern(template).fullmatch(candidate):
                return template, operation
    raise SpecMismatch(f"the spec has no operation {method.upper()} {bare}")


def response_schema(method: str, path: str, status: int) -> dict[str, Any] | None:
    """The schema of the spec's answer `status` (or default) to `method path`."""
    template, operation = find_operation(method, path)
    responses = operation.get("responses", {})
    response = responses.get(str(status)) or responses.get("default")
    if response is None:
        raise SpecMismatch(f"{method} {template} has no answer {status} nor a default")
    if "$ref" in response:
        response = spec()["responses"][response["$ref"].rsplit("/", 1)[-1]]
    return response.get("schema")


def validate(method: str, path: str, status: int, body: Any) -> None:
    """Raise SpecMismatch unless `body` fits the spec's answer for `status`."""
    schema = response_schema(method, path, status)
    if schema is None:
        if body not in (None, "", b""):
            raise SpecMismatch(f"{method} {path} answered {status} with a body")
        return
    full = {**schema, "definitions": _strict_definitions()}
    try:
        jsonschema.Draft4Validator(full).validate(body)
    except jsonschema.ValidationError as problem:
        where = "/".join(str(p) for p in problem.absolute_path) or "(body)"
        raise SpecMismatch(
            f"{method} {path} answered {status} with a body that does not fit the "
            f"spec at {where}: {problem.message}"
        ) from None
