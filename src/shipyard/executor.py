"""How a plan is carried out: each step journaled before and after, the finished
ones undone newest first when one fails. `shipyard.pipeline` is the way in."""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from shipyard import journal as events
from shipyard.audit import AuditLog
from shipyard.errors import ShipyardError
from shipyard.journal import Journal
from shipyard.records import scrub
from shipyard.redaction import redact
from shipyard.run_result import (
    FAILED,
    ROLLBACK_INCOMPLETE,
    ROLLED_BACK,
    SUCCEEDED,
    RunResult,
    UndoFailure,
)
from shipyard.steps import Context, Plan, Step

OnEvent = Callable[[dict[str, Any]], None]


class Terminated(BaseException):
    """SIGTERM arrived during a run; handled like Ctrl-C, so compensation runs."""


class Runner:
    """The state of one pass over a plan: journal, context and the result so far."""

    def __init__(
        self, plan: Plan, journal: Journal, ctx: Context, on_event: OnEvent | None
    ) -> None:
        self.plan = plan
        self.journal = journal
        self.ctx = ctx
        self.on_event = on_event
        self.audit = AuditLog(journal.state_dir / "audit.log")
        self.result = RunResult(plan=plan.name, env=plan.env, run_id=journal.run_id)
        self.undo_too: list[str] = []
        ctx.run_id = journal.run_id

    def begin(self) -> None:
        self.tell(self.journal.begin(self.plan.header()))

    def emit(self, event: str, **fields: Any) -> None:
        self.tell(self.journal.write(event, **fields))

    def tell(self, record: dict[str, Any]) -> None:
        if self.on_event is not None:
            self.on_event(record)

    def adopt(self, done: dict[str, dict[str, Any]]) -> list[str]:
        """Take over the steps a killed process finished, with their facts."""
        self.ctx.facts.update(done)
        self.result.completed = list(done)
        return list(done)

    def forward(self, steps: list[Step]) -> RunResult:
        with sigterm_raises():
            for step in steps:
                try:
                    self.do(step)
                except (KeyboardInterrupt, Terminated) as stop:
                    self.stopped(step, stop)
                    return self.fail()
                except Exception as exc:  # noqa: BLE001 - any error fails the step
                    self.failed(step, exc)
                    return self.fail()
            return self.finish(SUCCEEDED)

    def do(self, step: Step) -> None:
        self.emit(events.STARTED, step=step.name, description=step.description)
        facts = step.do(self.ctx) or {}
        if not isinstance(facts, dict):
            raise TypeError(f"step {step.name!r} returned {type(facts).__name__}")
        self.ctx.facts[step.name] = facts
        self.emit(events.DONE, step=step.name, facts=facts)
        self.result.completed.append(step.name)
        if step.changes_world:
            self.record_change(step, "done", facts)

    def failed(self, step: Step, exc: Exception) -> None:
        self.result.failed_step, self.result.error = step.name, _one_line(exc)
        self.emit(events.FAILED, step=step.name, error=self.result.error)

    def stopped(self, step: Step, stop: BaseException) -> None:
        signal_name = "SIGTERM" if isinstance(stop, Terminated) else "Ctrl-C"
        self.result.failed_step = step.name
        self.result.error = f"interrupted ({signal_name})"
        self.result.interrupted = True
        self.emit(events.INTERRUPTED, step=step.name, error=self.result.error)
        self.cut_off(step, f"it was interrupted ({signal_name}) mid-way")

    def cut_off(self, step: Step, why: str) -> None:
        """Note a step whose partial changes no undo covers, for a person to check.

        A step whose undo covers its own cut-off work joins the steps to undo.
        """
        self.result.failed_step = self.result.failed_step or step.name
        self.result.error = self.result.error or why
        if step.undo_cut_off and step.undo is not None:
            self.undo_too.append(step.name)
        elif step.changes_world:
            self.result.attention.append(
                f"{step.name} ({step.description}): {why}; see what it changed "
                f"and put it back"
            )

    def fail(self) -> RunResult:
        completed = self.result.completed + self.undo_too
        if not any(self.plan.step(name).changes_world for name in completed):
            return self.finish(FAILED)
        failures = self.compensate(completed)
        return self.finish(ROLLBACK_INCOMPLETE if failures else ROLLED_BACK)

    def compensate(self, names: list[str]) -> int:
        """Undo `names` newest first; the number of undos that failed."""
        failures = 0
        for name in reversed(names):
            step = self.plan.step(name)
            if step.undo is not None:
                failures += not self.undo(step)
            elif step.changes_world:
                self.result.kept.append(f"{step.name}: {step.why_no_undo}")
        return failures

    def undo(self, step: Step) -> bool:
        assert step.undo is not None
        facts = self.ctx.facts.get(step.name, {})
        self.emit(events.UNDOING, step=step.name)
        try:
            step.undo(self.ctx, facts)
        except (KeyboardInterrupt, Terminated):
            self.emit(events.UNDO_INTERRUPTED, step=step.name)
            raise
        except Exception as exc:  # noqa: BLE001 - a failed undo must not stop the rest
            error = _one_line(exc)
            self.emit(events.UNDO_FAILED, step=step.name, error=error)
            advice = (
                f"put back what {step.name!r} changed ({step.description}) using "
                f"its facts {_compact(facts)}; journal {self.journal.path}"
            )
            self.result.undo_failures.append(UndoFailure(step.name, error, advice))
            return False
        self.emit(events.UNDONE, step=step.name)
        self.result.undone.append(step.name)
        if step.changes_world:
            self.record_change(step, "undone", facts)
        return True

    def record_change(self, step: Step, verb: str, facts: dict[str, Any]) -> None:
        run = f"{self.plan.name} {self.journal.run_id}"
        what = f"{run}: {step.name} {verb} ({step.description}) {_compact(facts)}"
        self.audit.append(self.plan.env, what)

    def finish(self, outcome: str) -> RunResult:
        self.result.outcome = outcome
        self.result.facts = dict(self.ctx.facts)
        not_undone = [failure.step for failure in self.result.undo_failures]
        self.emit(
            events.RUN_FINISHED,
            facts={
                "outcome": outcome,
                "undone": self.result.undone,
                "undo_failed": not_undone,
            },
        )
        return self.result


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """Turn SIGTERM into Terminated for the duration, so compensation can run."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raise_terminated(signum: int, frame: object) -> None:
        raise Terminated("SIGTERM")

    previous = signal.signal(signal.SIGTERM, raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _one_line(exc: BaseException) -> str:
    """The first line of an error, prefixed with its type unless it is Shipyard's."""
    lines = str(exc).strip().splitlines()
    text = lines[0] if lines else ""
    if not isinstance(exc, ShipyardError):
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return redact(text or type(exc).__name__)


def _compact(facts: dict[str, Any]) -> str:
    """Facts as short JSON, secrets masked, for audit lines and advice."""
    return json.dumps(scrub(facts), separators=(",", ":"), default=str)
