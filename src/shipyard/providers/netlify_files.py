"""The files of a Netlify publish folder: which ones deploy, their SHA1s, their URLs.

Netlify's file-digest deploy names every file by its path and the SHA1 of its
content; these helpers decide both the way Netlify's own tools do.
"""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from shipyard.errors import ShipyardError

# Dot-folders are private (.git, .next, .netlify) except this one, which
# standards such as ACME and security.txt expect to be served.
_SERVED_DOT_FOLDERS = frozenset({".well-known"})
_CHUNK = 1 << 20


@dataclass(frozen=True)
class LocalFile:
    """One file to deploy: its deploy path (no leading slash), disk path, digest."""

    key: str
    path: Path
    sha1: str
    size: int


def scan_folder(folder: Path | str) -> list[LocalFile]:
    """Every deployable file under `folder`, hashed, sorted by deploy path.

    Raises ShipyardError naming the first file whose name Netlify cannot
    serve ("#" or "?" in it), before anything is hashed or sent.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ShipyardError(f"publish folder {root} does not exist or is no folder")

    found = sorted(_walk(root), key=lambda item: item[0])
    for key, _ in found:
        if "#" in key or "?" in key:
            raise ShipyardError(
                f"cannot deploy {root / key}: Netlify file names may not contain "
                "'#' or '?'; rename the file"
            )
    return [_hashed(key, path) for key, path in found]


def digest_folder(folder: Path | str) -> dict[str, str]:
    """The deploy manifest of `folder`: deploy path → SHA1 of the file's bytes.

    Paths use "/" separators, have no leading slash and are Unicode
    NFC-normalised, so the same folder digests alike on every system.
    """
    return {item.key: item.sha1 for item in scan_folder(folder)}


def check_publish_folder(folder: Path | str) -> None:
    """Refuse a folder that is no static site export, before anything is sent.

    A Next.js build folder (`.next`) is the usual mistake: it has no
    index.html because it is the server build, not the static export.
    """
    root = Path(folder)
    if not root.is_dir():
        raise ShipyardError(f"publish folder {root} does not exist or is no folder")
    if (root / "index.html").is_file():
        return
    hint = ""
    if root.name == ".next" or (root / "BUILD_ID").is_file():
        hint = " (this is a Next.js server build)"
    raise ShipyardError(
        f"publish folder {root} has no index.html{hint}: set output: 'export' in "
        "next.config and publish the `out` folder"
    )


def upload_url_path(key: str) -> str:
    """The URL path segment for uploading `key`, each path segment percent-encoded."""
    return "/".join(quote(segment, safe="") for segment in key.split("/"))


def _walk(root: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = [
            name
            for name in subfolders
            if not name.startswith(".") or name in _SERVED_DOT_FOLDERS
        ]
        here = Path(folder)
        for name in names:
            if name.startswith("."):
                continue
            path = here / name
            if not path.is_file():
                continue
            relative = path.relative_to(root).as_posix()
            found.append((unicodedata.normalize("NFC", relative), path))
    return found


def _hashed(key: str, path: Path) -> LocalFile:
    digest = hashlib.sha1()
    size = 0
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return LocalFile(key=key, path=path, sha1=digest.hexdigest(), size=size)
