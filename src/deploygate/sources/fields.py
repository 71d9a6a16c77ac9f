"""Type checks on the records an API answers, shared by the sources that read JSON.

A field of the wrong type read anyway is coerced into something else (a
title ``["x"]`` into the text "['x']", labels ``"postmortem"`` into no
labels) and the gate would decide on it without a word; each source refuses
it instead, naming the record in its own words.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NULL = type(None)
"""For a field that may be null (or missing, which reads as null)."""

FieldTypes = Mapping[str, tuple[type, ...]]
"""Each field read, and the JSON types it may have."""


def wrong_field(record: Mapping[str, Any], types: FieldTypes) -> tuple[str, Any] | None:
    """The first field of ``record`` whose value ``types`` does not allow, and that value.

    JSON's ``true`` is refused where a number is allowed: Python's bool is an int.
    """
    for field, allowed in types.items():
        value = record.get(field)
        if not isinstance(value, allowed) or isinstance(value, bool):
            return field, value
    return None
