"""New secret values, drawn with the `secrets` module (the OS's CSPRNG)."""

from __future__ import annotations

import secrets
import string

from shipyard.redaction import Secret

# The characters of Django's own get_random_secret_key().
DJANGO_ALPHABET = string.ascii_lowercase + string.digits + "!@#$%^&*(-_=+)"
DJANGO_KEY_LENGTH = 50

ALPHABETS = {
    "alphanumeric": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "urlsafe": string.ascii_letters + string.digits + "-_",
    "django": DJANGO_ALPHABET,
}


def random_string(length: int, alphabet: str) -> str:
    """`length` characters drawn uniformly from `alphabet`."""
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generated(name: str, length: int, alphabet: str = "alphanumeric") -> Secret:
    """A fresh value for a `generated` secret, from one of ALPHABETS by name."""
    return Secret(random_string(length, ALPHABETS[alphabet]), name)


def django_secret_key(name: str) -> Secret:
    """A fresh Django SECRET_KEY: 50 characters of Django's own alphabet."""
    return Secret(random_string(DJANGO_KEY_LENGTH, DJANGO_ALPHABET), name)


def database_password(name: str, length: int) -> Secret:
    """A fresh database password: letters and digits, so URLs need no quoting."""
    return Secret(random_string(length, ALPHABETS["alphanumeric"]), name)
