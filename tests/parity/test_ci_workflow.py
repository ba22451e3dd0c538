"""`inv ci.workflow`: the release workflow is pinned, least-privilege and lints."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shipyard.ci_summary import release_markdown
from tests.parity.project import Project

WORKFLOW = ".github/workflows/release.yml"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def actionlint(path: Path) -> subprocess.CompletedProcess[str]:
    """Run actionlint (installed from PyPI with the test extras) on one file.

    It is looked for beside this interpreter first: a virtualenv's scripts
    are not on PATH unless the virtualenv is activated.
    """
    beside = Path(sys.executable).parent / "actionlint"
    program = str(beside) if beside.exists() else shutil.which("actionlint")
    assert program, "actionlint is not installed: pip install the test extras"
    return subprocess.run(
        [program, "-no-color", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def written(project: Project) -> Path:
    ran = project.inv("ci.workflow")
    assert ran.code == 0, ran.out + ran.err
    return project.root / WORKFLOW


def _workflow(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def _steps(path: Path) -> list[dict]:
    return _workflow(path)["jobs"]["release"]["steps"]


def test_generated_workflow_passes_actionlint(written: Path) -> None:
    linted = actionlint(written)

    assert linted.returncode == 0, linted.stdout + linted.stderr


def test_actionlint_rejects_a_broken_workflow(written: Path) -> None:
    written.write_text(written.read_text().replace("contents: read", "contents: readd"))

    linted = actionlint(written)

    assert linted.returncode == 1
    assert "readd" in linted.stdout


def test_every_action_is_pinned_to_a_full_commit_sha(written: Path) -> None:
    lines = written.read_text().splitlines()
    uses = [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]

    assert len(uses) == 3
    assert all(PINNED.match(value) for value in uses), uses


def test_workflow_releases_prod_on_pushes_to_main_with_least_privilege(
    written: Path,
) -> None:
    workflow = _workflow(written)
    job = workflow["jobs"]["release"]

    assert workflow[True] == {"push": {"branches": ["main"]}}
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["concurrency"] == {
        "group": "shipyard-release-prod",
        "cancel-in-progress": False,
    }
    assert job["environment"] == "prod"
    assert job["env"]["SECRET_STORE"] == "env"
    names = [step["name"] for step in job["steps"]]
    assert names.index("parity") < names.index("release")


def test_secrets_from_the_manifest_reach_only_shipyards_steps(
    project: Project,
) -> None:
    project.append("shipyard.toml", '\n[secrets.SENTRY_DSN]\ntargets = ["netlify"]\n')
    assert project.inv("ci.workflow").code == 0
    steps = _steps(project.root / WORKFLOW)

    wanted = {
        "DATABASE_URL",
        "DJANGO_SECRET_KEY",
        "KOYEB_TOKEN",
        "NETLIFY_AUTH_TOKEN",
        "SENTRY_DSN",
        "SHIPYARD_FINGERPRINT_KEY",
    }
    by_name = {step["name"]: step for step in steps}
    for name in ("parity", "release"):
        env = by_name[name]["env"]
        assert set(env) == wanted
        assert all(env[key] == f"${{{{ secrets.{key} }}}}" for key in wanted)
    for step in steps:
        if step["name"] not in ("parity", "release"):
            assert "env" not in step


def test_output_is_grouped_and_summarised(written: Path) -> None:
    by_name = {step["name"]: step for step in _steps(written)}

    parity, release = by_name["parity"]["run"], by_name["release"]["run"]
    assert 'echo "::group::inv parity --env=prod"' in parity
    assert 'echo "::endgroup::"' in parity
    assert "--against=none" in parity
    assert '--summary-file "$GITHUB_STEP_SUMMARY"' in parity
    assert 'inv release --env=prod --json > "$RUNNER_TEMP/release.json"' in release
    assert '>> "$GITHUB_STEP_SUMMARY"' in release
    assert release.rstrip().endswith('exit "$status"')


def test_node_is_set_up_from_the_frontends_nvmrc(written: Path) -> None:
    by_name = {step["name"]: step for step in _steps(written)}

    assert by_name["set up Node"]["with"] == {"node-version-file": "frontend/.nvmrc"}
    assert by_name["set up Python"]["with"]["python-version"].count(".") == 1


def test_check_flag_fails_when_the_file_is_stale(
    project: Project, written: Path
) -> None:
    assert project.inv("ci.workflow", "--check").code == 0

    written.write_text(
        written.read_text().replace("timeout-minutes: 60", "timeout-minutes: 5")
    )
    stale = project.inv("ci.workflow", "--check")

    assert stale.code == 1
    assert "is not what `inv ci.workflow --env=prod` writes" in stale.err


def test_secret_names_github_refuses_are_refused_before_writing(
    project: Project,
) -> None:
    project.append(
        "shipyard.toml", '\n[secrets.GITHUB_DEPLOY_KEY]\ntargets = ["koyeb"]\n'
    )

    ran = project.inv("ci.workflow")

    assert ran.code == 1
    assert "GITHUB_DEPLOY_KEY cannot be a GitHub Actions secret name" in ran.err
    assert not (project.root / WORKFLOW).exists()


def test_release_summary_tells_outcome_steps_and_what_to_check(
    tmp_path: Path,
) -> None:
    result = {
        "plan": "release",
        "env": "prod",
        "run_id": "r1",
        "outcome": "rolled_back",
        "completed": ["preflight", "build"],
        "failed_step": "deploy",
        "error": "Koyeb deployment ended ERROR",
        "undone": ["push"],
        "attention": ["image left in the registry"],
        "facts": {},
    }
    path = tmp_path / "release.json"
    path.write_text(json.dumps(result))

    text = release_markdown(json.loads(path.read_text()))

    assert text.startswith("### release of prod: rolled back")
    assert "| deploy | failed: Koyeb deployment ended ERROR |" in text
    assert "| push | undone |" in text
    assert "- check by hand: image left in the registry" in text
