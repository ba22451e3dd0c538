"""Stream bytes of unknown length into one S3 object through a multipart upload,
in bounded memory whatever the size. An upload that does not complete is
aborted, so no incomplete upload is left behind in the bucket.

The length is unknown up front, so parts start small and grow as the upload
goes on (S3 takes parts of differing sizes): an ordinary dump keeps small
parts, and S3's 10,000 parts still hold more than its 5 TiB object limit.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, Self

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.providers.s3 import describe_error, sse_args

MIB = 1024 * 1024
MIN_PART_SIZE = 5 * MIB
DEFAULT_PART_SIZE = 8 * MIB
MAX_PART_SIZE = 1024 * MIB
MAX_PARTS = 10_000
GROW_EVERY = 500


def part_size(number: int, first: int = DEFAULT_PART_SIZE,
              grow_every: int = GROW_EVERY) -> int:
    """The size of part `number` (from 1): `first`, doubled every `grow_every`
    parts, never above MAX_PART_SIZE, which bounds the memory a part takes."""
    doublings = min((number - 1) // grow_every, MAX_PART_SIZE.bit_length())
    return min(first << doublings, MAX_PART_SIZE)


def capacity(first: int = DEFAULT_PART_SIZE, grow_every: int = GROW_EVERY) -> int:
    """How many bytes MAX_PARTS parts of the schedule hold."""
    return sum(part_size(n, first, grow_every) for n in range(1, MAX_PARTS + 1))


@dataclass(frozen=True)
class UploadResult:
    """What was stored: the object's key, its size and SHA-256, and its ETag."""

    key: str
    size: int
    sha256: str
    parts: int
    etag: str


class MultipartUpload:
    """One multipart upload, fed by `copy_from`, finished by `complete`.

    Used as a context manager: leaving the block without `complete` having
    succeeded (an error, an interrupt) aborts the upload.
    """

    def __init__(
        self,
        s3: Any,
        bucket: str,
        key: str,
        *,
        part_size: int = DEFAULT_PART_SIZE,
        grow_every: int = GROW_EVERY,
        sse: str | None = None,
        workers: int = 2,
        content_type: str = "application/octet-stream",
    ) -> None:
        if not MIN_PART_SIZE <= part_size <= MAX_PART_SIZE:
            raise ShipyardError(
                f"upload part size {part_size} is outside {MIN_PART_SIZE}.."
                f"{MAX_PART_SIZE} bytes"
            )
        self.s3, self.bucket, self.key = s3, bucket, key
        self.part_size, self.grow_every = part_size, grow_every
        self.size = 0
        self._sha = hashlib.sha256()
        self._create_args = {"ContentType": content_type, **sse_args(sse)}
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self._next_part = 1
        self._queue: queue.Queue[tuple[int, bytearray] | None] = queue.Queue(workers)
        self._threads = [
            threading.Thread(target=self._work, daemon=True) for _ in range(workers)
        ]
        self._failure: BaseException | None = None
        self._stopping = False
        self._finished = False

    def __enter__(self) -> Self:
        reply = self.s3.create_multipart_upload(
            Bucket=self.bucket, Key=self.key, **self._create_args
        )
        self._upload_id = str(reply["UploadId"])
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._finished:
            self.abort()

    def copy_from(
        self, reader: BinaryIO, on_bytes: Callable[[int], None] | None = None
    ) -> None:
        """Read `reader` to its end, hashing and queueing each full part.

        `on_bytes` is called with the running total after every read; an
        exception it raises stops the upload like any other failure.
        """
        while True:
            size = part_size(self._next_part, self.part_size, self.grow_every)
            buf = bytearray(size)
            view = memoryview(buf)
            filled = 0
            while filled < size:
                count = reader.readinto(view[filled:])
                if not count:
                    break
                self._sha.update(view[filled : filled + count])
                filled += count
                self.size += count
                if on_bytes:
                    on_bytes(self.size)
            view.release()
            if filled or self._next_part == 1:
                del buf[filled:]
                self._send(buf)
            if filled < size:
                return

    def complete(self) -> UploadResult:
        """Wait for the queued parts and assemble the object."""
        self._drain()
        if self._failure is not None:
            raise ShipyardError(
                f"upload of s3://{self.bucket}/{self.key} failed: "
                f"{describe_error(self._failure)}"
            )
        parts = sorted(self._parts, key=lambda p: p["PartNumber"])
        if len(parts) != self._next_part - 1:
            raise ShipyardError(
                f"upload of s3://{self.bucket}/{self.key} lost parts; "
                "nothing was stored"
            )
        reply = self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=self.key,
            UploadId=self._upload_id,
            MultipartUpload={"Parts": parts},
        )
        self._finished = True
        return UploadResult(
            key=self.key,
            size=self.size,
            sha256=self._sha.hexdigest(),
            parts=len(parts),
            etag=str(reply.get("ETag", "")),
        )

    def abort(self) -> None:
        """Stop the uploaders and abort the upload, so S3 keeps none of its parts.

        S3 may still hold a part whose upload was in flight during the first
        abort, so the upload is looked up and aborted again while it is listed.
        """
        from botocore.exceptions import BotoCoreError, ClientError

        self._stopping = True
        self._drain()
        self._finished = True
        if self._upload_id is None:
            return
        try:
            for _ in range(3):
                self.s3.abort_multipart_upload(
                    Bucket=self.bucket, Key=self.key, UploadId=self._upload_id
                )
                if not self._still_listed():
                    return
        except (BotoCoreError, ClientError) as exc:
            if "NoSuchUpload" in describe_error(exc):
                return
            console.warn(
                f"could not abort the upload of s3://{self.bucket}/{self.key} "
                f"({describe_error(exc)}); a bucket lifecycle rule should remove it"
            )

    def _send(self, body: bytearray) -> None:
        if self._failure is not None:
            raise ShipyardError(
                f"upload of s3://{self.bucket}/{self.key} failed: "
                f"{describe_error(self._failure)}"
            )
        if self._next_part > MAX_PARTS:
            held = capacity(self.part_size, self.grow_every)
            raise ShipyardError(
                f"s3://{self.bucket}/{self.key} outgrew S3's {MAX_PARTS} parts "
                f"({held} bytes); nothing was stored"
            )
        self._queue.put((self._next_part, body))
        self._next_part += 1

    def _drain(self) -> None:
        for thread in self._threads:
            if thread.is_alive():
                self._queue.put(None)
        for thread in self._threads:
            if thread.is_alive():
                thread.join()

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            if self._stopping or self._failure is not None:
                continue
            number, body = item
            try:
                reply = self.s3.upload_part(
                    Bucket=self.bucket,
                    Key=self.key,
                    UploadId=self._upload_id,
                    PartNumber=number,
                    Body=body,
                )
                self._parts.append({"PartNumber": number, "ETag": reply["ETag"]})
            # Any failure, whatever its type, must reach the writer.
            except Exception as exc:  # noqa: BLE001
                self._failure = exc

    def _still_listed(self) -> bool:
        reply = self.s3.list_multipart_uploads(Bucket=self.bucket, Prefix=self.key)
        return any(
            u.get("UploadId") == self._upload_id for u in reply.get("Uploads", [])
        )
