"""`inv lint` on CORS_ALLOWED_ORIGINS: the frontend's origin, wildcards that belong
in the regex setting, and entries that are not origins."""

from __future__ import annotations

from tests.parity.lint_run import FAILED, lint, one
from tests.parity.project import Project


def test_cors_without_the_frontend_origin_is_an_error(project: Project) -> None:
    project.edit(
        "env/prod.env",
        "CORS_ALLOWED_ORIGINS=https://parity-demo.netlify.app",
        "CORS_ALLOWED_ORIGINS=https://other.netlify.app",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "cors-missing-frontend")
    assert found["file"] == f"env/prod.env:{project.line_of('env/prod.env', 'CORS')}"
    assert found["fix"] == "add https://parity-demo.netlify.app to CORS_ALLOWED_ORIGINS"


def test_cors_wildcard_is_an_error_pointing_at_the_regex_setting(
    project: Project,
) -> None:
    project.edit(
        "env/prod.env",
        "CORS_ALLOWED_ORIGINS=https://parity-demo.netlify.app",
        "CORS_ALLOWED_ORIGINS=https://*.netlify.app",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "cors-wildcard")
    assert found["key"] == "CORS_ALLOWED_ORIGINS"
    assert found["file"] == f"env/prod.env:{project.line_of('env/prod.env', 'CORS')}"
    assert "CORS_ALLOWED_ORIGIN_REGEXES" in found["fix"]
    assert r"^https://[a-z0-9-]+\.netlify\.app$" in found["fix"]
    assert one(findings, "cors-missing-frontend")["level"] == "error"


def test_cors_origin_with_a_path_is_an_error_naming_the_origin(
    project: Project,
) -> None:
    project.edit(
        "env/prod.env",
        "CORS_ALLOWED_ORIGINS=https://parity-demo.netlify.app",
        "CORS_ALLOWED_ORIGINS=https://parity-demo.netlify.app/app",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "cors-origin-shape")
    assert (found["level"], found["key"]) == ("error", "CORS_ALLOWED_ORIGINS")
    assert found["file"] == f"env/prod.env:{project.line_of('env/prod.env', 'CORS')}"
    assert "https://parity-demo.netlify.app/app is not an origin" in found["message"]
    assert found["fix"] == "write it as https://parity-demo.netlify.app"


def test_cors_origin_regex_setting_allows_the_frontend(project: Project) -> None:
    project.edit(
        "env/prod.env",
        "CORS_ALLOWED_ORIGINS=https://parity-demo.netlify.app",
        "CORS_ALLOWED_ORIGINS=",
    )
    project.append(
        "env/prod.env",
        r"CORS_ALLOWED_ORIGIN_REGEXES=^https://[a-z-]+\.netlify\.app$"
        "\n",
    )

    code, findings = lint(project)

    assert (code, findings) == (0, [])
