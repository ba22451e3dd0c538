"""Serving the stand-in's sites: one loopback port per site, kept across restarts.

A site's port serves its published deploy at `/`, and every ready deploy of
the site under `/deploys/{id}/`, the stand-in's permalink for a deploy.
Paths are matched decoded; a folder serves its index.html and a missing
file the deploy's 404.html, or a plain 404 page.
"""

from __future__ import annotations

import mimetypes
import re
import threading
import unicodedata
from typing import Any

from flask import Flask, Response, send_file
from werkzeug.serving import BaseWSGIServer, make_server

from shipyard.sandbox.netlify_state import Record, Store

_PERMALINK = re.compile(r"^deploys/([0-9a-f]{24})(?:/(.*))?$", re.DOTALL)
_NOT_FOUND = (
    "<!doctype html><title>Page not found</title>"
    "<h1>Page not found</h1><p>No file of this deploy is at this address.</p>"
)


class SiteServers:
    """The HTTP servers of all sites, each on its own thread."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._servers: dict[str, BaseWSGIServer] = {}

    def start(self, site_id: str, port: int = 0) -> int:
        """Serve the site on `port` (0: any free port); the port it got."""
        server = make_server(
            "127.0.0.1", port, site_app(self._store, site_id), threaded=True
        )
        self._servers[site_id] = server
        thread = threading.Thread(
            target=server.serve_forever, name=f"site-{site_id}", daemon=True
        )
        thread.start()
        return server.server_port

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()


def site_app(store: Store, site_id: str) -> Flask:
    """The WSGI app that serves one site's deploys."""
    app = Flask(f"netlify-site-{site_id}")

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def serve(path: str) -> Any:
        deploy, path = _which_deploy(store, site_id, path)
        if deploy is None:
            return Response(_NOT_FOUND, status=404, mimetype="text/html")
        return _serve_file(store, deploy["_files"], path)

    return app


def _which_deploy(store: Store, site_id: str, path: str) -> tuple[Record | None, str]:
    with store.lock:
        site = store.data["sites"].get(site_id)
        if site is None:
            return None, path
        permalink = _PERMALINK.match(path)
        if permalink:
            deploy = store.get_deploy(permalink.group(1))
            if deploy is not None and deploy["site_id"] == site_id:
                ready = deploy["state"] == "ready"
                return (deploy if ready else None), permalink.group(2) or ""
        published = site["published_deploy_id"]
        return store.data["deploys"].get(published or ""), path


def _serve_file(store: Store, files: dict[str, str], path: str) -> Response:
    for candidate in _candidates(path):
        sha = files.get(candidate)
        if sha is not None and store.has_blob(sha):
            return _send(store, sha, candidate, 200)
    sha = files.get("404.html")
    if sha is not None and store.has_blob(sha):
        return _send(store, sha, "404.html", 404)
    return Response(_NOT_FOUND, status=404, mimetype="text/html")


def _candidates(path: str) -> list[str]:
    """The deploy paths a URL path may name, in the order Netlify tries them."""
    found: list[str] = []
    for form in dict.fromkeys([path, unicodedata.normalize("NFC", path)]):
        bare = form.strip("/")
        if form == "" or form.endswith("/"):
            found.append(f"{bare}/index.html".lstrip("/"))
            continue
        found += [bare, f"{bare}/index.html", f"{bare}.html"]
    return found


def _send(store: Store, sha: str, name: str, status: int) -> Response:
    mime = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if status != 200:
        body = store.blob_path(sha).read_bytes()
        return Response(body, status=status, mimetype=mime)
    return send_file(store.blob_path(sha), mimetype=mime, etag=sha, conditional=True)
