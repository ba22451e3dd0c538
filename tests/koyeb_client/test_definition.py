"""Building, updating and checking Koyeb deployment definitions (pure data)."""

from __future__ import annotations

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.koyeb import build_definition, validate_definition, with_image

from . import spec_responses as spec

SECRET_ENV = {"DJANGO_SECRET_KEY": "django-secret-key"}
ENV = {"DJANGO_DEBUG": "0", "ALLOWED_HOSTS": "api.example.com"}


def built(**changes: object) -> dict:
    args = {
        "image_ref": spec.IMAGE,
        "env": ENV,
        "secret_env": SECRET_ENV,
        "port": 8000,
        "health_path": "/health/",
    }
    args.update(changes)
    return build_definition(**args)  # type: ignore[arg-type]


def test_built_definition_fits_the_spec_and_pins_the_image() -> None:
    definition = built()

    spec.validate_definition_body("DeploymentDefinition", definition)
    assert definition["docker"] == {"image": spec.IMAGE}
    assert definition["ports"] == [{"port": 8000, "protocol": "http"}]
    assert definition["routes"] == [{"port": 8000, "path": "/"}]
    assert definition["health_checks"] == [{"http": {"port": 8000, "path": "/health/"}}]


def test_each_env_entry_has_exactly_one_of_value_or_secret() -> None:
    entries = built()["env"]

    assert entries == [
        {"key": "ALLOWED_HOSTS", "value": "api.example.com"},
        {"key": "DJANGO_DEBUG", "value": "0"},
        {"key": "DJANGO_SECRET_KEY", "secret": "django-secret-key"},
    ]


def test_image_without_digest_is_refused_unless_allowed() -> None:
    with pytest.raises(ShipyardError, match="not pinned by digest"):
        built(image_ref="127.0.0.1:5000/backend:latest")

    allowed = built(image_ref="127.0.0.1:5000/backend:latest", allow_unpinned=True)
    assert allowed["docker"]["image"] == "127.0.0.1:5000/backend:latest"


def test_env_key_given_as_value_and_secret_is_refused() -> None:
    with pytest.raises(ShipyardError, match="DJANGO_SECRET_KEY given both"):
        built(env={**ENV, "DJANGO_SECRET_KEY": "oops"})


def test_with_image_changes_what_a_release_owns_and_keeps_the_rest() -> None:
    current = {
        **spec.definition(
            port=8000, image=f"127.0.0.1:5000/backend@sha256:{'cd' * 32}"
        ),
        "scalings": [{"min": 1, "max": 3}],
        "instance_types": [{"type": "small"}],
        "routes": [{"port": 8000, "path": "/api"}],
        "health_checks": [
            {"grace_period": 20, "interval": 15, "http": {"port": 8000, "path": "/"}}
        ],
        "docker": {"image": "old", "command": "gunicorn", "args": ["app.wsgi"]},
    }

    updated = with_image(current, spec.IMAGE, {"A": "1"}, {}, 9000, "/health/")

    spec.validate_definition_body("DeploymentDefinition", updated)
    assert updated["docker"] == {
        "image": spec.IMAGE,
        "command": "gunicorn",
        "args": ["app.wsgi"],
    }
    assert updated["env"] == [{"key": "A", "value": "1"}]
    assert updated["routes"] == [{"port": 9000, "path": "/api"}]
    assert updated["health_checks"] == [
        {"grace_period": 20, "interval": 15, "http": {"port": 9000, "path": "/health/"}}
    ]
    assert updated["scalings"] == [{"min": 1, "max": 3}]
    assert updated["instance_types"] == [{"type": "small"}]
    assert current["docker"]["image"] == "old"


def test_health_check_port_not_among_ports_is_refused() -> None:
    definition = spec.definition(port=8000)
    definition["health_checks"] = [{"http": {"port": 9000, "path": "/health/"}}]

    with pytest.raises(ShipyardError, match=r"health check port 9000 is not among"):
        validate_definition(definition)


def test_route_port_not_among_ports_is_refused() -> None:
    definition = spec.definition(port=8000)
    definition["routes"] = [{"port": 8080, "path": "/"}]

    with pytest.raises(ShipyardError, match=r"route / uses port 8080"):
        validate_definition(definition)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"key": "X", "value": "1", "secret": "x"}, "env X has both"),
        ({"key": "X"}, "env X has neither"),
        ({"key": "X", "secret": ""}, "env X has neither"),
    ],
)
def test_env_entry_needs_exactly_one_of_value_or_secret(
    entry: dict, problem: str
) -> None:
    definition = spec.definition()
    definition["env"] = [entry]

    with pytest.raises(ShipyardError, match=problem):
        validate_definition(definition)


def test_secret_reference_with_empty_echoed_value_is_accepted() -> None:
    definition = spec.definition()
    definition["env"] = [{"key": "X", "secret": "x", "value": ""}]

    validate_definition(definition)


def test_empty_plain_value_is_a_value() -> None:
    definition = spec.definition()
    definition["env"] = [{"key": "X", "value": ""}]

    validate_definition(definition)


def test_every_problem_is_named_in_one_line() -> None:
    definition = spec.definition(image="backend:latest")
    definition["health_checks"] = [{"tcp": {"port": 1}}]
    definition["env"] = [{"key": "X"}]

    with pytest.raises(ShipyardError) as caught:
        validate_definition(definition)

    message = str(caught.value)
    assert "\n" not in message
    for part in ("not pinned", "tcp health check port 1", "env X has neither"):
        assert part in message


def test_ports_given_as_strings_are_understood() -> None:
    definition = spec.definition(port=8000)
    definition["ports"] = [{"port": "8000", "protocol": "http"}]

    validate_definition(definition)
