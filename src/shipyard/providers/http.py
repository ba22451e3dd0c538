"""One way to talk HTTP to a provider API: an httpx client and a retry policy.

Rate limits (429) and server trouble (5xx) are retried with exponential backoff,
honouring the server's Retry-After or X-RateLimit-Reset, within a bounded total
wait; the Koyeb, Netlify and GitHub clients share it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from shipyard import console
from shipyard.errors import ShipyardError

if TYPE_CHECKING:
    import httpx
    from tenacity import RetryCallState

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})

# Answers that say the server did not act on the request, so even a POST may
# be sent again without doing its work twice.
NOT_ACTED_ON = frozenset({429, 503})

# X-RateLimit-Reset above this is a Unix time rather than a number of seconds.
_EPOCH_THRESHOLD = 1_000_000_000


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long one request is retried before Shipyard gives up.

    `max_wait` caps one backoff step; a wait the server asks for is honoured
    as long as all waits of the request stay within `max_total_wait`.
    """

    max_retries: int = 5
    initial_wait: float = 1.0
    max_wait: float = 30.0
    max_total_wait: float = 120.0
    sleep: Callable[[float], None] = time.sleep


def make_client(
    base_url: str, *, headers: dict[str, str] | None = None, timeout: float = 30.0
) -> httpx.Client:
    """An httpx client for one API, so every provider client is set up alike."""
    import httpx

    return httpx.Client(
        base_url=base_url,
        headers=headers or {},
        timeout=timeout,
        follow_redirects=False,
    )


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    policy: RetryPolicy,
    idempotent: bool | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """Send a request, retrying what the policy allows; return the last answer.

    The answer may still be an error status: mapping it to a message is the
    caller's job, since only the caller knows what was asked for. A server
    that cannot be reached raises ShipyardError naming `service`.
    """
    import httpx
    from tenacity import Retrying

    method = method.upper()
    if idempotent is None:
        idempotent = method in IDEMPOTENT_METHODS

    retrying = Retrying(
        sleep=policy.sleep,
        retry=lambda state: _retryable(state, idempotent),
        wait=lambda state: next_wait(policy, state),
        stop=lambda state: _should_stop(policy, state),
        before_sleep=lambda state: _announce(service, state),
        retry_error_callback=_last_answer,
    )
    try:
        return retrying(client.request, method, url, **kwargs)
    except httpx.TransportError as exc:
        raise _unreachable(client, service, method, url, exc, idempotent) from None


def server_wait(response: httpx.Response) -> float | None:
    """Seconds the server asked us to wait (Retry-After, X-RateLimit-Reset)."""
    retry_after = response.headers.get("retry-after")
    if retry_after:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(retry_after)
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when.timestamp() - time.time())

    reset = response.headers.get("x-ratelimit-reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        if value > _EPOCH_THRESHOLD:
            value -= time.time()
        return max(0.0, value)
    return None


def next_wait(policy: RetryPolicy, state: RetryCallState) -> float:
    """The wait before the next attempt: the server's wish, else backoff."""
    outcome = state.outcome
    if outcome is not None and not outcome.failed:
        asked = server_wait(outcome.result())
        if asked is not None:
            return asked
    backoff = policy.initial_wait * 2 ** (state.attempt_number - 1)
    return min(policy.max_wait, backoff)


def _retryable(state: RetryCallState, idempotent: bool) -> bool:
    import httpx

    outcome = state.outcome
    if outcome is None:
        return False
    if outcome.failed:
        error = outcome.exception()
        if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
            return True
        return idempotent and isinstance(error, httpx.TransportError)
    status = outcome.result().status_code
    return status in NOT_ACTED_ON or (idempotent and status >= 500)


def _last_answer(state: RetryCallState) -> httpx.Response:
    """The final answer once retries are spent (or its error, raised)."""
    if state.outcome is None:
        raise RuntimeError("retries ended before any attempt")
    return state.outcome.result()


def _should_stop(policy: RetryPolicy, state: RetryCallState) -> bool:
    if state.attempt_number > policy.max_retries:
        return True
    return state.idle_for + next_wait(policy, state) > policy.max_total_wait


def _announce(service: str, state: RetryCallState) -> None:
    outcome = state.outcome
    if outcome is None:
        return
    if outcome.failed:
        reason = f"could not reach {service} ({type(outcome.exception()).__name__})"
    else:
        reason = f"{service} answered {outcome.result().status_code}"
    wait = state.next_action.sleep if state.next_action else 0.0
    console.say(f"{reason}; retrying in {round(wait, 1):g} s")


def _unreachable(
    client: httpx.Client,
    service: str,
    method: str,
    url: str,
    error: Exception,
    idempotent: bool,
) -> ShipyardError:
    import httpx

    kind = type(error).__name__
    not_sent = isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout))
    if idempotent or not_sent:
        return ShipyardError(
            f"cannot reach {service} at {client.base_url} ({kind}): "
            "check its base URL and the network"
        )
    return ShipyardError(
        f"{service} did not answer {method} {url} ({kind}): check in {service} "
        "whether it took effect before running again"
    )
