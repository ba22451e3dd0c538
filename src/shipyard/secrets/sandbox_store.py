"""The sandbox's secret store: the keyring store's versions, kept in a JSON file.

It only ever holds throwaway values the sandbox generated for its own
stand-ins (tokens of the Koyeb and Netlify stand-ins, the local database's
password, a Django key): never a real credential, which belongs in the OS
keyring. That is why a file (mode 0600) is acceptable here and nowhere else.
Versions (current, previous, pending) work as in the keyring, so `inv rotate
--env=sandbox` rehearses the real protocol.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from shipyard.redaction import Secret
from shipyard.secrets.keyring_store import KeyringStore

FILE_NAME = "secrets.json"


class JsonFileEntries:
    """A keyring-like backend over one JSON object of entry name → value.

    Entry names of the keyring layout (`NAME`, `NAME@v3`, `NAME@meta`,
    `@index`, `@fingerprint-key`) never collide, so the service is ignored;
    a file written before versions existed (plain NAME → value) reads as
    the current values.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def get_password(self, service: str, username: str) -> str | None:
        return self._read().get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        values = self._read()
        values[username] = password
        self._write(values)

    def delete_password(self, service: str, username: str) -> None:
        from keyring.errors import PasswordDeleteError

        values = self._read()
        if username not in values:
            raise PasswordDeleteError(f"no entry {username}")
        del values[username]
        self._write(values)

    def _read(self) -> dict[str, str]:
        if not self.path.is_file():
            return {}
        return json.loads(self.path.read_text(encoding="utf-8"))

    def _write(self, values: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(values, out, indent=2)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o600)
        temporary.replace(self.path)


class SandboxStore(KeyringStore):
    """The sandbox's generated values, with versions, in `folder`/secrets.json."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE_NAME
        entries = JsonFileEntries(self.path)
        super().__init__("sandbox", "sandbox", backend=entries)  # type: ignore[arg-type]

    def put(self, name: str, value: Secret) -> None:
        """Store a generated value as current (unchanged when it already is)."""
        self.set(name, value)
