"""The sandbox store keeps versions like the keyring, in a private JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from shipyard.redaction import Secret
from shipyard.secrets.sandbox_store import SandboxStore


def test_values_written_before_versions_existed_read_as_current(
    tmp_path: Path,
) -> None:
    (tmp_path / "secrets.json").write_text(json.dumps({"KOYEB_TOKEN": "old-token-1"}))
    store = SandboxStore(tmp_path)

    assert store.get("KOYEB_TOKEN") == Secret("old-token-1")
    store.put("KOYEB_TOKEN", Secret("new-token-2"))

    assert store.get("KOYEB_TOKEN") == Secret("new-token-2")
    assert store.get_version("KOYEB_TOKEN", "previous") == Secret("old-token-1")


def test_rotation_moves_pending_to_current_in_a_file_only_its_owner_reads(
    tmp_path: Path,
) -> None:
    store = SandboxStore(tmp_path)
    store.put("DJANGO_SECRET_KEY", Secret("first-key-value"))

    mark = store.begin_rotation("DJANGO_SECRET_KEY", Secret("second-key-value"))
    assert store.get("DJANGO_SECRET_KEY") == Secret("first-key-value")
    store.finish_rotation("DJANGO_SECRET_KEY", mark)
    store.finish_rotation("DJANGO_SECRET_KEY", mark)

    assert store.get("DJANGO_SECRET_KEY") == Secret("second-key-value")
    assert store.get_version("DJANGO_SECRET_KEY", "previous") == Secret(
        "first-key-value")
    assert store.get_version("DJANGO_SECRET_KEY", "pending") is None
    assert (tmp_path / "secrets.json").stat().st_mode & 0o777 == 0o600
    assert [info.name for info in store.list()] == ["DJANGO_SECRET_KEY"]
