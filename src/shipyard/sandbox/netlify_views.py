"""How the Netlify stand-in shows its records: the spec's site, deploy and account.

Fields the stand-in has no value for are left out rather than sent as null,
since the spec types them as plain strings.
"""

from __future__ import annotations

from typing import Any

from shipyard.sandbox.netlify_state import Record, Store


class Urls:
    """Where the stand-in's API and each site's server can be reached."""

    def __init__(self, api_port: int) -> None:
        self.api_root = f"http://127.0.0.1:{api_port}"

    @staticmethod
    def site(site: Record) -> str:
        return f"http://127.0.0.1:{site['port']}"

    def deploy(self, site: Record, deploy_id: str) -> str:
        return f"{self.site(site)}/deploys/{deploy_id}/"

    def admin(self, site: Record) -> str:
        return f"{self.api_root}/_sandbox/sites/{site['name']}"


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """`record` without its null fields and the stand-in's own `_` keys."""
    return {
        key: value
        for key, value in record.items()
        if value is not None and not key.startswith("_")
    }


def deploy_json(store: Store, urls: Urls, deploy: Record) -> Record:
    """A deploy as the spec's `deploy` definition."""
    site = store.data["sites"][deploy["site_id"]]
    context = "production"
    if deploy["branch"]:
        context = "branch-deploy"
    elif deploy["draft"]:
        context = "deploy-preview"
    view = {
        **clean(deploy),
        "user_id": store.data["user"]["id"],
        "name": site["name"],
        "url": urls.site(site),
        "ssl_url": urls.site(site),
        "admin_url": urls.admin(site),
        "deploy_url": urls.deploy(site, deploy["id"]),
        "deploy_ssl_url": urls.deploy(site, deploy["id"]),
        "context": context,
        "skipped": False,
        "framework": "unknown",
        "function_schedules": [],
    }
    if deploy["_files"] is not None:
        view["required"] = list(deploy["_missing"])
        view["required_functions"] = []
    return view


def site_json(store: Store, urls: Urls, site: Record) -> Record:
    """A site as the spec's `site` definition, with its published deploy."""
    account = store.data["account"]
    view = {
        "id": site["id"],
        "name": site["name"],
        "state": "current",
        "plan": "nf_team_dev",
        "url": urls.site(site),
        "ssl_url": urls.site(site),
        "admin_url": urls.admin(site),
        "created_at": site["created_at"],
        "updated_at": site["updated_at"],
        "user_id": store.data["user"]["id"],
        "account_id": account["id"],
        "account_name": account["name"],
        "account_slug": account["slug"],
        "ssl": False,
        "force_ssl": False,
        "managed_dns": False,
        "domain_aliases": [],
        "capabilities": {},
        "processing_settings": {"html": {"pretty_urls": True}},
        "build_settings": {"env": {}},
        "default_domain": f"127.0.0.1:{site['port']}",
        "use_envelope": True,
        "feature_flags": {},
    }
    published = store.data["deploys"].get(site["published_deploy_id"] or "")
    if published is not None:
        view["published_deploy"] = deploy_json(store, urls, published)
        view["deploy_url"] = view["published_deploy"]["deploy_url"]
    return view


def account_json(store: Store) -> Record:
    """The one account (team) of the stand-in, as `accountMembership`."""
    account = store.data["account"]
    return {
        **account,
        "type": "Starter",
        "type_name": "Starter",
        "billing_name": account["name"],
        "billing_email": store.data["user"]["email"],
        "owner_ids": [store.data["user"]["id"]],
        "roles_allowed": ["Owner"],
        "capabilities": {
            "sites": {"included": 500, "used": len(store.data["sites"])},
            "collaborators": {"included": 1, "used": 1},
        },
    }


def user_json(store: Store) -> Record:
    """The token's user, as the spec's `user` definition."""
    user = store.data["user"]
    return {
        **user,
        "uid": user["id"],
        "full_name": "Sandbox",
        "site_count": len(store.data["sites"]),
        "login_providers": ["email"],
    }


def file_json(path: str, sha: str, size: int, mime_type: str) -> Record:
    """An uploaded file as the spec's `file` definition."""
    return {
        "id": f"/{path}",
        "path": f"/{path}",
        "sha": sha,
        "mime_type": mime_type,
        "size": size,
    }
