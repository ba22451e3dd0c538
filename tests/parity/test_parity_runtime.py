"""Runtime parity: Python of the image base, Node in CI, PostgreSQL and pg_dump."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.parity.pg_standin import postgres_standin
from tests.parity.project import DIGEST, PY, Project

DRIFT = 4


def _databases(project: Project, *, local: str, env: str) -> None:
    """Point the local `.env` at `local` and prod's DATABASE_URL secret at `env`."""
    project.edit(".env", project.read(".env").split("DATABASE_URL=")[1].strip(), local)
    project.put_secret("DATABASE_URL", env)
    project.append("env/prod.env", "KOYEB_API_URL=http://127.0.0.1:9/v1\n")


def _old_pg_dump(folder: Path, version: str) -> Path:
    """A folder of client programs that report PostgreSQL `version`."""
    folder.mkdir()
    for name in ("pg_dump", "pg_restore"):
        program = folder / name
        program.write_text(f'#!/bin/sh\necho "{name} (PostgreSQL) {version}"\n')
        program.chmod(0o755)
    return folder


def _runtime(project: Project, *argv: str) -> tuple[int, dict[str, dict]]:
    ran = project.inv("parity", "--env=prod", "--json", *argv)
    checks = {check["name"]: check for check in json.loads(ran.out)["runtime"]}
    return ran.code, checks


def test_image_python_other_than_the_local_interpreter_is_drift(
    project: Project,
) -> None:
    other = "3.9" if PY != "3.9" else "3.12"
    project.edit("backend/Dockerfile", f"python:{PY}-slim", f"python:{other}-slim")

    code, checks = _runtime(project, "--no-live")

    assert code == DRIFT
    python = checks["Python"]
    assert (python["status"], python["drift"]) == ("differs", True)
    assert python["theirs"]["shown"] == other
    assert python["theirs"]["where"].startswith("backend/Dockerfile:1 (python:")
    local = sys.version_info
    assert python["ours"]["shown"] == f"{local[0]}.{local[1]}.{local[2]}"


def test_python_of_a_multi_stage_build_is_read_from_the_last_stage(
    project: Project,
) -> None:
    other = "3.9" if PY != "3.9" else "3.12"
    project.edit(
        "backend/Dockerfile",
        "FROM ${BASE_IMAGE}\n",
        f"FROM python:{other}-slim AS wheels\nFROM ${{BASE_IMAGE}}\n",
    )

    code, checks = _runtime(project, "--no-live")

    assert code == 0
    python = checks["Python"]
    assert (python["status"], python["theirs"]["shown"]) == ("same", PY)
    assert python["theirs"]["where"].startswith("backend/Dockerfile:1 (python:")


def test_base_image_setting_wins_over_the_dockerfile_default(project: Project) -> None:
    project.append("env/prod.env", f"BASE_IMAGE=python:3.8-slim@{DIGEST}\n")

    code, checks = _runtime(project, "--no-live")

    assert code == DRIFT
    line = project.line_of("env/prod.env", "BASE_IMAGE")
    assert checks["Python"]["theirs"]["where"].startswith(f"env/prod.env:{line}")
    assert checks["Python"]["theirs"]["shown"] == "3.8"


@pytest.mark.integration
def test_image_without_a_python_tag_is_asked_with_python3_version(
    project: Project,
) -> None:
    from shipyard.sandbox.baseimage import ensure_base_image

    image = ensure_base_image()
    project.append("env/prod.env", f"BASE_IMAGE={image}\n")

    _, checks = _runtime(project, "--no-live")

    python = checks["Python"]
    assert python["status"] in ("same", "differs")
    assert python["theirs"]["where"].endswith(
        f"({image}, python3 --version in the image)"
    )
    assert python["theirs"]["shown"].count(".") == 2


def test_nvmrc_other_than_the_ci_node_is_drift(project: Project) -> None:
    project.write("frontend/.nvmrc", "18\n")

    code, checks = _runtime(project, "--no-live")

    assert code == DRIFT
    node = checks["Node"]
    assert (node["status"], node["drift"]) == ("differs", True)
    assert node["ours"] == {"where": "frontend/.nvmrc:1", "shown": "18"}
    line = project.line_of(".github/workflows/checks.yml", "          node-version")
    assert node["theirs"] == {
        "where": f".github/workflows/checks.yml:{line}",
        "shown": "20",
    }


def test_engines_range_the_ci_node_does_not_meet_is_drift(project: Project) -> None:
    (project.root / "frontend/.nvmrc").unlink()
    project.write("frontend/package.json", '{"engines": {"node": ">=22 <23"}}\n')

    code, checks = _runtime(project, "--no-live")

    assert code == DRIFT
    assert checks["Node"]["ours"]["where"] == "frontend/package.json engines.node"


def test_engines_range_the_ci_node_meets_is_not_drift(project: Project) -> None:
    (project.root / "frontend/.nvmrc").unlink()
    project.write("frontend/package.json", '{"engines": {"node": "^18 || ^20"}}\n')

    code, checks = _runtime(project, "--no-live")

    assert code == 0
    assert checks["Node"]["status"] == "same"


def test_unreachable_database_is_not_checked_with_the_reason(project: Project) -> None:
    code, checks = _runtime(project, "--no-live")

    assert code == 0
    server = checks["PostgreSQL server"]
    assert server["status"] == "not checked"
    assert "cannot connect to PostgreSQL at parity@127.0.0.1:9/parity" in server["hint"]
    assert project.db_password not in json.dumps(checks)


@pytest.mark.integration
def test_postgres_versions_local_and_environment_and_pg_dump_are_compared(
    project: Project, cluster_url: str
) -> None:
    from shipyard.providers.postgres import Database, PgTools, client_version

    _databases(project, local=cluster_url, env=cluster_url)

    ran = project.inv("parity", "--env=prod", "--json")

    checks = {check["name"]: check for check in json.loads(ran.out)["runtime"]}
    server = checks["PostgreSQL server"]
    assert server["status"] == "same", server
    assert server["ours"]["shown"] == server["theirs"]["shown"]
    assert server["ours"]["shown"].split(".")[0] == str(
        client_version(PgTools.find().pg_dump).major
    )
    for name in ("pg_dump vs local server", "pg_dump vs prod server"):
        assert checks[name]["status"] in ("same", "compatible"), checks[name]
    password = Database.from_url(cluster_url).password.reveal()
    assert password not in ran.out + ran.err


@pytest.mark.integration
def test_local_server_of_another_major_than_the_environment_is_drift(
    project: Project, cluster_url: str
) -> None:
    from shipyard.providers.postgres import Database, server_version

    real = server_version(Database.from_url(cluster_url))
    older = f"{real.major - 1}.4"
    with postgres_standin(older) as port:
        _databases(
            project, local=f"postgresql://dev:pw@127.0.0.1:{port}/dev", env=cluster_url
        )
        ran = project.inv("parity", "--env=prod", "--json")

    report = json.loads(ran.out)
    checks = {check["name"]: check for check in report["runtime"]}
    server = checks["PostgreSQL server"]
    assert ran.code == DRIFT
    assert (server["status"], server["drift"]) == ("differs", True)
    assert server["ours"] == {"where": "local server (DATABASE_URL)", "shown": older}
    assert server["theirs"] == {"where": "prod server (DATABASE_URL)", "shown": str(real)}
    assert f"develop against PostgreSQL {real.major}" in server["hint"]
    assert checks["pg_dump vs local server"]["status"] == "compatible"
    assert checks["pg_dump vs prod server"]["status"] == "same"
    assert report["drift"] == 1


@pytest.mark.integration
def test_pg_dump_older_than_both_servers_is_drift_against_each(
    project: Project, cluster_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.providers.postgres import Database, server_version

    real = server_version(Database.from_url(cluster_url))
    old = f"{real.major - 3}.9"
    tools = _old_pg_dump(tmp_path / "old-bin", old)
    monkeypatch.setenv("PG_BIN_DIR", str(tools))
    own_login = f"{cluster_url}?application_name=dev"
    _databases(project, local=own_login, env=cluster_url)

    ran = project.inv("parity", "--env=prod", "--json")

    report = json.loads(ran.out)
    checks = {check["name"]: check for check in report["runtime"]}
    assert ran.code == DRIFT
    assert checks["PostgreSQL server"]["status"] == "same"
    for side in ("local", "prod"):
        check = checks[f"pg_dump vs {side} server"]
        assert (check["status"], check["drift"]) == ("differs", True), check
        assert check["ours"] == {
            "where": f"pg_dump ({tools / 'pg_dump'})",
            "shown": old,
        }
        assert check["theirs"]["where"] == f"{side} server (DATABASE_URL)"
        assert check["hint"] == (
            f"pg_dump {real.major - 3} cannot dump a PostgreSQL {real.major} server: "
            f"install postgresql-client-{real.major}"
        )
    assert report["drift"] == 2


def test_parity_reads_the_pg_dump_of_pg_bin_dir_as_backups_do(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipyard.config import load
    from shipyard.providers.postgres import configured_tools

    tools = _old_pg_dump(tmp_path / "bin", "12.3")
    monkeypatch.setenv("PG_BIN_DIR", str(tools))

    _, checks = _runtime(project, "--no-live")

    backups = configured_tools(load("prod", project.root)).pg_dump
    assert backups == str(tools / "pg_dump")
    assert checks["pg_dump vs local server"]["ours"] == {
        "where": f"pg_dump ({backups})",
        "shown": "12.3",
    }


def test_pg_bin_dir_without_pg_dump_is_one_line_naming_the_setting(
    project: Project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PG_BIN_DIR", str(empty))

    _, checks = _runtime(project, "--no-live")

    check = checks["pg_dump"]
    assert check["status"] == "not checked"
    assert check["hint"].startswith(f"no pg_dump in {empty}: set PG_BIN_DIR")
