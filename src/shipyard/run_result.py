"""What a pipeline run reports back: its outcome, what it undid, what it could not
undo and what a person should check by hand."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from shipyard.records import scrub

SUCCEEDED = "succeeded"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
ROLLBACK_INCOMPLETE = "rollback_incomplete"


@dataclass
class UndoFailure:
    """A compensation that raised, and how a person can finish it by hand."""

    step: str
    error: str
    advice: str


@dataclass
class RunResult:
    """The outcome of `run`, `resume` or `abort`.

    outcome is "succeeded"; "failed" when nothing in the outside world had
    changed yet; "rolled_back" when every finished step was undone; or
    "rollback_incomplete" when an undo failed (see `undo_failures`).
    """

    plan: str
    env: str
    run_id: str
    outcome: str = SUCCEEDED
    completed: list[str] = field(default_factory=list)
    failed_step: str | None = None
    error: str | None = None
    interrupted: bool = False
    undone: list[str] = field(default_factory=list)
    undo_failures: list[UndoFailure] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == SUCCEEDED

    def summary(self) -> list[str]:
        """A few lines telling a person what happened and what, if anything, to do."""
        head = f"{self.plan} on {self.env}: {self.outcome.replace('_', ' ')}"
        lines = [f"{head} (run {self.run_id})"]
        if self.failed_step:
            lines.append(f"step {self.failed_step!r} failed: {self.error}")
        if self.undone:
            lines.append("undone, newest first: " + ", ".join(self.undone))
        lines += [f"left in place: {kept}" for kept in self.kept]
        for failure in self.undo_failures:
            lines.append(f"could not undo {failure.step!r}: {failure.error}")
            lines.append(f"  to do by hand: {failure.advice}")
        lines += [f"check by hand: {item}" for item in self.attention]
        return [str(scrub(line)) for line in lines]

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data for `--json`, secrets masked."""
        data = asdict(self)
        data["ok"] = self.ok
        return dict(scrub(data))
