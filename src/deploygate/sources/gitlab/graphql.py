"""GitLab's GraphQL API for the GitLab source: postmortems with their linked items, and the
issues their task lists reference, in a handful of requests.

Through REST, a postmortem's linked issues cost one request each
(``GET .../issues/:iid/links``) and a referenced issue one more. Here one
query reads a hundred postmortems (incidents, or issues with a postmortem
label) with their labels and their linked work items
(``Issue.linkedWorkItems``, GitLab 17.8 and later), and one aliased query
reads up to a hundred referenced issues, grouped by project
(``Project.issues(iids:)``). See https://docs.gitlab.com/api/graphql/reference/

The queries go through the source's :class:`~deploygate.http.HttpClient`,
so they keep its deadline, retries, size cap, same-origin rule and the
token's redaction; python-gitlab's ``gitlab.GraphQL`` would bring its own
transport (httpx through gql), without them.

An instance whose GraphQL lacks a field the queries use (an older GitLab) or
has no GraphQL endpoint refuses the first query whole: :class:`Unsupported`
says so, and the source reads through REST for the rest of the run. Each
answer is reshaped into the REST API's fields and decoded by the same
functions (:mod:`.records`), so both paths judge alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deploygate.http import HttpClient, decoded
from deploygate.sources.gitlab.api import status_problem
from deploygate.sources.gitlab.records import IssueRecord, decode_action_item, decode_postmortem

PAGE_SIZE = 100
"""GitLab's largest page (``max_page_size``), for postmortems and for referenced issues."""
PROJECTS_PER_QUERY = 6
"""Projects one referenced-issues query names: each costs about 39 of GitLab's complexity
(its ``issues`` connection doubles its fields), and a query may cost at most 250."""
OLDEST_VERSION = "17.8"
"""The first GitLab whose ``Issue`` has ``linkedWorkItems``; older ones are read through REST."""

_LABELS = "labels(first: 100) { nodes { title } }"
_ISSUE = f"""
  id iid projectId title description state createdAt closedAt dueDate webUrl
  reference(full: true) mergeRequestsCount {_LABELS}
"""
_WORK_ITEM = f"""
  id iid title state createdAt closedAt webUrl reference(full: true) project {{ id }}
  widgets {{
    ... on WorkItemWidgetLabels {{ {_LABELS} }}
    ... on WorkItemWidgetStartAndDueDate {{ dueDate }}
    ... on WorkItemWidgetDevelopment {{ closingMergeRequests {{ count }} }}
  }}
"""
_LINKS = f"""
  pageInfo {{ hasNextPage endCursor }}
  nodes {{ linkType workItem {{ {_WORK_ITEM} }} }}
"""
POSTMORTEMS = f"""
query Postmortems($project: ID!, $labels: [String], $types: [IssueType!], $after: String) {{
  project(fullPath: $project) {{
    issues(labelName: $labels, types: $types, sort: CREATED_DESC, first: {PAGE_SIZE},
           after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {_ISSUE} linkedWorkItems(first: {PAGE_SIZE}) {{ {_LINKS} }} }}
    }}
  }}
}}
"""
"""One page of a postmortem listing: incidents (``types``) or issues with a label."""
MORE_LINKS = f"""
query MoreLinks($project: ID!, $iid: String!, $after: String) {{
  project(fullPath: $project) {{
    issue(iid: $iid) {{ linkedWorkItems(first: {PAGE_SIZE}, after: $after) {{ {_LINKS} }} }}
  }}
}}
"""
"""The next links of a postmortem with more than a hundred."""


class Unsupported(Exception):
    """This GitLab's GraphQL cannot run the queries: no endpoint, or a field it lacks."""

    def __init__(self, why: str) -> None:
        super().__init__(why)
        self.why = why


@dataclass(frozen=True, slots=True)
class Listing:
    """One postmortem listing: issues with a label, or incidents."""

    labels: tuple[str, ...] = ()
    incidents: bool = False

    def variables(self, project: str, after: str | None) -> dict[str, Any]:
        return {
            "project": project,
            "labels": list(self.labels) or None,
            "types": ["INCIDENT"] if self.incidents else None,
            "after": after,
        }


class GitLabGraphQL:
    """Queries of one GitLab's GraphQL endpoint, on the REST API's HttpClient."""

    def __init__(self, session: HttpClient, url: str, token: str) -> None:
        self.session = session
        self.endpoint = f"{url.rstrip('/')}/api/graphql"
        self.headers = {"Authorization": f"Bearer {token}"}

    def query(self, document: str, variables: Mapping[str, Any], what: str) -> dict[str, Any]:
        """The ``data`` of one query; GitLab's errors fail the source, naming ``what``.

        A 404 (no GraphQL here) or a document refused for a field or an
        argument the schema lacks raises :class:`Unsupported`.
        """
        response = self.session.request(
            "POST",
            self.endpoint,
            json={"query": document, "variables": dict(variables)},
            headers=self.headers,
            idempotent=True,
        )
        if response.status_code == 404:
            raise Unsupported("this GitLab answers no GraphQL at /api/graphql (404)")
        if response.status_code in (401, 403):
            raise self.session.fail(status_problem(what, response.status_code))
        if response.status_code != 200:
            raise self.session.fail(f"GitLab GraphQL answered {response.status_code} to {what}")
        try:
            payload = decoded(response)
        except ValueError:
            raise self.session.fail(
                f"GitLab GraphQL answered {what} with data that cannot be read (not JSON)"
            ) from None
        if not isinstance(payload, dict):
            raise self.session.fail(f"GitLab GraphQL answered {what} with {payload!r:.40}")
        errors = payload.get("errors") or []
        data = payload.get("data")
        if errors:
            messages = [
                str(error.get("message", error) if isinstance(error, dict) else error)[:200]
                for error in (errors if isinstance(errors, list) else [errors])
            ]
            if data is None and any(_schema_lacks(error) for error in errors):
                raise Unsupported(f"this GitLab's GraphQL refused the query: {messages[0]}")
            raise self.session.fail(f"GitLab GraphQL refused {what}: {'; '.join(messages)}")
        if not isinstance(data, dict):
            raise self.session.fail(f"GitLab GraphQL answered {what} without data")
        return data

    def with_links(
        self, project: str, listing: Listing
    ) -> list[tuple[IssueRecord, list[IssueRecord]]]:
        """Every issue of one listing with its linked work items, newest first."""
        what = f"issues of {project}"
        found: list[tuple[IssueRecord, list[IssueRecord]]] = []
        after: str | None = None
        followed: set[str] = set()
        while True:
            data = self.query(POSTMORTEMS, listing.variables(project, after), what)
            issues = _part(self.session, _project(self.session, data, project), "issues", what)
            for node in _nodes(self.session, issues, what):
                issue = decode_postmortem(rest_issue(node))
                found.append((issue, self._links(project, issue, node)))
            after = _following(self.session, issues, followed, what)
            if after is None:
                return found

    def _links(
        self, project: str, issue: IssueRecord, node: Mapping[str, Any]
    ) -> list[IssueRecord]:
        """A postmortem's linked items: those of its page, then the rest, a hundred a query."""
        what = f"the links of issue {issue.reference}"
        links = _part(self.session, node, "linkedWorkItems", what)
        linked = _linked(self.session, links, what)
        followed: set[str] = set()
        while (after := _following(self.session, links, followed, what)) is not None:
            data = self.query(
                MORE_LINKS, {"project": project, "iid": str(issue.iid), "after": after}, what
            )
            found = _part(self.session, _project(self.session, data, project), "issue", what)
            links = _part(self.session, found, "linkedWorkItems", what)
            linked += _linked(self.session, links, what)
        return linked

    def issues(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], IssueRecord]:
        """Referenced issues (project path, iid), at most a hundred: one aliased query, one
        ``Project.issues(iids:)`` per project. One that is gone or hidden is left out."""
        by_project: dict[str, list[int]] = {}
        for path, iid in keys:
            by_project.setdefault(path, []).append(iid)
        fields = "\n".join(
            f"p{n}: project(fullPath: {_string(path)}) {{ issues(iids: "
            f"[{', '.join(_string(str(iid)) for iid in iids)}], first: {PAGE_SIZE}) "
            f"{{ nodes {{ {_ISSUE} }} }} }}"
            for n, (path, iids) in enumerate(by_project.items())
        )
        what = f"{len(keys)} issues named by postmortems"
        data = self.query(f"query Issues {{\n{fields}\n}}", {}, what)
        found: dict[tuple[str, int], IssueRecord] = {}
        for n, path in enumerate(by_project):
            project = data.get(f"p{n}")
            if project is None:
                continue  # gone or hidden, as a 404 through REST
            if not isinstance(project, dict):
                raise self.session.fail(
                    f"GitLab GraphQL answered the project {path} of {what} with {project!r:.40}"
                )
            listing = _part(self.session, project, "issues", what)
            for node in _nodes(self.session, listing, what):
                issue = decode_action_item(rest_issue(node))
                found[(path, issue.iid)] = issue
        return found


def lookups(keys: Sequence[tuple[str, int]]) -> list[list[tuple[str, int]]]:
    """Referenced issues in queries: at most a hundred issues and six projects each, so that
    one query stays within GitLab's page size and complexity limit."""
    batches: list[list[tuple[str, int]]] = []
    for key in sorted(keys):
        batch = batches[-1] if batches else None
        projects = {path for path, _ in batch} if batch else set()
        if (
            batch is None
            or len(batch) >= PAGE_SIZE
            or (key[0] not in projects and len(projects) >= PROJECTS_PER_QUERY)
        ):
            batches.append([key])
        else:
            batch.append(key)
    return batches


def rest_issue(node: Mapping[str, Any]) -> dict[str, Any]:
    """A GraphQL ``Issue`` in the REST API's fields, for :mod:`.records` to decode.

    ``Issue.dueDate`` is a ``Time`` (midnight UTC of the day); REST answers the day.
    """
    due = node.get("dueDate")
    return {
        "id": _number(node.get("id")),
        "iid": _number(node.get("iid")),
        "project_id": node.get("projectId"),
        "title": node.get("title"),
        "description": node.get("description"),
        "state": node.get("state"),
        "labels": _titles(node.get("labels")),
        "references": {"full": node.get("reference")},
        "web_url": node.get("webUrl"),
        "created_at": node.get("createdAt"),
        "closed_at": node.get("closedAt"),
        "due_date": due[:10] if isinstance(due, str) and "T" in due else due,
        "merge_requests_count": node.get("mergeRequestsCount"),
    }


def rest_work_item(node: Mapping[str, Any]) -> dict[str, Any]:
    """A linked ``WorkItem`` in the REST API's issue fields: its labels, due date and the
    count of merge requests that close it come from its widgets, its state in capitals
    (``OPEN``, ``CLOSED``)."""
    widgets = [w for w in node.get("widgets") or () if isinstance(w, dict)]
    labels = next((w["labels"] for w in widgets if "labels" in w), None)
    state = node.get("state")
    project = node.get("project")
    return {
        "iid": _number(node.get("iid")),
        "project_id": _number(project.get("id") if isinstance(project, dict) else None),
        "title": node.get("title"),
        "state": {"OPEN": "opened", "CLOSED": "closed"}.get(state, state)
        if isinstance(state, str)
        else state,
        "labels": _titles(labels),
        "references": {"full": node.get("reference")},
        "web_url": node.get("webUrl"),
        "created_at": node.get("createdAt"),
        "closed_at": node.get("closedAt"),
        "due_date": next((w.get("dueDate") for w in widgets if "dueDate" in w), None),
        # The merge requests that close it: none, and a done item has no fix to ask for.
        "merge_requests_count": next(
            (
                w["closingMergeRequests"].get("count")
                for w in widgets
                if isinstance(w.get("closingMergeRequests"), dict)
            ),
            None,
        ),
    }


def _schema_lacks(error: object) -> bool:
    """A refusal for a field, an argument or a type this GitLab's schema lacks
    (graphql-ruby's ``undefinedField``, ``argumentNotAccepted``, ``undefinedType``)."""
    if not isinstance(error, dict):
        return False
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    message = str(error.get("message", ""))
    return code in {"undefinedField", "argumentNotAccepted", "undefinedType"} or (
        "doesn't exist on type" in message or "doesn't accept argument" in message
    )


def _project(session: HttpClient, data: Mapping[str, Any], project: str) -> Mapping[str, Any]:
    found = data.get("project")
    if not isinstance(found, dict):
        raise session.fail(f"{project}: not found, or the token cannot see it")
    return found


def _part(session: HttpClient, parent: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    found = parent.get(key)
    if not isinstance(found, dict):
        raise session.fail(f"GitLab GraphQL answered {what} without {key} ({found!r:.40})")
    return found


def _nodes(session: HttpClient, connection: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    nodes = connection.get("nodes")
    if not isinstance(nodes, list) or not all(isinstance(node, dict) for node in nodes):
        raise session.fail(f"GitLab GraphQL answered {what} with the nodes {nodes!r:.40}")
    return nodes


def _linked(session: HttpClient, links: Mapping[str, Any], what: str) -> list[IssueRecord]:
    """The linked work items the token can see (GitLab answers a hidden one as null)."""
    return [
        decode_action_item(rest_work_item(node["workItem"]))
        for node in _nodes(session, links, what)
        if isinstance(node.get("workItem"), dict)
    ]


def _following(
    session: HttpClient, connection: Mapping[str, Any], followed: set[str], what: str
) -> str | None:
    """The cursor of the next page, None on the last one. A cursor already ``followed``
    fails the source: asking for the same page again would go on until the deadline."""
    page = connection.get("pageInfo")
    if not isinstance(page, dict) or page.get("hasNextPage") is not True:
        return None
    cursor = page.get("endCursor")
    if not isinstance(cursor, str) or not cursor:
        return None
    if cursor in followed:
        raise session.fail(f"GitLab GraphQL answered {what} with a cursor it gave before")
    followed.add(cursor)
    return cursor


def _titles(labels: object) -> object:
    """A label connection's titles; anything else as it came, for the decoder to refuse."""
    if not isinstance(labels, dict) or not isinstance(labels.get("nodes"), list):
        return labels
    return [node.get("title") if isinstance(node, dict) else node for node in labels["nodes"]]


def _number(value: object) -> object:
    """A GraphQL id as a number: ``"12"`` or ``"gid://gitlab/Issue/12"`` is 12."""
    if isinstance(value, str):
        tail = value.rsplit("/", 1)[-1]
        if tail.isdigit():
            return int(tail)
    return value


def _string(text: str) -> str:
    """A GraphQL string literal (JSON's escaping is GraphQL's for these characters)."""
    return json.dumps(text)
