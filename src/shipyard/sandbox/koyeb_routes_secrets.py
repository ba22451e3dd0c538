"""Koyeb stand-in routes for secrets: values go in, and only `reveal` gives them back."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from shipyard.sandbox.koyeb_http import body, listed, missing, page, standin
from shipyard.sandbox.koyeb_records import apply_secret, new_secret
from shipyard.sandbox.koyeb_state import Record, secret_by_name
from shipyard.sandbox.koyeb_validate import check_secret, field, raise_if
from shipyard.sandbox.koyeb_views import revealed, secret

api = Blueprint("koyeb_secrets", __name__)

SECRET_TYPES = ("SIMPLE", "REGISTRY", "MANAGED")


@api.get("/v1/secrets")
def list_secrets() -> Any:
    types = listed(request.args.getlist("types"), SECRET_TYPES, "types")
    wanted = request.args.get("name") or ""
    with standin().store.read() as data:
        found = [
            s
            for s in data["secrets"].values()
            if wanted in s["name"] and (not types or s["type"] in types)
        ]
        found.sort(key=lambda s: s["_seq"], reverse=True)
        return page("secrets", found, secret, has_next=False)


@api.post("/v1/secrets")
def create_secret() -> Any:
    payload = body()
    with standin().store.edit() as data:
        problems = check_secret(payload, creating=True)
        if not problems and secret_by_name(data, payload["name"]):
            problems = [field("name", f"a secret named {payload['name']!r} exists")]
        raise_if(problems)
        return {"secret": secret(new_secret(data, payload))}


def _secret(data: Record, secret_id: str) -> Record:
    found = data["secrets"].get(secret_id)
    if found is None:
        raise missing("secret", secret_id)
    return found


@api.get("/v1/secrets/<secret_id>")
def get_secret(secret_id: str) -> Any:
    with standin().store.read() as data:
        return {"secret": secret(_secret(data, secret_id))}


@api.route("/v1/secrets/<secret_id>", methods=["PUT", "PATCH"])
def update_secret(secret_id: str) -> Any:
    payload = body()
    with standin().store.edit() as data:
        stored = _secret(data, secret_id)
        problems = check_secret({"type": stored["type"], **payload}, creating=False)
        if payload.get("type") not in (None, stored["type"]):
            problems.append(field("type", "the type of a secret cannot change"))
        other = secret_by_name(data, payload.get("name") or stored["name"])
        if other is not None and other is not stored:
            problems.append(field("name", f"a secret named {other['name']!r} exists"))
        raise_if(problems)
        apply_secret(stored, payload)
        return {"secret": secret(stored)}


@api.delete("/v1/secrets/<secret_id>")
def delete_secret(secret_id: str) -> Any:
    with standin().store.edit() as data:
        _secret(data, secret_id)
        del data["secrets"][secret_id]
    return {}


@api.post("/v1/secrets/<secret_id>/reveal")
def reveal_secret(secret_id: str) -> Any:
    body()
    with standin().store.read() as data:
        return {"value": revealed(_secret(data, secret_id))}
