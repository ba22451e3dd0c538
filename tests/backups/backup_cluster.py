"""A throwaway PostgreSQL cluster for the backup tests and benchmark, made with the
sandbox's own `start_cluster`, and a login that may create databases (verify
restores into a scratch database of its own)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from shipyard.redaction import Secret
from shipyard.sandbox import postgres

USER = "shipyard_backup"


@dataclass
class Cluster:
    """A running cluster and the password of its backup login."""

    root: Path
    server: postgres.Cluster
    password: str = field(repr=False)

    @property
    def port(self) -> int:
        return self.server.port

    def url(self, dbname: str = "postgres") -> Secret:
        return Secret(
            f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{dbname}"
        )

    def stop(self) -> None:
        postgres.stop_cluster(self.root / "data")
        shutil.rmtree(self.root, ignore_errors=True)


def start_cluster() -> Cluster:
    """A new cluster in a temporary folder the postgres user can reach."""
    root = Path(tempfile.mkdtemp(prefix="shipyard-backups-"))
    root.chmod(0o755)
    server = postgres.start_cluster(root / "data")
    password = "pw-" + os.urandom(12).hex()
    server.url("postgres", USER, password)
    server.sql(f"ALTER ROLE {USER} CREATEDB;")
    return Cluster(root=root, server=server, password=password)
