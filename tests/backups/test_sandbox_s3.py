"""The sandbox S3 server starts once per state folder, answers S3, and stops."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from shipyard.providers.s3 import ensure_bucket, s3_client
from shipyard.redaction import Secret
from shipyard.sandbox import s3 as sandbox_s3

pytestmark = pytest.mark.integration


def test_sandbox_s3_is_reused_while_running_and_gone_after_stop(tmp_path: Path) -> None:
    server = sandbox_s3.start_s3(tmp_path)
    try:
        again = sandbox_s3.start_s3(tmp_path)
        client = s3_client(
            server.endpoint_url,
            "us-east-1",
            Secret(sandbox_s3.ACCESS_KEY),
            Secret(sandbox_s3.SECRET_KEY),
        )
        ensure_bucket(client, "sandbox-backups")
        ensure_bucket(client, "sandbox-backups")

        assert again == server
        assert (tmp_path / "s3.pid").read_text().strip() == str(server.pid)
        assert (tmp_path / "s3.port").read_text().strip() == str(server.port)
        assert [b["Name"] for b in client.list_buckets()["Buckets"]] == [
            "sandbox-backups"
        ]
    finally:
        sandbox_s3.stop_s3(tmp_path)

    assert not (tmp_path / "s3.pid").exists() and not (tmp_path / "s3.port").exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.endpoint_url}/", timeout=2)
