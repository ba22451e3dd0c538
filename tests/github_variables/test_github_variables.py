"""`[github] variables`: push, check and parity against the real GitHub stand-in,
and the list refused at load when it would put a secret in a variable."""

from __future__ import annotations

import secrets

import pytest

from shipyard import config as config_module
from shipyard.errors import ConfigError
from tests.parity.live import DRIFT, Live, drift_of
from tests.parity.project import Project, Ran

pytestmark = pytest.mark.integration

VARIABLES = """
[github]
variables = [
    { NEXT_PUBLIC_ENVIRONMENT = "{ENV}_ENVIRONMENT" },
    { BACKEND_PUBLIC_URL = "{ENV}_BACKEND_URL" },
]
"""
PROD_URL = "https://api.prod.parity.example"


def held(live: Live) -> dict[str, str]:
    """The stand-in repository's variables, read straight from its API."""
    with live.github.http() as http:
        answer = http.get(
            f"/repos/octo/{live.repo}/actions/variables", params={"per_page": 30}
        )
        answer.raise_for_status()
        return {v["name"]: v["value"] for v in answer.json()["variables"]}


def change_by_hand(live: Live, name: str, value: str | None) -> None:
    """Set (create or update) or delete variable `name` as a person in GitHub would."""
    base = f"/repos/octo/{live.repo}/actions/variables"
    with live.github.http() as http:
        if value is None:
            answer = http.delete(f"{base}/{name}")
        elif name in held(live):
            answer = http.patch(f"{base}/{name}", json={"value": value})
        else:
            answer = http.post(base, json={"name": name, "value": value})
        answer.raise_for_status()


def pushed(live: Live) -> Ran:
    ran = live.project.inv("secrets.push", "--env=prod")
    assert ran.code == 0, ran.out + ran.err
    return ran


@pytest.fixture
def listed(live: Live) -> Live:
    """The project with `[github] variables` naming two keys of its env ladder."""
    live.project.append("shipyard.toml", VARIABLES)
    return live


def test_push_sets_the_listed_variables_and_its_dry_run_sets_none(listed: Live) -> None:
    plan = listed.project.inv("secrets.push", "--env=prod", "--dry-run")

    assert plan.code == 0, plan.out + plan.err
    assert (
        f"would deliver BACKEND_PUBLIC_URL → github:variable:PROD_BACKEND_URL = "
        f"'{PROD_URL}'" in plan.out
    )
    assert held(listed) == {}

    pushed(listed)

    assert held(listed) == {"PROD_ENVIRONMENT": "prod", "PROD_BACKEND_URL": PROD_URL}


def test_push_updates_a_variable_whose_env_file_value_changed(listed: Live) -> None:
    pushed(listed)
    moved = "https://api2.prod.parity.example"
    listed.project.edit("env/prod.env", f"BACKEND_PUBLIC_URL={PROD_URL}",
                        f"BACKEND_PUBLIC_URL={moved}")

    again = pushed(listed)

    assert held(listed) == {"PROD_ENVIRONMENT": "prod", "PROD_BACKEND_URL": moved}
    output = again.out + again.err
    assert "updated BACKEND_PUBLIC_URL → github:variable:PROD_BACKEND_URL" in output
    assert "created" not in output and "updated NEXT_PUBLIC_ENVIRONMENT" not in output


def test_check_names_a_missing_and_a_changed_variable_until_pushed(
    listed: Live,
) -> None:
    pushed(listed)
    change_by_hand(listed, "PROD_ENVIRONMENT", None)
    change_by_hand(listed, "PROD_BACKEND_URL", "https://evil.example")

    checked = listed.project.inv("secrets.check", "--env=prod")

    output = checked.out + checked.err
    assert checked.code != 0
    assert "NEXT_PUBLIC_ENVIRONMENT: missing at github:variable:PROD_ENVIRONMENT" in (
        output)
    line = listed.project.line_of("env/prod.env", "BACKEND_PUBLIC_URL")
    assert (
        "BACKEND_PUBLIC_URL: github:variable:PROD_BACKEND_URL holds "
        f"'https://evil.example', env/prod.env:{line} says '{PROD_URL}'" in output
    )
    pushed(listed)
    after = listed.project.inv("secrets.check", "--env=prod")
    assert after.code == 0, after.out + after.err


def test_parity_reports_missing_extra_and_changed_variables_as_drift(
    listed: Live,
) -> None:
    listed.deploy()
    pushed(listed)
    code, report, _ = listed.parity()
    assert code == 0, drift_of(report)

    change_by_hand(listed, "PROD_ENVIRONMENT", None)
    change_by_hand(listed, "PROD_BACKEND_URL", "https://evil.example")
    change_by_hand(listed, "SET_BY_HAND", "x")
    change_by_hand(listed, "STAGING_ENVIRONMENT", "staging")
    code, report, _ = listed.parity()

    assert code == DRIFT
    found = {d["key"]: d for d in drift_of(report)}
    assert {key: d["kind"] for key, d in found.items()} == {
        "PROD_ENVIRONMENT": "missing",
        "PROD_BACKEND_URL": "different",
        "SET_BY_HAND": "extra",
    }
    line = listed.project.line_of("env/prod.env", "BACKEND_PUBLIC_URL")
    assert found["PROD_BACKEND_URL"]["expected"] == {
        "where": f"env/prod.env:{line}", "shown": PROD_URL,
    }
    assert found["PROD_BACKEND_URL"]["found"] == {
        "where": f"GitHub octo/{listed.repo} variables",
        "shown": "https://evil.example",
    }


@pytest.mark.parametrize(
    ("table", "key", "declared"),
    [
        ("", "DATABASE_URL", "[backend.secrets]"),
        ('[secrets.PAYMENT_KEY]\nkind = "external"\n', "PAYMENT_KEY",
         "[secrets.PAYMENT_KEY]"),
        ("", "KOYEB_TOKEN", "a token Shipyard keeps in the secret store"),
    ],
)
def test_a_secret_named_as_a_variable_is_refused_at_load(
    project: Project, table: str, key: str, declared: str
) -> None:
    project.append("shipyard.toml", f'\n{table}\n[github]\nvariables = ["{key}"]\n')

    ran = project.inv("secrets.push", "--env=prod")

    output = ran.out + ran.err
    assert ran.code != 0
    assert "Traceback" not in output
    assert (
        f"shipyard.toml: [github] variables names {key}, a secret ({declared}): "
        "secrets never go to Actions variables" in output
    )
    with pytest.raises(ConfigError, match=f"names {key}, a secret"):
        config_module.load("prod", project.root)


def test_a_value_that_looks_like_a_secret_is_refused_without_showing_it(
    project: Project,
) -> None:
    # Made up on each run, shaped like a payment provider's live key.
    token = "_".join(("sk", "live", secrets.token_hex(16)))
    project.append("env/prod.env", f"CHECKOUT_KEY_ID={token}\n")
    project.append("shipyard.toml", '\n[github]\nvariables = ["CHECKOUT_KEY_ID"]\n')

    with pytest.raises(ConfigError) as refused:
        config_module.load("prod", project.root)

    line = project.line_of("env/prod.env", "CHECKOUT_KEY_ID")
    assert str(refused.value) == (
        "shipyard.toml: [github] variables names CHECKOUT_KEY_ID, whose value in "
        f"env/prod.env:{line} looks like a secret (it starts like a known token "
        "format): keep it in the secret store with a github target"
    )
    assert token not in str(refused.value)


def test_a_key_the_env_ladder_does_not_set_is_refused_at_load(
    project: Project,
) -> None:
    project.append("shipyard.toml", '\n[github]\nvariables = ["SENTRY_RELEASE"]\n')

    with pytest.raises(ConfigError) as refused:
        config_module.load("prod", project.root)

    assert str(refused.value) == (
        "shipyard.toml: [github] variables names SENTRY_RELEASE, which the env "
        "ladder of prod does not set: add it to env/prod.env or drop it from the list"
    )


def test_one_name_for_a_value_that_differs_per_environment_is_refused(
    project: Project,
) -> None:
    project.append(
        "shipyard.toml", '\n[github]\nvariables = ["NEXT_PUBLIC_ENVIRONMENT"]\n'
    )

    with pytest.raises(ConfigError) as refused:
        config_module.load("prod", project.root)

    assert str(refused.value) == (
        "shipyard.toml: [github] variables NEXT_PUBLIC_ENVIRONMENT is 'prod' in prod "
        "but 'sandbox' in sandbox, and a repository variable holds one value: name "
        'it per environment, {NEXT_PUBLIC_ENVIRONMENT = "{ENV}_NEXT_PUBLIC_ENVIRONMENT"}'
    )


def test_two_keys_given_one_variable_name_are_refused(project: Project) -> None:
    project.append(
        "shipyard.toml",
        '\n[github]\nvariables = [{ NEXT_PUBLIC_ENVIRONMENT = "{ENV}_X" }, '
        '{ BACKEND_PUBLIC_URL = "{ENV}_X" }]\n',
    )

    with pytest.raises(ConfigError) as refused:
        config_module.load("prod", project.root)

    assert str(refused.value) == (
        "shipyard.toml: [github] variables gives two keys the name PROD_X: name "
        "each key's variable apart"
    )
