"""The Netlify stand-in's API routes for sites, deploys and file uploads.

Each route answers as the spec's operation of the same path does; errors are
the spec's `error` body ({"code", "message"}).
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import uuid
from dataclasses import dataclass
from typing import Any

from flask import Flask, jsonify, request

from shipyard.sandbox.netlify_env_store import EnvStore
from shipyard.sandbox.netlify_serve import SiteServers
from shipyard.sandbox.netlify_state import Record, Store
from shipyard.sandbox.netlify_views import (
    Urls,
    account_json,
    deploy_json,
    file_json,
    site_json,
    user_json,
)

API = "/api/v1"
_SITE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass
class Context:
    """What every route needs: the model, the env store, URLs and site servers."""

    store: Store
    env: EnvStore
    urls: Urls
    servers: SiteServers


def error(status: int, message: str) -> Any:
    """The spec's error answer."""
    return jsonify({"code": status, "message": message}), status


def flag(name: str) -> bool | None:
    """A boolean query parameter, or None when absent."""
    value = request.args.get(name)
    return None if value is None else value.lower() in ("1", "true", "yes")


def register(app: Flask, ctx: Context) -> None:
    """Add the site, deploy and user routes to `app`."""
    store, urls = ctx.store, ctx.urls

    def site_or_404(site_id: str) -> Record | None:
        return store.find_site(site_id)

    @app.get(f"{API}/user")
    def get_current_user() -> Any:
        return jsonify(user_json(store))

    @app.get(f"{API}/accounts")
    def list_accounts() -> Any:
        return jsonify([account_json(store)])

    @app.get(f"{API}/accounts/<account_id>")
    def get_account(account_id: str) -> Any:
        account = store.data["account"]
        if account_id not in (account["id"], account["slug"]):
            return error(404, f"Account {account_id} not found")
        return jsonify(account_json(store))

    @app.get(f"{API}/sites")
    def list_sites() -> Any:
        name = request.args.get("name")
        with store.lock:
            sites = [
                site_json(store, urls, site)
                for site in store.data["sites"].values()
                if not name or name in site["name"]
            ]
        return jsonify(sites)

    @app.post(f"{API}/sites")
    @app.post(f"{API}/<account_slug>/sites")
    def create_site(account_slug: str | None = None) -> Any:
        body = request.get_json(silent=True) or {}
        name = body.get("name") or f"site-{uuid.uuid4().hex[:8]}"
        if not _SITE_NAME.match(name):
            return error(422, f"Site name {name} may hold only a-z, 0-9 and '-'")
        if store.find_site(name) is not None:
            return error(422, f"A site named {name} exists already")
        site = create_served_site(ctx, name)
        return jsonify(site_json(store, urls, site)), 201

    @app.get(f"{API}/sites/<site_id>")
    def get_site(site_id: str) -> Any:
        site = site_or_404(site_id)
        if site is None:
            return error(404, f"Site {site_id} not found")
        with store.lock:
            return jsonify(site_json(store, urls, site))

    @app.get(f"{API}/sites/<site_id>/functions")
    def search_site_functions(site_id: str) -> Any:
        if site_or_404(site_id) is None:
            return error(404, f"Site {site_id} not found")
        return jsonify([])

    @app.get(f"{API}/sites/<site_id>/deploys")
    def list_site_deploys(site_id: str) -> Any:
        site = site_or_404(site_id)
        if site is None:
            return error(404, f"Site {site_id} not found")
        with store.lock:
            found = [
                deploy_json(store, urls, d)
                for d in store.site_deploys(site["id"])
                if _matches(d, site)
            ]
        page = max(1, int(request.args.get("page", 1)))
        size = max(1, int(request.args.get("per_page", 100)))
        return jsonify(found[(page - 1) * size : page * size])

    @app.post(f"{API}/sites/<site_id>/deploys")
    def create_site_deploy(site_id: str) -> Any:
        site = site_or_404(site_id)
        if site is None:
            return error(404, f"Site {site_id} not found")
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "The deploy body must be a JSON object")
        if _bad_files(body):
            return error(422, "files must map paths to 40-hex-digit SHA1s")
        deploy = store.create_deploy(site, body, request.args.get("title"))
        with store.lock:
            return jsonify(deploy_json(store, urls, deploy))

    @app.get(f"{API}/deploys/<deploy_id>")
    @app.get(f"{API}/sites/<site_id>/deploys/<deploy_id>")
    def get_deploy(deploy_id: str, site_id: str | None = None) -> Any:
        deploy = _deploy_of(store, deploy_id, site_id)
        if deploy is None:
            return error(404, f"Deploy {deploy_id} not found")
        with store.lock:
            return jsonify(deploy_json(store, urls, deploy))

    @app.put(f"{API}/sites/<site_id>/deploys/<deploy_id>")
    def update_site_deploy(site_id: str, deploy_id: str) -> Any:
        deploy = _deploy_of(store, deploy_id, site_id)
        if deploy is None:
            return error(404, f"Deploy {deploy_id} not found")
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or _bad_files(body):
            return error(422, "files must map paths to 40-hex-digit SHA1s")
        if deploy["state"] != "new" or body.get("files") is None:
            return error(422, f"Deploy {deploy_id} is {deploy['state']}, not new")
        store.set_files(deploy, body)
        with store.lock:
            return jsonify(deploy_json(store, urls, deploy))

    @app.post(f"{API}/sites/<site_id>/deploys/<deploy_id>/restore")
    def restore_site_deploy(site_id: str, deploy_id: str) -> Any:
        deploy = _deploy_of(store, deploy_id, site_id)
        if deploy is None:
            return error(404, f"Deploy {deploy_id} not found")
        if deploy["state"] != "ready":
            return error(422, f"Deploy {deploy_id} is {deploy['state']}, not ready")
        store.publish(deploy)
        with store.lock:
            return jsonify(deploy_json(store, urls, deploy)), 201

    @app.post(f"{API}/deploys/<deploy_id>/lock")
    @app.post(f"{API}/deploys/<deploy_id>/unlock")
    def lock_deploy(deploy_id: str) -> Any:
        deploy = _deploy_of(store, deploy_id, None)
        if deploy is None:
            return error(404, f"Deploy {deploy_id} not found")
        with store.edit():
            deploy["locked"] = request.path.endswith("/lock")
            return jsonify(deploy_json(store, urls, deploy))

    @app.post(f"{API}/deploys/<deploy_id>/cancel")
    def cancel_site_deploy(deploy_id: str) -> Any:
        deploy = _deploy_of(store, deploy_id, None)
        if deploy is None:
            return error(404, f"Deploy {deploy_id} not found")
        if deploy["state"] in ("ready", "error"):
            return error(422, f"Deploy {deploy_id} is {deploy['state']} already")
        store.cancel(deploy)
        with store.lock:
            return jsonify(deploy_json(store, urls, deploy)), 201

    @app.put(f"{API}/deploys/<deploy_id>/files/<path:path>")
    def upload_deploy_file(deploy_id: str, path: str) -> Any:
        body = request.get_data()
        with store.lock:
            failing = store.faults.fail_uploads > 0
            if failing:
                store.faults.fail_uploads -= 1
        if failing:
            return error(502, "Bad gateway (sandbox fault: fail_uploads)")
        return _upload(store, deploy_id, path.lstrip("/"), body)


def create_served_site(
    ctx: Context, name: str, site_id: str | None = None, port: int = 0
) -> Record:
    """A new site with a server of its own on loopback `port` (0: a fresh one)."""
    site_id = site_id or str(uuid.uuid4())
    port = ctx.servers.start(site_id, port)
    return ctx.store.add_site(name, port, site_id)


def _upload(store: Store, deploy_id: str, path: str, body: bytes) -> Any:
    deploy = store.get_deploy(deploy_id)
    if deploy is None:
        return error(404, f"Deploy {deploy_id} not found")
    if deploy["_files"] is None or deploy["state"] in ("ready", "error"):
        return error(422, f"Deploy {deploy_id} is {deploy['state']}: it takes no files")
    expected = deploy["_files"].get(path)
    if expected is None:
        return error(422, f"/{path} is not a file of deploy {deploy_id}")
    actual = hashlib.sha1(body).hexdigest()
    if actual != expected:
        return error(422, f"/{path} has SHA1 {actual}, the deploy expects {expected}")
    store.put_blob(body)
    store.received(deploy, actual)
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    return jsonify(file_json(path, actual, len(body), mime))


def _deploy_of(store: Store, deploy_id: str, site_id: str | None) -> Record | None:
    deploy = store.get_deploy(deploy_id)
    if deploy is None or site_id is None:
        return deploy
    site = store.find_site(site_id)
    if site is None or deploy["site_id"] != site["id"]:
        return None
    return deploy


def _bad_files(body: Record) -> bool:
    files = body.get("files")
    if files is None:
        return False
    if not isinstance(files, dict):
        return True
    return not all(
        isinstance(sha, str) and re.fullmatch(r"[0-9a-fA-F]{40}", sha)
        for sha in files.values()
    )


def _matches(deploy: Record, site: Record) -> bool:
    """Whether a deploy passes the listing's query filters."""
    production = flag("production")
    if production is not None:
        is_production = not deploy["draft"] and not deploy["branch"]
        if production != is_production:
            return False
    state = request.args.get("state")
    if state and deploy["state"] != state:
        return False
    branch = request.args.get("branch")
    if branch and deploy["branch"] != branch:
        return False
    if flag("latest-published"):
        return deploy["id"] == site["published_deploy_id"]
    return True
