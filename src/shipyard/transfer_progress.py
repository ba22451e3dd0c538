"""Progress of byte transfers (dumps, uploads, downloads) and sizes for people."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from shipyard import console

OnProgress = Callable[[int], None]


@contextmanager
def byte_progress(
    label: str, on_progress: OnProgress | None, total: int | None = None
) -> Iterator[OnProgress]:
    """A callback taking the bytes moved so far: `on_progress` when the caller
    gave one (a task in --json mode), else a progress bar on the console."""
    if on_progress is not None:
        yield on_progress
        return
    with console.progress() as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.update(task, completed=done)


def human_size(size: int) -> str:
    """`size` bytes as B, KiB, MiB or GiB with one decimal."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"
