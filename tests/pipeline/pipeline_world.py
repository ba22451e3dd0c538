"""A small outside world for the pipeline tests: files in a folder that steps create
and remove, and a command line that runs such a plan in a process of its own, so a
test can kill it."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from shipyard.journal import Journal
from shipyard.pipeline import Context, Plan, Step, run

ENV = "sandbox"
GIT_SHA = "3f2a9c1d0e5b7a8c9d0e1f2a3b4c5d6e7f8a9b0c"


def note(world: Path, line: str) -> None:
    """Remember that a step or undo ran, in the order it ran."""
    with (world / "calls.log").open("a", encoding="utf-8") as log:
        log.write(line + "\n")


def calls(world: Path) -> list[str]:
    """Every do/undo that ran against `world`, oldest first."""
    log = world / "calls.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def file_step(
    world: Path,
    name: str,
    *,
    pause: float = 0.0,
    fails: bool = False,
    undo_fails: bool = False,
) -> Step:
    """A step that writes `<world>/<name>.txt` and whose undo removes it."""
    target = world / f"{name}.txt"

    def do(ctx: Context) -> dict[str, str]:
        note(world, f"do {name}")
        if pause:
            (world / f"{name}.started").touch()
            time.sleep(pause)
        if fails:
            raise RuntimeError(f"{name} could not be created\nsecond line")
        target.write_text(name, encoding="utf-8")
        return {"file": str(target)}

    def undo(ctx: Context, facts: dict[str, str]) -> None:
        note(world, f"undo {name}")
        if undo_fails:
            raise OSError(f"{name} is in use")
        Path(facts["file"]).unlink(missing_ok=True)

    return Step(name=name, description=f"create {target}", do=do, undo=undo)


def three_files(world: Path, *, pause_on: str | None = None, env: str = ENV) -> Plan:
    """Plan a, b, c; the step named `pause_on` sleeps long enough to be killed."""
    steps = [
        file_step(world, name, pause=30.0 if name == pause_on else 0.0)
        for name in ("a", "b", "c")
    ]
    return Plan(
        "demo", env, steps, release_id="3f2a9c1-20240131T120000Z", git_sha=GIT_SHA
    )


def main(root: Path, world: Path) -> None:
    """Run three_files with a long pause in b, printing the result as JSON."""
    journal = Journal.new("demo", ENV, root=root)
    result = run(three_files(world, pause_on="b"), journal=journal, ctx=Context(ENV))
    print(json.dumps(result.to_dict()), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
