"""Linear's answers decoded once into typed records; a malformed answer is refused here.

Every field the source reads is checked for the type Linear's schema gives
it (the schema that ``@linear/sdk`` is generated from), and a wrong one
raises :class:`Malformed`, whose message names the issue (by its
identifier, ``OPS-12``, and its URL) and the field. :mod:`.api` turns that
into the source's error (exit 3); what the records mean is :mod:`.source`'s
business, and it never sees raw JSON.

See https://linear.app/developers/graphql and the schema's ``Issue``,
``IssueRelation``, ``WorkflowState``, ``IssueLabel`` and ``Attachment``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from deploygate.dates import parse_api_date, parse_api_instant
from deploygate.sanitize import terminal
from deploygate.sources.fields import NULL, FieldTypes, shown, wrong_field

Record = TypeVar("Record")

LINKING_RELATIONS = frozenset({"related", "blocks"})
"""The relation types that make a linked issue an action item of the postmortem; a
``duplicate`` or ``similar`` issue is another report of the same thing."""


class Malformed(ValueError):
    """An answer of a shape Linear's schema does not allow; the message names issue and field."""


@dataclass(frozen=True, slots=True)
class Page(Generic[Record]):
    """One page of a connection, decoded."""

    records: tuple[Record, ...]
    next_cursor: str | None
    """The ``after`` of the next page; None on the last page."""


@dataclass(frozen=True, slots=True)
class Relations:
    """The ids of the issues a postmortem links as related or blocking, and where they go on."""

    linked: tuple[str, ...]
    relations_cursor: str | None
    inverse_cursor: str | None


@dataclass(frozen=True, slots=True)
class PostmortemRecord:
    """An issue with the postmortem label."""

    id: str
    identifier: str
    """``OPS-12``: the team's key and the issue's number."""
    title: str
    description: str
    url: str
    created_at: datetime
    trashed: bool
    """Deleted: in the trash, kept for 30 days."""
    state_type: str
    labels: tuple[str, ...]
    """Each label's name; a label in a group as ``group:name`` (``service:checkout``)."""
    relations: Relations


@dataclass(frozen=True, slots=True)
class ItemRecord:
    """An issue that is a postmortem's sub-issue or that a postmortem links."""

    id: str
    identifier: str
    title: str
    url: str
    created_at: datetime
    completed_at: datetime | None
    canceled_at: datetime | None
    due: date | None
    trashed: bool
    parent_id: str | None
    state_type: str
    """The workflow state's type: triage, backlog, unstarted, started, completed, canceled
    (a string in the schema, so a type added later arrives as itself)."""
    state_name: str
    team: str | None
    """The name of the issue's team."""
    labels: tuple[str, ...]
    attachments: tuple[tuple[str, str | None], ...]
    """Each attachment's URL and source type (``jira``, ``github``, ...)."""


def page(
    connection: object, what: str, paged: bool = True
) -> tuple[list[dict[str, Any]], str | None]:
    """A connection's nodes and the cursor of its next page (None on the last one); one read
    without its ``pageInfo`` (``paged`` False: an issue's labels, its attachments) has none."""
    if not isinstance(connection, dict):
        raise Malformed(f"Linear answered {what} with {shown(connection)}")
    nodes = connection.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
        raise Malformed(f"Linear answered {what} whose nodes are not a list of objects")
    info = connection.get("pageInfo")
    if not paged:
        return nodes, None
    if (
        not isinstance(info, dict)
        or not isinstance(info.get("hasNextPage"), bool)
        or (info["hasNextPage"] and not isinstance(info.get("endCursor"), str))
    ):
        raise Malformed(f"Linear answered {what} with the pageInfo {shown(info)}")
    return nodes, str(info["endCursor"]) if info["hasNextPage"] else None


_ISSUE_TYPES: FieldTypes = {
    "id": (str,),
    "identifier": (str,),
    "title": (str,),
    "url": (str,),
    "createdAt": (str,),
    "trashed": (bool, NULL),
    "state": (dict,),
}


def _name(node: Mapping[str, Any]) -> str:
    """How a message names an issue, so that a person can go and look at it."""
    identifier = node.get("identifier")
    url = node.get("url")
    name = f"issue {shown(identifier) if not isinstance(identifier, str) else identifier}"
    return f"{name} ({terminal(url)[:120]})" if isinstance(url, str) else name


def _check(node: Mapping[str, Any], types: FieldTypes) -> None:
    if wrong := wrong_field(node, types):
        raise Malformed(f"Linear answered {_name(node)} with the {wrong[0]} {shown(wrong[1])}")


def _instant(node: Mapping[str, Any], field: str) -> datetime | None:
    try:
        return parse_api_instant(node.get(field))
    except ValueError:
        raise Malformed(
            f"Linear answered {_name(node)} with the {field} {shown(node.get(field))}"
        ) from None


def _created(node: Mapping[str, Any]) -> datetime:
    created = _instant(node, "createdAt")
    if created is None:
        raise Malformed(f"Linear answered {_name(node)} without a createdAt")
    return created


def _state_type(node: Mapping[str, Any]) -> tuple[str, str]:
    state = node["state"]
    kind, name = state.get("type"), state.get("name")
    if not isinstance(kind, str) or not isinstance(name, str):
        raise Malformed(f"Linear answered {_name(node)} with the state {shown(state)}")
    return kind, name


def _labels(node: Mapping[str, Any]) -> tuple[str, ...]:
    nodes, _ = page(node.get("labels"), f"the labels of {_name(node)}", paged=False)
    found = []
    for label in nodes:
        name = label.get("name")
        parent = label.get("parent")
        group = parent.get("name") if isinstance(parent, dict) else None
        if not isinstance(name, str) or not isinstance(group, str | None):
            raise Malformed(f"Linear answered {_name(node)} with the label {shown(label)}")
        found.append(f"{group}:{name}" if group else name)
    return tuple(found)


def _related_ids(connection: object, end: str, what: str) -> tuple[list[str], str | None]:
    """The ids of the issues at ``end`` of the relations that make action items."""
    nodes, cursor = page(connection, what)
    linked = []
    for relation in nodes:
        kind, other = relation.get("type"), relation.get(end)
        other_id = other.get("id") if isinstance(other, dict) else None
        if not isinstance(kind, str) or not isinstance(other_id, str):
            raise Malformed(f"Linear answered {what} with the relation {shown(relation)}")
        if kind in LINKING_RELATIONS:
            linked.append(other_id)
    return linked, cursor


def relations(node: Mapping[str, Any], what: str) -> Relations:
    """The related and blocking issues of an issue, both ways: ``relations`` are those it
    names, ``inverseRelations`` those that name it."""
    outgoing, out_cursor = _related_ids(
        node.get("relations"), "relatedIssue", f"the relations of {what}"
    )
    incoming, in_cursor = _related_ids(
        node.get("inverseRelations"), "issue", f"the inverse relations of {what}"
    )
    return Relations(tuple(dict.fromkeys([*outgoing, *incoming])), out_cursor, in_cursor)


def postmortem(node: Mapping[str, Any]) -> PostmortemRecord:
    """One issue of the postmortems listing."""
    _check(node, {**_ISSUE_TYPES, "description": (str, NULL)})
    kind, _ = _state_type(node)
    return PostmortemRecord(
        id=node["id"],
        identifier=node["identifier"],
        title=node["title"],
        description=node.get("description") or "",
        url=node["url"],
        created_at=_created(node),
        trashed=node.get("trashed") is True,
        state_type=kind,
        labels=_labels(node),
        relations=relations(node, _name(node)),
    )


def item(node: Mapping[str, Any]) -> ItemRecord:
    """One issue of the items listing."""
    _check(node, {**_ISSUE_TYPES, "parent": (dict, NULL), "team": (dict, NULL)})
    kind, state_name = _state_type(node)
    try:
        due = parse_api_date(node.get("dueDate"))
    except ValueError:
        raise Malformed(
            f"Linear answered {_name(node)} with the dueDate {shown(node.get('dueDate'))}"
        ) from None
    parent = node.get("parent") or {}
    team = (node.get("team") or {}).get("name")
    if not isinstance(parent.get("id"), str | None) or not isinstance(team, str | None):
        raise Malformed(f"Linear answered {_name(node)} with the parent or team of another shape")
    attachments = []
    for attachment in page(node.get("attachments"), f"the attachments of {_name(node)}", False)[0]:
        url, source = attachment.get("url"), attachment.get("sourceType")
        if not isinstance(url, str) or not isinstance(source, str | None):
            raise Malformed(
                f"Linear answered {_name(node)} with the attachment {shown(attachment)}"
            )
        attachments.append((url, source))
    return ItemRecord(
        id=node["id"],
        identifier=node["identifier"],
        title=node["title"],
        url=node["url"],
        created_at=_created(node),
        completed_at=_instant(node, "completedAt"),
        canceled_at=_instant(node, "canceledAt"),
        due=due,
        trashed=node.get("trashed") is True,
        parent_id=parent.get("id"),
        state_type=kind,
        state_name=state_name,
        team=team,
        labels=_labels(node),
        attachments=tuple(attachments),
    )
