"""Pushing images to an OCI registry and naming them by digest.

The push goes through the Docker engine, with credentials handed over in the
API's auth header, never on a command line. The digest it reports is then
checked against the registry's own HTTP API, since deploys refer to it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shipyard.addresses import is_loopback
from shipyard.errors import ShipyardError
from shipyard.providers.docker_engine import engine_client
from shipyard.redaction import Secret

PUSH_TIMEOUT = 1800
HTTP_TIMEOUT = 15.0
DOCKER_HUB = "docker.io"
DOCKER_HUB_API = "registry-1.docker.io"
MANIFEST_TYPES = (
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)

Credentials = tuple[str, Secret]


@dataclass(frozen=True)
class LayerProgress:
    """One update of a push: a layer, what happens to it, and bytes sent so far."""

    layer: str
    status: str
    current: int
    total: int | None


def split_repository(repository_with_registry: str) -> tuple[str, str]:
    """(registry, repository) of a name such as 127.0.0.1:5000/team/app.

    A first part without a dot, colon or the name localhost is a Docker Hub
    namespace, as the Docker CLI reads it.
    """
    first, _, rest = repository_with_registry.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        return first, rest
    return DOCKER_HUB, repository_with_registry


def image_ref(registry: str, repository: str, digest: str) -> str:
    """registry/repository@sha256:…, the only form deploys refer to an image by."""
    if not digest.startswith("sha256:"):
        raise ShipyardError(f"{digest!r} is not an image digest (sha256:…)")
    return f"{registry}/{repository}@{digest}"


def registry_url(registry: str) -> str:
    """The base URL of a registry's HTTP API: plain HTTP on loopback, else HTTPS."""
    if registry.startswith(("http://", "https://")):
        return registry.rstrip("/")
    if registry in (DOCKER_HUB, "index.docker.io"):
        return f"https://{DOCKER_HUB_API}"
    if is_loopback(registry):
        return f"http://{registry}"
    return f"https://{registry}"


def push_image(
    repository_with_registry: str,
    tag: str,
    *,
    credentials: Credentials | None = None,
    on_progress: Callable[[LayerProgress], None] | None = None,
) -> str:
    """Push repository:tag and return the digest the registry now holds.

    Raises ShipyardError on the first error the push reports, and when the
    registry does not answer for the digest afterwards.
    """
    import docker
    import requests

    registry, repository = split_repository(repository_with_registry)
    auth = _auth_config(credentials)
    client = engine_client(timeout=PUSH_TIMEOUT)
    try:
        stream = client.api.push(
            repository_with_registry,
            tag=tag,
            stream=True,
            decode=True,
            auth_config=auth,
        )
        digest = _follow(stream, registry, on_progress or (lambda event: None))
    except docker.errors.APIError as exc:
        raise _refused(registry, str(exc.explanation or exc)) from None
    except requests.exceptions.RequestException as exc:
        raise ShipyardError(
            f"the Docker engine stopped answering during the push to {registry} "
            f"({type(exc).__name__}): check dockerd"
        ) from None
    finally:
        client.close()

    if not digest:
        raise ShipyardError(
            f"push to {registry} finished without a digest: check the registry log"
        )
    verify_digest(registry, repository, digest, credentials=credentials)
    return digest


def verify_digest(
    registry: str,
    repository: str,
    digest: str,
    *,
    credentials: Credentials | None = None,
) -> None:
    """Ask the registry whether it serves repository@digest; ShipyardError if not."""
    import httpx

    from shipyard.providers.registry_auth import RegistryAuth

    if registry == DOCKER_HUB and "/" not in repository:
        repository = f"library/{repository}"
    url = f"{registry_url(registry)}/v2/{repository}/manifests/{digest}"
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT, auth=RegistryAuth(credentials)) as http:
            answer = http.head(url, headers={"Accept": ", ".join(MANIFEST_TYPES)})
    except httpx.TransportError as exc:
        raise ShipyardError(
            f"cannot reach {registry} to check {digest} ({type(exc).__name__}): "
            "check the registry address"
        ) from None
    if answer.status_code in (401, 403):
        raise ShipyardError(
            f"{registry} refused to show {repository}@{digest} "
            f"({answer.status_code}): check the registry credentials"
        )
    served = answer.headers.get("docker-content-digest", digest)
    if answer.status_code != 200 or served != digest:
        raise ShipyardError(
            f"{registry} does not serve {repository}@{digest} after the push "
            f"(answered {answer.status_code}): check the registry's storage"
        )


def registry_reachable(registry: str) -> str | None:
    """None when a registry API answers at `registry`, else a one-line reason."""
    import httpx

    url = f"{registry_url(registry)}/v2/"
    try:
        answer = httpx.get(url, timeout=HTTP_TIMEOUT)
    except httpx.TransportError as exc:
        return (
            f"no registry answers at {url} ({type(exc).__name__}): start it "
            "(inv sandbox.up) or check REGISTRY"
        )
    if answer.status_code in (200, 401):
        return None
    return f"{url} answered {answer.status_code}, not a registry: check REGISTRY"


def _follow(
    stream: Any, registry: str, on_progress: Callable[[LayerProgress], None]
) -> str:
    digest = ""
    for event in stream:
        if event.get("error") or event.get("errorDetail"):
            detail = event.get("errorDetail") or {}
            raise _refused(registry, str(event.get("error") or detail.get("message")))
        aux = event.get("aux")
        if isinstance(aux, dict) and aux.get("Digest"):
            digest = str(aux["Digest"])
        if event.get("id") and event.get("status"):
            sent = event.get("progressDetail") or {}
            on_progress(
                LayerProgress(
                    layer=str(event["id"]),
                    status=str(event["status"]),
                    current=int(sent.get("current") or 0),
                    total=int(sent["total"]) if sent.get("total") else None,
                )
            )
    return digest


def _refused(registry: str, reason: str) -> ShipyardError:
    line = (reason.strip().splitlines() or ["no reason given"])[0]
    lowered = line.lower()
    if "does not exist locally" in lowered:
        return ShipyardError(f"nothing to push to {registry}: {line}; build it first")
    login_words = ("unauthorized", "denied", "authentication", "credentials")
    if any(word in lowered for word in login_words):
        hint = "check REGISTRY_USERNAME and the REGISTRY_PASSWORD secret"
    else:
        hint = "check REGISTRY and that the registry is running"
    return ShipyardError(f"push to {registry} refused: {line}; {hint}")


def _auth_config(credentials: Credentials | None) -> dict[str, str] | None:
    if credentials is None:
        return None
    username, password = credentials
    return {"username": username, "password": password.reveal()}
