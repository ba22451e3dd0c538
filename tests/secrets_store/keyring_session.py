"""A throwaway gnome-keyring Secret Service for the tests, and a check for a usable one.

Run inside `dbus-run-session`, this script starts gnome-keyring's secrets
component unlocked with a throwaway password (so its login collection
exists), prints the session's addresses as one JSON line, and keeps the
session alive until its stdin closes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from contextlib import closing

THROWAWAY_PASSWORD = b"shipyard-test-keyring"


def secret_service_ready() -> bool:
    """Whether this process's D-Bus session has an unlocked default collection."""
    import secretstorage
    from jeepney.wrappers import DBusErrorResponse

    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return False
    try:
        with closing(secretstorage.dbus_init()) as bus:
            if not secretstorage.check_service_availability(bus):
                return False
            collection = secretstorage.get_collection_by_alias(bus, "default")
            return not collection.is_locked()
    except (
        secretstorage.exceptions.SecretStorageException,
        DBusErrorResponse,
        OSError,
    ):
        return False


def lock_default_collection() -> None:
    """Lock the default collection through the Secret Service's own Lock call."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_collection_by_alias(bus, "default")
        collection.lock()
        if not collection.is_locked():
            raise RuntimeError("the Secret Service did not lock the default collection")


def keyring_entries(service: str) -> set[str]:
    """The user names of the Secret Service items of keyring service `service`."""
    import secretstorage

    with closing(secretstorage.dbus_init()) as bus:
        collection = secretstorage.get_collection_by_alias(bus, "default")
        return {
            item.get_attributes()["username"]
            for item in collection.search_items({"service": service})
        }


def main() -> int:
    """Start gnome-keyring unlocked, announce the session, wait for stdin to close."""
    started = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input=THROWAWAY_PASSWORD,
        capture_output=True,
        timeout=30,
        check=True,
    )
    announced = dict(
        line.split("=", 1)
        for line in started.stdout.decode().splitlines()
        if "=" in line
    )
    deadline = time.monotonic() + 20
    while not secret_service_ready():
        if time.monotonic() > deadline:
            print("the Secret Service did not come up", file=sys.stderr)
            return 1
        time.sleep(0.1)
    session = {
        "DBUS_SESSION_BUS_ADDRESS": os.environ["DBUS_SESSION_BUS_ADDRESS"],
        "GNOME_KEYRING_CONTROL": announced.get("GNOME_KEYRING_CONTROL", ""),
    }
    print(json.dumps(session), flush=True)
    sys.stdin.read()
    return 0


if __name__ == "__main__":
    sys.exit(main())
