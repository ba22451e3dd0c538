"""What parity and lint read from the project's GitHub Actions workflows.

The secrets each workflow references and the Node version its setup-node
steps ask for, with file and line; read line by line so no YAML library is
needed at run time. A workflow that runs `inv release --env=NAME` needs its
secrets for those environments only; one that releases none, for every one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from shipyard.envfiles import relative

FOLDER = ".github/workflows"
_SECRET_REF = re.compile(
    r"\$\{\{[^}]*?secrets(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*'([^']+)'\s*\])"
)
_SETUP_NODE = re.compile(r"uses:\s*['\"]?actions/setup-node@")
_NODE_VERSION = re.compile(r"^\s*node-version:\s*['\"]?([^'\"#\s]+)")
_NODE_VERSION_FILE = re.compile(r"^\s*node-version-file:\s*['\"]?([^'\"#\s]+)")
_STEP_START = re.compile(r"^\s*-\s")
_RELEASES = re.compile(r"\binv\s+release\b[^\n]*?--env[= ]([A-Za-z0-9._/-]+)")
AUTOMATIC = frozenset({"GITHUB_TOKEN"})


@dataclass(frozen=True)
class Reference:
    """A name a workflow uses, at `where` (file:line)."""

    name: str
    where: str


def workflow_files(root: Path) -> list[Path]:
    """The workflow files of the project, sorted."""
    folder = root / FOLDER
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])


def released_environments(text: str) -> frozenset[str]:
    """The environments a workflow's `inv release --env=NAME` steps release."""
    return frozenset(_RELEASES.findall(text))


def secret_references(root: Path, env: str | None = None) -> list[Reference]:
    """Every `secrets.NAME` the workflows use (GitHub's own token left out);
    with `env`, only those of workflows that release `env` or no environment."""
    found = []
    for path in workflow_files(root):
        shown = relative(path, root)
        text = path.read_text(encoding="utf-8")
        released = released_environments(text)
        if env is not None and released and env not in released:
            continue
        lines = text.splitlines()
        for number, line in enumerate(lines, 1):
            for dotted, quoted in _SECRET_REF.findall(line):
                name = dotted or quoted
                if name not in AUTOMATIC:
                    found.append(Reference(name, f"{shown}:{number}"))
    return found


def node_versions(root: Path) -> list[Reference]:
    """The Node versions setup-node steps ask for; a version file is read."""
    found = []
    for path in workflow_files(root):
        shown = relative(path, root)
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, 1):
            if not _SETUP_NODE.search(line):
                continue
            for offset, option in enumerate(_step_rest(lines, number), number + 1):
                where = f"{shown}:{offset}"
                if match := _NODE_VERSION.match(option):
                    found.append(Reference(match.group(1), where))
                elif match := _NODE_VERSION_FILE.match(option):
                    version = _read_version_file(root / match.group(1))
                    if version:
                        found.append(Reference(version, f"{where} ({match.group(1)})"))
    return found


def _step_rest(lines: list[str], number: int) -> list[str]:
    """The lines after line `number` that still belong to the same step."""
    indent = len(lines[number - 1]) - len(lines[number - 1].lstrip(" -"))
    rest = []
    for line in lines[number:]:
        stripped = line.strip()
        if stripped and (
            len(line) - len(line.lstrip()) < indent or _STEP_START.match(line)
        ):
            break
        rest.append(line)
    return rest


def _read_version_file(path: Path) -> str:
    if not path.is_file():
        return ""
    text = path.read_text(encoding="utf-8").strip()
    return text.splitlines()[0].strip() if text else ""
