"""The Koyeb client against the real Koyeb stand-in, which runs images on Docker."""

from __future__ import annotations

import secrets

import httpx
import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.koyeb import (
    App,
    DeploymentFailed,
    KoyebClient,
    build_definition,
    with_image,
)
from shipyard.redaction import Secret

from .conftest import FakeTime
from .standin import RunningStandIn

pytestmark = pytest.mark.integration

WAIT = 90.0


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(3)}"


def fetch(app: App, client: KoyebClient) -> dict:
    """What the probe app behind `app` answers on its public URL."""
    return httpx.get(client.public_url(app, scheme="http"), timeout=10).json()


def test_find_app_scans_every_page_of_the_standin(standin: RunningStandIn) -> None:
    stem = unique("shop")
    names = [f"{stem}-old", stem, f"{stem}-2", f"{stem}x"]
    with KoyebClient(standin.url, standin.token, page_size=1) as koyeb:
        created = {name: koyeb.create_app(name) for name in names}
        found = koyeb.find_app(stem)
        absent = koyeb.find_app(stem[:-1])

    assert found is not None and found.id == created[stem].id
    assert absent is None


def test_rate_limit_from_the_standin_is_waited_out(standin: RunningStandIn) -> None:
    fake_time = FakeTime()
    with KoyebClient(standin.url, standin.token, sleep=fake_time.sleep) as koyeb:
        app = koyeb.create_app(unique("limited"))
        standin.arm_fault(429, count=2, retry_after=4)
        again = koyeb.get_app(app.id)

    assert again.id == app.id
    assert fake_time.sleeps == [4.0, 4.0]


def test_unavailable_standin_is_retried(standin: RunningStandIn) -> None:
    fake_time = FakeTime()
    with KoyebClient(standin.url, standin.token, sleep=fake_time.sleep) as koyeb:
        standin.arm_fault(503, count=1, retry_after=2)
        assert koyeb.list_secrets() is not None

    assert fake_time.sleeps == [2.0]


def test_wrong_token_is_rejected_without_showing_it(standin: RunningStandIn) -> None:
    wrong = Secret("wrong-" + secrets.token_hex(12))
    with KoyebClient(standin.url, wrong) as koyeb, pytest.raises(ShipyardError) as e:
        koyeb.find_app("anything")

    assert str(e.value).startswith("Koyeb token rejected (401)")
    assert wrong.reveal() not in str(e.value)
    assert standin.token.reveal() not in str(e.value)


def test_invalid_name_shows_the_fields_koyeb_names(standin: RunningStandIn) -> None:
    with (
        KoyebClient(standin.url, standin.token) as koyeb,
        pytest.raises(ShipyardError, match=r"\(400\).*\(name: "),
    ):
        koyeb.create_app("Not A Valid Name!")


def test_unknown_deployment_is_named(standin: RunningStandIn) -> None:
    with (
        KoyebClient(standin.url, standin.token) as koyeb,
        pytest.raises(ShipyardError, match=r"Koyeb has no deployment nope \(404\)"),
    ):
        koyeb.get_deployment("nope")


def test_image_that_cannot_be_pulled_fails_with_its_events(
    standin: RunningStandIn,
) -> None:
    missing = f"127.0.0.1:1/absent@sha256:{'0' * 64}"
    definition = build_definition(missing, {}, {}, 8000, "/health/")
    with KoyebClient(standin.url, standin.token) as koyeb:
        app = koyeb.create_app(unique("broken"))
        _, deployment = koyeb.create_service(app.id, "api", definition)
        with pytest.raises(DeploymentFailed) as caught:
            koyeb.wait_healthy(deployment.id, timeout=WAIT, poll=0.5)

    failure = caught.value
    assert failure.deployment_id == deployment.id
    assert str(failure).startswith(f"Koyeb deployment {deployment.id} ended ERROR")
    assert "\n" not in str(failure)
    assert any("Pulling image" in event for event in failure.events)
    assert failure.events[0] == "Deployment created"


def test_release_then_failed_release_then_rollback(
    standin: RunningStandIn, probe_image: str
) -> None:
    statuses: list[str] = []
    with KoyebClient(standin.url, standin.token) as koyeb:
        app = koyeb.create_app(unique("probe"))
        secret_name = unique("greeting")
        koyeb.create_secret(secret_name, Secret("hello-from-koyeb-secret"))
        first = build_definition(
            probe_image, {"RELEASE": "one"}, {"GREETING": secret_name}, 8000, "/health/"
        )
        service, deployment = koyeb.create_service(app.id, "api", first)
        koyeb.wait_healthy(
            deployment.id, WAIT, 0.5, on_status=lambda d: statuses.append(d.status)
        )
        assert fetch(app, koyeb) == {
            "release": "one",
            "greeting": "hello-from-koyeb-secret",
        }
        assert koyeb.find_service(app.id, "api") == koyeb.get_service(service.id)

        found = koyeb.find_secret(secret_name)
        assert found is not None
        koyeb.update_secret(found.id, Secret("second-greeting-value"))
        second = with_image(
            first,
            probe_image,
            {"RELEASE": "two"},
            {"GREETING": secret_name},
            8000,
            "/health/",
        )
        two = koyeb.deploy(service.id, second)
        koyeb.wait_healthy(two.id, WAIT, 0.5)
        assert fetch(app, koyeb) == {
            "release": "two",
            "greeting": "second-greeting-value",
        }

        crashing = with_image(
            second,
            probe_image,
            {"RELEASE": "three", "CRASH": "1"},
            {},
            8000,
            "/health/",
        )
        three = koyeb.deploy(service.id, crashing)
        with pytest.raises(DeploymentFailed) as caught:
            koyeb.wait_healthy(three.id, WAIT, 0.5)
        assert fetch(app, koyeb)["release"] == "two"

        back = koyeb.rollback(service.id, deployment.id)
        koyeb.wait_healthy(back.id, WAIT, 0.5)
        assert fetch(app, koyeb)["release"] == "one"
        latest = koyeb.latest_deployment(service.id)

    assert statuses[-1] == "HEALTHY" and "HEALTHY" not in statuses[:-1]
    assert caught.value.events
    assert latest is not None and latest.id == back.id
    assert back.definition["docker"]["image"] == probe_image


def test_registry_secret_is_created_once_then_updated_in_place(
    standin: RunningStandIn,
) -> None:
    name = unique("pull")
    password = Secret(f"registry-password-{secrets.token_hex(6)}")
    with KoyebClient(standin.url, standin.token) as koyeb:
        first = koyeb.put_registry_secret(name, "docker.io", "shipyard", password)
        again = koyeb.put_registry_secret(name, "registry.example.test", "shipyard",
                                          Secret("another-registry-password"))
        listed = [s for s in koyeb.list_secrets() if s.name == name]
        raw = httpx.get(f"{standin.url}/secrets", timeout=10,
                        headers={"Authorization": f"Bearer {standin.token.reveal()}"})

    assert first.type == "REGISTRY" and again.id == first.id
    assert [s.id for s in listed] == [first.id]
    assert password.reveal() not in raw.text
