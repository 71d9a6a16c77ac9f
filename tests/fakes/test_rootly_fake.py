"""The fake Rootly against Rootly's own published description: the ``rootly`` client
(rootly_sdk, generated from Rootly's OpenAPI) reads the fake's pages, and the fake's check
refuses what that description does not have.

deploygate's source talks to Rootly through its own HttpClient; these tests
keep the fake honest, so that what the source is tested against is what
Rootly sends.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
from rootly_sdk import AuthenticatedClient
from rootly_sdk.api.incident_action_items import list_incident_action_items
from rootly_sdk.api.incidents import list_incidents

from fakes.rootly import FakeRootly, described_problems, fake_rootly  # noqa: F401

TOKEN = "rootly_fake_check_0123456789"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)


def populated(fake: FakeRootly) -> Any:
    world = fake.world
    world.api_key(TOKEN)
    checkout, search = world.service("checkout", "Checkout"), world.service("search")
    payments = world.team("payments")
    incident = world.incident(
        "Checkout 500s", services=[checkout], summary="d1 failed", created_at=NOW,
        started_at=NOW, labels={"cause": "config-drift"},
    )  # fmt: skip
    for status in ("open", "in_progress", "cancelled", "done"):
        incident.action_item(f"An item {status}", status=status, teams=[payments],
                             due_date=date(2026, 12, 1), created_at=NOW)  # fmt: skip
    incident.action_item("Exported", jira_issue_key="OPS-7", created_at=NOW,
                         jira_issue_url="https://acme.atlassian.net/browse/OPS-7")  # fmt: skip
    world.incident("Search slow", services=[search], created_at=NOW, retrospective="skipped")
    return incident


def client(fake: FakeRootly) -> AuthenticatedClient:
    return AuthenticatedClient(base_url=fake.url, token=TOKEN, raise_on_unexpected_status=True)


def test_rootlys_client_reads_the_fakes_incidents_with_their_services_and_teams(
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    populated(fake_rootly)
    with client(fake_rootly) as rootly:
        page = list_incidents.sync(client=rootly, filterservices="checkout", pagesize=10)
    assert page is not None
    [incident] = page.data
    attributes = incident.attributes
    assert (attributes.title, attributes.sequential_id) == ("Checkout 500s", 1)
    assert attributes.retrospective_progress_status == "completed"
    assert [s.data.attributes.slug for s in attributes.services] == ["checkout"]
    assert [g.data.attributes.name for g in attributes.groups] == ["payments"]
    assert attributes.labels["cause"] == "config-drift"
    assert page.links.next_ is None
    assert page.meta.total_count == 1


def test_rootlys_client_reads_every_action_item_status_page_by_page(
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    incident = populated(fake_rootly)
    with client(fake_rootly) as rootly:
        first = list_incident_action_items.sync(incident.id, client=rootly, pagesize=3)
        second = list_incident_action_items.sync(incident.id, client=rootly, pagesize=3,
                                                 pagenumber=2)  # fmt: skip
    assert first is not None
    assert second is not None
    items = [*first.data, *second.data]
    assert [item.attributes.status for item in items] == [
        "open", "in_progress", "cancelled", "done", "open"
    ]  # fmt: skip
    assert items[0].attributes.due_date == "2026-12-01"
    assert items[-1].attributes.jira_issue_key == "OPS-7"
    assert first.links.next_ is not None
    assert "page%5Bnumber%5D=2" in first.links.next_
    assert second.links.next_ is None
    assert fake_rootly.problems == []


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda a: a.update(severity_name="high"), "undeclared attributes ['severity_name']"),
        (lambda a: a.pop("summary"), "KeyError"),
        (lambda a: a.update(status="blocked"), "Unexpected value 'blocked'"),
        (lambda a: a.update(kind="chore"), "Unexpected value 'chore'"),
    ],
    ids=["invented-field", "missing-summary", "unknown-status", "unknown-kind"],
)
def test_the_description_refuses_what_rootly_does_not_send(change: Any, problem: str) -> None:
    """What keeps the fake honest: a field or value Rootly's description lacks is a problem."""
    attributes: dict[str, Any] = {"summary": "x", "status": "open", "kind": "follow_up",
                                  "created_at": "2026-11-20T12:00:00.000Z",
                                  "updated_at": "2026-11-20T12:00:00.000Z"}  # fmt: skip
    change(attributes)
    links = dict.fromkeys(("self", "first", "prev", "next", "last"))
    meta = {"current_page": 1, "next_page": None, "prev_page": None, "total_count": 1,
            "total_pages": 1}  # fmt: skip
    body = {"data": [{"id": "a1", "type": "incident_action_items", "attributes": attributes}],
            "links": links, "meta": meta}  # fmt: skip
    [found] = described_problems("action_items", body)
    assert problem in found


def test_a_status_added_later_is_sent_as_is_when_the_world_says_so(
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    incident = populated(fake_rootly)
    fake_rootly.world.novel_statuses.add("blocked")
    incident.action_item("Waiting on the vendor", status="blocked", created_at=NOW)
    # Rootly's own client refuses the status its enum does not have: the trap is real.
    with client(fake_rootly) as rootly, pytest.raises(TypeError, match="blocked"):
        list_incident_action_items.sync(incident.id, client=rootly, pagesize=10)
    assert fake_rootly.problems == []


def test_a_deleted_incident_is_404_and_a_wrong_key_401(
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    incident = populated(fake_rootly)
    incident.deleted = True
    with AuthenticatedClient(base_url=fake_rootly.url, token=TOKEN) as rootly:
        response = list_incident_action_items.sync_detailed(incident.id, client=rootly)
    assert response.status_code == 404
    with AuthenticatedClient(base_url=fake_rootly.url, token="rootly_wrong_key") as stranger:  # noqa: S106
        refused = list_incidents.sync_detailed(client=stranger)
    assert refused.status_code == 401
    assert b'"errors"' in refused.content
