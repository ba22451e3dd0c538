"""The sandbox registry's life cycle, and the one-line reasons given when the
engine or a registry does not answer."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from shipyard.errors import ShipyardError
from shipyard.providers.docker_engine import engine_available
from shipyard.providers.registry import image_ref, registry_reachable, registry_url
from shipyard.sandbox.processes import free_port
from shipyard.sandbox.registry import registry_status, start_registry, stop_registry

pytestmark = pytest.mark.integration


def test_registry_restarts_on_its_earlier_port_and_stop_ends_its_pid(
    tmp_path: Path,
) -> None:
    first = start_registry(tmp_path)
    try:
        assert httpx.get(f"{first.url}/v2/").status_code == 200
        assert (tmp_path / "registry.pid").read_text().strip() == str(first.pid)
        assert (tmp_path / "registry.port").read_text().strip() == str(first.port)
        assert (tmp_path / "config.yml").is_file()
        assert start_registry(tmp_path) == first
        assert registry_status(tmp_path).running
        assert registry_reachable(first.address) is None
    finally:
        assert stop_registry(tmp_path)

    assert not _alive(first.pid)
    assert not registry_status(tmp_path).running
    assert not stop_registry(tmp_path)

    second = start_registry(tmp_path)
    try:
        assert second.port == first.port
        assert second.pid != first.pid
    finally:
        stop_registry(tmp_path)


def test_stop_leaves_alone_a_process_that_took_over_a_stale_pid(
    tmp_path: Path,
) -> None:
    stranger = subprocess.Popen(["sleep", "30"])
    try:
        (tmp_path / "registry.pid").write_text(str(stranger.pid))
        assert not stop_registry(tmp_path)
        assert stranger.poll() is None
        assert not (tmp_path / "registry.pid").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_registry_start_on_a_taken_port_names_the_port(tmp_path: Path) -> None:
    running = start_registry(tmp_path / "one")
    try:
        with pytest.raises(ShipyardError, match=f"port {running.port} .* is taken"):
            start_registry(tmp_path / "two", port=running.port)
    finally:
        stop_registry(tmp_path / "one")


def test_unanswering_registry_is_reported_in_one_line() -> None:
    address = f"127.0.0.1:{free_port()}"
    reason = registry_reachable(address)
    assert reason is not None and "\n" not in reason
    assert reason.startswith(f"no registry answers at http://{address}/v2/")


def test_unanswering_engine_is_reported_with_its_address(tmp_path: Path) -> None:
    socket = f"unix://{tmp_path}/docker.sock"
    assert engine_available(socket) == (
        f"no Docker engine answers at {socket}: start dockerd"
    )
    assert engine_available() is None


def test_registry_urls_use_plain_http_only_on_loopback() -> None:
    assert registry_url("127.0.0.1:5000") == "http://127.0.0.1:5000"
    assert registry_url("localhost:5000") == "http://localhost:5000"
    assert registry_url("ghcr.io") == "https://ghcr.io"
    assert registry_url("docker.io") == "https://registry-1.docker.io"


def test_image_refs_name_a_digest_never_a_tag() -> None:
    digest = "sha256:" + "a" * 64
    assert (
        image_ref("127.0.0.1:5000", "demo", digest) == f"127.0.0.1:5000/demo@{digest}"
    )
    with pytest.raises(ShipyardError, match="not an image digest"):
        image_ref("127.0.0.1:5000", "demo", "latest")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
