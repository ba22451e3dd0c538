"""Keyed fingerprints of secret values, to compare them across targets unrevealed.

A fingerprint is HMAC-SHA256 of the value under a per-project key, so two
places holding the same value show the same fingerprint, while the
fingerprint alone cannot be checked against guessed values by anyone
without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret

PREFIX = "hmac-sha256:"
KEY_BYTES = 32
_SHOWN_HEX = 16


def new_key() -> Secret:
    """A fresh random fingerprint key, hex-encoded, ready to keep in a store."""
    return Secret(secrets.token_hex(KEY_BYTES), "fingerprint key")


def compute(key: Secret, value: Secret | str) -> str:
    """The fingerprint of `value` under `key`: a short tag safe to print and log.

    64 bits of the MAC are kept: plenty to tell values apart, short enough
    for a table column.
    """
    try:
        raw_key = bytes.fromhex(key.reveal())
    except ValueError:
        raise ShipyardError(
            "the fingerprint key in the keyring is not hex: delete the entry "
            "'@fingerprint-key' of the project's keyring service to make a new one"
        ) from None
    plain = value.reveal() if isinstance(value, Secret) else value
    mac = hmac.new(raw_key, plain.encode("utf-8"), hashlib.sha256).hexdigest()
    return PREFIX + mac[:_SHOWN_HEX]


def same(first: str, second: str) -> bool:
    """Whether two fingerprints name the same value (constant-time comparison)."""
    return hmac.compare_digest(first.encode(), second.encode())
