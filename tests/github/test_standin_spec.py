"""The GitHub stand-in answers every operation as GitHub's Actions secrets spec says."""

from __future__ import annotations

import base64

from nacl.public import PublicKey, SealedBox

from tests.github.conftest import ENVIRONMENTS, OWNER, REPO, SpecSession
from tests.github.openapi_check import SPEC, spec
from tests.spec_check import assert_routes_in_spec, flask_routes

BASE = f"/repos/{OWNER}/{REPO}"


def _sealed(key: dict, value: str) -> dict:
    box = SealedBox(PublicKey(base64.b64decode(key["key"]))).encrypt(value.encode())
    return {"encrypted_value": base64.b64encode(box).decode(), "key_id": key["key_id"]}


def _secret_script(session: SpecSession, base: str) -> None:
    """Every secret operation under `base`, with its usual answers and refusals."""
    key = session.call("GET", f"{base}/secrets/public-key")
    session.call(
        "PUT", f"{base}/secrets/DB_URL", json_body=_sealed(key, "one"), expect=201
    )
    session.call(
        "PUT", f"{base}/secrets/db_url", json_body=_sealed(key, "two"), expect=204
    )
    for name in ("API_TOKEN", "CACHE_URL"):
        session.call(
            "PUT", f"{base}/secrets/{name}", json_body=_sealed(key, name), expect=201
        )
    shown = session.call("GET", f"{base}/secrets/DB_URL")
    assert shown["name"] == "DB_URL" and "value" not in shown

    first = session.call("GET", f"{base}/secrets", query={"per_page": "2"})
    assert first["total_count"] == 3 and len(first["secrets"]) == 2
    assert 'rel="next"' in session.last_headers["Link"]
    last = session.call("GET", f"{base}/secrets", query={"per_page": "2", "page": "2"})
    assert [item["name"] for item in last["secrets"]] == ["DB_URL"]

    wrong_key = {**_sealed(key, "three"), "key_id": "1234"}
    session.call("PUT", f"{base}/secrets/DB_URL", json_body=wrong_key, expect=422)
    garbled = {**_sealed(key, "three"), "encrypted_value": "c2VjcmV0"}
    session.call("PUT", f"{base}/secrets/DB_URL", json_body=garbled, expect=422)
    session.call(
        "PUT", f"{base}/secrets/GITHUB_X", json_body=_sealed(key, "x"), expect=422
    )
    session.call("DELETE", f"{base}/secrets/CACHE_URL", expect=204)
    session.call("GET", f"{base}/secrets/CACHE_URL", expect=404)
    session.call("DELETE", f"{base}/secrets/CACHE_URL", expect=404)


def test_every_answer_of_a_scripted_session_fits_the_spec(
    session: SpecSession,
) -> None:
    _secret_script(session, f"{BASE}/actions")
    _secret_script(session, f"{BASE}/environments/{ENVIRONMENTS[0]}")

    variables = f"{BASE}/actions/variables"
    session.call(
        "POST", variables, json_body={"name": "REGION", "value": "fra"}, expect=201
    )
    session.call(
        "POST", variables, json_body={"name": "REGION", "value": "fra"}, expect=409
    )
    session.call("PATCH", f"{variables}/REGION", json_body={"value": "par"}, expect=204)
    assert session.call("GET", f"{variables}/region")["value"] == "par"
    listed = session.call("GET", variables)
    assert [item["name"] for item in listed["variables"]] == ["REGION"]
    session.call("DELETE", f"{variables}/REGION", expect=204)
    session.call("PATCH", f"{variables}/REGION", json_body={"value": "x"}, expect=404)

    session.call("GET", f"{BASE}/actions/secrets", token="wrong-token", expect=401)
    session.call("GET", "/repos/octo-org/no-such-repo/actions/secrets", expect=404)
    session.call("GET", f"{BASE}/environments/nowhere/secrets/public-key", expect=404)

    every_operation = {
        (method, template)
        for template, operations in spec()["paths"].items()
        for method in operations
        if method != "parameters"
    }
    assert session.covered == every_operation


def test_standin_serves_only_operations_of_the_spec(session: SpecSession) -> None:
    routes = flask_routes(session.client.application, "/repos/")

    assert len(routes) == 15
    assert_routes_in_spec(SPEC, routes)
