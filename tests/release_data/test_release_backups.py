"""The database side of releases: a backup before every deploy, recorded in the
ledger, and `inv rollback --with-data` that restores it only when confirmed."""

from __future__ import annotations

import json

import psycopg
import pytest

from shipyard.secrets.store import SandboxStore
from tests.release.project import Project

pytestmark = pytest.mark.integration


def database_url(project: Project) -> str:
    """The sandbox database's URL, from the sandbox's throwaway secret store."""
    store = SandboxStore(project.root / ".shipyard" / "sandbox")
    value = store.get("DATABASE_URL")
    assert value is not None
    return value.reveal()


def notes(project: Project) -> set[str]:
    with psycopg.connect(database_url(project)) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS notes (text text)")
        return {row[0] for row in connection.execute("SELECT text FROM notes")}


def write_note(project: Project, text: str) -> None:
    with psycopg.connect(database_url(project)) as connection:
        connection.execute("CREATE TABLE IF NOT EXISTS notes (text text)")
        connection.execute("INSERT INTO notes VALUES (%s)", (text,))


def release(project: Project, *args: str) -> dict:
    result = project.inv("release", "--env=sandbox", *args)
    assert result.returncode == 0, result.stdout + result.stderr
    sha = project.git("rev-parse", "HEAD")
    return max((r for r in project.ledger() if r["git_sha"] == sha),
               key=lambda r: r["started_at"])


def next_commit(project: Project, label: str) -> None:
    project.edit("examples/backend/requirements.txt", "\n", f"\n# {label}\n")
    project.commit(label)


def backups(project: Project) -> list[dict]:
    listed = project.inv("backup.list", "--env=sandbox", "--json")
    assert listed.returncode == 0, listed.stderr
    return json.loads(listed.stdout)


def test_release_takes_a_backup_before_deploying_and_records_it(
    project: Project,
) -> None:
    write_note(project, "before the first release")
    entry = release(project)

    assert entry["backup_id"]
    listed = {b["id"]: b for b in backups(project)}
    assert entry["backup_id"] in listed
    assert listed[entry["backup_id"]]["release"]["id"] == entry["id"]
    assert listed[entry["backup_id"]]["row_counts"]["public.notes"] == 1

    verified = project.inv("backup.verify", "--env=sandbox",
                           f"--id={entry['backup_id']}")
    assert verified.returncode == 0, verified.stdout + verified.stderr


def test_no_backup_is_said_in_the_ledger(project: Project) -> None:
    next_commit(project, "released without a backup")
    before = {b["id"] for b in backups(project)}

    entry = release(project, "--no-backup")

    assert entry["backup_id"] is None
    assert "no pre-release backup" in entry["notes"]
    assert {b["id"] for b in backups(project)} == before


def test_rollback_with_data_needs_confirmation_then_restores_that_time(
    project: Project,
) -> None:
    next_commit(project, "old version")
    old = release(project)
    write_note(project, "written while the old version served")
    next_commit(project, "new version")
    new = release(project)
    write_note(project, "written while the new version served")
    assert new["backup_id"]

    refused = project.inv("rollback", "--env=sandbox", f"--to={old['id']}",
                          "--with-data")
    assert refused.returncode != 0
    assert "--confirm-data-loss" in refused.stderr
    assert "written while the new version served" in notes(project)

    result = project.inv("rollback", "--env=sandbox", f"--to={old['id']}",
                         "--with-data", "--confirm-data-loss")

    assert result.returncode == 0, result.stdout + result.stderr
    kept = notes(project)
    assert "written while the old version served" in kept
    assert "written while the new version served" not in kept
    assert project.info()["git_sha"] == old["git_sha"]
    rollback = max(project.ledger(), key=lambda r: r["started_at"])
    assert new["backup_id"] in rollback["notes"]
    safety = rollback["notes"].rsplit("backup ", 1)[-1]
    assert safety in {b["id"] for b in backups(project)}


def built_images(project: Project, tag: str) -> list[str]:
    """Tags of the backend image built for `tag`, on this machine's engine."""
    import docker

    engine = docker.from_env()
    try:
        name = f"{project.env['REGISTRY']}/shipyard-demo-backend"
        return [t for image in engine.images.list(name=name) for t in image.tags
                if t.endswith(f":{tag}")]
    finally:
        engine.close()


def test_release_with_drift_stops_in_preflight_and_builds_nothing(
    project: Project,
) -> None:
    import httpx

    from shipyard.config import read_env_file

    site = read_env_file(project.root / "env/sandbox.env")["NETLIFY_SITE_ID"]
    token = SandboxStore(project.root / ".shipyard" / "sandbox").get(
        "NETLIFY_AUTH_TOKEN"
    )
    assert token is not None
    api = httpx.Client(base_url=project.env["NETLIFY_API_URL"] + "/", timeout=30,
                       headers={"Authorization": f"Bearer {token.reveal()}"})
    account = api.get(f"sites/{site}").raise_for_status().json()["account_slug"]
    next_commit(project, "released over drift")
    ledger_before = project.ledger()
    runs_before = len(project.journals())
    api.post(f"accounts/{account}/env", params={"site_id": site},
             json=[{"key": "HAND_SET_FLAG",
                    "values": [{"context": "all", "value": "on"}]}],
             ).raise_for_status()
    try:
        result = project.inv("release", "--env=sandbox")
    finally:
        api.delete(f"accounts/{account}/env/HAND_SET_FLAG",
                   params={"site_id": site}).raise_for_status()
        api.close()

    assert result.returncode != 0, result.stdout + result.stderr
    [error] = [line for line in result.stderr.splitlines() if "error:" in line]
    assert "parity of sandbox: 1 drift finding(s) (HAND_SET_FLAG)" in error
    assert "inv parity --env=sandbox" in error
    assert "Traceback" not in result.stderr
    [refused] = [r for r in project.ledger() if r not in ledger_before]
    assert refused["outcome"] == "failed"
    assert (refused["image_digest"], refused["backend_deployment_id"]) == (None, None)
    assert (refused["frontend_deploy_id"], refused["backup_id"]) == (None, None)
    assert not built_images(project, project.git("rev-parse", "HEAD")[:12])
    [journal] = project.journals()[runs_before:]
    steps = {record.get("step") for record in journal} - {None}
    assert steps == {"preflight"}, steps
    assert {r.get("event") for r in journal if r.get("step")} >= {"failed"}
