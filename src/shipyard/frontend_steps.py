"""The frontend half of a release as pipeline steps: learn the backend's URL, build
both halves side by side, deploy the static site to Netlify, and undo that deploy
by publishing the previous one again.

The backend's URL is BACKEND_PUBLIC_URL when set; otherwise it is the Koyeb
app's own domain, which Koyeb assigns when the app is created and keeps for
every later deployment, so the frontend can be built before the backend is
deployed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shipyard import backend_steps, console
from shipyard.errors import ShipyardError
from shipyard.release_context import config_of, inputs_of, koyeb, store_of
from shipyard.steps import Context, Facts


def netlify(ctx: Context):  # type: ignore[no-untyped-def]
    """The Netlify client of this run, made once with the environment's token."""
    if "netlify" not in ctx.data:
        from shipyard.providers.netlify import NetlifyClient
        from shipyard.secrets.store import require

        config = config_of(ctx)
        token = require(store_of(ctx), "NETLIFY_AUTH_TOKEN", config.env)
        ctx.data["netlify"] = NetlifyClient(config["NETLIFY_API_URL"], token,
                                            poll_interval=0.5)
    return ctx.data["netlify"]


def close(ctx: Context) -> None:
    """Close the Netlify client this run opened."""
    client = ctx.data.pop("netlify", None)
    if client is not None:
        client.close()


def ensure_backend_app(ctx: Context) -> Facts:
    """Make sure the Koyeb app exists, so its domain (the backend URL) is known."""
    config = config_of(ctx)
    client = koyeb(ctx)
    name = config.backend.koyeb_app
    app = client.find_app(name)
    created = app is None
    if app is None:
        console.say(f"creating Koyeb app {name}, so the frontend knows its URL")
        app = client.create_app(name)
    url = client.public_url(app, "/", config["KOYEB_PUBLIC_SCHEME"]).rstrip("/")
    console.done(f"backend URL for the frontend: {url}")
    return {"app_id": app.id, "created_app": created, "backend_url": url}


def backend_url(ctx: Context) -> str:
    """The backend URL the frontend calls: configured, found in this run, or Koyeb's."""
    config = config_of(ctx)
    if config["BACKEND_PUBLIC_URL"]:
        return config["BACKEND_PUBLIC_URL"]
    for step, key in (("build", "api_url"), ("backend_app", "backend_url"),
                      ("smoke_test", "url")):
        value = ctx.facts.get(step, {}).get(key)
        if value:
            return value
    client = koyeb(ctx)
    app = client.find_app(config.backend.koyeb_app)
    if app is None:
        raise ShipyardError(
            f"Koyeb app {config.backend.koyeb_app} does not exist yet, so the "
            "backend's URL is unknown: release the backend first or set "
            f"BACKEND_PUBLIC_URL in env/{config.env}.env"
        )
    return client.public_url(app, "/", config["KOYEB_PUBLIC_SCHEME"]).rstrip("/")


def build_frontend(ctx: Context) -> Facts:
    """Build the frontend alone (for `inv build.frontend`)."""
    from shipyard.frontend_build import build_frontend as build

    result = build(config_of(ctx), backend_url(ctx), _show_frontend_line)
    _built(result)
    return result.facts()


def build_both(ctx: Context) -> Facts:
    """Build the backend image and the frontend at once, each on its own thread.

    Both run to their end, so each one's output is complete; when either
    fails the step fails, naming every half that did.
    """
    from shipyard.frontend_build import build_frontend as build

    config = config_of(ctx)
    api_url = backend_url(ctx)
    image, site = build_together(
        lambda: backend_steps.build(ctx),
        lambda: build(config, api_url, _show_frontend_line),
    )
    _built(site)
    return {**image, **site.facts()}


def build_together(backend: Callable[[], Facts],
                   frontend: Callable[[], Any]) -> tuple[Facts, Any]:
    """Run the backend and the frontend build at the same time, each on a thread.

    Returns both results once both ended; when either failed, raises its
    error, or one naming both when both did.
    """
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="build") as pool:
        image = pool.submit(backend)
        site = pool.submit(frontend)
        problems = [f.exception() for f in (image, site) if f.exception()]
    if len(problems) == 2:
        raise ShipyardError(f"{problems[0]}; the frontend failed too: {problems[1]}")
    if problems:
        raise problems[0]  # type: ignore[misc]
    return image.result(), site.result()


def _built(result: Any) -> None:
    how = "reused" if result.reused else "built"
    console.done(f"frontend {how}: {result.files} files in "
                 f"{result.publish_folder.name}/ for backend {result.api_url} "
                 f"({result.seconds:.0f} s)")


def _show_frontend_line(line: str) -> None:
    console.detail(f"frontend | {line}")


def deploy_frontend(ctx: Context) -> Facts:
    """Deploy the built publish folder to the Netlify site as its production deploy.

    The deploy that was published before is remembered for the undo. When the
    deploy fails after the site already switched to it, the previous one is
    published again before the failure is raised.
    """
    from pathlib import Path

    from shipyard.providers.netlify import check_publish_folder

    config, inputs = config_of(ctx), inputs_of(ctx)
    site = config.netlify_site
    folder = Path(ctx.facts.get("build", {}).get("publish_folder")
                  or config.frontend.publish_folder)  # type: ignore[union-attr]
    check_publish_folder(folder)
    client = netlify(ctx)
    before = _published_before(ctx, client.published_deploy(site) or {},
                               inputs.release_id)
    started = time.monotonic()
    try:
        result = client.deploy(
            site, folder, production=True,
            title=f"{inputs.release_id} ({inputs.git_sha[:12]})",
            timeout=float(config["DEPLOY_TIMEOUT"]),
        )
    except BaseException:
        _put_back_if_switched(client, site, before)
        raise
    console.done(
        f"Netlify deploy {result.deploy_id} published at {result.url} in "
        f"{time.monotonic() - started:.0f} s: {result.files_uploaded} of "
        f"{result.files_hashed} files sent ({result.bytes_sent} bytes), "
        f"{result.files_skipped} skipped as Netlify already holds them"
    )
    return {
        "site_id": site,
        "deploy_id": result.deploy_id,
        "previous_deploy_id": before,
        "url": result.url,
        "deploy_url": result.deploy_url,
        "files_uploaded": result.files_uploaded,
        "files_skipped": result.files_skipped,
        "bytes_sent": result.bytes_sent,
    }


def _published_before(ctx: Context, published: dict[str, Any],
                      release_id: str) -> str | None:
    """The deploy to go back to: the one the site served before this release.

    That is the published one, unless a run of this release that was cut off
    already published its own; then it is the one preflight saw.
    """
    now = published.get("id")
    seen = ctx.facts.get("preflight", {}).get("frontend_deploy_id")
    ours = (published.get("title") or "").startswith(f"{release_id} ")
    if seen and now != seen and ours:
        console.say(f"Netlify deploy {now} comes from this release's cut-off run; "
                    f"going back means {seen}, which was published before it")
        return seen
    return now


def _put_back_if_switched(client: Any, site: str, before: str | None) -> None:
    try:
        now = (client.published_deploy(site) or {}).get("id")
        if before and now != before:
            console.warn(f"publishing Netlify deploy {before} again")
            client.restore(site, before)
    except ShipyardError as problem:
        console.warn(f"could not check which Netlify deploy is published: {problem}")


def undo_deploy_frontend(ctx: Context, facts: Facts) -> None:
    """Publish again the deploy the site served before this run's deploy.

    With no facts (the step was cut off before it could record any), the
    deploy preflight saw published is the one to go back to.
    """
    client = netlify(ctx)
    if not facts:
        seen = ctx.facts.get("preflight", {})
        if "frontend_deploy_id" not in seen:
            console.warn("preflight recorded no Netlify deploy; check the site's "
                         "published deploy by hand")
            return
        facts = {"site_id": config_of(ctx).netlify_site,
                 "previous_deploy_id": seen["frontend_deploy_id"],
                 "deploy_id": "of the cut-off run"}
    site, previous = facts["site_id"], facts.get("previous_deploy_id")
    if not previous:
        console.warn(f"Netlify site {site} had no earlier deploy to go back to; "
                     f"deploy {facts['deploy_id']} stays published")
        return
    published = (client.published_deploy(site) or {}).get("id")
    if published == previous:
        console.say(f"Netlify deploy {previous} is still the published one")
        return
    client.restore(site, previous)
    console.done(f"frontend back on Netlify deploy {previous}")


def restore_frontend(deploy_id: str):  # type: ignore[no-untyped-def]
    """A step `do` that publishes a recorded Netlify deploy again (rollback)."""

    def do(ctx: Context) -> Facts:
        config = config_of(ctx)
        site = config.netlify_site
        client = netlify(ctx)
        before = (client.published_deploy(site) or {}).get("id")
        if before != deploy_id:
            client.restore(site, deploy_id)
        site_info = client.get_site(site)
        url = site_info.get("ssl_url") or site_info.get("url") or ""
        console.done(f"frontend on Netlify deploy {deploy_id} at {url}")
        return {"site_id": site, "deploy_id": deploy_id,
                "previous_deploy_id": before, "url": url}

    return do
