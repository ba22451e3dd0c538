"""What a Koyeb stand-in container is given: its environment, ports and registry login.

See `koyeb_deploy` for why each deployment gets a loopback port of its own.
"""

from __future__ import annotations

from typing import Any

from shipyard.sandbox.koyeb_runner import RunnerError
from shipyard.sandbox.koyeb_state import Record, secret_by_name
from shipyard.sandbox.koyeb_validate import as_int


def declared_ports(definition: Record) -> list[int]:
    """The ports a definition declares, lowest first."""
    found = {as_int(p.get("port")) for p in definition.get("ports") or []}
    return sorted(p for p in found if p)


def port_map(definition: Record, loopback: int) -> dict[int, int]:
    """Where each declared port is reached on 127.0.0.1.

    The lowest declared port goes to the deployment's own loopback port, or
    to the definition's own PORT when it sets one; the others stay as they
    are.
    """
    ports = declared_ports(definition)
    if not ports:
        return {}
    mapping = {port: port for port in ports}
    forced = as_int(_plain_env(definition).get("PORT"))
    mapping[ports[0]] = forced if forced else loopback
    return mapping


def _plain_env(definition: Record) -> dict[str, str]:
    """The definition's variables that carry a value (not a secret)."""
    return {
        entry["key"]: str(entry.get("value", ""))
        for entry in definition.get("env") or []
        if not entry.get("secret")
    }


def container_env(context: Record, loopback: int) -> dict[str, str]:
    """The container's variables: the definition's, then PORT, HOST and KOYEB_*."""
    definition = context["definition"]
    env = {**_plain_env(definition), **context["secret_env"]}
    if declared_ports(definition):
        env.setdefault("PORT", str(loopback))
    env.setdefault("HOST", "127.0.0.1")
    env.setdefault("KOYEB_APP_NAME", context["app_name"])
    env.setdefault("KOYEB_SERVICE_NAME", context["service_name"])
    env.setdefault("KOYEB_DEPLOYMENT_ID", context["deployment_id"])
    env.setdefault("KOYEB_PUBLIC_DOMAIN", context["domain"])
    return env


def registry_auth(data: Record, definition: Record) -> dict[str, str] | None:
    """Registry credentials for the image, from its REGISTRY secret if named."""
    name = (definition.get("docker") or {}).get("image_registry_secret")
    if not name:
        return None
    secret = secret_by_name(data, name)
    if secret is None or secret["type"] != "REGISTRY":
        raise RunnerError(
            f"image registry secret {name!r} does not exist or is not a REGISTRY "
            "secret (create it, then redeploy)"
        )
    for key, settings in secret.items():
        if key.endswith("_registry") and isinstance(settings, dict):
            auth = {
                "username": settings.get("username", ""),
                "password": settings.get("password", ""),
            }
            if settings.get("url"):
                auth["serveraddress"] = settings["url"]
            return auth
    return None


def context_of(data: Record, deployment_id: str) -> Record:
    """What a deployment needs from the model, resolved once (secrets too)."""
    deployment = data["deployments"][deployment_id]
    service = data["services"][deployment["service_id"]]
    app = data["apps"][deployment["app_id"]]
    definition = deployment["definition"]
    return {
        "definition": definition,
        "app_id": app["id"],
        "app_name": app["name"],
        "service_id": service["id"],
        "service_name": service["name"],
        "deployment_id": deployment_id,
        "domain": f"127.0.0.1:{app.get('_relay_port')}",
        "auth": registry_auth(data, definition),
        "secret_env": _secret_env(data, definition),
    }


def _secret_env(data: Record, definition: Record) -> dict[str, str]:
    """The definition's secret-backed variables, with their current values."""
    by_name = {s["name"]: s for s in data["secrets"].values()}
    values = {}
    for entry in definition.get("env") or []:
        name = entry.get("secret")
        if not name:
            continue
        secret = by_name.get(name)
        if secret is None or secret["type"] != "SIMPLE":
            raise RunnerError(
                f"environment variable {entry['key']} needs secret {name!r}, which "
                "does not exist (create it, then redeploy)"
            )
        values[entry["key"]] = secret.get("_value", "")
    return values


def command_of(docker: dict[str, Any]) -> list[str] | None:
    """The container command: `command` followed by `args`, if either is set."""
    command = [docker["command"]] if docker.get("command") else []
    return (command + list(docker.get("args") or [])) or None


def with_hint(failure: str, definition: Record, env: dict[str, str], ports: Any) -> str:
    """A health-check failure, with what the app must do about it."""
    if "got no answer" not in failure or not ports:
        return failure
    declared = min(ports)
    if any(e.get("key") == "PORT" for e in definition.get("env") or []):
        return (
            f"{failure}; the definition sets PORT={env.get('PORT')}, so the app must "
            f"listen there and no other deployment may hold that port"
        )
    return (
        f"{failure}; the app must listen on $PORT={ports[declared]} "
        f"(the sandbox's stand-in for declared port {declared})"
    )
