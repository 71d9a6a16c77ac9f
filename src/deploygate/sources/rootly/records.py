"""Rootly's JSON:API resources decoded once into typed records, or refused naming the record.

An incident or action item whose title, times, status or due date cannot
be read fails the source (exit 3) with a line naming it: skipping it would
let the gate decide, silently, on what was left. The fields and their types
are those of Rootly's OpenAPI description (the ``Incident`` and
``IncidentActionItem`` schemas); a status this module does not know is
kept as it is, for the source to report.
See https://docs.rootly.com/api-reference/incidents/list-incidents and
https://docs.rootly.com/api-reference/incidentactionitems/list-incident-action-items
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from deploygate.dates import parse_api_date, parse_api_instant
from deploygate.errors import SourceError
from deploygate.sanitize import terminal
from deploygate.sources.fields import (
    NULL,
    FieldTypes,
    instant,
    required_instant,
    shown,
    wrong_field,
)
from deploygate.sources.rootly.settings import SOURCE_NAME

_INCIDENT_FIELDS: FieldTypes = {
    "title": (str,),
    "summary": (str, NULL),
    "url": (str, NULL),
    "status": (str, NULL),
    "retrospective_progress_status": (str, NULL),
    "services": (list, NULL),
    "groups": (list, NULL),
    "labels": (dict, NULL),
}
_ITEM_FIELDS: FieldTypes = {
    "summary": (str,),
    "kind": (str, NULL),
    "status": (str, NULL),
    "assigned_to_group_ids": (list, NULL),
    "jira_issue_key": (str, NULL),
    "jira_issue_url": (str, NULL),
}


@dataclass(frozen=True, slots=True)
class Named:
    """A service or team as an incident embeds it: its id, name and slug."""

    id: str
    name: str
    slug: str | None


@dataclass(frozen=True, slots=True)
class RootlyIncident:
    """One incident, with the fields a postmortem needs."""

    id: str
    sequential_id: int | None
    title: str
    summary: str
    url: str | None
    status: str | None
    """``started``, ``mitigated``, ``resolved``, ``closed``, ``cancelled``..."""
    retrospective: str | None
    """``retrospective_progress_status``: ``not_started``, ``active``, ``completed`` or
    ``skipped``; None when Rootly does not say."""
    created_at: datetime
    started_at: datetime | None
    services: tuple[Named, ...]
    groups: tuple[Named, ...]
    labels: Mapping[str, str]

    @property
    def reference(self) -> str:
        """How a reader names it: Rootly's ``#123``, or its id."""
        return f"#{self.sequential_id}" if self.sequential_id is not None else self.id


@dataclass(frozen=True, slots=True)
class RootlyActionItem:
    """One action item of an incident."""

    id: str
    summary: str
    kind: str | None
    """``follow_up`` (a lesson of the retrospective) or ``task`` (work during the incident)."""
    status: str | None
    created_at: datetime
    due: date | None
    group_ids: tuple[str, ...]
    jira_key: str | None
    jira_url: str | None


def decode_incident(resource: object) -> RootlyIncident:
    """A resource of ``GET /v1/incidents``."""
    ident, attributes = _resource(resource, "incidents", "an incident")
    wrong = wrong_field(attributes, _INCIDENT_FIELDS)
    if wrong is not None:
        raise _fail(f"Rootly answered incident {ident} with a bad {wrong[0]} ({shown(wrong[1])})")
    sequential = attributes.get("sequential_id")
    if sequential is not None and (not isinstance(sequential, int) or isinstance(sequential, bool)):
        raise _fail(
            f"Rootly answered incident {ident} with a bad sequential_id ({shown(sequential)})"
        )
    labels = attributes.get("labels") or {}
    return RootlyIncident(
        id=ident,
        sequential_id=sequential,
        title=attributes["title"],
        summary=attributes.get("summary") or "",
        url=attributes.get("url"),
        status=attributes.get("status"),
        retrospective=attributes.get("retrospective_progress_status"),
        created_at=_required_instant(attributes, "created_at", f"incident {ident}"),
        started_at=_instant(attributes, "started_at", f"incident {ident}"),
        services=_embedded(attributes.get("services") or [], "services", ident),
        groups=_embedded(attributes.get("groups") or [], "groups", ident),
        labels={str(key): value for key, value in labels.items() if isinstance(value, str)},
    )


def decode_action_item(resource: object, incident: str) -> RootlyActionItem:
    """A resource of ``GET /v1/incidents/{id}/action_items``; ``incident`` names its incident."""
    ident, attributes = _resource(
        resource, "incident_action_items", f"an action item of {incident}"
    )
    where = f"action item {ident} of incident {incident}"
    wrong = wrong_field(attributes, _ITEM_FIELDS)
    if wrong is not None:
        raise _fail(f"Rootly answered {where} with a bad {wrong[0]} ({shown(wrong[1])})")
    groups = attributes.get("assigned_to_group_ids") or []
    if not all(isinstance(group, str) for group in groups):
        raise _fail(f"Rootly answered {where} with bad assigned_to_group_ids ({shown(groups)})")
    return RootlyActionItem(
        id=ident,
        summary=attributes["summary"],
        kind=attributes.get("kind"),
        status=attributes.get("status"),
        created_at=_required_instant(attributes, "created_at", where),
        due=_due(attributes.get("due_date"), where),
        group_ids=tuple(groups),
        jira_key=attributes.get("jira_issue_key") or None,
        jira_url=attributes.get("jira_issue_url") or None,
    )


def _resource(resource: object, kind: str, what: str) -> tuple[str, Mapping[str, Any]]:
    """A JSON:API resource object's id and attributes, checked against its ``type``."""
    if not isinstance(resource, dict):
        raise _fail(f"Rootly answered {what} that is not an object ({shown(resource)})")
    ident, attributes = resource.get("id"), resource.get("attributes")
    if not isinstance(ident, str) or not ident or not isinstance(attributes, dict):
        raise _fail(f"Rootly answered {what} without an id or attributes ({shown(resource)})")
    if resource.get("type") != kind:
        raise _fail(f"Rootly answered {what} of type {shown(resource.get('type'))}, not {kind}")
    return terminal(ident)[:60], attributes


def _embedded(values: list[Any], kind: str, incident: str) -> tuple[Named, ...]:
    """An incident's services or groups: each ``{"data": {"id", "type", "attributes"}}``."""
    found: list[Named] = []
    for value in values:
        data = value.get("data") if isinstance(value, dict) else None
        attributes = data.get("attributes") if isinstance(data, dict) else None
        name = attributes.get("name") if isinstance(attributes, dict) else None
        if not isinstance(data, dict) or not isinstance(name, str) or data.get("type") != kind:
            raise _fail(
                f"Rootly answered incident {incident} with a bad entry in {kind} ({shown(value)})"
            )
        slug = attributes.get("slug") if isinstance(attributes, dict) else None
        found.append(Named(str(data.get("id")), name, slug if isinstance(slug, str) else None))
    return tuple(found)


def _instant(attributes: Mapping[str, Any], name: str, where: str) -> datetime | None:
    return instant(attributes, name, f"Rootly answered {where}", _fail)


def _required_instant(attributes: Mapping[str, Any], name: str, where: str) -> datetime:
    return required_instant(attributes, name, f"Rootly answered {where}", _fail)


def _due(value: object, where: str) -> date | None:
    """A due date: Rootly sends a date, or a time whose date is the day."""
    try:
        return parse_api_date(value)
    except ValueError:
        pass
    try:
        moment = parse_api_instant(value)
    except ValueError:
        raise _fail(
            f"Rootly answered {where} with a due_date that is not a date ({shown(value)})"
        ) from None
    return moment.date() if moment is not None else None


def _fail(problem: str) -> SourceError:
    return SourceError(SOURCE_NAME, problem)
