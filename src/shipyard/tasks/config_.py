"""`inv config`: show the resolved configuration of an environment."""

from __future__ import annotations

from invoke import task

from shipyard import console
from shipyard.tasks.common import ENV_HELP, JSON_HELP, guarded, load_config


@task(help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def config(c, env="", json=False):
    """Print the resolved configuration, with where each value came from."""
    from shipyard.secrets.store import open_store

    resolved = load_config(env)
    store = open_store(resolved["SECRET_STORE"], resolved.project, env)
    described = resolved.describe()
    described["secrets"] = {
        name: _secret_state(store, name) for name in resolved.secret_names
    }
    if json:
        console.emit_json(described)
        return
    rows = [
        [key, entry["value"], entry["from"]]
        for key, entry in described["settings"].items()
    ]
    console.table(f"{resolved.project} · {env}", ["setting", "value", "from"], rows)
    backend = described["backend"]
    console.table(
        "backend",
        ["key", "value"],
        [[k, v] for k, v in backend.items() if not isinstance(v, dict)]
        + [[f"env {k}", v] for k, v in backend["env"].items()]
        + [[f"secret {k}", f"from store: {v}"] for k, v in backend["secrets"].items()],
    )
    console.table(
        "secrets",
        ["name", "state"],
        [[name, state] for name, state in described["secrets"].items()],
    )


def _secret_state(store, name: str) -> str:
    """Whether the store holds `name`, without ever showing its value."""
    from shipyard.errors import ShipyardError

    try:
        return "set (****)" if store.get(name) else "missing"
    except ShipyardError as problem:
        return f"unknown: {problem}"
