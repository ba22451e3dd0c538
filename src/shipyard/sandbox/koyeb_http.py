"""Request plumbing shared by the Koyeb stand-in's routes: bodies, paging, errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flask import current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from shipyard.sandbox.koyeb_validate import FieldErrors, as_int, field

if TYPE_CHECKING:
    from flask import Response

    from shipyard.sandbox.koyeb_server import StandIn

DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class NotFound(HTTPException):
    """An unknown id (HTTP 404 with the spec's Error body)."""

    code = 404


def standin() -> StandIn:
    """The stand-in serving this request."""
    return current_app.extensions["koyeb"]


def body() -> dict[str, Any]:
    """The JSON object of the request, or a 400 naming the body."""
    payload = request.get_json(silent=True)
    if payload is None and not request.get_data():
        return {}
    if not isinstance(payload, dict):
        raise FieldErrors([field("body", "must be a JSON object")])
    return payload


def missing(kind: str, ident: str) -> NotFound:
    """The 404 for an unknown id of `kind`."""
    return NotFound(description=f"{kind} not found: {ident}")


def error_body(status: int, code: str, message: str) -> Response:
    """The spec's Error body with its status."""
    reply = jsonify({"status": status, "code": code, "message": message})
    reply.status_code = status
    return reply


def listed(values: list[str], allowed: tuple[str, ...], name: str) -> set[str]:
    """A repeated enum query parameter, checked against its allowed values."""
    wrong = [value for value in values if value not in allowed]
    if wrong:
        raise FieldErrors([field(name, f"unknown value(s) {wrong}")])
    return set(values)


def paging() -> tuple[int, int]:
    """The request's (limit, offset): strings in the query, checked here."""
    limit = _query_int("limit", DEFAULT_LIMIT)
    offset = _query_int("offset", 0)
    if limit < 1 or limit > MAX_LIMIT:
        raise FieldErrors([field("limit", f"must be between 1 and {MAX_LIMIT}")])
    if offset < 0:
        raise FieldErrors([field("offset", "must be 0 or more")])
    return limit, offset


def _query_int(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    value = as_int(raw)
    if value is None:
        raise FieldErrors([field(name, "must be a whole number")])
    return value


def page(
    key: str, items: list[Any], render: Callable[[Any], Any], has_next: bool = True
) -> dict[str, Any]:
    """One page of `items` as a List…Reply: items, limit, offset, count, has_next."""
    limit, offset = paging()
    chosen = items[offset : offset + limit]
    reply: dict[str, Any] = {
        key: [render(item) for item in chosen],
        "limit": limit,
        "offset": offset,
        "count": len(items),
    }
    if has_next:
        reply["has_next"] = offset + len(chosen) < len(items)
    return reply
