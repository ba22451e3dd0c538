"""Read secret values for an environment from the configured store.

`keyring` is the OS keyring of a workstation, with versions for rotation
(keyring_store.py), `env` the process environment (how CI injects secrets;
read-only), `sandbox` the throwaway values the sandbox generated for its own
stand-ins (never real credentials), with the same versions in a file
(sandbox_store.py).
"""

from __future__ import annotations

import builtins
import os
from typing import Protocol

from shipyard.errors import ShipyardError
from shipyard.paths import sandbox_dir
from shipyard.redaction import Secret
from shipyard.secrets import fingerprint as fingerprints
from shipyard.secrets.keyring_store import KeyringStore
from shipyard.secrets.sandbox_store import SandboxStore
from shipyard.secrets.secret_info import (
    SecretInfo,
    Version,
    VersionedStore,
    VersionInfo,
)
from shipyard.secrets.versions import check_version

__all__ = [
    "EnvStore",
    "KeyringStore",
    "SandboxStore",
    "SecretStore",
    "open_store",
    "open_versioned_store",
    "require",
]


class SecretStore(Protocol):
    def get(self, name: str) -> Secret | None: ...


class EnvStore:
    """Secrets from the process environment, as CI provides them; read-only.

    Fingerprints need the project's key in SHIPYARD_FINGERPRINT_KEY (hex), so
    CI can compare values with a workstation's keyring without seeing them.
    """

    def get(self, name: str) -> Secret | None:
        value = os.environ.get(name)
        return Secret(value, name) if value else None

    def get_version(self, name: str, version: Version) -> Secret | None:
        """The value of `name` for "current"; CI keeps no other versions."""
        return self.get(name) if check_version(version) == "current" else None

    def set(self, name: str, value: Secret) -> None:
        raise _read_only(name)

    def begin_rotation(self, name: str, pending: Secret) -> str:
        raise _read_only(name)

    def finish_rotation(self, name: str, fingerprint: str | None = None) -> None:
        raise _read_only(name)

    def reopen_rotation(self, name: str, fingerprint: str) -> bool:
        raise _read_only(name)

    def cancel_rotation(self, name: str) -> bool:
        raise _read_only(name)

    def list(self, names: tuple[str, ...] = ()) -> builtins.list[SecretInfo]:
        """Which of `names` the environment holds, fingerprinted when it can be."""
        key = os.environ.get("SHIPYARD_FINGERPRINT_KEY")
        found = []
        for name in names:
            value = self.get(name)
            if value:
                mark = fingerprints.compute(Secret(key), value) if key else None
                versions = {"current": VersionInfo(None, mark)}
                found.append(SecretInfo(name, None, None, versions, False))
        return found

    def fingerprint(self, value: Secret | str) -> str:
        """The keyed fingerprint of `value`, with the key from the environment."""
        key = os.environ.get("SHIPYARD_FINGERPRINT_KEY")
        if not key:
            raise ShipyardError(
                "SHIPYARD_FINGERPRINT_KEY is not set: copy the project's fingerprint "
                "key from a workstation keyring into the CI secrets to compare values"
            )
        return fingerprints.compute(Secret(key), value)


def _read_only(name: str) -> ShipyardError:
    return ShipyardError(
        f"cannot change secret {name}: SECRET_STORE=env is read-only (CI reads "
        "secrets from the environment); change it in the CI's secrets, or run "
        "with SECRET_STORE=keyring on a workstation"
    )


def open_store(kind: str, project: str, env: str) -> SecretStore:
    """The store named by the SECRET_STORE setting."""
    if kind == "env":
        return EnvStore()
    if kind == "sandbox":
        return SandboxStore(sandbox_dir())
    return KeyringStore(project, env)


def open_versioned_store(kind: str, project: str, env: str) -> VersionedStore:
    """The store named by SECRET_STORE, for setting and rotating secrets.

    The sandbox's generated values keep versions like the keyring, so a
    rotation can be rehearsed offline; in CI (`env`) every change raises a
    read-only error naming the secret.
    """
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
