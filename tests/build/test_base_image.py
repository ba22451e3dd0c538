"""The sandbox base image is made once: an existing image is kept, a cached
rootfs tarball is imported without bootstrapping, and a failed bootstrap
names its mirror and leaves nothing half-made."""

from __future__ import annotations

import io
import secrets
import tarfile
from pathlib import Path
from typing import Any

import pytest

from shipyard.errors import ShipyardError
from shipyard.sandbox.baseimage import (
    ROOTFS_TARBALL,
    bootstrap_rootfs,
    debian_mirror,
    ensure_base_image,
)
from shipyard.sandbox.processes import free_port

pytestmark = pytest.mark.integration


def _unreachable_mirror() -> str:
    return f"http://127.0.0.1:{free_port()}/debian"


def _tiny_rootfs(path: Path) -> None:
    payload = b"shipyard test rootfs\n"
    with tarfile.open(path, "w") as archive:
        entry = tarfile.TarInfo("etc/shipyard-test")
        entry.size = len(payload)
        archive.addfile(entry, io.BytesIO(payload))


def test_cached_rootfs_is_imported_without_bootstrapping(
    engine: Any, tmp_path: Path
) -> None:
    _tiny_rootfs(tmp_path / ROOTFS_TARBALL)
    tag = f"shipyard/base-python-test:{secrets.token_hex(4)}"

    made = ensure_base_image(
        engine, cache_dir=tmp_path, mirror=_unreachable_mirror(), tag=tag
    )

    try:
        assert made == tag
        config = engine.images.get(tag).attrs["Config"]
        assert config["Cmd"] == ["python3"]
        assert "LANG=C.UTF-8" in config["Env"]
        assert not (tmp_path / "debootstrap.log").exists()
    finally:
        engine.images.remove(tag)


def test_existing_base_image_is_returned_at_once(
    engine: Any, base_image: str, tmp_path: Path
) -> None:
    before = engine.images.get(base_image).id

    made = ensure_base_image(engine, cache_dir=tmp_path, mirror=_unreachable_mirror())

    assert made == base_image
    assert engine.images.get(base_image).id == before
    assert list(tmp_path.iterdir()) == []


def test_failed_bootstrap_names_the_mirror_and_leaves_no_tarball(
    tmp_path: Path,
) -> None:
    mirror = _unreachable_mirror()
    tarball = tmp_path / ROOTFS_TARBALL

    with pytest.raises(ShipyardError) as raised:
        bootstrap_rootfs(tarball, mirror)

    message = str(raised.value)
    assert "\n" not in message
    assert f"debootstrap of bookworm from {mirror} failed" in message
    assert not tarball.exists()
    assert not (tmp_path / "base-rootfs.partial").exists()
    assert (tmp_path / "debootstrap.log").is_file()


def test_mirror_comes_from_the_environment_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DEBIAN_MIRROR", "http://127.0.0.1:3142/debian")
    assert debian_mirror() == "http://127.0.0.1:3142/debian"
    monkeypatch.delenv("DEBIAN_MIRROR")
    assert debian_mirror().startswith(("http://", "https://"))
