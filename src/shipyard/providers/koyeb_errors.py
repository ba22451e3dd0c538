"""What Koyeb's error answers mean for the person running Shipyard.

Each answer becomes one ShipyardError line naming what was asked for and what
to fix; deployments that end badly raise DeploymentFailed with their events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shipyard.errors import ShipyardError
from shipyard.redaction import redact

if TYPE_CHECKING:
    import httpx

_MAX_DETAIL = 300


class DeploymentFailed(ShipyardError):
    """A deployment ended without becoming healthy.

    The message is one line naming the deployment and its status; `events`
    holds the deployment's event messages, oldest first, for the caller to
    print below it.
    """

    def __init__(
        self,
        message: str,
        *,
        deployment_id: str,
        status: str,
        events: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.deployment_id = deployment_id
        self.status = status
        self.events = list(events or [])


class DeploymentTimedOut(DeploymentFailed):
    """A deployment did not settle within the time Shipyard waited for it."""


def api_error(response: httpx.Response, what: str) -> ShipyardError:
    """The ShipyardError for a Koyeb error answer to a request about `what`.

    Koyeb answers errors with an Error or ErrorWithFields body; a 400's
    `fields` say which part of the request to fix, so they are listed.
    """
    status = response.status_code
    body = _body(response)
    detail = one_line(str(body.get("message") or response.reason_phrase))

    if status == 401:
        text = "Koyeb token rejected (401): check KOYEB_TOKEN for this environment"
    elif status == 403:
        text = (
            f"Koyeb token may not access {what} (403): check KOYEB_TOKEN for this "
            "environment and its organization"
        )
    elif status == 404:
        text = f"Koyeb has no {what} (404): check its name or id"
    elif status == 400:
        text = f"Koyeb rejected {what} (400): {detail}{_fields(body)}"
    elif status == 429:
        text = f"Koyeb kept rate-limiting {what} (429): wait a minute and run again"
    elif status >= 500:
        text = f"Koyeb failed on {what} ({status}): {detail}; try again later"
    else:
        text = f"Koyeb answered {status} to {what}: {detail}"
    return ShipyardError(redact(text))


def one_line(text: str) -> str:
    """`text` on a single line of bounded length, for an error message."""
    flat = " ".join(text.split())
    if len(flat) > _MAX_DETAIL:
        return flat[: _MAX_DETAIL - 1] + "…"
    return flat


def _body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _fields(body: dict[str, Any]) -> str:
    fields = [
        f"{entry.get('field', '?')}: {entry.get('description', '')}".rstrip(": ")
        for entry in body.get("fields") or []
        if isinstance(entry, dict)
    ]
    return f" ({one_line(', '.join(fields))})" if fields else ""
