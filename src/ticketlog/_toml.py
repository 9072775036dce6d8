"""TOML files validated by pydantic: one-line error messages naming each bad key and its line.

Shared by the files ticketlog reads (scenarios, import mappings, the desk configuration):
each raises its own error type (``error``) with these messages.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import pydantic

M = TypeVar("M", bound=pydantic.BaseModel)


def read_text(path: Path | str, what: str, error: type[Exception]) -> str:
    """The text of the file at ``path``; ``error`` naming ``what`` when it cannot be read."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as failure:
        msg = f"cannot read {what} {path}: {failure.strerror}"
        raise error(msg) from None


def parse(text: str, name: str, error: type[Exception]) -> dict[str, Any]:
    """The data of the TOML ``text``; ``error`` naming ``name`` when it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as failure:
        msg = f"{name} is not valid TOML: {failure}"
        raise error(msg) from None


def validated(
    model: type[M], data: dict[str, Any], text: str, name: str, error: type[Exception]
) -> M:
    """``data`` (read from ``text``) as ``model``; ``error`` naming ``name`` and every bad key
    with its line (:func:`problems`) when it is not valid."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as failure:
        msg = f"{name}: {problems(failure, text)}"
        raise error(msg) from None


class KeyProblem(ValueError):
    """Raised by a validator about a key below the field it validates: ``loc`` is that key's
    path from the field, so :func:`problems` names it (and its line)."""

    def __init__(self, loc: Sequence[str | int], message: str) -> None:
        super().__init__(message)
        self.loc = tuple(loc)


def problems(error: pydantic.ValidationError, text: str) -> str:
    """pydantic's report on the TOML ``text`` as one line: ``key (line n): message; ...``."""
    found = []
    for e in error.errors():
        cause = e.get("ctx", {}).get("error")
        loc = (*e["loc"], *cause.loc) if isinstance(cause, KeyProblem) else e["loc"]
        message = e["msg"] if cause is None else str(cause)
        found.append(f"{'.'.join(str(p) for p in loc)} (line {line_of(text, loc)}): {message}")
    return "; ".join(found)


_HEADER = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+")
_KEY = re.compile(r"""^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=""")


def line_of(text: str, loc: Sequence[str | int]) -> str:
    """The line of ``text`` that sets the key at ``loc`` (or its table), as a string
    (``"?"`` when none does)."""
    path = [str(part) for part in loc if isinstance(part, str)]
    table: list[str] = []
    best = "?"
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = [part.strip().strip("\"'") for part in header.group(1).split(".")]
            within = table == path[: len(table)] or path == table[: len(path)]
            if within and best == "?":
                best = str(number)
            continue
        key = _KEY.match(line)
        if key is None:
            continue
        full = table + [part.strip("\"'") for part in _split_key(key.group(1))]
        if full == path[: len(full)]:
            return str(number)
    return best


def _split_key(key: str) -> list[str]:
    return [key] if key[0] in "\"'" else key.split(".")
