"""How close `inv backup` to S3 comes to a bare `pg_dump -Fc > /dev/null`.

Makes a database of about --size-mb megabytes on a throwaway cluster and a
throwaway project whose environment points at it and at a moto server, then
times pg_dump to /dev/null and the real `inv backup --env=bench` command end
to end (interpreter start, config, secret store, dump, upload, metadata),
alternately --repeat times. The command runs on a pseudo-terminal, so its
progress bar is drawn as for a person. Prints the best throughput of each
(the run least disturbed by other load), their ratio and the backup's peak
RSS (its Python process and its pg_dump, each and together), against the
targets: ratio at least 0.8, peak RSS at most 150 MB (both together).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from backup_project import ENV, child_environment, inv_command, write_project
from terminal_run import COMMAND, Run, run_in_terminal, wait_sampled

from shipyard.backup_store import delete_backup, list_backups
from shipyard.providers.postgres import Database, PgTools
from shipyard.providers.s3 import ensure_bucket, s3_client
from shipyard.redaction import Secret
from shipyard.sandbox import postgres
from shipyard.sandbox import s3 as sandbox_s3

MB = 1000 * 1000
USER = "bench"
BUCKET = "bench-backups"
RATIO_TARGET = 0.8
RSS_TARGET_MB = 150
# Pieces of `inv backup`'s output whose first appearance is timed: the step
# line printed just before pg_dump starts, and the line after the metadata.
MARKS = {"dump starts": "backing up", "done": "sha256 "}
# Rows like an application's: ids, timestamps, short text and a JSON payload
# that compresses about as well as real data does.
TABLE = """
CREATE TABLE IF NOT EXISTS events (
    id bigserial PRIMARY KEY, account_id int NOT NULL, kind text NOT NULL,
    created_at timestamptz NOT NULL, payload jsonb NOT NULL);
"""
BATCH = """
INSERT INTO events (account_id, kind, created_at, payload)
SELECT (random() * 50000)::int,
       (ARRAY['signup','login','purchase','refund','logout'])[1 + g % 5],
       now() - g * interval '1 second',
       jsonb_build_object('session', md5(random()::text), 'ip', md5(g::text),
                          'note', repeat(md5(random()::text), 4), 'n', g)
FROM generate_series(1, 50000) g;
"""


def make_database(cluster: postgres.Cluster, url: Secret, size_mb: int) -> int:
    """Fill the bench database to about `size_mb` MB; its size in bytes."""
    db = Database.from_url(url)
    with db.connect(autocommit=True) as conn:
        conn.execute(TABLE)
        size = 0
        while size < size_mb * MB:
            conn.execute(BATCH)
            size = int(conn.execute("SELECT pg_database_size(current_database())")
                       .fetchone()[0])  # fmt: skip
            print(f"  generated {size / MB:7.0f} MB", end="\r", flush=True)
        conn.execute("VACUUM ANALYZE events")
    cluster.sql("CHECKPOINT;")
    print()
    return size


def time_pg_dump(url: Secret, tools: PgTools) -> tuple[float, int]:
    """Seconds for `pg_dump -Fc` of the database to /dev/null, and its peak RSS
    in bytes (sampled like the backup's)."""
    db = Database.from_url(url)
    started = time.perf_counter()
    child = subprocess.Popen(
        [tools.pg_dump, "-Fc", "--no-password", f"--dbname={db.conninfo()}"],
        stdout=subprocess.DEVNULL,
        env=db.child_env(),
    )
    seconds, sampler = wait_sampled(child, started)
    if child.returncode != 0:
        raise SystemExit(f"pg_dump failed with exit code {child.returncode}")
    return seconds, sampler.peaks.get(COMMAND, 0)


def time_backup(project: Path, s3: Any) -> tuple[Run, int]:
    """Run `inv backup` in the project on a terminal: the run and the dump's size.
    The backup is deleted afterwards, so moto holds one dump at a time."""
    run = run_in_terminal(inv_command(), project, child_environment(), MARKS)
    if run.code != 0:
        last = run.output.strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"`inv backup` failed with exit code {run.code}: {last[0]}")
    made = list_backups(s3, BUCKET, ENV)
    if len(made) != 1:
        raise SystemExit(f"expected one backup in the bucket, found {len(made)}")
    delete_backup(s3, BUCKET, made[0])
    return run, made[0].size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500, help="database size")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="shipyard-bench-"))
    work.chmod(0o755)
    try:
        run(work, args.size_mb, args.repeat)
    finally:
        sandbox_s3.stop_s3(work / "s3")
        postgres.stop_cluster(work / "pg")
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, size_mb: int, repeat: int) -> None:
    cluster = postgres.start_cluster(work / "pg")
    password = os.urandom(12).hex()
    url = Secret(cluster.url("bench", USER, password), "DATABASE_URL")
    server = sandbox_s3.start_s3(work / "s3")
    s3 = s3_client(server.endpoint_url, sandbox_s3.REGION,
                   Secret(sandbox_s3.ACCESS_KEY), Secret(sandbox_s3.SECRET_KEY))
    ensure_bucket(s3, BUCKET)
    write_project(work / "project", bucket=BUCKET, endpoint=server.endpoint_url,
                  db_url=url)
    tools = PgTools.find()

    print(f"making a database of about {size_mb} MB")
    size = make_database(cluster, url, size_mb)
    time_pg_dump(url, tools)  # warms the caches both runs read through

    dumps, backups = [], []
    for number in range(1, repeat + 1):
        dumps.append(time_pg_dump(url, tools))
        backups.append(time_backup(work / "project", s3))
        print(f"  run {number}: pg_dump {dumps[-1][0]:6.2f} s   "
              f"inv backup {backups[-1][0].seconds:6.2f} s")
    report(size, tools, dumps, backups)


def report(size: int, tools: PgTools, dumps: list[tuple[float, int]],
           backups: list[tuple[Run, int]]) -> None:
    dump_seconds = min(seconds for seconds, _ in dumps)
    fastest, dump_size = min(backups, key=lambda item: item[0].seconds)
    runs = [run for run, _ in backups]
    dump_rate = size / dump_seconds / MB
    backup_rate = size / fastest.seconds / MB
    ratio = backup_rate / dump_rate
    start = fastest.marks.get("dump starts", 0.0)
    done = fastest.marks.get("done", fastest.seconds)
    redraws = min(run.output.count("pg_dump") for run in runs)
    python = max(run.peaks.get(COMMAND, 0) for run in runs) / MB
    child_dump = max(run.peaks.get("pg_dump", 0) for run in runs) / MB
    together = max(run.together for run in runs) / MB
    alone = max(rss for _, rss in dumps) / MB

    print(f"pg_dump:                      {tools.pg_dump}")
    print(f"database size:                {size / MB:8.0f} MB")
    print(f"dump size (custom format):    {dump_size / MB:8.1f} MB")
    print(f"timed runs of each:           {len(runs):8d}    (fastest of each below)")
    print(f"pg_dump -Fc > /dev/null:      {dump_seconds:8.2f} s  {dump_rate:7.1f} MB/s")
    print(f"inv backup --env={ENV} (S3):  {fastest.seconds:8.2f} s  "
          f"{backup_rate:7.1f} MB/s  (end to end, as a person runs it)")
    print(f"  until the dump starts:      {start:8.2f} s  (interpreter, imports, "
          "config, secret store, version check, ledger)")
    print(f"  dump and upload:            {done - start:8.2f} s  (to the line after "
          "the metadata is written)")
    print(f"  exit:                       {fastest.seconds - done:8.2f} s")
    print(f"ratio inv backup/pg_dump:     {ratio:8.2f}    (target >= {RATIO_TARGET})")
    drawn = f"drawn, at least {redraws} redraws a run" if redraws else "NOT drawn"
    print(f"progress bar:                 {drawn} (on a 120x40 pseudo-terminal)")
    print("peak RSS, read from /proc every 20 ms (VmHWM, the kernel's high-water mark):")
    print(f"  inv's python process:       {python:8.1f} MB (pg_dump not included)")
    print(f"  its pg_dump:                {child_dump:8.1f} MB")
    print(f"  both at once:               {together:8.1f} MB (python + pg_dump, "
          f"sum of VmRSS; target <= {RSS_TARGET_MB})")
    print(f"  baseline pg_dump alone:     {alone:8.1f} MB")
    met = ratio >= RATIO_TARGET and together <= RSS_TARGET_MB and redraws > 0
    print("targets met" if met else "targets missed")


if __name__ == "__main__":
    main()
