"""What a run is made of, as plain data: steps, the plan that orders them, and the
context they share. Building a plan never executes anything, so `--dry-run` prints
`plan.describe()` and tests assert on it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

Facts = dict[str, Any]


@dataclass
class Context:
    """What the steps of one run share: the environment, whatever the caller hands
    them in `data` (settings, clients), and the facts each finished step returned."""

    env: str
    data: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Facts] = field(default_factory=dict)
    run_id: str = ""

    def fact(self, step: str, key: str) -> Any:
        """The fact `key` that step `step` returned, e.g. ("push", "digest")."""
        try:
            return self.facts[step][key]
        except KeyError:
            raise KeyError(f"no fact {key!r} from step {step!r} in this run") from None


@dataclass(frozen=True)
class Step:
    """One unit of work of a plan.

    `do(ctx)` does the work and returns the facts worth remembering (ids,
    digests); they are journaled and handed to `undo(ctx, facts)`, the
    compensation run when a later step fails. A step whose `do` raises must
    leave the world as it found it: only finished steps are undone.

    Both `do` and `undo` must be idempotent: after a hard kill, `resume` runs
    the interrupted step again from the start, and `abort` may repeat an undo
    that was cut off. A step that changes the outside world needs an `undo`,
    or a `why_no_undo` saying why leaving its change in place is acceptable.

    With `undo_cut_off`, the undo also puts right the step itself when it was
    cut off mid-way (killed or interrupted): it is then called with empty
    facts and must find out from the world (and earlier steps' facts) what
    to put back.
    """

    name: str
    description: str
    do: Callable[[Context], Facts | None]
    undo: Callable[[Context, Facts], None] | None = None
    changes_world: bool = True
    why_no_undo: str = ""
    undo_cut_off: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a step needs a name")
        if self.changes_world and self.undo is None and not self.why_no_undo:
            raise ValueError(
                f"step {self.name!r} changes the outside world but has no undo; "
                "give it undo= or say why_no_undo="
            )

    def describe(self) -> dict[str, Any]:
        """The step as plain data, for `--dry-run` and tests."""
        return {
            "step": self.name,
            "description": self.description,
            "changes_world": self.changes_world,
            "undo": self.undo is not None,
            "why_no_undo": self.why_no_undo or None,
        }


@dataclass(frozen=True)
class Plan:
    """The ordered steps of one run of `name` (release, rotate…) in `env`."""

    name: str
    env: str
    steps: Sequence[Step]
    release_id: str | None = None
    git_sha: str | None = None
    # A rollback's journal names the release it goes back to.
    restores: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "steps", tuple(self.steps))
        names = [step.name for step in self.steps]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"plan {self.name!r} repeats step names: {repeated}")

    @property
    def step_names(self) -> list[str]:
        return [step.name for step in self.steps]

    def step(self, name: str) -> Step:
        """The step called `name`."""
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(f"plan {self.name!r} has no step {name!r}")

    def header(self) -> dict[str, Any]:
        """What identifies this run in its journal."""
        header = {
            "plan": self.name,
            "env": self.env,
            "release_id": self.release_id,
            "git_sha": self.git_sha,
            "steps": self.step_names,
        }
        if self.restores is not None:
            header["restores"] = self.restores
        return header

    def describe(self) -> list[dict[str, Any]]:
        """Each step as plain data, in order, without running anything."""
        return [step.describe() for step in self.steps]
