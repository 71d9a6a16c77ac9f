"""Rootly's resources decoded: whatever JSON an answer holds, a record or one SourceError
naming it, never another exception (which would be exit 4, a bug in deploygate)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from deploygate.errors import SourceError
from deploygate.sources.rootly.records import decode_action_item, decode_incident

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
INCIDENT = {
    "id": "4a0c6d0e",
    "type": "incidents",
    "attributes": {
        "title": "Checkout 500s",
        "sequential_id": 12,
        "summary": "d1 failed",
        "created_at": "2026-11-20T12:00:00.000Z",
        "started_at": None,
        "retrospective_progress_status": "completed",
        "services": [{"data": {"id": "s1", "type": "services",
                               "attributes": {"name": "Checkout", "slug": "checkout"}}}],
        "groups": [],
        "labels": {"cause": "capacity"},
    },
}  # fmt: skip
ITEM = {
    "id": "9b1e",
    "type": "incident_action_items",
    "attributes": {
        "summary": "Alert on the burn rate",
        "status": "open",
        "kind": "follow_up",
        "due_date": "2026-12-01",
        "created_at": "2026-11-20T12:00:00.000Z",
        "assigned_to_group_ids": ["g1"],
    },
}


def _replaced(resource: dict[str, Any], field: str, value: Any) -> dict[str, Any]:
    if field in ("id", "type", "attributes"):
        return {**resource, field: value}
    return {**resource, "attributes": {**resource["attributes"], field: value}}


def assert_decoded_or_refused(decode: Callable[[], object]) -> None:
    """``decode`` returns, or raises one SourceError: one line saying what Rootly answered."""
    problem = None
    try:
        decode()
    except SourceError as error:
        problem = error.problem
    assert problem is None or (problem.startswith("Rootly answered") and "\n" not in problem)


def test_the_examples_decode() -> None:
    incident = decode_incident(INCIDENT)
    assert (incident.reference, incident.services[0].slug) == ("#12", "checkout")
    item = decode_action_item(ITEM, incident.reference)
    assert (item.status, str(item.due), item.group_ids) == ("open", "2026-12-01", ("g1",))


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(["id", "type", "attributes", *INCIDENT["attributes"]]), value=JSON)
def test_any_incident_field_is_a_record_or_one_source_error(field: str, value: Any) -> None:
    assert_decoded_or_refused(lambda: decode_incident(_replaced(INCIDENT, field, value)))


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(["id", "type", "attributes", *ITEM["attributes"]]), value=JSON)
def test_any_action_item_field_is_a_record_or_one_source_error(field: str, value: Any) -> None:
    assert_decoded_or_refused(lambda: decode_action_item(_replaced(ITEM, field, value), "#12"))
