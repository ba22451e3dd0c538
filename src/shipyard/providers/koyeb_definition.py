"""Koyeb deployment definitions as plain data: build them, update them, check them.

A definition is the JSON object Koyeb calls DeploymentDefinition. Shipyard
always sends a whole definition and checks it here first, so a mistake is
reported before any request reaches Koyeb.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from shipyard.errors import ShipyardError

PROTOCOLS = frozenset({"http", "http2", "tcp"})
HEALTH_CHECK_TIMINGS = ("grace_period", "interval", "restart_limit", "timeout")

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")
_ENV_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RFC1123_LABEL = re.compile(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?")


def is_pinned(image_ref: str) -> bool:
    """Whether `image_ref` names one image by digest, so a deploy is repeatable."""
    return bool(_DIGEST.search(image_ref))


def koyeb_secret_name(env_key: str) -> str:
    """The Koyeb secret name that holds the value of env var `env_key`.

    DJANGO_SECRET_KEY becomes django-secret-key: lowercase, `_` to `-`, so
    the same key always maps to the same RFC 1123 label. Keys that cannot
    map to a valid label are refused rather than silently mangled.
    """
    name = env_key.lower().replace("_", "-")
    valid_key = re.fullmatch(r"[A-Za-z0-9_]+", env_key)
    if not valid_key or not _RFC1123_LABEL.fullmatch(name):
        raise ShipyardError(
            f"env key {env_key!r} cannot name a Koyeb secret: use letters, digits "
            "and inner underscores only, at most 63 characters"
        )
    return name


def build_definition(
    image_ref: str,
    env: dict[str, str],
    secret_env: dict[str, str],
    port: int,
    health_path: str,
    *,
    route_path: str = "/",
    regions: tuple[str, ...] = ("fra",),
    instance_type: str = "nano",
    min_scale: int = 1,
    max_scale: int = 1,
    allow_unpinned: bool = False,
) -> dict[str, Any]:
    """A whole definition of a web service running `image_ref`, checked.

    `env` holds plain values; `secret_env` maps env keys to Koyeb secret
    names, so secret values never travel in a definition.
    """
    base: dict[str, Any] = {
        "type": "WEB",
        "regions": list(regions),
        "instance_types": [{"type": instance_type}],
        "scalings": [{"min": min_scale, "max": max_scale}],
        "routes": [{"port": port, "path": route_path}],
    }
    return with_image(
        base,
        image_ref,
        env,
        secret_env,
        port,
        health_path,
        allow_unpinned=allow_unpinned,
    )


def with_image(
    definition: dict[str, Any],
    image_ref: str,
    env: dict[str, str],
    secret_env: dict[str, str],
    port: int,
    health_path: str,
    *,
    allow_unpinned: bool = False,
) -> dict[str, Any]:
    """A copy of `definition` running `image_ref` with exactly this env and port.

    Everything else (regions, scaling, instance type, route paths, health
    check timings, Docker command) is kept, so a release changes only what
    a release owns. The result is checked before it is returned.
    """
    result = copy.deepcopy(definition)
    result["docker"] = {**(result.get("docker") or {}), "image": image_ref}
    result["env"] = _env_entries(env, secret_env)
    result["ports"] = [{"port": port, "protocol": "http"}]

    routes = result.get("routes") or [{"path": "/"}]
    result["routes"] = [{**route, "port": port} for route in routes]

    old_checks = result.get("health_checks") or [{}]
    timings = {k: old_checks[0][k] for k in HEALTH_CHECK_TIMINGS if k in old_checks[0]}
    result["health_checks"] = [{**timings, "http": {"port": port, "path": health_path}}]

    validate_definition(result, allow_unpinned=allow_unpinned)
    return result


def validate_definition(
    definition: dict[str, Any], *, allow_unpinned: bool = False
) -> None:
    """Refuse a definition Koyeb would reject or Shipyard should never send.

    Checks that routes and health checks use declared ports, that each env
    entry has exactly one of value or secret, and that the image is pinned
    by digest (unless `allow_unpinned`). Raises one ShipyardError naming
    every problem.
    """
    problems = _image_problems(definition, allow_unpinned)
    ports, port_problems = _declared_ports(definition)
    problems += port_problems
    problems += _route_problems(definition, ports)
    problems += _health_check_problems(definition, ports)
    problems += _env_problems(definition)
    if problems:
        raise ShipyardError("Koyeb definition refused: " + "; ".join(problems))


def _env_entries(env: dict[str, str], secret_env: dict[str, str]) -> list[dict]:
    both = sorted(set(env) & set(secret_env))
    if both:
        raise ShipyardError(
            f"env {', '.join(both)} given both as a value and as a secret: keep one"
        )
    bad = sorted(k for k in [*env, *secret_env] if not _ENV_KEY.fullmatch(k))
    if bad:
        raise ShipyardError(f"env key(s) {', '.join(bad)} are not valid variable names")
    for key, name in secret_env.items():
        if not _RFC1123_LABEL.fullmatch(name):
            raise ShipyardError(f"env {key}: {name!r} is not a valid Koyeb secret name")

    entries = [{"key": k, "value": v} for k, v in env.items()]
    entries += [{"key": k, "secret": s} for k, s in secret_env.items()]
    return sorted(entries, key=lambda entry: entry["key"])


def _image_problems(definition: dict[str, Any], allow_unpinned: bool) -> list[str]:
    image = (definition.get("docker") or {}).get("image", "")
    if not image:
        return ["docker.image is missing"]
    if not allow_unpinned and not is_pinned(image):
        return [f"image {image} is not pinned by digest (@sha256:...)"]
    return []


def _port_number(value: Any) -> int | None:
    """A port as an int; int64 fields may arrive as JSON strings."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 65536 else None


def _declared_ports(definition: dict[str, Any]) -> tuple[set[int], list[str]]:
    ports: set[int] = set()
    problems = []
    for entry in definition.get("ports") or []:
        number = _port_number(entry.get("port"))
        if number is None:
            problems.append(f"port {entry.get('port')!r} is not a TCP port number")
            continue
        protocol = entry.get("protocol", "http")
        if protocol not in PROTOCOLS:
            problems.append(f"port {number} has unknown protocol {protocol!r}")
        ports.add(number)
    return ports, problems


def _route_problems(definition: dict[str, Any], ports: set[int]) -> list[str]:
    problems = []
    for route in definition.get("routes") or []:
        number = _port_number(route.get("port"))
        if number not in ports:
            problems.append(
                f"route {route.get('path', '/')} uses port {route.get('port')}, "
                f"which is not among ports {sorted(ports)}"
            )
    return problems


def _health_check_problems(definition: dict[str, Any], ports: set[int]) -> list[str]:
    problems = []
    for check in definition.get("health_checks") or []:
        kinds = [kind for kind in ("http", "tcp") if check.get(kind)]
        if len(kinds) != 1:
            problems.append("a health check needs exactly one of http or tcp")
            continue
        probe = check[kinds[0]]
        number = _port_number(probe.get("port"))
        if number not in ports:
            problems.append(
                f"{kinds[0]} health check port {probe.get('port')} is not among "
                f"ports {sorted(ports)}"
            )
        if kinds[0] == "http" and not str(probe.get("path", "")).startswith("/"):
            problems.append(f"http health check path {probe.get('path')!r} needs '/'")
    return problems


def _env_problems(definition: dict[str, Any]) -> list[str]:
    problems = []
    seen: set[str] = set()
    for entry in definition.get("env") or []:
        key = entry.get("key") or ""
        has_secret = bool(entry.get("secret"))
        has_value = entry.get("value") is not None and not (
            has_secret and entry.get("value") == ""
        )
        if not key:
            problems.append("an env entry has no key")
        elif key in seen:
            problems.append(f"env {key} is set twice")
        seen.add(key)
        if has_value and has_secret:
            problems.append(f"env {key} has both a value and a secret")
        elif not has_value and not has_secret:
            problems.append(f"env {key} has neither a value nor a secret")
    return problems
