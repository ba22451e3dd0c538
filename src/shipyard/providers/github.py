"""GitHub Actions secrets and variables of one repository and its environments.

Secrets are sealed on this machine with the repository's (or environment's)
public key, a libsodium sealed box, so only GitHub can read them; variables
hold values that are not secret. The API base URL is configurable, so the
sandbox's GitHub stand-in can take GitHub's place.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Self

from shipyard.errors import ShipyardError
from shipyard.providers.github_api import PRODUCTION_URL, GitHubAPI, json_of
from shipyard.providers.github_models import (
    ActionsSecret,
    ActionsVariable,
    PublicKey,
    check_name,
    seal,
    secret_from,
    variable_from,
)
from shipyard.redaction import Secret

__all__ = [
    "PRODUCTION_URL",
    "ActionsSecret",
    "ActionsVariable",
    "GitHubActions",
    "PublicKey",
    "seal",
]

SECRETS_PER_PAGE = 100
VARIABLES_PER_PAGE = 30


class GitHubActions:
    """Actions secrets and variables of repository `owner/repo`.

    Secret calls take `environment=` to act on an environment's secrets
    instead of the repository's. Public keys are fetched once per client and
    fetched again when GitHub refuses a value sealed with an old key.
    """

    def __init__(
        self,
        owner: str,
        repo: str,
        token: Secret,
        *,
        base_url: str = PRODUCTION_URL,
        timeout: float = 30.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = GitHubAPI(
            owner,
            repo,
            token,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            sleep=sleep,
        )
        self._keys: dict[str | None, PublicKey] = {}

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the client's connections."""
        self.api.close()

    def public_key(
        self, environment: str | None = None, *, refresh: bool = False
    ) -> PublicKey:
        """The key to seal secrets of the repository (or `environment`) with."""
        if refresh or environment not in self._keys:
            path = self._secrets_path("public-key", environment=environment)
            what = "the Actions public key"
            answer = self.api.call("GET", path, what, environment=environment)
            assert answer is not None
            body = json_of(answer, what)
            try:
                self._keys[environment] = PublicKey(str(body["key_id"]), body["key"])
            except (KeyError, TypeError):
                raise ShipyardError(
                    "GitHub answered the public key without key_id and key: check "
                    "the API base URL"
                ) from None
        return self._keys[environment]

    def set_secret(
        self, name: str, value: Secret, *, environment: str | None = None
    ) -> bool:
        """Create or update secret `name`; True when it was created.

        A refusal (422) of a value sealed with a cached key makes the client
        fetch the key again and, when it changed, seal and send once more.
        """
        check_name(name, "secret")
        if not isinstance(value, Secret) or not value:
            raise ShipyardError(f"GitHub secret {name} needs a non-empty Secret value")
        key = self.public_key(environment)
        answer = self._put_sealed(name, value, key, environment)
        if answer.status_code == 422:
            fresh = self.public_key(environment, refresh=True)
            if fresh.key_id != key.key_id:
                answer = self._put_sealed(name, value, fresh, environment)
        if not answer.is_success:
            raise self.api.error(answer, f"secret {name}", environment)
        return answer.status_code == 201

    def get_secret(
        self, name: str, *, environment: str | None = None
    ) -> ActionsSecret | None:
        """Secret `name` as GitHub shows it (no value), or None when it is absent."""
        check_name(name, "secret")
        path = self._secrets_path(name, environment=environment)
        answer = self.api.call(
            "GET", path, f"secret {name}", environment=environment, missing_ok=True
        )
        if answer is None:
            self.public_key(environment)
            return None
        return secret_from(json_of(answer, f"secret {name}"))

    def list_secrets(self, *, environment: str | None = None) -> list[ActionsSecret]:
        """Every secret of the repository (or `environment`), all pages."""
        path = self._secrets_path(environment=environment)
        items = self.api.pages(
            path,
            "secrets",
            "Actions secrets",
            per_page=SECRETS_PER_PAGE,
            environment=environment,
        )
        return [secret_from(item) for item in items]

    def delete_secret(self, name: str, *, environment: str | None = None) -> bool:
        """Remove secret `name`; False when it was already absent."""
        check_name(name, "secret")
        path = self._secrets_path(name, environment=environment)
        answer = self.api.call(
            "DELETE", path, f"secret {name}", environment=environment, missing_ok=True
        )
        if answer is None:
            self.public_key(environment)
            return False
        return True

    def list_variables(self) -> list[ActionsVariable]:
        """Every Actions variable of the repository, all pages."""
        path = self.api.path("actions", "variables")
        items = self.api.pages(
            path,
            "variables",
            "Actions variables",
            per_page=VARIABLES_PER_PAGE,
            environment=None,
        )
        return [variable_from(item) for item in items]

    def get_variable(self, name: str) -> ActionsVariable | None:
        """Variable `name`, or None when the repository has none by that name."""
        check_name(name, "variable")
        path = self.api.path("actions", "variables", name)
        answer = self.api.call("GET", path, f"variable {name}", missing_ok=True)
        if answer is None:
            self._check_repository()
            return None
        return variable_from(json_of(answer, f"variable {name}"))

    def set_variable(self, name: str, value: str) -> bool:
        """Create or update variable `name`; True when it was created."""
        check_name(name, "variable")
        if isinstance(value, Secret):
            raise ShipyardError(
                f"{name} is a secret: store it with set_secret, not as a variable"
            )
        path = self.api.path("actions", "variables", name)
        body = {"name": name, "value": value}
        updated = self.api.call(
            "PATCH", path, f"variable {name}", json=body, missing_ok=True
        )
        if updated is not None:
            return False
        create = self.api.path("actions", "variables")
        self.api.call("POST", create, f"variable {name}", json=body)
        return True

    def delete_variable(self, name: str) -> bool:
        """Remove variable `name`; False when it was already absent."""
        check_name(name, "variable")
        path = self.api.path("actions", "variables", name)
        answer = self.api.call("DELETE", path, f"variable {name}", missing_ok=True)
        if answer is None:
            self._check_repository()
            return False
        return True

    def _secrets_path(self, *parts: str, environment: str | None) -> str:
        """The path of the repository's secrets, or of one environment's."""
        if environment is None:
            return self.api.path("actions", "secrets", *parts)
        return self.api.path("secrets", *parts, environment=environment)

    def _put_sealed(
        self, name: str, value: Secret, key: PublicKey, environment: str | None
    ) -> Any:
        """PUT `value` sealed with `key`; the answer, error or not."""
        path = self._secrets_path(name, environment=environment)
        body = {"encrypted_value": seal(key, value), "key_id": key.key_id}
        what = f"secret {name}"
        return self.api.call(
            "PUT", path, what, environment=environment, json=body, check=False
        )

    def _check_repository(self) -> None:
        """Raise the repository's 404 message when a 404 may have meant it."""
        path = self.api.path("actions", "variables")
        self.api.call("GET", path, "Actions variables", params={"per_page": 1})
