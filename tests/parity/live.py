"""The fixture project wired to the Koyeb, Netlify and GitHub stand-ins.

Each test gives its fixture project a Koyeb service whose latest deployment
carries a seeded env (the image cannot be pulled, so the deployment ends in
error, but its definition is what Koyeb reports), a Netlify site with its
variables and a GitHub repository with its secret names.
"""

from __future__ import annotations

import json
import secrets
from typing import TYPE_CHECKING, Any

from shipyard import config as config_module
from shipyard.providers.github import GitHubActions
from shipyard.providers.koyeb import KoyebClient, build_definition
from shipyard.providers.netlify import NetlifyClient
from shipyard.redaction import Secret
from tests.parity.project import Project

if TYPE_CHECKING:
    from tests.parity.conftest import StandIn

DRIFT = 4
UNPULLABLE = "127.0.0.1:9/parity-none@sha256:" + "0" * 64
SECRET_REFS = {"SECRET_KEY": "django-secret-key", "DATABASE_URL": "database-url"}


class Live:
    """The fixture project wired to the three stand-ins."""

    def __init__(
        self, project: Project, koyeb: StandIn, netlify: StandIn, github: StandIn
    ) -> None:
        self.project, self.koyeb, self.netlify, self.github = (
            project,
            koyeb,
            netlify,
            github,
        )
        self.repo = "demo-" + secrets.token_hex(4)
        with netlify.http() as http:
            answer = http.post(
                "/api/v1/sites", json={"name": "parity-" + secrets.token_hex(4)}
            )
            answer.raise_for_status()
            self.site = answer.json()
        with github.http() as http:
            http.post(
                "/_sandbox/repos",
                json={"owner": "octo", "repo": self.repo, "environments": ["prod"]},
            ).raise_for_status()
        project.append(
            "env/prod.env",
            "".join(
                f"{k}={v}\n"
                for k, v in {
                    "KOYEB_API_URL": koyeb.url,
                    "NETLIFY_API_URL": netlify.url,
                    "NETLIFY_SITE_ID": self.site["id"],
                    "GITHUB_API_URL": github.url,
                    "GITHUB_REPOSITORY": f"octo/{self.repo}",
                }.items()
            ),
        )
        for name, standin in (
            ("KOYEB_TOKEN", koyeb),
            ("NETLIFY_AUTH_TOKEN", netlify),
            ("GITHUB_TOKEN", github),
        ):
            project.put_secret(name, standin.token)

    def config(self) -> Any:
        return config_module.load("prod", self.project.root)

    def deploy(
        self, env: dict[str, str] | None = None, refs: dict[str, str] | None = None
    ) -> None:
        """A Koyeb service whose latest deployment runs `env` and `refs`."""
        config = self.config()
        plain = dict(config.app_env) if env is None else env
        with KoyebClient(self.koyeb.url, Secret(self.koyeb.token)) as client:
            for name in SECRET_REFS.values():
                if client.find_secret(name) is None:
                    client.create_secret(name, Secret("value-of-" + name))
            app = client.create_app(self.project.app)
            definition = build_definition(
                UNPULLABLE,
                plain,
                SECRET_REFS if refs is None else refs,
                8000,
                "/health/",
            )
            client.create_service(app.id, "api", definition)

    def set_site_env(self, key: str, value: str) -> None:
        with NetlifyClient(self.netlify.url, Secret(self.netlify.token)) as client:
            client.set_env(self.site["account_slug"], self.site["id"], key, value)

    def set_github_secret(self, name: str, environment: str | None = None) -> None:
        with GitHubActions(
            "octo", self.repo, Secret(self.github.token), base_url=self.github.url
        ) as client:
            client.set_secret(
                name, Secret("gh-" + secrets.token_hex(8)), environment=environment
            )

    def parity(self) -> tuple[int, dict[str, Any], str]:
        ran = self.project.inv("parity", "--env=prod", "--against=none", "--json")
        return ran.code, json.loads(ran.out), ran.out + ran.err



def drift_of(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in report["differences"] if d["drift"]]

