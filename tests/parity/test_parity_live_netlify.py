"""`inv parity` against the live variables of a Netlify site (the stand-in):
values, secrets by fingerprint, keys in no config, secrets the site lacks, and
NEXT_PUBLIC_API_URL at another backend."""

from __future__ import annotations

import secrets

import pytest

from tests.parity.live import DRIFT, Live, drift_of

pytestmark = pytest.mark.integration


def test_netlify_variable_with_another_value_is_differentdrift_of(live: Live) -> None:
    live.deploy()
    live.set_site_env("NEXT_PUBLIC_ENVIRONMENT", "staging")

    code, report, _ = live.parity()

    assert code == DRIFT
    [found] = drift_of(report)
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
    [found] = [d for d in drift_of(report) if d["key"] == "SENTRY_DSN"]
    assert found["kind"] == "different"
    assert found["expected"]["shown"].startswith("hmac-sha256:")
    assert found["found"]["shown"].startswith("hmac-sha256:")
    assert found["expected"]["shown"] != found["found"]["shown"]

    live.set_site_env("SENTRY_DSN", stored)
    code, report, _ = live.parity()
    assert code == 0, drift_of(report)


def test_netlify_variable_in_no_config_is_extradrift_of(live: Live) -> None:
    live.deploy()
    live.set_site_env("LEGACY_ANALYTICS_ID", "UA-0000")

    code, report, _ = live.parity()

    assert code == DRIFT
    [found] = drift_of(report)
    assert (found["key"], found["kind"]) == ("LEGACY_ANALYTICS_ID", "extra")
    assert found["found"] == {
        "where": f"Netlify site {live.site['name']} (production)",
        "shown": "UA-0000",
    }
    assert "nowhere in the config" in found["hint"]


def test_manifest_secret_for_netlify_the_site_lacks_is_missingdrift_of(
    live: Live,
) -> None:
    live.deploy()
    live.project.append(
        "shipyard.toml", '\n[secrets.SENTRY_DSN]\ntargets = ["netlify"]\n'
    )
    stored = "dsn-" + secrets.token_hex(16)
    live.project.put_secret("SENTRY_DSN", stored)

    code, report, output = live.parity()

    assert code == DRIFT
    assert stored not in output
    [found] = drift_of(report)
    assert (found["key"], found["kind"]) == ("SENTRY_DSN", "missing")
    assert found["expected"]["where"] == "secret store (SENTRY_DSN)"
    assert found["expected"]["shown"].startswith("hmac-sha256:")
    assert found["found"]["where"] == f"Netlify site {live.site['name']} (production)"
    assert "the site lacks SENTRY_DSN" in found["hint"]


def test_netlify_api_url_at_another_backend_is_differentdrift_of(live: Live) -> None:
    live.deploy()
    live.set_site_env("NEXT_PUBLIC_API_URL", "https://api.prod.parity.example/v2")
    code, report, _ = live.parity()
    assert code == 0, drift_of(report)

    live.set_site_env("NEXT_PUBLIC_API_URL", "https://api.staging.parity.example/v2")

    code, report, _ = live.parity()

    assert code == DRIFT
    [found] = drift_of(report)
    assert (found["key"], found["kind"]) == ("NEXT_PUBLIC_API_URL", "different")
    line = live.project.line_of("env/prod.env", "BACKEND_PUBLIC_URL")
    assert found["expected"] == {
        "where": f"env/prod.env:{line}",
        "shown": "https://api.prod.parity.example",
    }
    assert found["found"] == {
        "where": f"Netlify site {live.site['name']} (production)",
        "shown": "https://api.staging.parity.example/v2",
    }
