"""The CI store: secrets from the environment, read-only, with keyring fingerprints."""

from __future__ import annotations

from typing import Any

import pytest

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.keyring_store import KeyringStore
from shipyard.secrets.store import EnvStore, open_versioned_store


def test_env_store_refuses_every_change(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DB_PASSWORD", "from-the-ci-secrets")
    store = EnvStore()

    changes = [
        lambda: store.set("DB_PASSWORD", Secret("new-value-1")),
        lambda: store.begin_rotation("DB_PASSWORD", Secret("new-value-1")),
        lambda: store.finish_rotation("DB_PASSWORD"),
        lambda: store.cancel_rotation("DB_PASSWORD"),
    ]
    for change in changes:
        with pytest.raises(ShipyardError, match="SECRET_STORE=env is read-only"):
            change()

    assert store.get("DB_PASSWORD") == Secret("from-the-ci-secrets")
    assert store.get_version("DB_PASSWORD", "current") == Secret("from-the-ci-secrets")
    assert store.get_version("DB_PASSWORD", "previous") is None


def test_ci_fingerprints_match_the_keyring_with_the_copied_key(
    store: KeyringStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DB_PASSWORD", "same-value-everywhere")
    monkeypatch.delenv("SHIPYARD_FINGERPRINT_KEY", raising=False)
    ci = EnvStore()

    with pytest.raises(ShipyardError, match="SHIPYARD_FINGERPRINT_KEY is not set"):
        ci.fingerprint(Secret("same-value-everywhere"))
    assert [
        info.versions["current"].fingerprint for info in ci.list(("DB_PASSWORD",))
    ] == [None]

    monkeypatch.setenv("SHIPYARD_FINGERPRINT_KEY", store.fingerprint_key().reveal())
    listed = ci.list(("DB_PASSWORD", "NOT_SET"))

    assert [info.name for info in listed] == ["DB_PASSWORD"]
    expected = store.fingerprint(Secret("same-value-everywhere"))
    assert listed[0].versions["current"].fingerprint == expected


def test_sandbox_store_keeps_versions_in_a_private_file(
    tmp_path: Any, monkeypatch: Any
) -> None:
    monkeypatch.setenv("SHIPYARD_SANDBOX_DIR", str(tmp_path))
    sandbox: Any = open_versioned_store("sandbox", "demo", "sandbox")
    sandbox.put("TOKEN", Secret("first-throwaway-value"))
    sandbox.begin_rotation("TOKEN", Secret("second-throwaway-value"))
    sandbox.finish_rotation("TOKEN")

    assert sandbox.get("TOKEN") == Secret("second-throwaway-value")
    assert sandbox.get_version("TOKEN", "previous") == Secret("first-throwaway-value")
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600

    store: Any = open_versioned_store("keyring", "demo", "prod")
    assert isinstance(store, KeyringStore) and store.service == "shipyard:demo:prod"
