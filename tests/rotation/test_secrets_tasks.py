"""`inv secrets.*` against the sandbox's targets and the real keyring."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest

from tests.rotation.world import OWNER, REPO, World

pytestmark = pytest.mark.integration


def test_check_fails_when_a_target_lacks_a_secret_and_passes_after_push(
    world: World,
) -> None:
    assert world.inv("secrets.check", "--env=sandbox").returncode == 0
    gone = httpx.delete(
        f"{world.github_url}/repos/{OWNER}/{REPO}/environments/sandbox/secrets/"
        "PAYMENT_API_KEY",
        headers={"Authorization": f"Bearer {world.github_token}"}, timeout=10,
    )
    assert gone.status_code == 204

    missing = world.inv("secrets.check", "--env=sandbox")

    assert missing.returncode != 0
    assert "PAYMENT_API_KEY: missing at github:sandbox:PAYMENT_API_KEY" in (
        missing.stdout + missing.stderr)
    pushed = world.inv("secrets.push", "--env=sandbox")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert world.inv("secrets.check", "--env=sandbox").returncode == 0
    assert world.github_secret("PAYMENT_API_KEY", "sandbox") == world.value(
        "PAYMENT_API_KEY")


def test_check_asks_an_unreachable_provider_once_and_names_it(world: World) -> None:
    from shipyard.sandbox.processes import free_port

    closed = f"http://127.0.0.1:{free_port()}"

    run = world.inv("secrets.check", "--env=sandbox",
                    env={"GITHUB_API_URL": closed}, timeout=240)

    output = run.stdout + run.stderr
    assert run.returncode != 0
    assert "Traceback" not in output
    listed = [line for line in output.splitlines() if line.startswith("!")]
    assert sum("cannot check github" in line for line in listed) == 1, output
    # one request's retries, not one round of them per secret
    assert output.count("could not reach GitHub") <= 6, output
    assert "(github failed above)" in output
    assert "not checked at koyeb" not in output and "not checked at netlify" not in output


def test_list_shows_versions_targets_and_fingerprints_never_values(
    world: World,
) -> None:
    run = world.inv("secrets.list", "--env=sandbox", "--json")

    assert run.returncode == 0, run.stderr
    rows = {row["name"]: row for row in json.loads(run.stdout)}
    webhook = rows["WEBHOOK_SIGNING_KEY"]
    assert webhook["kind"] == "generated" and webhook["versions"][0] == "current"
    assert webhook["targets"] == ["github:WEBHOOK_SIGNING_KEY",
                                  "netlify:WEBHOOK_SIGNING_KEY",
                                  "koyeb:webhook-signing-key"]
    assert webhook["fingerprint"] == world.store().fingerprint(
        world.value("WEBHOOK_SIGNING_KEY") or "")
    assert rows["KOYEB_TOKEN"]["kind"] == "setting"
    assert world.value("WEBHOOK_SIGNING_KEY") not in run.stdout


def test_show_refuses_without_reveal_and_prints_with_it(world: World) -> None:
    refused = world.inv("secrets.show", "PAYMENT_API_KEY", "--env=sandbox")
    shown = world.inv("secrets.show", "PAYMENT_API_KEY", "--env=sandbox", "--reveal")

    assert refused.returncode != 0 and "--reveal" in refused.stderr
    assert world.value("PAYMENT_API_KEY") not in refused.stdout + refused.stderr
    assert shown.returncode == 0
    assert shown.stdout.strip() == world.value("PAYMENT_API_KEY")


def test_set_from_stdin_keeps_the_old_value_as_previous(world: World) -> None:
    old = world.value("WEBHOOK_SIGNING_KEY")

    run = world.inv("secrets.set", "WEBHOOK_SIGNING_KEY", "--env=sandbox",
                    "--from-stdin", stdin="whsec_set_by_hand_0001\n")

    assert run.returncode == 0, run.stderr
    assert world.value("WEBHOOK_SIGNING_KEY") == "whsec_set_by_hand_0001"
    assert world.value("WEBHOOK_SIGNING_KEY", "previous") == old
    assert "whsec_set_by_hand_0001" not in run.stdout + run.stderr
    assert world.inv("secrets.push", "--env=sandbox").returncode == 0


def _age(world: World, name: str, days: int) -> None:
    """Move every date of `name`'s keyring metadata `days` into the past.

    What the store would hold had the value been set that long ago: the
    keyring's own metadata entry, rewritten in the store's record format.
    """
    from keyring.backends.SecretService import Keyring

    from shipyard.secrets.keyring_store import meta_name
    from shipyard.secrets.versions import SecretRecord

    store, keyring = world.store(), Keyring()
    record = SecretRecord.from_json(json.loads(
        keyring.get_password(store.service, meta_name(name)) or "{}"))
    shift = timedelta(days=days)
    older = replace(
        record,
        created=record.created and record.created - shift,
        rotated_at=record.rotated_at and record.rotated_at - shift,
        versions={version: replace(stored, created=stored.created - shift)
                  if stored.created else stored
                  for version, stored in record.versions.items()},
    )
    keyring.set_password(store.service, meta_name(name),
                         json.dumps(older.to_json()))


def _listed(world: World) -> dict[str, dict]:
    run = world.inv("secrets.list", "--env=sandbox", "--json")
    assert run.returncode == 0, run.stderr
    return {row["name"]: row for row in json.loads(run.stdout)}


def test_due_rotates_exactly_the_secrets_whose_period_has_passed(
    world: World,
) -> None:
    # rotation_days: webhook 7, reports 30, Django key 90, payment key 365
    ages = {"WEBHOOK_SIGNING_KEY": 8, "REPORTS_DB_PASSWORD": 31,
            "DJANGO_SECRET_KEY": 30, "PAYMENT_API_KEY": 100}
    for name, days in ages.items():
        _age(world, name, days)
    before = {name: world.value(name) for name in
              (*ages, "DATABASE_PASSWORD", "REPORTS_DATABASE_URL")}

    listed = _listed(world)
    assert {name for name, row in listed.items() if row["due"]} == {
        "WEBHOOK_SIGNING_KEY", "REPORTS_DB_PASSWORD"}
    assert {name: listed[name]["age_days"] for name in ages} == ages
    table = world.inv("secrets.list", "--env=sandbox", env={"COLUMNS": "400"})
    cells = [[cell.strip() for cell in line.split("\u2502")[1:-1]]
             for line in table.stdout.splitlines()]
    rows = {row[0]: (row[3], row[-1]) for row in cells if row}
    assert rows["WEBHOOK_SIGNING_KEY"] == ("8 d", "yes")
    assert rows["DJANGO_SECRET_KEY"] == ("30 d", "")

    run = world.inv("rotate", "--env=sandbox", "--due")

    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("WEBHOOK_SIGNING_KEY", "REPORTS_DB_PASSWORD"):
        assert world.value(name) != before[name], f"{name} was due but not rotated"
        assert world.value(name, "previous") == before[name]
    assert world.value("REPORTS_DATABASE_URL") != before["REPORTS_DATABASE_URL"]
    for name in ("DJANGO_SECRET_KEY", "PAYMENT_API_KEY", "DATABASE_PASSWORD"):
        assert world.value(name) == before[name], f"{name} was not due"
    assert world.github_secret("WEBHOOK_SIGNING_KEY") == world.value(
        "WEBHOOK_SIGNING_KEY")
    after = _listed(world)
    assert not any(row["due"] for row in after.values())
    assert after["WEBHOOK_SIGNING_KEY"]["age_days"] == 0
    assert after["DJANGO_SECRET_KEY"]["age_days"] == 30
