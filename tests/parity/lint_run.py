"""Run `inv lint --json` on a fixture project and pick out findings."""

from __future__ import annotations

import json

from tests.parity.project import Project

FAILED = 5


def lint(project: Project, env: str = "prod") -> tuple[int, list[dict]]:
    """Exit code and findings of `inv lint --env=ENV --json`."""
    ran = project.inv("lint", f"--env={env}", "--json")
    return ran.code, json.loads(ran.out)["findings"]


def one(findings: list[dict], rule: str) -> dict:
    """The single finding of `rule`."""
    [found] = [f for f in findings if f["rule"] == rule]
    return found
