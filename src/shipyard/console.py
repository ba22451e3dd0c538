"""Everything Shipyard prints goes through here: steps, tables, progress, errors.

Output is written through the redaction layer, so a secret value known to
the process never reaches the terminal or CI logs. `--json` runs send
human-readable lines to stderr and keep stdout for the result. Every stream
is a `SteadyStream`: when its reader goes away, output is dropped and the run
goes on.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from shipyard.output_streams import steady
from shipyard.redaction import RedactingStream, redact

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress

_state: dict[str, Any] = {"json": False, "console": None}


def in_ci() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true" or os.environ.get("CI") == "true"


def configure(*, json_mode: bool = False) -> None:
    """Choose where human output goes for this run."""
    _state["json"] = json_mode
    _state["console"] = None


def console() -> Console:
    """The rich console, writing through the redaction layer."""
    if _state["console"] is None:
        from rich.console import Console

        stream = steady(sys.stderr if _state["json"] else sys.stdout)
        width = None if stream.isatty() else int(os.environ.get("COLUMNS", "120"))
        _state["console"] = Console(
            file=RedactingStream(stream),  # type: ignore[arg-type]
            highlight=False,
            soft_wrap=True,
            width=width,
        )
    return _state["console"]


def say(message: str, style: str | None = None) -> None:
    """One line for the person following the run."""
    console().print(message, style=style, markup=False)


def step(message: str) -> None:
    """Announce the start of a step."""
    console().print(f"→ {message}", style="bold", markup=False)


def done(message: str) -> None:
    console().print(f"✓ {message}", style="green", markup=False)


def warn(message: str) -> None:
    console().print(f"! {message}", style="yellow", markup=False)


def error(message: str) -> None:
    """A one-line error on stderr, masked like everything else."""
    line = redact(str(message)).splitlines()[0] if message else "error"
    stream = steady(sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        stream.write(f"::error::{line}\n")
    else:
        stream.write(f"error: {line}\n")
    stream.flush()


def detail(text: str) -> None:
    """Several lines of supporting output (build logs, deployment events)."""
    for line in text.rstrip().splitlines():
        console().print(f"  {line}", style="dim", markup=False)


def table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A summary table."""
    from rich.table import Table

    grid = Table(title=title, title_justify="left")
    for column in columns:
        grid.add_column(column, overflow="fold")
    for row in rows:
        grid.add_row(*[redact("" if cell is None else str(cell)) for cell in row])
    console().print(grid)


def emit_json(payload: Any) -> None:
    """The machine-readable result of a `--json` run, masked, on stdout."""
    stream = steady(sys.stdout)
    stream.write(redact(json.dumps(payload, indent=2, default=str)) + "\n")
    stream.flush()


@contextmanager
def progress(transient: bool = True) -> Iterator[Progress]:
    """A rich progress display for long work (uploads, builds, waits)."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console(), transient=transient) as bar:
        yield bar
