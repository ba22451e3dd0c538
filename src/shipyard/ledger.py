"""The release ledger: what was released to each environment, when, by whom and how
it ended, so rollback can find the last good release. Stores only append and read
records, so a shared store (S3) can stand in for the local files."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.paths import state_dir
from shipyard.records import append_json, read_json_lines, scrub
from shipyard.stamps import compact, iso, utc_now, whoami

SUCCEEDED = "succeeded"
FAILED = "failed"
ROLLED_BACK = "rolled_back"
IN_PROGRESS = "in_progress"
OUTCOMES = (SUCCEEDED, FAILED, ROLLED_BACK, IN_PROGRESS)
RELEASE = "release"
ROLLBACK = "rollback"
KINDS = (RELEASE, ROLLBACK)
_IDENTIFIERS = {"id", "env", "git_sha", "started_at", "finished_at", "who", "outcome",
                "kind", "restores"}


def release_id(git_sha: str, when: datetime | None = None) -> str:
    """A release id: the short git sha and the UTC start time, e.g.
    3f2a9c1-20240131T120000Z."""
    return f"{git_sha[:7]}-{compact(when or utc_now())}"


@dataclass(frozen=True)
class Release:
    """One release of one environment, as the ledger records it.

    `kind` tells a release of new code from a rollback, which names in
    `restores` the release it went back to. Records written before kinds
    were kept read as releases.
    """

    id: str
    env: str
    git_sha: str
    image_digest: str | None = None
    image_ref: str | None = None
    backend_deployment_id: str | None = None
    previous_backend_deployment_id: str | None = None
    frontend_deploy_id: str | None = None
    previous_frontend_deploy_id: str | None = None
    backup_id: str | None = None
    started_at: str = field(default_factory=lambda: iso(utc_now()))
    finished_at: str | None = None
    who: str = field(default_factory=whoami)
    outcome: str = IN_PROGRESS
    notes: str = ""
    kind: str = RELEASE
    restores: str | None = None

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"release outcome must be one of {OUTCOMES}")
        if self.kind not in KINDS:
            raise ValueError(f"release kind must be one of {KINDS}")

    def finished(self, outcome: str, notes: str | None = None) -> Release:
        """This release ended with `outcome`, stamped with the time it ended."""
        return replace(
            self,
            outcome=outcome,
            finished_at=iso(utc_now()),
            notes=self.notes if notes is None else notes,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Release:
        """A Release from a stored record; keys it does not know are ignored."""
        known = {item.name for item in fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in known})


def scrubbed(release: Release) -> dict[str, Any]:
    """The release as a record with secrets masked in every field that is not an
    identifier (notes, image reference, deploy ids)."""
    record = release.to_dict()
    for key, value in record.items():
        if key not in _IDENTIFIERS:
            record[key] = scrub(value)
    return record


class Ledger(ABC):
    """The releases of each environment, whatever holds them.

    Records are only ever appended: an update is a new record with the same
    id, and the newest record of an id wins.
    """

    @abstractmethod
    def _append(self, release: Release) -> None:
        """Add one record to `release.env`'s history."""

    @abstractmethod
    def _records(self, env: str) -> list[dict[str, Any]]:
        """Every record of `env`, in the order they were appended."""

    def record(self, release: Release) -> None:
        """Remember `release`, or its new state when its id is already known."""
        self._append(release)

    def get(self, env: str, release_id: str) -> Release | None:
        """The latest state of release `release_id` of `env`, or None."""
        return next((item for item in self.list(env) if item.id == release_id), None)

    def last_good(self, env: str, before: str | None = None) -> Release | None:
        """The newest succeeded release of `env`, older than release `before` if
        given: what a rollback goes back to."""
        releases = self.list(env)
        if before is not None:
            ids = [item.id for item in releases]
            if before not in ids:
                raise ShipyardError(f"no release {before} recorded for {env}")
            releases = releases[ids.index(before) + 1 :]
        return next((item for item in releases if item.outcome == SUCCEEDED), None)

    def list(self, env: str) -> list[Release]:
        """The releases of `env`, newest first, each in its latest state."""
        latest: dict[str, Release] = {}
        first_seen: dict[str, int] = {}
        for position, data in enumerate(self._records(env)):
            try:
                release = Release.from_dict(data)
            except (AttributeError, TypeError, ValueError) as problem:
                raise ShipyardError(
                    f"the {env} ledger's record {position + 1} is damaged "
                    f"({problem}): repair or remove it"
                ) from None
            latest[release.id] = release
            first_seen.setdefault(release.id, position)
        return sorted(
            latest.values(),
            key=lambda item: (item.started_at, first_seen[item.id]),
            reverse=True,
        )


class FileLedger(Ledger):
    """The ledger as `<dir>/<env>.jsonl`, one JSON line per record, forced to disk
    as it is appended (secrets masked)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def for_project(cls, root: Path | None = None) -> FileLedger:
        """The ledger of the project at `root`."""
        return cls(state_dir(root) / "ledger")

    def _path(self, env: str) -> Path:
        if not env or "/" in env or env.startswith("."):
            raise ShipyardError(f"environment name {env!r} cannot name a ledger file")
        return self.directory / f"{env}.jsonl"

    def _append(self, release: Release) -> None:
        append_json(self._path(release.env), scrubbed(release))

    def _records(self, env: str) -> list[dict[str, Any]]:
        return read_json_lines(self._path(env))
