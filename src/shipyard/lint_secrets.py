"""Lint rules for secrets: committed env files, and the manifest against its use."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from shipyard.envfiles import read_env_lines, relative
from shipyard.errors import ShipyardError
from shipyard.lint_model import Finding
from shipyard.secretish import secret_name, secret_value
from shipyard.stack import Stack
from shipyard.workflows import secret_references

# Secrets Shipyard itself reads; they live in the store, not in the manifest.
OWN_SECRETS = frozenset(
    {
        "KOYEB_TOKEN",
        "REGISTRY_PASSWORD",
        "NETLIFY_AUTH_TOKEN",
        "GITHUB_TOKEN",
        "SHIPYARD_FINGERPRINT_KEY",
    }
)
_READ_NAME = re.compile(r"\(\s*[\"']([A-Z][A-Z0-9_]{2,})[\"']")
_SKIPPED_DIRS = {"node_modules", "wheels", ".venv", "venv", "__pycache__"}


def _env_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base == ".env" or base.startswith(".env.") or base.endswith(".env")


def tracked_env_files(root: Path) -> list[Path]:
    """Env files git tracks in the project; ShipyardError when git cannot say."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=root, capture_output=True, check=True
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.CalledProcessError):
        raise ShipyardError(f"{root} is not a git work tree") from None
    return [root / name for name in listed.split("\0") if name and _env_file(name)]


def committed_secrets(stack: Stack) -> list[Finding]:
    """Env files in git must hold no value that looks like a secret."""
    try:
        files = tracked_env_files(stack.root)
    except ShipyardError as problem:
        return [
            Finding(
                "committed-secret",
                "info",
                ".",
                "-",
                f"committed env files not checked: {problem}",
                "run inside the project's git work tree",
            )
        ]
    findings = []
    for path in files:
        if not path.is_file():
            continue
        env = _env_of(path, stack)
        for key, found in read_env_lines(path, stack.root).items():
            reason = secret_value(key, found.value)
            if reason:
                findings.append(
                    Finding(
                        "committed-secret",
                        "error",
                        found.where,
                        key,
                        f"{key} in a file git tracks looks like a secret ({reason})",
                        f"remove it from {relative(path, stack.root)} and the git "
                        f"history, rotate it, and keep it in the store "
                        f"(`inv secrets.set {key} --env={env}`)",
                    )
                )
    return findings


def _env_of(path: Path, stack: Stack) -> str:
    """The environment an env file belongs to: env/<name>.env, else the one linted."""
    if path.parent == stack.root / "env" and path.suffix == ".env":
        return path.stem
    return stack.env


def _known(stack: Stack) -> set[str]:
    return {*stack.manifest.secrets, *stack.manifest.app_keys(), *OWN_SECRETS}


def _settings_files(context: Path) -> list[Path]:
    found = []
    for path in sorted(context.rglob("*.py")):
        parts = set(path.relative_to(context).parts)
        if parts & _SKIPPED_DIRS:
            continue
        if path.name.startswith("settings") or "settings" in parts:
            found.append(path)
    return found


def github_gap_fix(stack: Stack, name: str) -> str:
    """The manifest change that lets `secrets.push` deliver `name` to GitHub."""
    environment = (stack.document.get("ci") or {}).get("github_environment", stack.env)
    target = f'{{github = "environment:{environment}"}}'
    push = f"`inv secrets.push --env={stack.env}`"
    tables = stack.document.get("secrets")
    if isinstance(tables, dict) and name in tables:
        return f"add the target {target} to [secrets.{name}] in shipyard.toml, then {push}"
    if name in stack.manifest.secrets:
        return (
            f"add [secrets.{name}] with its kind and the target {target} to "
            f"shipyard.toml, then {push}"
        )
    return (
        f'add [secrets.{name}] with kind = "external" and targets = [{target}] to '
        f"shipyard.toml, store it (`inv secrets.set {name} --env={stack.env}`), "
        f"then {push}"
    )


def unlisted_secrets(stack: Stack) -> list[Finding]:
    """Secrets that workflows or the backend's settings read must be in the manifest;
    those a workflow releasing this environment reads must also go to GitHub."""
    known = _known(stack)
    to_github = {item.name for item in stack.manifest.for_target("github")}
    findings = []
    for ref in secret_references(stack.root, stack.env):
        if ref.name in to_github or stack.ignored(ref.name):
            continue
        listed = ref.name in stack.manifest.secrets
        findings.append(
            Finding(
                "secret-not-in-manifest",
                "error",
                ref.where,
                ref.name,
                f"the workflow reads secret {ref.name}, which the manifest "
                + ("sends to no GitHub target" if listed else "does not list"),
                github_gap_fix(stack, ref.name),
            )
        )
    for path in _settings_files(stack.config.backend.context):
        findings += _settings_reads(stack, path, known)
    return findings


def _settings_reads(stack: Stack, path: Path, known: set[str]) -> list[Finding]:
    """Secret-looking names a settings file reads that no manifest lists."""
    shown = relative(path, stack.root)
    found = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        for name in _READ_NAME.findall(line):
            if not secret_name(name) or name in known or stack.ignored(name):
                continue
            found.append(
                Finding(
                    "secret-not-in-manifest",
                    "warning",
                    f"{shown}:{number}",
                    name,
                    f"the backend reads {name}, which looks like a secret but is in "
                    "no manifest",
                    f"add it to [backend.secrets] (or [secrets.{name}]), or to "
                    "[parity] ignore when it is not a secret",
                )
            )
    return found


def undelivered_secrets(stack: Stack) -> list[Finding]:
    """Every manifest secret must go somewhere, or it is kept for nothing."""
    return [
        Finding(
            "secret-delivered-nowhere",
            "error",
            item.where[0],
            item.name,
            f"secret {item.name} is in the manifest but delivered to no target",
            f"give [secrets.{item.name}] targets (github, koyeb, netlify), or "
            "remove it",
        )
        for item in stack.manifest.secrets.values()
        if not item.targets and not item.delivered_by_rotation
        and not stack.ignored(item.name)
    ]
