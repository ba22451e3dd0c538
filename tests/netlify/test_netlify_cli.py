"""The real netlify-cli (npm) deploys to the stand-in, and nothing leaves loopback.

netlify-cli is installed once into a cache folder (the same command CI runs)
and driven non-interactively, as a person would from a terminal.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from shipyard.sandbox.netlify_cli import BLOCKED_LOG, cli_environment
from tests.netlify.conftest import TOKEN, StandIn, write_tree
from tests.netlify.spec_check import validate

CLI_VERSION = "27.10.2"
CLI_FOLDER = Path(
    os.environ.get(
        "SHIPYARD_NETLIFY_CLI_DIR", Path.home() / ".cache/shipyard/netlify-cli"
    )
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def netlify_cli() -> Path:
    """The netlify executable, installed into the cache folder when missing."""
    executable = CLI_FOLDER / "node_modules/.bin/netlify"
    if not executable.exists():
        package = f"netlify-cli@{CLI_VERSION}"
        subprocess.run(
            ["npm", "install", "--prefix", str(CLI_FOLDER), package,
             "--no-audit", "--no-fund"],
            check=True,
            timeout=600,
        )  # fmt: skip
    return executable


def run_deploy(
    netlify_cli: Path, standin: StandIn, tmp_path: Path, folder: Path, *flags: str
) -> dict:
    """`netlify deploy --no-build` against the stand-in; its --json answer."""
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    env = cli_environment(standin.api_url, tmp_path / "cli-home")
    argv = [str(netlify_cli), "deploy", "--no-build", "--dir", str(folder),
            "--auth", TOKEN, "--json", *flags]  # fmt: skip
    done = subprocess.run(
        argv,
        check=False,
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert not (tmp_path / "cli-home" / BLOCKED_LOG).exists(), (
        "netlify-cli tried to leave loopback: "
        + (tmp_path / "cli-home" / BLOCKED_LOG).read_text()
    )
    return json.loads(done.stdout[done.stdout.index("{") :])


FILES = {
    "index.html": "<h1>deployed by netlify-cli</h1>",
    "café/menu du jour.html": "<p>soupe</p>",
    "a/shared.css": "body{}",
    "b/shared copy.css": "body{}",
}


def test_netlify_cli_deploys_to_production_and_the_site_serves_it(
    netlify_cli: Path, standin: StandIn, site: dict, tmp_path: Path
) -> None:
    folder = write_tree(tmp_path / "out", FILES)
    answered_before = len(standin.answers())

    result = run_deploy(
        netlify_cli, standin, tmp_path, folder, "--site", site["id"], "--prod"
    )

    assert result["site_id"] == site["id"]
    assert standin.site(site["id"])["published_deploy"]["id"] == result["deploy_id"]
    for name, content in FILES.items():
        page = httpx.get(f"{result['url']}/{quote(name)}", timeout=10)
        assert page.status_code == 200, name
        assert page.content == content.encode(), name
    for answer in standin.answers()[answered_before:]:
        validate(answer["method"], answer["path"], answer["status"], answer["json"])


def test_netlify_cli_draft_deploy_leaves_the_published_site_alone(
    netlify_cli: Path, standin: StandIn, site: dict, make_client, tmp_path: Path
) -> None:
    live = write_tree(tmp_path / "live", {"index.html": "live"})
    with make_client() as client:
        published = client.deploy(site["id"], live)
    draft = write_tree(tmp_path / "draft", {"index.html": "draft by cli"})

    result = run_deploy(netlify_cli, standin, tmp_path, draft, "--site", site["name"])

    assert httpx.get(result["deploy_url"], timeout=10).text == "draft by cli"
    assert httpx.get(published.url, timeout=10).text == "live"
    assert standin.site(site["id"])["published_deploy"]["id"] == published.deploy_id
