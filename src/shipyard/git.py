"""What the release needs to know from git: the commit and whether the tree is clean."""

from __future__ import annotations

import subprocess
from pathlib import Path

from shipyard.errors import ShipyardError


def _git(root: Path, *args: str, strip: bool = True) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True
        )
    except FileNotFoundError:
        raise ShipyardError("git is not installed: releases are named by commit") from None
    except subprocess.CalledProcessError as problem:
        reason = (problem.stderr or "").strip().splitlines()[:1]
        raise ShipyardError(
            f"git {' '.join(args)} failed in {root}: {' '.join(reason)}"
        ) from None
    return done.stdout.strip() if strip else done.stdout


def head_sha(root: Path) -> str:
    """The full SHA of the commit being released."""
    try:
        return _git(root, "rev-parse", "HEAD")
    except ShipyardError:
        raise ShipyardError(
            f"{root} has no git commit to release: commit your work first"
        ) from None


def dirty_paths(root: Path) -> list[str]:
    """Tracked files changed or untracked files present, as `git status` lists them."""
    listing = _git(root, "status", "--porcelain", "-z", "--untracked-files=normal",
                   strip=False)
    return [entry[3:] for entry in listing.split("\0") if len(entry) > 3]


def require_clean(root: Path) -> None:
    """Refuse to release a tree whose image would not match its commit."""
    changed = dirty_paths(root)
    if changed:
        shown = ", ".join(changed[:3]) + (" …" if len(changed) > 3 else "")
        raise ShipyardError(
            f"the git tree has {len(changed)} uncommitted change(s) ({shown}): "
            "commit or stash them, or pass --allow-dirty"
        )
