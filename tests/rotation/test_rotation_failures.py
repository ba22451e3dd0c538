"""A rotation that fails, or is killed, at any step leaves one consistent working value.

The database password is the secret with the most targets: the role itself,
GitHub, Netlify, and (through DATABASE_URL) Koyeb and the running backend.
The set step is made to fail for real (the Koyeb stand-in answers 429 until
the client gives up); the others through SHIPYARD_FAIL_AT, since nothing
real fails on cue there. `finish:DATABASE_URL` fails the finish after the
URL's new value became current but before the password's did.

Kills are real SIGKILLs of the `inv` process: during the set step by this
test, once GitHub holds the pending value; at the other points by the
process itself through SHIPYARD_KILL_AT, which makes it die exactly there.
Finish moves the URL to current before the password, so `finish:DATABASE_URL`
is the kill between members: the URL new, the password still pending.
"""

from __future__ import annotations

import os
import signal

import httpx
import pytest

from tests.rotation.world import World, assert_db_consistent, wait_for

pytestmark = pytest.mark.integration
ROTATE = ("rotate", "--env=sandbox", "--secret=DATABASE_PASSWORD")


@pytest.mark.parametrize(
    "step", ["create_pending", "test_pending", "finish", "finish:DATABASE_URL"])
def test_failure_at_a_step_puts_every_target_back_on_current(
    world: World, step: str
) -> None:
    before = assert_db_consistent(world)

    run = world.inv(*ROTATE, env={"SHIPYARD_FAIL_AT": step})

    assert run.returncode != 0
    assert f"injected failure at {step}" in run.stdout + run.stderr
    assert assert_db_consistent(world) == before


def test_koyeb_refusing_the_new_value_puts_every_target_back(world: World) -> None:
    before = assert_db_consistent(world)
    # Six 429s outlast the client's five retries on the first Koyeb request,
    # which the set step makes after GitHub, Netlify and the role took the value.
    armed = httpx.post(world.project.env["KOYEB_API_URL"].removesuffix("/v1")
                       + "/_sandbox/faults",
                       json={"status": 429, "count": 6, "retry_after": 0}, timeout=10)
    assert armed.status_code == 200

    run = world.inv(*ROTATE)

    assert run.returncode != 0
    assert "set_pending" in run.stdout + run.stderr
    assert "DATABASE_PASSWORD: pending value set on github" in run.stdout
    assert assert_db_consistent(world) == before


def _kill_during_set(world: World) -> None:
    process = world.start_inv(*ROTATE)
    wait_for(lambda: ("set_pending", "started") in world.journal_events(), 60,
             "the set step to start")
    wait_for(lambda: world.value("DATABASE_PASSWORD", "pending") is not None
             and world.github_secret("DATABASE_PASSWORD")
             == world.value("DATABASE_PASSWORD", "pending"), 60,
             "GitHub to hold the pending value")
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def test_killed_rotation_is_undone_by_abort(world: World) -> None:
    before = assert_db_consistent(world)
    _kill_during_set(world)

    refused = world.inv(*ROTATE)
    assert refused.returncode != 0 and "cut off" in refused.stderr

    aborted = world.inv("rotate", "--env=sandbox", "--abort")

    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    assert assert_db_consistent(world) == before


def test_killed_rotation_is_finished_by_resume(world: World) -> None:
    before = assert_db_consistent(world)
    _kill_during_set(world)
    pending = world.value("DATABASE_URL", "pending")

    resumed = world.inv("rotate", "--env=sandbox", "--resume")

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = assert_db_consistent(world)
    assert after == pending and after != before
    assert world.value("DATABASE_URL", "previous") == before


KILL_POINTS = ["create_pending:DATABASE_URL", "test_pending", "finish:DATABASE_URL"]


def _kill_at(world: World, point: str, before: str) -> None:
    """Run the rotation until it SIGKILLs itself at `point`; check what it left."""
    killed = world.inv(*ROTATE, env={"SHIPYARD_KILL_AT": point})
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    pending_url = world.value("DATABASE_URL", "pending")
    pending_password = world.value("DATABASE_PASSWORD", "pending")
    if point.startswith("create_pending"):
        assert pending_url is not None and pending_password is None
    elif point == "test_pending":
        assert pending_password is not None
        assert world.github_secret("DATABASE_PASSWORD") == pending_password
        assert world.koyeb_secret("database-url") == pending_url
    else:
        assert pending_url is None and pending_password is not None
        assert world.value("DATABASE_URL") != before
    current = world.value("DATABASE_URL")
    assert current and world.logs_in(current), "the current value must keep working"
    assert httpx.get(world.backend_url() + "/health/", timeout=10).status_code == 200


@pytest.mark.parametrize("point", KILL_POINTS)
def test_rotation_killed_at_a_step_is_undone_by_abort(world: World, point: str) -> None:
    before = assert_db_consistent(world)
    _kill_at(world, point, before)

    aborted = world.inv("rotate", "--env=sandbox", "--abort")

    assert aborted.returncode == 0, aborted.stdout + aborted.stderr
    assert assert_db_consistent(world) == before
    assert world.value("DATABASE_URL", "pending") is None


@pytest.mark.parametrize("point", KILL_POINTS)
def test_rotation_killed_at_a_step_is_finished_by_resume(
    world: World, point: str
) -> None:
    before = assert_db_consistent(world)
    _kill_at(world, point, before)
    delivered = world.value("DATABASE_PASSWORD", "pending")

    resumed = world.inv("rotate", "--env=sandbox", "--resume")

    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    after = assert_db_consistent(world)
    assert after != before and world.value("DATABASE_URL", "previous") == before
    if delivered is not None:
        assert world.value("DATABASE_PASSWORD") == delivered


def _delivered(world: World, name: str) -> dict[str, str | None]:
    """What each target of the generated or external secret `name` holds now."""
    held = {"github": world.github_secret(name),
            "netlify": world.netlify_env().get(name)}
    if name == "WEBHOOK_SIGNING_KEY":
        held["koyeb"] = world.koyeb_secret("webhook-signing-key")
    else:
        held["github:sandbox"] = world.github_secret(name, "sandbox")
    return held


@pytest.mark.parametrize(("name", "step"), [
    ("WEBHOOK_SIGNING_KEY", "test_pending"),
    ("WEBHOOK_SIGNING_KEY", "finish"),
    ("PAYMENT_API_KEY", "finish"),
])
def test_failed_rotation_puts_github_netlify_and_koyeb_back_on_current(
    world: World, name: str, step: str
) -> None:
    current = world.value(name)
    assert current and set(_delivered(world, name).values()) == {current}
    brought = "pay_rotation_that_fails_0007\n" if name == "PAYMENT_API_KEY" else None

    run = world.inv("rotate", "--env=sandbox", f"--secret={name}",
                    *(["--from-stdin"] if brought else []), stdin=brought,
                    env={"SHIPYARD_FAIL_AT": step})

    assert run.returncode != 0
    assert f"injected failure at {step}" in run.stdout + run.stderr
    for target in _delivered(world, name):
        assert f"{name}: pending value set on {target}" in run.stdout, target
    assert world.value(name) == current
    assert world.value(name, "pending") is None
    assert _delivered(world, name) == dict.fromkeys(_delivered(world, name), current)
