"""The Netlify stand-in's environment-variable routes (account env endpoints).

`account_id` may be the account's id or its slug, as Netlify accepts both;
a `site_id` query scopes the request to that site's own variables.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

from shipyard.sandbox.netlify_env_store import EnvError
from shipyard.sandbox.netlify_routes import API, Context, error


def register(app: Flask, ctx: Context) -> None:
    """Add the env routes to `app`."""
    store, env = ctx.store, ctx.env

    def scope(account_id: str, site_id: str | None) -> str | None:
        """The site id the request is about; raises EnvError when it is unknown."""
        account = store.data["account"]
        if account_id not in (account["id"], account["slug"]):
            raise EnvError(404, f"Account {account_id} not found")
        if site_id is None:
            return None
        site = store.find_site(site_id)
        if site is None:
            raise EnvError(404, f"Site {site_id} not found")
        return site["id"]

    @app.errorhandler(EnvError)
    def env_error(problem: EnvError) -> Any:
        return error(problem.status, str(problem))

    @app.get(f"{API}/accounts/<account_id>/env")
    def get_env_vars(account_id: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        return jsonify(env.variables(site_id, request.args.get("context_name")))

    @app.get(f"{API}/sites/<site_id>/env")
    def get_site_env_vars(site_id: str) -> Any:
        site = store.find_site(site_id)
        if site is None:
            return error(404, f"Site {site_id} not found")
        return jsonify(env.variables(site["id"], request.args.get("context_name")))

    @app.post(f"{API}/accounts/<account_id>/env")
    def create_env_vars(account_id: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        body = request.get_json(silent=True)
        if not isinstance(body, list) or not all(isinstance(i, dict) for i in body):
            return error(400, "The body must be a list of environment variables")
        return jsonify(env.create(site_id, body, store.data["user"])), 201

    @app.get(f"{API}/accounts/<account_id>/env/<key>")
    def get_env_var(account_id: str, key: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        return jsonify(env.get(site_id, key))

    @app.put(f"{API}/accounts/<account_id>/env/<key>")
    def update_env_var(account_id: str, key: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return error(400, "The body must be an environment variable")
        return jsonify(env.replace(site_id, key, body, store.data["user"]))

    @app.patch(f"{API}/accounts/<account_id>/env/<key>")
    def set_env_var_value(account_id: str, key: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or "value" not in body:
            return error(400, "The body must hold a context and a value")
        return jsonify(env.set_value(site_id, key, body, store.data["user"])), 201

    @app.delete(f"{API}/accounts/<account_id>/env/<key>")
    def delete_env_var(account_id: str, key: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        env.delete(site_id, key)
        return "", 204

    @app.delete(f"{API}/accounts/<account_id>/env/<key>/value/<value_id>")
    def delete_env_var_value(account_id: str, key: str, value_id: str) -> Any:
        site_id = scope(account_id, request.args.get("site_id"))
        env.delete_value(site_id, key, value_id)
        return "", 204
