"""Running netlify-cli against the Netlify stand-in without leaving 127.0.0.1.

netlify-cli takes its API from NETLIFY_API_URL, but while it resolves a
site's configuration it asks Netlify's extension API, a fixed HTTPS host,
which extensions the site has; it also checks npm for updates and sends
telemetry. The environment built here turns telemetry and update checks off,
preloads a small Node module that sends the extension look-ups to the
stand-in (which answers them), and refuses any other DNS look-up or
connection that would leave loopback, noting each one in a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit

SHIM_NAME = "shipyard-loopback.mjs"
BLOCKED_LOG = "blocked.log"

_SHIM = r"""
import dns from 'node:dns';
import fs from 'node:fs';
import net from 'node:net';

const origin = process.env.SHIPYARD_NETLIFY_ORIGIN;
const blockedLog = process.env.SHIPYARD_NETLIFY_BLOCKED_LOG;
const extensionHost = /(^|\.)netlifysdk\.com$/;

const isLoopback = (host) =>
  !host || host === 'localhost' || host === '::1' || /^(::ffff:)?127\./.test(host);
const note = (line) => {
  if (blockedLog) fs.appendFileSync(blockedLog, `${line}\n`);
};
const refusal = (host) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (outside loopback)`), {
    code: 'ENOTFOUND',
    hostname: host,
  });

const lookup = dns.lookup;
dns.lookup = function (host, options, callback) {
  if (isLoopback(host)) return lookup.apply(this, arguments);
  note(`lookup ${host}`);
  const done = typeof options === 'function' ? options : callback;
  process.nextTick(done, refusal(host));
  return {};
};
const promisedLookup = dns.promises.lookup;
dns.promises.lookup = async function (host, ...rest) {
  if (isLoopback(host)) return promisedLookup.call(this, host, ...rest);
  note(`lookup ${host}`);
  throw refusal(host);
};

const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let options = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof options !== 'object' || options === null) {
    options = typeof args[0] === 'string' ? { path: args[0] } : { host: args[1] };
  }
  const host = options.path ? null : options.host;
  if (host && net.isIP(host) && !isLoopback(host)) {
    note(`connect ${host}`);
    process.nextTick(() => this.destroy(refusal(host)));
    return this;
  }
  return connect.apply(this, args);
};

const realFetch = globalThis.fetch;
globalThis.fetch = function (input, init) {
  const raw = typeof input === 'string' || input instanceof URL ? input : input.url;
  const url = new URL(raw);
  if (origin && extensionHost.test(url.hostname)) {
    const target = new URL(url.pathname + url.search, origin);
    const request = typeof input === 'string' || input instanceof URL
      ? target
      : new Request(target, input);
    return realFetch(request, init);
  }
  return realFetch(input, init);
};
"""


def cli_environment(api_url: str, home: Path) -> dict[str, str]:
    """The environment for netlify-cli to talk to the stand-in at `api_url`.

    `home` becomes netlify-cli's home and config folder, so a person's own
    netlify-cli login and settings are neither used nor changed; refused
    look-ups are listed in `home`/blocked.log.
    """
    home.mkdir(parents=True, exist_ok=True)
    config = home / ".config"
    (config / "netlify").mkdir(parents=True, exist_ok=True)
    (config / "netlify" / "config.json").write_text(
        json.dumps({"telemetryDisabled": True}), encoding="utf-8"
    )
    shim = home / SHIM_NAME
    shim.write_text(_SHIM.lstrip(), encoding="utf-8")

    parts = urlsplit(api_url)
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("NETLIFY_", "NODE_OPTIONS", "SHIPYARD_NETLIFY_"))
    }
    return {
        **inherited,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(config),
        "NETLIFY_API_URL": api_url,
        "NETLIFY_TELEMETRY_DISABLED": "1",
        "NO_UPDATE_NOTIFIER": "1",
        "NODE_OPTIONS": f'--import "{shim}"',
        "SHIPYARD_NETLIFY_ORIGIN": f"{parts.scheme}://{parts.netloc}",
        "SHIPYARD_NETLIFY_BLOCKED_LOG": str(home / BLOCKED_LOG),
    }
