"""Health checks of the Koyeb stand-in: probe a new deployment until it passes.

Timings follow the definition's health checks with sandbox-sized defaults: a
deployment has `grace_period + restart_limit * timeout` seconds (5 + 3 * 5 by
default, at least 5 and at most 60) to pass every check; each probe waits
`timeout` seconds at most. An HTTP check passes on a 2xx answer.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from shipyard.sandbox.koyeb_validate import as_int

DEFAULT_GRACE = 5
DEFAULT_TIMEOUT = 5
DEFAULT_RESTART_LIMIT = 3
MIN_WINDOW = 5.0
MAX_WINDOW = 60.0
PROBE_EVERY = 0.5
NO_ANSWER = "no answer"


@dataclass
class Check:
    """One health check, aimed at the port where the container really listens."""

    kind: str
    declared_port: int
    port: int
    timeout: float
    path: str = "/"
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        """How the check reads in a deployment event."""
        what = f"{self.method} {self.path}" if self.kind == "http" else "TCP"
        where = f"port {self.declared_port}"
        if self.port != self.declared_port:
            where += f" (loopback 127.0.0.1:{self.port})"
        return f"health check {what} on {where}"


def plan(
    definition: dict[str, Any], port_map: dict[int, int]
) -> tuple[list[Check], float]:
    """The checks of a definition and the seconds the deployment has to pass them.

    Without declared health checks, a TCP check on the lowest declared port is
    used, as Koyeb does; a definition without ports has no checks at all.
    """
    declared = definition.get("health_checks") or []
    if not declared and port_map:
        declared = [{"tcp": {"port": min(port_map)}}]
    checks = []
    window = MIN_WINDOW
    for entry in declared:
        timeout = _number(entry, "timeout", DEFAULT_TIMEOUT)
        grace = _number(entry, "grace_period", DEFAULT_GRACE)
        limit = _number(entry, "restart_limit", DEFAULT_RESTART_LIMIT)
        window = max(window, grace + max(limit, 1) * timeout)
        checks.append(_check(entry, port_map, float(max(timeout, 1))))
    return checks, min(window, MAX_WINDOW)


def _number(entry: dict[str, Any], key: str, default: int) -> int:
    """A whole-number setting of a health check, or its default."""
    value = as_int(entry.get(key))
    return default if value is None or (value == 0 and key == "timeout") else value


def _check(entry: dict[str, Any], port_map: dict[int, int], timeout: float) -> Check:
    """One Check from a DeploymentHealthCheck."""
    kind = "http" if entry.get("http") else "tcp"
    spec = entry[kind]
    declared = as_int(spec.get("port")) or 0
    real = port_map.get(declared, declared)
    if kind == "tcp":
        return Check("tcp", declared, real, timeout)
    headers = {h.get("key", ""): h.get("value", "") for h in spec.get("headers") or []}
    return Check(
        "http",
        declared,
        real,
        timeout,
        path=spec.get("path") or "/",
        method=(spec.get("method") or "GET").upper(),
        headers=headers,
    )


def probe(check: Check) -> str | None:
    """Run one check once: None when it passes, else what went wrong."""
    if check.kind == "tcp":
        try:
            with socket.create_connection(("127.0.0.1", check.port), check.timeout):
                return None
        except OSError:
            return NO_ANSWER
    url = f"http://127.0.0.1:{check.port}{check.path}"
    try:
        answer = httpx.request(
            check.method, url, headers=check.headers, timeout=check.timeout
        )
    except httpx.HTTPError:
        return NO_ANSWER
    if 200 <= answer.status_code < 300:
        return None
    return f"answered HTTP {answer.status_code} (a 2xx answer is expected)"


def wait_healthy(
    checks: list[Check], window: float, interrupted: Callable[[], str | None]
) -> str | None:
    """Probe until every check passes: None on success, else why it failed.

    `interrupted` is asked between probes; a reason from it (the container
    exited, the deployment was canceled) ends the wait at once.
    """
    deadline = time.monotonic() + window
    pending = list(checks)
    last: dict[int, str] = {}
    while True:
        reason = interrupted()
        if reason:
            return reason
        for check in list(pending):
            outcome = probe(check)
            if outcome is None:
                pending.remove(check)
            else:
                last[id(check)] = outcome
        if not pending:
            return None
        if time.monotonic() >= deadline:
            check = pending[0]
            outcome = last.get(id(check), NO_ANSWER)
            if outcome == NO_ANSWER:
                return f"{check.describe()} got no answer for {window:.0f} s"
            return f"{check.describe()} {outcome} for {window:.0f} s"
        time.sleep(PROBE_EVERY)
