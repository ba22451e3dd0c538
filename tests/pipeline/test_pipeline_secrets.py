"""No secret value reaches the journal, the ledger, the audit log or a run's report,
whether a step returns it, raises it in an error, or an undo fails with it."""

from __future__ import annotations

from pathlib import Path

from pipeline_world import ENV

from shipyard.journal import Journal
from shipyard.ledger import FileLedger, Release
from shipyard.lock import FileLockStore
from shipyard.pipeline import Context, Plan, Step, run
from shipyard.redaction import Secret

SENTINEL = "sentinel-db-password-7Hq2"


def test_secret_value_never_reaches_journal_ledger_or_audit(root: Path) -> None:
    password = Secret(SENTINEL, name="DATABASE_PASSWORD")
    dsn = f"postgresql://app:{password.reveal()}@127.0.0.1:5432/app"

    def set_password(ctx: Context) -> dict[str, object]:
        return {"password": password, "dsn": dsn, "nested": [{"value": SENTINEL}]}

    def fail_loudly(ctx: Context) -> None:
        raise RuntimeError(f"login refused for {dsn}")

    def undo_loudly(ctx: Context, facts: dict[str, object]) -> None:
        raise RuntimeError(f"could not restore {SENTINEL}")

    plan = Plan(
        "rotate",
        ENV,
        [
            Step(
                "set", f"set the password on {dsn}", do=set_password, undo=undo_loudly
            ),
            Step("login", "log in", do=fail_loudly, changes_world=False),
        ],
    )
    journal = Journal.new("rotate", ENV, root=root)

    result = run(plan, journal=journal, ctx=Context(ENV))
    FileLedger.for_project(root).record(
        Release(
            id="3f2a9c1-20240131T120000Z",
            env=ENV,
            git_sha="3f2a9c1",
            notes=f"failed with {dsn}",
        )
    )
    store = FileLockStore.for_project(root)
    store.release(ENV, store.acquire(ENV, None, f"rotating {SENTINEL}", 60).token)

    assert result.outcome == "rollback_incomplete"
    written = {
        path: path.read_text()
        for path in (root / ".shipyard").rglob("*")
        if path.is_file()
    }
    assert {path.parent.name for path in written} >= {"runs", "ledger", ".shipyard"}
    assert (root / ".shipyard" / "audit.log") in written
    assert all(SENTINEL not in text for text in written.values())
    assert "****" in journal.path.read_text()
    assert SENTINEL not in "\n".join(result.summary()) + str(result.to_dict())
