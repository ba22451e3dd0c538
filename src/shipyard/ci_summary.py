"""Markdown for $GITHUB_STEP_SUMMARY from the `--json` result of a release run.

    python -m shipyard.ci_summary RESULT.json >> "$GITHUB_STEP_SUMMARY"

A missing or unreadable result (the run died before printing it) still gives
a line saying so, so the summary never hides a failed release.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from shipyard.redaction import redact


def _cell(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def release_markdown(result: dict[str, Any]) -> str:
    """A release's outcome, steps and what to check, as Markdown."""
    outcome = str(result.get("outcome", "unknown")).replace("_", " ")
    head = f"### {result.get('plan', 'release')} of {result.get('env', '?')}: {outcome}"
    lines = [head, "", f"run `{result.get('run_id', '?')}`", ""]
    rows = [(name, "done") for name in result.get("completed") or []]
    if result.get("failed_step"):
        rows.append((result["failed_step"], f"failed: {result.get('error') or ''}"))
    rows += [(name, "undone") for name in result.get("undone") or []]
    if rows:
        lines += ["| step | state |", "| --- | --- |"]
        lines += [f"| {_cell(step)} | {_cell(state)} |" for step, state in rows]
        lines.append("")
    url = (result.get("facts") or {}).get("smoke_test", {}).get("url")
    if url:
        lines.append(f"backend: {url}")
    lines += [
        f"- check by hand: {_cell(item)}" for item in result.get("attention") or []
    ]
    return redact("\n".join(lines).rstrip() + "\n")


def main(argv: list[str] | None = None) -> int:
    """Print the summary of the result file named on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m shipyard.ci_summary RESULT.json\n")
        return 2
    path = Path(args[0])
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        sys.stdout.write(
            f"### release: no result in {path.name} (the run stopped "
            "before reporting; see the log)\n"
        )
        return 0
    sys.stdout.write(release_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
