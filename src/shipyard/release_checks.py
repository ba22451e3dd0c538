"""What would make a real run refuse to start, asked without starting it.

A dry run shows its plan and then names these refusals, so a preview never
looks cleaner than the run it previews.
"""

from __future__ import annotations

import os
import re
from typing import Any

from shipyard.errors import ShipyardError


def dead_holder_pid(info: Any) -> int | None:
    """The pid of a lock holder that ran on this machine and is gone, else None."""
    from shipyard.stamps import whoami

    match = re.fullmatch(r"(?P<who>.+) pid (?P<pid>\d+)", info.holder)
    if not match or match["who"] != whoami() or _alive(int(match["pid"])):
        return None
    return int(match["pid"])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def refusals(config: Any, *, allow_dirty: bool, check_tree: bool = True) -> list[str]:
    """Each reason, one line apiece, the real run of `config.env` would refuse."""
    from shipyard import git
    from shipyard.release import refuse_if_cut_off

    reasons = []
    checks = [lambda: refuse_if_cut_off(config)]
    if check_tree and not allow_dirty:
        checks.insert(0, lambda: git.require_clean(config.root))
    for check in checks:
        try:
            check()
        except ShipyardError as problem:
            reasons.append(str(problem))
    try:
        reasons += _lock_refusals(config)
    except Exception as problem:
        if not isinstance(problem, ShipyardError) and not _from_outside(problem):
            raise
        from shipyard import console

        first = (str(problem).splitlines() or [type(problem).__name__])[0]
        console.warn(f"could not read the {config.env} lock, so the dry run cannot "
                     f"say whether another run holds it: {first}")
    return reasons


def _lock_refusals(config: Any) -> list[str]:
    """Why the lock would stop a new run: held by a live run, or by one cut off."""
    from shipyard.lock import _held_message
    from shipyard.release import take_over_dead_lock
    from shipyard.shared_state import lock_store

    locks = lock_store(config)
    info = locks.status(config.env)
    if info is None:
        return []
    try:
        take_over_dead_lock(locks, config.env, picking_up=False)
    except ShipyardError as problem:
        return [str(problem)]
    return [_held_message(info)]


def _from_outside(problem: Exception) -> bool:
    from shipyard.tasks.common import _from_outside as outside

    return outside(problem)
