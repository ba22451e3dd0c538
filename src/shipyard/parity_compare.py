"""Key-by-key comparison of two sources: what is missing, extra or different.

Pure functions over Entry maps. A value that is secret on either side is
compared and shown by fingerprint only, on both sides, since the plain side
may be holding the very same secret.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from shipyard.parity_model import Difference, Entry, Side
from shipyard.redaction import Secret

Mode = Literal["drift", "note", "skip"]
Marker = Callable[[Secret | str], str]


@dataclass(frozen=True)
class Rules:
    """How one comparison treats what it finds, and what to tell a person.

    Hints are formatted with `key`. A key of `optional` missing is a note.
    """

    extra: Mode = "drift"
    values: Mode = "drift"
    optional: frozenset[str] = frozenset()
    missing_hint: str = ""
    extra_hint: str = ""
    different_hint: str = ""


def show(entry: Entry | None, mark: Marker, *, as_secret: bool = False) -> str:
    """What may be printed of `entry`: a plain value, a fingerprint, a reference."""
    if entry is None:
        return "absent"
    if entry.ref is not None:
        return f"secret ref {entry.ref}"
    if entry.value is None:
        return "present (value not readable)"
    if isinstance(entry.value, Secret) or as_secret:
        return mark(entry.value)
    return entry.value


def compare(
    expected: dict[str, Entry],
    found: dict[str, Entry],
    *,
    found_where: str,
    mark: Marker,
    rules: Rules,
    expected_where: str = "expected",
) -> list[Difference]:
    """The differences of `found` against `expected`, key by key, sorted by key."""
    differences: list[Difference] = []
    for key in sorted(set(expected) | set(found)):
        want, have = expected.get(key), found.get(key)
        if have is None and want is not None:
            differences.append(
                Difference(
                    key,
                    "missing",
                    Side(want.where, show(want, mark)),
                    Side(found_where, "absent"),
                    drift=key not in rules.optional,
                    hint=rules.missing_hint.format(key=key),
                )
            )
        elif want is None and have is not None:
            if rules.extra != "skip":
                differences.append(
                    Difference(
                        key,
                        "extra",
                        Side(expected_where, "absent"),
                        Side(have.where, show(have, mark)),
                        drift=rules.extra == "drift",
                        hint=rules.extra_hint.format(key=key),
                    )
                )
        elif want is not None and have is not None and rules.values != "skip":
            difference = _different(want, have, mark, rules)
            if difference is not None:
                differences.append(difference)
    return differences


def _different(
    want: Entry, have: Entry, mark: Marker, rules: Rules
) -> Difference | None:
    secret = want.secret or have.secret
    if want.ref is not None or have.ref is not None:
        if want.ref == have.ref:
            return None
    elif want.value is None or have.value is None:
        return None
    elif secret:
        if mark(want.value) == mark(have.value):
            return None
    elif want.value == have.value:
        return None
    return Difference(
        want.key,
        "different",
        Side(want.where, show(want, mark, as_secret=secret)),
        Side(have.where, show(have, mark, as_secret=secret)),
        drift=rules.values == "drift",
        hint=rules.different_hint.format(key=want.key),
    )
