"""`inv build.backend|frontend`, `inv push.backend`, `inv deploy.backend|frontend`:
one release step each."""

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


@task(name="frontend", help={"env": ENV_HELP, "json": JSON_HELP})
@guarded
def build_frontend(c, env="", json=False):
    """npm ci (when the lock changed) and the frontend build, for this env's backend."""
    from shipyard import frontend_steps
    from shipyard.release_context import close

    ctx = _context(env, allow_dirty=True)
    try:
        facts = frontend_steps.build_frontend(ctx)
    finally:
        close(ctx)
    if json:
        console.emit_json(facts)


@task(name="frontend", help={"env": ENV_HELP, "dir": "publish folder to deploy "
                             "(default: shipyard.toml [frontend] publish)",
                             "json": JSON_HELP})
@guarded
def deploy_frontend(c, env="", dir="", json=False):
    """Deploy the built frontend to Netlify, then smoke-test it (page and CORS)."""
    from shipyard import frontend_steps
    from shipyard.frontend_smoke import smoke_test_frontend
    from shipyard.release_context import close

    ctx = _context(env, allow_dirty=True)
    if dir:
        ctx.facts["build"] = {"publish_folder": dir}
    try:
        ctx.facts["deploy_frontend"] = frontend_steps.deploy_frontend(ctx)
        ctx.facts["smoke_test_frontend"] = smoke_test_frontend(ctx)
    finally:
        close(ctx)
        frontend_steps.close(ctx)
    if json:
        console.emit_json(ctx.facts)


build = Collection("build", build_backend, build_frontend)
push = Collection("push", push_backend)
deploy = Collection("deploy", deploy_backend, deploy_frontend)
