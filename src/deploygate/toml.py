"""The TOML parser: the standard library's tomllib, or tomli where Python lacks it (3.10).

Both config files and postmortem front matter go through :func:`parse`, so
that every TOML problem, including the ones tomllib does not raise as
``TOMLDecodeError`` (a 5,000-digit integer, nesting deep enough to exhaust
the stack), comes back as one :class:`TomlError` with a line number.
"""

from __future__ import annotations

import re
import sys
from typing import Any

if sys.version_info >= (3, 11):
    from tomllib import loads
else:  # pragma: no cover - exercised on Python 3.10 only
    from tomli import loads

_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")
_AT_END = re.compile(r"\s*\(at end of document\)")
_QUOTED = re.compile(r"\"[^\"\n]*\"|'[^'\n]*'")


class TomlError(ValueError):
    """Text that is not TOML: the parser's message, and the line when it is known."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


MAX_KEY_PARTS = 64
"""Dotted parts in one key or table name. tomllib's time grows with the square of a
key's parts (64 KB of ``a.a.a…`` took 19 s), and no config or front matter needs
more than a handful."""


def parse(text: str) -> dict[str, Any]:
    """Parse ``text`` as a TOML document."""
    for number, line in enumerate(lines(text), start=1):
        # A key is what comes before "=", a table name a line that starts with "[";
        # a line of a multi-line string is neither, and its dots are text.
        # Quoted parts are blanked first: a quoted "=" must not end the key early.
        plain = _QUOTED.sub("q", line)
        key = plain.split("=", 1)[0] if "=" in plain or plain.lstrip().startswith("[") else ""
        if key.count(".") >= MAX_KEY_PARTS:
            raise TomlError(
                f"a key or table name of more than {MAX_KEY_PARTS} dotted parts", number
            )
    try:
        return loads(text)
    except RecursionError:
        raise TomlError("nested too deeply", None) from None
    except ValueError as error:
        # TOMLDecodeError is a ValueError; so is int()'s refusal of huge numbers.
        message = str(error)
        position = _POSITION.search(message)
        if position:
            return_line: int | None = int(position.group(1))
        elif _AT_END.search(message):
            return_line = text.count("\n") + (0 if text.endswith("\n") else 1)
        else:
            return_line = None
        message = _AT_END.sub("", _POSITION.sub("", message)).strip()
        raise TomlError(message, return_line) from None


def lines(text: str) -> list[str]:
    r"""Split on ``\n`` (and ``\r\n``) only, as TOML and Markdown do.

    ``str.splitlines`` also breaks on form feeds and U+2028, which would shift
    every line number after them and split a valid TOML string in two.
    """
    return [line.removesuffix("\r") for line in text.split("\n")]
