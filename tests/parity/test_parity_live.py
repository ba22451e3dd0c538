"""`inv parity` against the live settings of the Koyeb, Netlify and GitHub stand-ins.

Each test gives its fixture project a Koyeb service whose latest deployment
carries a seeded env (the image cannot be pulled, so the deployment ends in
error, but its definition is what Koyeb reports), a Netlify site with its
variables and a GitHub repository with its secret names.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from shipyard import config as config_module
from shipyard.providers.github import GitHubActions
from shipyard.providers.koyeb import KoyebClient, build_definition
from shipyard.providers.netlify import NetlifyClient
from shipyard.redaction import Secret
from tests.parity.conftest import StandIn
from tests.parity.project import Project

pytestmark = pytest.mark.integration

DRIFT = 4
UNPULLABLE = "127.0.0.1:9/parity-none@sha256:" + "0" * 64
SECRET_REFS = {"SECRET_KEY": "django-secret-key", "DATABASE_URL": "database-url"}


class Live:
    """The fixture project wired to the three stand-ins."""

    def __init__(
        self, project: Project, koyeb: StandIn, netlify: StandIn, github: StandIn
    ) -> None:
        self.project, self.koyeb, self.netlify, self.github = (
            project,
            koyeb,
            netlify,
            github,
        )
        self.repo = "demo-" + secrets.token_hex(4)
        with netlify.http() as http:
            answer = http.post(
                "/api/v1/sites", json={"name": "parity-" + secrets.token_hex(4)}
            )
            answer.raise_for_status()
            self.site = answer.json()
        with github.http() as http:
            http.post(
                "/_sandbox/repos",
                json={"owner": "octo", "repo": self.repo, "environments": ["prod"]},
            ).raise_for_status()
        project.append(
            "env/prod.env",
            "".join(
                f"{k}={v}\n"
                for k, v in {
                    "KOYEB_API_URL": koyeb.url,
                    "NETLIFY_API_URL": netlify.url,
                    "NETLIFY_SITE_ID": self.site["id"],
                    "GITHUB_API_URL": github.url,
                    "GITHUB_REPOSITORY": f"octo/{self.repo}",
                }.items()
            ),
        )
        for name, standin in (
            ("KOYEB_TOKEN", koyeb),
            ("NETLIFY_AUTH_TOKEN", netlify),
            ("GITHUB_TOKEN", github),
        ):
            project.put_secret(name, standin.token)

    def config(self) -> Any:
        return config_module.load("prod", self.project.root)

    def deploy(
        self, env: dict[str, str] | None = None, refs: dict[str, str] | None = None
    ) -> None:
        """A Koyeb service whose latest deployment runs `env` and `refs`."""
        config = self.config()
        plain = dict(config.app_env) if env is None else env
        with KoyebClient(self.koyeb.url, Secret(self.koyeb.token)) as client:
            for name in SECRET_REFS.values():
                if client.find_secret(name) is None:
                    client.create_secret(name, Secret("value-of-" + name))
            app = client.create_app(self.project.app)
            definition = build_definition(
                UNPULLABLE,
                plain,
                SECRET_REFS if refs is None else refs,
                8000,
                "/health/",
            )
            client.create_service(app.id, "api", definition)

    def set_site_env(self, key: str, value: str) -> None:
        with NetlifyClient(self.netlify.url, Secret(self.netlify.token)) as client:
            client.set_env(self.site["account_slug"], self.site["id"], key, value)

    def set_github_secret(self, name: str, environment: str | None = None) -> None:
        with GitHubActions(
            "octo", self.repo, Secret(self.github.token), base_url=self.github.url
        ) as client:
            client.set_secret(
                name, Secret("gh-" + secrets.token_hex(8)), environment=environment
            )

    def parity(self) -> tuple[int, dict[str, Any], str]:
        ran = self.project.inv("parity", "--env=prod", "--against=none", "--json")
        return ran.code, json.loads(ran.out), ran.out + ran.err


@pytest.fixture
def live(project: Project, koyeb: StandIn, netlify: StandIn, github: StandIn) -> Live:
    wired = Live(project, koyeb, netlify, github)
    wired.set_site_env("NEXT_PUBLIC_ENVIRONMENT", "prod")
    return wired


def _drift(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in report["differences"] if d["drift"]]


def test_live_settings_that_match_the_config_are_no_drift(live: Live) -> None:
    live.deploy()

    code, report, _ = live.parity()

    assert code == 0, _drift(report)
    assert report["not_checked"] == []
    sources = " ".join(report["sources"])
    assert f"Koyeb {live.project.app}/api deployment" in sources
    assert f"Netlify site {live.site['name']} (production)" in sources
    assert f"GitHub octo/{live.repo}" in sources


def test_koyeb_value_changed_by_hand_is_different_drift(live: Live) -> None:
    env = dict(
        live.config().app_env, ALLOWED_HOSTS="api.prod.parity.example,evil.example"
    )
    live.deploy(env)

    code, report, _ = live.parity()

    assert code == DRIFT
    [found] = _drift(report)
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
    kinds = {d["key"]: d["kind"] for d in _drift(report)}
    assert kinds == {"LOG_LEVEL": "extra", "CSRF_TRUSTED_ORIGINS": "missing"}


def test_koyeb_secret_reference_to_another_or_deleted_secret_is_drift(
    live: Live,
) -> None:
    with KoyebClient(live.koyeb.url, Secret(live.koyeb.token)) as client:
        old = client.create_secret("old-key-" + secrets.token_hex(3), Secret("v-old"))
    live.deploy(refs={"SECRET_KEY": old.name, "DATABASE_URL": "database-url"})
    with live.koyeb.http() as http:
        http.delete(f"/v1/secrets/{old.id}").raise_for_status()

    code, report, _ = live.parity()

    assert code == DRIFT
    found = {(d["key"], d["kind"]): d for d in _drift(report)}
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
    [found] = [d for d in _drift(report) if d["key"] == "SECRET_KEY"]
    assert found["expected"]["shown"] == "secret ref django-secret-key"
    assert found["found"]["shown"].startswith("hmac-sha256:")


def test_netlify_variable_with_another_value_is_different_drift(live: Live) -> None:
    live.deploy()
    live.set_site_env("NEXT_PUBLIC_ENVIRONMENT", "staging")

    code, report, _ = live.parity()

    assert code == DRIFT
    [found] = _drift(report)
    assert (found["key"], found["kind"]) == ("NEXT_PUBLIC_ENVIRONMENT", "different")
    assert (found["expected"]["shown"], found["found"]["shown"]) == ("prod", "staging")
    assert found["found"]["where"] == f"Netlify site {live.site['name']} (production)"


def test_netlify_secret_is_compared_by_fingerprint_only(live: Live) -> None:
    live.deploy()
    live.project.append(
        "shipyard.toml", '\n[secrets.SENTRY_DSN]\ntargets = ["netlify"]\n'
    )
    stored, on_site = "dsn-" + secrets.token_hex(16), "dsn-" + secrets.token_hex(16)
    live.project.put_secret("SENTRY_DSN", stored)
    live.set_site_env("SENTRY_DSN", on_site)

    code, report, output = live.parity()

    assert code == DRIFT
    assert stored not in output and on_site not in output
    [found] = [d for d in _drift(report) if d["key"] == "SENTRY_DSN"]
    assert found["kind"] == "different"
    assert found["expected"]["shown"].startswith("hmac-sha256:")
    assert found["found"]["shown"].startswith("hmac-sha256:")
    assert found["expected"]["shown"] != found["found"]["shown"]

    live.set_site_env("SENTRY_DSN", stored)
    code, report, _ = live.parity()
    assert code == 0, _drift(report)


def test_github_secret_the_manifest_sends_there_missing_is_drift(live: Live) -> None:
    live.deploy()
    live.project.append(
        "shipyard.toml", '\n[secrets.PYPI_TOKEN]\ntargets = ["github"]\n'
    )
    live.project.put_secret("PYPI_TOKEN", "pypi-" + secrets.token_hex(16))
    live.set_github_secret("UNRELATED_TOKEN")

    code, report, _ = live.parity()

    assert code == DRIFT
    [missing] = _drift(report)
    assert (missing["key"], missing["kind"]) == ("PYPI_TOKEN", "missing")
    assert missing["expected"]["where"] == "shipyard.toml [secrets.PYPI_TOKEN]"
    extra = next(d for d in report["differences"] if d["key"] == "UNRELATED_TOKEN")
    assert (extra["kind"], extra["drift"]) == ("extra", False)

    live.set_github_secret("PYPI_TOKEN", environment="prod")
    code, report, _ = live.parity()
    assert code == 0, _drift(report)


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
