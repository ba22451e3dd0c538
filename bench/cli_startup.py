"""How much Shipyard adds to `inv --list`, measured beside bare Invoke in one run.

Shipyard imports its heavy libraries inside the tasks that need them, so
listing tasks should cost little more than Invoke alone. Prints the median
wall time of each and their ratio.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 7


def median_seconds(command: list[str], cwd: Path) -> float:
    timings = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> None:
    invoke = [sys.executable, "-m", "invoke", "--list"]
    with tempfile.TemporaryDirectory() as bare:
        Path(bare, "tasks.py").write_text(
            "from invoke import task\n\n@task\ndef hello(c):\n    pass\n"
        )
        bare_time = median_seconds(invoke, Path(bare))
    shipyard_time = median_seconds(invoke, ROOT)
    print(f"bare invoke --list:    {bare_time * 1000:7.1f} ms (median of {RUNS})")
    print(f"shipyard inv --list:   {shipyard_time * 1000:7.1f} ms (median of {RUNS})")
    print(f"ratio shipyard/bare:   {shipyard_time / bare_time:7.2f}x")


if __name__ == "__main__":
    main()
