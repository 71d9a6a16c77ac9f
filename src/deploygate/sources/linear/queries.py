"""The GraphQL documents the Linear source sends, and how many records each page asks for.

Linear limits a query's complexity to 10,000 points (an object costs 1
point, a scalar 0.1, and a connection multiplies what it selects by its
``first``: https://linear.app/developers/rate-limiting#complexity), so the
postmortems and their items are read in two listings rather than one deep
query: the postmortems with their relations' ids, 20 a page (about 8,000
points), then every action item of those postmortems through one filtered
``issues`` listing, 50 a page (about 3,800 points).
"""

from __future__ import annotations

POSTMORTEMS_PER_PAGE = 20
ITEMS_PER_PAGE = 50
RELATIONS_PER_PAGE = 50
LABELS_PER_ISSUE = 25
ATTACHMENTS_PER_ITEM = 10
POSTMORTEMS_PER_ITEM_LISTING = 50
"""Postmortems whose items one ``issues`` listing asks for (its filter names their ids)."""
EXPORTED_PER_LISTING = ITEMS_PER_PAGE
"""Issues other platforms exported items to that one :data:`ITEMS` listing asks for by
identifier: as many as its page holds, so each batch is one query."""

_RELATIONS = f"""
    relations(first: {RELATIONS_PER_PAGE}, after: $relationsAfter) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ type relatedIssue {{ id }} }}
    }}
    inverseRelations(first: {RELATIONS_PER_PAGE}, after: $inverseAfter) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ type issue {{ id }} }}
    }}"""

_LABELS = f"labels(first: {LABELS_PER_ISSUE}) {{ nodes {{ name parent {{ name }} }} }}"

POSTMORTEMS = f"""
query DeploygatePostmortems($filter: IssueFilter!, $after: String,
                            $relationsAfter: String, $inverseAfter: String) {{
  issues(filter: $filter, first: {POSTMORTEMS_PER_PAGE}, after: $after, includeArchived: true) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id identifier title description url createdAt trashed
      state {{ type name }}
      {_LABELS}{_RELATIONS}
    }}
  }}
}}
"""
"""One page of the teams' issues with the postmortem label. Archived issues are read too:
Linear archives closed issues on its own after months, and a postmortem stays one."""

MORE_RELATIONS = f"""
query DeploygateRelations($id: String!, $relationsAfter: String, $inverseAfter: String) {{
  issue(id: $id) {{
    id{_RELATIONS}
  }}
}}
"""
"""The rest of one postmortem's relations, when it links more than a page of issues."""

ITEMS = f"""
query DeploygateItems($filter: IssueFilter!, $after: String) {{
  issues(filter: $filter, first: {ITEMS_PER_PAGE}, after: $after, includeArchived: true) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      id identifier title url createdAt completedAt canceledAt dueDate trashed
      parent {{ id }}
      state {{ type name }}
      team {{ name }}
      {_LABELS}
      attachments(first: {ATTACHMENTS_PER_ITEM}) {{ nodes {{ url sourceType }} }}
    }}
  }}
}}
"""
"""The action items of some postmortems (their sub-issues and the issues they link), or the
issues other platforms exported items to (:func:`identifiers_filter`)."""


def postmortem_filter(teams: tuple[str, ...], label: str) -> dict[str, object]:
    """Issues of ``teams`` that carry the postmortem label (any case, as Linear's labels)."""
    return {
        "team": {"key": {"in": list(teams)}},
        "labels": {"some": {"name": {"eqIgnoreCase": label}}},
    }


def items_filter(parents: list[str], linked: list[str]) -> dict[str, object]:
    """Sub-issues of ``parents``, and the issues whose ids are ``linked``."""
    either: list[dict[str, object]] = [{"parent": {"id": {"in": parents}}}]
    if linked:
        either.append({"id": {"in": linked}})
    return {"or": either}


def identifiers_filter(identifiers: list[str]) -> dict[str, object]:
    """The issues of ``identifiers`` (``OPS-12``): each by its team's key and its number, as
    ``IssueFilter`` has no identifier field and ``issue(id:)`` fails a whole query for one
    issue it cannot see."""
    either: list[dict[str, object]] = []
    for identifier in identifiers:
        team, _, number = identifier.rpartition("-")
        either.append({"team": {"key": {"eqIgnoreCase": team}}, "number": {"eq": int(number)}})
    return {"or": either}
