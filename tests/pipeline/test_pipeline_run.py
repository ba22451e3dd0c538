"""Running a plan: every step journaled before and after; a failure undoes the
finished steps newest first and says exactly what it undid and what it could not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline_world import ENV, calls, file_step, note, three_files

from shipyard.audit import AuditLog
from shipyard.journal import Journal
from shipyard.pipeline import Context, Plan, Step, run


def events_of(journal: Journal) -> list[tuple[str | None, str]]:
    """(step, event) of each record of the journal, read back from disk."""
    on_disk = Journal.load(journal.run_id, root=journal.state_dir.parent)
    return [(record["step"], record["event"]) for record in on_disk.records]


def new_journal(root: Path) -> Journal:
    return Journal.new("demo", ENV, root=root)


def test_successful_run_journals_each_step_before_and_after(
    root: Path, world: Path
) -> None:
    journal = new_journal(root)

    result = run(three_files(world), journal=journal, ctx=Context(ENV))

    assert result.ok and result.completed == ["a", "b", "c"]
    assert events_of(journal) == [
        (None, "run_started"),
        ("a", "started"),
        ("a", "done"),
        ("b", "started"),
        ("b", "done"),
        ("c", "started"),
        ("c", "done"),
        (None, "run_finished"),
    ]
    done = Journal.load(journal.run_id, root=root).done_facts()
    assert done["b"] == {"file": str(world / "b.txt")}
    assert journal.path == root / ".shipyard" / "runs" / f"{journal.run_id}.jsonl"
    assert all(r["time"].endswith("Z") for r in journal.records)


def test_failing_third_step_undoes_second_and_first_in_reverse(
    root: Path, world: Path
) -> None:
    plan = Plan(
        "demo",
        ENV,
        [
            file_step(world, "a"),
            file_step(world, "b"),
            file_step(world, "c", fails=True),
        ],
    )
    journal = new_journal(root)

    result = run(plan, journal=journal, ctx=Context(ENV))

    assert result.outcome == "rolled_back"
    assert result.failed_step == "c"
    assert result.error == "RuntimeError: c could not be created"
    assert result.undone == ["b", "a"]
    assert calls(world) == ["do a", "do b", "do c", "undo b", "undo a"]
    assert not (world / "a.txt").exists() and not (world / "b.txt").exists()
    assert events_of(journal)[5:] == [
        ("c", "started"),
        ("c", "failed"),
        ("b", "undoing"),
        ("b", "undone"),
        ("a", "undoing"),
        ("a", "undone"),
        (None, "run_finished"),
    ]
    summary = "\n".join(result.summary())
    assert "step 'c' failed: RuntimeError: c could not be created" in summary
    assert "undone, newest first: b, a" in summary


def test_failing_undo_is_reported_and_other_undos_still_run(
    root: Path, world: Path
) -> None:
    plan = Plan(
        "demo",
        ENV,
        [
            file_step(world, "a"),
            file_step(world, "b", undo_fails=True),
            file_step(world, "c", fails=True),
        ],
    )
    journal = new_journal(root)

    result = run(plan, journal=journal, ctx=Context(ENV))

    assert result.outcome == "rollback_incomplete"
    assert result.undone == ["a"]
    assert [f.step for f in result.undo_failures] == ["b"]
    assert result.undo_failures[0].error == "OSError: b is in use"
    assert str(world / "b.txt") in result.undo_failures[0].advice
    assert (world / "b.txt").exists() and not (world / "a.txt").exists()
    assert ("b", "undo_failed") in events_of(journal)
    assert any("could not undo 'b'" in line for line in result.summary())
    assert journal.records[-1]["facts"]["undo_failed"] == ["b"]


def test_failure_before_any_world_change_undoes_nothing(
    root: Path, world: Path
) -> None:
    check = Step(
        "check",
        "read settings",
        do=lambda ctx: {"ok": True},
        undo=lambda ctx, facts: note(world, "undo check"),
        changes_world=False,
    )
    plan = Plan("demo", ENV, [check, file_step(world, "a", fails=True)])

    result = run(plan, journal=new_journal(root), ctx=Context(ENV))

    assert result.outcome == "failed"
    assert result.undone == [] and calls(world) == ["do a"]


def test_step_without_undo_is_reported_as_left_in_place(
    root: Path, world: Path
) -> None:
    backup = Step(
        "backup",
        "dump the database",
        do=lambda ctx: {"backup_id": "b1"},
        why_no_undo="an extra backup harms nothing",
    )
    plan = Plan(
        "demo", ENV, [file_step(world, "a"), backup, file_step(world, "c", fails=True)]
    )

    result = run(plan, journal=new_journal(root), ctx=Context(ENV))

    assert result.outcome == "rolled_back"
    assert result.undone == ["a"]
    assert result.kept == ["backup: an extra backup harms nothing"]


def test_ctrl_c_during_step_counts_as_failure_and_compensates(
    root: Path, world: Path
) -> None:
    def press_ctrl_c(ctx: Context) -> None:
        raise KeyboardInterrupt

    stuck = Step(
        "wait", "wait for health", do=press_ctrl_c, undo=lambda ctx, facts: None
    )
    plan = Plan("demo", ENV, [file_step(world, "a"), stuck])
    journal = new_journal(root)

    result = run(plan, journal=journal, ctx=Context(ENV))

    assert result.interrupted and result.outcome == "rolled_back"
    assert result.failed_step == "wait" and result.error == "interrupted (Ctrl-C)"
    assert ("wait", "interrupted") in events_of(journal)
    assert result.undone == ["a"] and not (world / "a.txt").exists()
    assert any("wait for health" in line for line in result.attention)


def test_later_steps_read_facts_of_earlier_ones(root: Path) -> None:
    seen: list[Any] = []
    push = Step(
        "push",
        "push image",
        do=lambda ctx: {"digest": "sha256:abc"},
        undo=lambda ctx, facts: None,
    )
    deploy = Step(
        "deploy",
        "deploy image",
        do=lambda ctx: seen.append(ctx.fact("push", "digest")),
        undo=lambda ctx, facts: None,
    )

    result = run(
        Plan("demo", ENV, [push, deploy]), journal=new_journal(root), ctx=Context(ENV)
    )

    assert result.ok and seen == ["sha256:abc"]
    assert result.facts == {"push": {"digest": "sha256:abc"}, "deploy": {}}


def test_each_world_change_and_undo_gets_one_audit_line(
    root: Path, world: Path
) -> None:
    check = Step("check", "read settings", do=lambda ctx: None, changes_world=False)
    plan = Plan(
        "demo", ENV, [check, file_step(world, "a"), file_step(world, "b", fails=True)]
    )

    run(plan, journal=new_journal(root), ctx=Context(ENV))

    entries = AuditLog.for_project(root).entries()
    assert [e.what.split(": ", 1)[1].split(" (")[0] for e in entries] == [
        "a done",
        "a undone",
    ]
    assert all(e.env == ENV and "@" in e.who and e.when.endswith("Z") for e in entries)


def test_on_event_sees_every_journal_record(root: Path, world: Path) -> None:
    seen: list[dict[str, Any]] = []
    journal = new_journal(root)

    run(three_files(world), journal=journal, ctx=Context(ENV), on_event=seen.append)

    assert seen == journal.records == Journal.load(journal.run_id, root=root).records
