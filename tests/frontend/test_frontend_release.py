"""Releases of the whole example (Django backend and Next.js frontend) through the
sandbox: real npm and Next.js build, the Koyeb stand-in running the backend, the
Netlify stand-in serving the static export."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.frontend.conftest import Site
from tests.release.project import Project

pytestmark = pytest.mark.integration

PAGE = "examples/frontend/app/page.js"


def released(project: Project) -> None:
    result = project.inv("release", "--env=sandbox", timeout=1200)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr


def ensure_released(project: Project) -> None:
    if not project.ledger():
        released(project)


def entry_of(project: Project, sha: str, outcome: str = "succeeded") -> dict:
    found = [r for r in project.ledger() if r["git_sha"] == sha
             and r["outcome"] == outcome]
    assert found, project.ledger()
    return max(found, key=lambda r: r["started_at"])


def scripts_of(page: str, base: str) -> list[str]:
    return [base + src for src in re.findall(r'<script src="([^"]+)"', page)]


def test_release_serves_both_halves_and_the_page_calls_the_backend(
    project: Project, netlify: Site
) -> None:
    sha = project.git("rev-parse", "HEAD")

    released(project)

    page = netlify.page()
    assert page.status_code == 200
    assert "Shipyard demo" in page.text
    backend = project.backend_url()
    bundles = [httpx.get(url, timeout=10).text
               for url in scripts_of(page.text, project.frontend_url())]
    assert any(f"{backend}/api/info/" in js or backend in js for js in bundles)
    preflight = httpx.options(
        backend + "/api/info/",
        headers={"Origin": project.frontend_url(),
                 "Access-Control-Request-Method": "GET"},
        timeout=10,
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == project.frontend_url()
    entry = entry_of(project, sha)
    assert entry["frontend_deploy_id"] == netlify.published_id()
    assert entry["previous_frontend_deploy_id"] is None
    assert project.info()["git_sha"] == sha


def test_next_build_folder_is_refused_before_any_deploy(
    project: Project, netlify: Site
) -> None:
    ensure_released(project)
    server_build = project.root / "examples/frontend/.next"
    assert server_build.is_dir()
    deploys_before = len(netlify.deploys())

    result = project.inv("deploy.frontend", "--env=sandbox", f"--dir={server_build}")

    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "has no index.html" in lines[0]
    assert "Next.js server build" in lines[0]
    assert "output: 'export'" in lines[0]
    assert len(netlify.deploys()) == deploys_before


def test_single_steps_reuse_the_install_and_the_build_and_send_nothing_new(
    project: Project, netlify: Site
) -> None:
    ensure_released(project)
    published = netlify.published_id()

    built = project.inv("build.frontend", "--env=sandbox")
    deployed = project.inv("deploy.frontend", "--env=sandbox")

    assert built.returncode == 0, built.stdout + built.stderr
    assert "npm ci skipped" in built.stdout
    assert "reusing out/" in built.stdout
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    summary = re.search(r"\b0 of (\d+) files sent \(0 bytes\), (\d+) skipped as "
                        r"Netlify already holds them", deployed.stdout)
    assert summary, deployed.stdout
    assert summary[1] == summary[2] != "0"
    assert "CORS preflight" in deployed.stdout
    assert netlify.published_id() != published


def test_deploy_ending_in_error_fails_the_release_and_rolls_back_both_halves(
    project: Project, netlify: Site
) -> None:
    ensure_released(project)
    serving = project.info()["git_sha"]
    published = netlify.published_id()
    project.edit(PAGE, "<h1>Shipyard demo</h1>", "<h1>Shipyard demo, second cut</h1>")
    project.commit("frontend v2")
    netlify.faults(error_next_deploy="Failed to process the deploy: asset too big")

    result = project.inv("release", "--env=sandbox", timeout=1200)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Failed to process the deploy: asset too big" in result.stderr
    assert "Traceback" not in output
    assert netlify.published_id() == published
    assert "second cut" not in netlify.page().text
    assert project.info()["git_sha"] == serving
    journal = project.journals()[-1]
    assert any(r.get("event") == "failed" and r.get("step") == "deploy_frontend"
               for r in journal)
    assert any(r.get("event") == "undone" and r.get("step") == "deploy"
               for r in journal)


def test_smoke_test_failing_after_publish_restores_the_old_deploy_and_backend(
    project: Project, netlify: Site
) -> None:
    ensure_released(project)
    netlify.clear_faults()
    serving, published = project.info()["git_sha"], netlify.published_id()
    old_page = netlify.page().text
    # A frontend change that loses the text the smoke test looks for
    # ("Shipyard demo", in the page's heading and its title).
    for source in (PAGE, "examples/frontend/app/layout.js"):
        project.edit(source, "Shipyard demo", "Shipyard preview")
    sha = project.commit("frontend without its smoke text")

    result = project.inv("release", "--env=sandbox", timeout=1200)

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "Traceback" not in output
    assert "without the text 'Shipyard demo'" in result.stderr
    journal = project.journals()[-1]
    deployed = next(r for r in journal if r.get("step") == "deploy_frontend"
                    and r.get("event") == "done")
    new_deploy = deployed["facts"]["deploy_id"]
    assert new_deploy != published
    assert deployed["facts"]["previous_deploy_id"] == published
    states = {d["id"]: d["state"] for d in netlify.deploys()}
    assert states[new_deploy] == "ready"
    assert any(r.get("event") == "failed" and r.get("step") == "smoke_test_frontend"
               for r in journal)
    undone = [r["step"] for r in journal if r.get("event") == "undone"]
    assert "deploy_frontend" in undone and "deploy" in undone
    assert journal[-1]["facts"]["outcome"] == "rolled_back"

    assert netlify.published_id() == published
    page = netlify.page().text
    assert "Shipyard preview" not in page and "Shipyard demo" in page
    assert page == old_page
    assert project.info()["git_sha"] == serving != sha
    entry = max((r for r in project.ledger() if r["git_sha"] == sha),
                key=lambda r: r["started_at"])
    assert entry["outcome"] == "rolled_back"
    assert entry["frontend_deploy_id"] == new_deploy
    assert entry["previous_frontend_deploy_id"] == published
    project.git("revert", "--no-edit", sha)


def test_rollback_puts_both_halves_back_and_the_ledger_records_the_deploys(
    project: Project, netlify: Site
) -> None:
    ensure_released(project)
    netlify.clear_faults()
    if "second cut" not in (project.root / PAGE).read_text():
        project.edit(PAGE, "<h1>Shipyard demo</h1>",
                     "<h1>Shipyard demo, second cut</h1>")
        project.commit("frontend v2")
    published_before = netlify.published_id()
    released(project)
    good = sorted((r for r in project.ledger() if r["outcome"] == "succeeded"),
                  key=lambda r: r["started_at"])
    current, previous = good[-1], good[-2]
    assert "second cut" in netlify.page().text
    assert current["frontend_deploy_id"] == netlify.published_id()
    assert current["previous_frontend_deploy_id"] == published_before

    result = project.inv("rollback", "--env=sandbox", timeout=900)

    assert result.returncode == 0, result.stdout + result.stderr
    assert project.info()["git_sha"] == previous["git_sha"]
    assert netlify.published_id() == previous["frontend_deploy_id"]
    assert "second cut" not in netlify.page().text
    rollback = max(project.ledger(), key=lambda r: r["started_at"])
    assert rollback["outcome"] == "succeeded"
    assert rollback["frontend_deploy_id"] == previous["frontend_deploy_id"]
    assert rollback["previous_frontend_deploy_id"] == current["frontend_deploy_id"]


def _kill_once_the_frontend_is_live(project: Project, netlify: Site) -> None:
    """Start a release and kill it hard right after Netlify published its deploy.

    The stand-in answers 429 from the moment it publishes, with a reset the
    client waits for (within its 120 s bound for one request), which holds
    the release inside its deploy step until the kill.
    """
    netlify.faults(rate_limit_after_publish=100)
    process = project.start_inv("release", "--env=sandbox")
    deadline = time.monotonic() + 1200
    try:
        while netlify.fault_state()["rate_limit"] <= 0:
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the frontend was never published"
            time.sleep(0.05)
    finally:
        process.kill()
        process.communicate(timeout=30)
        netlify.clear_faults()


@pytest.mark.parametrize("pick_up", ["--resume", "--abort"])
def test_release_killed_after_its_frontend_went_live_keeps_the_deploy_before_it(
    project: Project, netlify: Site, pick_up: str
) -> None:
    ensure_released(project)
    netlify.clear_faults()
    before, serving = netlify.published_id(), project.info()["git_sha"]
    marker = f"killed, then {pick_up.removeprefix('--')}"
    project.edit(PAGE, "</h1>", f" ({marker})</h1>")
    sha = project.commit(marker)

    _kill_once_the_frontend_is_live(project, netlify)
    assert netlify.published_id() != before
    result = project.inv("release", "--env=sandbox", pick_up, timeout=1200)

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr
    if pick_up == "--abort":
        assert netlify.published_id() == before
        assert marker not in netlify.page().text
        assert project.info()["git_sha"] == serving
    else:
        assert marker in netlify.page().text
        entry = entry_of(project, sha)
        assert entry["frontend_deploy_id"] == netlify.published_id()
        assert entry["previous_frontend_deploy_id"] == before
