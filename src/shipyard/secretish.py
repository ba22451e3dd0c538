"""Heuristics for keys and values that look like secrets.

Used where Shipyard must decide without a manifest entry whether a value may
be shown (parity) or must not sit in a committed file (lint): a key named
like a credential, a value with a known token prefix, a URL carrying a
password, or a long string of high entropy.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_SECRET_NAME = re.compile(
    r"(SECRET|TOKEN|PASSWORD|PASSWD|PRIVATE|CREDENTIAL|API_KEY|ACCESS_KEY|"
    r"AUTH_KEY|_KEY$|^KEY$|_DSN$|DATABASE_URL$|_PAT$)"
)
_PUBLIC_PREFIX = "NEXT_PUBLIC_"
_PREFIXES = (
    "sk_live_",
    "sk_test_",
    "rk_live_",
    "pk_live_",
    "whsec_",
    "ghp_",
    "gho_",
    "ghu_",
    "ghs_",
    "ghr_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "xoxa-",
    "AKIA",
    "ASIA",
    "AIza",
    "SG.",
    "-----BEGIN",
    "npm_",
    "pypi-",
    "dop_v1_",
    "django-insecure-",
)
_URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/:@\s]+:[^@\s]+@", re.IGNORECASE)
_PLACEHOLDER = re.compile(
    r"^(|changeme|change-me|secret|password|xxx+|\*+|dummy|example|placeholder|"
    r"todo|none|null|<.*>|\$\{.*\}|\$[A-Z_]+)$",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]+")
_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE
)
_WORDS = re.compile(r"[a-z]+(?:[-_/][a-z0-9]+)*")
MIN_ENTROPY_LENGTH = 20
ENTROPY_BITS = 3.5


def secret_name(key: str) -> bool:
    """Whether `key` is named like a credential (NEXT_PUBLIC_* never is)."""
    return not key.startswith(_PUBLIC_PREFIX) and bool(_SECRET_NAME.search(key))


def placeholder(value: str) -> bool:
    """Whether `value` is obviously not a real secret (empty, changeme, ${VAR})."""
    return bool(_PLACEHOLDER.match(value.strip()))


def entropy(text: str) -> float:
    """Shannon entropy of `text` in bits per character."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def looks_like_secret(value: str) -> str | None:
    """Why `value` looks like a secret (a short reason), or None when it does not."""
    text = value.strip()
    if placeholder(text):
        return None
    if text.startswith(_PREFIXES):
        return "it starts like a known token format"
    if _URL_PASSWORD.match(text):
        return "it is a URL with a password in it"
    if _random_token(text):
        return f"it is a random-looking string of {len(text)} characters"
    return None


def _random_token(text: str) -> bool:
    """A long run of token characters with letters, digits and high entropy.

    Host names, paths, image names and UUIDs (ids, not secrets) are left out.
    """
    if len(text) < MIN_ENTROPY_LENGTH or not _TOKEN.fullmatch(text):
        return False
    if _UUID.fullmatch(text) or _WORDS.fullmatch(text):
        return False
    has_letter = any(c.isalpha() for c in text)
    has_digit = any(c.isdigit() for c in text)
    return has_letter and has_digit and entropy(text) >= ENTROPY_BITS


def secret_value(key: str, value: str) -> str | None:
    """Why a value of `key` must be treated as secret, or None."""
    reason = looks_like_secret(value)
    if reason:
        return reason
    if secret_name(key) and not placeholder(value) and len(value.strip()) >= 8:
        return "its key is named like a credential"
    return None
