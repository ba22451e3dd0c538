"""Lint rules for the Django backend's settings in an environment's ladder."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from shipyard.envfiles import split_list
from shipyard.lint_model import Finding, origin, truthy
from shipyard.stack import Stack


def debug_in_production(stack: Stack) -> list[Finding]:
    """DEBUG must be off in production: Django would show tracebacks to anyone."""
    raw = stack.value("DEBUG")
    if not stack.production or not truthy(raw):
        return []
    return [
        Finding(
            "debug-in-production",
            "error",
            stack.where("DEBUG"),
            "DEBUG",
            f"DEBUG is {raw!r} in {stack.env}: error pages show code and settings",
            f"set DEBUG=false in env/{stack.env}.env",
        )
    ]


def _host_allowed(host: str, patterns: list[str]) -> bool:
    """Django's ALLOWED_HOSTS matching: exact, `.suffix` for subdomains, or `*`."""
    host = host.lower()
    for pattern in (p.lower() for p in patterns):
        if pattern == "*" or pattern == host:
            return True
        if pattern.startswith(".") and (host.endswith(pattern) or host == pattern[1:]):
            return True
    return False


def allowed_hosts(stack: Stack) -> list[Finding]:
    """ALLOWED_HOSTS must hold the host the backend is reached on."""
    backend = stack.backend_url()
    if backend is None:
        return [
            Finding(
                "allowed-hosts",
                "info",
                f"env/{stack.env}.env",
                "BACKEND_PUBLIC_URL",
                "ALLOWED_HOSTS not checked: the backend's URL is not known",
                f"to check it here, set BACKEND_PUBLIC_URL in env/{stack.env}.env; "
                "left unset, the backend is reached on the Koyeb app's own "
                "domain and the release's smoke test checks it there",
            )
        ]
    host = urlsplit(backend.value).hostname or ""
    patterns = split_list(stack.value("ALLOWED_HOSTS") or "")
    if _host_allowed(host, patterns):
        return []
    return [
        Finding(
            "allowed-hosts",
            "error",
            stack.where("ALLOWED_HOSTS"),
            "ALLOWED_HOSTS",
            f"ALLOWED_HOSTS lacks {host}, the backend's host ({backend.where}): Django "
            "answers 400 to every request",
            f"add {host} to ALLOWED_HOSTS",
        )
    ]


def _regex_for(wildcard: str) -> str:
    return "^" + re.escape(wildcard).replace(r"\*", "[a-z0-9-]+") + "$"


def cors_origins(stack: Stack) -> list[Finding]:
    """CORS_ALLOWED_ORIGINS: plain origins only, wildcards belong in the regex list."""
    where = stack.where("CORS_ALLOWED_ORIGINS")
    findings = []
    for item in split_list(stack.value("CORS_ALLOWED_ORIGINS") or ""):
        if "*" in item:
            findings.append(
                Finding(
                    "cors-wildcard",
                    "error",
                    where,
                    "CORS_ALLOWED_ORIGINS",
                    f"{item} holds a wildcard: django-cors-headers compares "
                    "CORS_ALLOWED_ORIGINS literally, so it matches no origin",
                    f"move it to CORS_ALLOWED_ORIGIN_REGEXES as {_regex_for(item)}",
                )
            )
        elif origin(item) != item.rstrip("/") or item.endswith("/"):
            findings.append(
                Finding(
                    "cors-origin-shape",
                    "error",
                    where,
                    "CORS_ALLOWED_ORIGINS",
                    f"{item} is not an origin (scheme://host[:port], no path)",
                    f"write it as {_as_origin(item)}",
                )
            )
    return findings


def _as_origin(item: str) -> str:
    return origin(item) if "://" in item else f"https://{item}"


def cors_frontend(stack: Stack) -> list[Finding]:
    """The frontend's origin must be allowed, or its browser calls are refused."""
    frontend = stack.frontend_url()
    if frontend is None or truthy(stack.value("CORS_ALLOW_ALL_ORIGINS")):
        return []
    wanted = origin(frontend.value)
    listed = [origin(i) for i in split_list(stack.value("CORS_ALLOWED_ORIGINS") or "")]
    patterns = split_list(stack.value("CORS_ALLOWED_ORIGIN_REGEXES") or "")
    if wanted in listed or any(_matches(p, wanted) for p in patterns):
        return []
    return [
        Finding(
            "cors-missing-frontend",
            "error",
            stack.where("CORS_ALLOWED_ORIGINS"),
            "CORS_ALLOWED_ORIGINS",
            f"CORS_ALLOWED_ORIGINS lacks {wanted}, the frontend's origin "
            f"({frontend.where}): browsers refuse the frontend's API calls",
            f"add {wanted} to CORS_ALLOWED_ORIGINS",
        )
    ]


def _matches(pattern: str, text: str) -> bool:
    try:
        return re.match(pattern, text) is not None
    except re.error:
        return False


def csrf_schemes(stack: Stack) -> list[Finding]:
    """CSRF_TRUSTED_ORIGINS entries need their scheme since Django 4.0."""
    where = stack.where("CSRF_TRUSTED_ORIGINS")
    return [
        Finding(
            "csrf-scheme",
            "error",
            where,
            "CSRF_TRUSTED_ORIGINS",
            f"{item} has no scheme: Django refuses to start (CSRF_TRUSTED_ORIGINS "
            "entries must start with http:// or https://)",
            f"write https://{item}",
        )
        for item in split_list(stack.value("CSRF_TRUSTED_ORIGINS") or "")
        if "://" not in item
    ]
