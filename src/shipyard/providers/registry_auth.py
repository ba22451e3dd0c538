"""httpx authentication for a registry's HTTP API: Basic, or a Bearer token.

Most registries answer 401 with a challenge that names where to fetch a
token scoped to one repository; anonymous tokens serve public images.
"""

from __future__ import annotations

import base64
from collections.abc import Generator

import httpx
from werkzeug.datastructures import WWWAuthenticate

from shipyard.redaction import Secret


class RegistryAuth(httpx.Auth):
    """Answers the registry's 401 challenge with the credentials, if any."""

    requires_response_body = True

    def __init__(self, credentials: tuple[str, Secret] | None) -> None:
        self._credentials = credentials

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        response = yield request
        challenge = response.headers.get("www-authenticate")
        if response.status_code != 401 or not challenge:
            return
        parsed = WWWAuthenticate.from_header(challenge)
        if parsed is None:
            return
        basic = self._basic_header()

        if parsed.type == "basic" and basic:
            request.headers.update(basic)
            yield request
        elif parsed.type == "bearer" and parsed.parameters.get("realm"):
            params = {k: v for k, v in parsed.parameters.items() if v is not None}
            token = yield from self._fetch_token(params, basic)
            if token:
                request.headers["Authorization"] = f"Bearer {token}"
                yield request

    def _fetch_token(
        self, challenge: dict[str, str], basic: dict[str, str]
    ) -> Generator[httpx.Request, httpx.Response, str | None]:
        query: dict[str, str] = {
            key: challenge[key] for key in ("service", "scope") if key in challenge
        }
        answer = yield httpx.Request(
            "GET", challenge["realm"], params=query, headers=basic
        )
        if answer.status_code != 200:
            return None
        body = answer.json()
        return body.get("token") or body.get("access_token")

    def _basic_header(self) -> dict[str, str]:
        if self._credentials is None:
            return {}
        username, password = self._credentials
        pair = base64.b64encode(f"{username}:{password.reveal()}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
