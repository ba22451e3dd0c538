"""Secret values that mask themselves, and the registry that masks them in output."""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

MASK = "****"
_MIN_LENGTH = 4


class Redactor:
    """Remembers every secret value seen in this process and masks it in text."""

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._lock = threading.Lock()

    def add(self, value: str) -> None:
        """Mask `value` from now on; in GitHub Actions, also ask the runner to."""
        if len(value) < _MIN_LENGTH or value in self._values:
            return
        with self._lock:
            self._values.add(value)
        if os.environ.get("GITHUB_ACTIONS") == "true":
            from shipyard.output_streams import steady

            runner = steady(sys.__stdout__)  # type: ignore[arg-type]
            for line in value.splitlines():
                if line.strip():
                    runner.write(f"::add-mask::{line}\n")
            runner.flush()

    def redact(self, text: str) -> str:
        """`text` with every known secret value replaced by the mask."""
        if not self._values:
            return text
        for value in sorted(self._values, key=len, reverse=True):
            if value in text:
                text = text.replace(value, MASK)
        return text


REDACTOR = Redactor()


class Secret:
    """A secret value whose str and repr never show it.

    Creating one registers the value with the process-wide redactor, so it
    is masked in anything Shipyard prints afterwards.
    """

    __slots__ = ("_value", "name")

    def __init__(self, value: str, name: str = "") -> None:
        self._value = value
        self.name = name
        REDACTOR.add(value)

    def reveal(self) -> str:
        """The plain value, for handing to a client library; never for printing."""
        return self._value

    def __str__(self) -> str:
        return MASK

    def __repr__(self) -> str:
        label = f"{self.name}=" if self.name else ""
        return f"Secret({label}{MASK})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


class RedactingStream:
    """A text stream that masks known secret values before writing through."""

    def __init__(self, inner: TextIO, redactor: Redactor = REDACTOR) -> None:
        self._inner = inner
        self._redactor = redactor

    def write(self, text: str) -> int:
        self._inner.write(self._redactor.redact(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    def fileno(self) -> int:
        return self._inner.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._inner, "encoding", "utf-8")


def redact(text: str) -> str:
    """`text` with every known secret value masked."""
    return REDACTOR.redact(text)
