"""Shipyard's GitHub Actions client against the stand-in running as its own process.

The stand-in opens every sealed box it receives, so these tests prove that
what the client encrypted is exactly what was set.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.github import GitHubActions
from shipyard.redaction import Secret
from tests.github.conftest import (
    OWNER,
    REPO,
    RunningStandIn,
    random_value,
    spec_checked,
    start_standin,
)


def test_secret_set_by_the_client_opens_to_the_same_value(
    client: GitHubActions, standin: RunningStandIn
) -> None:
    value = random_value()

    assert client.set_secret("DATABASE_URL", value) is True

    assert standin.decrypted("DATABASE_URL") == value.reveal()
    shown = client.get_secret("DATABASE_URL")
    assert shown is not None and shown.name == "DATABASE_URL"
    newer = random_value()
    assert client.set_secret("DATABASE_URL", newer) is False
    assert standin.decrypted("DATABASE_URL") == newer.reveal()
    assert [item.name for item in client.list_secrets()] == ["DATABASE_URL"]


def test_deleted_secret_is_gone_and_deleting_again_says_so(
    client: GitHubActions,
) -> None:
    client.set_secret("OLD_TOKEN", random_value())

    assert client.delete_secret("OLD_TOKEN") is True

    assert client.get_secret("OLD_TOKEN") is None
    assert client.delete_secret("OLD_TOKEN") is False


def test_environment_secrets_are_kept_apart_from_the_repository(
    client: GitHubActions, standin: RunningStandIn
) -> None:
    production, staging = random_value(), random_value()

    client.set_secret("DJANGO_SECRET_KEY", production, environment="production")
    client.set_secret("DJANGO_SECRET_KEY", staging, environment="staging")

    assert standin.decrypted("DJANGO_SECRET_KEY", "production") == production.reveal()
    assert standin.decrypted("DJANGO_SECRET_KEY", "staging") == staging.reveal()
    assert client.get_secret("DJANGO_SECRET_KEY") is None
    listed = client.list_secrets(environment="production")
    assert [item.name for item in listed] == ["DJANGO_SECRET_KEY"]
    assert client.delete_secret("DJANGO_SECRET_KEY", environment="staging") is True
    assert client.list_secrets(environment="staging") == []


def test_every_page_of_secrets_and_variables_is_listed(client: GitHubActions) -> None:
    secret_names = [f"SECRET_{number:03}" for number in range(105)]
    variable_names = [f"SETTING_{number:02}" for number in range(35)]
    for name in secret_names:
        client.set_secret(name, Secret(f"value-of-{name}"))
    for name in variable_names:
        client.set_variable(name, name.lower())

    assert [item.name for item in client.list_secrets()] == secret_names
    listed = client.list_variables()
    assert [(item.name, item.value) for item in listed] == [
        (name, name.lower()) for name in variable_names
    ]


def test_variables_are_created_updated_and_deleted(client: GitHubActions) -> None:
    assert client.set_variable("FRONTEND_ORIGIN", "https://a.example") is True
    assert client.set_variable("FRONTEND_ORIGIN", "https://b.example") is False

    found = client.get_variable("FRONTEND_ORIGIN")
    assert found is not None and found.value == "https://b.example"
    assert client.delete_variable("FRONTEND_ORIGIN") is True
    assert client.get_variable("FRONTEND_ORIGIN") is None
    assert client.delete_variable("FRONTEND_ORIGIN") is False
    with pytest.raises(ShipyardError, match="is a secret"):
        secret: Any = Secret("not-for-variables")
        client.set_variable("FRONTEND_ORIGIN", secret)


def test_rotated_public_key_is_fetched_again(
    client: GitHubActions, standin: RunningStandIn
) -> None:
    client.set_secret("API_TOKEN", random_value())
    first_key = client.public_key().key_id

    new_key = standin.rotate_key()
    value = random_value()
    client.set_secret("API_TOKEN", value)

    assert new_key != first_key
    assert client.public_key().key_id == new_key
    assert standin.decrypted("API_TOKEN") == value.reveal()
    refused = "PUT /repos/{owner}/{repo}/actions/secrets/{secret_name} 422"
    assert standin.exchanges.count(refused) == 1


def test_wrong_token_is_named_without_showing_it(standin: RunningStandIn) -> None:
    wrong = Secret("ghp_wrongTokenValue123456")
    client = GitHubActions(OWNER, REPO, wrong, base_url=standin.url)
    with client, pytest.raises(ShipyardError) as raised:
        client.set_secret("API_TOKEN", random_value())

    message = str(raised.value)
    assert message.startswith("GitHub token rejected (401): check GITHUB_TOKEN")
    assert wrong.reveal() not in message


def test_unknown_repository_and_environment_are_named(
    standin: RunningStandIn,
) -> None:
    seen: list[str] = []
    missing = GitHubActions(OWNER, "no-such-repo", standin.token, base_url=standin.url)
    with spec_checked(missing, seen) as client:
        with pytest.raises(ShipyardError, match=f"no repository {OWNER}/no-such-repo"):
            client.list_secrets()
        with pytest.raises(ShipyardError, match=f"no repository {OWNER}/no-such-repo"):
            client.get_variable("REGION")

    here = GitHubActions(OWNER, REPO, standin.token, base_url=standin.url)
    with (
        spec_checked(here, seen) as client,
        pytest.raises(ShipyardError, match="no environment 'qa' in"),
    ):
        client.set_secret("API_TOKEN", random_value(), environment="qa")


def test_restarted_standin_still_opens_stored_secrets_and_keeps_no_plaintext(
    client: GitHubActions, standin: RunningStandIn
) -> None:
    value = random_value()
    client.set_secret("DATABASE_URL", value)
    standin.stop()

    again = start_standin(standin.state_dir)
    try:
        assert again.decrypted("DATABASE_URL") == value.reveal()
    finally:
        again.stop()
    saved = (standin.state_dir / "github.json").read_text()
    assert value.reveal() not in saved
    assert json.loads(saved)["repos"]
