"""The Koyeb client against a spec-checked API on loopback: paging, retries, errors."""

from __future__ import annotations

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.koyeb import KoyebClient
from shipyard.redaction import Secret

from . import spec_responses as spec
from .conftest import FakeTime
from .fake_api import FakeKoyebAPI, Handler, Seen


def paged(key: str, items: list[dict]) -> Handler:
    """A handler serving `items` by the request's limit and offset."""

    def handle(seen: Seen) -> tuple[int, dict]:
        limit = int(seen.arg("limit", "100"))
        offset = int(seen.arg("offset", "0"))
        return 200, spec.page(key, items, limit, offset)

    return handle


def test_find_app_scans_every_page_for_the_exact_name(
    fake_api: FakeKoyebAPI, token: Secret
) -> None:
    names = ["web-old", "web-2", "website", "web"]
    apps = [spec.app(f"app-{i}", name) for i, name in enumerate(names)]
    fake_api.on("GET", "/v1/apps", paged("apps", apps))

    with KoyebClient(fake_api.url, token, page_size=1) as koyeb:
        found = koyeb.find_app("web")
        missing = koyeb.find_app("we")

    assert found is not None and (found.id, found.name) == ("app-3", "web")
    assert found.domains[0].name == "web.koyeb.app"
    assert missing is None
    offsets = [r.arg("offset") for r in fake_api.calls("GET", "/v1/apps")]
    assert offsets == ["0", "1", "2", "3"] * 2
    assert {r.arg("limit") for r in fake_api.requests} == {"1"}


def test_find_service_scans_every_page_for_the_exact_name(
    fake_api: FakeKoyebAPI, token: Secret
) -> None:
    services = [
        spec.service("svc-1", "api-worker", "app-1"),
        spec.service("svc-2", "api", "app-1", latest="dep-9"),
    ]
    fake_api.on("GET", "/v1/services", paged("services", services))

    with KoyebClient(fake_api.url, token, page_size=1) as koyeb:
        found = koyeb.find_service("app-1", "api")

    assert found is not None and found.id == "svc-2"
    assert found.latest_deployment_id == "dep-9"
    assert fake_api.requests[0].arg("app_id") == "app-1"


def test_rate_limit_is_retried_after_the_wait_koyeb_asks_for(
    fake_api: FakeKoyebAPI,
    client: KoyebClient,
    fake_time: FakeTime,
    output: pytest.CaptureFixture[str],
) -> None:
    fake_api.on(
        "GET",
        "/v1/apps/app-1",
        (429, spec.rpc_status(8, "Too many requests"), {"Retry-After": "3"}),
        (200, {"app": spec.app("app-1", "web")}),
    )

    app = client.get_app("app-1")

    assert app.name == "web"
    assert fake_time.sleeps == [3.0]
    assert "Koyeb answered 429; retrying in 3 s" in output.readouterr().out


def test_server_error_is_retried_with_backoff(
    fake_api: FakeKoyebAPI, client: KoyebClient, fake_time: FakeTime
) -> None:
    fake_api.on(
        "GET",
        "/v1/deployments/dep-1",
        (503, spec.error(503, "Service is unavailable")),
        (500, spec.error(500, "internal")),
        (200, {"deployment": spec.deployment("dep-1", "svc-1", "HEALTHY")}),
    )

    deployment = client.get_deployment("dep-1")

    assert deployment.status == "HEALTHY"
    assert fake_time.sleeps == [1.0, 2.0]


def test_server_error_that_lasts_ends_in_a_clear_error(
    fake_api: FakeKoyebAPI, client: KoyebClient, fake_time: FakeTime
) -> None:
    fake_api.on("GET", "/v1/deployments/dep-1", (503, spec.error(503, "down")))

    with pytest.raises(
        ShipyardError, match=r"Koyeb failed on deployment dep-1 \(503\)"
    ):
        client.get_deployment("dep-1")

    assert len(fake_api.requests) == 6
    assert fake_time.sleeps == [1.0, 2.0, 4.0, 8.0, 16.0]


def test_creating_is_not_repeated_after_an_internal_error(
    fake_api: FakeKoyebAPI, client: KoyebClient, fake_time: FakeTime
) -> None:
    fake_api.on("POST", "/v1/apps", (500, spec.error(500, "internal")))

    with pytest.raises(ShipyardError, match=r"\(500\)"):
        client.create_app("web")

    assert len(fake_api.requests) == 1
    assert fake_time.sleeps == []


def test_wait_longer_than_the_budget_is_not_slept(
    fake_api: FakeKoyebAPI, client: KoyebClient, fake_time: FakeTime
) -> None:
    fake_api.on(
        "GET",
        "/v1/apps/app-1",
        (429, spec.rpc_status(8, "slow"), {"Retry-After": "3600"}),
    )

    with pytest.raises(ShipyardError, match="rate-limiting app app-1"):
        client.get_app("app-1")

    assert fake_time.sleeps == []


def test_rejected_token_says_so_and_never_shows_it(
    fake_api: FakeKoyebAPI,
    client: KoyebClient,
    token: Secret,
    output: pytest.CaptureFixture[str],
) -> None:
    fake_api.on("GET", "/v1/apps", (401, spec.error(401, "invalid token")))

    with pytest.raises(ShipyardError) as caught:
        client.find_app("web")

    message = str(caught.value)
    assert message == (
        "Koyeb token rejected (401): check KOYEB_TOKEN for this environment"
    )
    assert token.reveal() not in message + repr(caught.value)
    assert token.reveal() not in "".join(output.readouterr())
    assert fake_api.requests[0].headers["Authorization"] == f"Bearer {token.reveal()}"


def test_forbidden_names_the_resource(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    fake_api.on("DELETE", "/v1/services/svc-1", (403, spec.error(403, "forbidden")))

    with pytest.raises(ShipyardError, match=r"may not access service svc-1 \(403\)"):
        client.delete_service("svc-1")


def test_missing_resource_is_named(fake_api: FakeKoyebAPI, client: KoyebClient) -> None:
    fake_api.on("GET", "/v1/deployments/dep-x", (404, spec.error(404, "not found")))

    with pytest.raises(ShipyardError, match=r"Koyeb has no deployment dep-x \(404\)"):
        client.get_deployment("dep-x")


def test_validation_error_lists_the_fields_to_fix(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    fake_api.on(
        "POST",
        "/v1/services",
        (
            400,
            spec.error_with_fields(
                "Validation error",
                {
                    "definition.regions": "region mars is not available",
                    "name": "must be at most 63 characters",
                },
            ),
        ),
    )

    with pytest.raises(ShipyardError) as caught:
        client.create_service("app-1", "api", spec.definition())

    assert str(caught.value) == (
        "Koyeb rejected new service api (400): Validation error "
        "(definition.regions: region mars is not available, "
        "name: must be at most 63 characters)"
    )


def test_bad_health_check_port_is_refused_before_any_request(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    definition = spec.definition(port=8000)
    definition["health_checks"] = [{"http": {"port": 8001, "path": "/health/"}}]

    with pytest.raises(ShipyardError, match="health check port 8001"):
        client.deploy("svc-1", definition)
    with pytest.raises(ShipyardError, match="health check port 8001"):
        client.create_service("app-1", "api", definition)

    assert fake_api.requests == []


def test_unreachable_api_is_retried_then_named(token: Secret) -> None:
    fake_time = FakeTime()
    with (
        KoyebClient(
            "http://127.0.0.1:9/v1", token, max_retries=2, sleep=fake_time.sleep
        ) as koyeb,
        pytest.raises(ShipyardError, match="cannot reach Koyeb at"),
    ):
        koyeb.get_app("app-1")

    assert fake_time.sleeps == [1.0, 2.0]
