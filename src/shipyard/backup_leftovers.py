"""Leftovers of backups killed outright (SIGKILL, a lost machine): dumps without
metadata and incomplete multipart uploads, swept by pruning once they are too
old for a running backup to own them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shipyard.backup_store import PREFIX, check_name

DEFAULT_AGE = timedelta(days=2)


@dataclass(frozen=True)
class Leftovers:
    """Objects and uploads of unfinished backups, older than the age asked for."""

    orphan_dumps: list[str]
    stale_uploads: list[tuple[str, str]]

    def __bool__(self) -> bool:
        return bool(self.orphan_dumps or self.stale_uploads)


def find_leftovers(
    s3: Any,
    bucket: str,
    env: str,
    *,
    now: datetime,
    older_than: timedelta = DEFAULT_AGE,
) -> Leftovers:
    """Dumps of `env` without metadata and its incomplete uploads, started before
    `now - older_than`."""
    prefix = f"{PREFIX}/{check_name('env', env)}/"
    cutoff = now - older_than
    keys: dict[str, datetime] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=bucket, Prefix=prefix
    ):
        for item in page.get("Contents", []):
            keys[item["Key"]] = item["LastModified"]
    orphans = [
        key
        for key, modified in sorted(keys.items())
        if key.endswith(".dump")
        and key.removesuffix(".dump") + ".json" not in keys
        and _started(key, modified) < cutoff
    ]

    stale = []
    pages = s3.get_paginator("list_multipart_uploads").paginate(
        Bucket=bucket, Prefix=prefix
    )
    for page in pages:
        for upload in page.get("Uploads", []):
            if _started(upload["Key"], upload["Initiated"]) < cutoff:
                stale.append((upload["Key"], upload["UploadId"]))
    return Leftovers(orphan_dumps=orphans, stale_uploads=stale)


def _started(key: str, stored: datetime) -> datetime:
    """When an unfinished backup began: the later of the time in its id and the
    time S3 reports, since S3-compatible stores do not all report it faithfully."""
    stamp = key.rsplit("/", 1)[-1].split("-", 1)[0]
    try:
        named = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return stored
    return max(named, stored)


def remove_leftovers(s3: Any, bucket: str, leftovers: Leftovers) -> None:
    """Delete orphan dumps and abort stale uploads."""
    for key in leftovers.orphan_dumps:
        s3.delete_object(Bucket=bucket, Key=key)
    for key, upload_id in leftovers.stale_uploads:
        s3.abort_multipart_upload(Bucket=bucket, Key=key, UploadId=upload_id)
