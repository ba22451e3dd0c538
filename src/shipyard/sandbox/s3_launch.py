"""The sandbox's S3 (moto server) as `inv sandbox.up` starts it: server, bucket
and the throwaway access keys the store hands to boto3."""

from __future__ import annotations

from pathlib import Path

from shipyard import console
from shipyard.config import Config
from shipyard.redaction import Secret
from shipyard.secrets.store import SandboxStore

FOLDER = "s3"


def start(config: Config, folder: Path, store: SandboxStore) -> None:
    """Start moto on SANDBOX_S3_PORT and make sure the environment's bucket exists."""
    from shipyard.providers.s3 import ensure_bucket
    from shipyard.sandbox import s3 as sandbox_s3
    from shipyard.shared_state import s3_for

    if not config["S3_BUCKET"]:
        return
    server = sandbox_s3.start_s3(folder / FOLDER, port=config["SANDBOX_S3_PORT"])
    store.put("AWS_ACCESS_KEY_ID", Secret(sandbox_s3.ACCESS_KEY, "AWS_ACCESS_KEY_ID"))
    store.put("AWS_SECRET_ACCESS_KEY",
              Secret(sandbox_s3.SECRET_KEY, "AWS_SECRET_ACCESS_KEY"))
    ensure_bucket(s3_for(config, store), config["S3_BUCKET"])
    console.done(f"S3 (moto) on {server.endpoint_url} (pid {server.pid}), bucket "
                 f"{config['S3_BUCKET']}")


def stop(folder: Path) -> bool:
    """Stop the sandbox's S3; its contents (in memory) are gone with it."""
    from shipyard.sandbox import s3 as sandbox_s3
    from shipyard.sandbox.processes import pid_of

    was_running = pid_of("s3", folder / FOLDER) is not None
    sandbox_s3.stop_s3(folder / FOLDER)
    return was_running


def state(folder: Path) -> tuple[bool, int | None]:
    """(running, pid) of the sandbox's S3 server."""
    from shipyard.sandbox import s3 as sandbox_s3

    server = sandbox_s3.running_s3(folder / FOLDER)
    return (server is not None, server.pid if server else None)
