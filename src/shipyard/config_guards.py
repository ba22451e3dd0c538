"""Checks across settings that no single setting's type can make.

The sandbox secret store keeps throwaway values in a plain file, which is
right for stand-ins on this machine and wrong for anything else: it is
refused whenever the environment points a provider away from loopback.
"""

from __future__ import annotations

from typing import Any

from shipyard.addresses import is_loopback
from shipyard.errors import ConfigError

# Settings naming a provider's address; an empty one means the real service.
_PROVIDER_ADDRESSES = (
    "REGISTRY",
    "KOYEB_API_URL",
    "NETLIFY_API_URL",
    "GITHUB_API_URL",
    "S3_ENDPOINT_URL",
)


def check(values: dict[str, Any], sources: dict[str, str]) -> None:
    """Raise ConfigError when the settings contradict each other."""
    if values.get("SECRET_STORE") != "sandbox":
        return
    for key in _PROVIDER_ADDRESSES:
        if key == "S3_ENDPOINT_URL" and not values.get("S3_BUCKET"):
            continue
        address = str(values.get(key) or "")
        if not is_loopback(address):
            shown = address or "empty (the real service)"
            raise ConfigError(
                f"{sources['SECRET_STORE']}: SECRET_STORE=sandbox keeps throwaway "
                f"secrets in a plain file, but {key} is {shown}, not a loopback "
                "stand-in: use SECRET_STORE=keyring or env"
            )
