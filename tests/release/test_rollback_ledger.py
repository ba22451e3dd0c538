"""Rollbacks through the whole sandbox as the ledger and the terminal see them: a
rollback whose output pipe is closed early still finishes, a cut-off rollback
picked up finishes its own ledger entry, and `inv releases` tells rollbacks
from releases."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.release.project import Project

pytestmark = pytest.mark.integration


def two_good_releases(project: Project, label: str) -> tuple[dict, dict]:
    """Release twice more, so the newest succeeded release has a good one before it."""
    for round_ in ("a", "b"):
        project.edit("examples/backend/requirements.txt", "\n",
                     f"\n# {label} {round_}\n")
        project.commit(f"{label} {round_}")
        result = project.inv("release", "--env=sandbox")
        assert result.returncode == 0, result.stdout + result.stderr
    good = sorted((r for r in project.ledger() if r["outcome"] == "succeeded"),
                  key=lambda r: r["started_at"])
    return good[-1], good[-2]


def newest_run(project: Project) -> tuple[str, str | None]:
    """The plan of the newest journaled run and the outcome it finished with."""
    records = project.journals()[-1]
    finished = [r for r in records if r.get("event") == "run_finished"]
    return (records[0]["facts"]["plan"],
            finished[-1]["facts"]["outcome"] if finished else None)


def test_rollback_whose_stdout_is_closed_early_finishes_and_records_it(
    project: Project,
) -> None:
    current, previous = two_good_releases(project, "pipe")
    process = project.start_inv("rollback", "--env=sandbox")
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    errors = process.stderr.read()
    code = process.wait(timeout=600)

    assert first.strip(), "the rollback printed nothing before its pipe closed"
    assert code == 0, errors
    assert "Traceback" not in errors and "BrokenPipe" not in errors, errors
    assert newest_run(project) == ("rollback", "succeeded")
    newest = project.ledger()[0]
    assert (newest["kind"], newest["restores"], newest["outcome"]) == (
        "rollback", previous["id"], "succeeded")
    shas = {project.info()["git_sha"] for _ in range(5)}
    assert shas == {previous["git_sha"]} != {current["git_sha"]}
    assert "not locked" in project.inv("lock.status", "--env=sandbox").stdout


@pytest.mark.parametrize("pick_up", ["--resume", "--abort"])
def test_rollback_killed_then_picked_up_finishes_its_own_ledger_entry(
    project: Project, pick_up: str
) -> None:
    current, previous = two_good_releases(project, f"killed rollback {pick_up}")
    project.kill_after_deploy("rollback", "--env=sandbox")
    cut_off = project.ledger()[0]
    assert (cut_off["kind"], cut_off["restores"], cut_off["outcome"]) == (
        "rollback", previous["id"], "in_progress")

    result = project.inv("rollback", "--env=sandbox", pick_up)

    assert result.returncode == 0, result.stdout + result.stderr
    entries = project.ledger()
    assert [r["id"] for r in entries if r["kind"] == "rollback"
            and r["started_at"] >= cut_off["started_at"]] == [cut_off["id"]]
    assert not [r for r in entries if r["outcome"] == "in_progress"]
    finished = next(r for r in entries if r["id"] == cut_off["id"])
    expected = ("succeeded", previous) if pick_up == "--resume" else (
        "rolled_back", current)
    assert finished["outcome"] == expected[0]
    assert {project.info()["git_sha"] for _ in range(5)} == {expected[1]["git_sha"]}
    if pick_up == "--resume":
        again = project.inv("rollback", "--env=sandbox", f"--to={cut_off['id']}",
                            "--dry-run")
        assert again.returncode == 0, again.stdout + again.stderr


def test_releases_shows_which_entries_are_rollbacks_and_their_target(
    project: Project,
) -> None:
    entries = project.ledger()
    rollbacks = [r for r in entries if r["kind"] == "rollback"]
    assert rollbacks, "the rollback tests before this one recorded rollbacks"
    assert all(r["restores"] for r in rollbacks)
    assert {r["kind"] for r in entries} == {"release", "rollback"}

    shown = subprocess.run(
        [sys.executable, "-m", "invoke", "releases", "--env=sandbox"],
        cwd=project.root, env={**project.env, "COLUMNS": "400"},
        capture_output=True, text=True, timeout=60, check=False,
    )

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    for entry in entries:
        cells = next(item for item in lines if item.startswith(f"│ {entry['id']} "))
        kind = cells.split("│")[2].strip()
        if entry["kind"] == "rollback":
            assert kind == f"rollback to {entry['restores']}"
        else:
            assert kind == "release"
