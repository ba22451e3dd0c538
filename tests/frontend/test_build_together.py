"""The release builds the backend image and the frontend at the same time: each
build below waits for the other to have started, which only works when both run at
once."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from shipyard.errors import ShipyardError
from shipyard.frontend_steps import build_together


class Job:
    """A build that records when it ran and meets the other build half-way."""

    def __init__(self, barrier: threading.Barrier, result: Any = None,
                 error: Exception | None = None) -> None:
        self.barrier, self.result, self.error = barrier, result, error
        self.started = self.ended = 0.0

    def __call__(self) -> Any:
        self.started = time.monotonic()
        self.barrier.wait()
        time.sleep(0.2)
        self.ended = time.monotonic()
        if self.error is not None:
            raise self.error
        return self.result


def jobs(**errors: Exception) -> tuple[Job, Job]:
    barrier = threading.Barrier(2, timeout=5)
    return (Job(barrier, {"image": "demo@sha256:ab"}, errors.get("backend")),
            Job(barrier, "site", errors.get("frontend")))


def test_both_builds_run_at_the_same_time_and_both_results_come_back() -> None:
    backend, frontend = jobs()

    image, site = build_together(backend, frontend)

    assert image == {"image": "demo@sha256:ab"} and site == "site"
    assert backend.started < frontend.ended and frontend.started < backend.ended


@pytest.mark.parametrize("failing", ["backend", "frontend"])
def test_one_failed_build_fails_the_step_after_the_other_ran_to_its_end(
    failing: str,
) -> None:
    backend, frontend = jobs(**{failing: ShipyardError(f"{failing} broke")})

    with pytest.raises(ShipyardError, match=f"^{failing} broke$"):
        build_together(backend, frontend)

    assert backend.ended and frontend.ended


def test_both_builds_failing_is_one_error_naming_both() -> None:
    backend, frontend = jobs(backend=ShipyardError("RUN exit 3 failed"),
                             frontend=ShipyardError("npm run build failed"))

    with pytest.raises(ShipyardError) as raised:
        build_together(backend, frontend)

    assert str(raised.value) == (
        "RUN exit 3 failed; the frontend failed too: npm run build failed")
