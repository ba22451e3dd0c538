"""Request checks of the Koyeb stand-in, reported as the spec's ErrorWithFields.

The checks reject what the sandbox cannot run faithfully (sources other than a
Docker image, volumes, config files) as well as what Koyeb itself rejects.
"""

from __future__ import annotations

import re
from typing import Any

RFC1123_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
ENV_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROTOCOLS = ("http", "http2", "tcp")
DEFINITION_TYPES = ("WEB", "WORKER")
UNSUPPORTED_SOURCES = ("git", "archive", "database")
UNSUPPORTED_LISTS = ("volumes", "config_files", "proxy_ports")


class FieldErrors(Exception):
    """One or more invalid fields of a request (HTTP 400)."""

    def __init__(self, fields: list[dict[str, str]], message: str = "") -> None:
        super().__init__(message or "Validation error")
        self.fields = fields
        self.message = message or "Validation error"


def field(name: str, description: str) -> dict[str, str]:
    """One ErrorField."""
    return {"field": name, "description": description}


def raise_if(problems: list[dict[str, str]]) -> None:
    """Raise FieldErrors when there is anything to report."""
    if problems:
        raise FieldErrors(problems)


def check_name(value: Any, label: str = "name") -> list[dict[str, str]]:
    """An app or service name must be a lowercase RFC 1123 label."""
    if not isinstance(value, str) or not RFC1123_LABEL.match(value):
        return [
            field(
                label,
                "must be 1 to 63 lowercase letters, digits or '-', starting and "
                "ending with a letter or digit (RFC 1123)",
            )
        ]
    return []


def as_int(value: Any) -> int | None:
    """An int64 field as JSON may carry it (number or decimal string)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def check_definition(
    definition: Any, secret_names: set[str], prefix: str = "definition"
) -> list[dict[str, str]]:
    """Every problem of a DeploymentDefinition the sandbox would deploy."""
    if not isinstance(definition, dict):
        return [field(prefix, "is required and must be an object")]
    problems = _check_source(definition, secret_names, prefix)
    kind = definition.get("type", "WEB")
    if kind not in DEFINITION_TYPES:
        problems.append(field(f"{prefix}.type", f"must be one of {DEFINITION_TYPES}"))
    for key in UNSUPPORTED_SOURCES + UNSUPPORTED_LISTS:
        if definition.get(key):
            problems.append(
                field(f"{prefix}.{key}", "is not supported by the sandbox stand-in")
            )
    ports, port_problems = _check_ports(definition.get("ports") or [], prefix)
    problems += port_problems
    problems += _check_routes(definition.get("routes") or [], ports, prefix)
    problems += _check_health(definition.get("health_checks") or [], ports, prefix)
    problems += _check_env(definition.get("env") or [], secret_names, prefix)
    return problems


def _check_source(
    definition: dict[str, Any], secret_names: set[str], prefix: str
) -> list[dict[str, str]]:
    """The docker source: an image, and a known registry secret if named."""
    docker = definition.get("docker")
    if not isinstance(docker, dict) or not docker.get("image"):
        return [field(f"{prefix}.docker.image", "is required")]
    problems = []
    registry_secret = docker.get("image_registry_secret")
    if registry_secret and registry_secret not in secret_names:
        problems.append(
            field(
                f"{prefix}.docker.image_registry_secret",
                f"secret {registry_secret!r} does not exist",
            )
        )
    for key in ("args", "entrypoint"):
        value = docker.get(key)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            problems.append(
                field(f"{prefix}.docker.{key}", "must be a list of strings")
            )
    return problems


def _check_ports(
    ports: list[Any], prefix: str
) -> tuple[set[int], list[dict[str, str]]]:
    """Declared ports: numbers 1-65535 with a known protocol."""
    found: set[int] = set()
    problems = []
    for index, entry in enumerate(ports):
        where = f"{prefix}.ports[{index}]"
        number = as_int(entry.get("port")) if isinstance(entry, dict) else None
        if number is None or not 0 < number < 65536:
            problems.append(field(f"{where}.port", "must be a port from 1 to 65535"))
            continue
        protocol = entry.get("protocol") or "http"
        if protocol not in PROTOCOLS:
            problems.append(field(f"{where}.protocol", f"must be one of {PROTOCOLS}"))
        found.add(number)
    return found, problems


def _check_routes(
    routes: list[Any], ports: set[int], prefix: str
) -> list[dict[str, str]]:
    """Routes: a path starting with '/' on a declared port."""
    problems = []
    for index, route in enumerate(routes):
        where = f"{prefix}.routes[{index}]"
        if not isinstance(route, dict):
            problems.append(field(where, "must be an object"))
            continue
        if not str(route.get("path", "")).startswith("/"):
            problems.append(field(f"{where}.path", "must start with '/'"))
        if as_int(route.get("port")) not in ports:
            problems.append(field(f"{where}.port", "must be one of the declared ports"))
    return problems


def _check_health(
    checks: list[Any], ports: set[int], prefix: str
) -> list[dict[str, str]]:
    """Health checks: exactly one of http/tcp, on a declared port."""
    problems = []
    for index, check in enumerate(checks):
        where = f"{prefix}.health_checks[{index}]"
        if not isinstance(check, dict):
            problems.append(field(where, "must be an object"))
            continue
        kinds = [kind for kind in ("http", "tcp") if check.get(kind)]
        if len(kinds) != 1:
            problems.append(field(where, "must set exactly one of http or tcp"))
            continue
        probe = check[kinds[0]]
        if as_int(probe.get("port")) not in ports:
            problems.append(
                field(
                    f"{where}.{kinds[0]}.port",
                    f"port {probe.get('port')} is not among the declared ports "
                    f"{sorted(ports)}",
                )
            )
        if kinds[0] == "http" and not str(probe.get("path", "")).startswith("/"):
            problems.append(field(f"{where}.http.path", "must start with '/'"))
        for key in ("grace_period", "interval", "restart_limit", "timeout"):
            number = as_int(check.get(key, 0))
            if number is None or number < 0:
                problems.append(field(f"{where}.{key}", "must be a whole number >= 0"))
    return problems


def _check_env(
    env: list[Any], secret_names: set[str], prefix: str
) -> list[dict[str, str]]:
    """Env entries: a valid key and exactly one of value or a known secret."""
    problems = []
    seen: set[str] = set()
    for index, entry in enumerate(env):
        where = f"{prefix}.env[{index}]"
        if not isinstance(entry, dict):
            problems.append(field(where, "must be an object"))
            continue
        key = str(entry.get("key", ""))
        if not ENV_KEY.match(key):
            problems.append(field(f"{where}.key", "must be a valid variable name"))
        elif key in seen:
            problems.append(field(f"{where}.key", f"{key} is set twice"))
        seen.add(key)
        has_value = entry.get("value") not in (None, "")
        secret = entry.get("secret")
        if has_value and secret:
            problems.append(field(where, "must set either value or secret, not both"))
        elif not secret and "value" not in entry:
            problems.append(field(where, "must set value or secret"))
        elif secret and secret not in secret_names:
            problems.append(
                field(f"{where}.secret", f"secret {secret!r} does not exist")
            )
    return problems


def check_secret(body: Any, creating: bool) -> list[dict[str, str]]:
    """A CreateSecret or Secret body: a name and a value of its type."""
    if not isinstance(body, dict):
        return [field("secret", "is required and must be an object")]
    problems = []
    name = body.get("name")
    if (creating or name is not None) and not (
        isinstance(name, str) and SECRET_NAME.match(name)
    ):
        problems.append(field("name", "must be 1 to 64 letters, digits, '_' or '-'"))
    kind = body.get("type") or "SIMPLE"
    if kind == "MANAGED":
        problems.append(field("type", "MANAGED secrets are created by Koyeb only"))
    elif kind == "SIMPLE":
        if creating and not isinstance(body.get("value"), str):
            problems.append(field("value", "is required for a SIMPLE secret"))
    elif kind == "REGISTRY":
        configs = [key for key in body if key.endswith("_registry")]
        if creating and len(configs) != 1:
            problems.append(
                field("type", "a REGISTRY secret needs exactly one registry setting")
            )
    else:
        problems.append(field("type", "must be SIMPLE or REGISTRY"))
    return problems
