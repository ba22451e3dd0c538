"""Secret values never reach output, records or error messages; CI is told to mask them.

Each test uses fresh sentinel values, since the process-wide redactor (and
GitHub Actions' masking) announces a value only the first time it is seen.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.providers.github import GitHubActions
from shipyard.records import scrub
from shipyard.redaction import MASK, Secret
from shipyard.secrets.keyring_store import KeyringStore
from shipyard.secrets.store import EnvStore
from tests.github.conftest import OWNER, REPO, start_standin


def sentinel(label: str) -> Secret:
    """A value that cannot appear anywhere by chance."""
    return Secret(f"sentinel-{label}-{secrets.token_hex(8)}", label.upper())


def raised_message(action: Callable[[], Any]) -> str:
    """The message of the ShipyardError `action` raises, with its causes."""
    with pytest.raises(ShipyardError) as raised:
        action()
    problem: BaseException | None = raised.value
    parts = []
    while problem is not None:
        parts += [str(problem), repr(problem)]
        problem = problem.__cause__
    return "\n".join(parts)


def test_secret_shows_only_the_mask() -> None:
    value = sentinel("password")

    for shown in (str(value), repr(value), f"{value!s:>40}", str([value])):
        assert value.reveal() not in shown
    assert str(value) == MASK and repr(value) == f"Secret(PASSWORD={MASK})"


def test_console_output_masks_known_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    value = sentinel("token")
    console.configure()

    console.say(f"connecting with {value.reveal()}")
    console.detail(f"line one\nAuthorization: Bearer {value.reveal()}")
    console.table("settings", ["key", "value"], [["TOKEN", value.reveal()]])
    console.emit_json({"token": value.reveal()})
    console.error(f"failed with {value.reveal()}")
    console.configure()

    out, err = capsys.readouterr()
    assert value.reveal() not in out + err
    assert out.count(MASK) >= 4 and MASK in err


def test_records_are_scrubbed_of_secrets() -> None:
    value = sentinel("dsn")
    record = {
        "secret": value,
        "dsn": f"postgres://app:{value.reveal()}@127.0.0.1/app",
        "nested": [{"again": value.reveal()}],
        value.reveal(): "as a key",
    }

    written = json.dumps(scrub(record))

    assert value.reveal() not in written
    assert written.count(MASK) == 4


def test_keyring_store_errors_never_include_values(store: KeyringStore) -> None:
    current, pending, other = sentinel("current"), sentinel("pending"), sentinel("x")
    store.set("DB_PASSWORD", current)
    store.begin_rotation("DB_PASSWORD", pending)

    messages = [
        raised_message(lambda: store.set("DB_PASSWORD", other)),
        raised_message(lambda: store.begin_rotation("DB_PASSWORD", other)),
        raised_message(lambda: store.set("bad name", other)),
        raised_message(lambda: store.finish_rotation("NOTHING_HERE")),
        raised_message(lambda: EnvStore().set("DB_PASSWORD", other)),
    ]

    for message in messages:
        for value in (current, pending, other):
            assert value.reveal() not in message


def test_keyring_failure_text_is_masked(store: KeyringStore, backend: Any) -> None:
    from keyring.errors import PasswordSetError

    value = sentinel("refused")

    class Refusing:
        """The real backend, except that writes fail quoting what was written."""

        def get_password(self, service: str, user: str) -> str | None:
            return backend.get_password(service, user)

        def set_password(self, service: str, user: str, password: str) -> None:
            raise PasswordSetError(f"cannot store {password!r}")

    refusing = KeyringStore(store.project, store.env, backend=Refusing())
    message = raised_message(lambda: refusing.set("DB_PASSWORD", value))

    assert "the OS keyring refused to write" in message
    assert value.reveal() not in message


def test_github_errors_never_include_token_or_value(tmp_path: Path) -> None:
    token, value = sentinel("ghtoken"), sentinel("ghvalue")
    standin = start_standin(tmp_path / "github")
    try:
        wrong = GitHubActions(OWNER, REPO, token, base_url=standin.url)
        right = GitHubActions(OWNER, REPO, standin.token, base_url=standin.url)
        messages = [
            raised_message(lambda: wrong.set_secret("API_TOKEN", value)),
            raised_message(
                lambda: right.set_secret("API_TOKEN", value, environment="qa")
            ),
            raised_message(lambda: right.set_secret("GITHUB_NOPE", value)),
        ]
    finally:
        standin.stop()

    for message in messages:
        assert token.reveal() not in message and value.reveal() not in message


SETTER = """
import sys
from keyring.backends.SecretService import Keyring
from shipyard.redaction import Secret
from shipyard.secrets.keyring_store import KeyringStore
project, env, name = sys.argv[1:]
store = KeyringStore(project, env, backend=Keyring())
store.set(name, Secret(sys.stdin.read()))
"""


def _set_in_another_process(store: KeyringStore, name: str, value: str) -> None:
    """Set `name` as an earlier run would, so this process has not seen the value."""
    subprocess.run(
        [sys.executable, "-c", SETTER, store.project, store.env, name],
        input=value,
        text=True,
        capture_output=True,
        timeout=60,
        check=True,
    )


def test_github_actions_is_asked_to_mask_each_value_before_use(
    store: KeyringStore,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keyring_value = f"sentinel-keyring-{secrets.token_hex(8)}"
    env_value = f"sentinel-env-{secrets.token_hex(8)}\nline-{secrets.token_hex(4)}"
    _set_in_another_process(store, "API_TOKEN", keyring_value)
    monkeypatch.setenv("CI_TOKEN", env_value)
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    console.configure()
    capfd.readouterr()

    for found in (store.get("API_TOKEN"), EnvStore().get("CI_TOKEN")):
        assert found is not None
        console.say(f"using {found.name}: {found.reveal()}")
    console.configure()

    out = capfd.readouterr().out
    for line in (keyring_value, *env_value.splitlines()):
        announced = f"::add-mask::{line}\n"
        assert announced in out
        assert out.index(announced) < out.index("using")
        assert out.count(line) == 1
