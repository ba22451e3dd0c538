"""The HTTP layer of the Koyeb client: token, retries, error answers, paging.

Kept apart from the verbs in koyeb.py so each stays small; nothing here
knows about apps or deployments.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Self

from shipyard.errors import ShipyardError
from shipyard.providers.http import RetryPolicy, make_client, send
from shipyard.providers.koyeb_errors import api_error
from shipyard.redaction import Secret

if TYPE_CHECKING:
    import httpx


class KoyebAPI:
    """Authenticated, retried requests to one Koyeb API base URL.

    The token is revealed only into the Authorization header. `sleep` and
    `clock` are injectable so retries and waits can be exercised quickly.
    """

    def __init__(
        self,
        base_url: str,
        token: Secret,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        page_size: int = 100,
    ) -> None:
        self._policy = RetryPolicy(max_retries=max_retries, sleep=sleep)
        self._sleep = sleep
        self._clock = clock
        self._page_size = page_size
        self._http = make_client(
            base_url,
            headers={
                "Authorization": f"Bearer {token.reveal()}",
                "Accept": "application/json",
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
        json: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> dict[str, Any]:
        response = send(
            self._http,
            method,
            path,
            service="Koyeb",
            policy=self._policy,
            idempotent=idempotent,
            params=params,
            json=json,
        )
        if not response.is_success:
            raise api_error(response, what)
        return _json(response, what)

    def _pages(
        self, path: str, key: str, params: dict[str, str], what: str
    ) -> Iterator[dict[str, Any]]:
        """Every item of a listing, page after page (limit/offset)."""
        offset = 0
        while True:
            page = {**params, "limit": str(self._page_size), "offset": str(offset)}
            reply = self._call("GET", path, what, params=page)
            items = reply.get(key) or []
            yield from items
            offset += len(items)

            more = reply.get("has_next")
            if more is None:
                more = offset < int(reply.get("count") or 0)
            if not items or not more:
                return


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        raise ShipyardError(
            f"Koyeb answered {what} with a body that is not JSON"
        ) from None
    return body if isinstance(body, dict) else {}
