"""Wheels for the image's Python come from the host's pip, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from shipyard.sandbox.wheels import download_wheels

pytestmark = pytest.mark.integration


def test_download_is_skipped_when_every_requirement_has_a_wheel(tmp_path: Path) -> None:
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# pinned\nshipyard-test-only==1.4.0\nother_pkg[extra]>=2\n"
    )
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "shipyard_test_only-1.4.0-py3-none-any.whl").write_bytes(b"")
    (wheels / "other_pkg-2.1-cp311-cp311-manylinux_2_17_x86_64.whl").write_bytes(b"")

    assert download_wheels(requirements, wheels) is False


def test_example_wheels_fit_the_base_image_python(backend_context: Path) -> None:
    names = [wheel.name for wheel in (backend_context / "wheels").glob("*.whl")]
    assert any(name.startswith("django-5.") for name in names)
    binary = [name for name in names if name.startswith("psycopg_binary-")]
    assert binary and "-cp311-cp311-manylinux" in binary[0]
    assert download_wheels(backend_context / "requirements.txt",
                           backend_context / "wheels") is False  # fmt: skip
