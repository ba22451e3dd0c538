"""Where Shipyard keeps its local state, relative to the project root."""

from __future__ import annotations

import os
from pathlib import Path


def project_root(start: Path | None = None) -> Path:
    """The nearest folder at or above `start` that holds shipyard.toml.

    SHIPYARD_ROOT overrides the search, so tests and CI can point at a
    fixture project.
    """
    forced = os.environ.get("SHIPYARD_ROOT")
    if forced:
        return Path(forced).resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "shipyard.toml").is_file():
            return folder
    return here


def state_dir(root: Path | None = None) -> Path:
    """The `.shipyard/` folder of a project (journal, ledger, lock, sandbox)."""
    return (root or project_root()) / ".shipyard"


def sandbox_dir(root: Path | None = None) -> Path:
    """The sandbox's state folder: pids, ports, logs and data of the stand-ins.

    SHIPYARD_SANDBOX_DIR overrides it, so one sandbox can serve several
    checkouts (the test suite starts one and shares it).
    """
    forced = os.environ.get("SHIPYARD_SANDBOX_DIR")
    if forced:
        return Path(forced).resolve()
    return state_dir(root) / "sandbox"
