"""Drift of the GitHub Actions variables `[github] variables` delivers.

Only a project that lists variables has them compared: each must be in the
repository with the ladder's value. A variable in no list is drift too,
except the names the list gives the project's other environments, which
share the repository. Values are not secret, so both sides are shown.
"""

from __future__ import annotations

from typing import Any

from shipyard.parity_compare import Marker, Rules, compare
from shipyard.parity_model import Difference, Entry
from shipyard.stack import Stack


def wanted(stack: Stack) -> dict[str, Entry]:
    """The repository variables this environment should find, by name."""
    from shipyard.secrets.variables import load_variables

    return {
        v.name: Entry(v.name, v.where, v.value)
        for v in load_variables(stack.config, stack.document)
    }


def read(client: Any, where: str) -> dict[str, Entry]:
    """The repository's variables, by name, with their values."""
    return {v.name: Entry(v.name, where, v.value) for v in client.list_variables()}


def compare_variables(
    stack: Stack, found: dict[str, Entry] | None, found_where: str, mark: Marker
) -> list[Difference]:
    """Variables missing, extra or holding another value than the ladder's."""
    from shipyard.secrets.variables import names_elsewhere

    if found is None:
        return []
    push = f"`inv secrets.push --env={stack.env}`"
    rules = Rules(
        missing_hint=f"GitHub lacks variable {{key}}: set it ({push})",
        extra_hint="GitHub holds variable {key}, which [github] variables does not "
        "name: add it to the list or delete it in GitHub",
        different_hint=f"variable {{key}} was changed in GitHub: set it again ({push})",
    )
    others = names_elsewhere(stack.config, stack.document)
    kept = {k: v for k, v in found.items() if k not in others and not stack.ignored(k)}
    expected = {k: v for k, v in wanted(stack).items() if not stack.ignored(k)}
    return compare(expected, kept, found_where=found_where, mark=mark, rules=rules)
