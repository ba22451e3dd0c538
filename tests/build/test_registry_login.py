"""Pushes to a registry that needs a login: the credentials reach it through
the engine's auth header, and the digest check logs in too."""

from __future__ import annotations

import secrets
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.docker_engine import build_image
from shipyard.providers.registry import push_image, verify_digest
from shipyard.redaction import Secret
from shipyard.sandbox.registry import RegistryProcess, start_registry, stop_registry

pytestmark = pytest.mark.integration

USER = "shipyard-ci"


def _bcrypt(password: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt

    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))


@pytest.fixture(scope="module")
def password() -> Secret:
    return Secret(secrets.token_urlsafe(18), "REGISTRY_PASSWORD")


@pytest.fixture(scope="module")
def locked_registry(
    tmp_path_factory: pytest.TempPathFactory, password: Secret
) -> Iterator[RegistryProcess]:
    state = tmp_path_factory.mktemp("locked-registry")
    htpasswd = state / "htpasswd"
    htpasswd.write_text(f"{USER}:{_bcrypt(password.reveal())}\n")
    running = start_registry(state, htpasswd=htpasswd)
    try:
        yield running
    finally:
        stop_registry(state)


@pytest.fixture(scope="module")
def small_image(
    engine: Any,
    locked_registry: RegistryProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    context = tmp_path_factory.mktemp("small-image")
    (context / "Dockerfile").write_text("FROM scratch\nCOPY release.txt /\n")
    (context / "release.txt").write_text(secrets.token_hex(16))
    repository = f"{locked_registry.address}/team/small"
    image = build_image(context, repository=repository, tag="f" * 40)
    yield repository, image.tag
    engine.images.remove(image.ref)


def test_push_with_credentials_returns_a_digest_the_registry_serves(
    small_image: tuple[str, str], locked_registry: RegistryProcess, password: Secret
) -> None:
    repository, tag = small_image

    digest = push_image(repository, tag, credentials=(USER, password))

    anonymous = httpx.head(f"{locked_registry.url}/v2/team/small/manifests/{digest}")
    assert anonymous.status_code == 401
    verify_digest(locked_registry.address, "team/small", digest,
                  credentials=(USER, password))  # fmt: skip


def test_push_without_credentials_is_refused_in_one_line(
    small_image: tuple[str, str], locked_registry: RegistryProcess
) -> None:
    repository, tag = small_image

    with pytest.raises(ShipyardError) as raised:
        push_image(repository, tag, credentials=None)

    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"push to {locked_registry.address} refused: ")
    assert message.endswith("check REGISTRY_USERNAME and the REGISTRY_PASSWORD secret")


def test_wrong_password_is_refused_and_never_shown(
    small_image: tuple[str, str], locked_registry: RegistryProcess
) -> None:
    repository, tag = small_image
    wrong = Secret(secrets.token_urlsafe(18))

    with pytest.raises(ShipyardError) as raised:
        push_image(repository, tag, credentials=(USER, wrong))

    assert "REGISTRY_PASSWORD" in str(raised.value)
    assert wrong.reveal() not in str(raised.value)


def test_digest_check_names_a_digest_the_registry_lacks(
    locked_registry: RegistryProcess, password: Secret
) -> None:
    missing = "sha256:" + "0" * 64
    with pytest.raises(ShipyardError, match="does not serve team/small@sha256:0+"):
        verify_digest(locked_registry.address, "team/small", missing,
                      credentials=(USER, password))  # fmt: skip
