"""The one generic reader of config tables: a frozen dataclass declares a table, this reads it.

A table is a frozen dataclass whose fields are made with :func:`setting`:
the field's name in kebab case is the key, the field's default is the
default, and the field's *kind* (a function from the TOML value to the
field's value) checks and converts what was written. So a backend declares
its keys, defaults and checks once, in its own folder, and every table gets
the same ``file:line: key: problem (expected ...)`` messages with
did-you-mean. Nothing here knows any one backend.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import field, fields, is_dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from deploygate import toml
from deploygate.credentials import holds_credentials
from deploygate.dates import DURATION_FORM, parse_duration
from deploygate.errors import ConfigError, did_you_mean

T = TypeVar("T")
Kind = Callable[[Any], Any]
"""Checks one TOML value and returns the field's value; raises :class:`Invalid` if wrong."""

_HEADER = re.compile(r"\s*\[\[?([^\]]*)\]\]?\s*(?:#.*)?")
"""A table header; its name is stripped by the caller: a lazy name followed by optional
spaces would backtrack quadratically on a line of spaces inside a multi-line string."""
# The first part of a plain, quoted or dotted key ("rules.open-action-item = ...").
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*[=.]""")
_KIND = "deploygate.kind"
REPOSITORY_FORM = "OWNER/NAME, e.g. acme/shop"
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


class Invalid(ValueError):
    """A value of the wrong form: what is wrong with it, and what was expected instead."""

    def __init__(self, problem: str, expected: str | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.expected = expected


def setting(default: Any, kind: Kind) -> Any:
    """A table field: its default, and the kind that reads what a person wrote."""
    return field(default=default, metadata={_KIND: kind})


def key_of(name: str) -> str:
    """A field's key as written in the file: ``postmortem_labels`` is ``postmortem-labels``."""
    return name.replace("_", "-")


def keys(table: type[Any]) -> tuple[str, ...]:
    """The keys a table accepts, in the order its dataclass declares them."""
    return tuple(key_of(item.name) for item in fields(table))


class Locator:
    """Knows a config file's text, so that an error can name the line to edit."""

    def __init__(self, text: str, path: Path, prefix: tuple[str, ...] = ()) -> None:
        self.lines = toml.lines(text)
        self.path = path
        self.prefix = prefix
        """Where deploygate's document sits in the file: ``("tool", "deploygate")`` in
        ``pyproject.toml``, nothing in ``deploygate.toml``."""

    def line_of(self, table: tuple[str, ...], key: str) -> int | None:
        """The line where ``key`` is set inside ``table``, or where that table starts.

        A key inside an inline table or a dotted key has no line of its own:
        then the line of the enclosing key is the one to edit.
        """
        wanted = (*self.prefix, *table)
        current: tuple[str, ...] = ()
        table_line = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.fullmatch(line)
            if header and header.group(1).strip():
                current = tuple(part.strip().strip("\"'") for part in header.group(1).split("."))
                if current == (*wanted, key):
                    return number
                if current == wanted:
                    table_line = number
                continue
            found = _KEY.match(line)
            if found and current == wanted and key in found.groups():
                return number
        if table_line is None and table:
            return self.line_of(table[:-1], table[-1])
        return table_line

    def nth_line(self, array: str, index: int) -> int | None:
        """The line of the ``index``-th ``[[array]]`` header."""
        header = re.compile(rf"^\s*\[\[\s*{re.escape('.'.join((*self.prefix, array)))}\s*\]\]")
        headers = [n for n, line in enumerate(self.lines, start=1) if header.match(line)]
        return headers[index] if index < len(headers) else None

    def error(
        self, table: tuple[str, ...], key: str, problem: str, expected: str | None = None
    ) -> ConfigError:
        """A ConfigError pointing at ``key`` of ``table``: file, line and dotted key."""
        return ConfigError(
            problem,
            path=self.path,
            line=self.line_of(table, key),
            field=".".join((*self.prefix, *table, key)),
            expected=expected,
        )

    def value(self, table: tuple[str, ...], key: str, kind: Kind, value: Any) -> Any:
        """``kind`` applied to ``value``; an :class:`Invalid` becomes an error at its line."""
        try:
            return kind(value)
        except Invalid as invalid:
            raise self.error(table, key, invalid.problem, invalid.expected) from None

    def checked(
        self, document: Any, table: tuple[str, ...], accepted: tuple[str, ...]
    ) -> dict[str, Any]:
        """``document`` as a table holding only ``accepted`` keys; else an error with a hint."""
        if not isinstance(document, dict):
            raise self.error(table[:-1], table[-1], "must be a table", "a [table]")
        for key in document:
            if key not in accepted:
                hint = did_you_mean(key, accepted)
                raise self.error(table, key, f"unknown key{hint}", "one of " + ", ".join(accepted))
        return document

    def table(self, document: Any, where: tuple[str, ...], table: type[T]) -> T:
        """Read ``document`` as the dataclass ``table``: its keys, defaults and kinds."""
        if not is_dataclass(table):
            raise TypeError(f"{table!r} is not a dataclass")
        written = self.checked(document, where, keys(table))
        values = {}
        for item in fields(table):
            key = key_of(item.name)
            if key in written:
                values[item.name] = self.value(where, key, item.metadata[_KIND], written[key])
        return table(**values)


# --- kinds: each checks one value and says what it expected -------------------------------


def text(expected: str) -> Callable[[Any], str]:
    """A non-empty string, stripped; ``expected`` says what it should be."""

    def read(value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise Invalid(f"{value!r} is not a non-empty string", expected)
        return value.strip()

    return read


def texts(value: Any) -> tuple[str, ...]:
    """A non-empty list of non-empty strings."""
    if not isinstance(value, list) or not value:
        raise Invalid(f"{value!r} is not a list", 'a list of strings, e.g. ["a"]')
    item = text("a list of strings")
    return tuple(item(entry) for entry in value)


def lower_texts(value: Any) -> tuple[str, ...]:
    """A list of strings, compared without case."""
    return tuple(entry.lower() for entry in texts(value))


def boolean(value: Any) -> bool:
    """true or false."""
    if not isinstance(value, bool):
        raise Invalid(f"{value!r} is not a boolean", "true or false")
    return value


def duration(value: Any) -> timedelta:
    """A duration such as ``90d`` or ``12h``."""
    if not isinstance(value, str):
        raise Invalid(f"{value!r} is not a duration", DURATION_FORM)
    try:
        return parse_duration(value)
    except ValueError as error:
        raise Invalid(str(error)) from None


def choice(choices: Mapping[str, Any]) -> Kind:
    """One of the names in ``choices``, read as its value."""

    def read(value: Any) -> Any:
        if isinstance(value, str) and value in choices:
            return choices[value]
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise Invalid(
            f"unknown value {value!r}{hint}", "one of " + ", ".join(repr(name) for name in choices)
        )

    return read


def url(expected: str) -> Kind:
    """A URL without ``user:password@``: the token has a variable of its own, and a URL is
    printed in every error line and report that names the server."""

    def read(value: Any) -> str:
        address = text(expected)(value)
        if holds_credentials(address):
            raise Invalid(
                "the URL holds credentials", f"{expected}, with the token in its own variable"
            )
        return address

    return read


def repository(value: Any) -> str:
    """``OWNER/NAME``."""
    name = text(REPOSITORY_FORM)(value)
    if not _REPOSITORY.match(name):
        raise Invalid(f"{name!r} is not a repository", REPOSITORY_FORM)
    return name


def template(name: str) -> Kind:
    """A label template that ends with ``{name}``, e.g. ``service:{service}``."""

    def read(value: Any) -> str:
        label = text(f"a label with {{{name}}}, e.g. '{name}:{{{name}}}'")(value)
        if label.count(f"{{{name}}}") != 1 or not label.endswith(f"{{{name}}}"):
            raise Invalid(f"{label!r} must end with {{{name}}}", f"e.g. '{name}:{{{name}}}'")
        return label

    return read
