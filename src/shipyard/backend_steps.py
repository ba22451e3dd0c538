"""The backend half of a release as pipeline steps: build, push, deploy, wait, smoke.

Each `do` is idempotent, so `inv release --resume` may run a cut-off step
again; each step that changes the outside world says how it is undone.
"""

from __future__ import annotations

import shutil
import time
from typing import Any

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.release_context import (
    config_of,
    inputs_of,
    koyeb,
    registry_credentials,
)
from shipyard.steps import Context, Facts


def build(ctx: Context) -> Facts:
    """Build the backend image, tagged by git SHA, with OCI labels."""
    from shipyard.providers.docker_engine import BuildFailed

    config, inputs = config_of(ctx), inputs_of(ctx)
    build_args = {}
    if config["BASE_IMAGE"]:
        build_args["BASE_IMAGE"] = config["BASE_IMAGE"]
    if config["BUILD_WHEELS"]:
        _prepare_offline_build(config)

    started = time.monotonic()
    try:
        image = _build(config, inputs, build_args)
    except BuildFailed as failure:
        console.detail(failure.output)
        raise
    console.done(f"built {image.ref} in {time.monotonic() - started:.0f} s")
    return {"image_id": image.id, "image": image.ref}


def _build(config: Any, inputs: Any, build_args: dict[str, str]) -> Any:
    from shipyard.providers.docker_engine import build_image

    backend = config.backend
    return build_image(
        backend.context,
        repository=config.image_repository,
        tag=inputs.tag,
        build_args=build_args,
        labels={
            "org.opencontainers.image.revision": inputs.git_sha,
            "org.opencontainers.image.title": backend.repository,
            "org.opencontainers.image.version": inputs.release_id,
        },
        dockerfile=backend.dockerfile,
        on_line=_show_build_line,
    )


def _prepare_offline_build(config: Any) -> None:
    """Base image and wheels for a build that cannot reach any registry."""
    from shipyard.sandbox.baseimage import (
        default_cache_dir,
        download_wheels,
        ensure_base_image,
    )

    if config["BASE_IMAGE"]:
        ensure_base_image()
    requirements = config.backend.context / "requirements.txt"
    cache = default_cache_dir() / "wheels"
    download_wheels(requirements, cache)
    wheels = config.backend.context / "wheels"
    wheels.mkdir(exist_ok=True)
    for wheel in cache.glob("*.whl"):
        if not (wheels / wheel.name).exists():
            shutil.copy2(wheel, wheels / wheel.name)


def _show_build_line(line: str) -> None:
    if line.startswith("Step ") or line.lower().startswith("successfully"):
        console.detail(line)


def push(ctx: Context) -> Facts:
    """Push the image and record its digest; deploys use the digest, never a tag."""
    from shipyard.providers.registry import image_ref, push_image, split_repository

    config, inputs = config_of(ctx), inputs_of(ctx)
    pushed: set[str] = set()

    def show(event: Any) -> None:
        layer = getattr(event, "layer", "")
        finished = getattr(event, "status", "") in ("Pushed", "Layer already exists")
        if finished and layer not in pushed:
            pushed.add(layer)
            console.detail(f"{event.status}: {layer}")

    digest = push_image(
        config.image_repository,
        inputs.tag,
        credentials=registry_credentials(ctx),
        on_progress=show,
    )
    registry, repository = split_repository(config.image_repository)
    ref = image_ref(registry, repository, digest)
    inputs.image_ref = ref
    console.done(f"pushed {ref}")
    return {"digest": digest, "image_ref": ref}


def deploy(ctx: Context) -> Facts:
    """Send Koyeb the whole new definition; return the new and previous deployments."""
    from shipyard.providers.koyeb_definition import build_definition, with_image

    config = config_of(ctx)
    backend = config.backend
    client = koyeb(ctx)
    image = _image_ref(ctx)
    env, secret_env = _backend_env(ctx)

    app = client.find_app(backend.koyeb_app)
    if app is None:
        console.say(f"creating Koyeb app {backend.koyeb_app}")
        app = client.create_app(backend.koyeb_app)
    service = client.find_service(app.id, backend.koyeb_service)
    args = (image, env, secret_env, backend.port, backend.health_path)

    pull_secret = _registry_secret(ctx)
    if service is None:
        console.say(f"creating Koyeb service {backend.koyeb_service}")
        definition = _pulling(build_definition(*args), pull_secret)
        service, deployment = client.create_service(
            app.id, backend.koyeb_service, definition
        )
        return _deployed(service.id, deployment.id, "", created=True)

    latest = client.latest_deployment(service.id)
    before = _serving_before(ctx, service, latest, image)
    if latest is not None and latest.image == image and latest.id != (
        service.active_deployment_id
    ):
        console.say(f"deployment {latest.id} of {image} is already under way")
        return _deployed(service.id, latest.id, before)
    base = latest.definition if latest is not None and latest.definition else None
    definition = with_image(base, *args) if base else build_definition(*args)
    definition = _pulling(definition, pull_secret)
    deployment = client.deploy(service.id, definition)
    console.say(f"Koyeb deployment {deployment.id} started for {image}")
    return _deployed(service.id, deployment.id, before)


def _serving_before(ctx: Context, service: Any, latest: Any, image: str) -> str:
    """The deployment to go back to: the one serving before this release.

    That is the active one, unless a run of this release that was cut off
    already made its own deployment active; then it is the one preflight saw.
    """
    active = service.active_deployment_id or ""
    seen = ctx.facts.get("preflight", {}).get("backend_deployment_id")
    ours = latest is not None and latest.id == active and latest.image == image
    if seen and active != seen and ours:
        console.say(f"deployment {active} comes from this release's cut-off run; "
                    f"going back means {seen}, which served before it")
        return seen
    return active


def _registry_secret(ctx: Context) -> str | None:
    """Keep Koyeb's REGISTRY secret in step with the store's registry login.

    Only a registry that needs a login (REGISTRY_USERNAME set) gets one; its
    name is the app's, so each app pulls with its own credentials.
    """
    credentials = registry_credentials(ctx)
    if credentials is None:
        return None
    config = config_of(ctx)
    name = f"{config.backend.koyeb_app}-registry"
    koyeb(ctx).put_registry_secret(name, config["REGISTRY"], *credentials)
    return name


def _pulling(definition: dict[str, Any], pull_secret: str | None) -> dict[str, Any]:
    """`definition` set to pull its image with `pull_secret`, when there is one."""
    if pull_secret:
        definition["docker"] = {**(definition.get("docker") or {}),
                                "image_registry_secret": pull_secret}
    return definition


def _deployed(service_id: str, deployment_id: str, previous: str, *,
              created: bool = False) -> Facts:
    return {
        "service_id": service_id,
        "deployment_id": deployment_id,
        "previous_deployment_id": previous or None,
        "created_service": created,
    }


def _image_ref(ctx: Context) -> str:
    inputs = inputs_of(ctx)
    if inputs.image_ref:
        return inputs.image_ref
    if "push" in ctx.facts:
        return ctx.fact("push", "image_ref")
    raise ShipyardError("no pushed image to deploy: run the push step first")


def _backend_env(ctx: Context) -> tuple[dict[str, str], dict[str, str]]:
    """Plain env values and secret references for the backend's definition."""
    from shipyard.providers.koyeb_definition import koyeb_secret_name

    config, inputs = config_of(ctx), inputs_of(ctx)
    env = dict(config.app_env)
    env["GIT_SHA"] = inputs.git_sha
    env["APP_VERSION"] = inputs.release_id
    secret_env = {
        key: koyeb_secret_name(name) for key, name in config.backend.secrets.items()
    }
    return env, secret_env


def undo_deploy(ctx: Context, facts: Facts) -> None:
    """Put the previous deployment back serving, or remove a service this run made.

    With no facts (the step was cut off before it could record any), what
    preflight saw serving is put back.
    """
    client = koyeb(ctx)
    facts = facts or _facts_from_preflight(ctx, client)
    if not facts:
        console.say("no Koyeb deployment of this run to undo")
        return
    service_id = facts["service_id"]
    if facts.get("created_service"):
        console.say(f"deleting Koyeb service {service_id}, which this release created")
        client.delete_service(service_id)
        return
    previous = facts.get("previous_deployment_id")
    if not previous:
        console.warn("no earlier deployment to go back to; the service is left as is")
        return
    config = config_of(ctx)
    _let_settle(client, facts["deployment_id"], config["DEPLOY_TIMEOUT"])
    service = client.get_service(service_id)
    if service.active_deployment_id == previous:
        console.say(f"deployment {previous} is still the one serving; nothing to undo")
        return
    console.say(f"rolling Koyeb service back to the definition of {previous}")
    redeployed = client.rollback(service_id, previous)
    client.wait_healthy(redeployed.id, timeout=config["DEPLOY_TIMEOUT"])
    console.done(f"backend back on the definition of {previous} ({redeployed.id})")


def _facts_from_preflight(ctx: Context, client: Any) -> Facts:
    """The deploy step's facts rebuilt from what preflight saw and Koyeb holds now."""
    seen = ctx.facts.get("preflight", {})
    if "backend_service_id" not in seen:
        console.warn("preflight recorded nothing about the backend; check the "
                     "Koyeb service by hand")
        return {}
    service_id = seen["backend_service_id"]
    if service_id is None:
        config = config_of(ctx)
        app = client.find_app(config.backend.koyeb_app)
        service = app and client.find_service(app.id, config.backend.koyeb_service)
        if not service:
            return {}
        return _deployed(service.id, "", "", created=True)
    latest = client.latest_deployment(service_id)
    return _deployed(service_id, latest.id if latest else "",
                     seen.get("backend_deployment_id") or "")


def _let_settle(client: Any, deployment_id: str, timeout: float) -> None:
    """Wait for a deployment still under way to end, so it cannot take over later."""
    if not deployment_id:
        return
    try:
        client.wait_healthy(deployment_id, timeout=timeout)
    except ShipyardError:
        pass


def wait_healthy(ctx: Context) -> Facts:
    """Wait for the new deployment to pass its health check, showing each status."""
    from shipyard.providers.koyeb_errors import DeploymentFailed

    config = config_of(ctx)
    client = koyeb(ctx)
    deployment_id = ctx.fact("deploy", "deployment_id")
    started = time.monotonic()
    try:
        deployment = client.wait_healthy(
            deployment_id,
            timeout=config["DEPLOY_TIMEOUT"],
            on_status=lambda d: console.detail(f"deployment {d.id}: {d.status}"),
        )
    except DeploymentFailed as failure:
        console.detail("\n".join(getattr(failure, "events", []) or []))
        raise
    console.done(f"deployment {deployment.id} healthy after "
                 f"{time.monotonic() - started:.0f} s")
    return {"status": deployment.status}


def smoke_test(ctx: Context) -> Facts:
    """GET the health endpoint at the service's public URL until it answers 200."""
    base, url = wait_for_health(config_of(ctx), koyeb(ctx))
    console.done(f"smoke test: GET {url} → 200")
    return {"url": base, "health_url": url, "status": 200}


def wait_for_health(config: Any, client: Any) -> tuple[str, str]:
    """(public URL, health URL) once the backend's health path answers 200.

    Polls for SMOKE_TIMEOUT seconds; a backend that never answers 200 is a
    one-line error naming the URL and the last answer.
    """
    import httpx

    app = client.find_app(config.backend.koyeb_app)
    if app is None:
        raise ShipyardError(f"Koyeb app {config.backend.koyeb_app} is gone")
    base = client.public_url(app, "/", config["KOYEB_PUBLIC_SCHEME"]).rstrip("/")
    url = base + config.backend.health_path
    deadline = time.monotonic() + config["SMOKE_TIMEOUT"]
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(url, timeout=5.0)
            if answer.status_code == 200:
                return base, url
            last = f"HTTP {answer.status_code}"
        except httpx.HTTPError as problem:
            last = type(problem).__name__
        time.sleep(1.0)
    raise ShipyardError(
        f"health check failed: GET {url} gave {last} for {config['SMOKE_TIMEOUT']} s"
    )
