"""Run a command on a pseudo-terminal, as a person at a terminal would, and
measure its time and memory.

The command's output goes to a pseudo-terminal of 120 × 40, so rich sees a
terminal and draws its live progress bar as it does for a person (a pipe
would make it draw nothing).

Memory is read from /proc every 20 ms while the command runs: the kernel's
high-water mark (VmHWM) of the command and of each child on its own, and the
largest sum of their resident sizes at one moment. VmHWM only grows, so the
last sample misses at most what grew in the last 20 ms. `os.wait4`'s
ru_maxrss is not used: a forked child's figure counts the pages it shared
with its parent until exec, so it reports this bench's own size whenever
the command stays smaller.
"""

from __future__ import annotations

import codecs
import fcntl
import os
import pty
import struct
import subprocess
import termios
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

KIB = 1024
SAMPLE_SECONDS = 0.02
COMMAND = "(command)"  # key of the command's own peak among its children's


@dataclass
class Run:
    """What one run took: seconds, exit code, output and memory in bytes."""

    seconds: float
    code: int
    output: str
    peaks: dict[str, int] = field(default_factory=dict)
    together: int = 0
    marks: dict[str, float] = field(default_factory=dict)


class Sampler(threading.Thread):
    """Reads the VmHWM and VmRSS of `pid` and its descendants until stopped;
    peaks are kept per program name, the command's own under COMMAND."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peaks: dict[str, int] = {}
        self.together = 0
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            rss_now = 0
            for pid in [self.pid, *_descendants(self.pid)]:
                status = _status(pid)
                if not status:
                    continue
                name = COMMAND if pid == self.pid else status.get("Name", "?")
                hwm = status.get("VmHWM", 0)
                self.peaks[name] = max(self.peaks.get(name, 0), hwm)
                rss_now += status.get("VmRSS", 0)
            self.together = max(self.together, rss_now)
            self.halt.wait(SAMPLE_SECONDS)


def _descendants(pid: int) -> list[int]:
    found, queue = [], [pid]
    while queue:
        parent = queue.pop()
        for children in Path(f"/proc/{parent}/task").glob("*/children"):
            try:
                kids = [int(p) for p in children.read_text().split()]
            except OSError:
                continue
            found.extend(kids)
            queue.extend(kids)
    return found


def _status(pid: int) -> dict[str, int | str]:
    """Name, VmHWM and VmRSS (bytes) of a live process; empty once it is gone."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    status: dict[str, int | str] = {}
    for line in lines:
        key, _, value = line.partition(":")
        if key == "Name":
            status[key] = value.strip()
        elif key in ("VmHWM", "VmRSS"):
            status[key] = int(value.split()[0]) * KIB
    return status if "VmHWM" in status else {}


def run_in_terminal(
    argv: list[str], cwd: Path, env: dict[str, str], marks: dict[str, str]
) -> Run:
    """Run `argv` on a pseudo-terminal; `marks` maps a name to a piece of output
    whose first appearance is timed (seconds from the start)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    chunks: list[bytes] = []
    seen: dict[str, float] = {}
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=slave, stdout=slave,
                             stderr=slave, close_fds=True)
    os.close(slave)
    reader = threading.Thread(
        target=_read, args=(master, chunks, marks, seen, started), daemon=True
    )
    reader.start()

    seconds, sampler = wait_sampled(child, started)
    reader.join(timeout=10)
    os.close(master)
    output = b"".join(chunks).decode(errors="replace")
    return Run(seconds, child.returncode, output, sampler.peaks, sampler.together,
               seen)


def wait_sampled(child: subprocess.Popen, started: float) -> tuple[float, Sampler]:
    """Wait for `child`, sampling its memory: seconds since `started`, and the
    sampler with the peaks it read."""
    sampler = Sampler(child.pid)
    sampler.start()
    child.wait()
    seconds = time.perf_counter() - started
    sampler.halt.set()
    sampler.join()
    return seconds, sampler


def _read(master: int, chunks: list[bytes], marks: dict[str, str],
          seen: dict[str, float], started: float) -> None:
    """Drain the terminal (a full one would stall the command), timing marks."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    tail = ""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            return
        if not chunk:
            return
        chunks.append(chunk)
        if len(seen) == len(marks):
            continue
        now = time.perf_counter() - started
        # Only the new text and a little before it: a piece split across two
        # reads is still found, and the reader takes no CPU from the command.
        text = tail + decoder.decode(chunk)
        for name, piece in marks.items():
            if name not in seen and piece in text:
                seen[name] = now
        tail = text[-64:]
