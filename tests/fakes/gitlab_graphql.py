"""The fake GitLab's GraphQL endpoint (``POST /api/graphql``), executed by graphql-core.

The schema: no registry package ships GitLab's (``gitlab_schema.graphql`` is
not published on npm or PyPI), so :data:`SDL` below holds the types deploygate
uses, written from GitLab's GraphQL reference
(https://docs.gitlab.com/api/graphql/reference/): ``Query.project``,
``Project.issues``/``issue``, ``Issue`` with ``labels`` and
``linkedWorkItems`` (17.8) and ``mergeRequestsCount``, ``LinkedWorkItemType``,
``WorkItem`` and its labels, dates and development (closing merge requests)
widgets. A document asking for anything else is refused as GitLab refuses an
unknown field, so a query deploygate sends that GitLab would refuse fails here
too (within these types).

GitLab's limits, reproduced:

* page size: ``first``/``last`` above 100 (``max_page_size``) are cut to 100;
* complexity: at most 250 for an authenticated request (200 anonymous),
  computed as GitLab's ``Types::BaseField`` does: a plain field costs 1 plus
  its selections; a field with a resolver (``project``, ``issues``,
  ``issue``, ``linkedWorkItems``, ``labels``) costs its selections plus 1
  (plus 1 with ``sort``), and a connection multiplies that by
  ``1 + 0.01 * page size``. Over the limit, the answer is GitLab's
  ``Query has complexity of N, which exceeds max complexity of 250``.

``FakeGitLab.graphql_lacks`` removes fields (``{"Issue.linkedWorkItems"}``:
a GitLab before 17.8, which refuses the document with graphql-ruby's
``undefinedField``); ``FakeGitLab.graphql_enabled = False`` answers 404, as
an instance without the endpoint.
"""

from __future__ import annotations

import base64
import functools
from typing import TYPE_CHECKING, Any

import graphql
from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
)

from fakes.github import _format_error

if TYPE_CHECKING:
    from fakes.gitlab import FakeGitLab, Issue, Project, Token

MAX_PAGE_SIZE = 100
MAX_COMPLEXITY = 250
ANONYMOUS_MAX_COMPLEXITY = 200

SDL = """
scalar Time
scalar Date
scalar IssueID
scalar WorkItemID
scalar ProjectID

enum IssueState { opened closed locked all }
enum IssuableState { opened closed locked all }
enum IssueType { ISSUE INCIDENT TEST_CASE REQUIREMENT TASK TICKET }
enum IssueSort { CREATED_DESC CREATED_ASC UPDATED_DESC UPDATED_ASC }
enum WorkItemState { OPEN CLOSED }
enum WorkItemRelatedLinkType { RELATED BLOCKS BLOCKED_BY }
enum WorkItemWidgetType { LABELS START_AND_DUE_DATE DESCRIPTION DEVELOPMENT }

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

type Query {
  project(fullPath: ID!): Project
}

type Project {
  id: ProjectID!
  fullPath: ID!
  issues(
    iids: [String!], labelName: [String], types: [IssueType!], state: IssuableState,
    sort: IssueSort = CREATED_DESC, first: Int, after: String, last: Int, before: String
  ): IssueConnection
  issue(iid: String): Issue
}

type IssueConnection { count: Int! pageInfo: PageInfo! nodes: [Issue] }

type Issue {
  id: IssueID!
  iid: String!
  projectId: Int!
  title: String!
  description: String
  state: IssueState!
  type: IssueType
  createdAt: Time!
  updatedAt: Time!
  closedAt: Time
  dueDate: Time
  webUrl: String!
  reference(full: Boolean = false): String!
  mergeRequestsCount: Int!
  labels(first: Int, after: String, last: Int, before: String): LabelConnection
  linkedWorkItems(
    filter: WorkItemRelatedLinkType, first: Int, after: String, last: Int, before: String
  ): LinkedWorkItemTypeConnection
}

type Label { id: ID! title: String! }
type LabelConnection { pageInfo: PageInfo! nodes: [Label] }

type LinkedWorkItemType {
  linkId: ID!
  linkType: String!
  linkCreatedAt: Time!
  linkUpdatedAt: Time!
  workItem: WorkItem
  workItemState: WorkItemState!
}
type LinkedWorkItemTypeConnection { pageInfo: PageInfo! nodes: [LinkedWorkItemType] }

interface WorkItemWidget { type: WorkItemWidgetType }
type WorkItemWidgetLabels implements WorkItemWidget {
  type: WorkItemWidgetType
  labels(first: Int, after: String, last: Int, before: String): LabelConnection
}
type WorkItemWidgetStartAndDueDate implements WorkItemWidget {
  type: WorkItemWidgetType
  dueDate: Date
  startDate: Date
}
type MergeRequest { iid: String! webUrl: String }
type WorkItemClosingMergeRequest { mergeRequest: MergeRequest }
type WorkItemClosingMergeRequestConnection {
  count: Int!
  pageInfo: PageInfo!
  nodes: [WorkItemClosingMergeRequest]
}
type WorkItemWidgetDevelopment implements WorkItemWidget {
  type: WorkItemWidgetType
  closingMergeRequests(
    first: Int, after: String, last: Int, before: String
  ): WorkItemClosingMergeRequestConnection
}
type WorkItemWidgetDescription implements WorkItemWidget {
  type: WorkItemWidgetType
  description: String
}

type WorkItem {
  id: WorkItemID!
  iid: String!
  title: String!
  state: WorkItemState!
  createdAt: Time!
  closedAt: Time
  webUrl: String
  reference(full: Boolean = false): String!
  project: Project
  widgets: [WorkItemWidget!]
}
"""
RESOLVED = frozenset(
    {
        "Query.project",
        "Project.issues",
        "Project.issue",
        "Issue.labels",
        "Issue.linkedWorkItems",
        "WorkItemWidgetLabels.labels",
        "WorkItemWidgetDevelopment.closingMergeRequests",
    }
)
"""Fields GitLab resolves with a resolver class, whose complexity follows its rule."""


@functools.cache
def schema(lacks: frozenset[str] = frozenset()) -> graphql.GraphQLSchema:
    """The schema, without the ``Type.field`` names in ``lacks`` (an older GitLab)."""
    built = graphql.build_schema(SDL)
    for name in lacks:
        type_name, field_name = name.split(".")
        kind = built.get_type(type_name)
        assert isinstance(kind, GraphQLObjectType), name
        del kind.fields[field_name]
    return built


def complexity(
    selection_set: SelectionSetNode,
    parent: Any,
    built: graphql.GraphQLSchema,
    variables: dict[str, Any],
    fragments: dict[str, Any],
) -> float:
    """GitLab's complexity of a selection (see the module docstring)."""
    total = 0.0
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            kind = built.get_type(condition.name.value) if condition else parent
            total += complexity(selection.selection_set, kind, built, variables, fragments)
            continue
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments[selection.name.value]
            kind = built.get_type(fragment.type_condition.name.value)
            total += complexity(fragment.selection_set, kind, built, variables, fragments)
            continue
        assert isinstance(selection, FieldNode)
        definition = getattr(parent, "fields", {}).get(selection.name.value)
        if definition is None:
            total += 1
            continue
        named = graphql.get_named_type(definition.type)
        children = (
            complexity(selection.selection_set, named, built, variables, fragments)
            if selection.selection_set
            else 0.0
        )
        arguments = {
            arg.name.value: graphql.value_from_ast_untyped(arg.value, variables)
            for arg in selection.arguments or ()
        }
        if f"{parent.name}.{selection.name.value}" not in RESOLVED:
            total += 1 + children
            continue
        cost = children + 1 + (1 if "sort" in arguments else 0)
        if named.name.endswith("Connection"):
            size = min(
                (v for v in (arguments.get("first"), arguments.get("last")) if isinstance(v, int)),
                default=MAX_PAGE_SIZE,
            )
            cost += cost * min(size, MAX_PAGE_SIZE) * 0.01
        total += cost
    return total


# -- resolvers ------------------------------------------------------------------------------------


def _cursor(index: int) -> str:
    return base64.b64encode(f"offset:{index}".encode()).decode()


def _offset(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        return int(base64.b64decode(cursor).decode().split(":")[1]) + 1
    except (ValueError, IndexError):
        raise GraphQLError("Please provide a valid cursor") from None


def _page(items: list[Any], first: int | None, after: str | None) -> dict[str, Any]:
    """A connection: ``first`` items (at most 100) after the cursor ``after``."""
    start = _offset(after)
    size = min(first if first is not None else MAX_PAGE_SIZE, MAX_PAGE_SIZE)
    chosen = items[start : start + size]
    end = start + len(chosen)
    return {
        "count": len(items),
        "nodes": chosen,
        "pageInfo": {
            "hasNextPage": end < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if chosen else None,
            "endCursor": _cursor(end - 1) if chosen else None,
        },
    }


def _time(moment: Any) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Resolver:
    """The resolvers of one request: they see what the request's token may see."""

    def __init__(self, fake: FakeGitLab, token: Token | None) -> None:
        self.fake = fake
        self.token = token

    def can_see(self, project: Project) -> bool:
        if project.visibility == "public":
            return True
        if self.token is None:
            return False
        if not self.token.can_read_issues:
            return False
        return project.visibility == "internal" or self.token.member_of(project)

    def visible(self, issue: Issue) -> bool:
        return self.can_see(issue.project) and not (issue.confidential and self.token is None)

    def project(self, full_path: str) -> dict[str, Any] | None:
        found = self.fake.world.find_project(full_path)
        if found is None or not self.can_see(found):
            return None
        return self.project_node(found)

    def project_node(self, project: Project) -> dict[str, Any]:
        def issues(
            _info: Any,
            iids: list[str] | None = None,
            labelName: list[str] | None = None,  # GitLab's argument names
            types: list[str] | None = None,
            state: str | None = None,
            sort: str = "CREATED_DESC",
            first: int | None = None,
            after: str | None = None,
            **_: Any,
        ) -> dict[str, Any]:
            chosen = [
                issue
                for issue in project.issues.values()
                if self.visible(issue)
                and (iids is None or str(issue.iid) in iids)
                and all(label in issue.labels for label in labelName or ())
                and (types is None or issue.issue_type.upper() in types)
                and (state in (None, "all") or issue.state == state)
            ]
            chosen.sort(key=lambda i: (i.created_at, i.id), reverse=sort.endswith("DESC"))
            page = _page(chosen, first, after)
            page["nodes"] = [self.issue_node(issue) for issue in page["nodes"]]
            return page

        def issue(_info: Any, iid: str | None = None) -> dict[str, Any] | None:
            found = project.issues.get(int(iid)) if iid and iid.isdigit() else None
            return self.issue_node(found) if found and self.visible(found) else None

        return {
            "id": f"gid://gitlab/Project/{project.id}",
            "fullPath": project.path_with_namespace,
            "issues": issues,
            "issue": issue,
        }

    def labels(self, issue: Issue) -> Any:
        def labels(_info: Any, first: int | None = None, after: str | None = None, **_: Any) -> Any:
            page = _page(list(issue.labels), first, after)
            page["nodes"] = [
                {"id": f"gid://gitlab/ProjectLabel/{t}", "title": t} for t in page["nodes"]
            ]
            return page

        return labels

    def issue_node(self, issue: Issue) -> dict[str, Any]:
        from fakes.gitlab import _Call, _issue_web_url  # noqa: F401  # the REST shapes' URL

        def linked(_info: Any, first: int | None = None, after: str | None = None, **_: Any) -> Any:
            links = [
                {
                    "linkId": f"gid://gitlab/WorkItems::RelatedWorkItemLink/{link.id}",
                    "linkType": link_type,
                    "linkCreatedAt": _time(link.created_at),
                    "linkUpdatedAt": _time(link.updated_at),
                    "workItem": self.work_item_node(other) if self.visible(other) else None,
                    "workItemState": "OPEN" if other.state == "opened" else "CLOSED",
                }
                for other, link, link_type in issue.links()
            ]
            return _page(links, first, after)

        return {
            "id": f"gid://gitlab/Issue/{issue.id}",
            "iid": str(issue.iid),
            "projectId": issue.project.id,
            "title": issue.title,
            "description": issue.description,
            "state": issue.state,
            "type": issue.issue_type.upper(),
            "createdAt": _time(issue.created_at),
            "updatedAt": _time(issue.updated_at),
            "closedAt": _time(issue.closed_at),
            "dueDate": _time(issue.due_date and _midnight(issue.due_date)),
            "webUrl": self.web_url(issue),
            "reference": lambda _info, full=False: issue.reference if full else f"#{issue.iid}",
            "mergeRequestsCount": len(issue.closed_by_merge_requests),
            "labels": self.labels(issue),
            "linkedWorkItems": linked,
        }

    def work_item_node(self, issue: Issue) -> dict[str, Any]:
        return {
            "id": f"gid://gitlab/WorkItem/{issue.id}",
            "iid": str(issue.iid),
            "title": issue.title,
            "state": "OPEN" if issue.state == "opened" else "CLOSED",
            "createdAt": _time(issue.created_at),
            "closedAt": _time(issue.closed_at),
            "webUrl": self.web_url(issue),
            "reference": lambda _info, full=False: issue.reference if full else f"#{issue.iid}",
            "project": self.project_node(issue.project),
            "widgets": [
                {
                    "__typename": "WorkItemWidgetLabels",
                    "type": "LABELS",
                    "labels": self.labels(issue),
                },
                {
                    "__typename": "WorkItemWidgetStartAndDueDate",
                    "type": "START_AND_DUE_DATE",
                    "dueDate": issue.due_date.isoformat() if issue.due_date else None,
                    "startDate": None,
                },
                {
                    "__typename": "WorkItemWidgetDevelopment",
                    "type": "DEVELOPMENT",
                    "closingMergeRequests": self.closing(issue),
                },
            ],
        }

    def closing(self, issue: Issue) -> Any:
        def closing(
            _info: Any, first: int | None = None, after: str | None = None, **_: Any
        ) -> Any:
            visible = [mr for mr in issue.closed_by_merge_requests if self.can_see(mr.project)]
            page = _page(visible, first, after)
            page["nodes"] = [
                {"mergeRequest": {"iid": str(mr.iid), "webUrl": None}} for mr in page["nodes"]
            ]
            return page

        return closing

    def web_url(self, issue: Issue) -> str:
        kind = "issues/incident" if issue.issue_type == "incident" else "issues"
        base = self.fake.pagination_base_url or self.fake.url
        return f"{base}/{issue.project.path_with_namespace}/-/{kind}/{issue.iid}"


def _midnight(day: Any) -> Any:
    from datetime import datetime, timezone

    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def _field(source: Any, info: Any, **args: Any) -> Any:
    """Plain values from the dicts above; a callable is a field with arguments."""
    value = source.get(info.field_name) if isinstance(source, dict) else None
    return value(info, **args) if callable(value) else value


def _type(value: Any, _info: Any, _abstract: Any) -> str:
    return str(value["__typename"])


def answer(fake: FakeGitLab, token: Token | None, payload: Any) -> tuple[int, dict[str, Any]]:
    """Answer one POST /api/graphql body: (status, JSON document)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return 200, {"errors": [{"message": "No query string was present"}]}
    variables = payload.get("variables") or {}
    try:
        document = graphql.parse(payload["query"])
    except GraphQLError as error:
        return 200, {"errors": [_format_error(error, variables)]}
    built = schema(frozenset(fake.graphql_lacks))
    errors = graphql.validate(built, document)
    if errors:
        return 200, {"errors": [_format_error(e, variables) for e in errors]}
    operation = graphql.get_operation_ast(document, payload.get("operationName"))
    if operation is None:
        return 200, {"errors": [{"message": "An operation name is required"}]}
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, graphql.FragmentDefinitionNode)
    }
    cost = round(complexity(operation.selection_set, built.query_type, built, variables, fragments))
    limit = MAX_COMPLEXITY if token is not None else ANONYMOUS_MAX_COMPLEXITY
    if cost > limit:
        message = f"Query has complexity of {cost}, which exceeds max complexity of {limit}"
        return 200, {"errors": [{"message": message}]}
    resolver = _Resolver(fake, token)
    root = {"project": lambda _info, fullPath: resolver.project(fullPath)}
    result = graphql.execute(
        built,
        document,
        root_value=root,
        variable_values=variables,
        operation_name=payload.get("operationName"),
        field_resolver=_field,
        type_resolver=_type,
    )
    assert isinstance(result, graphql.ExecutionResult)
    out: dict[str, Any] = {"data": result.data}
    if result.errors:
        for failure in result.errors:
            if failure.original_error is not None and not isinstance(
                failure.original_error, GraphQLError
            ):
                fake.problems.append(f"fake GitLab GraphQL crashed: {failure.original_error!r}")
        out["errors"] = [_format_error(e, variables) for e in result.errors]
    return 200, out
