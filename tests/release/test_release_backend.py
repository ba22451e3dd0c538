"""Releases of the example backend through the whole sandbox: real engine, real
registry, real PostgreSQL and the Koyeb stand-in running the containers."""

from __future__ import annotations

import re
import threading
import time
from typing import Self

import httpx
import pytest

from tests.release.project import Project

pytestmark = pytest.mark.integration



def released(project: Project) -> None:
    result = project.inv("release", "--env=sandbox")
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_v1_then_v2_serves_v2_at_the_stable_url(project: Project) -> None:
    v1 = project.git("rev-parse", "HEAD")
    released(project)
    assert project.info()["git_sha"] == v1
    first_url = project.backend_url()

    project.edit("examples/backend/requirements.txt", "\n", "\n# v2\n")
    v2 = project.commit("example app v2")
    released(project)

    assert project.backend_url() == first_url
    assert project.info()["git_sha"] == v2
    outcomes = {r["git_sha"]: r["outcome"] for r in project.ledger()}
    assert outcomes[v1] == outcomes[v2] == "succeeded"
    assert all("@sha256:" in r["image_ref"] for r in project.ledger())


class Poller:
    """GETs a URL in the background and keeps every status it saw."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.statuses: list[int | str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        deadline = time.monotonic() + 600
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                self.statuses.append(httpx.get(self.url, timeout=5).status_code)
            except httpx.HTTPError as problem:
                self.statuses.append(type(problem).__name__)
            time.sleep(0.2)


def test_app_on_the_wrong_port_fails_and_the_old_version_keeps_serving(
    project: Project,
) -> None:
    if not project.ledger():
        released(project)
    serving = project.info()["git_sha"]
    good = project.git("rev-parse", "HEAD")
    project.edit("examples/backend/Dockerfile", ":${PORT:-8000}", ":$((PORT + 1))")
    bad = project.commit("listen on a port of its own")

    with Poller(project.backend_url() + "/health/") as poller:
        result = project.inv("release", "--env=sandbox")

    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "health check" in output.lower()
    assert "Traceback" not in output
    # The deployment's own events are printed below the one-line error: the
    # port the stand-in gave the app, and the check it waited for there.
    assigned = re.search(r"^  Declared port (\d+) is reached on loopback port "
                         r"(\d+); PORT=(\d+)$", result.stdout, re.MULTILINE)
    assert assigned, result.stdout
    declared, loopback, given = assigned.groups()
    assert given == loopback
    assert re.search(rf"^  Waiting for health check GET /health/ on port {declared}"
                     rf" \(loopback 127\.0\.0\.1:{loopback}\)$",
                     result.stdout, re.MULTILINE), result.stdout
    assert "Declared port" not in result.stderr
    assert len(poller.statuses) > 10
    assert set(poller.statuses) == {200}, poller.statuses
    assert project.info()["git_sha"] == serving

    entry = next(r for r in project.ledger() if r["git_sha"] == bad)
    assert entry["outcome"] in ("failed", "rolled_back")
    journal = project.journals()[-1]
    assert any(r.get("event") == "failed" and r.get("step") == "wait_healthy"
               for r in journal)
    project.git("revert", "--no-edit", bad)
    assert project.git("rev-parse", "HEAD") != good


def test_failed_build_is_one_clear_error_pushes_nothing_and_frees_the_lock(
    project: Project,
) -> None:
    project.edit("examples/backend/Dockerfile", "\nCMD ", "\nRUN exit 3\nCMD ")
    broken = project.commit("a build that fails")

    result = project.inv("release", "--env=sandbox")

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and "RUN exit 3" in error_lines[0], result.stderr
    tags = httpx.get(
        f"http://{project.env['REGISTRY']}/v2/shipyard-demo-backend/tags/list",
        timeout=10,
    ).json().get("tags") or []
    assert broken[:12] not in tags
    status = project.inv("lock.status", "--env=sandbox")
    assert "not locked" in status.stdout
    project.git("revert", "--no-edit", broken)


def test_two_releases_started_together_one_is_refused_by_the_lock(
    project: Project,
) -> None:
    project.edit("examples/backend/requirements.txt", "\n", "\n# concurrent\n")
    project.commit("for two releases at once")
    first = project.start_inv("release", "--env=sandbox")
    time.sleep(1.0)
    second = project.start_inv("release", "--env=sandbox")
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 3], outputs
    refused = outputs[1] if second.returncode == 3 else outputs[0]
    assert "is locked" in refused[1] and "held by" in refused[1]


def _kill_after_deploy(project: Project) -> str:
    """Start a release and kill it hard once its deploy step is journaled done."""
    return project.kill_after_deploy("release", "--env=sandbox")


@pytest.mark.parametrize("pick_up", ["--resume", "--abort"])
def test_release_killed_mid_deploy_then_picked_up_leaves_one_version_serving(
    project: Project, pick_up: str
) -> None:
    if not project.ledger():
        released(project)
    old = project.info()["git_sha"]
    project.edit("examples/backend/requirements.txt", "\n", f"\n# killed {pick_up}\n")
    new = project.commit(f"released, killed, then {pick_up}")

    run = _kill_after_deploy(project)
    cut_off = [r for r in project.ledger() if r["outcome"] == "in_progress"]
    assert [r["git_sha"] for r in cut_off] == [new]
    refused = project.inv("release", "--env=sandbox")
    assert refused.returncode != 0 and "--resume" in refused.stderr

    result = project.inv("release", "--env=sandbox", pick_up)
    assert result.returncode == 0, result.stdout + result.stderr
    expected = new if pick_up == "--resume" else old
    shas = {project.info()["git_sha"] for _ in range(5)}
    assert shas == {expected}
    assert "not locked" in project.inv("lock.status", "--env=sandbox").stdout
    # The picked-up run finished the very ledger entry the cut-off run began.
    entries = {r["id"]: r for r in project.ledger()}
    assert not [r for r in entries.values() if r["outcome"] == "in_progress"], run
    outcome = "succeeded" if pick_up == "--resume" else "rolled_back"
    assert entries[cut_off[0]["id"]]["outcome"] == outcome
    assert [r for r in entries.values() if r["git_sha"] == new] == [
        entries[cut_off[0]["id"]]]


def test_rollback_puts_the_previous_release_back(project: Project) -> None:
    good = [r for r in project.ledger() if r["outcome"] == "succeeded"]
    if len(good) < 2:
        released(project)
        project.edit("examples/backend/requirements.txt", "\n", "\n# again\n")
        project.commit("one more")
        released(project)
    good = sorted((r for r in project.ledger() if r["outcome"] == "succeeded"),
                  key=lambda r: r["started_at"])
    current, previous = good[-1], good[-2]
    assert project.info()["git_sha"] == current["git_sha"]

    result = project.inv("rollback", "--env=sandbox")

    assert result.returncode == 0, result.stdout + result.stderr
    assert project.info()["git_sha"] == previous["git_sha"]
