"""No secret value reaches output, records, logs, errors or a child's argv.

The session's release and pushes ran with sentinel values (conftest.py);
this test adds a rotation bringing a sentinel password on stdin, a rotation
that fails and one killed mid-way (so its lock and cut-off journal are still
there), then looks for every value the keyring holds (current, previous and
pending of every secret, the rotated ones included) in: stdout and stderr of
every `inv` run of the session, the argv of every process those runs
started, the journals, the audit log and every log file under .shipyard/,
and every object of the environment's S3 bucket, where the ledger, the
lock, the shared audit records and the backups live. The stand-ins' own
state files (which hold values by design, as the services they stand in for
do) and the sandbox store are not records Shipyard writes about a run, so
they are left out.

A backup's dump is read as the SQL pg_restore makes of it (the archive is
compressed, so its raw bytes would hide any value). A dump is the app's own
data and might in principle hold a secret the app chose to store; this app
stores none (it has no sessions app and no tables of its own, and role
passwords live in the cluster, not in a database's dump), so a sentinel
there would have come from Shipyard: a leak too.
"""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pytest

from shipyard.redaction import Secret
from tests.rotation.conftest import SENTINEL, sentinel
from tests.rotation.world import World, assert_db_consistent

pytestmark = pytest.mark.integration
STATE_FOLDERS = ("koyeb", "netlify", "github", "registry")


def _known_values(world: World) -> set[str]:
    store = world.store()
    names = {info.name for info in store.list()}
    found = set()
    for name in names:
        for version in ("current", "previous", "pending"):
            value = store.get_version(name, version)  # type: ignore[arg-type]
            if value is not None:
                found.add(value.reveal())
    found |= {_password(value) for value in found if "://" in value}
    return {value for value in found if value and len(value) >= 8}


def _password(url: str) -> str:
    from urllib.parse import unquote, urlsplit

    return unquote(urlsplit(url).password or "")


def _records(root: Path) -> list[Path]:
    state = root / ".shipyard"
    files = [p for p in state.rglob("*") if p.is_file()]
    kept = []
    for path in files:
        parts = path.relative_to(state).parts
        if parts[0] == "sandbox" and len(parts) > 2 and parts[1] in STATE_FOLDERS:
            continue
        if parts[-1] == "secrets.json" or (parts[0] == "sandbox" and
                                           parts[1] == "postgres"
                                           and not parts[-1].endswith(".log")):
            continue
        kept.append(path)
    return kept


def _bucket(world: World) -> dict[str, str]:
    """Every object of the sandbox's S3 bucket, as text; dumps as pg_restore's SQL."""
    from shipyard.providers.s3 import s3_client

    lines = (world.root / "env" / "sandbox.env").read_text().splitlines()
    [bucket] = [line.split("=", 1)[1] for line in lines
                if line.startswith("S3_BUCKET=")]
    s3 = s3_client(world.project.env["S3_ENDPOINT_URL"], "us-east-1",
                   Secret(world.value("AWS_ACCESS_KEY_ID") or ""),
                   Secret(world.value("AWS_SECRET_ACCESS_KEY") or ""))
    found = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            found[item["Key"]] = (_restored_sql(body) if item["Key"].endswith(".dump")
                                  else body.decode(errors="replace"))
    return found


def _restored_sql(archive: bytes) -> str:
    from shipyard.providers.postgres import PgTools

    with tempfile.NamedTemporaryFile(suffix=".dump") as dump:
        dump.write(archive)
        dump.flush()
        sql = subprocess.run([PgTools.find().pg_restore, "--file=-", dump.name],
                             capture_output=True, text=True, check=True).stdout
    return sql


def test_release_and_rotate_never_show_a_secret_value(world: World) -> None:
    brought = sentinel("Rotated")
    rotated = world.inv("rotate", "--env=sandbox", "--secret=DATABASE_PASSWORD",
                        "--from-stdin", stdin=brought + "\n")
    assert rotated.returncode == 0, rotated.stdout + rotated.stderr
    assert world.value("DATABASE_PASSWORD") == brought
    assert_db_consistent(world)
    failed = world.inv("rotate", "--env=sandbox", "--secret=WEBHOOK_SIGNING_KEY",
                       env={"SHIPYARD_FAIL_AT": "test_pending"})
    assert failed.returncode != 0
    backed_up = world.inv("backup", "--env=sandbox")
    assert backed_up.returncode == 0, backed_up.stdout + backed_up.stderr
    killed = world.inv("rotate", "--env=sandbox", "--secret=DATABASE_PASSWORD",
                       env={"SHIPYARD_KILL_AT": "test_pending"})
    try:
        assert killed.returncode < 0, killed.stdout + killed.stderr
        values = _known_values(world)
        objects = _bucket(world)
    finally:
        aborted = world.inv("rotate", "--env=sandbox", "--abort")
    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    objects |= {f"{key} (after abort)": text for key, text in _bucket(world).items()}
    values |= _known_values(world)

    keys = " ".join(objects)
    for kind in ("/ledger/sandbox/", "/locks/sandbox.json", "/audit/sandbox/",
                 "backups/sandbox/"):
        assert kind in keys, f"no {kind} object in the bucket: {sorted(objects)}"
    dumps = [text for key, text in objects.items() if ".dump" in key]
    assert dumps and all("PostgreSQL database dump complete" in sql for sql in dumps)
    assert brought in values and sum(SENTINEL in v for v in values) >= 6
    released = [run for run in world.runs if "release" in run.stdout]
    assert released and any(run.argvs for run in world.runs)
    records = _records(world.root)
    assert any(p.name == "audit.log" for p in records)
    assert any(p.parent.name == "runs" for p in records)

    for number, run in enumerate(world.runs):
        for value in values:
            assert value not in run.stdout, f"run {number} printed a secret"
            assert value not in run.stderr, f"run {number} printed a secret to stderr"
            for argv in run.argvs:
                assert value not in argv, f"a child of run {number} got a secret: argv"
    for path in records:
        text = path.read_text(errors="replace")
        for value in values:
            assert value not in text, f"{path} holds a secret value"
    for key, text in objects.items():
        for value in values:
            assert value not in text, f"S3 object {key} holds a secret value"
