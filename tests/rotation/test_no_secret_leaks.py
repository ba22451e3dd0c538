"""No secret value reaches output, records, logs, errors or a child's argv.

The session's release and pushes ran with sentinel values (conftest.py);
this test adds a rotation bringing a sentinel password on stdin and a
rotation that fails, then looks for every value the keyring holds (current,
previous and pending of every secret, the rotated ones included) in: stdout
and stderr of every `inv` run of the session, the argv of every process
those runs started, the journals, the ledger, the audit log and lock
files, and every log file under .shipyard/. The stand-ins' own state files
(which hold values by design, as the services they stand in for do) and the
sandbox store are not records Shipyard writes about a run, so they are left
out.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rotation.conftest import SENTINEL, sentinel
from tests.rotation.world import World, assert_db_consistent

pytestmark = pytest.mark.integration
STATE_FOLDERS = ("koyeb", "netlify", "github", "registry")


def _known_values(world: World) -> set[str]:
    store = world.store()
    names = {info.name for info in store.list()}
    found = set()
    for name in names:
        for version in ("current", "previous", "pending"):
            value = store.get_version(name, version)  # type: ignore[arg-type]
            if value is not None:
                found.add(value.reveal())
    found |= {_password(value) for value in found if "://" in value}
    return {value for value in found if value and len(value) >= 8}


def _password(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).password or "")


def _records(root: Path) -> list[Path]:
    state = root / ".shipyard"
    files = [p for p in state.rglob("*") if p.is_file()]
    kept = []
    for path in files:
        parts = path.relative_to(state).parts
        if parts[0] == "sandbox" and len(parts) > 2 and parts[1] in STATE_FOLDERS:
            continue
        if parts[-1] == "secrets.json" or (parts[0] == "sandbox" and
                                           parts[1] == "postgres"
                                           and not parts[-1].endswith(".log")):
            continue
        kept.append(path)
    return kept


def test_release_and_rotate_never_show_a_secret_value(world: World) -> None:
    brought = sentinel("Rotated")
    rotated = world.inv("rotate", "--env=sandbox", "--secret=DATABASE_PASSWORD",
                        "--from-stdin", stdin=brought + "\n")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert world.value("DATABASE_PASSWORD") == brought
    assert_db_consistent(world)
    failed = world.inv("rotate", "--env=sandbox", "--secret=WEBHOOK_SIGNING_KEY",
                       env={"SHIPYARD_FAIL_AT": "test_pending"})
    assert failed.returncode != 0

    values = _known_values(world)
    assert brought in values and sum(SENTINEL in v for v in values) >= 6
    released = [run for run in world.runs if "release" in run.stdout]
    assert released and any(run.argvs for run in world.runs)
    records = _records(world.root)
    assert any(p.name == "audit.log" for p in records)
    assert any(p.parent.name == "runs" for p in records)

    for number, run in enumerate(world.runs):
        for value in values:
            assert value not in run.stdout, f"run {number} printed a secret"
            assert value not in run.stderr, f"run {number} printed a secret to stderr"
            for argv in run.argvs:
                assert value not in argv, f"a child of run {number} got a secret: argv"
    for path in records:
        text = path.read_text(errors="replace")
        for value in values:
            assert value not in text, f"{path} holds a secret value"
