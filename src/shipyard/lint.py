"""Configuration lint for the stack: one small rule per mistake, each with its fix.

`inv lint --env=X` prints the findings and exits 5 when any is an error;
warnings and infos (checks that could not be made) never fail the run.
"""

from __future__ import annotations

from collections.abc import Callable

from shipyard import console, lint_deploy, lint_django, lint_secrets
from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.lint_model import Finding
from shipyard.stack import Stack, load_stack

__all__ = ["LINT_EXIT_CODE", "RULES", "Finding", "LintFailed", "lint", "lint_config"]

LINT_EXIT_CODE = 5
Rule = Callable[[Stack], list[Finding]]
RULES: tuple[Rule, ...] = (
    lint_django.debug_in_production,
    lint_django.allowed_hosts,
    lint_django.cors_origins,
    lint_django.cors_frontend,
    lint_django.csrf_schemes,
    lint_deploy.api_url,
    lint_deploy.ports,
    lint_deploy.publish_folder,
    lint_deploy.moving_images,
    lint_secrets.committed_secrets,
    lint_secrets.unlisted_secrets,
    lint_secrets.undelivered_secrets,
)
_ORDER = {"error": 0, "warning": 1, "info": 2}
COLUMNS = ["level", "rule", "file", "key", "problem", "what to change"]


class LintFailed(ShipyardError):
    """At least one error-level finding."""

    exit_code = LINT_EXIT_CODE


def lint(stack: Stack, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Every finding of `rules` on `stack`, errors first."""
    findings = [finding for rule in rules for finding in rule(stack)]
    return sorted(findings, key=lambda f: (_ORDER[f.level], f.file, f.key))


def lint_config(config: Config) -> list[Finding]:
    """Lint the environment `config` was loaded for."""
    return lint(load_stack(config))


def errors(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.level == "error"]


def show(env: str, findings: list[Finding]) -> None:
    """Print the findings as a table and a closing line."""
    rows = [[f.level, f.rule, f.file, f.key, f.message, f.fix] for f in findings]
    if rows:
        from shipyard.parity_render import plain_rows

        console.table(f"lint of {env}", COLUMNS, plain_rows(rows))
    count = len(errors(findings))
    if count:
        console.warn(f"lint of {env}: {count} error(s)")
    else:
        console.done(f"lint of {env}: no errors")


def markdown(env: str, findings: list[Finding]) -> str:
    """The findings as a Markdown section for $GITHUB_STEP_SUMMARY."""
    lines = [f"### Lint of {env}", ""]
    if not findings:
        return "\n".join([*lines, "No findings.", ""])
    lines += ["| " + " | ".join(COLUMNS) + " |", "|" + " --- |" * len(COLUMNS)]
    for f in findings:
        cells = (f.level, f.rule, f.file, f.key, f.message, f.fix)
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def require_no_errors(env: str, findings: list[Finding]) -> None:
    """Raise LintFailed (exit code 5) when any finding is an error."""
    found = errors(findings)
    if found:
        first = found[0]
        raise LintFailed(
            f"lint of {env}: {len(found)} error(s), first: {first.file} "
            f"{first.key}: {first.fix}"
        )
