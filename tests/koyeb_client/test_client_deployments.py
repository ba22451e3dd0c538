"""Deploying, waiting, rolling back and secrets against a spec-checked API."""

from __future__ import annotations

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.koyeb import (
    DeploymentFailed,
    DeploymentTimedOut,
    KoyebClient,
    build_definition,
)
from shipyard.redaction import Secret

from . import spec_responses as spec
from .conftest import FakeTime
from .fake_api import FakeKoyebAPI, Seen

NEW_IMAGE = f"127.0.0.1:5000/backend@sha256:{'ef' * 32}"


def statuses(*names: str) -> list[tuple[int, dict]]:
    return [(200, {"deployment": spec.deployment("dep-2", "svc-1", n)}) for n in names]


def one(deployment_id: str, status: str, **fields: object) -> tuple[int, dict]:
    deployment = spec.deployment(deployment_id, "svc-1", status, **fields)  # type: ignore[arg-type]
    return 200, {"deployment": deployment}


def service_reply(latest: str) -> tuple[int, dict]:
    return 200, {"service": spec.service("svc-1", "api", "app-1", latest=latest)}


def test_deploy_sends_the_whole_definition_and_returns_the_new_deployment(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    definition = build_definition(NEW_IMAGE, {"A": "1"}, {}, 8000, "/health/")
    fake_api.on("GET", "/v1/services/svc-1", service_reply("dep-1"))
    fake_api.on("PATCH", "/v1/services/svc-1", service_reply("dep-2"))
    fake_api.on("GET", "/v1/deployments/dep-1", one("dep-1", "HEALTHY"))
    fake_api.on(
        "GET",
        "/v1/deployments/dep-2",
        one("dep-2", "PENDING", spec_definition=definition),
    )

    deployment = client.deploy("svc-1", definition)

    assert (deployment.id, deployment.status) == ("dep-2", "PENDING")
    assert deployment.image == NEW_IMAGE
    (patch,) = fake_api.calls("PATCH", "/v1/services/svc-1")
    assert patch.body == {"definition": definition}


def test_deploy_that_starts_nothing_new_is_an_error(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    fake_api.on("GET", "/v1/services/svc-1", service_reply("dep-1"))
    fake_api.on("PATCH", "/v1/services/svc-1", service_reply("dep-1"))
    fake_api.on("GET", "/v1/deployments/dep-1", one("dep-1", "HEALTHY"))

    with pytest.raises(ShipyardError, match="started no deployment"):
        client.deploy("svc-1", spec.definition())


def test_create_service_returns_the_service_and_its_first_deployment(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    created = spec.service("svc-1", "api", "app-1")
    fake_api.on("POST", "/v1/services", (200, {"service": created}))
    fake_api.on(
        "GET",
        "/v1/deployments",
        (
            200,
            spec.page(
                "deployments",
                [
                    spec.deployment("dep-old", "svc-1", "STOPPED", second=1),
                    spec.deployment("dep-1", "svc-1", "PENDING", second=9),
                ],
                100,
                0,
            ),
        ),
    )

    service, deployment = client.create_service("app-1", "api", spec.definition())

    assert service.id == "svc-1"
    assert deployment.id == "dep-1"
    (post,) = fake_api.calls("POST", "/v1/services")
    assert post.body == {
        "app_id": "app-1",
        "name": "api",
        "definition": spec.definition(),
    }


def test_wait_healthy_reports_each_status_and_returns_the_healthy_deployment(
    fake_api: FakeKoyebAPI, client: KoyebClient, fake_time: FakeTime
) -> None:
    fake_api.on(
        "GET",
        "/v1/deployments/dep-2",
        *statuses("PENDING", "PROVISIONING", "PROVISIONING", "STARTING", "HEALTHY"),
    )
    heard: list[str] = []

    deployment = client.wait_healthy(
        "dep-2", timeout=60, poll=2.0, on_status=lambda d: heard.append(d.status)
    )

    assert deployment.status == "HEALTHY"
    assert heard == ["PENDING", "PROVISIONING", "STARTING", "HEALTHY"]
    assert fake_time.sleeps == [2.0, 2.0, 2.0, 2.0]


def test_failed_deployment_raises_with_its_events_oldest_first(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    fake_api.on(
        "GET",
        "/v1/deployments/dep-2",
        *statuses("STARTING"),
        one("dep-2", "ERROR", messages=["Health check failed\non /health/"]),
    )
    newest_first = [
        spec.event("dep-2", 30, "Instance stopped: health check failed"),
        spec.event("dep-2", 20, "Instance started"),
        spec.event("dep-2", 10, "Deployment provisioning"),
    ]
    fake_api.on(
        "GET",
        "/v1/deployment_events",
        (200, {"events": newest_first, "has_next": False, "order": "desc"}),
    )

    with pytest.raises(DeploymentFailed) as caught:
        client.wait_healthy("dep-2", timeout=60, poll=1.0)

    failure = caught.value
    assert str(failure) == (
        "Koyeb deployment dep-2 ended ERROR: Health check failed on /health/"
    )
    assert failure.status == "ERROR" and failure.deployment_id == "dep-2"
    assert failure.events == [
        "Deployment provisioning",
        "Instance started",
        "Instance stopped: health check failed",
    ]
    (events_call,) = fake_api.calls("GET", "/v1/deployment_events")
    assert events_call.arg("deployment_id") == "dep-2"


def test_wait_that_runs_out_names_the_status_it_was_stuck_in(
    fake_api: FakeKoyebAPI, client: KoyebClient, fake_time: FakeTime
) -> None:
    fake_api.on("GET", "/v1/deployments/dep-2", *statuses("PENDING", "STARTING"))
    fake_api.on(
        "GET",
        "/v1/deployment_events",
        (200, {"events": [spec.event("dep-2", 1, "Waiting for port 8000")]}),
    )

    with pytest.raises(DeploymentTimedOut) as caught:
        client.wait_healthy("dep-2", timeout=10, poll=3.0)

    assert str(caught.value) == (
        "Koyeb deployment dep-2 still STARTING after 10 s: "
        "it did not become healthy in time"
    )
    assert caught.value.events == ["Waiting for port 8000"]
    assert sum(fake_time.sleeps) == 10
    assert fake_time.sleeps == [3.0, 3.0, 3.0, 1.0]


def test_rollback_deploys_the_earlier_definition_again(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    old_definition = spec.definition(port=8000)
    secret_ref = {"key": "DJANGO_SECRET_KEY", "secret": "django-secret-key"}
    old_definition["env"].append({**secret_ref, "value": ""})
    fake_api.on(
        "GET",
        "/v1/deployments/dep-1",
        one("dep-1", "STOPPED", spec_definition=old_definition),
    )
    fake_api.on("GET", "/v1/services/svc-1", service_reply("dep-2"))
    fake_api.on("GET", "/v1/deployments/dep-2", one("dep-2", "ERROR"))
    fake_api.on("PATCH", "/v1/services/svc-1", service_reply("dep-3"))
    fake_api.on(
        "GET",
        "/v1/deployments/dep-3",
        one("dep-3", "PENDING", spec_definition=old_definition),
    )

    deployment = client.rollback("svc-1", "dep-1")

    assert deployment.id == "dep-3"
    (patch,) = fake_api.calls("PATCH", "/v1/services/svc-1")
    sent_env = patch.body["definition"]["env"]
    assert sent_env[-1] == secret_ref
    assert patch.body["definition"]["docker"] == old_definition["docker"]


def test_rollback_to_another_services_deployment_is_refused(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    other = spec.deployment("dep-9", "svc-other", "HEALTHY")
    fake_api.on("GET", "/v1/deployments/dep-9", (200, {"deployment": other}))

    with pytest.raises(ShipyardError, match="belongs to service svc-other"):
        client.rollback("svc-1", "dep-9")
    assert fake_api.calls("PATCH", "/v1/services/svc-1") == []


def test_secrets_are_listed_by_count_and_found_by_exact_name(
    fake_api: FakeKoyebAPI, token: Secret
) -> None:
    names = ["django-secret-key-old", "database-url", "django-secret-key"]
    items = [
        {"id": f"sec-{i}", "name": n, "type": "SIMPLE", "organization_id": "org-1"}
        for i, n in enumerate(names)
    ]

    def listing(seen: Seen) -> tuple[int, dict]:
        limit, offset = int(seen.arg("limit")), int(seen.arg("offset"))
        chunk = items[offset : offset + limit]
        return 200, {
            "secrets": chunk,
            "limit": limit,
            "offset": offset,
            "count": len(items),
        }

    fake_api.on("GET", "/v1/secrets", listing)

    with KoyebClient(fake_api.url, token, page_size=2) as koyeb:
        listed = koyeb.list_secrets()
        found = koyeb.find_secret("django-secret-key")

    assert [s.name for s in listed] == names
    assert found is not None and found.id == "sec-2"


def test_secret_values_travel_only_in_the_request_body(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    value = Secret("s3cr3t-value-for-koyeb", name="DJANGO_SECRET_KEY")
    stored = {"id": "sec-1", "name": "django-secret-key", "type": "SIMPLE"}
    fake_api.on("POST", "/v1/secrets", (200, {"secret": stored}))
    fake_api.on("PATCH", "/v1/secrets/sec-1", (200, {"secret": stored}))

    created = client.create_secret("django-secret-key", value)
    updated = client.update_secret("sec-1", value)

    assert created == updated
    assert value.reveal() not in repr(created)
    (post,) = fake_api.calls("POST", "/v1/secrets")
    assert post.body == {
        "name": "django-secret-key",
        "type": "SIMPLE",
        "value": value.reveal(),
    }
    (patch,) = fake_api.calls("PATCH", "/v1/secrets/sec-1")
    assert patch.body == {"value": value.reveal()}
    assert all(value.reveal() not in str(r.query) for r in fake_api.requests)


def test_events_never_show_a_known_secret_value(
    fake_api: FakeKoyebAPI, client: KoyebClient
) -> None:
    leaked = Secret("value-the-app-logged-by-mistake")
    fake_api.on(
        "GET",
        "/v1/deployments/dep-2",
        one("dep-2", "ERROR", messages=[leaked.reveal()]),
    )
    fake_api.on(
        "GET",
        "/v1/deployment_events",
        (200, {"events": [spec.event("dep-2", 1, f"log: key={leaked.reveal()}")]}),
    )

    with pytest.raises(DeploymentFailed) as caught:
        client.wait_healthy("dep-2", timeout=5)

    assert caught.value.events == ["log: key=****"]
    assert leaked.reveal() not in str(caught.value)
