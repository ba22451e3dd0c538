"""Every answer of the stand-in in a scripted session fits Netlify's spec."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shipyard.providers.netlify import NetlifyClient
from shipyard.redaction import Secret
from shipyard.sandbox.netlify import create_app
from shipyard.sandbox.netlify_env_store import EnvStore
from shipyard.sandbox.netlify_routes import Context
from shipyard.sandbox.netlify_serve import SiteServers
from shipyard.sandbox.netlify_state import Store
from shipyard.sandbox.netlify_views import Urls
from tests.netlify.conftest import TOKEN, Sleeps, StandIn, write_tree
from tests.netlify.spec_check import find_operation, validate

OCTET = {"Content-Type": "application/octet-stream"}


@pytest.fixture
def own_standin(tmp_path: Path) -> Iterator[StandIn]:
    """A stand-in of this test alone, so its log holds only this session."""
    process = StandIn(tmp_path / "standin")
    process.start("spec-demo")
    try:
        yield process
    finally:
        process.stop()


def sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def script(standin: StandIn, http: httpx.Client, tmp_path: Path) -> None:
    """Use every route the stand-in serves, good answers and error answers."""
    api = "/api/v1"
    http.get(f"{api}/user")
    account = http.get(f"{api}/accounts").json()[0]
    http.get(f"{api}/accounts/{account['slug']}")
    http.get(f"{api}/accounts/nobody")
    site = http.post(f"{api}/sites", json={"name": "spec-site"}).json()
    http.post(f"{api}/sites", json={"name": "spec-site"})
    http.post(f"{api}/{account['slug']}/sites", json={"name": "spec-team-site"})
    http.get(f"{api}/sites", params={"name": "spec", "filter": "all"})
    http.get(f"{api}/sites/{site['id']}")
    http.get(f"{api}/sites/no-such-site")
    http.get(f"{api}/sites/{site['id']}/functions")
    httpx.get(f"{standin.api_url}/user")

    folder = write_tree(tmp_path / "out", {"index.html": "one", "a/b c.txt": "two"})
    standin.faults(fail_uploads=1, rate_limit=1, reset_in=1)
    with NetlifyClient(
        standin.api_url, Secret(TOKEN), poll_interval=0.1, sleep=Sleeps(1.0, 0)
    ) as client:
        first = client.deploy(site["id"], folder, title="first")
        (folder / "index.html").write_text("draft")
        draft = client.deploy(site["id"], folder, production=False)
        client.restore(site["id"], first.deploy_id)
        client.set_env(account["id"], site["id"], "KEY", "all-value")
        client.set_env(
            account["id"], site["id"], "KEY", Secret("prod-value"), "production"
        )
        client.get_env(account["id"], site["id"])

    deploys = f"{api}/sites/{site['id']}/deploys"
    http.get(deploys, params={"production": "true", "page": 1, "per_page": 5})
    http.get(deploys, params={"latest-published": "true"})
    http.get(f"{api}/deploys/{first.deploy_id}")
    http.get(f"{deploys}/{draft.deploy_id}")
    http.get(f"{api}/deploys/000000000000000000000000")
    http.post(f"{api}/deploys/{first.deploy_id}/lock")
    http.post(f"{api}/deploys/{first.deploy_id}/unlock")
    http.post(f"{deploys}/{draft.deploy_id}/restore")
    http.post(f"{api}/deploys/{first.deploy_id}/cancel")

    empty = http.post(deploys, json={"draft": False}, params={"title": "cli"}).json()
    body = b"late file"
    http.put(f"{deploys}/{empty['id']}", json={"files": {"/late.txt": sha1(body)}})
    http.put(f"{deploys}/{empty['id']}", json={"files": {"/late.txt": sha1(body)}})
    http.put(f"{api}/deploys/{empty['id']}/files/late.txt", content=b"x", headers=OCTET)
    http.put(
        f"{api}/deploys/{empty['id']}/files/other.txt", content=body, headers=OCTET
    )
    http.put(f"{api}/deploys/{empty['id']}/files/late.txt", content=body, headers=OCTET)
    http.post(deploys, json={"files": {"/x": "not-a-sha"}})
    waiting = http.post(deploys, json={"files": {"/y.txt": sha1(b"never sent")}}).json()
    http.post(f"{api}/deploys/{waiting['id']}/cancel")

    env = f"{api}/accounts/{account['id']}/env"
    scope = {"site_id": site["id"]}
    http.post(env, params=scope, json=[{"key": "NEW", "values": [{"value": "1"}]}])
    http.post(env, params=scope, json=[{"key": "NEW", "values": [{"value": "1"}]}])
    http.get(env, params={**scope, "context_name": "production"})
    http.get(f"{api}/sites/{site['id']}/env")
    http.get(f"{env}/NEW", params=scope)
    http.get(f"{env}/MISSING", params=scope)
    replaced = http.put(
        f"{env}/NEW",
        params=scope,
        json={"key": "NEW", "values": [{"context": "production", "value": "2"}]},
    ).json()
    http.patch(f"{env}/NEW", params=scope, json={"context": "dev", "value": "3"})
    http.delete(f"{env}/NEW/value/{replaced['values'][0]['id']}", params=scope)
    http.delete(f"{env}/NEW", params=scope)
    http.delete(f"{env}/NEW", params=scope)


def test_every_standin_answer_of_a_scripted_session_fits_the_spec(
    own_standin: StandIn, tmp_path: Path
) -> None:
    with own_standin.http() as http:
        script(own_standin, http, tmp_path)

    answers = own_standin.answers()
    statuses = {a["status"] for a in answers}
    assert {200, 201, 204, 401, 404, 422, 429, 502} <= statuses
    for answer in answers:
        validate(answer["method"], answer["path"], answer["status"], answer["json"])


def test_every_api_route_of_the_standin_is_an_operation_of_the_spec(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "state")
    ctx = Context(store, EnvStore(store), Urls(1), SiteServers(store))
    app = create_app(ctx, TOKEN)

    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        sample = rule.rule.replace("<path:path>", "a/b c.txt")
        for name in rule.arguments:
            sample = sample.replace(f"<{name}>", f"x{name}")
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            find_operation(method, sample)
