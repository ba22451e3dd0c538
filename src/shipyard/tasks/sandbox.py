"""`inv sandbox.up`, `sandbox.down`, `sandbox.status`: the offline stand-ins."""

from __future__ import annotations

from invoke import Collection, task

from shipyard import console
from shipyard.tasks.common import JSON_HELP, guarded, load_config


def _show(components, json: bool) -> None:  # type: ignore[no-untyped-def]
    if json:
        return console.emit_json([c.__dict__ for c in components])
    rows = [[c.name, "running" if c.running else "stopped", c.pid or "", c.address,
             c.detail] for c in components]
    console.table("sandbox", ["component", "state", "pid", "address", "detail"], rows)


@task(help={"json": JSON_HELP})
@guarded
def up(c, json=False):
    """Start the registry, PostgreSQL, S3 and the Koyeb, Netlify and GitHub
    stand-ins on loopback."""
    from shipyard.sandbox import launcher

    _show(launcher.up(load_config("sandbox")), json)


@task(help={"purge": "also delete the sandbox's data (images, database, state)"})
@guarded
def down(c, purge=False):
    """Stop every stand-in and remove the containers they ran."""
    from shipyard.sandbox import launcher

    launcher.down(load_config("sandbox"), purge=purge)


@task(help={"json": JSON_HELP})
@guarded
def status(c, json=False):
    """Show which stand-ins run, with pids and addresses."""
    from shipyard.sandbox import launcher

    _show(launcher.status(load_config("sandbox")), json)


sandbox = Collection("sandbox", up, down, status)
