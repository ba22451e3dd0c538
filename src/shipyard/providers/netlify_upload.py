"""Uploading the files a Netlify deploy still needs, a few at a time, with progress.

Each distinct content (SHA1) is sent once, under the first path that has it:
Netlify stores files by digest, so the other paths are served from that copy.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.providers.netlify_files import LocalFile

if TYPE_CHECKING:
    from rich.progress import Progress


@dataclass(frozen=True)
class UploadProgress:
    """How far the uploads of one deploy are, for a caller's own display."""

    files_done: int
    files_total: int
    bytes_sent: int
    bytes_total: int


@dataclass(frozen=True)
class UploadPlan:
    """What one deploy sends: one file per required SHA1, and what it skips."""

    uploads: list[LocalFile]
    skipped: int

    @property
    def bytes_total(self) -> int:
        return sum(item.size for item in self.uploads)


def plan_uploads(files: Iterable[LocalFile], required: Iterable[str]) -> UploadPlan:
    """One file for each SHA1 Netlify asked for; the other files are skipped.

    A SHA1 Netlify asks for that no local file has means the manifest and
    the folder disagree, which is a bug, so it raises.
    """
    files = list(files)
    wanted = set(required)
    first_with: dict[str, LocalFile] = {}
    for item in files:
        first_with.setdefault(item.sha1, item)

    unknown = wanted - first_with.keys()
    if unknown:
        raise ShipyardError(
            f"Netlify asked for {len(unknown)} file(s) this deploy does not have: "
            "deploy again"
        )
    uploads = [first_with[sha] for sha in sorted(wanted)]
    skipped = sum(1 for item in files if item.sha1 not in wanted)
    return UploadPlan(uploads=uploads, skipped=skipped)


def upload_all(
    plan: UploadPlan,
    put: Callable[[LocalFile, bytes], None],
    *,
    concurrency: int,
    on_progress: Callable[[UploadProgress], None] | None = None,
) -> int:
    """Send every planned file with `put`, `concurrency` at a time; bytes sent.

    The first failure stops the files not yet started and is raised. A rich
    progress bar shows files and bytes while it runs.
    """
    if not plan.uploads:
        return 0
    tracker = _Tracker(len(plan.uploads), plan.bytes_total, on_progress)

    def one(item: LocalFile) -> None:
        body = _read_unchanged(item)
        put(item, body)
        tracker.sent(len(body))

    with console.progress() as bar:
        tracker.attach(bar)
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            futures = [pool.submit(one, item) for item in plan.uploads]
            finished, _ = wait(futures, return_when=FIRST_EXCEPTION)
            failed = [future for future in finished if future.exception()]
            if failed:
                for future in futures:
                    future.cancel()
                raise failed[0].exception()  # type: ignore[misc]
    return tracker.bytes_sent


def _read_unchanged(item: LocalFile) -> bytes:
    body = item.path.read_bytes()
    if hashlib.sha1(body).hexdigest() != item.sha1:
        raise ShipyardError(
            f"{item.path} changed while it was being deployed: deploy again"
        )
    return body


class _Tracker:
    """Counts finished uploads across threads and reports them."""

    def __init__(
        self,
        files_total: int,
        bytes_total: int,
        on_progress: Callable[[UploadProgress], None] | None,
    ) -> None:
        self._lock = threading.Lock()
        self._files_total = files_total
        self._bytes_total = bytes_total
        self._on_progress = on_progress
        self._files_done = 0
        self.bytes_sent = 0
        self._bar: Progress | None = None
        self._task: Any = None

    def attach(self, bar: Progress) -> None:
        self._bar = bar
        self._task = bar.add_task(self._label(), total=self._bytes_total)

    def sent(self, size: int) -> None:
        with self._lock:
            self._files_done += 1
            self.bytes_sent += size
            snapshot = UploadProgress(
                self._files_done, self._files_total, self.bytes_sent, self._bytes_total
            )
            if self._bar is not None:
                self._bar.update(
                    self._task, completed=self.bytes_sent, description=self._label()
                )
        if self._on_progress is not None:
            self._on_progress(snapshot)

    def _label(self) -> str:
        return f"Uploading {self._files_done}/{self._files_total} files"
