"""Upload parts grow as a dump goes on: ordinary dumps keep small parts, S3's
10,000 parts hold more than its 5 TiB object limit, and no part outgrows the
memory bound."""

from __future__ import annotations

import hashlib
import io
import os
from typing import Any

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.s3_upload import (
    DEFAULT_PART_SIZE,
    MAX_PART_SIZE,
    MAX_PARTS,
    MIN_PART_SIZE,
    MultipartUpload,
    capacity,
    part_size,
)

MIB = 1024 * 1024
GIB = 1024 * MIB
TIB = 1024 * GIB
S3_MAX_OBJECT = 5 * TIB
S3_MAX_PART = 5 * GIB


def schedule(first: int = DEFAULT_PART_SIZE) -> list[int]:
    return [part_size(n, first) for n in range(1, MAX_PARTS + 1)]


def test_ten_thousand_parts_hold_far_more_than_s3s_largest_object() -> None:
    assert capacity() == sum(schedule())
    assert capacity() > 1.3 * S3_MAX_OBJECT
    assert capacity(MIN_PART_SIZE) > S3_MAX_OBJECT


@pytest.mark.parametrize("first", [MIN_PART_SIZE, DEFAULT_PART_SIZE, 64 * MIB])
def test_every_part_stays_within_s3s_limits_and_the_memory_bound(first: int) -> None:
    sizes = schedule(first)

    assert min(sizes) == first >= MIN_PART_SIZE
    assert max(sizes) == MAX_PART_SIZE <= S3_MAX_PART
    assert sizes == sorted(sizes)


def test_an_ordinary_dump_keeps_the_first_part_size() -> None:
    sizes = schedule()
    ordinary = 3 * GIB

    assert sum(sizes[: ordinary // DEFAULT_PART_SIZE]) == ordinary
    assert set(sizes[: ordinary // DEFAULT_PART_SIZE]) == {DEFAULT_PART_SIZE}


def test_parts_double_in_steps_up_to_the_bound() -> None:
    sizes = schedule()
    steps = sorted(set(sizes))

    assert steps == [DEFAULT_PART_SIZE << k for k in range(len(steps))]
    assert steps[-1] == MAX_PART_SIZE


def test_a_dump_past_what_the_old_fixed_parts_held_still_fits() -> None:
    fixed_limit = MAX_PARTS * DEFAULT_PART_SIZE
    total, parts = 0, 0
    while total <= 2 * fixed_limit:
        parts += 1
        total += part_size(parts)

    assert parts < MAX_PARTS / 2


def test_a_part_size_outside_s3s_limits_is_refused() -> None:
    for size in (MIN_PART_SIZE - 1, MAX_PART_SIZE + 1):
        with pytest.raises(ShipyardError, match="upload part size"):
            MultipartUpload(None, "bucket", "key", part_size=size)


class RecordingS3:
    """The real moto client, noting the size of each part it uploads."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.parts: dict[int, int] = {}

    def upload_part(self, **kwargs: Any) -> Any:
        self.parts[kwargs["PartNumber"]] = len(kwargs["Body"])
        return self._s3.upload_part(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


@pytest.mark.integration
def test_growing_parts_assemble_into_the_exact_object_on_s3(
    s3: Any, bucket: str
) -> None:
    data = os.urandom(40 * MIB)
    recorder = RecordingS3(s3)

    with MultipartUpload(
        recorder, bucket, "grown.bin", part_size=5 * MIB, grow_every=1
    ) as upload:
        upload.copy_from(io.BytesIO(data))
        stored = upload.complete()

    assert recorder.parts == {1: 5 * MIB, 2: 10 * MIB, 3: 20 * MIB, 4: 5 * MIB}
    assert (stored.parts, stored.size) == (4, len(data))
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    body = s3.get_object(Bucket=bucket, Key="grown.bin")["Body"].read()
    assert body == data
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
