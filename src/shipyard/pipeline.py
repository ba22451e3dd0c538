"""The pipeline engine: runs a plan's steps in order, journals each one before and
after, and when a step fails undoes the finished ones newest first. `resume` and
`abort` pick up a run whose process was killed, from its journal."""

from __future__ import annotations

from shipyard import journal as events
from shipyard.errors import ShipyardError
from shipyard.executor import OnEvent, Runner, Terminated, sigterm_raises
from shipyard.journal import Journal
from shipyard.run_result import ROLLBACK_INCOMPLETE, ROLLED_BACK, RunResult
from shipyard.steps import Context, Plan, Step

__all__ = [
    "Context",
    "Plan",
    "RunResult",
    "Step",
    "Terminated",
    "abort",
    "resume",
    "run",
]


def run(
    plan: Plan, *, journal: Journal, ctx: Context, on_event: OnEvent | None = None
) -> RunResult:
    """Execute `plan` step by step, journaling each; on failure undo what was done.

    Ctrl-C or SIGTERM during a step counts as a failure of that step: the
    undos run and the result comes back with `interrupted` set, for the caller
    to exit non-zero. The result says what was undone and what a person must
    still put right.
    `on_event` receives every journal record as it is written (for progress).
    """
    runner = Runner(plan, journal, ctx, on_event)
    runner.begin()
    return runner.forward(list(plan.steps))


def resume(
    plan: Plan, journal: Journal, ctx: Context, on_event: OnEvent | None = None
) -> RunResult:
    """Finish a run whose process was killed: skip the steps journaled done (their
    facts go back into `ctx`), run again the one that was cut off, and go on.

    This relies on steps being idempotent (see `Step`).
    """
    _check_open(plan, journal, "resume")
    if journal.undo_began:
        raise ShipyardError(
            f"run {journal.run_id} was being undone when it stopped; abort it "
            "to finish undoing instead of resuming it"
        )
    runner = Runner(plan, journal, ctx, on_event)
    done = runner.adopt(journal.done_facts())
    runner.emit(events.RESUMED, facts={"skipping": done})
    return runner.forward([step for step in plan.steps if step.name not in done])


def abort(
    plan: Plan, journal: Journal, ctx: Context, on_event: OnEvent | None = None
) -> RunResult:
    """Undo, newest first, the finished steps of a run whose process was killed.

    Steps already undone before the kill are skipped; a step that was cut off
    mid-way is undone too when it can be (`Step.undo_cut_off`), else reported
    for a person to check, since its facts were never recorded.
    """
    _check_open(plan, journal, "abort")
    runner = Runner(plan, journal, ctx, on_event)
    done = runner.adopt(journal.done_facts())
    already = [name for name in journal.steps_with(events.UNDONE) if name in done]
    runner.result.undone = list(already)
    cut_off = []
    for name in journal.cut_off_steps():
        step = plan.step(name)
        if step.undo_cut_off and step.undo is not None:
            cut_off.append(name)
        else:
            runner.cut_off(step, "the run stopped before this step finished")
    to_undo = [name for name in done if name not in already] + cut_off
    runner.emit(events.ABORTING, facts={"undoing": to_undo})
    with sigterm_raises():
        failures = runner.compensate(to_undo)
    return runner.finish(ROLLBACK_INCOMPLETE if failures else ROLLED_BACK)


def _check_open(plan: Plan, journal: Journal, verb: str) -> None:
    """Refuse to `verb` a run that finished, or that belongs to another plan or env."""
    run_id = journal.run_id
    if not journal.records:
        raise ShipyardError(f"run {run_id} has no journal records; nothing to {verb}")
    if journal.finished:
        raise ShipyardError(
            f"run {run_id} already finished ({journal.outcome}); nothing to {verb}"
        )
    if journal.env != plan.env:
        raise ShipyardError(
            f"run {run_id} belongs to environment {journal.env}, not {plan.env}; "
            f"{verb} it with --env={journal.env}"
        )
    header = journal.header
    for key in ("plan", "release_id", "git_sha"):
        ours = plan.header()[key]
        if ours is not None and header.get(key) not in (None, ours):
            raise ShipyardError(
                f"run {run_id} was {key} {header.get(key)}, not {ours}; "
                f"{verb} it from the same checkout that started it"
            )
    if journal.step_names != plan.step_names:
        raise ShipyardError(
            f"run {run_id} had steps {', '.join(journal.step_names)}; the plan now "
            f"has {', '.join(plan.step_names)}; {verb} it with the same settings"
        )
