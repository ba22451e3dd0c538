"""How long the shared HTTP layer waits before retrying (pure)."""

from __future__ import annotations

import time
from email.utils import formatdate

import httpx
import pytest

from shipyard.providers.http import server_wait


def answer(headers: dict[str, str]) -> httpx.Response:
    return httpx.Response(429, headers=headers)


def test_retry_after_in_seconds_is_honoured() -> None:
    assert server_wait(answer({"Retry-After": "3"})) == 3.0


def test_retry_after_as_a_date_is_honoured() -> None:
    wait = server_wait(
        answer({"Retry-After": formatdate(time.time() + 30, usegmt=True)})
    )
    assert wait == pytest.approx(30, abs=2)


def test_rate_limit_reset_as_seconds_or_unix_time_is_honoured() -> None:
    assert server_wait(answer({"X-RateLimit-Reset": "7"})) == 7.0
    epoch = str(int(time.time()) + 20)
    assert server_wait(answer({"X-RateLimit-Reset": epoch})) == pytest.approx(20, abs=2)


def test_no_hint_means_backoff_decides() -> None:
    assert server_wait(answer({})) is None
    assert server_wait(answer({"Retry-After": "soon"})) is None
