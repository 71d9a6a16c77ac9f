"""Type checks on the records an API answers, shared by the sources that read JSON.

A field of the wrong type read anyway is coerced into something else (a
title ``["x"]`` into the text "['x']", labels ``"postmortem"`` into no
labels) and the gate would decide on it without a word; each source refuses
it instead, naming the record in its own words.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from deploygate.dates import parse_api_instant
from deploygate.sanitize import terminal

NULL = type(None)
"""For a field that may be null (or missing, which reads as null)."""

FieldTypes = Mapping[str, tuple[type, ...]]
"""Each field read, and the JSON types it may have."""


def wrong_field(record: Mapping[str, Any], types: FieldTypes) -> tuple[str, Any] | None:
    """The first field of ``record`` whose value ``types`` does not allow, and that value.

    JSON's ``true`` is refused where a number is allowed, since Python's bool is an int;
    it passes only where ``bool`` itself is allowed (a GraphQL ``Boolean``).
    """
    for field, allowed in types.items():
        value = record.get(field)
        if not isinstance(value, allowed) or (isinstance(value, bool) and bool not in allowed):
            return field, value
    return None


def shown(value: object) -> str:
    """A short, escaped excerpt of something an API sent, for an error message: never a
    terminal escape, never a page of JSON."""
    return terminal(repr(value))[:80]


def instant(
    record: Mapping[str, Any], key: str, answered: str, fail: Callable[[str], Exception]
) -> datetime | None:
    """The time at ``key`` of ``record``: None when null or absent; anything else raises
    ``fail("{answered} with a bad {key} (...)")``, where ``answered`` says who answered
    what (``Rootly answered incident 12``)."""
    value = record.get(key)
    try:
        return parse_api_instant(value)
    except ValueError:
        raise fail(f"{answered} with a bad {key} ({shown(value)})") from None


def required_instant(
    record: Mapping[str, Any], key: str, answered: str, fail: Callable[[str], Exception]
) -> datetime:
    """As :func:`instant`, and a record without that time fails too."""
    moment = instant(record, key, answered, fail)
    if moment is None:
        raise fail(f"{answered} without a {key}")
    return moment
