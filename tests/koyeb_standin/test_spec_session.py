"""A scripted session against the Koyeb stand-in; every answer must fit the spec."""

from __future__ import annotations

import socket
import time

import pytest

from tests.spec_check import assert_routes_in_spec, flask_routes

from .conftest import SPEC, TOKEN, SpecCheckedClient

UNREACHABLE_IMAGE = "127.0.0.1:9/nothing@sha256:" + "0" * 64


def definition(image: str = UNREACHABLE_IMAGE, **changes: object) -> dict:
    """A web service definition on port 8000 with a /health/ check."""
    base = {
        "type": "WEB",
        "docker": {"image": image},
        "ports": [{"port": 8000, "protocol": "http"}],
        "routes": [{"port": 8000, "path": "/"}],
        "health_checks": [{"http": {"port": 8000, "path": "/health/"}}],
        "env": [{"key": "MESSAGE", "value": "hello"}],
        "regions": ["fra"],
        "instance_types": [{"type": "nano"}],
        "scalings": [{"min": 1, "max": 1}],
    }
    base.update(changes)
    return base


def test_every_served_route_is_an_operation_of_the_spec(
    local_api: SpecCheckedClient,
) -> None:
    routes = flask_routes(local_api.app, "/v1/")
    assert len(routes) == 22
    assert_routes_in_spec(SPEC, routes)


def test_requests_without_the_token_are_refused(local_api: SpecCheckedClient) -> None:
    body = local_api.call("GET", "/v1/apps", token=None, expect=401)
    assert body["code"] == "unauthenticated" and body["status"] == 401
    local_api.call("GET", "/v1/apps", token="wrong", expect=401)
    local_api.call("GET", "/v1/apps", expect=200)


def test_apps_page_filter_and_answer_404(local_api: SpecCheckedClient) -> None:
    created = [
        local_api.call("POST", "/v1/apps", json={"name": name})["app"]
        for name in ("alpha", "beta", "gamma")
    ]
    assert created[0]["domains"][0]["type"] == "AUTOASSIGNED"
    assert created[0]["domains"][0]["name"].startswith("127.0.0.1:")

    seen = []
    for offset in range(3):
        page = local_api.call("GET", "/v1/apps", query={"limit": 1, "offset": offset})
        assert (page["limit"], page["offset"], page["count"]) == (1, offset, 3)
        assert page["has_next"] is (offset < 2)
        seen += [app["name"] for app in page["apps"]]
    assert seen == ["gamma", "beta", "alpha"]

    named = local_api.call("GET", "/v1/apps", query={"name": "beta"})
    assert [app["name"] for app in named["apps"]] == ["beta"]
    got = local_api.call("GET", f"/v1/apps/{created[1]['id']}")["app"]
    assert got["name"] == "beta" and got["status"] == "HEALTHY"
    missing = local_api.call("GET", "/v1/apps/no-such-app", expect=404)
    assert missing["code"] == "not_found"


def test_invalid_names_and_duplicates_are_refused_with_fields(
    local_api: SpecCheckedClient,
) -> None:
    local_api.call("POST", "/v1/apps", json={"name": "shop"})
    for name in ("Shop", "shop_api", "-shop", "x" * 64, None):
        body = local_api.call("POST", "/v1/apps", json={"name": name}, expect=400)
        assert [f["field"] for f in body["fields"]] == ["name"]
    body = local_api.call("POST", "/v1/apps", json={"name": "shop"}, expect=400)
    assert "already exists" in body["fields"][0]["description"]
    local_api.call("GET", "/v1/apps", query={"limit": "ten"}, expect=400)


def test_invalid_definitions_name_each_bad_field(local_api: SpecCheckedClient) -> None:
    app_id = local_api.call("POST", "/v1/apps", json={"name": "shop"})["app"]["id"]
    bad = definition(
        health_checks=[{"http": {"port": 9000, "path": "/health/"}}],
        env=[
            {"key": "BOTH", "value": "x", "secret": "s"},
            {"key": "NEITHER"},
            {"key": "GHOST", "secret": "no-such-secret"},
        ],
    )
    body = local_api.call(
        "POST",
        "/v1/services",
        json={"app_id": app_id, "name": "web", "definition": bad},
        expect=400,
    )
    fields = {f["field"]: f["description"] for f in body["fields"]}
    assert (
        "not among the declared ports"
        in fields["definition.health_checks[0].http.port"]
    )
    assert "not both" in fields["definition.env[0]"]
    assert "value or secret" in fields["definition.env[1]"]
    assert "does not exist" in fields["definition.env[2].secret"]
    body = local_api.call(
        "POST",
        "/v1/services",
        json={"app_id": app_id, "name": "Web!", "definition": definition()},
        expect=400,
    )
    assert [f["field"] for f in body["fields"]] == ["name"]
    assert not local_api.call("GET", "/v1/services")["services"]


def test_secrets_hide_values_except_when_revealed(local_api: SpecCheckedClient) -> None:
    simple = local_api.call(
        "POST", "/v1/secrets", json={"name": "db-url", "type": "SIMPLE", "value": "v1"}
    )["secret"]
    assert "value" not in simple
    registry = {"username": "ci", "password": "hunter22", "url": "127.0.0.1:5000"}
    stored = local_api.call(
        "POST",
        "/v1/secrets",
        json={"name": "registry", "type": "REGISTRY", "private_registry": registry},
    )["secret"]
    assert stored["private_registry"] == {"username": "ci", "url": "127.0.0.1:5000"}

    first = local_api.call("GET", "/v1/secrets", query={"limit": 1})
    second = local_api.call("GET", "/v1/secrets", query={"limit": 1, "offset": 1})
    assert first["count"] == 2
    names = {s["name"] for s in first["secrets"] + second["secrets"]}
    assert names == {"db-url", "registry"}

    local_api.call("PATCH", f"/v1/secrets/{simple['id']}", json={"value": "v2"})
    got = local_api.call("GET", f"/v1/secrets/{simple['id']}")["secret"]
    assert "value" not in got
    shown = local_api.call("POST", f"/v1/secrets/{simple['id']}/reveal", json={})
    assert shown == {"value": "v2"}

    local_api.call(
        "POST", "/v1/secrets", json={"name": "db-url", "value": "x"}, expect=400
    )
    local_api.call("POST", "/v1/secrets", json={"name": "no value"}, expect=400)
    local_api.call("DELETE", f"/v1/secrets/{simple['id']}")
    local_api.call("GET", f"/v1/secrets/{simple['id']}", expect=404)


def test_services_deployments_and_events_fit_the_spec(
    local_api: SpecCheckedClient,
) -> None:
    app_id = local_api.call("POST", "/v1/apps", json={"name": "shop"})["app"]["id"]
    services = [
        local_api.call(
            "POST",
            "/v1/services",
            json={"app_id": app_id, "name": name, "definition": definition()},
        )["service"]
        for name in ("api", "worker")
    ]
    api = services[0]
    assert api["latest_deployment_id"] and not api["active_deployment_id"]
    failed = local_api.wait_status(api["latest_deployment_id"], {"ERROR"})
    assert failed["status"] == "ERROR" and failed["messages"]

    pages = [
        local_api.call(
            "GET", "/v1/services", query={"app_id": app_id, "limit": 1, "offset": n}
        )
        for n in (0, 1)
    ]
    assert [p["has_next"] for p in pages] == [True, False]
    assert [p["services"][0]["name"] for p in pages] == ["worker", "api"]
    named = local_api.call("GET", "/v1/services", query={"name": "api"})
    assert [s["id"] for s in named["services"]] == [api["id"]]

    updated = local_api.call(
        "PATCH",
        f"/v1/services/{api['id']}",
        json={"definition": definition(env=[{"key": "MESSAGE", "value": "two"}])},
    )["service"]
    second_id = updated["latest_deployment_id"]
    assert second_id != api["latest_deployment_id"]
    local_api.wait_status(second_id, {"ERROR"})
    local_api.call("GET", f"/v1/services/{api['id']}")

    listing = local_api.call(
        "GET", "/v1/deployments", query={"service_id": api["id"], "limit": 1}
    )
    assert listing["count"] == 2 and listing["has_next"] is True
    assert listing["deployments"][0]["id"] == second_id
    by_status = local_api.call(
        "GET", "/v1/deployments", query={"app_id": app_id, "statuses": "ERROR"}
    )
    assert by_status["count"] >= 2
    deployment = local_api.call("GET", f"/v1/deployments/{second_id}")["deployment"]
    assert deployment["parent_id"] == api["latest_deployment_id"]
    assert deployment["definition"]["env"] == [{"key": "MESSAGE", "value": "two"}]

    newest = local_api.call(
        "GET", "/v1/deployment_events", query={"deployment_id": second_id}
    )
    oldest = local_api.call(
        "GET",
        "/v1/deployment_events",
        query={"deployment_id": second_id, "order": "asc", "limit": 100},
    )
    assert newest["order"] == "desc" and oldest["order"] == "asc"
    assert oldest["events"][0]["message"] == "Deployment created"
    assert newest["events"][0]["type"] == "status_changed"
    assert any(e["type"] == "error" for e in oldest["events"])
    local_api.call(
        "GET", "/v1/deployment_events", query={"deployment_id": "nope"}, expect=404
    )

    body = local_api.call("POST", f"/v1/deployments/{second_id}/cancel", expect=400)
    assert "ERROR" in body["fields"][0]["description"]
    redeployed = local_api.call("POST", f"/v1/services/{api['id']}/redeploy", json={})
    assert redeployed["deployment"]["definition"]["env"][0]["value"] == "two"
    local_api.call("GET", "/v1/deployments/nope", expect=404)
    local_api.call(
        "PATCH", "/v1/services/nope", json={"definition": definition()}, expect=404
    )


def test_deleting_a_service_then_its_app_removes_them(
    local_api: SpecCheckedClient,
) -> None:
    app_id = local_api.call("POST", "/v1/apps", json={"name": "shop"})["app"]["id"]
    service = local_api.call(
        "POST",
        "/v1/services",
        json={"app_id": app_id, "name": "api", "definition": definition()},
    )["service"]
    local_api.call("DELETE", f"/v1/services/{service['id']}")
    _wait_gone(local_api, f"/v1/services/{service['id']}")
    local_api.call("DELETE", f"/v1/apps/{app_id}")
    _wait_gone(local_api, f"/v1/apps/{app_id}")
    assert local_api.call("GET", "/v1/apps")["count"] == 0


def _wait_gone(local_api: SpecCheckedClient, path: str) -> None:
    """Wait until `path` answers 404 (deletion finishes in the background)."""
    deadline = time.monotonic() + 30
    headers = {"Authorization": f"Bearer {TOKEN}"}
    while local_api.client.get(path, headers=headers).status_code != 404:
        assert time.monotonic() < deadline, f"{path} still exists"
        time.sleep(0.2)
    local_api.call("GET", path, expect=404)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_injected_faults_answer_as_the_spec_describes(
    local_api: SpecCheckedClient, status: int
) -> None:
    armed = local_api.client.post(
        "/_sandbox/faults", json={"status": status, "count": 2, "retry_after": 7}
    )
    assert armed.status_code == 200
    for _ in range(2):
        local_api.call("GET", "/v1/apps", expect=status)
    if status == 429:
        assert local_api.last_headers["Retry-After"] == "7"
        assert int(local_api.last_headers["X-RateLimit-Reset"]) > time.time()
    local_api.call("GET", "/v1/apps", expect=200)


def test_state_dump_never_shows_secret_values(local_api: SpecCheckedClient) -> None:
    local_api.call("POST", "/v1/secrets", json={"name": "key", "value": "s3cr3t-value"})
    dump = local_api.client.get("/_sandbox/state")
    assert dump.status_code == 200
    assert "s3cr3t-value" not in dump.get_data(as_text=True)


@pytest.mark.integration
def test_canceling_a_deployment_in_progress_ends_it_canceled(
    local_api: SpecCheckedClient,
) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    image = f"127.0.0.1:{silent.getsockname()[1]}/slow@sha256:" + "1" * 64
    app_id = local_api.call("POST", "/v1/apps", json={"name": "shop"})["app"]["id"]
    service = local_api.call(
        "POST",
        "/v1/services",
        json={"app_id": app_id, "name": "api", "definition": definition(image)},
    )["service"]
    deployment_id = service["latest_deployment_id"]
    local_api.wait_status(deployment_id, {"PROVISIONING"}, limit=10)

    local_api.call("POST", f"/v1/deployments/{deployment_id}/cancel")
    assert (
        local_api.wait_status(deployment_id, {"CANCELING"}, 5)["status"] == "CANCELING"
    )
    silent.close()
    assert (
        local_api.wait_status(deployment_id, {"CANCELED"}, 60)["status"] == "CANCELED"
    )


@pytest.mark.integration
def test_healthy_deployment_its_service_and_events_fit_the_spec(
    local_api: SpecCheckedClient, probe_image: str
) -> None:
    app_id = local_api.call("POST", "/v1/apps", json={"name": "shop"})["app"]["id"]
    service = local_api.call(
        "POST",
        "/v1/services",
        json={"app_id": app_id, "name": "api", "definition": definition(probe_image)},
    )["service"]
    first_id = service["latest_deployment_id"]
    first = local_api.wait_status(first_id, {"HEALTHY", "ERROR"})
    assert first["status"] == "HEALTHY", first["messages"]

    got = local_api.call("GET", f"/v1/services/{service['id']}")["service"]
    assert got["active_deployment_id"] == first_id
    assert got["latest_deployment_id"] == first_id
    listed = local_api.call("GET", "/v1/services", query={"app_id": app_id})
    assert [s["active_deployment_id"] for s in listed["services"]] == [first_id]
    healthy = local_api.call(
        "GET", "/v1/deployments", query={"app_id": app_id, "statuses": "HEALTHY"}
    )
    assert [d["id"] for d in healthy["deployments"]] == [first_id]
    assert healthy["deployments"][0]["definition"]["docker"]["image"] == probe_image

    events = local_api.call(
        "GET",
        "/v1/deployment_events",
        query={"deployment_id": first_id, "order": "asc", "limit": 100},
    )["events"]
    kinds = [e["type"] for e in events]
    for kind in ("image_pull", "port_assigned", "container_started", "health_check",
                 "traffic_switched"):
        assert kind in kinds, kinds
    assert kinds.index("health_check") < kinds.index("traffic_switched")
    assert "error" not in kinds

    updated = local_api.call(
        "PATCH",
        f"/v1/services/{service['id']}",
        json={"definition": definition(probe_image,
                                       env=[{"key": "MESSAGE", "value": "two"}])},
    )["service"]
    second_id = updated["latest_deployment_id"]
    assert local_api.wait_status(second_id, {"HEALTHY", "ERROR"})["status"] == (
        "HEALTHY")
    stopped = local_api.wait_status(first_id, {"STOPPED"}, limit=30)
    assert stopped["status"] == "STOPPED"
    got = local_api.call("GET", f"/v1/services/{service['id']}")["service"]
    assert got["active_deployment_id"] == second_id
    superseded = local_api.call(
        "GET", "/v1/deployment_events", query={"deployment_id": first_id}
    )["events"]
    assert any(e["message"] == f"Replaced by {second_id}" for e in superseded)
