"""The nouns of a parity check: entries read from a source, differences, the report.

Everything here is plain data, safe to print: secret values are held as
Secret and only ever shown as keyed fingerprints.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from shipyard.redaction import Secret

Kind = Literal["missing", "extra", "different", "shared"]


@dataclass(frozen=True)
class Entry:
    """One key as one source holds it.

    `value` is a Secret for secret values, a str for plain ones, None when the
    source names the key without a readable value (GitHub, the manifest);
    `ref` is a secret reference (a Koyeb secret name) instead of a value.
    """

    key: str
    where: str
    value: Secret | str | None = None
    ref: str | None = None

    @property
    def secret(self) -> bool:
        return isinstance(self.value, Secret) or self.ref is not None


@dataclass(frozen=True)
class Side:
    """One side of a difference: where it was read and what may be shown of it."""

    where: str
    shown: str


@dataclass(frozen=True)
class Difference:
    """A key missing from, extra in, or different at one source.

    `shared` marks a secret whose value is the same on both sides although
    they are different environments (local holding production's value).

    `drift` is False for differences that are expected (values that differ
    between two environments) or harmless (extra GitHub secrets); only drift
    makes `inv parity` fail. `release_fixes` marks drift the next release
    undoes by itself (the Koyeb service's env), which must not stop it.
    """

    key: str
    kind: Kind
    expected: Side
    found: Side
    drift: bool = True
    hint: str = ""
    release_fixes: bool = False


@dataclass(frozen=True)
class RuntimeCheck:
    """A version on our side against one on theirs (Python, Node, PostgreSQL)."""

    name: str
    ours: Side
    theirs: Side
    status: Literal["same", "compatible", "differs", "not checked"]
    drift: bool = False
    hint: str = ""


@dataclass(frozen=True)
class Unchecked:
    """A source that could not be read, and why (no token, not configured...)."""

    source: str
    why: str


@dataclass
class ParityReport:
    """What `check_parity` found for one environment.

    `ignored` holds the `[parity] ignore` patterns that were in force.
    """

    env: str
    against: str | None
    sources: list[str] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)
    runtime: list[RuntimeCheck] = field(default_factory=list)
    unchecked: list[Unchecked] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def drift(self) -> list[Difference | RuntimeCheck]:
        """Every difference and runtime check that counts as drift."""
        found: list[Difference | RuntimeCheck] = []
        found += [d for d in self.differences if d.drift]
        found += [r for r in self.runtime if r.drift]
        return found

    def headline(self) -> str:
        """One line: how much drift, how many sources were not checked."""
        count = len(self.drift)
        head = f"parity of {self.env}: " + (
            f"{count} drift finding(s)" if count else "no drift"
        )
        if self.unchecked:
            head += f"; not checked: {', '.join(u.source for u in self.unchecked)}"
        return head

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data; it never holds a secret value."""
        return {
            "env": self.env,
            "against": self.against,
            "drift": len(self.drift),
            "sources": self.sources,
            "differences": [asdict(d) for d in self.differences],
            "runtime": [asdict(r) for r in self.runtime],
            "not_checked": [asdict(u) for u in self.unchecked],
            "ignored": self.ignored,
            "notes": self.notes,
        }
