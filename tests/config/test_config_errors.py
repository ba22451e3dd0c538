"""Configuration mistakes end `inv config` with one line naming the file and key."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example's configuration that a test may break."""
    shutil.copy(ROOT / "shipyard.toml", tmp_path / "shipyard.toml")
    shutil.copytree(ROOT / "env", tmp_path / "env")
    (tmp_path / "examples" / "backend").mkdir(parents=True)
    (tmp_path / "examples" / "frontend").mkdir(parents=True)
    shutil.copy(ROOT / "tasks.py", tmp_path / "tasks.py")
    return tmp_path


def inv(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REGISTRY", "KOYEB_API_URL", "DEPLOY_TIMEOUT")
    }
    environment.update(env)
    environment.pop("SHIPYARD_ROOT", None)
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line_error(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_unknown_environment_names_the_known_ones(project: Path) -> None:
    result = inv(project, "config", "--env=prodd")
    assert_one_line_error(result, "prodd", "shipyard.toml", "sandbox, staging, prod")


def test_missing_required_key_names_the_env_file_and_key(project: Path) -> None:
    env_file = project / "env" / "prod.env"
    kept = [
        line
        for line in env_file.read_text().splitlines()
        if not line.startswith("REGISTRY=")
    ]
    env_file.write_text("\n".join(kept) + "\n")
    (project / "shipyard.toml").write_text(
        (project / "shipyard.toml").read_text().replace('REGISTRY = "docker.io"\n', "")
    )
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "env/prod.env", "REGISTRY", "missing")


def test_malformed_env_file_names_the_line(project: Path) -> None:
    env_file = project / "env" / "staging.env"
    env_file.write_text(env_file.read_text() + 'BROKEN "no equals sign\n')
    result = inv(project, "config", "--env=staging")
    lines = len(env_file.read_text().splitlines())
    assert_one_line_error(result, f"env/staging.env:{lines}", "KEY=value")


def test_wrong_type_names_the_file_key_and_expectation(project: Path) -> None:
    env_file = project / "env" / "prod.env"
    env_file.write_text(env_file.read_text() + "DEPLOY_TIMEOUT=soon\n")
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "env/prod.env", "DEPLOY_TIMEOUT", "whole number")


def test_process_environment_overrides_env_file_and_says_so(project: Path) -> None:
    result = inv(project, "config", "--env=prod", "--json", DEPLOY_TIMEOUT="42")
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)["settings"]
    assert settings["DEPLOY_TIMEOUT"] == {"value": 42, "from": "process environment"}
    assert settings["REGISTRY"]["from"] == "env/prod.env"


def test_missing_backend_env_key_names_it(project: Path) -> None:
    env_file = project / "env" / "prod.env"
    kept = [
        line
        for line in env_file.read_text().splitlines()
        if not line.startswith("ALLOWED_HOSTS=")
    ]
    env_file.write_text("\n".join(kept) + "\n")
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "env/prod.env", "ALLOWED_HOSTS")


def test_config_masks_secret_values(project: Path) -> None:
    sentinel = "sentinel-koyeb-token-7f3a9c"
    (project / "env" / "prod.env").write_text(
        (project / "env" / "prod.env").read_text() + "SECRET_STORE=env\n"
    )
    result = inv(project, "config", "--env=prod", KOYEB_TOKEN=sentinel)
    assert result.returncode == 0, result.stderr
    assert sentinel not in result.stdout + result.stderr
    assert "KOYEB_TOKEN" in result.stdout


def test_a_negative_timeout_is_refused_with_the_least_allowed(project: Path) -> None:
    env_file = project / "env" / "prod.env"
    env_file.write_text(env_file.read_text() + "DEPLOY_TIMEOUT=-5\n")
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "env/prod.env", "DEPLOY_TIMEOUT", "at least 1")


def test_backend_env_written_as_text_is_refused(project: Path) -> None:
    toml = project / "shipyard.toml"
    toml.write_text(toml.read_text().replace(
        'env = ["DEBUG", "ALLOWED_HOSTS", "CORS_ALLOWED_ORIGINS", '
        '"CSRF_TRUSTED_ORIGINS"]', 'env = "DEBUG"'))
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "shipyard.toml", "[backend] env", "list")


def test_a_missing_frontend_folder_is_named(project: Path) -> None:
    (project / "examples" / "frontend").rmdir()
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "[frontend] folder", "frontend")


def test_env_files_do_not_expand_process_variables(project: Path) -> None:
    env_file = project / "env" / "prod.env"
    env_file.write_text(env_file.read_text() + "ALLOWED_HOSTS=${LEAKED}\n")
    result = inv(project, "config", "--env=prod", "--json", LEAKED="from-process")
    assert result.returncode == 0, result.stderr
    backend_env = json.loads(result.stdout)["backend"]["env"]
    assert backend_env["ALLOWED_HOSTS"] == "${LEAKED}"


@pytest.mark.parametrize("flags", [["--resume", "--dry-run"],
                                   ["--abort", "--dry-run"],
                                   ["--resume", "--abort"]])
def test_picking_up_a_cut_off_run_refuses_ambiguous_flags(
    project: Path, flags: list[str]
) -> None:
    result = inv(project, "release", "--env=prod", *flags)
    assert_one_line_error(result, "--")
    assert not (project / ".shipyard").exists()


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("", "REGISTRY is docker.io"),
        ("REGISTRY=127.0.0.1:5000\n", "KOYEB_API_URL is https://app.koyeb.com/v1"),
        (
            (
                "REGISTRY=localhost:5000\nKOYEB_API_URL=http://127.0.0.1:8601/v1\n"
                "NETLIFY_API_URL=http://[::1]:8602/api/v1\n"
                "GITHUB_API_URL=http://127.0.0.1:8603\n"
            ),
            "S3_ENDPOINT_URL is empty (the real service)",
        ),
    ],
)
def test_sandbox_store_is_refused_where_a_provider_is_not_on_loopback(
    project: Path, line: str, key: str
) -> None:
    env_file = project / "env" / "prod.env"
    env_file.write_text(env_file.read_text() + "SECRET_STORE=sandbox\n" + line)
    result = inv(project, "config", "--env=prod")
    assert_one_line_error(result, "env/prod.env", "SECRET_STORE=sandbox", key)


def test_sandbox_store_is_accepted_for_the_loopback_sandbox(project: Path) -> None:
    result = inv(project, "config", "--env=sandbox")
    assert result.returncode == 0, result.stderr
    assert "SECRET_STORE" in result.stdout and "sandbox" in result.stdout


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["rollback", "--env=sandbox", "--to="],
         ["--to is empty", "inv releases --env=sandbox", "leave --to out"]),
        (["backup.restore", "--env=sandbox", "--id=", "--yes"],
         ["--id is empty", "inv backup.list --env=sandbox"]),
        (["backup.verify", "--env=sandbox", "--id="], ["--id is empty"]),
        (["rotate", "--env=sandbox", "--secret="], ["--secret is empty", "--due"]),
    ],
)
def test_an_explicitly_empty_value_flag_is_refused_not_defaulted(
    project: Path, args: list[str], words: list[str]
) -> None:
    result = inv(project, *args)
    assert_one_line_error(result, *words)
    assert result.stdout == ""
    assert not (project / ".shipyard").exists()


@pytest.mark.parametrize(
    ("args", "env", "code"),
    [
        (["release", "--env=prodd", "--json"], {}, 2),
        (["config", "--env=prod", "--json"], {"DEPLOY_TIMEOUT": "soon"}, 2),
        (["rotate", "--env=sandbox", "--secret=", "--json"], {}, 1),
    ],
)
def test_a_json_run_that_fails_early_prints_one_failure_object_on_stdout(
    project: Path, args: list[str], env: dict[str, str], code: int
) -> None:
    result = inv(project, *args, **env)
    assert_one_line_error(result)
    assert result.returncode == code
    printed = json.loads(result.stdout)
    assert printed == {"ok": False, "exit_code": code,
                       "error": result.stderr.strip().removeprefix("error: ")}


def test_a_json_failure_masks_a_secret_value_the_error_would_show(
    project: Path,
) -> None:
    sentinel = "sentinel-aws-secret-4d81be"
    env_file = project / "env" / "staging.env"
    env_file.write_text(env_file.read_text() + "SECRET_STORE=env\n")
    result = inv(project, "backup.verify", "--env=staging", f"--id={sentinel}",
                 "--json", AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
                 AWS_SECRET_ACCESS_KEY=sentinel,
                 DATABASE_URL="postgresql://user:pw@127.0.0.1:9/app",
                 S3_ENDPOINT_URL="http://127.0.0.1:9")
    assert_one_line_error(result, "EndpointConnectionError")
    printed = json.loads(result.stdout)
    assert printed["ok"] is False and printed["exit_code"] == 1
    assert "****" in printed["error"]
    assert sentinel not in result.stdout + result.stderr
