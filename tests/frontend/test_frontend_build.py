"""Building a frontend with real npm and node: what is installed, rebuilt, passed
in and refused. A tiny app without dependencies stands for the Next.js one, so
these run in seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shipyard import config as config_module
from shipyard.errors import ShipyardError
from shipyard.frontend_build import build_frontend

ROOT = Path(__file__).resolve().parents[2]
API = "http://127.0.0.1:9/backend"

BUILD_JS = """
const fs = require('fs');
fs.appendFileSync(process.env.BUILD_COUNT_FILE, 'built\\n');
if (fs.existsSync('broken')) {
  console.log('Creating an optimized production build ...');
  console.error("Error: Cannot find module './missing-page'");
  process.exit(1);
}
const publish = process.env.PUBLISH_ONLY_SERVER_BUILD ? '.next' : 'out';
fs.mkdirSync(publish, { recursive: true });
const seen = Object.keys(process.env).filter((k) => k.startsWith('NEXT_PUBLIC_'));
if (publish === '.next') {
  fs.writeFileSync('.next/BUILD_ID', 'abc');
} else {
  fs.writeFileSync('out/index.html', JSON.stringify(
    Object.fromEntries(seen.sort().map((k) => [k, process.env[k]]))));
}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example's configuration with a dependency-free app in web/."""
    shutil_copy(ROOT / "shipyard.toml", tmp_path / "shipyard.toml")
    toml = tmp_path / "shipyard.toml"
    toml.write_text(toml.read_text().replace('folder = "examples/frontend"',
                                             'folder = "web"'))
    (tmp_path / "env").mkdir()
    for env_file in (ROOT / "env").glob("*.env"):
        shutil_copy(env_file, tmp_path / "env" / env_file.name)
    (tmp_path / "examples" / "backend").mkdir(parents=True)
    web = tmp_path / "web"
    web.mkdir()
    package = {"name": "tiny", "version": "1.0.0", "private": True,
               "scripts": {"build": "node build.js"}}
    (web / "package.json").write_text(json.dumps(package))
    (web / "package-lock.json").write_text(json.dumps({
        "name": "tiny", "version": "1.0.0", "lockfileVersion": 3, "requires": True,
        "packages": {"": {"name": "tiny", "version": "1.0.0"}},
    }))
    (web / "build.js").write_text(BUILD_JS)
    monkeypatch.setenv("BUILD_COUNT_FILE", str(tmp_path / "builds.txt"))
    monkeypatch.setenv("NEXT_PUBLIC_STRAY", "from-the-shell")
    monkeypatch.delenv("NEXT_PUBLIC_ENVIRONMENT", raising=False)
    return tmp_path


def shutil_copy(source: Path, target: Path) -> None:
    target.write_bytes(source.read_bytes())


def build(project: Path, api: str = API, **env: str):  # type: ignore[no-untyped-def]
    lines: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        config = config_module.load("sandbox", root=project)
        result = build_frontend(config, api, lines.append)
    return result, lines


def builds(project: Path) -> int:
    counted = project / "builds.txt"
    return len(counted.read_text().splitlines()) if counted.exists() else 0


def test_build_gets_the_backend_url_and_only_the_configured_public_values(
    project: Path,
) -> None:
    result, _ = build(project)

    given = json.loads((project / "web/out/index.html").read_text())
    assert given == {"NEXT_PUBLIC_API_URL": API,
                     "NEXT_PUBLIC_ENVIRONMENT": "sandbox"}
    assert result.files == 1 and result.api_url == API


def test_unchanged_lock_and_inputs_skip_npm_ci_and_the_build(project: Path) -> None:
    first, _ = build(project)
    second, lines = build(project)

    assert (first.installed, first.reused) == (True, False)
    assert (second.installed, second.reused) == (False, True)
    assert "node_modules matches package-lock.json: npm ci skipped" in lines
    assert builds(project) == 1


def test_changed_source_or_backend_url_or_lock_builds_again(project: Path) -> None:
    build(project)
    (project / "web/page.js").write_text("export default 1;\n")
    build(project)
    build(project, api="http://127.0.0.1:10/other")
    lock = project / "web/package-lock.json"
    lock.write_text(lock.read_text().replace('"1.0.0"', '"1.0.1"', 1))
    again, _ = build(project, api="http://127.0.0.1:10/other")

    assert builds(project) == 4
    assert again.installed is True and again.reused is False


def test_failed_build_is_one_line_naming_the_error(project: Path) -> None:
    (project / "web/broken").write_text("")

    with pytest.raises(ShipyardError) as failure:
        build(project)

    message = str(failure.value)
    assert "\n" not in message
    assert "npm run build" in message and "exit 1" in message
    assert "Cannot find module './missing-page'" in message


def test_server_build_folder_is_refused_with_what_to_change(project: Path) -> None:
    toml = project / "shipyard.toml"
    toml.write_text(toml.read_text().replace('publish = "out"', 'publish = ".next"'))

    with pytest.raises(ShipyardError) as failure:
        build(project, PUBLISH_ONLY_SERVER_BUILD="1")

    message = str(failure.value)
    assert "has no index.html (this is a Next.js server build)" in message
    assert "output: 'export'" in message and "`out` folder" in message
