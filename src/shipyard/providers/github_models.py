"""What the GitHub Actions client sends and gets back: keys, secrets, variables.

A secret is sealed on this machine with the repository's (or environment's)
public key in a libsodium sealed box, so only GitHub can open it.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.stamps import parse_iso

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class PublicKey:
    """The key GitHub seals secrets for: its id and the base64 Curve25519 key."""

    key_id: str
    key: str


@dataclass(frozen=True)
class ActionsSecret:
    """A secret as GitHub lists it: its name and dates, never its value."""

    name: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ActionsVariable:
    """A variable of a repository: a value that is not secret."""

    name: str
    value: str
    created_at: datetime
    updated_at: datetime


def seal(public_key: PublicKey, value: Secret) -> str:
    """`value` in a libsodium sealed box for `public_key`, base64-encoded for GitHub."""
    from nacl.exceptions import CryptoError
    from nacl.public import PublicKey as Curve25519Key
    from nacl.public import SealedBox

    try:
        recipient = Curve25519Key(base64.b64decode(public_key.key, validate=True))
    except (ValueError, CryptoError):
        raise ShipyardError(
            f"GitHub's public key {public_key.key_id} is not a base64 Curve25519 "
            "key: check the API base URL"
        ) from None
    sealed = SealedBox(recipient).encrypt(value.reveal().encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")


def check_name(name: str, kind: str) -> None:
    """Raise a ShipyardError unless GitHub accepts `name` for a secret or variable."""
    if not _NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
        raise ShipyardError(
            f"{name!r} cannot be a GitHub {kind} name: use letters, digits and "
            "underscores, not starting with a digit or GITHUB_"
        )


def secret_from(item: Any) -> ActionsSecret:
    """A secret from GitHub's JSON, or a ShipyardError when it is not one."""
    try:
        return ActionsSecret(
            name=item["name"],
            created_at=parse_iso(item["created_at"]),
            updated_at=parse_iso(item["updated_at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ShipyardError(
            "GitHub answered a secret without name and dates: check the API base URL"
        ) from None


def variable_from(item: Any) -> ActionsVariable:
    """A variable from GitHub's JSON, or a ShipyardError when it is not one."""
    try:
        return ActionsVariable(
            name=item["name"],
            value=item["value"],
            created_at=parse_iso(item["created_at"]),
            updated_at=parse_iso(item["updated_at"]),
        )
    except (KeyError, TypeError, ValueError):
        raise ShipyardError(
            "GitHub answered a variable without name, value and dates: check the "
            "API base URL"
        ) from None
