"""Read or set a secret in the keyring the way a task does; exit non-zero on error.

Run as `python keyring_probe.py get|set NAME`; it prints one line and never
the value, so the tests can watch how Shipyard behaves on a given machine.
"""

from __future__ import annotations

import sys

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.store import open_store, require


def main(action: str, name: str) -> int:
    """Do `action` on secret `name` of project probe, environment prod."""
    store = open_store("keyring", "probe", "prod")
    try:
        if action == "set":
            store.set(name, Secret("probe-value-1234"))  # type: ignore[attr-defined]
            console.say(f"{name} set")
        else:
            require(store, name, "prod")
            console.say(f"{name} found")
    except ShipyardError as problem:
        console.error(str(problem))
        return problem.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
