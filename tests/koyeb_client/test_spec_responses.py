"""The test bodies fit the Koyeb spec, and the spec check really refuses misfits."""

from __future__ import annotations

import jsonschema
import pytest

from . import spec_responses as spec


def test_builders_fit_their_operations() -> None:
    apps = [spec.app("app-1", "web")]
    services = [spec.service("svc-1", "api", "app-1", latest="dep-1")]
    deployments = [spec.deployment("dep-1", "svc-1", "HEALTHY")]
    events = [spec.event("dep-1", 1, "Deployment is healthy")]

    spec.validate_response("GET", "/v1/apps", 200, spec.page("apps", apps, 1, 0))
    spec.validate_response("POST", "/v1/apps", 200, {"app": apps[0]})
    spec.validate_response(
        "GET", "/v1/services", 200, spec.page("services", services, 1, 0)
    )
    spec.validate_response("PATCH", "/v1/services/svc-1", 200, {"service": services[0]})
    spec.validate_response(
        "GET", "/v1/deployments", 200, spec.page("deployments", deployments, 5, 0)
    )
    spec.validate_response(
        "GET", "/v1/deployments/dep-1", 200, {"deployment": deployments[0]}
    )
    spec.validate_response(
        "GET", "/v1/deployment_events", 200, {"events": events, "has_next": False}
    )
    spec.validate_response("GET", "/v1/apps", 401, spec.error(401, "bad token"))
    spec.validate_response(
        "POST",
        "/v1/services",
        400,
        spec.error_with_fields("Validation error", {"name": "too short"}),
    )


@pytest.mark.parametrize(
    "body",
    [
        {"apps": [{"id": "a", "name": 3}]},
        {"apps": [], "hasNext": True},
        {"apps": [{"id": "a", "domains": [{"status": "LIVE"}]}]},
    ],
)
def test_spec_check_refuses_a_misfit(body: dict) -> None:
    with pytest.raises(jsonschema.ValidationError):
        spec.validate_response("GET", "/v1/apps", 200, body)


def test_request_bodies_are_checked_strictly() -> None:
    spec.validate_request("PATCH", "/v1/services/x", {"definition": spec.definition()})

    with pytest.raises(jsonschema.ValidationError):
        spec.validate_request("PATCH", "/v1/services/x", {"defintion": {}})
    with pytest.raises(jsonschema.ValidationError):
        spec.validate_request(
            "POST", "/v1/services", {"app_id": "a", "definition": {"port": 1}}
        )
