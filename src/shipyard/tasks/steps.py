"""`inv build.backend`, `inv push.backend`, `inv deploy.backend`: one release step each."""

from __future__ import annotations

from invoke import Collection, task

from shipyard import console
from shipyard.tasks.common import ENV_HELP, JSON_HELP, guarded, load_config


def _context(env: str, allow_dirty: bool):  # type: ignore[no-untyped-def]
    from shipyard import release as flow
    from shipyard.release_context import make_context

    config = load_config(env)
    inputs = flow.new_inputs(config, allow_dirty=allow_dirty)
    return make_context(config, inputs)


@task(name="backend", help={"env": ENV_HELP, "allow_dirty": "build uncommitted work",
                            "json": JSON_HELP})
@guarded
def build_backend(c, env="", allow_dirty=False, json=False):
    """Build the backend image, tagged by git SHA, with OCI labels."""
    from shipyard import backend_steps

    facts = backend_steps.build(_context(env, allow_dirty))
    if json:
        console.emit_json(facts)


@task(name="backend", help={"env": ENV_HELP, "allow_dirty": "push uncommitted work",
                            "json": JSON_HELP})
@guarded
def push_backend(c, env="", allow_dirty=False, json=False):
    """Push the backend image built for this commit; prints its digest."""
    from shipyard import backend_steps

    facts = backend_steps.push(_context(env, allow_dirty))
    if json:
        console.emit_json(facts)


@task(name="backend", help={"env": ENV_HELP, "image": "image by digest to deploy "
                            "(registry/repo@sha256:…)", "json": JSON_HELP})
@guarded
def deploy_backend(c, env="", image="", json=False):
    """Deploy an image (by digest) to Koyeb and wait until it is healthy."""
    from shipyard import backend_steps
    from shipyard.errors import ShipyardError
    from shipyard.release_context import close

    if "@sha256:" not in image:
        raise ShipyardError("pass --image=registry/repository@sha256:… (deploys are "
                            "by digest; `inv push.backend` prints it)")
    ctx = _context(env, allow_dirty=True)
    ctx.data["inputs"].image_ref = image
    try:
        ctx.facts["deploy"] = backend_steps.deploy(ctx)
        ctx.facts["wait_healthy"] = backend_steps.wait_healthy(ctx)
        ctx.facts["smoke_test"] = backend_steps.smoke_test(ctx)
    finally:
        close(ctx)
    if json:
        console.emit_json(ctx.facts)


build = Collection("build", build_backend)
push = Collection("push", push_backend)
deploy = Collection("deploy", deploy_backend)
