"""The HTTP layer of the GitHub Actions client: token, headers, retries, error answers.

Kept apart from the verbs in github.py; nothing here knows about secrets or
variables beyond naming them in messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import quote

from shipyard.errors import ShipyardError
from shipyard.providers.http import RetryPolicy, make_client, send
from shipyard.redaction import Secret, redact

if TYPE_CHECKING:
    import httpx

PRODUCTION_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
_MAX_DETAIL = 200


class GitHubAPI:
    """Authenticated, retried requests about one repository of one GitHub API.

    The token is revealed only into the Authorization header. Answers that
    are errors become ShipyardErrors naming the repository and what was
    asked, never the token or a secret value.
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
        self.owner = owner
        self.repo = repo
        self._policy = RetryPolicy(max_retries=max_retries, sleep=sleep)
        self._http = make_client(
            base_url.rstrip("/"),
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "User-Agent": "shipyard",
            },
            timeout=timeout,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the client's connections."""
        self._http.close()

    @property
    def slug(self) -> str:
        """owner/repo, as people write it."""
        return f"{self.owner}/{self.repo}"

    def path(self, *parts: str, environment: str | None = None) -> str:
        """The API path of `parts` under this repository, or one of its environments."""
        base = ["repos", self.owner, self.repo]
        if environment is not None:
            base += ["environments", environment]
        return "/" + "/".join(quote(part, safe="") for part in (*base, *parts))

    def call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        environment: str | None = None,
        json: Any = None,
        params: dict[str, Any] | None = None,
        missing_ok: bool = False,
        check: bool = True,
    ) -> httpx.Response | None:
        """One request; its answer, or None for a 404 when `missing_ok`.

        `what` names the thing asked about for messages ("secret DB_URL");
        `environment` is named in a 404 that may mean the environment is absent.
        With `check=False` an error answer is returned instead of raised.
        """
        response = send(
            self._http,
            method,
            path,
            service="GitHub",
            policy=self._policy,
            json=json,
            params=params,
        )
        if missing_ok and response.status_code == 404:
            return None
        if check and not response.is_success:
            raise self.error(response, what, environment)
        return response

    def pages(
        self, path: str, key: str, what: str, *, per_page: int, environment: str | None
    ) -> Iterator[dict[str, Any]]:
        """Every item under `key` of a paged list, following rel="next" pages."""
        page = 1
        while True:
            response = self.call(
                "GET",
                path,
                what,
                environment=environment,
                params={"per_page": per_page, "page": page},
            )
            assert response is not None
            body = json_of(response, what)
            items = body.get(key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ShipyardError(
                    f"GitHub answered the list of {what} without a {key!r} list: "
                    "check the API base URL"
                )
            yield from items
            if "next" not in response.links or not items:
                return
            page += 1

    def error(
        self, response: httpx.Response, what: str, environment: str | None = None
    ) -> ShipyardError:
        """The ShipyardError for GitHub's error answer to a request about `what`."""
        status = response.status_code
        detail = _detail(response)
        if status == 401:
            text = (
                "GitHub token rejected (401): check GITHUB_TOKEN for this environment "
                "(expired, revoked or mistyped)"
            )
        elif status == 403 and response.headers.get("x-ratelimit-remaining") == "0":
            text = "GitHub rate limit reached (403): wait for it to reset and run again"
        elif status == 403:
            text = (
                f"GITHUB_TOKEN may not manage {what} of {self.slug} (403): give it "
                "write access to the repository's Actions secrets and variables"
            )
        elif status == 404 and environment is not None:
            text = (
                f"GitHub has no environment {environment!r} in {self.slug}, or "
                "GITHUB_TOKEN cannot see the repository (404): create the "
                "environment or check its name and the token's access"
            )
        elif status == 404:
            text = (
                f"GitHub has no repository {self.slug}, or GITHUB_TOKEN cannot see "
                "it (404): check the owner/repo name and the token's access"
            )
        elif status in (400, 409, 422):
            text = f"GitHub rejected {what} in {self.slug} ({status}): {detail}"
        elif status >= 500:
            text = f"GitHub failed on {what} ({status}): {detail}; try again later"
        else:
            text = f"GitHub answered {status} about {what} in {self.slug}: {detail}"
        return ShipyardError(redact(text))


def json_of(response: httpx.Response, what: str) -> Any:
    """The JSON body of an answer, or a ShipyardError when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        raise ShipyardError(
            f"GitHub answered about {what} with a body that is not JSON: check the "
            "API base URL"
        ) from None


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    message = body.get("message") if isinstance(body, dict) else None
    flat = " ".join(str(message or response.reason_phrase).split())
    return flat if len(flat) <= _MAX_DETAIL else flat[: _MAX_DETAIL - 1] + "…"
