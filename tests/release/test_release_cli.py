"""`inv release` and `inv lock.*` as a person or CI calls them, against the same
sandbox as the other release tests: what --dry-run leaves alone, what --json
prints, how a dirty tree is treated, and how a held lock is seen and broken."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import httpx
import pytest

from shipyard.stamps import whoami
from tests.release.project import Project

pytestmark = pytest.mark.integration

REPOSITORY = "shipyard-demo-backend"


def registry_tags(project: Project) -> set[str]:
    answer = httpx.get(f"http://{project.env['REGISTRY']}/v2/{REPOSITORY}/tags/list",
                       timeout=10)
    return set(answer.json().get("tags") or []) if answer.status_code == 200 else set()


def engine_tags(project: Project) -> set[str]:
    import docker

    engine = docker.from_env()
    try:
        images = engine.images.list(name=f"{project.env['REGISTRY']}/{REPOSITORY}")
    finally:
        engine.close()
    return {tag for image in images for tag in image.tags}


def koyeb_deployments(project: Project) -> list[str]:
    token = (project.root / ".shipyard/sandbox/koyeb/token").read_text().strip()
    answer = httpx.get(f"{project.env['KOYEB_API_URL']}/deployments",
                       params={"limit": 100},
                       headers={"Authorization": f"Bearer {token}"}, timeout=10)
    answer.raise_for_status()
    return [d["id"] for d in answer.json()["deployments"]]


def world(project: Project) -> dict[str, Any]:
    """Everything a release could change, as the real stand-ins hold it."""
    state = project.root / ".shipyard"
    audit = state / "audit.log"
    return {
        "registry": registry_tags(project),
        "engine": engine_tags(project),
        "koyeb": koyeb_deployments(project),
        "journals": sorted(p.name for p in (state / "runs").glob("*.jsonl")),
        "audit": audit.read_text() if audit.exists() else "",
        "ledger": project.ledger(),
        "lock": project.inv("lock.status", "--env=sandbox", "--json").stdout,
    }


def error_lines(result: subprocess.CompletedProcess) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.strip()]


def test_dry_run_prints_the_plan_and_builds_deploys_and_records_nothing(
    project: Project,
) -> None:
    project.edit("examples/backend/requirements.txt", "\n", "\n# dry run\n")
    sha = project.commit("only planned")
    (project.root / ".shipyard/runs").mkdir(parents=True, exist_ok=True)
    before = world(project)

    result = project.inv("release", "--env=sandbox", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "dry run: nothing changed" in result.stdout
    for step in ("preflight", "build", "push", "deploy", "wait_healthy",
                 "smoke_test"):
        assert f" {step} " in result.stdout, result.stdout
    after = world(project)
    assert after == before
    assert not any(tag.startswith(sha[:12]) for tag in after["registry"])
    assert not any(tag.endswith(":" + sha[:12]) for tag in after["engine"])
    assert json.loads(after["lock"]) is None


def test_dirty_tree_is_refused_in_one_line_before_anything_runs(
    project: Project,
) -> None:
    scratch = project.root / "scratch.txt"
    scratch.write_text("not committed\n")
    runs = project.root / ".shipyard/runs"
    journals = set(runs.glob("*.jsonl"))
    try:
        result = project.inv("release", "--env=sandbox")
    finally:
        scratch.unlink()

    assert result.returncode != 0
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "1 uncommitted change(s) (scratch.txt)" in lines[0]
    assert "--allow-dirty" in lines[0]
    assert "Traceback" not in result.stdout + result.stderr
    assert set(runs.glob("*.jsonl")) == journals


def test_allow_dirty_release_with_json_prints_its_outcome_id_and_digest(
    project: Project,
) -> None:
    sha = project.git("rev-parse", "HEAD")
    scratch = project.root / "scratch.txt"
    scratch.write_text("not committed\n")
    try:
        result = project.inv("release", "--env=sandbox", "--allow-dirty", "--json")
    finally:
        scratch.unlink()

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    printed = json.loads(result.stdout)
    assert printed["outcome"] == "succeeded" and printed["ok"] is True
    assert printed["release_id"].startswith(sha[:7])
    digest = printed["facts"]["push"]["digest"]
    assert digest.startswith("sha256:") and len(digest) == 71
    tag = printed["facts"]["build"]["image"].rsplit(":", 1)[1]
    assert tag.startswith(f"{sha[:12]}-dirty-")
    assert tag in registry_tags(project)
    entry = next(r for r in project.ledger() if r["id"] == printed["release_id"])
    assert entry["outcome"] == "succeeded"
    assert entry["image_digest"] == digest
    assert project.info()["git_sha"] == sha


def hold_lock(project: Project, holder: str, reason: str) -> None:
    """Take the sandbox's lock as another person's run would, then leave it held."""
    code = ("from shipyard import config\n"
            "from shipyard.shared_state import lock_store\n"
            "lock_store(config.load('sandbox')).acquire("
            f"'sandbox', {holder!r}, {reason!r}, 600)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=project.root,
                          env=project.env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_held_lock_shows_its_holder_and_only_force_breaks_it_audited(
    project: Project,
) -> None:
    hold_lock(project, "alice@laptop pid 41", "release 3f2a9c1 from alice")
    audit = project.root / ".shipyard/audit.log"
    audited = audit.read_text().splitlines() if audit.exists() else []

    status = project.inv("lock.status", "--env=sandbox")
    refused = project.inv("lock.release", "--env=sandbox")
    still = project.inv("lock.status", "--env=sandbox", "--json")
    broken = project.inv("lock.release", "--env=sandbox", "--force")
    after = project.inv("lock.status", "--env=sandbox")

    assert status.returncode == 0, status.stderr
    assert "held by alice@laptop pid 41 since 20" in status.stdout
    assert "(release 3f2a9c1 from alice)" in status.stdout
    assert refused.returncode != 0
    assert len(error_lines(refused)) == 1 and "--force" in refused.stderr
    held = json.loads(still.stdout)
    assert held["holder"] == "alice@laptop pid 41" and "token" not in held
    assert broken.returncode == 0, broken.stderr
    assert "broke the sandbox lock" in broken.stdout
    assert "sandbox: not locked" in after.stdout
    new_lines = audit.read_text().splitlines()[len(audited):]
    breaks = [line.split("\t") for line in new_lines if "lock broken by" in line]
    assert len(breaks) == 1, new_lines
    _, who, env, what = breaks[0]
    assert env == "sandbox" and who.startswith(whoami())
    assert "held by alice@laptop pid 41" in what


def test_rollback_dry_run_names_the_release_it_would_go_back_to(
    project: Project,
) -> None:
    target = next(r for r in project.ledger()
                  if r["outcome"] == "succeeded" and r["backend_deployment_id"])

    result = project.inv("rollback", "--env=sandbox", f"--to={target['id']}",
                         "--dry-run")
    as_json = project.inv("rollback", "--env=sandbox", f"--to={target['id']}",
                          "--dry-run", "--json")

    assert result.returncode == 0, result.stdout + result.stderr
    assert f"would roll sandbox back to release {target['id']}" in result.stdout
    assert "dry run: nothing changed" in result.stdout
    assert as_json.returncode == 0, as_json.stderr
    printed = json.loads(as_json.stdout)
    assert printed["target"] == target["id"] and printed["would_refuse"] == []


def test_dry_run_on_a_dirty_tree_shows_the_plan_and_says_the_release_is_refused(
    project: Project,
) -> None:
    scratch = project.root / "scratch.txt"
    scratch.write_text("not committed\n")
    try:
        result = project.inv("release", "--env=sandbox", "--dry-run")
    finally:
        scratch.unlink()

    assert result.returncode == 1, result.stdout + result.stderr
    assert "dry run: nothing changed" in result.stdout
    assert " deploy " in result.stdout
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "the real release would be refused" in lines[0]
    assert "1 uncommitted change(s) (scratch.txt)" in lines[0]


def cut_off_run(project: Project, holder: str = "") -> tuple[int, Any]:
    """Leave what a release killed hard leaves: its journal and its lock, held by
    a pid of this machine that is gone (or by `holder`). The pid, and the
    journal's path."""
    gone = subprocess.Popen(["true"])
    gone.wait()
    holder = holder or f"{whoami()} pid {gone.pid}"
    code = ("from pathlib import Path\n"
            "from shipyard import config\n"
            "from shipyard.journal import Journal\n"
            "from shipyard.shared_state import lock_store\n"
            "journal = Journal.new('release', 'sandbox', root=Path('.'))\n"
            "journal.begin({'plan': 'release', 'env': 'sandbox', 'release_id': "
            "'cut-off', 'git_sha': '0' * 40, 'steps': ['preflight']})\n"
            "lock_store(config.load('sandbox')).acquire("
            f"'sandbox', {holder!r}, 'release cut-off', 600)\n"
            "print(journal.path)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=project.root,
                          env=project.env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return gone.pid, project.root / done.stdout.strip()


def test_a_cut_off_run_is_named_by_dry_run_and_lock_status_and_refuses_release(
    project: Project,
) -> None:
    pid, journal = cut_off_run(project)
    try:
        preview = project.inv("release", "--env=sandbox", "--dry-run", "--json")
        status = project.inv("lock.status", "--env=sandbox")
        refused = project.inv("release", "--env=sandbox")
    finally:
        journal.unlink()
        project.inv("lock.release", "--env=sandbox", "--force")

    assert preview.returncode == 1, preview.stdout + preview.stderr
    printed = json.loads(preview.stdout)
    steps = [s["step"] for s in printed["steps"]]
    assert steps[0] == "preflight" and "deploy" in steps and "smoke_test" in steps
    refusals = printed["would_refuse"]
    assert any(f"run {journal.stem} of sandbox was cut off" in r for r in refusals)
    assert any(f"locked by pid {pid}, which is gone" in r for r in refusals)
    assert len(error_lines(preview)) == 1
    assert "the real release would be refused" in preview.stderr
    assert status.returncode == 0, status.stderr
    assert f"pid {pid} since 20" in status.stdout
    assert "that process is no longer running: the run was cut off" in status.stdout
    assert "inv release --env=sandbox --resume" in status.stdout
    assert refused.returncode != 0
    assert "release " not in refused.stdout and refused.stdout.strip() == ""
    assert f"pid {pid}, which is gone" in refused.stderr


@pytest.mark.parametrize("command", [["release", "--env=sandbox"],
                                     ["rotate", "--env=sandbox",
                                      "--secret=DJANGO_SECRET_KEY"]])
def test_a_run_refused_by_a_held_lock_prints_no_start_line(
    project: Project, command: list[str]
) -> None:
    hold_lock(project, "bob@desk pid 77", "release 9c1e2d0 from bob")
    try:
        result = project.inv(*command)
    finally:
        project.inv("lock.release", "--env=sandbox", "--force")

    assert result.returncode == 3, result.stdout + result.stderr
    assert "bob@desk pid 77" in result.stderr
    assert " of " not in result.stdout, result.stdout
    assert "starting the rotation" not in result.stdout, result.stdout


def test_restoring_an_unknown_backup_is_refused_before_asking_to_confirm(
    project: Project,
) -> None:
    result = project.inv("backup.restore", "--env=sandbox", "--id=bogus")

    assert result.returncode == 1
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert "no backup bogus for sandbox" in lines[0]
    assert "would restore" not in result.stdout


def test_resuming_while_another_live_run_holds_the_lock_prints_no_start_line(
    project: Project,
) -> None:
    _, journal = cut_off_run(project, holder="carol@ci pid 12")
    try:
        result = project.inv("release", "--env=sandbox", "--resume")
    finally:
        journal.unlink()
        project.inv("lock.release", "--env=sandbox", "--force")

    assert result.returncode == 3, result.stdout + result.stderr
    assert "carol@ci pid 12" in result.stderr
    assert "resuming run" not in result.stdout, result.stdout
