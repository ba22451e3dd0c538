"""Lint rules for how the stack is deployed: API URL, ports, publish folder, images."""

from __future__ import annotations

from urllib.parse import urlsplit

from shipyard.dockerfile import Dockerfile, moving_tag, read_dockerfile
from shipyard.envfiles import relative
from shipyard.lint_model import Finding, Level, origin
from shipyard.stack import TOML, Stack

LOOPBACK = ("localhost", "127.0.0.1", "::1", "0.0.0.0")


def api_url(stack: Stack) -> list[Finding]:
    """NEXT_PUBLIC_API_URL, where a file sets it, must point at this env's backend.

    Unset is fine: the release gives the build the backend's URL itself.
    """
    api = stack.value("NEXT_PUBLIC_API_URL")
    where = stack.where("NEXT_PUBLIC_API_URL")
    if not api:
        return []
    backend = stack.backend_url()
    if backend is not None and origin(api) != origin(backend.value):
        return [
            Finding(
                "api-url",
                "error",
                where,
                "NEXT_PUBLIC_API_URL",
                f"NEXT_PUBLIC_API_URL points at {origin(api)}, but the backend of "
                f"{stack.env} is {origin(backend.value)} ({backend.where})",
                f"set NEXT_PUBLIC_API_URL to {backend.value}/…",
            )
        ]
    if stack.production and (urlsplit(api).hostname or "") in LOOPBACK:
        return [
            Finding(
                "api-url",
                "error",
                where,
                "NEXT_PUBLIC_API_URL",
                f"NEXT_PUBLIC_API_URL points at {origin(api)} in {stack.env}: "
                "visitors' browsers would call their own machine",
                "set it to the backend's public URL",
            )
        ]
    return []


def _dockerfile(stack: Stack) -> Dockerfile | None:
    backend = stack.config.backend
    path = backend.context / backend.dockerfile
    return read_dockerfile(path) if path.is_file() else None


def ports(stack: Stack) -> list[Finding]:
    """Health-check port, route port, EXPOSE and the start command's default agree."""
    table = stack.document.get("backend") or {}
    port = stack.config.backend.port
    findings = []
    for key in ("health_port", "route_port"):
        if key in table and table[key] != port:
            findings.append(
                Finding(
                    "ports",
                    "error",
                    f"{TOML} [backend] {key}",
                    key,
                    f"{key} {table[key]} differs from port {port}: Koyeb would "
                    "probe or route to a port the app does not serve",
                    f"set [backend] {key} = {port}, or remove it",
                )
            )
    parsed = _dockerfile(stack)
    if parsed is None:
        return findings
    shown = relative(parsed.path, stack.root)
    exposed = [item for item in parsed.exposed if item.value.isdigit()]
    if exposed and str(port) not in {item.value for item in exposed}:
        findings.append(
            Finding(
                "ports",
                "error",
                f"{shown}:{exposed[0].line}",
                "EXPOSE",
                f"the image exposes {', '.join(i.value for i in exposed)} but "
                f"shipyard.toml [backend] port is {port}: health check and route "
                "miss it",
                f"EXPOSE {port}, or set [backend] port to the port the app listens on",
            )
        )
    for item in parsed.default_ports:
        if item.value != str(port):
            findings.append(
                Finding(
                    "ports",
                    "error",
                    f"{shown}:{item.line}",
                    "PORT",
                    f"the start command listens on {item.value} when PORT is unset, "
                    f"but [backend] port is {port}",
                    f"change the default to ${{PORT:-{port}}}",
                )
            )
    return findings


def publish_folder(stack: Stack) -> list[Finding]:
    """The frontend's publish folder must be a static site with index.html."""
    frontend = stack.frontend
    if frontend is None:
        return []
    shown = relative(frontend.publish, stack.root)
    where = f"{TOML} [frontend] publish"
    if frontend.publish.name == ".next":
        return [
            Finding(
                "publish-folder",
                "error",
                where,
                "publish",
                f"{shown} is Next.js's build cache, not a site Netlify can serve",
                "set output: 'export' in next.config and publish = \"out\"",
            )
        ]
    if not frontend.publish.is_dir():
        return [
            Finding(
                "publish-folder",
                "info",
                where,
                "publish",
                f"{shown} does not exist yet: not checked",
                "build the frontend first",
            )
        ]
    if (frontend.publish / "index.html").is_file():
        return []
    return [
        Finding(
            "publish-folder",
            "error",
            where,
            "publish",
            f"{shown} has no index.html: Netlify would serve 404 at /",
            "point [frontend] publish at the folder the build writes index.html to",
        )
    ]


def moving_images(stack: Stack) -> list[Finding]:
    """In production every image is named by digest, so a rebuild is the same image.

    Every FROM line of a multi-stage build counts: a moving builder image changes
    what is copied into the final one.
    """
    from shipyard.parity_runtime import base_images

    if not stack.production:
        return []
    findings = []
    for base in base_images(stack):
        reason = moving_tag(base.image) if base.pulled else None
        if reason is None:
            continue
        level: Level = "warning" if "moved to new builds" in reason else "error"
        findings.append(
            Finding(
                "moving-image-tag",
                level,
                base.where,
                base.key,
                f"{stack.env} builds on {base.image}: {reason}, so two builds of one "
                "commit can differ",
                f"pin it by digest: {base.image.split('@')[0]}@sha256:<digest>",
            )
        )
    return findings
