"""Node versions as projects write them: `.nvmrc`, package.json `engines`, CI.

Only major versions matter for parity: they decide which syntax and npm
lockfile format a build gets.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from shipyard.envfiles import relative

# Node's LTS code names, for `.nvmrc` files that say `lts/iron`.
LTS_NAMES = {
    "argon": 4,
    "boron": 6,
    "carbon": 8,
    "dubnium": 10,
    "erbium": 12,
    "fermium": 14,
    "gallium": 16,
    "hydrogen": 18,
    "iron": 20,
    "jod": 22,
    "krypton": 24,
}
_MAJOR = re.compile(r"^v?(\d+)")
_COMPARATOR = re.compile(r"^(>=|<=|>|<|\^|~|=)?\s*v?(\d+)(?:\.(\d+|x|\*))?")


def major(text: str) -> int | None:
    """The major version `text` names (`v20.11.1`, `20.x`, `lts/iron`), if any."""
    cleaned = text.strip().lower()
    if cleaned.startswith("lts/"):
        return LTS_NAMES.get(cleaned[4:])
    match = _MAJOR.match(cleaned)
    return int(match.group(1)) if match else None


def satisfies(candidate: int, requirement: str) -> bool | None:
    """Whether Node `candidate` (a major) meets a semver range, on majors alone.

    None when the range cannot be read.
    """
    clauses = [clause.strip() for clause in requirement.split("||")]
    readable = False
    for clause in clauses:
        verdict = _clause(candidate, clause)
        if verdict is None:
            continue
        readable = True
        if verdict:
            return True
    return False if readable else None


def _clause(candidate: int, clause: str) -> bool | None:
    tokens = clause.replace(">= ", ">=").replace("<= ", "<=").split()
    if not tokens:
        return None
    for token in tokens:
        match = _COMPARATOR.match(token)
        if not match:
            return None
        operator, number = match.group(1) or "=", int(match.group(2))
        has_minor = match.group(3) not in (None, "x", "*")
        allowed = {
            ">=": candidate >= number,
            ">": candidate > number or (has_minor and candidate == number),
            "<": candidate < number,
            "<=": candidate <= number,
        }.get(operator, candidate == number)
        if not allowed:
            return False
    return True


def wanted_node(folders: list[Path], root: Path) -> tuple[str, str, bool] | None:
    """The Node version the project asks for, where, and whether it is exact.

    `.nvmrc` names one version (exact); package.json `engines.node` a range.
    """
    for folder in folders:
        nvmrc = folder / ".nvmrc"
        if nvmrc.is_file():
            text = nvmrc.read_text(encoding="utf-8").strip()
            if text:
                return text.splitlines()[0].strip(), f"{relative(nvmrc, root)}:1", True
    for folder in folders:
        package = folder / "package.json"
        if not package.is_file():
            continue
        try:
            engines = json.loads(package.read_text(encoding="utf-8")).get("engines")
        except ValueError:
            continue
        if isinstance(engines, dict) and engines.get("node"):
            where = f"{relative(package, root)} engines.node"
            return str(engines["node"]), where, False
    return None
