"""Live settings read from the providers: Koyeb, Netlify and GitHub Actions.

Each reader returns what the provider holds as Entry maps, or Unchecked
with the reason it could not look (no token, nothing configured, not
reachable), so one missing provider never stops the others from being read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shipyard.errors import ShipyardError
from shipyard.parity_model import Entry, Unchecked
from shipyard.redaction import Secret
from shipyard.secretish import secret_value
from shipyard.stack import Stack

RETRIES = 1
TIMEOUT = 15.0
NETLIFY_URL = "https://api.netlify.com/api/v1"
GITHUB_URL = "https://api.github.com"


@dataclass
class Live:
    """What one provider holds: its entries, where they were read, extras."""

    where: str
    entries: dict[str, Entry]
    secret_names: set[str] = field(default_factory=set)
    variables: dict[str, Entry] | None = None


def token(store: Any, name: str, provider: str, env: str) -> Secret | Unchecked:
    """The provider's token from the store, or why it is not there."""
    try:
        value = store.get(name)
    except ShipyardError as problem:
        return Unchecked(provider, f"cannot read {name}: {problem}")
    if value is None:
        return Unchecked(provider, f"no {name} in the secret store for {env}")
    return value


def koyeb(stack: Stack, store: Any) -> Live | Unchecked:
    """The env of the latest deployment of the backend's Koyeb service."""
    from shipyard.providers.koyeb import KoyebClient

    found = token(store, "KOYEB_TOKEN", "Koyeb", stack.env)
    if isinstance(found, Unchecked):
        return found
    backend = stack.config.backend
    name = f"{backend.koyeb_app}/{backend.koyeb_service}"
    try:
        with KoyebClient(
            stack.config["KOYEB_API_URL"], found, timeout=TIMEOUT, max_retries=RETRIES
        ) as client:
            app = client.find_app(backend.koyeb_app)
            service = app and client.find_service(app.id, backend.koyeb_service)
            deployment = service and client.latest_deployment(service.id)
            if not deployment:
                return Unchecked("Koyeb", f"{name} has no deployment yet")
            names = {secret.name for secret in client.list_secrets()}
    except ShipyardError as problem:
        return Unchecked("Koyeb", str(problem))
    where = f"Koyeb {name} deployment {deployment.id[:8]} ({deployment.status})"
    entries = {}
    for item in deployment.definition.get("env") or []:
        key = str(item.get("key", ""))
        if item.get("secret"):
            entries[key] = Entry(key, where, ref=str(item["secret"]))
        else:
            entries[key] = _valued(stack, key, str(item.get("value", "")), where)
    return Live(where, entries, names)


def netlify(stack: Stack, store: Any) -> Live | Unchecked:
    """The site's environment variables as production deploys see them."""
    from shipyard.providers.netlify import NetlifyClient

    site = stack.netlify_site()
    if not site:
        return Unchecked(
            "Netlify",
            f"no site configured: set NETLIFY_SITE_ID in env/{stack.env}.env or "
            "[frontend] netlify_site in shipyard.toml",
        )
    found = token(store, "NETLIFY_AUTH_TOKEN", "Netlify", stack.env)
    if isinstance(found, Unchecked):
        return found
    url = stack.value("NETLIFY_API_URL") or NETLIFY_URL
    try:
        with NetlifyClient(url, found, max_retries=RETRIES) as client:
            described = client.get_site(site)
            account = (
                stack.value("NETLIFY_ACCOUNT")
                or described.get("account_slug")
                or described.get("account_id", "")
            )
            values = client.get_env(account, described.get("id", site))
    except ShipyardError as problem:
        return Unchecked("Netlify", str(problem))
    where = f"Netlify site {described.get('name') or site} (production)"
    entries = {key: _valued(stack, key, value, where) for key, value in values.items()}
    return Live(where, entries)


def github(stack: Stack, store: Any) -> Live | Unchecked:
    """The names of the repository's Actions secrets and the environment's.

    With `[github] variables` listed, the repository's variables are read too.
    """
    from shipyard import parity_variables
    from shipyard.providers.github import GitHubActions

    slug = stack.github_repository()
    if "/" not in slug:
        return Unchecked(
            "GitHub",
            f"no repository configured: set GITHUB_REPOSITORY in env/{stack.env}.env "
            "or [github] repository in shipyard.toml",
        )
    found = token(store, "GITHUB_TOKEN", "GitHub", stack.env)
    if isinstance(found, Unchecked):
        return found
    owner, repo = slug.split("/", 1)
    url = stack.value("GITHUB_API_URL") or GITHUB_URL
    environment = _github_environment(stack)
    where = f"GitHub {slug} (repository + environment {environment})"
    variables = None
    try:
        with GitHubActions(
            owner, repo, found, base_url=url, max_retries=RETRIES
        ) as client:
            names = {s.name for s in client.list_secrets()}
            names |= _environment_secrets(client, environment)
            if (stack.document.get("github") or {}).get("variables"):
                variables = parity_variables.read(client, f"GitHub {slug} variables")
    except ShipyardError as problem:
        return Unchecked("GitHub", str(problem))
    return Live(where, {name: Entry(name, where) for name in names}, set(), variables)


def _github_environment(stack: Stack) -> str:
    table = stack.document.get("ci") or {}
    return str(table.get("github_environment", stack.env))


def _environment_secrets(client: Any, environment: str) -> set[str]:
    """The environment's secrets; none when GitHub has no such environment."""
    try:
        return {s.name for s in client.list_secrets(environment=environment)}
    except ShipyardError as problem:
        if "404" in str(problem) or "not found" in str(problem).lower():
            return set()
        raise


def _valued(stack: Stack, key: str, value: str, where: str) -> Entry:
    if stack.manifest.knows(key) or secret_value(key, value):
        return Entry(key, where, Secret(value, key))
    return Entry(key, where, value)
