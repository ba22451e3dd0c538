"""Where secrets are delivered: GitHub Actions, Koyeb and Netlify, behind one face.

`Targets` makes each provider's client on first use, with the token from
the environment's secret store, so a task that only touches Koyeb never
needs a GitHub token. Koyeb and Netlify values can be read back (to compare
fingerprints); GitHub only says whether a secret of that name exists.
"""

from __future__ import annotations

from typing import Any

from shipyard.config import Config
from shipyard.errors import ShipyardError
from shipyard.redaction import Secret
from shipyard.secrets.manifest import Target
from shipyard.secrets.store import require

GITHUB_URL = "https://api.github.com"
GITHUB_TOKEN = "GITHUB_TOKEN"


def ladder_value(config: Config, key: str) -> str:
    """A value of the env ladder that may not be one of Shipyard's settings yet.

    GITHUB_API_URL and GITHUB_REPOSITORY are read like parity reads them:
    process environment, then env/<env>.env, then shipyard.toml [defaults].
    """
    import os
    import tomllib

    from shipyard.config import read_env_file

    if config.values.get(key):
        return str(config.values[key])
    if os.environ.get(key):
        return os.environ[key]
    from_file = read_env_file(config.root / "env" / f"{config.env}.env").get(key)
    if from_file:
        return from_file
    document = tomllib.loads((config.root / "shipyard.toml").read_text("utf-8"))
    if key == "GITHUB_REPOSITORY":
        return str((document.get("github") or {}).get("repository", ""))
    return str((document.get("defaults") or {}).get(key, ""))


class Targets:
    """The delivery targets of one environment, with clients made on first use."""

    def __init__(self, config: Config, store: Any) -> None:
        self.config = config
        self.store = store
        self._clients: dict[str, Any] = {}
        self._netlify_site: tuple[str, str] | None = None

    def close(self) -> None:
        """Close every client opened."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()

    def set(self, target: Target, value: Secret) -> None:
        """Deliver `value` to `target`, creating the secret or variable when new."""
        if target.kind == "github":
            self.github().set_secret(target.name, value, environment=target.environment)
        elif target.kind == "koyeb":
            client = self.koyeb()
            found = client.find_secret(target.name)
            if found is None:
                client.create_secret(target.name, value)
            else:
                client.update_secret(found.id, value)
        else:
            account, site = self.netlify_site()
            self.netlify().set_env(account, site, target.name, value)

    def present(self, target: Target) -> bool:
        """Whether `target` holds a secret (or variable) of that name."""
        if target.kind == "github":
            found = self.github().get_secret(target.name, environment=target.environment)
            return found is not None
        if target.kind == "koyeb":
            return self.koyeb().find_secret(target.name) is not None
        account, site = self.netlify_site()
        return target.name in self.netlify().get_env(account, site)

    def read(self, target: Target) -> Secret | None:
        """The value `target` holds (None when absent); GitHub cannot be read."""
        if target.kind == "github":
            raise ShipyardError("GitHub never gives secret values back")
        if target.kind == "koyeb":
            client = self.koyeb()
            found = client.find_secret(target.name)
            if found is None:
                return None
            # KoyebClient has no verb for RevealSecret; its HTTP layer does.
            reply = client._call(
                "POST", f"secrets/{found.id}/reveal", f"secret {target.name}",
                json={}, idempotent=True,
            )
            value = reply.get("value")
            return Secret(value, target.name) if isinstance(value, str) else None
        account, site = self.netlify_site()
        value = self.netlify().get_env(account, site).get(target.name)
        return Secret(value, target.name) if value is not None else None

    def readable(self, target: Target) -> bool:
        """Whether `read` can give `target`'s value back."""
        return target.kind != "github"

    def koyeb(self) -> Any:
        """The Koyeb client, with KOYEB_TOKEN."""
        if "koyeb" not in self._clients:
            from shipyard.providers.koyeb import KoyebClient

            token = require(self.store, "KOYEB_TOKEN", self.config.env)
            self._clients["koyeb"] = KoyebClient(self.config["KOYEB_API_URL"], token)
        return self._clients["koyeb"]

    def github(self) -> Any:
        """The GitHub Actions client of GITHUB_REPOSITORY, with GITHUB_TOKEN."""
        if "github" not in self._clients:
            from shipyard.providers.github import GitHubActions

            slug = ladder_value(self.config, "GITHUB_REPOSITORY")
            if slug.count("/") != 1:
                raise ShipyardError(
                    f"no GitHub repository for {self.config.env}: set "
                    f"GITHUB_REPOSITORY=owner/repo in env/{self.config.env}.env"
                )
            owner, repo = slug.split("/")
            token = require(self.store, GITHUB_TOKEN, self.config.env)
            url = ladder_value(self.config, "GITHUB_API_URL") or GITHUB_URL
            self._clients["github"] = GitHubActions(owner, repo, token, base_url=url)
        return self._clients["github"]

    def netlify(self) -> Any:
        """The Netlify client, with NETLIFY_AUTH_TOKEN."""
        if "netlify" not in self._clients:
            from shipyard.providers.netlify import NetlifyClient

            token = require(self.store, "NETLIFY_AUTH_TOKEN", self.config.env)
            self._clients["netlify"] = NetlifyClient(
                self.config["NETLIFY_API_URL"], token
            )
        return self._clients["netlify"]

    def netlify_site(self) -> tuple[str, str]:
        """(account id, site id) of the frontend's Netlify site."""
        if self._netlify_site is None:
            site = self.netlify().get_site(self.config.netlify_site)
            self._netlify_site = (str(site["account_id"]), str(site["id"]))
        return self._netlify_site
