"""Entries of one OS-keyring service, with keyring's failures turned into plain errors.

Shipyard refuses keyring backends that cannot keep a secret (keyring's
`fail` and `null` backends, a chainer with nothing to chain, plaintext
files) instead of falling back to one silently, and tells a locked
collection apart from a missing value.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from shipyard.errors import ShipyardError
from shipyard.redaction import redact

if TYPE_CHECKING:
    from keyring.backend import KeyringBackend

NO_KEYRING = (
    "no usable OS keyring here ({why}): install and unlock one (gnome-keyring's "
    "Secret Service in a D-Bus session, macOS Keychain, Windows Credential "
    "Locker), or set SECRET_STORE=env in CI and pass secrets as environment "
    "variables"
)
LOCKED = (
    "the keyring is locked: unlock it (log in to the desktop session, or run "
    "`gnome-keyring-daemon --replace --unlock` and type its password) and run again"
)
NO_COLLECTION = (
    "the keyring has no default collection and cannot ask for a password to "
    "create one: start gnome-keyring with a password (`gnome-keyring-daemon "
    "--unlock` reading it on stdin), or set SECRET_STORE=env in CI"
)
_PLAINTEXT_BACKENDS = frozenset({"PlaintextKeyring"})


def usable_backend(backend: KeyringBackend | None = None) -> KeyringBackend:
    """`backend` (default: the one keyring chose), or a ShipyardError saying why not.

    A backend that would lose secrets or keep them in a plain file is refused
    here, so nothing is ever written to it.
    """
    import keyring
    from keyring.backends import chainer, fail, null

    chosen = backend if backend is not None else keyring.get_keyring()
    if isinstance(chosen, fail.Keyring):
        raise ShipyardError(NO_KEYRING.format(why="keyring found no backend"))
    if isinstance(chosen, null.Keyring):
        raise ShipyardError(NO_KEYRING.format(why="the keyring backend is 'null'"))
    if isinstance(chosen, chainer.ChainerBackend) and not chosen.backends:
        raise ShipyardError(
            NO_KEYRING.format(why="keyring's chainer has no backends to chain")
        )
    if type(chosen).__name__ in _PLAINTEXT_BACKENDS:
        raise ShipyardError(
            NO_KEYRING.format(why=f"{type(chosen).__name__} keeps values in a file")
        )
    return chosen


class KeyringEntries:
    """Read, write and delete the entries (user names) of one keyring service."""

    def __init__(self, service: str, backend: KeyringBackend) -> None:
        self.service = service
        self.backend = backend

    def read(self, user: str) -> str | None:
        """The value of entry `user`, or None when there is no such entry."""
        with translated(f"read {user} of {self.service}"):
            return self.backend.get_password(self.service, user)

    def write(self, user: str, value: str) -> None:
        """Create or replace entry `user` (one atomic write in the backend)."""
        with translated(f"write {user} of {self.service}"):
            self.backend.set_password(self.service, user, value)

    def delete(self, user: str) -> bool:
        """Remove entry `user`; False when it was already gone."""
        from keyring.errors import PasswordDeleteError

        with translated(f"delete {user} of {self.service}"):
            try:
                self.backend.delete_password(self.service, user)
            except PasswordDeleteError:
                return False
        return True


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Run a keyring call; turn its failures into one-line ShipyardErrors.

    Locked collections and unreachable services get messages of their own:
    neither may ever look like a missing value. Anything else passes through.
    """
    try:
        yield
    except Exception as problem:
        plain = plain_error(problem, action)
        if plain is None:
            raise
        raise plain from None


def plain_error(problem: Exception, action: str) -> ShipyardError | None:
    """The ShipyardError for a failure of keyring (or what it wraps), else None."""
    from keyring.errors import InitError, KeyringError, KeyringLocked, NoKeyringError

    locked, unreachable = _secretstorage_errors()
    if isinstance(problem, (KeyringLocked, *locked)):
        return ShipyardError(LOCKED)
    if isinstance(problem, NoKeyringError):
        return ShipyardError(NO_KEYRING.format(why="keyring found no backend"))
    if isinstance(problem, InitError):
        if "create the collection" in str(problem):
            return ShipyardError(NO_COLLECTION)
        return ShipyardError(NO_KEYRING.format(why=_short(problem)))
    if isinstance(problem, (*unreachable, OSError)):
        why = f"the Secret Service cannot be reached over D-Bus: {_short(problem)}"
        return ShipyardError(NO_KEYRING.format(why=why))
    if isinstance(problem, KeyringError):
        return ShipyardError(f"the OS keyring refused to {action}: {_short(problem)}")
    return None


def _secretstorage_errors() -> tuple[
    tuple[type[Exception], ...], tuple[type[Exception], ...]
]:
    """(locked, unreachable) exception types of secretstorage and jeepney, if any.

    keyring's Secret Service backend lets some of them through: a prompt
    dismissed on an item, a D-Bus session that went away.
    """
    try:
        from jeepney.wrappers import DBusErrorResponse
        from secretstorage.exceptions import (
            LockedException,
            PromptDismissedException,
            SecretServiceNotAvailableException,
        )
    except ImportError:
        return (), ()
    return (
        (LockedException, PromptDismissedException),
        (SecretServiceNotAvailableException, DBusErrorResponse),
    )


def _short(problem: BaseException) -> str:
    text = " ".join(str(problem).split()) or type(problem).__name__
    return redact(text)[:200]
