"""Site environment variables through NetlifyClient and the stand-in."""

from __future__ import annotations

from shipyard.redaction import Secret
from tests.netlify.conftest import StandIn


def test_set_env_creates_then_updates_per_context_and_get_env_reads_it_back(
    standin: StandIn, site: dict, make_client
) -> None:
    account = site["account_id"]
    with make_client() as client:
        client.set_env(account, site["id"], "API_URL", "https://api.example.com")
        client.set_env(
            account,
            site["id"],
            "API_URL",
            Secret("https://prod.example.com"),
            "production",
        )
        client.set_env(account, site["id"], "SENTRY_DSN", Secret("dsn-value-1234"))

        production = client.get_env(account, site["id"])
        preview = client.get_env(account, site["id"], context="deploy-preview")

    assert production == {
        "API_URL": "https://prod.example.com",
        "SENTRY_DSN": "dsn-value-1234",
    }
    assert preview["API_URL"] == "https://api.example.com"


def test_env_of_one_site_is_not_seen_by_another(
    standin: StandIn, site: dict, make_client
) -> None:
    other = standin.new_site()
    with make_client() as client:
        client.set_env(site["account_slug"], site["id"], "ONLY_HERE", "1")

        assert client.get_env(site["account_slug"], other["id"]) == {}
        assert client.get_env(site["account_slug"], site["id"]) == {"ONLY_HERE": "1"}
