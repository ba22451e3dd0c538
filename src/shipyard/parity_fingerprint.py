"""Keyed fingerprints for parity: compare secret values without showing them.

The project's key comes from the secret store when it keeps one (the
keyring's per-project key, or SHIPYARD_FINGERPRINT_KEY in CI), so the
fingerprints match those `secrets.list` shows. Without one, a random key of
this run is used: fingerprints then still compare values within one report.
"""

from __future__ import annotations

import os
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets import fingerprint


class Fingerprinter:
    """Fingerprints values under one key for the whole report."""

    def __init__(self, store: Any = None) -> None:
        self._store_mark = getattr(store, "fingerprint", None)
        self._key: Secret | None = None
        self.stable = True

    def of(self, value: Secret | str) -> str:
        """The fingerprint of `value`: safe to print, equal for equal values."""
        if self._store_mark is not None:
            try:
                return str(self._store_mark(value))
            except ShipyardError:
                self._store_mark = None
        return fingerprint.compute(self._fallback_key(), value)

    def _fallback_key(self) -> Secret:
        if self._key is None:
            configured = os.environ.get("SHIPYARD_FINGERPRINT_KEY")
            if configured:
                self._key = Secret(configured, "fingerprint key")
            else:
                self._key = fingerprint.new_key()
                self.stable = False
        return self._key
