"""The stand-in as a long-lived service: restarts, seeding, locks and auth."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.netlify import NetlifyClient
from shipyard.redaction import Secret
from tests.netlify.conftest import TOKEN, Sleeps, StandIn, write_tree


def test_restarted_standin_serves_each_site_on_the_same_port(tmp_path: Path) -> None:
    standin = StandIn(tmp_path / "standin")
    standin.start("keep=11111111-2222-3333-4444-555555555555")
    try:
        site = standin.site("keep")
        assert site["id"] == "11111111-2222-3333-4444-555555555555"
        folder = write_tree(tmp_path / "out", {"index.html": "kept"})
        with NetlifyClient(
            standin.api_url, Secret(TOKEN), poll_interval=0.1, sleep=Sleeps()
        ) as client:
            deployed = client.deploy(site["id"], folder)
    finally:
        standin.stop()

    standin.start("keep")
    try:
        again = standin.site("keep")
        assert again["url"] == site["url"]
        assert again["published_deploy"]["id"] == deployed.deploy_id
        assert httpx.get(site["url"], timeout=10).text == "kept"
        with standin.http() as http:
            assert len(http.get("/api/v1/sites").json()) == 1
    finally:
        standin.stop()


def test_locked_published_deploy_stops_auto_publishing(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": f"pinned {site['id']}"})
    with make_client() as client:
        pinned = client.deploy(site["id"], folder)
        with standin.http() as http:
            http.post(f"/api/v1/deploys/{pinned.deploy_id}/lock").raise_for_status()
        (folder / "index.html").write_text(f"newer {site['id']}")

        with pytest.raises(ShipyardError, match="locked"):
            client.deploy(site["id"], folder)

    assert httpx.get(pinned.url, timeout=10).text == f"pinned {site['id']}"


def test_api_and_fault_knobs_refuse_a_wrong_token(standin: StandIn) -> None:
    wrong = {"Authorization": "Bearer not-the-token"}

    assert httpx.get(f"{standin.api_url}/sites", headers=wrong).status_code == 401
    assert httpx.get(f"{standin.api_url}/sites").status_code == 401
    faults = httpx.post(f"{standin.root}/_sandbox/faults", json={}, headers=wrong)
    assert faults.status_code == 401


def test_extension_lookups_answer_an_empty_list(standin: StandIn, site: dict) -> None:
    account = site["account_id"]
    for path in (
        f"/team/{account}/integrations/installations/meta/{site['id']}",
        f"/site/{site['id']}/integrations/safe",
    ):
        answer = httpx.get(standin.root + path, timeout=10)
        assert answer.status_code == 200 and answer.json() == []
