"""The GitHub Actions the generated workflow uses, each pinned to a full commit SHA.

A tag such as `v4` can be moved to other code at any time; a 40-hex commit
SHA cannot. Shipyard cannot ask GitHub which commit a tag names, so the
pins live here, with the version they were taken from as a comment; check
them against the actions' release pages before trusting a new entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shipyard.errors import ShipyardError

_SHA = re.compile(r"[0-9a-f]{40}")


@dataclass(frozen=True)
class PinnedAction:
    """One action at one commit; `version` is the release tag of that commit."""

    name: str
    sha: str
    version: str

    def uses(self) -> str:
        """The `uses:` value with its version as a trailing comment."""
        return f"{self.name}@{self.sha} # {self.version}"


ACTIONS = {
    action.name: action
    for action in (
        PinnedAction(
            "actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4.2.2"
        ),
        PinnedAction(
            "actions/setup-python", "0b93645e9fea7318ecaed2b359559ac225c90a2b", "v5.3.0"
        ),
        PinnedAction(
            "actions/setup-node", "39370e3970a6d050c480ffad4ff0ed4d3fdee5af", "v4.1.0"
        ),
    )
}


def pinned(name: str) -> PinnedAction:
    """The pinned action `name`; a ShipyardError for one Shipyard has no pin for."""
    action = ACTIONS.get(name)
    if action is None or not _SHA.fullmatch(action.sha):
        raise ShipyardError(
            f"no commit SHA is known for {name}: add it to shipyard/ci_actions.py "
            "from the action's release page"
        )
    return action
