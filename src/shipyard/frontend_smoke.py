"""The frontend's smoke test: the site answers 200 with the expected text, and the
backend lets the site's origin call its API (a CORS preflight, as a browser sends
before the page's request)."""

from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import urlsplit

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.release_context import config_of
from shipyard.steps import Context, Facts


def smoke_test_frontend(ctx: Context) -> Facts:
    """Check the published site and the CORS preflight from its origin."""
    from shipyard.frontend_steps import backend_url

    config = config_of(ctx)
    frontend = config.frontend
    assert frontend is not None
    site_url = ctx.fact("deploy_frontend", "url")
    api_url = backend_url(ctx).rstrip("/") + frontend.api_path
    timeout = float(config["SMOKE_TIMEOUT"])

    check_page(site_url, frontend.smoke_text, timeout)
    origin = origin_of(site_url)
    check_cors(api_url, origin, timeout, config.env)
    return {"frontend_url": site_url, "origin": origin, "api_url": api_url}


def origin_of(url: str) -> str:
    """scheme://host[:port] of `url`, as a browser sends it in Origin."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def check_page(url: str, text: str, timeout: float) -> None:
    """GET `url` until it answers 200 with `text` in the page, or fail."""
    import httpx

    def attempt() -> str | None:
        answer = httpx.get(url, timeout=5.0, follow_redirects=True)
        if answer.status_code != 200:
            return f"HTTP {answer.status_code}"
        if text and text not in answer.text:
            return f"200 without the text {text!r}"
        return None

    _until_ok(attempt, timeout, f"GET {url}")
    console.done(f"smoke test: GET {url} → 200" + (f" with {text!r}" if text else ""))


def check_cors(api_url: str, origin: str, timeout: float, env: str) -> None:
    """The backend answers a CORS preflight from `origin` by allowing it."""
    import httpx

    headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}

    def attempt() -> str | None:
        answer = httpx.options(api_url, headers=headers, timeout=5.0)
        allowed = answer.headers.get("Access-Control-Allow-Origin")
        if answer.status_code >= 400:
            return f"HTTP {answer.status_code}"
        if allowed not in (origin, "*"):
            return f"no Access-Control-Allow-Origin for {origin} (got {allowed!r})"
        return None

    try:
        _until_ok(attempt, min(timeout, 15.0), f"OPTIONS {api_url} from {origin}")
    except ShipyardError as problem:
        raise ShipyardError(f"{problem}: add {origin} to CORS_ALLOWED_ORIGINS in "
                            f"env/{env}.env") from None
    console.done(f"smoke test: CORS preflight from {origin} to {api_url} allowed")


def _until_ok(attempt: Callable[[], str | None], timeout: float, what: str) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    last = "no answer"
    while True:
        try:
            problem = attempt()
        except httpx.HTTPError as error:
            problem = type(error).__name__
        if problem is None:
            return
        last = problem
        if time.monotonic() >= deadline:
            raise ShipyardError(f"smoke test failed: {what} gave {last} for "
                                f"{timeout:g} s")
        time.sleep(1.0)
