"""Output that outlives its reader.

A release, rollback or rotation must not stop half-way because the pipe or
terminal its output goes to went away (`inv rollback | head -3`). Every stream
Shipyard writes to is wrapped here: the first broken pipe points the stream's
file descriptor at the null device, so what follows (from Shipyard, rich,
invoke or the interpreter's last flush at exit) is dropped, and the run carries
on to its end with its journal, ledger and exit code.

SIGPIPE stays at Python's default (ignored), so a closed pipe is an error on
write, never a signal that kills the process.
"""

from __future__ import annotations

import errno
import io
import os
from typing import Any, TextIO

_GONE = (errno.EPIPE, errno.ECONNRESET)


class SteadyStream:
    """A text stream whose writes never fail because its reader left."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner
        self.lost = False

    def write(self, text: str) -> int:
        if not self.lost:
            try:
                self._inner.write(text)
            except OSError as problem:
                self._lose(problem)
        return len(text)

    def flush(self) -> None:
        if not self.lost:
            try:
                self._inner.flush()
            except OSError as problem:
                self._lose(problem)

    def isatty(self) -> bool:
        return not self.lost and self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._inner, "encoding", "utf-8")

    def _lose(self, problem: OSError) -> None:
        if not isinstance(problem, BrokenPipeError) and problem.errno not in _GONE:
            raise problem
        self.lost = True
        _point_at_devnull(self._inner)


def _point_at_devnull(stream: Any) -> None:
    """Send what is still buffered in `stream`, and all later writes, nowhere."""
    try:
        descriptor = stream.fileno()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, descriptor)
    finally:
        os.close(devnull)


_steady: dict[int, tuple[Any, SteadyStream]] = {}


def steady(stream: TextIO) -> SteadyStream:
    """The one SteadyStream of `stream`, so a lost reader is remembered."""
    known = _steady.get(id(stream))
    if known is None or known[0] is not stream:
        known = (stream, SteadyStream(stream))
        _steady[id(stream)] = known
    return known[1]
