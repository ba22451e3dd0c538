"""A run whose process dies leaves a readable journal: `resume` finishes it, `abort`
undoes it, and neither touches a run that finished or belongs elsewhere."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Callable
from pathlib import Path
from subprocess import Popen

import pytest
from pipeline_world import ENV, calls, file_step, three_files

from shipyard.errors import ShipyardError
from shipyard.journal import Journal
from shipyard.pipeline import Context, Plan, Step, abort, resume, run

Start = Callable[[], Popen[str]]


def kill_hard(process: Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def cut_off_in_step_a(root: Path, world: Path) -> Journal:
    """The journal a process leaves when it dies during step a of three_files."""
    journal = Journal.new("demo", ENV, root=root)
    journal.begin(three_files(world).header())
    journal.write("started", step="a")
    return journal


def test_hard_kill_leaves_a_readable_unfinished_journal(
    root: Path, world: Path, paused_run: Start
) -> None:
    kill_hard(paused_run())

    journal = Journal.latest_unfinished(ENV, root=root)

    assert journal is not None and not journal.finished
    assert [(r["step"], r["event"]) for r in journal.records] == [
        (None, "run_started"),
        ("a", "started"),
        ("a", "done"),
        ("b", "started"),
    ]
    assert journal.cut_off_steps() == ["b"]


def test_resume_after_hard_kill_skips_done_steps_and_finishes(
    root: Path, world: Path, paused_run: Start
) -> None:
    kill_hard(paused_run())
    journal = Journal.latest_unfinished(ENV, root=root)
    assert journal is not None
    ctx = Context(ENV)

    result = resume(three_files(world), journal, ctx)

    assert result.ok and result.completed == ["a", "b", "c"]
    assert calls(world) == ["do a", "do b", "do b", "do c"]
    assert ctx.facts["a"] == {"file": str(world / "a.txt")}
    assert all((world / f"{name}.txt").exists() for name in "abc")
    assert Journal.load(journal.run_id, root=root).outcome == "succeeded"
    assert Journal.latest_unfinished(ENV, root=root) is None


def test_abort_after_hard_kill_undoes_done_steps_in_reverse(
    root: Path, world: Path, paused_run: Start
) -> None:
    kill_hard(paused_run())
    journal = Journal.latest_unfinished(ENV, root=root)
    assert journal is not None

    result = abort(three_files(world), journal, Context(ENV))

    assert result.outcome == "rolled_back"
    assert result.undone == ["a"]
    assert calls(world)[-1] == "undo a" and not (world / "a.txt").exists()
    assert result.failed_step == "b"
    assert any(line.startswith("b (create ") for line in result.attention)
    assert Journal.load(journal.run_id, root=root).finished


def test_sigterm_during_step_counts_as_failure_and_compensates(
    root: Path, world: Path, paused_run: Start
) -> None:
    process = paused_run()

    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=15)

    result = json.loads(output)
    assert result["outcome"] == "rolled_back" and result["interrupted"]
    assert result["error"] == "interrupted (SIGTERM)"
    assert result["undone"] == ["a"] and not (world / "a.txt").exists()
    journal = Journal.load(result["run_id"], root=root)
    assert ("b", "interrupted") in [(r["step"], r["event"]) for r in journal.records]
    assert journal.finished


def test_resume_and_abort_refuse_a_finished_run(root: Path, world: Path) -> None:
    journal = Journal.new("demo", ENV, root=root)
    run(three_files(world), journal=journal, ctx=Context(ENV))

    with pytest.raises(ShipyardError, match="already finished .succeeded."):
        resume(three_files(world), journal, Context(ENV))
    with pytest.raises(ShipyardError, match="nothing to abort"):
        abort(three_files(world), journal, Context(ENV))


def test_resume_and_abort_refuse_a_run_of_another_environment(
    root: Path, world: Path
) -> None:
    journal = cut_off_in_step_a(root, world)
    staging = three_files(world, env="staging")

    with pytest.raises(ShipyardError, match="belongs to environment sandbox"):
        resume(staging, journal, Context("staging"))
    with pytest.raises(ShipyardError, match="--env=sandbox"):
        abort(staging, journal, Context("staging"))


def test_resume_refuses_a_plan_with_other_steps(root: Path, world: Path) -> None:
    journal = cut_off_in_step_a(root, world)
    other = Plan("demo", ENV, [file_step(world, "a"), file_step(world, "z")])

    with pytest.raises(ShipyardError, match="had steps a, b, c"):
        resume(other, journal, Context(ENV))


def test_abort_finishes_an_undo_cut_off_by_a_second_interrupt(
    root: Path, world: Path
) -> None:
    presses = []

    def undo_until_pressed_again(ctx: Context, facts: dict[str, str]) -> None:
        if not presses:
            presses.append("second Ctrl-C")
            raise KeyboardInterrupt
        Path(facts["file"]).unlink()

    a = file_step(world, "a")
    b = Step(
        "b", "create b", do=file_step(world, "b").do, undo=undo_until_pressed_again
    )
    plan = Plan("demo", ENV, [a, b, file_step(world, "c", fails=True)])
    journal = Journal.new("demo", ENV, root=root)
    with pytest.raises(KeyboardInterrupt):
        run(plan, journal=journal, ctx=Context(ENV))
    stopped = Journal.load(journal.run_id, root=root)

    with pytest.raises(ShipyardError, match="was being undone"):
        resume(plan, stopped, Context(ENV))
    result = abort(plan, stopped, Context(ENV))

    assert result.outcome == "rolled_back" and result.undone == ["b", "a"]
    assert not (world / "a.txt").exists() and not (world / "b.txt").exists()


def test_journal_ignores_a_torn_last_line(root: Path, world: Path) -> None:
    journal = Journal.new("demo", ENV, root=root)
    run(three_files(world), journal=journal, ctx=Context(ENV))
    with journal.path.open("a", encoding="utf-8") as tail:
        tail.write('{"time": "2024-01-31T12:00:0')

    loaded = Journal.load(journal.run_id, root=root)

    assert loaded.records == journal.records


def test_latest_unfinished_picks_the_newest_run_of_the_environment(
    root: Path, world: Path
) -> None:
    older, newer, other = (
        Journal.new("demo", env, root=root) for env in (ENV, ENV, "staging")
    )
    for journal, env in ((older, ENV), (newer, ENV), (other, "staging")):
        journal.begin({"plan": "demo", "env": env, "steps": []})
        time.sleep(0.005)

    found = Journal.latest_unfinished(ENV, root=root)

    assert found is not None and found.run_id == newer.run_id
    assert Journal.latest_unfinished("prod", root=root) is None


def _self_undoing_b(world: Path, do_b: Callable | None = None) -> Plan:
    """Plan a, b where b's undo also covers a b that was cut off mid-way."""

    def undo_b(ctx: Context, facts: dict[str, str]) -> None:
        with (world / "undo_b.log").open("a", encoding="utf-8") as log:
            log.write(json.dumps(facts) + "\n")
        (world / "b.txt").unlink(missing_ok=True)

    b = Step("b", "create b", do=do_b or file_step(world, "b").do, undo=undo_b,
             undo_cut_off=True)
    return Plan("demo", ENV, [file_step(world, "a"), b],
                release_id="3f2a9c1-20240131T120000Z")


def test_abort_undoes_a_cut_off_step_whose_undo_covers_it(
    root: Path, world: Path
) -> None:
    plan = _self_undoing_b(world)
    journal = Journal.new("demo", ENV, root=root)
    journal.begin(plan.header())
    journal.write("started", step="a")
    (world / "a.txt").write_text("a", encoding="utf-8")
    journal.write("done", step="a", facts={"file": str(world / "a.txt")})
    journal.write("started", step="b")
    (world / "b.txt").write_text("half of b", encoding="utf-8")

    result = abort(plan, journal, Context(ENV))

    assert result.outcome == "rolled_back" and result.undone == ["b", "a"]
    assert (world / "undo_b.log").read_text(encoding="utf-8") == "{}\n"
    assert not (world / "a.txt").exists() and not (world / "b.txt").exists()
    assert result.attention == []


def test_interrupt_undoes_a_cut_off_step_whose_undo_covers_it(
    root: Path, world: Path
) -> None:
    def interrupted(ctx: Context) -> None:
        (world / "b.txt").write_text("half of b", encoding="utf-8")
        raise KeyboardInterrupt

    plan = _self_undoing_b(world, do_b=interrupted)

    result = run(plan, journal=Journal.new("demo", ENV, root=root), ctx=Context(ENV))

    assert result.interrupted and result.undone == ["b", "a"]
    assert not (world / "a.txt").exists() and not (world / "b.txt").exists()
