"""What the steps of a release share: the config, the secret store and the clients.

Clients are made on first use, so a plan can be printed without any of them
and a resumed run in a new process builds its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipyard.config import Config
from shipyard.secrets.store import SecretStore, open_store, require
from shipyard.steps import Context


@dataclass
class ReleaseInputs:
    """The release being made: which commit, under which tag and id."""

    git_sha: str
    tag: str
    release_id: str
    allow_dirty: bool = False
    image_ref: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def make_context(config: Config, inputs: ReleaseInputs) -> Context:
    """A pipeline context carrying the config, the inputs and the secret store."""
    store = open_store(config["SECRET_STORE"], config.project, config.env)
    return Context(env=config.env, data={"config": config, "inputs": inputs,
                                         "store": store})


def config_of(ctx: Context) -> Config:
    return ctx.data["config"]


def inputs_of(ctx: Context) -> ReleaseInputs:
    return ctx.data["inputs"]


def store_of(ctx: Context) -> SecretStore:
    return ctx.data["store"]


def koyeb(ctx: Context):  # type: ignore[no-untyped-def]
    """The Koyeb client of this run, made once with the environment's token."""
    if "koyeb" not in ctx.data:
        from shipyard.providers.koyeb import KoyebClient

        config = config_of(ctx)
        token = require(store_of(ctx), "KOYEB_TOKEN", config.env)
        ctx.data["koyeb"] = KoyebClient(config["KOYEB_API_URL"], token)
    return ctx.data["koyeb"]


def registry_credentials(ctx: Context):  # type: ignore[no-untyped-def]
    """(username, password) for the registry, or None when it needs no login."""
    config = config_of(ctx)
    username = config["REGISTRY_USERNAME"]
    if not username:
        return None
    return username, require(store_of(ctx), "REGISTRY_PASSWORD", config.env)


def close(ctx: Context) -> None:
    """Close the clients this run opened."""
    client = ctx.data.pop("koyeb", None)
    if client is not None:
        client.close()
