"""The run journal: one JSON line per step event under `.shipyard/runs/<run-id>.jsonl`,
forced to disk as it is written, so a run that was killed can be resumed or undone."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.paths import state_dir
from shipyard.records import append_json, read_json_lines, scrub
from shipyard.stamps import compact, iso, utc_now

RUN_STARTED = "run_started"
RESUMED = "resumed"
ABORTING = "aborting"
RUN_FINISHED = "run_finished"
STARTED = "started"
DONE = "done"
FAILED = "failed"
INTERRUPTED = "interrupted"
UNDOING = "undoing"
UNDONE = "undone"
UNDO_FAILED = "undo_failed"
UNDO_INTERRUPTED = "undo_interrupted"

_FORWARD = (STARTED, DONE, FAILED, INTERRUPTED)
_UNDO = (UNDOING, UNDONE, UNDO_FAILED, UNDO_INTERRUPTED)
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def runs_dir(root: Path | None = None) -> Path:
    """Where the journals of the project at `root` live."""
    return state_dir(root) / "runs"


class Journal:
    """The records of one run, oldest first, and the file they are appended to."""

    def __init__(self, path: Path, records: list[dict[str, Any]] | None = None) -> None:
        self.path = path
        self.run_id = path.stem
        self._records = list(records or [])

    @classmethod
    def new(cls, kind: str, env: str, *, root: Path | None = None) -> Journal:
        """An empty journal for a new run of `kind` (release, rotate…) in `env`."""
        run_id = f"{kind}-{env}-{compact(utc_now())}-{secrets.token_hex(3)}"
        _check_name(run_id, "run id")
        return cls(runs_dir(root) / f"{run_id}.jsonl")

    @classmethod
    def load(cls, run_id: str, *, root: Path | None = None) -> Journal:
        """The journal of run `run_id`, read back from disk."""
        _check_name(run_id, "run id")
        path = runs_dir(root) / f"{run_id}.jsonl"
        if not path.exists():
            raise ShipyardError(f"no journal for run {run_id} in {path.parent}")
        return cls(path, read_json_lines(path))

    @classmethod
    def latest_unfinished(cls, env: str, *, root: Path | None = None) -> Journal | None:
        """The newest run in `env` that never finished (its process was killed)."""
        candidates = []
        for path in runs_dir(root).glob("*.jsonl"):
            journal = cls(path, read_json_lines(path))
            if journal.records and journal.env == env and not journal.finished:
                candidates.append(journal)
        candidates.sort(key=lambda journal: journal.records[0].get("time", ""))
        return candidates[-1] if candidates else None

    def write(
        self,
        event: str,
        *,
        step: str | None = None,
        facts: dict[str, Any] | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        """Append one event to disk before returning the record.

        Facts and any extra fields (error, description) are scrubbed of
        secrets; the step name and event are identifiers and kept as they are.
        """
        record = {
            "time": iso(utc_now()),
            "run": self.run_id,
            "step": step,
            "event": event,
            "facts": scrub(facts or {}),
            **{key: scrub(value) for key, value in extra.items()},
        }
        append_json(self.path, record)
        self._records.append(record)
        return record

    def begin(self, header: dict[str, Any]) -> dict[str, Any]:
        """Write the first record: what the run is (plan, env, release, steps).

        The header holds only identifiers, kept as they are so `resume` can
        compare them with a rebuilt plan.
        """
        if self._records:
            raise ValueError(f"journal {self.run_id} already holds a run")
        record = {
            "time": iso(utc_now()),
            "run": self.run_id,
            "step": None,
            "event": RUN_STARTED,
            "facts": dict(header),
        }
        append_json(self.path, record)
        self._records.append(record)
        return record

    @property
    def records(self) -> list[dict[str, Any]]:
        """Every record so far, oldest first."""
        return list(self._records)

    @property
    def state_dir(self) -> Path:
        """The `.shipyard/` folder this journal belongs to."""
        return self.path.parent.parent

    @property
    def header(self) -> dict[str, Any]:
        """What the run was: plan name, env, release id, git sha, step names."""
        if not self._records or self._records[0]["event"] != RUN_STARTED:
            raise ShipyardError(f"journal {self.path} does not begin with a run record")
        return dict(self._records[0]["facts"])

    @property
    def env(self) -> str:
        return str(self.header.get("env", ""))

    @property
    def step_names(self) -> list[str]:
        return list(self.header.get("steps", []))

    @property
    def finished(self) -> bool:
        """Whether the run reached its end (succeeded, or failed and compensated)."""
        return any(record["event"] == RUN_FINISHED for record in self._records)

    @property
    def outcome(self) -> str | None:
        """The outcome the run finished with, or None while it is unfinished."""
        for record in reversed(self._records):
            if record["event"] == RUN_FINISHED:
                return str(record["facts"].get("outcome"))
        return None

    @property
    def undo_began(self) -> bool:
        """Whether compensation had started when the run stopped."""
        return any(record["event"] in _UNDO for record in self._records)

    def done_facts(self) -> dict[str, dict[str, Any]]:
        """The facts of each step journaled done, in the order they were done."""
        return {
            record["step"]: dict(record.get("facts") or {})
            for record in self._records
            if record["event"] == DONE
        }

    def steps_with(self, event: str) -> list[str]:
        """The steps that have a record of `event`, in journal order."""
        names = [record["step"] for record in self._records if record["event"] == event]
        return list(dict.fromkeys(names))

    def cut_off_steps(self) -> list[str]:
        """Steps started or interrupted whose work was never journaled as finished."""
        last: dict[str, str] = {}
        for record in self._records:
            if record["event"] in _FORWARD:
                last[record["step"]] = record["event"]
        return [name for name, event in last.items() if event in (STARTED, INTERRUPTED)]


def _check_name(name: str, what: str) -> None:
    """Refuse names that could escape the state folder when used as file names."""
    if not _SAFE_NAME.match(name):
        raise ShipyardError(
            f"{what} {name!r} may use only letters, digits, '.', '_' and '-'"
        )
