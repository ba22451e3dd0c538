"""`inv lint`: one seeded mistake per rule, found with its file, line, key and fix
(CORS rules: test_lint_cors; image rules: test_lint_images)."""

from __future__ import annotations

import json

from tests.parity.lint_run import FAILED, lint, one
from tests.parity.project import Project


def test_clean_project_has_no_findings_and_exits_zero(project: Project) -> None:
    ran = project.inv("lint", "--env=prod")
    code, findings = lint(project)

    assert ran.code == code == 0, ran.out + ran.err
    assert findings == []
    assert "lint of prod: no errors" in ran.out


def test_debug_on_in_production_is_an_error_at_its_line(project: Project) -> None:
    project.append("env/prod.env", "DEBUG=True\n")

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "debug-in-production")
    line = project.line_of("env/prod.env", "DEBUG")
    assert (found["level"], found["file"], found["key"]) == (
        "error",
        f"env/prod.env:{line}",
        "DEBUG",
    )
    assert found["fix"] == "set DEBUG=false in env/prod.env"


def test_debug_on_outside_production_is_allowed(project: Project) -> None:
    project.append("env/staging.env", "DEBUG=true\n")

    code, findings = lint(project, "staging")

    assert code == 0
    assert not [f for f in findings if f["rule"] == "debug-in-production"]


def test_allowed_hosts_without_the_backend_host_is_an_error(project: Project) -> None:
    project.edit(
        "env/prod.env",
        "ALLOWED_HOSTS=api.prod.parity.example",
        "ALLOWED_HOSTS=localhost,api.staging.parity.example",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "allowed-hosts")
    assert found["file"] == f"env/prod.env:{project.line_of('env/prod.env', 'ALLOWED')}"
    assert found["fix"] == "add api.prod.parity.example to ALLOWED_HOSTS"


def test_allowed_hosts_subdomain_pattern_covers_the_backend(project: Project) -> None:
    project.edit(
        "env/prod.env",
        "ALLOWED_HOSTS=api.prod.parity.example",
        "ALLOWED_HOSTS=.parity.example",
    )

    code, findings = lint(project)

    assert (code, findings) == (0, [])


def test_csrf_origin_without_scheme_is_an_error(project: Project) -> None:
    project.edit(
        "env/prod.env",
        "CSRF_TRUSTED_ORIGINS=https://parity-demo.netlify.app",
        "CSRF_TRUSTED_ORIGINS=parity-demo.netlify.app",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "csrf-scheme")
    assert found["file"] == f"env/prod.env:{project.line_of('env/prod.env', 'CSRF')}"
    assert found["fix"] == "write https://parity-demo.netlify.app"


def test_api_url_pointing_at_another_backend_is_an_error(project: Project) -> None:
    project.append(
        "env/prod.env", "NEXT_PUBLIC_API_URL=https://api.staging.parity.example/api\n"
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "api-url")
    line = project.line_of("env/prod.env", "NEXT_PUBLIC_API_URL")
    assert found["file"] == f"env/prod.env:{line}"
    assert "https://api.prod.parity.example" in found["fix"]


def test_exposed_port_other_than_the_route_port_is_an_error(project: Project) -> None:
    project.edit("backend/Dockerfile", "EXPOSE 8000", "EXPOSE 8080")

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "ports")
    line = project.line_of("backend/Dockerfile", "EXPOSE")
    assert (found["file"], found["key"]) == (f"backend/Dockerfile:{line}", "EXPOSE")


def test_health_check_port_other_than_the_route_port_is_an_error(
    project: Project,
) -> None:
    project.edit(
        "shipyard.toml",
        'health_path = "/health/"',
        'health_path = "/health/"\nhealth_port = 9000',
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "ports")
    assert (found["file"], found["key"]) == (
        "shipyard.toml [backend] health_port",
        "health_port",
    )


def test_start_command_default_port_other_than_the_port_is_an_error(
    project: Project,
) -> None:
    project.edit("backend/Dockerfile", "${PORT:-8000}", "${PORT:-5000}")

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "ports")
    assert (
        found["file"]
        == f"backend/Dockerfile:{project.line_of('backend/Dockerfile', 'CMD')}"
    )


def test_publish_folder_without_index_html_is_an_error(project: Project) -> None:
    (project.root / "frontend/out/index.html").unlink()
    project.write("frontend/out/app.js", "console.log(1)\n")

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "publish-folder")
    assert found["file"] == "shipyard.toml [frontend] publish"
    assert "frontend/out has no index.html" in found["message"]


def test_next_build_folder_as_publish_folder_is_an_error(project: Project) -> None:
    project.edit("shipyard.toml", 'publish = "out"', 'publish = ".next"')

    code, findings = lint(project)

    assert code == FAILED
    assert "output: 'export'" in one(findings, "publish-folder")["fix"]


def test_committed_env_file_with_a_secret_looking_value_is_an_error(
    project: Project,
) -> None:
    token = "sk_live_" + "shipyardFixture0Not4Real9x"
    project.append("env/staging.env", f"STRIPE_API_KEY={token}\n")
    project.git_add()

    ran = project.inv("lint", "--env=prod", "--json")

    assert ran.code == FAILED
    assert token not in ran.out + ran.err
    found = one(json.loads(ran.out)["findings"], "committed-secret")
    line = project.line_of("env/staging.env", "STRIPE")
    assert (found["file"], found["key"]) == (
        f"env/staging.env:{line}",
        "STRIPE_API_KEY",
    )
    assert "inv secrets.set STRIPE_API_KEY --env=staging" in found["fix"]


def test_untracked_env_file_with_secrets_is_not_flagged(project: Project) -> None:
    code, findings = lint(project)

    assert (code, findings) == (0, [])
    assert project.secret_key in project.read(".env")


def test_secret_a_workflow_reads_but_the_manifest_lacks_is_an_error(
    project: Project,
) -> None:
    project.append(
        ".github/workflows/checks.yml",
        "        env:\n          SENTRY_AUTH_TOKEN: ${{ secrets.SENTRY_AUTH_TOKEN }}\n",
    )

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "secret-not-in-manifest")
    line = project.line_of(".github/workflows/checks.yml", "          SENTRY")
    assert found["file"] == f".github/workflows/checks.yml:{line}"
    assert found["key"] == "SENTRY_AUTH_TOKEN"


def test_secret_the_backend_reads_but_the_manifest_lacks_is_a_warning(
    project: Project,
) -> None:
    project.append(
        "backend/app/settings.py",
        'STRIPE_SECRET = os.environ.get("STRIPE_SECRET_KEY")\n',
    )

    code, findings = lint(project)

    assert code == 0
    found = one(findings, "secret-not-in-manifest")
    line = project.line_of("backend/app/settings.py", "STRIPE")
    assert (found["level"], found["file"]) == (
        "warning",
        f"backend/app/settings.py:{line}",
    )


def test_manifest_secret_delivered_nowhere_is_an_error(project: Project) -> None:
    project.append("shipyard.toml", '\n[secrets.OLD_API_KEY]\nkind = "external"\n')

    code, findings = lint(project)

    assert code == FAILED
    found = one(findings, "secret-delivered-nowhere")
    assert (found["file"], found["key"]) == (
        "shipyard.toml [secrets.OLD_API_KEY]",
        "OLD_API_KEY",
    )


def test_error_line_names_the_first_error_and_its_fix(project: Project) -> None:
    project.append("env/prod.env", "DEBUG=on\n")

    ran = project.inv("lint", "--env=prod")

    assert ran.code == FAILED
    assert "lint of prod: 1 error(s), first: env/prod.env" in ran.err
    assert "debug-in-production" in ran.out
