"""incident.io's answers decoded once into typed records, or refused naming the record.

An incident or follow-up whose id, reference, title, status or times cannot
be read fails the source (exit 3) with a line naming it: skipping it would
let the gate decide, silently, on what was left. A status this code does not
know is kept as written (the source says so in a notice): incident.io adds
statuses over time. Anything else these functions raise is a bug (exit 4).

Shapes: IncidentV2, FollowUpV3, CustomFieldV2 and CatalogEntryV3 of
https://api-docs.incident.io/ (the ``incident-io`` SDK on PyPI is generated
from the same description, and the tests check the fake against it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
from deploygate.sources.incidentio.settings import SOURCE_NAME


@dataclass(frozen=True, slots=True)
class CustomField:
    """An incident custom field: its id, its name, and the catalog type of a catalog field."""

    id: str
    name: str
    catalog_type_id: str | None


@dataclass(frozen=True, slots=True)
class FieldValue:
    """One value of a custom field on an incident, with every name it answers to."""

    label: str
    """How the value reads: the catalog entry's or option's name, or the text."""
    names: tuple[str, ...]
    """The label, and a catalog entry's external id and aliases."""
    entry_id: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident with what a postmortem needs."""

    id: str
    reference: str
    """INC-123, as incident.io shows it."""
    name: str
    summary: str
    created_at: datetime
    status_category: str
    """``triage``, ``live``, ``learning``, ``closed``... as incident.io says it."""
    permalink: str | None
    postmortem_url: str | None
    has_postmortem: bool
    """Whether a postmortem document is attached."""
    fields: Mapping[str, tuple[FieldValue, ...]]
    """The values of each custom field it has, by the field's name in lower case."""
    timestamps: Mapping[str, datetime]
    """Its lifecycle timestamps that have a value ("Impact started"...), by name in lower
    case."""


@dataclass(frozen=True, slots=True)
class ExternalIssue:
    """Where a follow-up was exported: the tracker, the issue's name there, and its page."""

    provider: str
    name: str
    url: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    """One follow-up of an incident."""

    id: str
    incident_id: str
    title: str
    status: str
    created_at: datetime
    completed_at: datetime | None
    team: str | None
    """The assignee's team, never the assignee."""
    labels: tuple[str, ...]
    external: ExternalIssue | None


_INCIDENT: FieldTypes = {
    "id": (str,),
    "reference": (str,),
    "name": (str,),
    "summary": (str, NULL),
    "permalink": (str, NULL),
    "postmortem_document_url": (str, NULL),
    "postmortem_document_ids": (list, NULL),
    "incident_status": (dict,),
    "custom_field_entries": (list, NULL),
    "incident_timestamp_values": (list, NULL),
}
_FOLLOW_UP: FieldTypes = {
    "id": (str,),
    "incident_id": (str,),
    "title": (str,),
    "status": (str,),
    "labels": (list, NULL),
    "assignee_team": (dict, NULL),
    "external_issue_reference": (dict, NULL),
}


def decode_incident(raw: object) -> Incident:
    """An IncidentV2 of ``GET /v2/incidents``."""
    record = _object(raw, "an incident")
    wrong = wrong_field(record, _INCIDENT)
    name = _name(record, "reference")
    if wrong is not None:
        raise _fail(
            f"incident.io answered incident {name} with a bad {wrong[0]} ({shown(wrong[1])})"
        )
    status = record["incident_status"]
    category = status.get("category")
    if not isinstance(category, str) or not category:
        raise _fail(f"incident.io answered incident {name} without a status category")
    documents = record.get("postmortem_document_ids") or []
    return Incident(
        id=record["id"],
        reference=record["reference"],
        name=record["name"],
        summary=record.get("summary") or "",
        created_at=_required_instant(record, "created_at", f"incident {name}"),
        status_category=category,
        permalink=record.get("permalink"),
        postmortem_url=record.get("postmortem_document_url"),
        has_postmortem=bool(record.get("postmortem_document_url") or documents),
        fields=_fields(record.get("custom_field_entries") or [], name),
        timestamps=_timestamps(record.get("incident_timestamp_values") or [], name),
    )


def decode_follow_up(raw: object) -> FollowUp:
    """A FollowUpV3 of ``GET /v3/follow_ups``."""
    record = _object(raw, "a follow-up")
    name = _name(record, "id")
    wrong = wrong_field(record, _FOLLOW_UP)
    if wrong is not None:
        raise _fail(
            f"incident.io answered follow-up {name} with a bad {wrong[0]} ({shown(wrong[1])})"
        )
    labels = record.get("labels") or []
    if not all(isinstance(label, str) for label in labels):
        raise _fail(f"incident.io answered follow-up {name} with labels that are not text")
    team = record.get("assignee_team") or {}
    team_name = team.get("name")
    return FollowUp(
        id=record["id"],
        incident_id=record["incident_id"],
        title=record["title"],
        status=record["status"],
        created_at=_required_instant(record, "created_at", f"follow-up {name}"),
        completed_at=_instant(record, "completed_at", f"follow-up {name}"),
        team=team_name.strip() or None if isinstance(team_name, str) else None,
        labels=tuple(labels),
        external=_external(record.get("external_issue_reference"), name),
    )


def decode_custom_field(raw: object) -> CustomField:
    """A CustomFieldV2 of ``GET /v2/custom_fields``."""
    record = _object(raw, "a custom field")
    wrong = wrong_field(record, {"id": (str,), "name": (str,), "catalog_type_id": (str, NULL)})
    if wrong is not None:
        raise _fail(
            f"incident.io answered custom field {_name(record, 'name')} with a bad {wrong[0]} "
            f"({shown(wrong[1])})"
        )
    return CustomField(record["id"], record["name"], record.get("catalog_type_id") or None)


def decode_catalog_entry(raw: object) -> FieldValue:
    """A CatalogEntryV3 of ``GET /v3/catalog_entries``, as the names it answers to."""
    record = _object(raw, "a catalog entry")
    wrong = wrong_field(
        record, {"id": (str,), "name": (str,), "aliases": (list, NULL), "external_id": (str, NULL)}
    )
    if wrong is not None:
        raise _fail(
            f"incident.io answered catalog entry {_name(record, 'name')} with a bad {wrong[0]} "
            f"({shown(wrong[1])})"
        )
    return _entry_value(record)


def _object(raw: object, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise _fail(f"incident.io answered {what} that is not an object ({shown(raw)})")
    return raw


def _name(record: Mapping[str, Any], key: str) -> str:
    value = record.get(key) or record.get("id")
    return terminal(value)[:60] if isinstance(value, str) else shown(value)


def _instant(record: Mapping[str, Any], key: str, what: str) -> datetime | None:
    return instant(record, key, f"incident.io answered {what}", _fail)


def _required_instant(record: Mapping[str, Any], key: str, what: str) -> datetime:
    return required_instant(record, key, f"incident.io answered {what}", _fail)


def _fields(entries: list[Any], name: str) -> dict[str, tuple[FieldValue, ...]]:
    """Each custom field entry's values, by the field's name in lower case."""
    found: dict[str, tuple[FieldValue, ...]] = {}
    for entry in entries:
        field = entry.get("custom_field") if isinstance(entry, dict) else None
        values = entry.get("values") if isinstance(entry, dict) else None
        if not isinstance(field, dict) or not isinstance(field.get("name"), str):
            raise _fail(f"incident.io answered incident {name} with a custom field without a name")
        if not isinstance(values, list):
            raise _fail(
                f"incident.io answered incident {name} with field {shown(field['name'])} "
                "without a list of values"
            )
        found[field["name"].lower()] = tuple(
            value for value in (_value(raw) for raw in values) if value is not None
        )
    return found


def _timestamps(values: list[Any], name: str) -> dict[str, datetime]:
    """Each IncidentTimestampWithValueV2 that has a value, by the timestamp's name."""
    found: dict[str, datetime] = {}
    for entry in values:
        stamp = entry.get("incident_timestamp") if isinstance(entry, dict) else None
        if not isinstance(stamp, dict) or not isinstance(stamp.get("name"), str):
            raise _fail(f"incident.io answered incident {name} with a timestamp without a name")
        value = entry.get("value")
        moment = (
            _instant(value, "value", f"incident {name}'s {stamp['name']!r}")
            if isinstance(value, dict)
            else None
        )
        if moment is not None:
            found[stamp["name"].lower()] = moment
    return found


def _value(raw: object) -> FieldValue | None:
    """A CustomFieldValueV2: a catalog entry, an option, or text; None for what names nothing."""
    if not isinstance(raw, dict):
        return None
    entry = raw.get("value_catalog_entry")
    if isinstance(entry, dict) and isinstance(entry.get("name"), str):
        return _entry_value(entry)
    option = raw.get("value_option")
    if isinstance(option, dict) and isinstance(option.get("value"), str):
        return FieldValue(option["value"], (option["value"],))
    text = raw.get("value_text")
    if isinstance(text, str) and text.strip():
        return FieldValue(text.strip(), (text.strip(),))
    return None


def _entry_value(entry: Mapping[str, Any]) -> FieldValue:
    aliases = entry.get("aliases") or []
    names = [entry["name"], entry.get("external_id"), *aliases]
    entry_id = entry.get("id")
    return FieldValue(
        entry["name"],
        tuple(name for name in names if isinstance(name, str) and name),
        entry_id if isinstance(entry_id, str) else None,
    )


def _external(raw: object, name: str) -> ExternalIssue | None:
    if not isinstance(raw, dict):  # null or absent: _FOLLOW_UP refused anything else
        return None
    wrong = wrong_field(raw, {"provider": (str,), "issue_name": (str,), "issue_permalink": (str,)})
    if wrong is not None:
        raise _fail(
            f"incident.io answered follow-up {name} with an external issue with a bad "
            f"{wrong[0]} ({shown(wrong[1])})"
        )
    return ExternalIssue(raw["provider"], raw["issue_name"], raw["issue_permalink"])


def _fail(problem: str) -> SourceError:
    return SourceError(SOURCE_NAME, problem)
