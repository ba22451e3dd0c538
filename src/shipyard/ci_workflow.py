"""`.github/workflows/release.yml`: lint, parity, then a release, on pushes to main.

The workflow is rendered as text so it keeps its comments and order: every
action pinned to a commit SHA, read-only repository permissions, one
concurrency group per environment that never cancels a running release, a
GitHub environment for protection rules, and the manifest's secrets handed
to Shipyard's steps only (SECRET_STORE=env). Optional `[ci]` keys of
shipyard.toml: branch, github_environment, python, node, install, runs_on.
"""

from __future__ import annotations

import re
from pathlib import Path

from shipyard.ci_actions import pinned
from shipyard.dockerfile import python_version_of
from shipyard.envfiles import relative
from shipyard.errors import ShipyardError
from shipyard.stack import Stack

OUTPUT = Path(".github/workflows/release.yml")
_SECRET_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PLAIN = re.compile(r"[A-Za-z0-9._/-]+")


def ci_secret_names(stack: Stack) -> list[str]:
    """Secrets the release needs in CI: Shipyard's tokens and the manifest's."""
    names = set(stack.config.secret_names) | set(stack.manifest.names())
    if stack.frontend is not None:
        names.add("NETLIFY_AUTH_TOKEN")
    names.add("SHIPYARD_FINGERPRINT_KEY")
    if stack.config["S3_BUCKET"]:
        # The lock, the ledger and the pre-release backup live in the bucket.
        names.update({"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"})
    for name in names:
        if not _SECRET_NAME.fullmatch(name) or name.upper().startswith("GITHUB_"):
            raise ShipyardError(
                f"secret {name} cannot be a GitHub Actions secret name: rename it in "
                "shipyard.toml (letters, digits, underscores; not GITHUB_*)"
            )
    return sorted(names)


def github_gaps(stack: Stack) -> list[str]:
    """The workflow's secrets the manifest sends to no GitHub target, which
    `secrets.push` therefore cannot deliver until the manifest names them."""
    pushed = {item.name for item in stack.manifest.for_target("github")}
    return [n for n in ci_secret_names(stack) if n not in pushed and not stack.ignored(n)]


def _option(stack: Stack, key: str, default: str) -> str:
    value = str((stack.document.get("ci") or {}).get(key, default))
    if key != "install" and not _PLAIN.fullmatch(value):
        raise ShipyardError(
            f"shipyard.toml [ci] {key} = {value!r}: use letters, "
            "digits and . _ / - only"
        )
    return value


def _python_version(stack: Stack) -> str:
    from shipyard.parity_runtime import base_image

    found = base_image(stack)
    version = python_version_of(found[0]) if found else None
    default = f"{version[0]}.{version[1]}" if version else "3.11"
    return _option(stack, "python", default)


def _node_lines(stack: Stack) -> list[str]:
    """The setup-node step, pointed at the frontend's .nvmrc when it has one."""
    if stack.frontend is None:
        return []
    nvmrc = stack.frontend.context / ".nvmrc"
    if nvmrc.is_file() and "node" not in (stack.document.get("ci") or {}):
        option = f"node-version-file: {relative(nvmrc, stack.root)}"
    else:
        option = f'node-version: "{_option(stack, "node", "20")}"'
    return [
        "      - name: set up Node",
        f"        uses: {pinned('actions/setup-node').uses()}",
        "        with:",
        f"          {option}",
    ]


def _grouped(title: str, command: str, after: str = "") -> list[str]:
    """A run block whose output is folded into one group of the log."""
    lines = [
        "        run: |",
        f'          echo "::group::{title}"',
        "          status=0",
        f"          {command} || status=$?",
        '          echo "::endgroup::"',
    ]
    if after:
        lines.append(f"          {after}")
    return [*lines, '          exit "$status"']


def render_workflow(stack: Stack) -> str:
    """The workflow's text for `stack`'s environment (pure: nothing is written)."""
    env = stack.env
    if not _PLAIN.fullmatch(env):
        raise ShipyardError(
            f"environment name {env!r} cannot name a CI concurrency "
            "group: use letters, digits and . _ / -"
        )
    branch = _option(stack, "branch", "main")
    environment = _option(stack, "github_environment", env)
    secrets = [f"          {n}: ${{{{ secrets.{n} }}}}" for n in ci_secret_names(stack)]
    install = _option(stack, "install", "python -m pip install -e .")
    lines = [
        "# Written by `inv ci.workflow`; change shipyard.toml and run it again rather",
        "# than editing here. Actions are pinned to full commit SHAs (the version is",
        "# the trailing comment).",
        f"name: release {env}",
        "",
        "on:",
        "  push:",
        "    branches:",
        f"      - {branch}",
        "",
        "permissions:",
        "  contents: read",
        "",
        "concurrency:",
        f"  group: shipyard-release-{env}",
        "  cancel-in-progress: false",
        "",
        "defaults:",
        "  run:",
        "    shell: bash",
        "",
        "jobs:",
        "  release:",
        f"    name: release {env}",
        f"    runs-on: {_option(stack, 'runs_on', 'ubuntu-latest')}",
        f"    environment: {environment}",
        "    timeout-minutes: 60",
        "    env:",
        "      SECRET_STORE: env",
        '      PYTHONUNBUFFERED: "1"',
        "    steps:",
        "      - name: check out",
        f"        uses: {pinned('actions/checkout').uses()}",
        "        with:",
        "          persist-credentials: false",
        "      - name: set up Python",
        f"        uses: {pinned('actions/setup-python').uses()}",
        "        with:",
        f'          python-version: "{_python_version(stack)}"',
        *_node_lines(stack),
        "      - name: install Shipyard",
        "        run: |",
        f"          {install}",
        "      - name: lint",
        *_grouped(
            f"inv lint --env={env}",
            f'inv lint --env={env} --summary-file "$GITHUB_STEP_SUMMARY"',
        ),
        "      - name: parity",
        "        env:",
        *secrets,
        *_grouped(
            f"inv parity --env={env}",
            f"inv parity --env={env} --against=none "
            '--summary-file "$GITHUB_STEP_SUMMARY"',
        ),
        "      - name: release",
        "        env:",
        *secrets,
        *_grouped(
            f"inv release --env={env}",
            f'inv release --env={env} --json > "$RUNNER_TEMP/release.json"',
            'python -m shipyard.ci_summary "$RUNNER_TEMP/release.json" '
            '>> "$GITHUB_STEP_SUMMARY"',
        ),
    ]
    return "\n".join(lines) + "\n"


def write_workflow(stack: Stack, output: Path | None = None) -> Path:
    """Write the workflow under the project root; the path written."""
    path = stack.root / (output or OUTPUT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_workflow(stack), encoding="utf-8")
    return path
