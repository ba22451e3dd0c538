"""What parity and lint need to know from a Dockerfile, read without Docker.

ARG defaults, the base images of every FROM line of a multi-stage build
(with `${ARG}` filled in), EXPOSE ports and the default port of the start
command, each with its line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_ARG = re.compile(r"^ARG\s+([A-Za-z_][A-Za-z0-9_]*)(?:=(\S*))?", re.IGNORECASE)
_FROM = re.compile(
    r"^FROM\s+(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?", re.IGNORECASE
)
SCRATCH = "scratch"
_EXPOSE = re.compile(r"^EXPOSE\s+(.+)$", re.IGNORECASE)
_CMD = re.compile(r"^(?:CMD|ENTRYPOINT)\s+(.+)$", re.IGNORECASE)
_DEFAULT_PORT = re.compile(r"\$\{PORT:-(\d+)\}")
_VARIABLE = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_PYTHON_TAG = re.compile(r"(?:^|/)python:(\d+)\.(\d+)")


@dataclass(frozen=True)
class Located:
    """A value found on line `line` of the Dockerfile."""

    value: str
    line: int


@dataclass(frozen=True)
class Image(Located):
    """The base image of one FROM line.

    `line` is where the image is written: the FROM line itself, or the ARG
    line when the FROM line is only `${arg}`. `stage` names the earlier stage
    a FROM line builds on (its value is then that stage's image).
    """

    from_line: int = 0
    arg: str | None = None
    stage: str | None = None

    @property
    def pulled(self) -> bool:
        """Whether this FROM line pulls an image (not an earlier stage, not scratch)."""
        return self.stage is None and self.value.lower() != SCRATCH


@dataclass
class Dockerfile:
    """The parts of a Dockerfile Shipyard checks."""

    path: Path
    args: dict[str, Located] = field(default_factory=dict)
    images: list[Image] = field(default_factory=list)
    exposed: list[Located] = field(default_factory=list)
    default_ports: list[Located] = field(default_factory=list)


def read_dockerfile(path: Path) -> Dockerfile:
    """Parse `path`, joining continued lines and skipping comments."""
    parsed = Dockerfile(path)
    stages: dict[str, Image] = {}
    for number, line in _logical_lines(path.read_text(encoding="utf-8")):
        if match := _ARG.match(line):
            parsed.args[match.group(1)] = Located(match.group(2) or "", number)
        elif match := _FROM.match(line):
            image = _image(match.group(1), number, parsed.args, stages)
            parsed.images.append(image)
            if match.group(2):
                stages[match.group(2).lower()] = image
        elif match := _EXPOSE.match(line):
            for port in match.group(1).split():
                parsed.exposed.append(Located(port.split("/")[0], number))
        elif match := _CMD.match(line):
            for port in _DEFAULT_PORT.findall(match.group(1)):
                parsed.default_ports.append(Located(port, number))
    return parsed


def python_version_of(image: str) -> tuple[int, int] | None:
    """The Python major.minor an official `python:X.Y...` image tag names."""
    match = _PYTHON_TAG.search(image.split("@")[0])
    return (int(match.group(1)), int(match.group(2))) if match else None


def moving_tag(image: str) -> str | None:
    """Why `image` can change under the same name, or None when pinned by digest."""
    if "@sha256:" in image:
        return None
    name = image.rsplit("/", 1)[-1]
    if ":" not in name:
        return "it has no tag, so it means :latest"
    tag = name.split(":", 1)[1]
    if tag == "latest":
        return "its tag is :latest"
    return f"its tag :{tag} is moved to new builds"


def _image(
    text: str, number: int, args: dict[str, Located], stages: dict[str, Image]
) -> Image:
    """A FROM image with ARGs filled in; located at the ARG when it is all one ARG,
    and resolved to the stage's image when it names an earlier stage."""
    whole = _VARIABLE.fullmatch(text)
    if whole and whole.group(1) in args:
        arg = args[whole.group(1)]
        return Image(arg.value, arg.line, from_line=number, arg=whole.group(1))
    filled = _fill(text, args)
    stage = stages.get(filled.lower())
    if stage is not None:
        return Image(
            stage.value, stage.line, from_line=number, arg=stage.arg, stage=filled
        )
    return Image(filled, number, from_line=number)


def _fill(text: str, args: dict[str, Located]) -> str:
    return _VARIABLE.sub(
        lambda m: args[m.group(1)].value if m.group(1) in args else m.group(0), text
    )


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, instruction) with `\\` continuations joined."""
    result: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if not pending:
            start = number
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        result.append((start, pending + stripped))
        pending = ""
    if pending:
        result.append((start, pending))
    return result
