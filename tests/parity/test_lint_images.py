"""`inv lint` on the images a production build pulls: every FROM line of the
Dockerfile and BASE_IMAGE, each found where it is written."""

from __future__ import annotations

from tests.parity.lint_run import FAILED, lint, one
from tests.parity.project import DIGEST, PY, Project


def test_latest_base_image_in_production_is_an_error(project: Project) -> None:
    project.edit("backend/Dockerfile", f"python:{PY}-slim@{DIGEST}", "python:latest")

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "moving-image-tag")
    assert (found["level"], found["file"]) == ("error", "backend/Dockerfile:1")
    assert found["key"] == "BASE_IMAGE"


def test_version_tag_without_digest_in_production_is_a_warning(
    project: Project,
) -> None:
    project.edit("backend/Dockerfile", f"-slim@{DIGEST}", "-slim")

    code, findings = lint(project)
    staging_code, staging = lint(project, "staging")

    assert code == 0
    assert one(findings, "moving-image-tag")["level"] == "warning"
    assert (staging_code, staging) == (0, [])


def test_every_from_line_of_a_multi_stage_build_is_checked_at_its_line(
    project: Project,
) -> None:
    project.edit(
        "backend/Dockerfile",
        "FROM ${BASE_IMAGE}\n",
        "FROM node:latest AS assets\n"
        "RUN echo built > /built\n"
        f"FROM python:{PY}-slim AS wheels\n"
        "FROM assets AS checked\n"
        "FROM scratch AS empty\n"
        "FROM ${BASE_IMAGE}\n"
        "COPY --from=assets /built /built\n",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = sorted(
        (f["file"], f["key"], f["level"])
        for f in findings
        if f["rule"] == "moving-image-tag"
    )
    assert found == [
        ("backend/Dockerfile:2", "FROM", "error"),
        ("backend/Dockerfile:4", "FROM", "warning"),
    ]
    [latest] = [f for f in findings if f["file"] == "backend/Dockerfile:2"]
    assert "node:latest" in latest["message"]
    assert latest["fix"] == "pin it by digest: node:latest@sha256:<digest>"


def test_moving_base_image_setting_is_found_where_it_is_set(
    project: Project,
) -> None:
    project.append("env/prod.env", "BASE_IMAGE=python:latest\n")

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "moving-image-tag")
    line = project.line_of("env/prod.env", "BASE_IMAGE")
    assert (found["file"], found["key"]) == (f"env/prod.env:{line}", "BASE_IMAGE")
