"""Run pg_dump and pg_restore as child processes of a `with` block, the password in
their environment only and their error output kept for a one-line message."""

from __future__ import annotations

import fcntl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from shipyard.errors import ShipyardError
from shipyard.providers.postgres import Database
from shipyard.redaction import redact

PIPE_BUFFER = 1024 * 1024


@dataclass
class ClientRun:
    """A running client program: its process and where its error output goes."""

    name: str
    process: subprocess.Popen[bytes]
    stderr: IO[bytes]

    @property
    def output(self) -> IO[bytes]:
        """The program's standard output, when it was started with a pipe there."""
        if self.process.stdout is None:
            raise ShipyardError(f"{self.name} was started without an output pipe")
        return self.process.stdout

    def error_tail(self, lines: int = 1) -> str:
        """The last lines of the program's error output, masked, on one line."""
        self.stderr.seek(0)
        text = self.stderr.read().decode("utf-8", "replace").strip().splitlines()
        return redact(" ".join(line.strip() for line in text[-lines:]))

    def finish(self) -> None:
        """Wait for the program and raise a ShipyardError if it failed."""
        code = self.process.wait()
        if code != 0:
            tail = self.error_tail(2) or "no error output"
            raise ShipyardError(f"{self.name} failed with exit code {code}: {tail}")


@contextmanager
def client_run(
    argv: list[str],
    db: Database,
    *,
    stdin: int | IO[bytes] | None = subprocess.DEVNULL,
    stdout: int | IO[bytes] | None = subprocess.PIPE,
) -> Iterator[ClientRun]:
    """Start `argv` for `db`; a program still running when the block ends
    (an error, an interrupt) is killed and reaped."""
    name = Path(argv[0]).name
    with tempfile.TemporaryFile() as errors:
        try:
            process = subprocess.Popen(
                argv, stdin=stdin, stdout=stdout, stderr=errors, env=db.child_env()
            )
        except OSError as exc:
            raise ShipyardError(f"cannot run {argv[0]}: {exc.strerror}") from None
        if process.stdout is not None:
            _widen_pipe(process.stdout.fileno())
        try:
            yield ClientRun(name=name, process=process, stderr=errors)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()


def _widen_pipe(fd: int) -> None:
    """Give a pipe 1 MiB of buffer, so the program keeps writing while Shipyard
    hashes and queues what it read (Linux only; elsewhere the default stays)."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
    if set_size is None:
        return
    with suppress(OSError):
        fcntl.fcntl(fd, set_size, PIPE_BUFFER)
