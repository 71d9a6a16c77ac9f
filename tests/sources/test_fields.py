"""sources/fields.py: the type checks every JSON-reading source shares."""

from __future__ import annotations

from deploygate.sources.fields import wrong_field

NULL = type(None)


def test_true_is_no_number() -> None:
    """Python's bool is an int, so JSON's ``true`` would pass for a count or an id."""
    assert wrong_field({"count": True}, {"count": (int,)}) == ("count", True)
    assert wrong_field({"count": 3}, {"count": (int,)}) is None


def test_true_passes_where_a_boolean_is_allowed() -> None:
    """A GraphQL ``Boolean`` (Linear's ``trashed``) is read with the same check."""
    assert wrong_field({"trashed": True}, {"trashed": (bool, NULL)}) is None
    assert wrong_field({"trashed": None}, {"trashed": (bool, NULL)}) is None
    assert wrong_field({"trashed": 1}, {"trashed": (bool, NULL)}) == ("trashed", 1)


def test_the_first_wrong_field_is_named() -> None:
    types = {"id": (str,), "title": (str,), "number": (int,)}
    assert wrong_field({"id": "a", "title": 7, "number": "x"}, types) == ("title", 7)
