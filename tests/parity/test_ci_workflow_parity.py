"""A generated and committed release workflow never leaves drift Shipyard cannot fix.

The workflow releases one environment, so only that environment's parity
asks GitHub for its secrets; each one GitHub lacks is named with the
manifest change after which `inv secrets.push` delivers it.
"""

from __future__ import annotations

import json
import secrets
import subprocess

from tests.parity.lint_run import lint
from tests.parity.live import DRIFT, Live, drift_of

WORKFLOW = ".github/workflows/release.yml"
GITHUB_KEYS = ("GITHUB_API_URL", "GITHUB_REPOSITORY", "KOYEB_API_URL",
               "NETLIFY_API_URL", "NETLIFY_SITE_ID")


def _commit_workflow(live: Live) -> tuple[set[str], str]:
    """Write the prod workflow, commit it; the secrets it maps and what was said."""
    ran = live.project.inv("ci.workflow")
    assert ran.code == 0, ran.out + ran.err
    root = live.project.root
    live.project.git_add()
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
         "-q", "-m", "release workflow"],
        cwd=root, check=True,
    )
    text = (root / WORKFLOW).read_text()
    mapped = {line.split(":", 1)[0].strip() for line in text.splitlines()
              if "${{ secrets." in line}
    return mapped, ran.out


def _wire_sandbox(live: Live) -> None:
    """Point the sandbox at the same stand-ins as prod."""
    prod = dict(
        line.split("=", 1) for line in live.project.read("env/prod.env").splitlines()
        if "=" in line
    )
    live.project.append(
        "env/sandbox.env", "".join(f"{k}={prod[k]}\n" for k in GITHUB_KEYS)
    )


def _github_drift(report: dict) -> list[dict]:
    return [d for d in drift_of(report) if d["found"]["where"].startswith("GitHub")]


def test_prod_workflow_gives_the_sandbox_no_github_drift(live: Live) -> None:
    live.deploy()
    mapped, _ = _commit_workflow(live)
    _wire_sandbox(live)

    ran = live.project.inv("parity", "--env=sandbox", "--against=none", "--json")

    report = json.loads(ran.out)
    assert "DATABASE_URL" in mapped
    assert any(s.startswith("GitHub") for s in report["sources"]), report
    assert _github_drift(report) == []
    _, findings = lint(live.project, env="sandbox")
    assert not [f for f in findings if f["key"] in mapped], findings


def test_prod_workflow_secrets_are_named_with_their_fix_then_pushed(
    live: Live,
) -> None:
    live.deploy()
    mapped, said = _commit_workflow(live)

    code, report, _ = live.parity()

    assert code == DRIFT
    missing = {d["key"]: d["hint"] for d in _github_drift(report)}
    assert set(missing) == mapped
    assert all("inv secrets.push --env=prod" in hint for hint in missing.values())
    assert 'add [secrets.SHIPYARD_FINGERPRINT_KEY] with kind = "external"' in (
        missing["SHIPYARD_FINGERPRINT_KEY"]
    )
    _, findings = lint(live.project)
    gaps = {f["key"]: f["fix"] for f in findings if f["rule"] == "secret-not-in-manifest"}
    assert gaps == missing
    assert f"GitHub needs {len(mapped)} secret(s)" in said
    assert all(name in said for name in mapped)

    tables = "".join(
        f'\n[secrets.{name}]\nkind = "external"\n'
        'targets = [{github = "environment:prod"}]\n'
        for name in sorted(mapped)
    )
    live.project.append("shipyard.toml", tables)
    for name in mapped:
        if name not in {"KOYEB_TOKEN", "NETLIFY_AUTH_TOKEN"}:
            live.project.put_secret(name, "v-" + secrets.token_hex(16))
    pushed = live.project.inv("secrets.push", "--env=prod")
    assert pushed.code == 0, pushed.out + pushed.err

    code, report, _ = live.parity()
    assert _github_drift(report) == []
