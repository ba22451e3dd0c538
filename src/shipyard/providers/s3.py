"""S3 through boto3: the client, the sandbox bucket, and small object helpers.

Backups, the shared lock and the release ledger all keep their objects here;
the helpers turn boto3's error codes into plain answers.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

SSE_MODES = ("AES256", "aws:kms", "aws:kms:dsse")
_MISSING = {"404", "NoSuchKey", "NotFound", "NoSuchBucket"}
_CONFLICT = {"412", "PreconditionFailed", "409", "ConditionalRequestConflict"}


def s3_client(
    endpoint_url: str | None,
    region: str,
    access_key: Secret | None,
    secret_key: Secret | None,
) -> Any:
    """A boto3 S3 client; `endpoint_url` points it at an S3-compatible server
    (the sandbox's moto), which is then addressed path-style.

    Without keys, boto3's own chain (environment, profile, instance role) applies.
    """
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 5, "mode": "standard"},
        s3={"addressing_style": "path"} if endpoint_url else {},
        connect_timeout=10,
        read_timeout=120,
    )
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        region_name=region,
        aws_access_key_id=access_key.reveal() if access_key else None,
        aws_secret_access_key=secret_key.reveal() if secret_key else None,
        config=config,
    )


def ensure_bucket(s3: Any, bucket: str) -> None:
    """Create `bucket` if it does not exist; for the sandbox, where nobody else
    makes it. Real buckets are the team's to create and configure."""
    try:
        s3.head_bucket(Bucket=bucket)
        return
    except Exception as exc:
        if not is_missing(exc):
            raise
    region = s3.meta.region_name
    if region and region != "us-east-1":
        s3.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
        )
    else:
        s3.create_bucket(Bucket=bucket)


def error_code(exc: BaseException) -> str:
    """The S3 error code of a boto3 ClientError, or "" for anything else."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return ""
    return str(response.get("Error", {}).get("Code", ""))


def is_missing(exc: BaseException) -> bool:
    """True when S3 answered that the object or bucket does not exist."""
    return error_code(exc) in _MISSING


def is_precondition_failed(exc: BaseException) -> bool:
    """True when a conditional write or delete lost against another writer."""
    return error_code(exc) in _CONFLICT


def sse_args(sse: str | None) -> dict[str, str]:
    """PutObject / CreateMultipartUpload arguments for server-side encryption."""
    if sse is None:
        return {}
    if sse not in SSE_MODES:
        raise ShipyardError(
            f"unknown server-side encryption {sse!r}; use one of {', '.join(SSE_MODES)}"
        )
    return {"ServerSideEncryption": sse}


def get_json(s3: Any, bucket: str, key: str) -> tuple[dict[str, Any], str] | None:
    """An object parsed as JSON with its ETag, or None when it does not exist."""
    try:
        reply = s3.get_object(Bucket=bucket, Key=key)
    except Exception as exc:
        if is_missing(exc):
            return None
        raise
    return json.loads(reply["Body"].read()), str(reply["ETag"])


def put_json(
    s3: Any,
    bucket: str,
    key: str,
    data: dict[str, Any],
    *,
    sse: str | None = None,
    if_none_match: bool = False,
    if_match: str | None = None,
) -> str:
    """Write `data` as a JSON object and return its ETag.

    `if_none_match` creates only when the key is free; `if_match` replaces
    only the version with that ETag. A lost condition raises the ClientError,
    which `is_precondition_failed` recognises.
    """
    extra: dict[str, str] = sse_args(sse)
    if if_none_match:
        extra["IfNoneMatch"] = "*"
    if if_match:
        extra["IfMatch"] = if_match
    body = json.dumps(data, indent=2, sort_keys=True).encode()
    reply = s3.put_object(
        Bucket=bucket, Key=key, Body=body, ContentType="application/json", **extra
    )
    return str(reply.get("ETag", ""))


def delete_key(s3: Any, bucket: str, key: str, *, if_match: str | None = None) -> None:
    """Delete one object; with `if_match`, only the version with that ETag."""
    extra = {"IfMatch": if_match} if if_match else {}
    s3.delete_object(Bucket=bucket, Key=key, **extra)


def list_keys(s3: Any, bucket: str, prefix: str) -> Iterator[str]:
    """Every key under `prefix`, across pages."""
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    for page in pages:
        for item in page.get("Contents", []):
            yield str(item["Key"])


def describe_error(exc: ClientError | BaseException) -> str:
    """A short reason for an S3 failure, for one-line messages."""
    code = error_code(exc)
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "")
        return f"{code}: {message}" if message else code
    return f"{type(exc).__name__}: {exc}"
