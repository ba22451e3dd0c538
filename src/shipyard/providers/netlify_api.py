"""The HTTP layer of the Netlify client: token, retries and error answers.

Kept apart from the verbs in netlify.py so each stays small; nothing here
knows about deploys or sites.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Self

from shipyard.errors import ShipyardError
from shipyard.providers.http import RetryPolicy, make_client, send
from shipyard.redaction import Secret, redact

if TYPE_CHECKING:
    import httpx

PRODUCTION_URL = "https://api.netlify.com/api/v1"
_MAX_DETAIL = 300


class NetlifyAPI:
    """Authenticated, retried requests to one Netlify API base URL.

    The token is revealed only into the Authorization header; `sleep` and
    `clock` (epoch seconds) are injectable so waits can be exercised quickly.
    """

    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        timeout: float = 60.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._policy = RetryPolicy(max_retries=max_retries, sleep=sleep)
        self._sleep = sleep
        self._clock = clock
        self._http = make_client(
            base_url.rstrip("/") + "/",
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "Accept": "application/json",
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

    def _call(
        self,
        method: str,
        path: str,
        what: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        idempotent: bool | None = None,
        missing_ok: bool = False,
    ) -> Any:
        """One request; its JSON answer, or None for a 404 when `missing_ok`."""
        response = send(
            self._http,
            method,
            path,
            service="Netlify",
            policy=self._policy,
            idempotent=idempotent,
            params=params,
            json=json,
            content=content,
            headers=headers,
        )
        if missing_ok and response.status_code == 404:
            return None
        if not response.is_success:
            raise api_error(response, what)
        return _json(response, what)


def api_error(response: httpx.Response, what: str) -> ShipyardError:
    """The ShipyardError for a Netlify error answer to a request about `what`."""
    status = response.status_code
    detail = one_line(_message(response) or response.reason_phrase)

    if status == 401:
        text = (
            "Netlify token rejected (401): check NETLIFY_AUTH_TOKEN for this "
            "environment"
        )
    elif status == 403:
        text = (
            f"Netlify token may not access {what} (403): check NETLIFY_AUTH_TOKEN "
            "for this environment and its team"
        )
    elif status == 404:
        text = f"Netlify has no {what} (404): check its id"
    elif status in (400, 422):
        text = f"Netlify rejected {what} ({status}): {detail}"
    elif status == 429:
        text = f"Netlify kept rate-limiting {what} (429): wait a minute and run again"
    elif status >= 500:
        text = f"Netlify failed on {what} ({status}): {detail}; try again later"
    else:
        text = f"Netlify answered {status} to {what}: {detail}"
    return ShipyardError(redact(text))


def one_line(text: str) -> str:
    """`text` on a single line of bounded length, for an error message."""
    flat = " ".join(str(text).split())
    if len(flat) > _MAX_DETAIL:
        return flat[: _MAX_DETAIL - 1] + "…"
    return flat


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        return str(body.get("message") or body.get("error") or "")
    return ""


def _json(response: httpx.Response, what: str) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        raise ShipyardError(
            f"Netlify answered {what} with a body that is not JSON: check the base URL"
        ) from None
