"""How each change moves a secret's versions, as pure plans (no keyring needed)."""

from __future__ import annotations

import pytest

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.versions import (
    SecretRecord,
    plan_begin,
    plan_cancel,
    plan_finish,
    plan_set,
)


def _entries(record: SecretRecord) -> dict[str, str]:
    return {version: stored.entry for version, stored in record.versions.items()}


def test_new_values_go_to_fresh_entries_and_the_oldest_is_retired() -> None:
    first = plan_set(None, "TOKEN", Secret("value-one"), "fp:1")
    assert first is not None and first.entry == "TOKEN@v1"
    second = plan_set(first.record, "TOKEN", Secret("value-two"), "fp:2")
    assert second is not None
    third = plan_set(second.record, "TOKEN", Secret("value-three"), "fp:3")
    assert third is not None

    assert third.entry == "TOKEN@v3"
    assert _entries(third.record) == {"current": "TOKEN@v3", "previous": "TOKEN@v2"}
    assert third.record.retired == ("TOKEN@v1",)
    assert plan_set(third.record, "TOKEN", Secret("value-three"), "fp:3") is None


def test_rotation_plans_move_pending_to_current() -> None:
    start = plan_set(None, "TOKEN", Secret("value-one"), "fp:1")
    assert start is not None
    begun = plan_begin(start.record, "TOKEN", Secret("value-two"), "fp:2")
    assert begun is not None and begun.entry == "TOKEN@v2"

    finished = plan_finish(begun.record, "TOKEN")
    cancelled = plan_cancel(begun.record)

    assert finished is not None and finished.entry is None
    assert _entries(finished.record) == {"current": "TOKEN@v2", "previous": "TOKEN@v1"}
    assert cancelled is not None
    assert _entries(cancelled.record) == {"current": "TOKEN@v1"}
    assert cancelled.record.retired == ("TOKEN@v2",)
    assert plan_finish(finished.record, "TOKEN", "fp:2") is None
    with pytest.raises(ShipyardError, match="no pending rotation"):
        plan_finish(finished.record, "TOKEN", "fp:9")


def test_record_survives_its_json_form() -> None:
    plan = plan_set(None, "TOKEN", Secret("value-one"), "fp:1")
    assert plan is not None
    begun = plan_begin(plan.record, "TOKEN", Secret("value-two"), "fp:2")
    assert begun is not None

    kept = SecretRecord.from_json(begun.record.to_json())

    assert kept.to_json() == begun.record.to_json()
    assert _entries(kept) == {"current": "TOKEN@v1", "pending": "TOKEN@v2"}
    assert "value-" not in str(begun.record.to_json())
