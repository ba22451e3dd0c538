"""The typed settings Shipyard itself reads from the configuration ladder.

Each setting names its type, whether it is required and its default, so a
wrong value is reported with the file and key it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    key: str
    kind: str
    help: str
    default: Any = None
    required: bool = False
    choices: tuple[str, ...] = ()
    minimum: int | None = None


def _integer(raw: str) -> int:
    return int(raw.strip())


def _boolean(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(raw)


def _url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("http://", "https://")):
        raise ValueError(raw)
    return value


def _text(raw: str) -> str:
    return raw.strip()


PARSERS: dict[str, Callable[[str], Any]] = {
    "int": _integer,
    "bool": _boolean,
    "url": _url,
    "str": _text,
}

EXPECTED = {
    "int": "a whole number",
    "bool": "true or false",
    "url": "an http:// or https:// URL",
    "str": "text",
}

SETTINGS: tuple[Setting, ...] = (
    Setting("REGISTRY", "str", "image registry host, e.g. docker.io", required=True),
    Setting("REGISTRY_NAMESPACE", "str", "user or organisation in the registry", ""),
    Setting("REGISTRY_USERNAME", "str", "registry login; its password is the "
            "REGISTRY_PASSWORD secret", ""),
    Setting("KOYEB_API_URL", "url", "Koyeb API base URL", "https://app.koyeb.com/v1"),
    Setting("KOYEB_PUBLIC_SCHEME", "str", "scheme of the service's public URL",
            "https", choices=("http", "https")),
    Setting("DEPLOY_TIMEOUT", "int", "seconds to wait for a deployment", 300,
            minimum=1),
    Setting("SECRET_STORE", "str", "where secrets are read from", "keyring",
            choices=("keyring", "env", "sandbox")),
    Setting("BASE_IMAGE", "str", "base image passed to the backend build", ""),
    Setting("BUILD_WHEELS", "bool", "download wheels on the host into the "
            "build context (offline builds)", False),
    Setting("SMOKE_TIMEOUT", "int", "seconds the smoke test may take", 60,
            minimum=1),
    Setting("NETLIFY_API_URL", "url", "Netlify API base URL",
            "https://api.netlify.com/api/v1"),
    Setting("NETLIFY_SITE_ID", "str", "id of the Netlify site the frontend deploys "
            "to (default: shipyard.toml [frontend] netlify_site)", ""),
    Setting("BACKEND_PUBLIC_URL", "url", "the backend URL the frontend calls "
            "(default: the Koyeb app's domain)", ""),
    Setting("S3_BUCKET", "str", "bucket holding backups, the release ledger and "
            "the lock (empty: local files, no backups)", ""),
    Setting("S3_ENDPOINT_URL", "str", "S3 endpoint (empty: AWS)", ""),
    Setting("S3_REGION", "str", "S3 region", "us-east-1"),
    Setting("BACKUP_SSE", "str", "server-side encryption of backups", "",
            choices=("", "AES256", "aws:kms")),
    Setting("BACKUP_KEEP_LAST", "int", "backups always kept, newest first", 7,
            minimum=1),
    Setting("BACKUP_KEEP_DAILY_DAYS", "int", "days for which one backup a day "
            "is kept", 14, minimum=0),
    Setting("BACKUP_KEEP_WEEKLY_WEEKS", "int", "weeks for which one backup a "
            "week is kept", 8, minimum=0),
    Setting("GITHUB_API_URL", "url", "GitHub API base URL", "https://api.github.com"),
    Setting("GITHUB_REPOSITORY", "str", "owner/repo whose Actions secrets Shipyard "
            "sets", ""),
    Setting("PG_BIN_DIR", "str", "folder of pg_dump and pg_restore (empty: the "
            "newest installed)", ""),
)



def parse(setting: Setting, raw: Any) -> Any:
    """`raw` converted to the setting's type; ValueError when it does not fit."""
    if not isinstance(raw, str):
        raw = str(raw).lower() if isinstance(raw, bool) else str(raw)
    value = PARSERS[setting.kind](raw)
    if setting.choices and value not in setting.choices:
        raise ValueError(raw)
    if setting.minimum is not None and value < setting.minimum:
        raise ValueError(raw)
    return value


def expected(setting: Setting) -> str:
    """Words for what a setting accepts, for error messages."""
    if setting.choices:
        return "one of " + ", ".join(setting.choices)
    if setting.minimum is not None:
        return f"a whole number of at least {setting.minimum}"
    return EXPECTED[setting.kind]

SANDBOX_SETTINGS: tuple[Setting, ...] = (
    Setting("SANDBOX_POSTGRES_PORT", "int", "loopback port of the sandbox's "
            "PostgreSQL cluster", 54329),
    Setting("NETLIFY_SITE_PORT", "int", "loopback port where the Netlify "
            "stand-in serves the frontend's site", 8610),
    Setting("SANDBOX_S3_PORT", "int", "loopback port of the sandbox's S3 "
            "server (moto)", 8604),
)

SETTINGS = SETTINGS + SANDBOX_SETTINGS
BY_KEY = {setting.key: setting for setting in SETTINGS}
