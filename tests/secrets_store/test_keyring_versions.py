"""The versioned keyring store against a real gnome-keyring Secret Service."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.keyring_store import KeyringStore
from tests.secrets_store.keyring_session import keyring_entries


def test_set_then_get_returns_the_value(store: KeyringStore) -> None:
    store.set("DATABASE_PASSWORD", Secret("first-value-123"))

    assert store.get("DATABASE_PASSWORD") == Secret("first-value-123")
    assert store.get_version("DATABASE_PASSWORD", "previous") is None
    assert store.get("OTHER_SECRET") is None


def test_setting_again_keeps_the_old_value_as_previous(store: KeyringStore) -> None:
    store.set("API_TOKEN", Secret("token-one-aaaa"))
    store.set("API_TOKEN", Secret("token-two-bbbb"))
    store.set("API_TOKEN", Secret("token-three-cc"))

    assert store.get("API_TOKEN") == Secret("token-three-cc")
    assert store.get_version("API_TOKEN", "previous") == Secret("token-two-bbbb")
    assert keyring_entries(store.service) == {
        "@index",
        "API_TOKEN@meta",
        "API_TOKEN@v2",
        "API_TOKEN@v3",
    }


def test_a_store_opened_again_reads_what_another_wrote(
    store: KeyringStore, backend: Any
) -> None:
    store.set("API_TOKEN", Secret("written-by-one"))

    again = KeyringStore(store.project, store.env, backend=backend)

    assert again.get("API_TOKEN") == Secret("written-by-one")
    assert (
        KeyringStore(store.project, "staging", backend=backend).get("API_TOKEN") is None
    )


def test_rotation_keeps_current_readable_until_it_finishes(store: KeyringStore) -> None:
    store.set("DB_PASSWORD", Secret("old-password-1"))

    store.begin_rotation("DB_PASSWORD", Secret("new-password-2"))
    assert store.get("DB_PASSWORD") == Secret("old-password-1")
    assert store.get_version("DB_PASSWORD", "pending") == Secret("new-password-2")

    store.finish_rotation("DB_PASSWORD")
    assert store.get("DB_PASSWORD") == Secret("new-password-2")
    assert store.get_version("DB_PASSWORD", "previous") == Secret("old-password-1")
    assert store.get_version("DB_PASSWORD", "pending") is None


def test_finished_rotation_reopened_then_cancelled_puts_the_old_value_back(
    store: KeyringStore,
) -> None:
    store.set("DB_PASSWORD", Secret("old-password-1"))
    mark = store.begin_rotation("DB_PASSWORD", Secret("new-password-2"))
    store.finish_rotation("DB_PASSWORD", mark)

    assert store.reopen_rotation("DB_PASSWORD", mark) is True
    assert store.get("DB_PASSWORD") == Secret("old-password-1")
    assert store.get_version("DB_PASSWORD", "pending") == Secret("new-password-2")
    assert store.reopen_rotation("DB_PASSWORD", mark) is False

    store.cancel_rotation("DB_PASSWORD")
    assert store.get("DB_PASSWORD") == Secret("old-password-1")
    assert store.get_version("DB_PASSWORD", "pending") is None
    other = store.fingerprint(Secret("some-other-value"))
    assert store.reopen_rotation("DB_PASSWORD", other) is False
    assert store.get("DB_PASSWORD") == Secret("old-password-1")


def test_cancelled_rotation_leaves_current_and_drops_pending(
    store: KeyringStore,
) -> None:
    store.set("DB_PASSWORD", Secret("old-password-1"))
    store.begin_rotation("DB_PASSWORD", Secret("new-password-2"))

    assert store.cancel_rotation("DB_PASSWORD") is True

    assert store.get("DB_PASSWORD") == Secret("old-password-1")
    assert store.get_version("DB_PASSWORD", "pending") is None
    assert store.cancel_rotation("DB_PASSWORD") is False
    assert keyring_entries(store.service) == {
        "@index",
        "DB_PASSWORD@meta",
        "DB_PASSWORD@v1",
    }


def test_rotation_rules_are_explained(store: KeyringStore) -> None:
    with pytest.raises(ShipyardError, match="no current value to rotate"):
        store.begin_rotation("DB_PASSWORD", Secret("pending-value"))
    store.set("DB_PASSWORD", Secret("old-password-1"))
    with pytest.raises(ShipyardError, match="no pending rotation to finish"):
        store.finish_rotation("DB_PASSWORD")

    store.begin_rotation("DB_PASSWORD", Secret("new-password-2"))
    store.begin_rotation("DB_PASSWORD", Secret("new-password-2"))
    with pytest.raises(ShipyardError, match="already has a pending value"):
        store.begin_rotation("DB_PASSWORD", Secret("another-value-3"))
    with pytest.raises(ShipyardError, match="is being rotated"):
        store.set("DB_PASSWORD", Secret("another-value-3"))
    with pytest.raises(ShipyardError, match="not valid"):
        store.set("not-a-name", Secret("another-value-3"))


def test_list_shows_versions_ages_and_fingerprints_but_no_values(
    store: KeyringStore,
) -> None:
    store.set("DB_PASSWORD", Secret("listed-value-1"))
    store.set("DB_PASSWORD", Secret("listed-value-2"))
    store.begin_rotation("DB_PASSWORD", Secret("listed-value-3"))
    store.set("API_TOKEN", Secret("listed-token-1"))

    listed = {info.name: info for info in store.list()}

    assert sorted(listed) == ["API_TOKEN", "DB_PASSWORD"]
    rotating = listed["DB_PASSWORD"]
    assert rotating.present == ("current", "previous", "pending")
    assert rotating.rotating and not listed["API_TOKEN"].rotating
    assert rotating.rotated_at is not None and rotating.age() is not None
    assert rotating.versions["current"].fingerprint == store.fingerprint(
        Secret("listed-value-2")
    )
    shown = repr(listed)
    for value in (
        "listed-value-1",
        "listed-value-2",
        "listed-value-3",
        "listed-token-1",
    ):
        assert value not in shown


def test_fingerprints_match_equal_values_and_reveal_nothing(
    store: KeyringStore, backend: Any
) -> None:
    same_project = KeyringStore(store.project, "staging", backend=backend)
    other_project = KeyringStore(store.project + "-other", "prod", backend=backend)

    first = store.fingerprint(Secret("shared-value-xyz"))

    assert first == same_project.fingerprint(Secret("shared-value-xyz"))
    assert first != store.fingerprint(Secret("shared-value-xyw"))
    assert first != other_project.fingerprint(Secret("shared-value-xyz"))
    assert "shared-value-xyz" not in first
    unkeyed = hashlib.sha256(b"shared-value-xyz").hexdigest()
    assert first.split(":", 1)[1] not in unkeyed
    assert "@fingerprint-key" in keyring_entries(f"shipyard:{store.project}")


def test_hand_made_entry_is_read_and_kept_as_previous(
    store: KeyringStore, backend: Any
) -> None:
    backend.set_password(store.service, "KOYEB_TOKEN", "typed-by-hand-1")

    assert store.get("KOYEB_TOKEN") == Secret("typed-by-hand-1")
    assert [info.versioned for info in store.list(("KOYEB_TOKEN",))] == [False]

    store.set("KOYEB_TOKEN", Secret("set-by-shipyard-2"))
    store.set("KOYEB_TOKEN", Secret("set-by-shipyard-3"))

    assert store.get_version("KOYEB_TOKEN", "previous") == Secret("set-by-shipyard-2")
    assert "KOYEB_TOKEN" not in keyring_entries(store.service)


def test_delete_removes_every_version(store: KeyringStore) -> None:
    store.set("DB_PASSWORD", Secret("to-delete-1"))
    store.set("DB_PASSWORD", Secret("to-delete-2"))
    store.begin_rotation("DB_PASSWORD", Secret("to-delete-3"))

    assert store.delete("DB_PASSWORD") is True

    assert store.get("DB_PASSWORD") is None
    assert store.list() == []
    assert keyring_entries(store.service) == {"@index"}
    assert store.delete("DB_PASSWORD") is False
