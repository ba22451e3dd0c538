"""`inv parity` over files and the store: local env, env files, manifest, ignores."""

from __future__ import annotations

import json

from tests.parity.project import Project

DRIFT = 4


def _differences(project: Project, *argv: str) -> tuple[int, list[dict]]:
    ran = project.inv("parity", "--env=prod", "--no-live", "--json", *argv)
    return ran.code, json.loads(ran.out)["differences"]


def _drift(differences: list[dict]) -> list[dict]:
    return [d for d in differences if d["drift"]]


def test_clean_project_has_no_drift_and_exits_zero(project: Project) -> None:
    ran = project.inv("parity", "--env=prod", "--no-live")

    assert ran.code == 0, ran.out + ran.err
    assert "parity of prod: no drift" in ran.out
    assert "every key matches" in ran.out


def test_without_a_local_env_file_nothing_claims_local_matches(
    project: Project,
) -> None:
    (project.root / ".env").unlink()

    ran = project.inv("parity", "--env=prod", "--no-live")

    assert ran.code == 0, ran.out + ran.err
    assert "against local" not in ran.out
    assert "not checked: local" in ran.out + ran.err


def test_key_the_environment_has_but_local_lacks_is_missing_drift(
    project: Project,
) -> None:
    project.edit(".env", "NEXT_PUBLIC_ENVIRONMENT=local\n", "")

    code, differences = _differences(project)

    assert code == DRIFT
    [missing] = _drift(differences)
    assert missing["key"] == "NEXT_PUBLIC_ENVIRONMENT"
    assert missing["kind"] == "missing"
    line = project.line_of("env/prod.env", "NEXT_PUBLIC_ENVIRONMENT")
    assert missing["expected"] == {"where": f"env/prod.env:{line}", "shown": "prod"}
    assert missing["found"] == {"where": ".env", "shown": "absent"}


def test_key_only_local_sets_is_extra_drift_with_its_line(project: Project) -> None:
    project.append(".env", "FEATURE_BETA=on\n")

    code, differences = _differences(project)

    assert code == DRIFT
    [extra] = _drift(differences)
    assert (extra["key"], extra["kind"]) == ("FEATURE_BETA", "extra")
    assert extra["found"] == {
        "where": f".env:{project.line_of('.env', 'FEATURE')}",
        "shown": "on",
    }
    assert "env/prod.env" in extra["hint"]


def test_ignore_list_in_shipyard_toml_silences_a_key(project: Project) -> None:
    project.append(".env", "FEATURE_BETA=on\n")
    project.append("shipyard.toml", '\n[parity]\nignore = ["FEATURE_*"]\n')

    ran = project.inv("parity", "--env=prod", "--no-live", "--json")

    assert ran.code == 0, ran.out
    report = json.loads(ran.out)
    assert report["ignored"] == ["FEATURE_*"]
    assert "FEATURE_BETA" not in str(report["differences"])
    assert not _drift(report["differences"])


def test_env_local_is_read_when_there_is_no_dot_env(project: Project) -> None:
    text = project.read(".env")
    (project.root / ".env").unlink()
    project.write("env/local.env", text.replace("DEBUG=true\n", ""))

    code, differences = _differences(project)

    assert code == DRIFT
    [missing] = _drift(differences)
    assert missing["key"] == "DEBUG"
    assert missing["found"]["where"] == "env/local.env"
    assert missing["expected"]["where"] == "shipyard.toml [defaults]"


def test_no_local_file_is_reported_as_not_checked_not_as_a_crash(
    project: Project,
) -> None:
    (project.root / ".env").unlink()

    ran = project.inv("parity", "--env=prod", "--no-live", "--json")

    assert ran.code == 0, ran.err
    assert {"source": "local", "why": "no .env or env/local.env in the project"} in (
        json.loads(ran.out)["not_checked"]
    )


def test_values_that_differ_between_environments_are_notes_not_drift(
    project: Project,
) -> None:
    code, differences = _differences(project)

    assert code == 0
    debug = next(d for d in differences if d["key"] == "DEBUG")
    assert debug["kind"] == "different" and debug["drift"] is False
    assert (debug["expected"]["shown"], debug["found"]["shown"]) == ("false", "true")


def test_local_holding_the_environments_secret_is_drift_shown_by_fingerprint(
    project: Project,
) -> None:
    production_key = project.store.get("DJANGO_SECRET_KEY").reveal()
    project.edit(".env", project.secret_key, production_key)

    ran = project.inv("parity", "--env=prod", "--no-live")
    as_json = project.inv("parity", "--env=prod", "--no-live", "--json", "--notes")

    assert ran.code == as_json.code == DRIFT
    for output in (ran.out, ran.err, as_json.out, as_json.err):
        assert production_key not in output
        assert project.db_password not in output
    [shared] = _drift(json.loads(as_json.out)["differences"])
    assert (shared["key"], shared["kind"]) == ("SECRET_KEY", "shared")
    assert shared["found"]["where"] == f".env:{project.line_of('.env', 'SECRET_KEY')}"
    assert shared["expected"]["where"] == "secret store (DJANGO_SECRET_KEY)"
    assert shared["found"]["shown"] == shared["expected"]["shown"]
    assert shared["found"]["shown"].startswith("hmac-sha256:")


def test_local_secret_of_its_own_is_not_drift_and_never_shown(
    project: Project,
) -> None:
    ran = project.inv("parity", "--env=prod", "--no-live", "--notes")

    assert ran.code == 0
    assert project.secret_key not in ran.out + ran.err
    assert project.db_password not in ran.out + ran.err


def test_secret_written_into_the_env_file_is_drift_shown_as_fingerprint(
    project: Project,
) -> None:
    leaked = "postgresql://app:Leaked-Password-77@db.example/app"
    project.append("env/prod.env", f"DATABASE_URL={leaked}\n")

    ran = project.inv("parity", "--env=prod", "--no-live", "--json")

    assert ran.code == DRIFT
    assert "Leaked-Password-77" not in ran.out + ran.err
    [found] = [
        d
        for d in _drift(json.loads(ran.out)["differences"])
        if d["key"] == "DATABASE_URL"
    ]
    line = project.line_of("env/prod.env", "DATABASE_URL")
    assert found["found"]["where"] == f"env/prod.env:{line}"
    assert found["found"]["shown"].startswith("hmac-sha256:")
    assert "secret store" in found["hint"]


def test_manifest_secret_missing_from_the_store_is_drift(project: Project) -> None:
    project.append("shipyard.toml", '\n[secrets.STRIPE_KEY]\ntargets = ["koyeb"]\n')

    code, differences = _differences(project)

    assert code == DRIFT
    [missing] = [
        d
        for d in _drift(differences)
        if d["key"] == "STRIPE_KEY" and d["found"]["where"].startswith("secret store")
    ]
    assert missing["kind"] == "missing"
    assert missing["expected"]["where"] == "shipyard.toml [secrets.STRIPE_KEY]"
    assert missing["found"]["where"] == "secret store (sandbox)"
    assert "inv secrets.set STRIPE_KEY --env=prod" in missing["hint"]


def test_against_another_environment_compares_its_keys(project: Project) -> None:
    project.append("env/staging.env", "SENTRY_ENVIRONMENT=staging\n")

    code, differences = _differences(project, "--against=staging")

    assert code == DRIFT
    [extra] = _drift(differences)
    assert extra["key"] == "SENTRY_ENVIRONMENT"
    line = project.line_of("env/staging.env", "SENTRY")
    assert extra["found"]["where"] == f"env/staging.env:{line}"


def test_summary_file_gets_a_markdown_table_of_the_drift(project: Project) -> None:
    project.append(".env", "FEATURE_BETA=on\n")
    summary = project.root / "summary.md"

    ran = project.inv(
        "parity",
        "--env=prod",
        "--no-live",
        "--against=local",
        f"--summary-file={summary}",
    )

    assert ran.code == DRIFT
    text = summary.read_text()
    assert text.startswith("### Parity of prod")
    assert "| FEATURE_BETA | extra |" in text
    assert "drift finding" in ran.err or "drift" in ran.out


def test_strict_turns_a_source_that_was_not_read_into_a_failure(
    project: Project,
) -> None:
    (project.root / ".env").unlink()

    lenient = project.inv("parity", "--env=prod", "--no-live")
    strict = project.inv("parity", "--env=prod", "--no-live", "--strict")

    assert lenient.code == 0, lenient.out + lenient.err
    assert strict.code == DRIFT
    assert "not checked: local" in strict.err
