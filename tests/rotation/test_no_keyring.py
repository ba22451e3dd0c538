"""On a headless machine with no keyring, the secrets tasks say so and stop."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.release.project import PORTS, Project, make_project
from tests.rotation.conftest import HERE
from tests.rotation.world import without_manifest


@pytest.fixture
def headless(tmp_path: Path) -> Iterator[Project]:
    root = Path(tempfile.mkdtemp(prefix="shipyard-headless-"))
    project = make_project(root, {name: 1 for name in PORTS})
    toml = root / "shipyard.toml"
    manifest = (HERE / "manifest.toml").read_text()
    toml.write_text(without_manifest(toml.read_text()) + manifest)
    shutil.copy(HERE / "tasks_shim.py", root / "tasks.py")
    runtime, home = tmp_path / "run", tmp_path / "home"
    runtime.mkdir(mode=0o700)
    home.mkdir()
    for key in ("DBUS_SESSION_BUS_ADDRESS", "GNOME_KEYRING_CONTROL",
                "PYTHON_KEYRING_BACKEND", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        project.env.pop(key, None)
    project.env.update(SECRET_STORE="keyring", XDG_RUNTIME_DIR=str(runtime),
                       HOME=str(home))
    yield project
    shutil.rmtree(root, ignore_errors=True)


@pytest.mark.parametrize("task", [("secrets.list",), ("secrets.set", "PAYMENT_API_KEY",
                                                      "--from-stdin")])
def test_no_keyring_gives_one_line_saying_how_to_fix_it(
    headless: Project, task: tuple[str, ...]
) -> None:
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-m", "invoke", *task, "--env=sandbox"],
                         cwd=headless.root, env=headless.env, input="pay_value_1\n",
                         capture_output=True, text=True, timeout=60, check=False)

    assert run.returncode != 0
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert lines[0].startswith("error: no usable OS keyring here")
    assert "SECRET_STORE=env" in lines[0]
    assert "Traceback" not in run.stderr
    home = Path(headless.env["HOME"])
    written = [p for folder in (home, headless.root / ".shipyard")
               for p in folder.rglob("*") if p.is_file()]
    assert not [p for p in written if "keyring" in p.name or "secret" in p.name]


def test_rotate_dry_run_prints_the_four_steps_without_touching_any_store(
    headless: Project,
) -> None:
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "invoke", "rotate", "--env=sandbox",
         "--secret=DATABASE_PASSWORD", "--dry-run", "--json"],
        cwd=headless.root, env=headless.env, capture_output=True, text=True,
        timeout=60, check=False,
    )

    assert run.returncode == 0, run.stderr
    plan = json.loads(run.stdout)
    assert plan["plan"]["plan"] == "rotate"
    assert plan["plan"]["release_id"] == "DATABASE_PASSWORD"
    assert [s["step"] for s in plan["steps"]] == [
        "create_pending", "set_pending", "test_pending", "finish"]
    assert "redeploy the backend" in plan["steps"][1]["description"]
    assert [s["undo"] for s in plan["steps"]] == [True, True, False, False]
