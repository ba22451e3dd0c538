"""What every Shipyard task shares: error handling, output mode, config loading."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any

from invoke.exceptions import Exit

from shipyard import console
from shipyard.errors import ShipyardError
from shipyard.redaction import redact


def guarded(body: Callable[..., Any]) -> Callable[..., Any]:
    """Run a task body so that Shipyard's errors end it with one line and an exit code.

    A `json` keyword, when the task has one, switches human output to stderr
    and leaves stdout for the machine-readable result; a task that fails
    before printing its result prints {"ok": false, "error", "exit_code"}
    there instead, so a `--json` caller always gets one object.
    """

    @functools.wraps(body)
    def wrapper(c: Any, *args: Any, **kwargs: Any) -> Any:
        json_mode = bool(kwargs.get("json"))
        console.configure(json_mode=json_mode)
        watched = _Watched(sys.stdout) if json_mode else None
        if watched is not None:
            sys.stdout = watched  # type: ignore[assignment]
        try:
            return body(c, *args, **kwargs)
        except ShipyardError as problem:
            _fail(str(problem), problem.exit_code, watched)
        except KeyboardInterrupt:
            _fail("interrupted", 130, watched)
        except Exception as problem:
            if not _from_outside(problem) or os.environ.get("SHIPYARD_DEBUG"):
                raise
            _fail(_outside_message(problem), 1, watched)
        finally:
            if watched is not None and sys.stdout is watched:
                sys.stdout = watched.inner

    return wrapper


class _Watched:
    """stdout, noting whether the task has printed anything on it yet."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.written = False

    def write(self, text: str) -> int:
        self.written = self.written or bool(text)
        return self.inner.write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def _fail(message: str, code: int, watched: _Watched | None) -> None:
    """End the task: the one line on stderr and, for --json, the failure on stdout."""
    console.error(message)
    if watched is not None and not watched.written:
        line = (redact(message).splitlines() or ["error"])[0]
        sys.stdout = watched.inner
        console.emit_json({"ok": False, "error": line, "exit_code": code})
    raise Exit(code=code) from None


# Libraries whose errors describe the outside world (a refused connection, a
# bad answer), not a bug of Shipyard: they end a task with one line.
_OUTSIDE = {"psycopg", "botocore", "boto3", "httpx", "httpcore", "docker",
            "requests", "urllib3", "keyring", "secretstorage", "jeepney"}


def _from_outside(problem: Exception) -> bool:
    root = type(problem).__module__.split(".")[0]
    return root in _OUTSIDE or isinstance(problem, ConnectionError | TimeoutError)


def _outside_message(problem: Exception) -> str:
    if type(problem).__name__ == "NoCredentialsError":
        return ("no AWS credentials for the S3 bucket: set the AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY secrets (`inv secrets.set`, or environment "
                "variables in CI)")
    first = (str(problem).strip().splitlines() or [""])[0]
    kind = f"{type(problem).__module__.split('.')[0]}.{type(problem).__name__}"
    return (f"{kind}: {first or 'no detail'} (set SHIPYARD_DEBUG=1 for the "
            "traceback)")


def check_pick_up(*, resume: bool, abort: bool, dry_run: bool) -> None:
    """Refuse flag combinations whose meaning would be a guess."""
    if resume and abort:
        raise ShipyardError("--resume finishes a cut-off run and --abort undoes it: "
                            "pass one of them")
    if (resume or abort) and dry_run:
        raise ShipyardError("--dry-run cannot preview a cut-off run: look at its "
                            "journal in .shipyard/runs/, then --resume or --abort")


def load_config(env: str | None):  # type: ignore[no-untyped-def]
    """The validated Config of `env`; every task needs --env."""
    from shipyard import config

    if not env:
        raise ShipyardError("no environment given: pass --env=sandbox|staging|prod")
    return config.load(env)


ENV_HELP = "environment to act on, as listed in shipyard.toml (sandbox, staging, prod)"
DRY_RUN_HELP = "print the plan and change nothing"
JSON_HELP = "print a machine-readable result on stdout"


def refuse_empty(flag: str, value: str | None, hint: str) -> None:
    """Refuse a value flag given explicitly empty (`--to=`, an unset shell variable).

    Such flags default to None, so an empty string can only come from the
    command line, where acting on a default would be a guess.
    """
    if value is not None and not value.strip():
        raise ShipyardError(f"{flag} is empty: {hint}")
