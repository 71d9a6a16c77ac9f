"""The Jira tracker's decoder and mapper, on hand-written issues: each issue decoded once,
a malformed one refused naming its key and the field, and its state mapped."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from deploygate.errors import SourceError
from deploygate.model import ActionItemState
from deploygate.sources.jira import records, source
from deploygate.sources.jira.settings import JiraSettings

SITE = "https://acme.atlassian.net"
SETTINGS = JiraSettings(url=SITE, browse_url=SITE, projects=("OPS",), jql="project = OPS")


def issue(key: str = "OPS-7", **fields: Any) -> dict[str, Any]:
    return {
        "key": key,
        "fields": {
            "summary": "Alert on the pool size",
            "created": "2026-11-02T10:00:00.000+0000",
            "status": {"statusCategory": {"key": "done"}},
            "resolution": {"name": "Won't Do"},
            "resolutiondate": "2026-11-04T09:00:00.000+0000",
            "duedate": "2026-11-10",
            "components": [{"name": " payments "}],
            "description": "see https://example/pm/1",
        }
        | fields,
    }


def test_an_issue_is_decoded_and_mapped() -> None:
    decoded = records.decode_issue(issue(), "components")
    assert decoded.team == "payments"
    assert decoded.description == "see https://example/pm/1"
    item = source.action_item(decoded, SETTINGS)
    assert item.id == "OPS-7"
    assert item.state is ActionItemState.DECLINED
    assert item.reason == "resolved as Won't Do"
    assert item.due == date(2026, 11, 10)
    assert item.closed_at == datetime(2026, 11, 4, 9, tzinfo=timezone.utc)
    assert item.url == "https://acme.atlassian.net/browse/OPS-7"


def test_an_open_issue_has_no_closing_time() -> None:
    decoded = records.decode_issue(issue(status={"statusCategory": {"key": "new"}}), "components")
    item = source.action_item(decoded, SETTINGS)
    assert (item.state, item.reason, item.closed_at) == (ActionItemState.OPEN, None, None)


@pytest.mark.parametrize(
    ("value", "team"),
    [
        ([], None),
        ({"value": "Payments"}, "Payments"),
        ("  ", None),
        (3, None),
        ([{"title": "Search"}], "Search"),
    ],
)
def test_the_team_field_takes_many_shapes(value: object, team: str | None) -> None:
    assert records.decode_issue(issue(customfield_1=value), "customfield_1").team == team


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"key": "OPS-7", "fields": None}, "an issue without fields"),
        ({"key": "ops7", "fields": {}}, "an issue without a key"),
        (issue(summary=None), "OPS-7 without a summary"),
        (issue(created="yesterday"), "OPS-7 with a bad created time ('yesterday')"),
        (issue(status={"name": "Done"}), "OPS-7 without a status category"),
        (issue(resolutiondate=20261104), "OPS-7 with a bad resolution time (20261104)"),
        (issue(duedate="next week"), "OPS-7 with a due date that is not a date ('next week')"),
    ],
)
def test_a_malformed_issue_is_refused_naming_it(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(SourceError) as raised:
        records.decode_issue(raw, "components")
    assert raised.value.source == "jira"
    assert message in raised.value.problem
