"""Each kind of secret rotates end to end: Django key, database password, external."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from tests.rotation.world import World, assert_db_consistent

pytestmark = pytest.mark.integration


def test_django_key_rotation_keeps_values_signed_before_it_verifiable(
    world: World,
) -> None:
    api = world.backend_url() + "/api/"
    token = httpx.get(api + "sign/", params={"value": "cart-42"}, timeout=10).json()
    old_key = world.value("DJANGO_SECRET_KEY")

    run = world.inv("rotate", "--env=sandbox", "--secret=DJANGO_SECRET_KEY")

    assert run.returncode == 0, run.stdout + run.stderr
    new_key = world.value("DJANGO_SECRET_KEY")
    assert new_key != old_key and len(new_key or "") == 50
    assert world.value("DJANGO_SECRET_KEY", "previous") == old_key
    assert world.value("DJANGO_SECRET_KEY_FALLBACKS") == old_key
    assert world.koyeb_secret("django-secret-key") == new_key
    assert world.koyeb_secret("django-secret-key-fallbacks") == old_key
    verified = httpx.get(api + "verify/", params=token, timeout=10).json()
    assert verified == {"valid": True, "value": "cart-42"}
    forged = httpx.get(api + "verify/", params={"token": token["token"] + "x"},
                       timeout=10).json()
    assert forged == {"valid": False}

    signed_after = httpx.get(api + "sign/", params={"value": "cart-43"},
                             timeout=10).json()["token"]
    assert _signed_by(signed_after, new_key) == "cart-43", "backend signs with the new key"
    assert _signed_by(signed_after, old_key) is None
    assert _signed_by(token["token"], old_key) == "cart-42"


def _signed_by(token: str, key: str | None) -> str | None:
    """The value of a token of the backend's sign view if `key` alone signed it."""
    from django.core import signing

    try:
        return signing.loads(token, key=key, fallback_keys=[],
                             salt="shipyard_demo.rotation-check")
    except signing.BadSignature:
        return None


def test_alternating_database_rotation_never_refuses_the_running_backend(
    world: World,
) -> None:
    before = assert_db_consistent(world)
    health = world.backend_url() + "/health/"
    answers: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            try:
                answers.append(httpx.get(health, timeout=5).status_code)
            except httpx.HTTPError as problem:
                answers.append(-1)
                del problem
            time.sleep(0.1)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        run = world.inv("rotate", "--env=sandbox", "--secret=DATABASE_PASSWORD")
    finally:
        stop.set()
        poller.join()

    assert run.returncode == 0, run.stdout + run.stderr
    assert answers and set(answers) == {200}, sorted(set(answers))
    after = assert_db_consistent(world)
    old_user = before.split("://")[1].split(":")[0]
    new_user = after.split("://")[1].split(":")[0]
    assert {old_user, new_user} == {"shipyard_demo_a", "shipyard_demo_b"}
    assert world.logs_in(before), "the previous role and password must keep working"


def test_external_secret_rotates_to_the_value_brought_on_stdin(world: World) -> None:
    old = world.value("PAYMENT_API_KEY")
    brought = "pay_live_rotated_by_a_person_0042"

    run = world.inv("rotate", "--env=sandbox", "--secret=PAYMENT_API_KEY",
                    "--from-stdin", stdin=brought + "\n")

    assert run.returncode == 0, run.stdout + run.stderr
    assert world.value("PAYMENT_API_KEY") == brought
    assert world.value("PAYMENT_API_KEY", "previous") == old
    assert world.github_secret("PAYMENT_API_KEY") == brought
    assert world.github_secret("PAYMENT_API_KEY", "sandbox") == brought
    assert world.netlify_env()["PAYMENT_API_KEY"] == brought
    assert brought not in run.stdout + run.stderr


def test_external_secret_without_a_value_is_refused_before_anything_changes(
    world: World,
) -> None:
    old = world.value("PAYMENT_API_KEY")

    run = world.inv("rotate", "--env=sandbox", "--secret=PAYMENT_API_KEY")

    assert run.returncode != 0
    assert "--from-stdin" in run.stderr
    assert world.value("PAYMENT_API_KEY") == old
    assert world.value("PAYMENT_API_KEY", "pending") is None


def test_single_role_rotation_changes_its_own_password_without_an_admin(
    world: World,
) -> None:
    old_url = world.value("REPORTS_DATABASE_URL") or ""
    failed = world.inv("rotate", "--env=sandbox", "--secret=REPORTS_DB_PASSWORD",
                       env={"SHIPYARD_FAIL_AT": "finish"})
    assert failed.returncode != 0
    assert world.logs_in(old_url), "a failed rotation must leave the old login working"
    assert world.value("REPORTS_DB_PASSWORD", "pending") is None

    run = world.inv("rotate", "--env=sandbox", "--secret=REPORTS_DB_PASSWORD")

    assert run.returncode == 0, run.stdout + run.stderr
    new_url = world.value("REPORTS_DATABASE_URL") or ""
    assert new_url != old_url and world.logs_in(new_url)
    assert not world.logs_in(old_url), "the old password of a single role is gone"
    assert world.github_secret("REPORTS_DATABASE_URL", "sandbox") == new_url
    assert "Koyeb deployment" not in run.stdout, "nothing reads it: no redeploy"


@contextmanager
def _single_role_manifest(world: World, role: str) -> Iterator[None]:
    """DATABASE_PASSWORD declared as the project's own shipyard.toml declares it.

    One role, its password changed by the role itself (no admin URL), no
    targets of its own: only DATABASE_URL reaches Koyeb, for the backend.
    Afterwards the test manifest is back and its targets get current again.
    """
    toml = world.root / "shipyard.toml"
    kept = toml.read_text()
    table = re.compile(r"\[secrets\.DATABASE_PASSWORD\]\n.*?(?=\n\[)", re.DOTALL)
    assert table.search(kept)
    toml.write_text(table.sub(
        "[secrets.DATABASE_PASSWORD]\n"
        'kind = "database_password"\n'
        f'role = "{role}"\n'
        'url_secret = "DATABASE_URL"\n'
        'readers = ["backend"]\n'
        "rotation_days = 30\n", kept, count=1))
    world.project.commit("DATABASE_PASSWORD as the project declares it")
    try:
        yield
    finally:
        toml.write_text(kept)
        world.project.commit("rotation test manifest again")
        pushed = world.inv("secrets.push", "--env=sandbox")
        assert pushed.returncode == 0, pushed.stdout + pushed.stderr


def test_single_role_password_read_by_the_backend_from_koyeb_rotates_end_to_end(
    world: World,
) -> None:
    old_url = assert_db_consistent(world)
    role = old_url.split("://")[1].split(":")[0]
    serving = world.backend_deployment()

    with _single_role_manifest(world, role):
        run = world.inv("rotate", "--env=sandbox", "--secret=DATABASE_PASSWORD")

        assert run.returncode == 0, run.stdout + run.stderr
        assert f"role {role}: pending password set" in run.stdout
        new_url = world.value("DATABASE_URL") or ""
        assert new_url != old_url and new_url.split("://")[1].startswith(role + ":")
        assert world.koyeb_secret("database-url") == new_url
        assert world.backend_deployment() != serving, "the backend was not redeployed"
        health = httpx.get(world.backend_url() + "/health/", timeout=10)
        assert health.status_code == 200, health.text
        assert world.logs_in(new_url)
        assert not world.logs_in(old_url), "the old password must be refused"
    assert assert_db_consistent(world) == new_url
