"""The database password reaches pg_dump and pg_restore only through their
environment: no process argument, output line or stored object ever holds it."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from shipyard.backups import create_backup, restore_backup, verify_backup
from shipyard.errors import ShipyardError
from shipyard.providers.postgres import Database, PgTools
from shipyard.redaction import Secret
from tests.backups.databases import new_database

MIB = 1024 * 1024


def wrap(program: str, folder: Path, log: Path) -> str:
    """A stand-in that logs its arguments (and whether PGPASSWORD is set), then
    runs the real program with them."""
    wrapper = folder / Path(program).name
    wrapper.write_text(
        "#!/bin/sh\n"
        f'echo "--- $(basename "$0") PGPASSWORD=${{PGPASSWORD:+set}}" >> {log}\n'
        f'for arg in "$@"; do echo "$arg" >> {log}; done\n'
        f'exec {program} "$@"\n'
    )
    wrapper.chmod(0o755)
    return str(wrapper)


class ArgvWatcher(threading.Thread):
    """Reads every process's /proc/<pid>/cmdline until stopped, noting the client
    programs it saw and any command line holding the password."""

    def __init__(self, password: str) -> None:
        super().__init__(daemon=True)
        self.password = password.encode()
        self.seen: set[str] = set()
        self.leaks: list[str] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    raw = cmdline.read_bytes()
                except OSError:
                    continue
                for name in ("pg_dump", "pg_restore"):
                    if name.encode() in raw:
                        self.seen.add(name)
                if self.password in raw:
                    self.leaks.append(raw.replace(b"\0", b" ").decode(errors="replace"))


@pytest.mark.integration
def test_password_never_appears_in_child_argv_output_or_objects(
    big_db: Secret,
    cluster: Any,
    s3: Any,
    bucket: str,
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    log = tmp_path / "argv.log"
    real = PgTools.find()
    tools = PgTools(
        pg_dump=wrap(real.pg_dump, tmp_path, log),
        pg_restore=wrap(real.pg_restore, tmp_path, log),
    )
    target = new_database(cluster, "SELECT 1")
    watcher = ArgvWatcher(cluster.password)
    watcher.start()
    try:
        backup = create_backup(
            big_db, s3, bucket, "prod", tools=tools, part_size=5 * MIB
        )
        restore_backup(s3, bucket, "prod", backup.id, target, tools=tools)
        verified = verify_backup(
            s3, bucket, "prod", backup.id, cluster.url(), tools=tools
        )
    finally:
        watcher.halt.set()
        watcher.join()

    assert verified.ok, verified.detail
    argv_log = log.read_text()
    assert argv_log.count("--- pg_dump PGPASSWORD=set") == 1
    assert argv_log.count("--- pg_restore PGPASSWORD=set") == 2
    assert any(line.startswith("--snapshot=") for line in argv_log.splitlines())
    assert cluster.password not in argv_log
    assert watcher.seen == {"pg_dump", "pg_restore"}
    assert watcher.leaks == []
    output = capfd.readouterr()
    assert cluster.password not in output.out + output.err
    metadata = s3.get_object(Bucket=bucket, Key=backup.meta_key)["Body"].read()
    assert cluster.password.encode() not in metadata


def test_database_url_splits_the_password_from_what_programs_are_given() -> None:
    url = Secret("postgresql://app:p%40ss%20w0rd@db.internal:6543/shop?sslmode=require")

    db = Database.from_url(url)

    assert db.password is not None and db.password.reveal() == "p@ss w0rd"
    assert "w0rd" not in db.conninfo() and "sslmode=require" in db.conninfo()
    assert db.child_env()["PGPASSWORD"] == "p@ss w0rd"
    assert db.label == "app@db.internal:6543/shop"
    assert "w0rd" not in repr(db.password) and "w0rd" not in str(db.password)
    assert "PGPASSWORD" not in Database.from_url("host=h dbname=d").child_env()


def test_malformed_database_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(ShipyardError, match="not a valid PostgreSQL connection") as bad:
        Database.from_url(Secret("host=db password=s3cret-value bogus"))
    assert "s3cret" not in str(bad.value)
