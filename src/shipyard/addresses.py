"""Whether an address Shipyard is given names this machine's loopback."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(address: str) -> bool:
    """Whether a URL, host, host:port or [v6]:port names loopback."""
    if not address:
        return False
    host = urlsplit(address if "//" in address else f"//{address}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
