"""Where an environment's lock, ledger and backups live.

With an S3 bucket configured (`S3_BUCKET`), the lock and the release ledger
are objects in the environment's bucket, so a team and CI share one lock;
without one they are files under `.shipyard/` on this machine.
"""

from __future__ import annotations

from typing import Any

from shipyard.config import Config
from shipyard.errors import ShipyardError


def s3_for(config: Config, store: Any = None) -> Any:
    """A boto3 S3 client for the environment's bucket (credentials from the store)."""
    from shipyard.providers.s3 import s3_client
    from shipyard.secrets.store import open_store

    if not config["S3_BUCKET"]:
        raise ShipyardError(
            f"no S3 bucket for {config.env}: set S3_BUCKET in env/{config.env}.env"
        )
    store = store or open_store(config["SECRET_STORE"], config.project, config.env)
    return s3_client(
        config["S3_ENDPOINT_URL"] or None,
        config["S3_REGION"],
        store.get("AWS_ACCESS_KEY_ID"),
        store.get("AWS_SECRET_ACCESS_KEY"),
    )


def prefix_for(config: Config) -> str:
    """Key prefix of this project's shared state inside the bucket."""
    return f"shipyard/{config.project}"


def lock_store(config: Config, store: Any = None) -> Any:
    """The environment's lock store: S3 when a bucket is set, else local files."""
    from shipyard.lock import FileLockStore

    if not config["S3_BUCKET"]:
        return FileLockStore.for_project(config.root)
    from shipyard.audit import AuditLog
    from shipyard.s3_state import S3LockStore

    return S3LockStore(s3_for(config, store), config["S3_BUCKET"], prefix_for(config),
                       audit=AuditLog.for_project(config.root))


def ledger(config: Config, store: Any = None) -> Any:
    """The release ledger: S3 when a bucket is set, else local files."""
    from shipyard.ledger import FileLedger

    if not config["S3_BUCKET"]:
        return FileLedger.for_project(config.root)
    from shipyard.s3_state import S3Ledger

    return S3Ledger(s3_for(config, store), config["S3_BUCKET"], prefix_for(config))
