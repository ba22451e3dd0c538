"""Secret names, deployment status classification and public URLs (pure)."""

from __future__ import annotations

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.koyeb import App, deployment_outcome, koyeb_secret_name
from shipyard.providers.koyeb_models import FAILED_STATUSES, Domain, public_url

from . import spec_responses as spec


@pytest.mark.parametrize(
    ("env_key", "name"),
    [
        ("DJANGO_SECRET_KEY", "django-secret-key"),
        ("DATABASE_URL", "database-url"),
        ("S3_KEY_2", "s3-key-2"),
        ("token", "token"),
    ],
)
def test_env_key_maps_to_a_lowercase_rfc1123_secret_name(
    env_key: str, name: str
) -> None:
    assert koyeb_secret_name(env_key) == name
    assert koyeb_secret_name(env_key) == koyeb_secret_name(env_key)


@pytest.mark.parametrize(
    "env_key", ["", "_PRIVATE", "TRAILING_", "WITH-DASH", "DOTTED.KEY", "A" * 64]
)
def test_env_key_that_cannot_name_a_secret_is_refused(env_key: str) -> None:
    with pytest.raises(ShipyardError, match="cannot name a Koyeb secret"):
        koyeb_secret_name(env_key)


def test_every_deployment_status_of_the_spec_is_classified() -> None:
    statuses = spec.spec()["definitions"]["Deployment.Status"]["enum"]
    outcomes = {status: deployment_outcome(status) for status in statuses}

    assert FAILED_STATUSES <= set(statuses)
    assert [s for s, o in outcomes.items() if o == "healthy"] == ["HEALTHY"]
    for status in ("ERROR", "ERRORING", "DEGRADED", "UNHEALTHY", "CANCELED", "STOPPED"):
        assert outcomes[status] == "failed"
    for status in ("PENDING", "PROVISIONING", "SCHEDULED", "ALLOCATING", "STARTING"):
        assert outcomes[status] == "pending"


def test_unknown_status_keeps_waiting() -> None:
    assert deployment_outcome("WARMING_UP") == "pending"


def test_public_url_prefers_an_active_custom_domain() -> None:
    app = App.from_api(
        spec.app(
            "app-1",
            "shop",
            [
                spec.domain("shop-acme.koyeb.app"),
                spec.domain("api.shop.example", type_="CUSTOM", status="PENDING"),
                spec.domain("api.shop.test", type_="CUSTOM"),
            ],
        )
    )

    assert public_url(app) == "https://api.shop.test/"
    assert public_url(app, "health/", scheme="http") == "http://api.shop.test/health/"


def test_public_url_skips_domains_that_cannot_serve() -> None:
    app = App(
        id="a",
        name="shop",
        domains=(
            Domain("gone.example", "CUSTOM", "DELETING"),
            Domain("shop-acme.koyeb.app", "AUTOASSIGNED", "PENDING"),
        ),
    )

    assert public_url(app, "/api") == "https://shop-acme.koyeb.app/api"


def test_app_without_domains_has_no_public_url() -> None:
    with pytest.raises(ShipyardError, match="app shop has no usable domain"):
        public_url(App(id="a", name="shop"))
