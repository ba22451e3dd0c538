"""The sandbox's own Python base image, made from Debian packages, not Docker Hub.

Docker Hub may be out of reach, so the sandbox bootstraps Debian bookworm with
python3 into a tarball once, imports it into the engine, and builds the
backend on it with wheels downloaded on the host.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.sandbox.wheels import download_wheels

if TYPE_CHECKING:
    import docker

__all__ = ["BASE_IMAGE", "default_cache_dir", "download_wheels", "ensure_base_image"]

BASE_IMAGE = "shipyard/base-python:bookworm"
SUITE = "bookworm"
DEFAULT_MIRROR = "http://deb.debian.org/debian"
ROOTFS_TARBALL = "base-rootfs.tar"
BOOTSTRAP_TIMEOUT = 900

IMAGE_CHANGES = [
    "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "ENV LANG=C.UTF-8",
    'CMD ["python3"]',
    "LABEL org.opencontainers.image.title=shipyard-base-python",
    'LABEL org.opencontainers.image.description="Debian bookworm with python3"',
]


def default_cache_dir() -> Path:
    """Where slow-to-make artefacts are kept between runs: ~/.cache/shipyard."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "shipyard"


def ensure_base_image(
    client: docker.DockerClient | None = None,
    *,
    cache_dir: Path | None = None,
    mirror: str | None = None,
    tag: str = BASE_IMAGE,
) -> str:
    """Make sure the engine has the sandbox base image and return its tag.

    Returns at once when the image exists; imports the cached rootfs tarball
    when there is one; otherwise bootstraps Debian first (about a minute).
    """
    from shipyard.providers.docker_engine import engine_client

    client = client or engine_client(timeout=600)
    if _has_image(client, tag):
        return tag

    cache = cache_dir or default_cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "base-image.lock").open("w") as lock:
        # Another Shipyard process may be making the same image right now.
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _has_image(client, tag):
            return tag
        tarball = cache / ROOTFS_TARBALL
        if not tarball.is_file():
            bootstrap_rootfs(tarball, mirror or debian_mirror())
        _import(client, tarball, tag)
    return tag


def _has_image(client: docker.DockerClient, tag: str) -> bool:
    import docker

    try:
        client.images.get(tag)
    except docker.errors.ImageNotFound:
        return False
    return True


def debian_mirror() -> str:
    """The Debian mirror to bootstrap from: DEBIAN_MIRROR, else the machine's own.

    The machine's apt sources already point at a mirror it can reach, so that
    one is preferred over the public default.
    """
    forced = os.environ.get("DEBIAN_MIRROR", "").strip()
    if forced:
        return forced
    return _apt_mirror(Path("/etc/apt")) or DEFAULT_MIRROR


def _apt_mirror(apt_dir: Path) -> str | None:
    files = [apt_dir / "sources.list", *sorted(apt_dir.glob("sources.list.d/*"))]
    for path in files:
        try:
            text = path.read_text()
        except OSError:
            continue
        for line in text.splitlines():
            words = line.split("#", 1)[0].split()
            if path.suffix == ".sources" and words[:1] == ["URIs:"]:
                uris = words[1:]
            elif words[:1] == ["deb"]:
                uris = [word for word in words[1:] if "://" in word][:1]
            else:
                continue
            for uri in uris:
                if uri.rstrip("/").endswith("/debian"):
                    return uri.rstrip("/")
    return None


def bootstrap_rootfs(tarball: Path, mirror: str) -> None:
    """Bootstrap a minimal bookworm with python3 and pack it as `tarball`."""
    if shutil.which("debootstrap") is None:
        raise ShipyardError(
            "debootstrap is not installed: apt-get install debootstrap "
            f"(it makes the sandbox base image {BASE_IMAGE})"
        )
    if os.geteuid() != 0:
        raise ShipyardError(
            "making the sandbox base image runs debootstrap, which needs root: "
            f"run this once as root, or place a rootfs tarball at {tarball}"
        )

    tarball.parent.mkdir(parents=True, exist_ok=True)
    rootfs = tarball.parent / "base-rootfs.partial"
    log = tarball.parent / "debootstrap.log"
    _remove_tree(rootfs)
    console.step(f"bootstrapping Debian {SUITE} with python3 from {mirror}")
    argv = [
        "debootstrap",
        "--variant=minbase",
        "--include=python3,python3-venv",
        SUITE,
        str(rootfs),
        mirror,
    ]
    with log.open("wb") as out:
        finished = subprocess.run(
            argv,
            check=False,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=BOOTSTRAP_TIMEOUT,
        )
    if finished.returncode != 0:
        _remove_tree(rootfs)
        raise ShipyardError(
            f"debootstrap of {SUITE} from {mirror} failed ({_last_line(log)}): "
            f"check the mirror (DEBIAN_MIRROR); full log in {log}"
        )

    _pack(rootfs, tarball)
    _remove_tree(rootfs)
    console.done(f"base rootfs cached at {tarball}")


def _pack(rootfs: Path, tarball: Path) -> None:
    _slim(rootfs)
    partial = tarball.with_suffix(".tar.partial")
    subprocess.run(
        ["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(partial), "."],
        check=True,
    )
    partial.replace(tarball)


def _slim(rootfs: Path) -> None:
    """Drop what an app image never reads (package lists, docs, translations).

    About half the size goes, so imports and pushes are quicker. An image
    that needs more packages runs `apt-get update` first, as on any slim
    Debian image; copyright notices stay.
    """
    doomed = [
        *(rootfs / "var/cache/apt").glob("*.bin"),
        *(rootfs / "var/cache/apt/archives").glob("*.deb"),
        *(rootfs / "var/lib/apt/lists").glob("*_*"),
        *(rootfs / "usr/share/man").glob("*"),
        *(rootfs / "usr/share/info").glob("*"),
        *(rootfs / "usr/share/locale").glob("*"),
    ]
    for package in (rootfs / "usr/share/doc").glob("*"):
        if package.is_dir() and not package.is_symlink():
            doomed += [item for item in package.glob("*") if item.name != "copyright"]
    for path in doomed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()


def _import(client: docker.DockerClient, tarball: Path, tag: str) -> None:
    import json

    import docker

    console.step(f"importing {tarball} into the Docker engine as {tag}")
    repository, _, version = tag.rpartition(":")
    try:
        answer = client.api.import_image_from_file(
            str(tarball), repository=repository, tag=version, changes=IMAGE_CHANGES
        )
    except docker.errors.APIError as exc:
        raise ShipyardError(
            f"the Docker engine refused {tarball} as {tag}: "
            f"{exc.explanation or exc}; delete the tarball to bootstrap it again"
        ) from None
    for line in str(answer).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("error"):
            raise ShipyardError(
                f"the Docker engine refused {tarball} as {tag}: "
                f"{message['error']}; delete the tarball to bootstrap it again"
            )
    console.done(f"base image {tag} ready")


def _remove_tree(path: Path) -> None:
    """Delete `path`, first unmounting what a failed debootstrap left mounted."""
    if not path.exists():
        return
    prefix = str(path.resolve())
    with open("/proc/self/mounts") as mounts:
        points = [line.split()[1] for line in mounts]
    inside = [point for point in points if point.startswith(prefix + "/")]
    for point in sorted(inside, key=len, reverse=True):
        subprocess.run(["umount", "--lazy", point], check=False)
    shutil.rmtree(path)


def _last_line(log: Path) -> str:
    lines = [line for line in log.read_text(errors="replace").splitlines() if line]
    return lines[-1].strip() if lines else "no output"
