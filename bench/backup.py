"""How close a streaming backup to S3 comes to a bare `pg_dump -Fc > /dev/null`.

Makes a database of about --size-mb megabytes on a throwaway cluster, then
times pg_dump to /dev/null and Shipyard's backup to the sandbox's S3 (moto),
alternately --repeat times, the backup in a child process so its peak memory
can be read. Prints the best throughput of each (the run least disturbed by
other load), their ratio and the backup's peak RSS, against the targets:
ratio at least 0.8, peak RSS at most 150 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from shipyard.providers.postgres import Database, PgTools
from shipyard.providers.s3 import ensure_bucket, s3_client
from shipyard.redaction import Secret
from shipyard.sandbox import postgres
from shipyard.sandbox import s3 as sandbox_s3

MB = 1000 * 1000
MIB = 1024 * 1024
USER = "bench"
BUCKET = "bench-backups"
RATIO_TARGET = 0.8
RSS_TARGET_MB = 150
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


def client_env(url: Secret) -> dict[str, str]:
    return Database.from_url(url).child_env()


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


def time_pg_dump(url: Secret, tools: PgTools) -> float:
    """Seconds for `pg_dump -Fc` of the database to /dev/null."""
    db = Database.from_url(url)
    started = time.perf_counter()
    subprocess.run(
        [tools.pg_dump, "-Fc", "--no-password", f"--dbname={db.conninfo()}"],
        stdout=subprocess.DEVNULL,
        env=client_env(url),
        check=True,
    )
    return time.perf_counter() - started


def time_backup(url: Secret, endpoint: str, part_mib: int) -> tuple[dict, int]:
    """Run one backup in a child process: its report and its peak RSS in KiB
    (the largest of the child and its own children, pg_dump included)."""
    env = {**os.environ, "BENCH_DB_URL": url.reveal()}
    child = subprocess.Popen(
        [sys.executable, __file__, "--child", endpoint, "--part-mib", str(part_mib)],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = child.stdout.read() if child.stdout else ""
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"the backup child failed with exit code {child.returncode}")
    return json.loads(output.strip().splitlines()[-1]), usage.ru_maxrss


def child_backup(endpoint: str, part_mib: int) -> None:
    """The measured side: one create_backup, reported as a JSON line."""
    import resource

    import psycopg  # noqa: F401 - loaded before the clock starts, like pg_dump's libpq

    from shipyard import console
    from shipyard.backups import create_backup

    console.console()
    s3 = s3_client(endpoint, sandbox_s3.REGION, Secret("bench"), Secret("bench"))
    url = Secret(os.environ.pop("BENCH_DB_URL"))
    last_byte = [0.0]

    def note(done: int) -> None:
        last_byte[0] = time.perf_counter()

    started = time.perf_counter()
    backup = create_backup(
        url, s3, BUCKET, "bench", on_progress=note, part_size=part_mib * MIB
    )
    elapsed = time.perf_counter() - started
    report = {
        "seconds": elapsed,
        "streaming": last_byte[0] - started,
        "size": backup.size,
        "self_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }
    print(json.dumps(report))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=500, help="database size")
    parser.add_argument("--part-mib", type=int, default=8, help="upload part size")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each")
    parser.add_argument("--child", metavar="ENDPOINT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_backup(args.child, args.part_mib)
        return

    work = Path(tempfile.mkdtemp(prefix="shipyard-bench-"))
    work.chmod(0o755)
    try:
        run(work, args.size_mb, args.part_mib, args.repeat)
    finally:
        sandbox_s3.stop_s3(work / "s3")
        postgres.stop_cluster(work / "pg")
        shutil.rmtree(work, ignore_errors=True)


def run(work: Path, size_mb: int, part_mib: int, repeat: int) -> None:
    cluster = postgres.start_cluster(work / "pg")
    password = os.urandom(12).hex()
    url = Secret(cluster.url("bench", USER, password))
    server = sandbox_s3.start_s3(work / "s3")
    s3 = s3_client(server.endpoint_url, sandbox_s3.REGION, Secret("b"), Secret("b"))
    ensure_bucket(s3, BUCKET)
    tools = PgTools.find()

    print(f"making a database of about {size_mb} MB")
    size = make_database(cluster, url, size_mb)
    time_pg_dump(url, tools)  # warms the caches both runs read through

    dumps, backups = [], []
    for _ in range(repeat):
        dumps.append(time_pg_dump(url, tools))
        backups.append(time_backup(url, server.endpoint_url, part_mib))
    dump_seconds = min(dumps)
    backup_seconds = min(report["seconds"] for report, _ in backups)
    fastest = min((report for report, _ in backups), key=lambda r: r["seconds"])
    report = backups[-1][0]
    self_rss = max(report["self_rss_kib"] for report, _ in backups) * 1024 / MB
    tree_rss = max(rss for _, rss in backups) * 1024 / MB

    dump_rate = size / dump_seconds / MB
    backup_rate = size / backup_seconds / MB
    ratio = backup_rate / dump_rate
    print(f"database size:               {size / MB:8.0f} MB")
    print(f"dump size (custom format):   {report['size'] / MB:8.1f} MB")
    print(f"timed runs of each:          {repeat:8d}    (fastest of each below)")
    print(f"pg_dump -Fc > /dev/null:     {dump_seconds:8.2f} s  {dump_rate:7.1f} MB/s")
    print(
        f"backup to S3 (moto):         {backup_seconds:8.2f} s  {backup_rate:7.1f} MB/s"
    )
    print(
        f"  of which streaming:        {fastest['streaming']:8.2f} s  (to the last byte"
        " of pg_dump's output)"
    )
    print(
        f"  of which finishing:        {fastest['seconds'] - fastest['streaming']:8.2f}"
        " s  (last parts, completing the upload, metadata)"
    )
    print(f"ratio backup/pg_dump:        {ratio:8.2f}    (target >= {RATIO_TARGET})")
    print(
        f"backup peak RSS (python):    {self_rss:8.1f} MB (target <= {RSS_TARGET_MB})"
    )
    print(f"peak RSS of largest process: {tree_rss:8.1f} MB (backup child or pg_dump)")
    met = ratio >= RATIO_TARGET and self_rss <= RSS_TARGET_MB
    print("targets met" if met else "targets missed")


if __name__ == "__main__":
    main()
