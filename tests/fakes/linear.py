"""A fake Linear served over loopback: its GraphQL API, executed on Linear's own schema.

Why a fake server: deploygate's Linear source is driven by ``requests``
over real HTTP, so the key header, status codes, Relay cursors, rate limits
and error bodies are exercised as they are on the wire.

What it follows:

* the schema is Linear's, as ``@linear/sdk`` ships it (fakes/linear_schema.py):
  a document Linear would reject (a field, an argument or a filter it lacks,
  a wrong variable type) is rejected here by graphql-core with the same
  validation, and what is answered has the schema's types;
* one endpoint, ``POST /graphql``; a personal API key in ``Authorization`` as
  it is, an OAuth token after ``Bearer`` (https://linear.app/developers/graphql);
  a key Linear does not know is answered 400 with ``AUTHENTICATION_ERROR``, a
  key without the ``read`` scope with ``FORBIDDEN``, in Linear's error shape
  (``{"errors": [{"message", "extensions": {"code", "type",
  "userPresentableMessage"}}]}``);
* Relay pagination (https://linear.app/developers/pagination): ``first``
  (50 by default, at most 250), ``after`` an opaque cursor, ``pageInfo``
  with ``hasNextPage`` and ``endCursor``; ``includeArchived`` false by
  default, which leaves out archived and trashed (deleted) issues;
* complexity (https://linear.app/developers/rate-limiting): an object costs
  1 point, a scalar 0.1, a connection multiplies what it selects by its
  ``first`` (50 when absent); a query over 10,000 points is refused;
* every answer carries ``X-RateLimit-Requests-Limit``, ``-Remaining`` and
  ``-Reset`` (epoch milliseconds); an injected 429 answers ``RATELIMITED``
  in Linear's shape, with a ``Retry-After`` when the test gives one;
* ids are UUIDs, identifiers ``TEAM-N`` numbered per team, URLs
  ``https://linear.app/WORKSPACE/issue/TEAM-N/slug``; workflow state types
  are strings (triage, backlog, unstarted, started, completed, canceled), so a
  test can add one Linear has not yet; relation types are ``related``,
  ``blocks``, ``duplicate`` and ``similar``.

Where it approximates Linear: filters are evaluated for the subset deploygate
sends (``and``/``or``, ``id``, ``team.key``, ``labels.some.name``,
``parent.id``, with ``eq``, ``eqIgnoreCase``, ``in``, ``neq``, ``nin``), and
issues come in creation order. Anything else (a filter, a field the fake
does not resolve) is recorded in ``FakeLinear.problems`` and answered as an
error, and the ``fake_linear`` fixture fails the test.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import traceback
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import graphql
import pytest
from graphql import ExecutionResult, GraphQLError

from fakes import server
from fakes.linear_schema import linear_schema
from fakes.server import RecordedRequest, Response

UTC = timezone.utc
DEFAULT_FIRST, MAX_FIRST = 50, 250
MAX_COMPLEXITY = 10_000
WORKSPACE = "acme"
STATES = {
    "Triage": "triage",
    "Backlog": "backlog",
    "Todo": "unstarted",
    "In Progress": "started",
    "In Review": "started",
    "Done": "completed",
    "Canceled": "canceled",
    "Duplicate": "canceled",
}
"""A team's workflow states by name, with their types (Linear's defaults)."""


def iso(moment: datetime) -> str:
    """Linear's timestamps: UTC with milliseconds, ``2026-11-20T12:00:00.000Z``."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


# ---------------------------------------------------------------------------
# World
# ---------------------------------------------------------------------------


@dataclass
class Team:
    key: str
    name: str
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    issues: int = 0


@dataclass
class Issue:
    team: Team
    number: int
    title: str
    created_at: datetime
    state: str = "Todo"
    state_type: str | None = None
    """The state's type, when not the default one of ``state`` (a type Linear adds later)."""
    description: str | None = None
    labels: list[str] = field(default_factory=list)
    """Label names; ``group:name`` is a label ``name`` in the label group ``group``."""
    parent: Issue | None = None
    due: date | None = None
    completed_at: datetime | None = None
    canceled_at: datetime | None = None
    archived_at: datetime | None = None
    trashed: bool = False
    attachments: list[tuple[str, str | None]] = field(default_factory=list)
    slug: str | None = None
    """The URL's last part; Linear writes it from the title's words unless set."""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    @property
    def identifier(self) -> str:
        return f"{self.team.key}-{self.number}"

    @property
    def url(self) -> str:
        slug = self.slug or re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:60]
        return f"https://linear.app/{WORKSPACE}/issue/{self.identifier}/{slug}"

    @property
    def kind(self) -> str:
        return self.state_type or STATES[self.state]

    def close(self, state: str, at: datetime) -> Issue:
        """Move it to ``state`` at ``at``, stamping completedAt or canceledAt as Linear does."""
        self.state = state
        if STATES[state] == "completed":
            self.completed_at = at
        elif STATES[state] == "canceled":
            self.canceled_at = at
        return self


@dataclass
class Relation:
    type: str
    issue: Issue
    related: Issue
    created_at: datetime
    id: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class ApiKey:
    key: str
    scopes: tuple[str, ...] = ("read",)


class LinearWorld(server.World):
    """Teams, issues, relations and keys: what the fake Linear answers from."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(clock=clock)
        self.teams: dict[str, Team] = {}
        self.issues: list[Issue] = []
        self.relations: list[Relation] = []
        self.keys: dict[str, ApiKey] = {}

    def team(self, key: str, name: str | None = None) -> Team:
        if key not in self.teams:
            self.teams[key] = Team(key, name or key.title())
        return self.teams[key]

    def api_key(self, key: str, scopes: Sequence[str] = ("read",)) -> ApiKey:
        self.keys[key] = ApiKey(key, tuple(scopes))
        return self.keys[key]

    def issue(
        self, team: str, title: str, *, created_at: datetime | None = None, **fields: Any
    ) -> Issue:
        owner = self.team(team)
        owner.issues += 1
        found = Issue(owner, owner.issues, title, self.at(created_at), **fields)
        self.issues.append(found)
        return found

    def relate(self, issue: Issue, related: Issue, kind: str = "related") -> Relation:
        if kind not in ("related", "blocks", "duplicate", "similar"):
            raise ValueError(f"no relation type {kind!r} in Linear")
        relation = Relation(kind, issue, related, max(issue.created_at, related.created_at))
        self.relations.append(relation)
        return relation

    def find(self, reference: str) -> Issue | None:
        """An issue by its id or its identifier, as ``issue(id:)`` takes either."""
        return next((i for i in self.issues if reference in (i.id, i.identifier)), None)


# ---------------------------------------------------------------------------
# Filters, connections, complexity
# ---------------------------------------------------------------------------


class Gap(GraphQLError):
    """Something deploygate asked that the fake does not implement."""


def _compare(value: Any, comparator: dict[str, Any], what: str) -> bool:
    result = True
    for operator, wanted in comparator.items():
        if operator == "eq":
            result &= value == wanted
        elif operator == "neq":
            result &= value != wanted
        elif operator == "in":
            result &= value in wanted
        elif operator == "nin":
            result &= value not in wanted
        elif operator == "eqIgnoreCase":
            result &= isinstance(value, str) and value.lower() == str(wanted).lower()
        else:
            raise Gap(f"fake Linear: comparator {operator} on {what}")
    return result


def _label_name(label: str) -> str:
    return label.split(":", 1)[1] if ":" in label and not label.startswith("http") else label


def matches(issue: Issue, where: dict[str, Any]) -> bool:
    """Whether ``issue`` passes an ``IssueFilter`` of the subset deploygate sends."""
    for key, value in where.items():
        if key == "and":
            ok = all(matches(issue, part) for part in value)
        elif key == "or":
            ok = any(matches(issue, part) for part in value)
        elif key == "id":
            ok = _compare(issue.id, value, "id")
        elif key == "number":
            ok = _compare(issue.number, value, "number")
        elif key == "team" and set(value) == {"key"}:
            ok = _compare(issue.team.key, value["key"], "team.key")
        elif key == "labels" and set(value) == {"some"} and set(value["some"]) == {"name"}:
            comparator = value["some"]["name"]
            ok = any(_compare(_label_name(label), comparator, "labels") for label in issue.labels)
        elif key == "parent" and set(value) == {"id"}:
            ok = issue.parent is not None and _compare(issue.parent.id, value["id"], "parent.id")
        else:
            raise Gap(f"fake Linear: filter {key} {json.dumps(value)[:80]}")
        if not ok:
            return False
    return True


def _cursor(node_id: str, query: str) -> str:
    digest = hashlib.sha256(query.encode()).hexdigest()[:8]
    return base64.urlsafe_b64encode(f"{digest}:{node_id}".encode()).decode()


def connection(nodes: Sequence[Any], args: dict[str, Any], scope: str) -> dict[str, Any]:
    """A Relay connection over ``nodes`` (each with an ``id``): ``first`` and ``after``."""
    first = args.get("first")
    if first is None:
        first = DEFAULT_FIRST
    if not 0 <= first <= MAX_FIRST:
        raise GraphQLError(f"Argument Validation Error: first must not be greater than {MAX_FIRST}")
    start = 0
    after = args.get("after")
    if after is not None:
        ids = [node.id for node in nodes]
        try:
            digest, _, node_id = base64.urlsafe_b64decode(after.encode()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            raise GraphQLError("Invalid cursor") from None
        if digest != hashlib.sha256(scope.encode()).hexdigest()[:8] or node_id not in ids:
            raise GraphQLError("Invalid cursor")
        start = ids.index(node_id) + 1
    page = list(nodes[start : start + first])
    more = start + first < len(nodes)
    return {
        "nodes": page,
        "edges": [{"node": node, "cursor": _cursor(node.id, scope)} for node in page],
        "pageInfo": {
            "hasNextPage": more,
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(page[0].id, scope) if page else None,
            "endCursor": _cursor(page[-1].id, scope) if page else None,
        },
    }


def complexity(
    schema: graphql.GraphQLSchema, document: graphql.DocumentNode, variables: dict[str, Any]
) -> float:
    """Linear's points for one operation: objects 1, scalars 0.1, connections times ``first``."""
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, graphql.FragmentDefinitionNode)
    }

    def selections(node: Any, parent: graphql.GraphQLNamedType) -> float:
        total = 0.0
        for selection in node.selection_set.selections if node.selection_set else ():
            if isinstance(selection, graphql.FragmentSpreadNode):
                total += selections(fragments[selection.name.value], parent)
                continue
            if isinstance(selection, graphql.InlineFragmentNode):
                total += selections(selection, parent)
                continue
            fields = getattr(parent, "fields", {})
            if selection.name.value not in fields:
                continue
            named = graphql.get_named_type(fields[selection.name.value].type)
            if not selection.selection_set:
                total += 0.1
                continue
            inner = 1 + selections(selection, named)
            if named.name.endswith("Connection"):
                first = DEFAULT_FIRST
                for argument in selection.arguments:
                    if argument.name.value == "first":
                        value = graphql.value_from_ast_untyped(argument.value, variables)
                        first = value if isinstance(value, int) else DEFAULT_FIRST
                inner = 1 + (inner - 1) * first
            total += inner
        return total

    operation = graphql.get_operation_ast(document)
    assert operation is not None
    assert schema.query_type is not None
    return selections(operation, schema.query_type)


# ---------------------------------------------------------------------------
# Execution: graphql-core resolves every field through _resolve
# ---------------------------------------------------------------------------


@dataclass
class _Context:
    world: LinearWorld
    query: str


class _Root:
    pass


def _state(issue: Issue) -> dict[str, Any]:
    return {
        "id": hashlib.sha256(f"{issue.team.key}:{issue.state}".encode()).hexdigest()[:32],
        "name": issue.state,
        "type": issue.kind,
    }


def _label(name: str) -> dict[str, Any]:
    group, _, child = name.partition(":") if ":" in name else ("", "", name)
    label_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"label:{name}"))
    return {
        "id": label_id,
        "name": child,
        "parent": {"id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"group:{group}")), "name": group}
        if group
        else None,
    }


@dataclass
class _Node:
    """A list element for ``connection`` that has an ``id``."""

    id: str
    value: Any


def _visible(issues: Sequence[Issue], args: dict[str, Any]) -> list[Issue]:
    if args.get("includeArchived"):
        return list(issues)
    return [i for i in issues if i.archived_at is None and not i.trashed]


def _nodes(found: dict[str, Any]) -> dict[str, Any]:
    """A connection whose nodes are wrapped (``_Node``), unwrapped for the answer."""
    found["nodes"] = [node.value for node in found["nodes"]]
    found["edges"] = [{**edge, "node": edge["node"].value} for edge in found["edges"]]
    return found


def _issue_field(issue: Issue, name: str, args: dict[str, Any], context: _Context) -> Any:
    world = context.world
    scope = f"{issue.id}|{name}"
    simple: dict[str, Callable[[], Any]] = {
        "id": lambda: issue.id,
        "identifier": lambda: issue.identifier,
        "number": lambda: float(issue.number),
        "title": lambda: issue.title,
        "description": lambda: issue.description,
        "url": lambda: issue.url,
        "createdAt": lambda: iso(issue.created_at),
        "updatedAt": lambda: iso(issue.created_at),
        "completedAt": lambda: iso(issue.completed_at) if issue.completed_at else None,
        "canceledAt": lambda: iso(issue.canceled_at) if issue.canceled_at else None,
        "archivedAt": lambda: iso(issue.archived_at) if issue.archived_at else None,
        "dueDate": lambda: issue.due.isoformat() if issue.due else None,
        "trashed": lambda: issue.trashed or None,
        "state": lambda: _state(issue),
        "team": lambda: {"id": issue.team.id, "key": issue.team.key, "name": issue.team.name},
        "parent": lambda: issue.parent,
    }
    if name in simple:
        return simple[name]()
    if name == "labels":
        labels = [_Node(_label(label)["id"], _label(label)) for label in issue.labels]
        return _nodes(connection(labels, args, scope))
    if name == "attachments":
        attachments = [
            _Node(
                str(uuid.uuid5(uuid.NAMESPACE_URL, url)),
                {"url": url, "sourceType": source, "title": url},
            )
            for url, source in issue.attachments
        ]
        return _nodes(connection(attachments, args, scope))
    if name == "children":
        children = [i for i in world.issues if i.parent is issue]
        return connection(_visible(children, args), args, scope)
    if name in ("relations", "inverseRelations"):
        mine = [
            r for r in world.relations if (r.issue if name == "relations" else r.related) is issue
        ]
        return connection(mine, args, scope)
    raise Gap(f"fake Linear: Issue.{name}")


def _resolve(source: Any, info: graphql.GraphQLResolveInfo, **args: Any) -> Any:
    context: _Context = info.context
    name = info.field_name
    if isinstance(source, _Root):
        if name == "issues":
            chosen = [i for i in context.world.issues if matches(i, args.get("filter") or {})]
            return connection(
                _visible(chosen, args), args, f"{context.query}|issues|{args.get('filter')}"
            )
        if name == "issue":
            found = context.world.find(args["id"])
            if found is None:
                raise GraphQLError("Entity not found: Issue", extensions={"code": "INVALID_INPUT"})
            return found
        raise Gap(f"fake Linear: Query.{name}")
    if isinstance(source, Issue):
        return _issue_field(source, name, args, context)
    if isinstance(source, Relation):
        relation = {
            "id": source.id,
            "type": source.type,
            "issue": source.issue,
            "relatedIssue": source.related,
            "createdAt": iso(source.created_at),
        }
        return relation.get(name)
    if isinstance(source, dict):
        if name not in source:
            raise Gap(f"fake Linear: {info.parent_type.name}.{name}")
        return source[name]
    raise Gap(f"fake Linear: {info.parent_type.name}.{name} on {type(source).__name__}")


def _error(message: str, code: str, kind: str, presentable: str | None = None) -> dict[str, Any]:
    """One error in Linear's shape."""
    return {
        "message": message,
        "extensions": {
            "code": code,
            "type": kind,
            "userError": True,
            "userPresentableMessage": presentable or message,
        },
    }


# ---------------------------------------------------------------------------
# Server
# ---------------------------------------------------------------------------


class Fault(server.Fault[RecordedRequest]):
    """One injected failure; a 429 answers RATELIMITED in Linear's words."""

    def response(self) -> Response:
        return self.answer(_fault_body, {})


def _fault_body(status: int) -> dict[str, Any]:
    if status == 429:
        return {"errors": [_error("Rate limit exceeded", "RATELIMITED", "ratelimited")]}
    return {
        "errors": [_error(f"Internal error {status}", "INTERNAL_SERVER_ERROR", "internal error")]
    }


class _Handler(server.FakeHandler):
    server_header = "cloudflare"
    json_content_type = "application/json; charset=utf-8"


class FakeLinear(server.LoopbackFake[RecordedRequest, Fault]):
    """The fake Linear: a ``LinearWorld`` served at ``/graphql`` on 127.0.0.1.

    ``requests`` logs every request; ``faults`` injects failures; ``latency``
    delays every answer; ``problems`` lists what the fake could not answer.
    Lifecycle, log and faults: ``fakes.server.LoopbackFake``.
    """

    name = "Linear"
    handler = _Handler
    world: LinearWorld

    def __init__(self, world: LinearWorld | None = None, *, latency: float = 0.0) -> None:
        super().__init__(Fault, latency=latency)
        self.world = world or LinearWorld()
        self.remaining = 5000
        linear_schema()  # built here, once a process: a second, not inside a client's deadline

    @property
    def api_url(self) -> str:
        return f"{self.url}/graphql"

    def queries(self) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if r.path == "/graphql"]

    def _crash_response(self) -> Response:
        return Response(
            500, {"errors": [_error("fake Linear crashed", "INTERNAL_SERVER_ERROR", "internal")]}
        )

    def error(self, status: int, message: str) -> Response:
        return Response(status, {"errors": [_error(message, "INVALID_INPUT", "invalid input")]})

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Response:
        """The fault's answer over the rate-limit headers, as Linear's errors carry them."""
        return fault.answer(_fault_body, self._headers())

    def _headers(self) -> dict[str, str]:
        reset = int((self.clock() + 3600) * 1000)
        return {
            "X-RateLimit-Requests-Limit": "5000",
            "X-RateLimit-Requests-Remaining": str(self.remaining),
            "X-RateLimit-Requests-Reset": str(reset),
        }

    def _answer(self, record: RecordedRequest) -> Response:
        if record.path != "/graphql":
            return Response(404, raw=b"Not Found", headers={"Content-Type": "text/plain"})
        if record.method != "POST":
            return self.error(400, "GET query missing.")
        self.remaining = max(0, self.remaining - 1)
        headers = self._headers()
        header = record.headers.get("authorization", "")
        token = header.split(" ", 1)[1] if header.lower().startswith("bearer ") else header
        key = self.world.keys.get(token)
        if key is None:
            refusal = _error(
                "Authentication required, not authenticated",
                "AUTHENTICATION_ERROR",
                "authentication error",
                "You need to authenticate to access this operation.",
            )
            body = {"errors": [refusal]}
            return Response(400, body, headers)
        try:
            payload = record.json()
        except ValueError:
            return Response(
                400, {"errors": [_error("Invalid JSON", "BAD_USER_INPUT", "invalid")]}, headers
            )
        status, body = self._graphql(payload, key)
        return Response(status, body, headers)

    def _graphql(self, payload: Any, key: ApiKey) -> tuple[int, dict[str, Any]]:
        if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
            return 400, {
                "errors": [_error("Must provide query string.", "BAD_USER_INPUT", "invalid")]
            }
        variables = payload.get("variables") or {}
        try:
            document = graphql.parse(payload["query"])
        except GraphQLError as error:
            return 400, {"errors": [_error(error.message, "GRAPHQL_PARSE_FAILED", "graphql error")]}
        schema = linear_schema()
        errors = graphql.validate(schema, document)
        if errors:
            self.problems.extend(f"fake Linear refused the document: {e.message}" for e in errors)
            return 400, {
                "errors": [
                    _error(e.message, "GRAPHQL_VALIDATION_FAILED", "graphql error") for e in errors
                ]
            }
        if "read" not in key.scopes:
            return 400, {
                "errors": [_error("Invalid scope: `read` required", "FORBIDDEN", "forbidden")]
            }
        points = complexity(schema, document, variables)
        if points > MAX_COMPLEXITY:
            self.problems.append(f"fake Linear: a query of {points:.0f} points")
            message = f"Query too complex: {points:.0f} points, at most {MAX_COMPLEXITY}"
            return 400, {"errors": [_error(message, "QUERY_TOO_COMPLEX", "invalid input")]}
        result = graphql.execute(
            schema,
            document,
            root_value=_Root(),
            context_value=_Context(self.world, payload["query"]),
            variable_values=variables,
            field_resolver=_resolve,
        )
        assert isinstance(result, ExecutionResult)
        answer: dict[str, Any] = {"data": result.data}
        if result.errors:
            for failure in result.errors:
                original = failure.original_error
                if isinstance(original, Gap) or isinstance(failure, Gap):
                    self.problems.append(failure.message)
                elif original is not None and not isinstance(original, GraphQLError):
                    self.problems.append(
                        "fake Linear crashed:\n" + "".join(traceback.format_exception(original))
                    )
            answer["errors"] = [
                {
                    **failure.formatted,
                    "extensions": {
                        "code": "INVALID_INPUT",
                        "type": "invalid input",
                        **(failure.extensions or {}),
                    },
                }
                for failure in result.errors
            ]
        return 200, answer


@pytest.fixture
def fake_linear() -> Iterator[FakeLinear]:
    """A running fake Linear with an empty world; fails the test if the fake met a gap."""
    yield from server.running(FakeLinear())


# ---------------------------------------------------------------------------
# The benchmark's history (benchmarks/history.py), written into a world
# ---------------------------------------------------------------------------

HISTORY_TEAM = "OPS"
HISTORY_KEY = "lin_api_benchmark0123456789abcdefghijklmnopqrstu"
"""The API key ``write_history`` registers."""


def write_history(world: LinearWorld, history: Any, now: datetime) -> None:
    """Write the postmortems and items of a ``benchmarks/history.py`` History into ``world``.

    What the other backends hold, Linear's way: each postmortem an issue of
    team OPS labelled ``postmortem``, ``service:checkout`` and its cause;
    its items sub-issues (``via == "sub"``) or issues it links as related
    or that block it (``via == "ref"``, by turns), owned by a ``team:``
    label. Closed postmortems older than half a year are archived, as
    Linear does on its own; one deleted postmortem sits in the trash, and
    the history's unrelated issues are there without the postmortem label.
    """
    world.api_key(HISTORY_KEY)
    for number in range(history.size.unrelated_issues):
        labels = ["service:checkout"] if number % 2 else []
        created = now - timedelta(days=number % 300)
        world.issue(HISTORY_TEAM, f"Unrelated work {number + 1}", labels=labels, created_at=created)
    for pm in history.postmortems:
        closed_at = min(pm.created_at + timedelta(days=5), now)
        parent = world.issue(
            HISTORY_TEAM,
            pm.title,
            created_at=pm.created_at,
            description="\n".join(_history_body(pm)),
            labels=["postmortem", "service:checkout", *([f"cause:{pm.cause}"] if pm.cause else [])],
        )
        if not pm.open:
            parent.close("Done", closed_at)
            if (now - closed_at).days > 180:
                parent.archived_at = closed_at + timedelta(days=180)
        for item in pm.items:
            _history_item(world, parent, item, pm, now)
    world.issue(HISTORY_TEAM, "Checkout incident: deleted draft", created_at=now,
                labels=["postmortem", "service:checkout"], trashed=True)  # fmt: skip


def _history_body(pm: Any) -> list[str]:
    lessons = (
        "Alert on the payment error budget burn rate",
        "Validate the payment config in CI",
        "Rewrite the payment client",
        "Contract test against the provider sandbox",
    )
    return [
        pm.reference("local"),
        "",
        "## What we learned",
        f"- {lessons[pm.number % 4]} was missing.",
    ]


def _history_item(world: LinearWorld, parent: Issue, item: Any, pm: Any, now: datetime) -> None:
    closed_at = min(pm.created_at + timedelta(days=10), now)
    issue = world.issue(
        HISTORY_TEAM,
        item.title,
        created_at=pm.created_at,
        labels=[f"team:{item.team}"],
        due=item.due,
        state="Todo" if item.variant % 2 else "In Progress",
        parent=parent if item.via == "sub" else None,
    )
    if item.state == "done":
        issue.close("Done", closed_at)
    elif item.state == "declined":
        issue.close("Duplicate" if item.variant % 8 == 0 else "Canceled", closed_at)
    if item.via != "sub":
        if item.variant % 4 == 0:
            world.relate(parent, issue, "related")
        else:
            world.relate(issue, parent, "blocks")
