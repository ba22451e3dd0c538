"""NetlifyClient deploys against the running stand-in, faults included."""

from __future__ import annotations

import hashlib
import time
import unicodedata
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.netlify import UploadProgress
from tests.netlify.conftest import Sleeps, StandIn, write_tree

UNUSUAL_NAMES = {
    "index.html": "<h1>home</h1>",
    "with space/a b.txt": "spaces",
    unicodedata.normalize("NFD", "café/naïve résumé.html"): "accents",
    "中文/文件.txt": "chinese",
    "emoji 🚀.txt": "rocket",
    "100%+plus&amp=.txt": "symbols",
    ".well-known/security.txt": "Contact: ops@example.com",
}


def fetch(url: str) -> httpx.Response:
    return httpx.get(url, timeout=10)


def served(site_url: str, key: str) -> httpx.Response:
    return fetch(f"{site_url}/{quote(key)}")


def uploads_of(standin: StandIn, deploy_id: str) -> list[str]:
    prefix = f"/api/v1/deploys/{deploy_id}/files/"
    return [
        a["path"][len(prefix) :]
        for a in standin.answers()
        if a["method"] == "PUT" and a["path"].startswith(prefix) and a["status"] == 200
    ]


def test_unicode_and_space_names_round_trip_through_the_served_site(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", UNUSUAL_NAMES)

    with make_client() as client:
        result = client.deploy(site["id"], folder)

    assert result.state == "ready" and result.published
    assert result.files_hashed == len(UNUSUAL_NAMES)
    for name, content in UNUSUAL_NAMES.items():
        key = unicodedata.normalize("NFC", name)
        answer = served(result.url, key)
        assert answer.status_code == 200, key
        assert answer.content == content.encode(), key
    assert fetch(result.url + "/").content == b"<h1>home</h1>"
    assert fetch(result.url + "/no/such/page").status_code == 404


def test_two_paths_with_one_sha1_are_uploaded_once(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    logo = f"<svg id='{site['id']}'/>"
    folder = write_tree(
        tmp_path / "out",
        {"index.html": site["id"], "a/logo.svg": logo, "b/logo-copy.svg": logo},
    )

    with make_client() as client:
        result = client.deploy(site["id"], folder)

    assert result.files_uploaded == 2
    assert len(uploads_of(standin, result.deploy_id)) == 2
    assert served(result.url, "b/logo-copy.svg").text == logo
    assert served(result.url, "a/logo.svg").text == logo


def test_files_netlify_already_holds_are_skipped_on_the_next_deploy(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    big = f"{site['id']}" * 100
    folder = write_tree(tmp_path / "out", {"index.html": "v1", "big.js": big})
    with make_client() as client:
        client.deploy(site["id"], folder)
        (folder / "index.html").write_text(f"v2 {site['id']}")
        second = client.deploy(site["id"], folder)

    assert (second.files_uploaded, second.files_skipped) == (1, 1)
    assert second.bytes_sent == len(f"v2 {site['id']}")
    assert uploads_of(standin, second.deploy_id) == ["index.html"]
    assert served(second.url, "index.html").text == f"v2 {site['id']}"


def test_failed_uploads_are_retried_and_the_deploy_still_ends_ready(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    files = {f"page{i}.html": f"{site['id']} page {i}" for i in range(8)}
    files["index.html"] = f"{site['id']} home"
    folder = write_tree(tmp_path / "out", files)
    standin.faults(fail_uploads=3)
    progress: list[UploadProgress] = []

    with make_client() as client:
        result = client.deploy(site["id"], folder, on_progress=progress.append)

    assert result.state == "ready"
    failed = [
        a
        for a in standin.answers()
        if a["status"] == 502 and f"/deploys/{result.deploy_id}/" in a["path"]
    ]
    assert len(failed) == 3
    assert result.files_uploaded == 9
    assert progress[-1] == UploadProgress(9, 9, result.bytes_sent, result.bytes_sent)
    for name, content in files.items():
        assert served(result.url, name).content == content.encode()


def test_rate_limit_is_waited_out_until_the_reset_time(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": site["id"], "a.css": "a{}"})
    real_sleeps = Sleeps(real_fraction=1.0, cap=0)
    standin.faults(rate_limit=2, reset_in=2)
    started = time.monotonic()

    with make_client(sleep=real_sleeps) as client:
        result = client.deploy(site["id"], folder)

    assert result.state == "ready"
    # Retried only once the reset time had passed, so the second 429 never came.
    limited = [a for a in standin.answers() if a["status"] == 429]
    assert len(limited) == 1
    assert max(real_sleeps.waits) >= 1.0
    assert time.monotonic() - started >= 1.0


def test_deploy_ending_in_error_raises_netlify_message_and_keeps_old_deploy(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "good"})
    with make_client() as client:
        good = client.deploy(site["id"], folder)
        (folder / "index.html").write_text("broken")
        standin.faults(error_next_deploy="Redirect rules could not be processed")

        with pytest.raises(ShipyardError) as failure:
            client.deploy(site["id"], folder)

        assert "Redirect rules could not be processed" in str(failure.value)
        assert client.published_deploy(site["id"])["id"] == good.deploy_id
    assert served(good.url, "index.html").content == b"good"


def test_folder_without_index_html_is_refused_before_any_api_call(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / ".next", {"BUILD_ID": "1", "server/page.js": "x"})
    answered_before = len(standin.answers())

    with (
        make_client() as client,
        pytest.raises(ShipyardError, match="output: 'export'"),
    ):
        client.deploy(site["id"], folder)

    assert len(standin.answers()) == answered_before


def test_file_name_with_hash_is_refused_before_any_api_call(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "x", "docs/a#b.html": "y"})
    answered_before = len(standin.answers())

    with make_client() as client, pytest.raises(ShipyardError, match="a#b.html"):
        client.deploy(site["id"], folder)

    assert len(standin.answers()) == answered_before


def test_restore_puts_an_old_deploy_back_as_published(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "first"})
    with make_client() as client:
        first = client.deploy(site["id"], folder)
        (folder / "index.html").write_text("second")
        second = client.deploy(site["id"], folder)
        assert served(second.url, "index.html").content == b"second"

        client.restore(site["id"], first.deploy_id)

        assert client.published_deploy(site["id"])["id"] == first.deploy_id
    assert served(first.url, "index.html").content == b"first"


def test_draft_deploy_gets_its_own_url_and_leaves_the_site_alone(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "live"})
    with make_client() as client:
        live = client.deploy(site["id"], folder)
        (folder / "index.html").write_text("preview")
        draft = client.deploy(site["id"], folder, production=False, title="preview")

    assert not draft.published
    assert fetch(draft.deploy_url + "index.html").content == b"preview"
    assert served(live.url, "index.html").content == b"live"
    assert standin.site(site["id"])["published_deploy"]["id"] == live.deploy_id


def test_large_folder_is_diffed_asynchronously_and_served_whole(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    files = {f"p/{i:03d}.html": f"{site['id']} page {i % 40}" for i in range(150)}
    folder = write_tree(tmp_path / "out", {"index.html": site["id"]} | files)

    with make_client(concurrency=8) as client:
        result = client.deploy(site["id"], folder)

    created = next(
        a
        for a in standin.answers()
        if a["method"] == "POST"
        and a["path"] == f"/api/v1/sites/{site['id']}/deploys"
        and a["json"]["id"] == result.deploy_id
    )
    assert created["json"]["state"] == "preparing"
    assert result.files_uploaded == 41
    assert served(result.url, "p/149.html").text == f"{site['id']} page 29"


def test_deploy_stuck_in_uploading_times_out_naming_the_state(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "stuck"})
    standin.faults(stall_uploading=True)

    with make_client() as client, pytest.raises(ShipyardError) as stuck:
        client.deploy(site["id"], folder, timeout=1.5)

    assert "still 'uploading'" in str(stuck.value)


def test_production_deploys_are_spaced_to_three_a_minute(
    standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", {"index.html": "v"})
    now = [1_000_000.0]
    sleeps = Sleeps(cap=0.02)

    def clock() -> float:
        return now[0]

    def sleep(seconds: float) -> None:
        sleeps(seconds)
        now[0] += seconds

    with make_client(clock=clock, sleep=sleep) as client:
        for round_ in range(4):
            (folder / "index.html").write_text(f"v{round_}")
            client.deploy(site["id"], folder)

    spacing = [wait for wait in sleeps.waits if wait > 30]
    assert len(spacing) == 1 and 55 < spacing[0] <= 60


def test_rejected_token_names_the_variable_and_never_the_token(
    standin: StandIn, site: dict, make_client
) -> None:
    from shipyard.redaction import Secret

    wrong = "wrong-token-that-must-stay-hidden"
    with (
        make_client(token=Secret(wrong)) as client,
        pytest.raises(ShipyardError) as denied,
    ):
        client.get_site(site["id"])

    message = str(denied.value)
    assert message == (
        "Netlify token rejected (401): check NETLIFY_AUTH_TOKEN for this environment"
    )
    assert wrong not in message


def test_body_that_does_not_match_its_sha1_is_refused_with_422(
    standin: StandIn, site: dict
) -> None:
    right = hashlib.sha1(b"right").hexdigest()
    with standin.http() as http:
        deploy = http.post(
            f"/api/v1/sites/{site['id']}/deploys", json={"files": {"/a.txt": right}}
        ).json()
        wrong = http.put(
            f"/api/v1/deploys/{deploy['id']}/files/a.txt",
            content=b"wrong",
            headers={"Content-Type": "application/octet-stream"},
        )
        good = http.put(
            f"/api/v1/deploys/{deploy['id']}/files/a.txt",
            content=b"right",
            headers={"Content-Type": "application/octet-stream"},
        )

    assert wrong.status_code == 422 and "SHA1" in wrong.json()["message"]
    assert good.status_code == 200 and good.json()["sha"] == right
