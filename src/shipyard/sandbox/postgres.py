"""Throwaway PostgreSQL clusters on a loopback port, for the sandbox and tests.

A cluster lives in one data folder: initdb makes it, pg_ctl starts and stops
it. Logins over TCP need a password; the superuser only connects through the
cluster's own socket. As root, the server runs as the `postgres` user.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.sandbox import processes
from shipyard.sandbox.postgres_roles import role_and_database_sql

HOST = "127.0.0.1"
SUPERUSER = "postgres"
SERVICE_USER = "postgres"
CONFIG = "shipyard.conf"
LOG = "postgres.log"
TIMEOUT = 60
# Unix socket paths longer than this do not fit in sockaddr_un.
SOCKET_PATH_LIMIT = 100


@dataclass(frozen=True)
class Cluster:
    """A running cluster: where its data is and where it listens."""

    data_dir: Path
    port: int
    socket_dir: Path

    @property
    def host(self) -> str:
        return HOST

    def url(self, database: str, user: str, password: str | Secret) -> str:
        """A postgresql:// URL for `user` on `database`, creating both if missing.

        The role gets `password` (a SCRAM verifier is sent, never the value)
        and owns the database. The URL holds the password: treat it as a
        secret.
        """
        return self.ensure_database(database, user, password)

    def ensure_database(self, database: str, user: str, password: str | Secret) -> str:
        """The same as `url`, named for callers that read it as an action."""
        secret = password if isinstance(password, Secret) else Secret(password)
        self.sql(role_and_database_sql(database, user, secret.reveal()))
        return (
            f"postgresql://{quote(user, safe='')}:{quote(secret.reveal(), safe='')}"
            f"@{HOST}:{self.port}/{quote(database, safe='')}"
        )

    def sql(self, script: str, database: str = "postgres") -> str:
        """Run `script` as the superuser through psql's stdin; return its output."""
        argv = [
            str(_binary("psql")), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.socket_dir), "-p", str(self.port),
            "-U", SUPERUSER, "-d", database, "-f", "-",
        ]  # fmt: skip
        finished = _run(argv, stdin=script)
        if finished.returncode != 0:
            raise ShipyardError(
                f"SQL on the cluster in {self.data_dir} failed: "
                f"{_last_line(finished.stderr)}"
            )
        return finished.stdout


@dataclass(frozen=True)
class ClusterStatus:
    """What `inv sandbox.status` shows for a cluster."""

    running: bool
    pid: int | None
    port: int | None
    detail: str


def start_cluster(data_dir: Path, port: int | None = None) -> Cluster:
    """Start the cluster in `data_dir` (making it first if needed) and return it.

    An already running cluster is returned as it is. Without `port`, the
    previous run's port is reused when free, else any free loopback port.
    """
    data_dir = data_dir.resolve()
    running = running_cluster(data_dir)
    if running is not None:
        if port is not None and port != running.port:
            raise ShipyardError(
                f"the cluster in {data_dir} already runs on port {running.port}, "
                f"not {port}: stop it first"
            )
        return running

    if not (data_dir / "PG_VERSION").is_file():
        _initdb(data_dir)
    port = port or _configured_port(data_dir) or processes.free_port()
    if processes.port_open(port):
        raise ShipyardError(
            f"port {port} on {HOST} is taken: stop what listens there or choose "
            "another database port"
        )
    socket_dir = _socket_dir(data_dir)
    _write_config(data_dir, port, socket_dir)

    log = data_dir / LOG
    argv = [
        str(_binary("pg_ctl")), "start", "-D", str(data_dir), "-l", str(log),
        "-w", "-t", str(TIMEOUT), "-s",
    ]  # fmt: skip
    finished = _run(argv)
    if finished.returncode != 0:
        reason = _last_line(log.read_text(errors="replace") if log.is_file() else "")
        raise ShipyardError(
            f"PostgreSQL in {data_dir} did not start ({reason}): see {log}"
        )
    return Cluster(data_dir=data_dir, port=port, socket_dir=socket_dir)


def stop_cluster(data_dir: Path) -> bool:
    """Stop the cluster in `data_dir` quickly; False when it was not running."""
    data_dir = data_dir.resolve()
    if running_cluster(data_dir) is None:
        return False
    argv = [
        str(_binary("pg_ctl")), "stop", "-D", str(data_dir), "-m", "fast",
        "-w", "-t", str(TIMEOUT), "-s",
    ]  # fmt: skip
    finished = _run(argv)
    if finished.returncode != 0:
        raise ShipyardError(
            f"PostgreSQL in {data_dir} did not stop: {_last_line(finished.stderr)}"
        )
    return True


def cluster_status(data_dir: Path) -> ClusterStatus:
    """Whether the cluster in `data_dir` runs, with its server's pid and port."""
    data_dir = data_dir.resolve()
    if not (data_dir / "PG_VERSION").is_file():
        return ClusterStatus(False, None, None, f"no cluster in {data_dir}")
    port = _configured_port(data_dir)
    cluster = running_cluster(data_dir)
    if cluster is None:
        return ClusterStatus(False, None, port, "stopped")
    pid = int((data_dir / "postmaster.pid").read_text().split()[0])
    return ClusterStatus(True, pid, cluster.port, f"{HOST}:{cluster.port}")


def running_cluster(data_dir: Path) -> Cluster | None:
    """The running cluster in `data_dir`, or None when it is not running."""
    data_dir = data_dir.resolve()
    if not (data_dir / "PG_VERSION").is_file():
        return None
    status = _run([str(_binary("pg_ctl")), "status", "-D", str(data_dir)])
    if status.returncode != 0:
        return None
    lines = (data_dir / "postmaster.pid").read_text().splitlines()
    return Cluster(data_dir=data_dir, port=int(lines[3]), socket_dir=Path(lines[4]))


def _initdb(data_dir: Path) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    _give_to_service_user(data_dir)
    data_dir.chmod(0o700)
    argv = [
        str(_binary("initdb")), "-D", str(data_dir), "-U", SUPERUSER,
        "--auth-local=trust", "--auth-host=scram-sha-256",
        "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions",
    ]  # fmt: skip
    finished = _run(argv)
    if finished.returncode != 0:
        raise ShipyardError(
            f"initdb in {data_dir} failed ({_last_line(finished.stderr)}): the "
            f"folder and its parents must be writable and reachable by {_run_as()}"
        )
    with (data_dir / "postgresql.conf").open("a") as conf:
        conf.write(f"\ninclude_if_exists = '{CONFIG}'\n")


def _write_config(data_dir: Path, port: int, socket_dir: Path) -> None:
    path = data_dir / CONFIG
    path.write_text(
        "# Written by Shipyard at each start.\n"
        f"listen_addresses = '{HOST}'\n"
        f"port = {port}\n"
        f"unix_socket_directories = '{socket_dir}'\n"
    )
    _give_to_service_user(path)


def _configured_port(data_dir: Path) -> int | None:
    try:
        text = (data_dir / CONFIG).read_text()
    except OSError:
        return None
    for line in text.splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "port" and value.strip().isdigit():
            return int(value.strip())
    return None


def _socket_dir(data_dir: Path) -> Path:
    """The data folder itself when its path is short enough for a socket."""
    if len(str(data_dir)) + len("/.s.PGSQL.65535") <= SOCKET_PATH_LIMIT:
        return data_dir
    digest = hashlib.sha256(str(data_dir).encode()).hexdigest()[:12]
    folder = Path(tempfile.gettempdir()) / f"shipyard-pg-{digest}"
    folder.mkdir(mode=0o700, exist_ok=True)
    _give_to_service_user(folder)
    return folder


def _binary(name: str) -> Path:
    """`name` from the PostgreSQL server's bin folder (not Debian's wrappers)."""
    found = shutil.which("pg_ctl")
    folders = [Path(found).resolve().parent] if found else []
    folders += sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda folder: (
            int(folder.parent.name) if folder.parent.name.isdigit() else 0
        ),
        reverse=True,
    )
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    raise ShipyardError(
        f"PostgreSQL's {name} is not installed: apt-get install postgresql"
    )


def _run_as() -> str:
    return SERVICE_USER if os.geteuid() == 0 else getpass.getuser()


def _run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess:
    """Run a PostgreSQL program, as the service user when Shipyard runs as root."""
    if os.geteuid() == 0:
        argv = ["runuser", "-u", SERVICE_USER, "--", *argv]
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        cwd="/",
        timeout=TIMEOUT * 2,
        check=False,
    )


def _give_to_service_user(path: Path) -> None:
    if os.geteuid() != 0:
        return
    try:
        account = pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise ShipyardError(
            f"PostgreSQL does not run as root and there is no {SERVICE_USER} user: "
            "install the postgresql package or create that user"
        ) from None
    os.chown(path, account.pw_uid, account.pw_gid)


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else "no output"
