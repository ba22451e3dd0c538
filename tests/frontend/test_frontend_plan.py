"""The frontend's place in the release and rollback plans, and its configuration
mistakes, as data: nothing here builds or deploys."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard import config as config_module
from shipyard.config import Config
from shipyard.errors import ConfigError
from shipyard.ledger import Release
from shipyard.release import plan_release
from shipyard.release_context import ReleaseInputs
from shipyard.rollback import plan_rollback

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ReleaseInputs(git_sha="3f2a9c1" + "0" * 33, tag="3f2a9c100000",
                       release_id="3f2a9c1-20240131T120000Z")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The example's configuration, with its app folders, in a folder of its own."""
    shutil.copy(ROOT / "shipyard.toml", tmp_path / "shipyard.toml")
    shutil.copytree(ROOT / "env", tmp_path / "env")
    (tmp_path / "examples" / "backend").mkdir(parents=True)
    (tmp_path / "examples" / "frontend").mkdir(parents=True)
    return tmp_path


def load(project: Path, env: str = "sandbox", **overrides: str) -> Config:
    with pytest.MonkeyPatch.context() as patch:
        for key in ("BACKEND_PUBLIC_URL", "NETLIFY_SITE_ID", "NEXT_PUBLIC_ENVIRONMENT"):
            patch.delenv(key, raising=False)
        for key, value in overrides.items():
            patch.setenv(key, value)
        return config_module.load(env, root=project)


def test_release_builds_both_halves_together_and_deploys_the_frontend_last(
    project: Path,
) -> None:
    plan = plan_release(load(project), INPUTS)

    assert plan.step_names == [
        "preflight", "backend_app", "build", "push", "backup", "deploy", "wait_healthy",
        "smoke_test", "deploy_frontend", "smoke_test_frontend",
    ]
    described = {item["step"]: item for item in plan.describe()}
    assert "at the same time the frontend in examples/frontend/" in (
        described["build"]["description"])
    assert described["deploy_frontend"]["undo"] is True
    assert described["smoke_test_frontend"]["changes_world"] is False
    assert "CORS preflight" in described["smoke_test_frontend"]["description"]


def test_configured_backend_url_needs_no_koyeb_app_before_the_build(
    project: Path,
) -> None:
    config = load(project, "prod")

    plan = plan_release(config, INPUTS)

    assert "backend_app" not in plan.step_names
    assert config["BACKEND_PUBLIC_URL"] == "https://shipyard-demo.koyeb.app"


def test_project_without_frontend_releases_the_backend_alone(project: Path) -> None:
    toml = project / "shipyard.toml"
    text = toml.read_text()
    start, end = text.index("[frontend]"), text.index("[defaults]")
    toml.write_text(text[:start] + text[end:])
    config = load(project)

    plan = plan_release(config, INPUTS)

    assert plan.step_names == ["preflight", "build", "push", "backup", "deploy",
                               "wait_healthy", "smoke_test"]
    assert "NETLIFY_AUTH_TOKEN" not in config.secret_names


def test_rollback_publishes_the_target_frontend_deploy_again(project: Path) -> None:
    target = Release(id="r1", env="sandbox", git_sha=INPUTS.git_sha,
                     image_ref="127.0.0.1:5000/demo@sha256:" + "a" * 64,
                     backend_deployment_id="dep-1", frontend_deploy_id="f" * 24)

    plan = plan_rollback(load(project), target)

    assert plan.step_names[-2:] == ["deploy_frontend", "smoke_test_frontend"]
    assert "f" * 24 in plan.step("deploy_frontend").description
    assert plan.step("deploy_frontend").undo is not None


def test_rollback_to_a_release_without_frontend_leaves_the_frontend_alone(
    project: Path,
) -> None:
    target = Release(id="r0", env="sandbox", git_sha=INPUTS.git_sha,
                     image_ref="127.0.0.1:5000/demo@sha256:" + "a" * 64,
                     backend_deployment_id="dep-0")

    plan = plan_rollback(load(project), target)

    assert "deploy_frontend" not in plan.step_names


def test_site_id_from_the_env_file_wins_over_the_site_name(project: Path) -> None:
    assert load(project).netlify_site == "5b1e3c7a-9d2f-4e8b-a6c1-0f3d2e4b5a69"
    assert load(project, "prod").netlify_site == "shipyard-demo"


def test_frontend_value_that_is_not_public_is_refused(project: Path) -> None:
    toml = project / "shipyard.toml"
    toml.write_text(toml.read_text().replace(
        'env = ["NEXT_PUBLIC_ENVIRONMENT"]', 'env = ["DATABASE_URL"]'))

    with pytest.raises(ConfigError, match=r"\[frontend\] env lists DATABASE_URL"):
        load(project)


def test_missing_frontend_value_names_the_env_file_and_key(project: Path) -> None:
    env_file = project / "env" / "staging.env"
    kept = [line for line in env_file.read_text().splitlines()
            if not line.startswith("NEXT_PUBLIC_ENVIRONMENT=")]
    env_file.write_text("\n".join(kept) + "\n")
    (project / "tasks.py").write_text((ROOT / "tasks.py").read_text())

    result = subprocess.run(
        [sys.executable, "-m", "invoke", "config", "--env=staging"], cwd=project,
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(project)},
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "env/staging.env" in lines[0] and "NEXT_PUBLIC_ENVIRONMENT" in lines[0]
    assert "[frontend] env" in lines[0]
