"""The GitHub stand-in's model: repositories, environments, keys, secrets, variables.

Each repository and environment has a real Curve25519 key pair; a secret is
accepted only when its sealed box opens with the current key, and its
decrypted value is kept in memory so tests can prove the round trip. The
state file (`github.json`, mode 0600) keeps the sealed boxes and the key
pairs, never decrypted values; they are opened again on start.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, SealedBox

STATE_FILE = "github.json"
MAX_VALUE_BYTES = 48 * 1024

Record = dict[str, Any]


class Rejected(Exception):
    """A request the stand-in refuses, with GitHub's status and message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def now() -> str:
    """The current UTC time as GitHub writes it."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_key() -> Record:
    """A fresh key pair with a GitHub-like numeric key id."""
    private = PrivateKey.generate()
    return {
        "key_id": str(secrets.randbelow(9 * 10**17) + 10**17),
        "private": base64.b64encode(bytes(private)).decode(),
        "created_at": now(),
    }


def public_of(key: Record) -> str:
    """The base64 public half of a stored key pair."""
    private = PrivateKey(base64.b64decode(key["private"]))
    return base64.b64encode(bytes(private.public_key)).decode()


def open_box(keys: dict[str, Record], key_id: str, sealed: str) -> str:
    """The plaintext of a base64 sealed box for key `key_id`, or Rejected (422)."""
    key = keys.get(key_id)
    if key is None:
        raise Rejected(422, f"key_id {key_id} is not this scope's public key")
    try:
        box = base64.b64decode(sealed, validate=True)
        plain = SealedBox(PrivateKey(base64.b64decode(key["private"]))).decrypt(box)
        return plain.decode("utf-8")
    except (ValueError, CryptoError):
        raise Rejected(
            422, "encrypted_value is not a sealed box for the given key_id"
        ) from None


def new_scope() -> Record:
    """Secrets and the key pair of a repository or of one of its environments."""
    key = new_key()
    return {"key_id": key["key_id"], "keys": {key["key_id"]: key}, "secrets": {}}


class State:
    """Thread-safe holder of the model, saved after each change."""

    def __init__(self, state_dir: Path) -> None:
        state_dir.mkdir(parents=True, exist_ok=True)
        self.path = state_dir / STATE_FILE
        self.lock = threading.RLock()
        self.data: Record = {"repos": {}}
        self.plain: dict[tuple[str, str | None, str], str] = {}
        if self.path.is_file():
            self.data = json.loads(self.path.read_text(encoding="utf-8"))
            self._open_all()

    def add_repo(self, owner: str, repo: str, environments: list[str]) -> Record:
        """Create repository owner/repo and its environments unless they exist."""
        with self.lock:
            slug = f"{owner}/{repo}".lower()
            record = self.data["repos"].setdefault(
                slug,
                {
                    "owner": owner,
                    "name": repo,
                    **new_scope(),
                    "variables": {},
                    "environments": {},
                },
            )
            for name in environments:
                record["environments"].setdefault(name, new_scope())
            self.save()
            return record

    def repo(self, owner: str, repo: str) -> Record:
        """Repository owner/repo (names compare case-insensitively), or Rejected 404."""
        record = self.data["repos"].get(f"{owner}/{repo}".lower())
        if record is None:
            raise Rejected(404, "Not Found")
        return record

    def scope(self, owner: str, repo: str, environment: str | None) -> Record:
        """The repository's secrets scope, or that of one of its environments."""
        record = self.repo(owner, repo)
        if environment is None:
            return record
        found = record["environments"].get(environment)
        if found is None:
            raise Rejected(404, "Not Found")
        return found

    def put_secret(
        self,
        owner: str,
        repo: str,
        environment: str | None,
        name: str,
        body: Record,
    ) -> bool:
        """Open and store a sealed secret; True when it was created."""
        with self.lock:
            scope = self.scope(owner, repo, environment)
            key_id = body["key_id"]
            if key_id != scope["key_id"]:
                raise Rejected(422, f"key_id {key_id} is not the current public key")
            plain = open_box(scope["keys"], key_id, body["encrypted_value"])
            if len(plain.encode()) > MAX_VALUE_BYTES:
                raise Rejected(422, "secret values are limited to 48 KB")
            stored = scope["secrets"].get(name)
            stamp = now()
            scope["secrets"][name] = {
                "sealed": body["encrypted_value"],
                "key_id": key_id,
                "created_at": stored["created_at"] if stored else stamp,
                "updated_at": stamp,
            }
            self.plain[(f"{owner}/{repo}".lower(), environment, name)] = plain
            self.save()
            return stored is None

    def delete_secret(
        self, owner: str, repo: str, environment: str | None, name: str
    ) -> None:
        """Remove a secret, or Rejected 404 when there is none by that name."""
        with self.lock:
            scope = self.scope(owner, repo, environment)
            if scope["secrets"].pop(name, None) is None:
                raise Rejected(404, "Not Found")
            self.plain.pop((f"{owner}/{repo}".lower(), environment, name), None)
            self.save()

    def decrypted(
        self, owner: str, repo: str, environment: str | None, name: str
    ) -> str:
        """The value a secret was sealed with, as the stand-in opened it."""
        self.scope(owner, repo, environment)
        value = self.plain.get((f"{owner}/{repo}".lower(), environment, name))
        if value is None:
            raise Rejected(404, "Not Found")
        return value

    def rotate_key(self, owner: str, repo: str, environment: str | None) -> str:
        """Give a scope a new key pair, as GitHub may; the new key id.

        Old private keys stay, so stored secrets still open; values sealed
        for them are refused from now on.
        """
        with self.lock:
            scope = self.scope(owner, repo, environment)
            key = new_key()
            scope["keys"][key["key_id"]] = key
            scope["key_id"] = key["key_id"]
            self.save()
            return key["key_id"]

    def create_variable(self, owner: str, repo: str, name: str, value: str) -> None:
        """Add a variable, or Rejected 409 when one by that name exists."""
        with self.lock:
            variables = self.repo(owner, repo)["variables"]
            if name in variables:
                raise Rejected(409, "Already exists - Variable already exists")
            stamp = now()
            variables[name] = {"value": value, "created_at": stamp, "updated_at": stamp}
            self.save()

    def update_variable(
        self, owner: str, repo: str, name: str, new_name: str | None, value: str | None
    ) -> None:
        """Change a variable's value and/or name, or Rejected 404/409."""
        with self.lock:
            variables = self.repo(owner, repo)["variables"]
            stored = variables.get(name)
            if stored is None:
                raise Rejected(404, "Not Found")
            if new_name and new_name != name:
                if new_name in variables:
                    raise Rejected(409, "Already exists - Variable already exists")
                variables[new_name] = variables.pop(name)
            if value is not None:
                stored["value"] = value
            stored["updated_at"] = now()
            self.save()

    def delete_variable(self, owner: str, repo: str, name: str) -> None:
        """Remove a variable, or Rejected 404 when there is none by that name."""
        with self.lock:
            if self.repo(owner, repo)["variables"].pop(name, None) is None:
                raise Rejected(404, "Not Found")
            self.save()

    def save(self) -> None:
        """Write the model atomically, readable by its owner only."""
        with self.lock:
            scratch = self.path.with_suffix(".tmp")
            fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self.data, handle, indent=1)
            scratch.replace(self.path)

    def _open_all(self) -> None:
        """Open every stored sealed box again after a restart."""
        for slug, record in self.data["repos"].items():
            scopes = [(None, record), *record["environments"].items()]
            for environment, scope in scopes:
                for name, stored in scope["secrets"].items():
                    self.plain[(slug, environment, name)] = open_box(
                        scope["keys"], stored["key_id"], stored["sealed"]
                    )
