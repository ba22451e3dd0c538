"""Runtime parity: Python of the image base, Node in CI, PostgreSQL and pg_dump."""

from __future__ import annotations

import json
import sys

import pytest

from tests.parity.project import DIGEST, PY, Project

DRIFT = 4


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

    project.edit(
        ".env", project.read(".env").split("DATABASE_URL=")[1].strip(), cluster_url
    )
    project.put_secret("DATABASE_URL", cluster_url)
    project.append("env/prod.env", "KOYEB_API_URL=http://127.0.0.1:9/v1\n")

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
