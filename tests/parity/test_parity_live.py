"""`inv parity` against the live settings of the Koyeb and GitHub stand-ins, and
what a release's preflight makes of live drift (Netlify: test_parity_live_netlify).
"""

from __future__ import annotations

import json
import secrets

import pytest

from shipyard.providers.koyeb import KoyebClient
from shipyard.redaction import Secret
from tests.parity.conftest import StandIn
from tests.parity.live import DRIFT, Live, drift_of
from tests.parity.project import Project

pytestmark = pytest.mark.integration


def test_live_settings_that_match_the_config_are_nodrift_of(live: Live) -> None:
    live.deploy()

    code, report, _ = live.parity()

    assert code == 0, drift_of(report)
    assert report["not_checked"] == []
    sources = " ".join(report["sources"])
    assert f"Koyeb {live.project.app}/api deployment" in sources
    assert f"Netlify site {live.site['name']} (production)" in sources
    assert f"GitHub octo/{live.repo}" in sources


def test_koyeb_value_changed_by_hand_is_differentdrift_of(live: Live) -> None:
    env = dict(
        live.config().app_env, ALLOWED_HOSTS="api.prod.parity.example,evil.example"
    )
    live.deploy(env)

    code, report, _ = live.parity()

    assert code == DRIFT
    [found] = drift_of(report)
    assert (found["key"], found["kind"]) == ("ALLOWED_HOSTS", "different")
    line = live.project.line_of("env/prod.env", "ALLOWED_HOSTS")
    assert found["expected"] == {
        "where": f"env/prod.env:{line}",
        "shown": "api.prod.parity.example",
    }
    assert found["found"]["shown"] == "api.prod.parity.example,evil.example"
    assert found["found"]["where"].startswith(
        f"Koyeb {live.project.app}/api deployment"
    )


def test_koyeb_key_set_by_hand_is_extra_and_missing_key_is_missing(live: Live) -> None:
    env = dict(live.config().app_env, LOG_LEVEL="DEBUG")
    del env["CSRF_TRUSTED_ORIGINS"]
    live.deploy(env)

    code, report, _ = live.parity()

    assert code == DRIFT
    kinds = {d["key"]: d["kind"] for d in drift_of(report)}
    assert kinds == {"LOG_LEVEL": "extra", "CSRF_TRUSTED_ORIGINS": "missing"}


def test_koyeb_secret_reference_to_another_or_deleted_secret_isdrift_of(
    live: Live,
) -> None:
    with KoyebClient(live.koyeb.url, Secret(live.koyeb.token)) as client:
        old = client.create_secret("old-key-" + secrets.token_hex(3), Secret("v-old"))
    live.deploy(refs={"SECRET_KEY": old.name, "DATABASE_URL": "database-url"})
    with live.koyeb.http() as http:
        http.delete(f"/v1/secrets/{old.id}").raise_for_status()

    code, report, _ = live.parity()

    assert code == DRIFT
    found = {(d["key"], d["kind"]): d for d in drift_of(report)}
    assert set(found) == {("SECRET_KEY", "different"), ("SECRET_KEY", "missing")}
    different = found["SECRET_KEY", "different"]
    assert different["expected"]["shown"] == "secret ref django-secret-key"
    assert different["found"]["shown"] == f"secret ref {old.name}"
    assert found["SECRET_KEY", "missing"]["found"] == {
        "where": "Koyeb secrets",
        "shown": "absent",
    }


def test_koyeb_plain_value_where_a_secret_belongs_is_shown_by_fingerprint(
    live: Live,
) -> None:
    leaked = "plain-" + secrets.token_urlsafe(24)
    live.deploy(
        dict(live.config().app_env, SECRET_KEY=leaked),
        refs={"DATABASE_URL": "database-url"},
    )

    code, report, output = live.parity()

    assert code == DRIFT
    assert leaked not in output
    [found] = [d for d in drift_of(report) if d["key"] == "SECRET_KEY"]
    assert found["expected"]["shown"] == "secret ref django-secret-key"
    assert found["found"]["shown"].startswith("hmac-sha256:")


def test_github_secret_the_manifest_sends_there_missing_isdrift_of(live: Live) -> None:
    live.deploy()
    live.project.append(
        "shipyard.toml", '\n[secrets.PYPI_TOKEN]\ntargets = ["github"]\n'
    )
    live.project.put_secret("PYPI_TOKEN", "pypi-" + secrets.token_hex(16))
    live.set_github_secret("UNRELATED_TOKEN")

    code, report, _ = live.parity()

    assert code == DRIFT
    [missing] = drift_of(report)
    assert (missing["key"], missing["kind"]) == ("PYPI_TOKEN", "missing")
    assert missing["expected"]["where"] == "shipyard.toml [secrets.PYPI_TOKEN]"
    extra = next(d for d in report["differences"] if d["key"] == "UNRELATED_TOKEN")
    assert (extra["kind"], extra["drift"]) == ("extra", False)

    live.set_github_secret("PYPI_TOKEN", environment="prod")
    code, report, _ = live.parity()
    assert code == 0, drift_of(report)


def test_providers_without_a_token_are_not_checked_and_say_why(
    project: Project, koyeb: StandIn
) -> None:
    project.append("env/prod.env", f"KOYEB_API_URL={koyeb.url}\n")

    ran = project.inv("parity", "--env=prod", "--against=none", "--json")

    assert ran.code == 0, ran.err
    reasons = {u["source"]: u["why"] for u in json.loads(ran.out)["not_checked"]}
    assert reasons["Koyeb"] == "no KOYEB_TOKEN in the secret store for prod"
    assert reasons["Netlify"] == "no NETLIFY_AUTH_TOKEN in the secret store for prod"
    assert reasons["GitHub"].startswith("no repository configured")
    table = project.inv("parity", "--env=prod", "--against=none")
    assert (
        "not checked: Koyeb: no KOYEB_TOKEN in the secret store for prod" in table.out
    )


def test_release_preflight_ignores_koyeb_env_the_release_itself_fixes(
    live: Live,
) -> None:
    from shipyard.parity import ParityDrift, check_parity, require_no_drift

    live.deploy(dict(live.config().app_env, ALLOWED_HOSTS="old.parity.example"))
    config = live.config()

    report = check_parity(
        config, against=None, live=True, store=live.project.store, runtime=False
    )

    require_no_drift(report, for_release=True)
    with pytest.raises(ParityDrift) as raised:
        require_no_drift(report)
    assert raised.value.exit_code == DRIFT
    assert "ALLOWED_HOSTS" in str(raised.value)


def test_release_preflight_stops_on_a_secret_missing_from_the_store(
    live: Live,
) -> None:
    from shipyard.parity import ParityDrift, check_parity, require_no_drift

    live.deploy()
    live.project.append(
        "shipyard.toml", '\n[secrets.PAYMENT_KEY]\ntargets = ["koyeb"]\n'
    )

    report = check_parity(
        live.config(),
        against=None,
        live=True,
        store=live.project.store,
        runtime=False,
    )

    with pytest.raises(ParityDrift, match="PAYMENT_KEY"):
        require_no_drift(report, for_release=True)
