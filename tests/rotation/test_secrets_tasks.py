"""`inv secrets.*` against the sandbox's targets and the real keyring."""

from __future__ import annotations

import json

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
