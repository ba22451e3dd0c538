"""Read secret values for an environment from the configured store.

`keyring` is the OS keyring of a workstation, `env` the process environment
(how CI injects secrets; read-only), `sandbox` the throwaway values the
sandbox generated for its own stand-ins (never real credentials).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Protocol

from shipyard.errors import ShipyardError
from shipyard.paths import sandbox_dir
from shipyard.redaction import Secret


class SecretStore(Protocol):
    def get(self, name: str) -> Secret | None: ...


class EnvStore:
    """Secrets from the process environment, as CI provides them."""

    def get(self, name: str) -> Secret | None:
        value = os.environ.get(name)
        return Secret(value, name) if value else None


class SandboxStore:
    """The sandbox's generated values, kept beside its other state."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "secrets.json"

    def get(self, name: str) -> Secret | None:
        value = self._read().get(name)
        return Secret(value, name) if value else None

    def put(self, name: str, value: Secret) -> None:
        values = self._read()
        values[name] = value.reveal()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(values, indent=2))
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)

    def _read(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text())


class KeyringStore:
    """Secrets in the OS keyring, one service name per project and environment."""

    def __init__(self, project: str, env: str) -> None:
        self.service = f"shipyard:{project}:{env}"

    def get(self, name: str) -> Secret | None:
        import keyring
        from keyring.errors import KeyringError, NoKeyringError

        try:
            value = keyring.get_password(self.service, name)
        except NoKeyringError:
            raise ShipyardError(
                "no OS keyring is usable here: install and unlock one (e.g. "
                "gnome-keyring), or set SECRET_STORE=env and pass secrets as "
                "environment variables"
            ) from None
        except KeyringError as problem:
            raise ShipyardError(f"the OS keyring refused access: {problem}") from None
        return Secret(value, name) if value else None


def open_store(kind: str, project: str, env: str) -> SecretStore:
    """The store named by the SECRET_STORE setting."""
    if kind == "env":
        return EnvStore()
    if kind == "sandbox":
        return SandboxStore(sandbox_dir())
    return KeyringStore(project, env)


def require(store: SecretStore, name: str, env: str) -> Secret:
    """The secret `name`, or a one-line error saying how to provide it."""
    value = store.get(name)
    if value is None:
        raise ShipyardError(
            f"secret {name} is missing for environment {env!r}: set it with "
            f"`inv secrets.set {name} --env={env}` (or the {name} environment "
            "variable in CI)"
        )
    return value
