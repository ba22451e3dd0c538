"""`inv parity` and `inv lint`: drift between sources, and configuration mistakes."""

from __future__ import annotations

from invoke import task

from shipyard.tasks.common import ENV_HELP, JSON_HELP, guarded, load_config

SUMMARY_HELP = "append a Markdown summary to this file (e.g. $GITHUB_STEP_SUMMARY)"


def _append(path: str, text: str) -> None:
    """Append `text`, masked, to the summary file at `path`."""
    from pathlib import Path

    from shipyard.redaction import redact

    with Path(path).open("a", encoding="utf-8") as handle:
        handle.write(redact(text) + "\n")


@task(
    help={
        "env": ENV_HELP,
        "json": JSON_HELP,
        "summary_file": SUMMARY_HELP,
        "against": "compare with: local (.env or env/local.env, the default), another "
        "environment's name, or none",
        "live": "read the providers' live settings (--no-live: files and store only)",
        "notes": "also list values that differ between environments (not drift)",
        "strict": "a source that could not be read counts as drift (for CI gates)",
    }
)
@guarded
def parity(
    c, env="", against="local", live=True, json=False, summary_file="", notes=False,
    strict=False,
):
    """Compare local env, env files, the secrets manifest and live settings."""
    from shipyard import console, parity_render
    from shipyard.parity import check_parity, require_no_drift

    config = load_config(env)
    side = None if against.lower() in ("", "none") else against
    report = check_parity(config, against=side, live=live)
    if json:
        console.emit_json(report.to_dict())
    else:
        parity_render.show(report, everything=notes)
    if summary_file:
        _append(summary_file, parity_render.markdown(report))
    require_no_drift(report)
    if strict and report.unchecked:
        from shipyard.parity import ParityDrift

        sources = ", ".join(u.source for u in report.unchecked)
        raise ParityDrift(f"parity of {env} is incomplete under --strict: not "
                          f"checked: {sources} (see the reasons above)")


@task(help={"env": ENV_HELP, "json": JSON_HELP, "summary_file": SUMMARY_HELP})
@guarded
def lint(c, env="", json=False, summary_file=""):
    """Check the stack's configuration for known mistakes; exit 5 on any error."""
    from dataclasses import asdict

    from shipyard import console
    from shipyard import lint as linting

    config = load_config(env)
    findings = linting.lint_config(config)
    if json:
        console.emit_json(
            {
                "env": env,
                "findings": [asdict(f) for f in findings],
                "errors": len(linting.errors(findings)),
            }
        )
    else:
        linting.show(env, findings)
    if summary_file:
        _append(summary_file, linting.markdown(env, findings))
    linting.require_no_errors(env, findings)
