"""Wheels for the backend image, downloaded on the host for the image's Python.

The image build then installs them with --no-index, so it needs no network;
a folder that already holds a wheel for every requirement is left as it is.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from shipyard import console
from shipyard.errors import ShipyardError

# Bookworm's C library; wheels built for it or any older manylinux run there.
GLIBC_MINOR = 36
OLDEST_MANYLINUX_MINOR = 17


def download_wheels(
    requirements: Path,
    dest: Path,
    python_version: str = "3.11",
    *,
    arch: str | None = None,
) -> bool:
    """Download wheels for the image's Python into `dest`; True when pip ran.

    The build then installs with --no-index, so it needs no network. Nothing
    is downloaded when every requirement already has a matching wheel there.
    """
    if _wheels_present(requirements, dest):
        return False

    nodot = python_version.replace(".", "")
    argv = [
        sys.executable, "-m", "pip", "download",
        "--disable-pip-version-check", "--no-input", "--only-binary=:all:",
        "--python-version", python_version, "--implementation", "cp",
        "--abi", f"cp{nodot}", "--abi", "abi3", "--abi", "none",
        *_platform_args(arch or platform.machine()),
        "--find-links", str(dest), "--requirement", str(requirements),
    ]  # fmt: skip
    dest.mkdir(parents=True, exist_ok=True)
    console.step(f"downloading wheels for Python {python_version} into {dest}")
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".wheels-") as scratch:
        finished = subprocess.run(
            [*argv, "--dest", scratch], check=False, capture_output=True, text=True
        )
        if finished.returncode != 0:
            lines = [line for line in finished.stderr.splitlines() if line.strip()]
            reason = lines[-1].strip() if lines else f"exit {finished.returncode}"
            raise ShipyardError(
                f"downloading wheels for {requirements} failed: {reason}; "
                "check the pins and that the package index is reachable"
            )
        for wheel in Path(scratch).glob("*.whl"):
            wheel.replace(dest / wheel.name)
    console.done(f"wheels ready in {dest}")
    return True


def _platform_args(machine: str) -> list[str]:
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    tags = [
        f"manylinux_2_{minor}_{arch}"
        for minor in range(GLIBC_MINOR, OLDEST_MANYLINUX_MINOR - 1, -1)
    ]
    tags += [f"manylinux2014_{arch}", f"manylinux2010_{arch}", f"manylinux1_{arch}"]
    return [arg for tag in tags for arg in ("--platform", tag)]


def _wheels_present(requirements: Path, dest: Path) -> bool:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import (
        InvalidWheelFilename,
        canonicalize_name,
        parse_wheel_filename,
    )

    if not requirements.is_file():
        raise ShipyardError(f"{requirements} does not exist: give the requirements")
    found: dict[str, list] = {}
    for wheel in dest.glob("*.whl") if dest.is_dir() else []:
        try:
            name, version, _, _ = parse_wheel_filename(wheel.name)
        except InvalidWheelFilename:
            continue
        found.setdefault(name, []).append(version)

    for line in requirements.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            wanted = Requirement(line)
        except InvalidRequirement as exc:
            raise ShipyardError(f"{requirements}: cannot read {line!r} ({exc})")
        versions = found.get(canonicalize_name(wanted.name), [])
        if not any(wanted.specifier.contains(v, prereleases=True) for v in versions):
            return False
    return True
