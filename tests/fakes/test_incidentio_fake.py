"""The fake incident.io against incident.io's own description: its SDK reads every answer.

The ``incident-io`` SDK on PyPI is generated from incident.io's OpenAPI
description, so decoding the fake's answers with it checks the fake's shapes:
a required field the fake forgets fails to decode, a field the description
does not have lands in a model's ``additional_properties`` and fails here,
and an enum value the description does not list is caught by name. The SDK
also pages with ``after`` as incident.io documents, so the fake's cursor is
driven by a client that is not ours.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest
from conftest import NOW

pytest.importorskip("incident_io", reason="the incident-io SDK needs Python 3.11")
from incident_io import AuthenticatedClient
from incident_io.api.catalog_v3 import catalog_v3_list_entries
from incident_io.api.custom_fields_v2 import custom_fields_v2_list
from incident_io.api.follow_ups_v3 import follow_ups_v3_list
from incident_io.api.incidents_v2 import incidents_v2_list
from incident_io.models import (
    CatalogListEntriesResultV3,
    CustomFieldsListResultV2,
    ErrorResponse,
    ExternalIssueReferenceV2Provider,
    FollowUpsListResultV3,
    FollowUpV3Status,
    IncidentsListResultV2,
    IncidentStatusV2Category,
)
from incident_io.types import UNSET

from fakes.incidentio import FakeIncidentIo, IncidentIoWorld, fake_incidentio  # noqa: F401

KEY = "inc_test_CANARY_0123456789"
FREE_FORM = {"CatalogTypeV3Annotations", "CatalogEntryV3AttributeValues"}
"""Models that are maps by design: their entries are additional properties."""


def extras(model: Any, path: str = "") -> list[str]:
    """Every field of ``model`` (recursively) that the SDK's description does not declare."""
    found: list[str] = []
    if isinstance(model, list):
        for index, item in enumerate(model):
            found += extras(item, f"{path}[{index}]")
        return found
    if not attrs.has(type(model)):
        return found
    if type(model).__name__ not in FREE_FORM and model.additional_properties:
        found += [f"{path}.{name}" for name in model.additional_properties]
    for attribute in attrs.fields(type(model)):
        if attribute.name != "additional_properties":
            found += extras(getattr(model, attribute.name), f"{path}.{attribute.name}")
    return found


def build(world: IncidentIoWorld) -> dict[str, Any]:
    world.api_key(KEY)
    checkout = world.services.entry("checkout", aliases=["shop-checkout"], external_id="svc-1")
    world.services.entry("search")
    world.custom_field("Cause", options=["payment-config", "capacity"], field_type="single_select")
    made = [
        world.incident(
            f"Checkout incident {n}",
            summary=f"The deploy of abc{n} failed." if n % 2 else None,
            created_at=NOW - timedelta(days=30 - n),
            status="Closed" if n % 3 else "Documenting",
            services=[checkout],
            values={"Cause": ["capacity"]} if n == 2 else None,
            postmortem=n != 4,
            started_at=NOW - timedelta(days=31 - n) if n % 2 else None,
        )
        for n in range(1, 6)
    ]
    world.incident("A drill", services=[checkout], mode="test")
    first = made[0]
    first.follow_up("Alert on burn rate", team="payments")
    first.follow_up("Validate config", status="completed")
    first.follow_up("Rewrite the client", status="not_doing", labels=["team:payments"])
    first.follow_up("Stale item", status="deleted")
    first.follow_up(
        "Exported to Jira", external=("jira", "OPS-7", "https://acme.atlassian.net/browse/OPS-7")
    )
    return {"incidents": made, "first": first}


@pytest.fixture
def client(fake_incidentio: FakeIncidentIo) -> AuthenticatedClient:  # noqa: F811
    return AuthenticatedClient(base_url=fake_incidentio.url, token=KEY)


def test_incidents_decode_into_the_sdk_models_page_by_page(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    client: AuthenticatedClient,
) -> None:
    built = build(fake_incidentio.world)
    seen: list[str] = []
    after: Any = UNSET
    while True:
        page = incidents_v2_list.sync(client=client, page_size=2, after=after)
        assert isinstance(page, IncidentsListResultV2), page
        assert extras(page) == []
        for incident in page.incidents:
            assert incident.incident_status.category in set(IncidentStatusV2Category)
            seen.append(incident.reference)
        assert not isinstance(page.pagination_meta, type(UNSET))
        if isinstance(page.pagination_meta.after, type(UNSET)):
            break
        after = page.pagination_meta.after
    newest_first = [
        i.reference for i in sorted(built["incidents"], key=lambda i: i.created_at, reverse=True)
    ]
    assert seen == newest_first  # the test-mode drill is left out, as incident.io does


def test_the_custom_field_filter_selects_the_catalog_entrys_incidents(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    client: AuthenticatedClient,
) -> None:
    build(fake_incidentio.world)
    world = fake_incidentio.world
    fields = custom_fields_v2_list.sync(client=client)
    assert isinstance(fields, CustomFieldsListResultV2)
    assert extras(fields) == []
    service_field = next(f for f in fields.custom_fields if f.name == "Affected services")
    entries = catalog_v3_list_entries.sync(
        client=client, catalog_type_id=str(service_field.catalog_type_id), identifier="svc-1"
    )
    assert isinstance(entries, CatalogListEntriesResultV3)
    assert extras(entries) == []
    assert [entry.name for entry in entries.catalog_entries] == ["checkout"]
    search = world.services.entries[1]
    world.incident("Search is slow", services=[search], postmortem=True)
    response = client.get_httpx_client().get(
        "/v2/incidents",
        params={f"custom_field[{service_field.id}][one_of]": search.id, "page_size": 250},
    )
    assert [i["name"] for i in response.json()["incidents"]] == ["Search is slow"]


def test_follow_ups_decode_and_page_with_after_for_one_incident(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    client: AuthenticatedClient,
) -> None:
    built = build(fake_incidentio.world)
    first = built["first"]
    built["incidents"][1].follow_up("Another incident's item")
    titles: list[str] = []
    after: Any = UNSET
    while True:
        page = follow_ups_v3_list.sync(
            client=client, incident_id=first.id, page_size=2, after=after
        )
        assert isinstance(page, FollowUpsListResultV3), page
        assert extras(page) == []
        for follow_up in page.follow_ups:
            assert follow_up.status in set(FollowUpV3Status)
            if not isinstance(follow_up.external_issue_reference, type(UNSET)):
                provider = follow_up.external_issue_reference.provider
                assert provider in set(ExternalIssueReferenceV2Provider)
            titles.append(follow_up.title)
        if isinstance(page.pagination_meta.after, type(UNSET)):
            break
        after = page.pagination_meta.after
    assert titles == [follow_up.title for follow_up in first.follow_ups]


def test_errors_decode_as_error_responses_and_a_429_says_when_to_retry(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
) -> None:
    build(fake_incidentio.world)
    anonymous = AuthenticatedClient(base_url=fake_incidentio.url, token="inc_wrong_key")  # noqa: S106
    refused = incidents_v2_list.sync_detailed(client=anonymous)
    assert refused.status_code == 401
    assert isinstance(refused.parsed, ErrorResponse)
    assert extras(refused.parsed) == []
    fake_incidentio.faults.add("/v2/incidents", status=429)
    limited = incidents_v2_list.sync_detailed(
        client=AuthenticatedClient(base_url=fake_incidentio.url, token=KEY)
    )
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "1"
    assert isinstance(limited.parsed, ErrorResponse)
    assert extras(limited.parsed) == []
    assert not isinstance(limited.parsed.rate_limit, type(UNSET))
