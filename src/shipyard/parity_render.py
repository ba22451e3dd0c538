"""A parity report for people: rich tables on the console, Markdown for CI summaries."""

from __future__ import annotations

from shipyard import console
from shipyard.parity_model import Difference, ParityReport, RuntimeCheck, Side

KEY_COLUMNS = ["key", "finding", "expected", "found", "what to change"]
RUNTIME_COLUMNS = ["check", "ours", "theirs", "status", "what to change"]


def _side(side: Side) -> str:
    return f"{side.shown} · {side.where}"


def plain_rows(rows: list[list[str]]) -> list[list[str]]:
    """Cells escaped for rich, so `[backend.secrets]` is shown, not read as markup."""
    from rich.markup import escape

    return [[escape(cell) for cell in row] for row in rows]


def _finding(item: Difference) -> str:
    return item.kind if item.drift else f"{item.kind} (note)"


def _rows(report: ParityReport, everything: bool) -> list[Difference]:
    return [d for d in report.differences if d.drift or everything]


def show(report: ParityReport, *, everything: bool = False) -> None:
    """Print the report: key differences, runtime versions, what was not checked."""
    rows = [
        [d.key, _finding(d), _side(d.expected), _side(d.found), d.hint]
        for d in _rows(report, everything)
    ]
    unread = {u.source for u in report.unchecked}
    title = f"parity of {report.env}" + (
        f" against {report.against}"
        if report.against and report.against not in unread
        else ""
    )
    if rows:
        console.table(title, KEY_COLUMNS, plain_rows(rows))
    else:
        console.done(f"{title}: every key matches")
    if report.runtime:
        console.table(
            "runtime versions",
            RUNTIME_COLUMNS,
            plain_rows(
                [
                    [r.name, _side(r.ours), _side(r.theirs), r.status, r.hint]
                    for r in report.runtime
                ]
            ),
        )
    hidden = len(report.differences) - len(rows)
    if hidden:
        console.say(
            f"{hidden} expected difference(s) between environments hidden; "
            "--notes shows them"
        )
    for item in report.unchecked:
        console.warn(f"not checked: {item.source}: {item.why}")
    for note in report.notes:
        console.say(note)
    console.say(f"compared: {', '.join(report.sources) or 'nothing'}")
    line = report.headline()
    (console.warn if report.drift else console.done)(line)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: ParityReport) -> str:
    """The report as a Markdown section for $GITHUB_STEP_SUMMARY."""
    lines = [f"### Parity of {report.env}", "", report.headline(), ""]
    drift = [d for d in report.differences if d.drift]
    if drift:
        lines += [
            "| " + " | ".join(KEY_COLUMNS) + " |",
            "|" + " --- |" * len(KEY_COLUMNS),
        ]
        lines += [
            "| "
            + " | ".join(
                _cell(c)
                for c in (d.key, d.kind, _side(d.expected), _side(d.found), d.hint)
            )
            + " |"
            for d in drift
        ]
        lines.append("")
    lines += _runtime_markdown(report.runtime)
    lines += [f"- not checked: {u.source}: {_cell(u.why)}" for u in report.unchecked]
    return "\n".join(lines).rstrip() + "\n"


def _runtime_markdown(checks: list[RuntimeCheck]) -> list[str]:
    if not checks:
        return []
    lines = [
        "| " + " | ".join(RUNTIME_COLUMNS) + " |",
        "|" + " --- |" * len(RUNTIME_COLUMNS),
    ]
    for r in checks:
        cells = (r.name, _side(r.ours), _side(r.theirs), r.status, r.hint)
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return [*lines, ""]
