"""A fake Jira served over loopback that speaks the REST shapes of Jira Cloud and Data Center.

Why a fake server: deploygate's Jira tracker is driven by ``requests`` over
real HTTP, so auth headers, status codes, paging and error bodies are
exercised as they are on the wire.

What it follows, from Atlassian's REST documentation:

* Jira Cloud, REST v3 "Search for issues using JQL enhanced search"
  (``GET /rest/api/3/search/jql``,
  https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/):
  ``jql``, ``fields`` (comma-separated; absent means every navigable field),
  ``maxResults`` (default 50; at most 100 when fields are asked for, 5000
  for ``id``/``key`` only), ``nextPageToken``; the answer is
  ``{"issues": [...], "nextPageToken": "...", "isLast": false}``, without
  ``total``, and without ``nextPageToken`` on the last page. The removed
  ``/rest/api/{2,3}/search`` answers 410 Gone, as Cloud now does. Basic auth
  with an account's email and API token
  (https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/).
  Descriptions are Atlassian Document Format
  (https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/).
* Jira Data Center, REST v2 ``GET /rest/api/2/search``
  (https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search):
  ``startAt``, ``maxResults`` (default 50, capped by
  ``jira.search.views.default.max``, 1000 by default: ``FakeJira.max_results``),
  ``total``; bearer personal access tokens
  (https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html);
  descriptions are wiki-markup strings.
* Issue fields: ``status`` with its ``statusCategory`` (keys ``new``,
  ``indeterminate``, ``done``), ``resolution`` (null while unresolved),
  ``created`` as ``2026-09-14T10:20:00.000+0000``, ``resolutiondate`` in the
  same form (null while unresolved; set when the issue was resolved), ``duedate`` as a date,
  ``components`` as ``[{"self", "id", "name"}]``, custom fields as their
  values (a select is ``{"self", "value", "id"}``, a Team field
  ``{"id", "name", "title", ...}``).
* Errors: 400 ``{"errorMessages": [...], "errors": {}}`` for JQL that does
  not parse, a field that does not exist, a value that does not exist for
  ``project``/``component`` ("The value 'x' does not exist for the field
  'component'.") and a key that does not exist or is hidden ("An issue with
  key 'OPS-9' does not exist for field 'key'.", one message per key); 401 with a plain-text body
  for bad credentials.

Where it approximates Jira: it evaluates only the JQL subset deploygate
sends (``project``, ``labels``, ``component``, ``key``/``issuekey`` with
``=``, ``!=``, ``in``, ``not in``; ``AND``, ``OR``, ``NOT``, parentheses;
a trailing ``ORDER BY`` is accepted and ignored, the order is by key);
every account sees every issue unless ``hidden`` lists it; no rate limits
unless injected (an injected 429 on Cloud carries Atlassian's headers, and
every injected fault a body in Jira's error shape). What it does not
implement answers 501 and is recorded in ``FakeJira.problems``; the
``fake_jira`` fixture then fails the test.

The HTTP machinery (request log, fault injection, keep-alive handler) is
fakes/server.py's, shared with the other fakes, so they all fail in the same ways.

Usage::

    from fakes.jira import FakeJira, fake_jira  # the fixture, imported

    def test_something(fake_jira):
        ops = fake_jira.world.project("OPS", components=["checkout"])
        ops.issue("Alert on burn rate", labels=["postmortem"], components=["checkout"])
        fake_jira.world.cloud_account("sre@acme.test", "api-token")
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http import HTTPStatus
from typing import Any, ClassVar, Literal

import pytest

from fakes import server
from fakes.server import RecordedRequest, Response

Flavour = Literal["cloud", "data-center"]
UTC = timezone.utc
CLOUD_DEFAULT_PAGE, CLOUD_MAX_PAGE, CLOUD_MAX_IDS_PAGE = 50, 100, 5000
DC_DEFAULT_PAGE = 50

STATUSES: dict[str, tuple[str, int, str, str]] = {
    # name: (status id, category id, category key, category name)
    "To Do": ("10000", 2, "new", "To Do"),
    "In Progress": ("3", 4, "indeterminate", "In Progress"),
    "In Review": ("10001", 4, "indeterminate", "In Progress"),
    "Done": ("10002", 3, "done", "Done"),
    "Closed": ("6", 3, "done", "Done"),
}
RESOLUTIONS = {
    "Done": "10000",
    "Won't Do": "10001",
    "Duplicate": "10002",
    "Cannot Reproduce": "10003",
}


def jira_time(moment: datetime) -> str:
    """Jira's timestamp format: milliseconds and a colon-less offset."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


# ---------------------------------------------------------------------------
# World
# ---------------------------------------------------------------------------


@dataclass
class Issue:
    id: int
    key: str
    project: Project
    summary: str
    status: str
    resolution: str | None
    created: datetime
    duedate: date | None
    components: list[str]
    labels: list[str]
    description: str | dict[str, Any] | None
    """Plain text (sent as ADF paragraphs on Cloud), or an ADF document as is."""
    custom: dict[str, Any] = field(default_factory=dict)
    resolutiondate: datetime | None = None
    """When it was resolved; None while unresolved, as Jira clears it on reopening."""

    @property
    def number(self) -> int:
        return int(self.key.rsplit("-", 1)[1])


class Project:
    def __init__(self, world: JiraWorld, key: str, components: Sequence[str]) -> None:
        self.world = world
        self.key = key
        self.id = 10000 + len(world.projects)
        self.components = list(components)
        self.issues: list[Issue] = []

    def issue(
        self,
        summary: str,
        *,
        status: str = "To Do",
        resolution: str | None = None,
        created: datetime | None = None,
        resolutiondate: datetime | None = None,
        duedate: date | None = None,
        components: Sequence[str] = (),
        labels: Sequence[str] = (),
        description: str | dict[str, Any] | None = None,
        custom: dict[str, Any] | None = None,
    ) -> Issue:
        if status not in STATUSES:
            raise ValueError(f"unknown status {status!r}; one of {sorted(STATUSES)}")
        if resolution is not None and resolution not in RESOLUTIONS:
            raise ValueError(f"unknown resolution {resolution!r}; one of {sorted(RESOLUTIONS)}")
        if STATUSES[status][2] == "done" and resolution is None:
            resolution = "Done"  # Jira's default workflows resolve on entering Done
        if resolutiondate is not None and resolution is None:
            raise ValueError("resolutiondate needs a resolution")
        created = created or self.world.now()
        if resolution is not None and resolutiondate is None:
            resolutiondate = max(created, self.world.now())
        for component in components:
            if component not in self.components:
                raise ValueError(f"{self.key} has no component {component!r}")
        issue = Issue(
            id=self.world.next_id("issue"),
            key=f"{self.key}-{len(self.issues) + 1}",
            project=self,
            summary=summary,
            status=status,
            resolution=resolution,
            created=created,
            resolutiondate=resolutiondate,
            duedate=duedate,
            components=list(components),
            labels=list(labels),
            description=description,
            custom=dict(custom or {}),
        )
        self.issues.append(issue)
        return issue


@dataclass
class CloudAccount:
    email: str
    api_token: str
    hidden: set[str] = field(default_factory=set)
    """Keys this account may not browse."""


@dataclass
class PersonalToken:
    token: str
    hidden: set[str] = field(default_factory=set)


Account = CloudAccount | PersonalToken


class JiraWorld(server.World):
    """Projects, issues and the credentials the fake accepts; the clock and ids are
    ``fakes.server.World``'s. Its time stands still at ``now`` (the tests' NOW by default)
    unless it is given a ``clock``."""

    FIRST_IDS: ClassVar[dict[str, int]] = {"issue": 10001}

    def __init__(
        self, now: datetime | None = None, *, clock: Callable[[], datetime] | None = None
    ) -> None:
        still = now or datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
        super().__init__(clock=clock or (lambda: still))
        self.projects: dict[str, Project] = {}
        self.accounts: list[Account] = []

    def project(self, key: str, *, components: Sequence[str] = ()) -> Project:
        if key not in self.projects:
            self.projects[key] = Project(self, key, components)
        return self.projects[key]

    def cloud_account(self, email: str, api_token: str) -> CloudAccount:
        account = CloudAccount(email, api_token)
        self.accounts.append(account)
        return account

    def personal_token(self, token: str) -> PersonalToken:
        account = PersonalToken(token)
        self.accounts.append(account)
        return account

    def issues(self) -> list[Issue]:
        found = [issue for project in self.projects.values() for issue in project.issues]
        return sorted(found, key=lambda issue: (issue.project.key, issue.number))

    def find(self, key: str) -> Issue | None:
        return next((issue for issue in self.issues() if issue.key == key), None)


# ---------------------------------------------------------------------------
# JQL: the subset deploygate sends, parsed and evaluated
# ---------------------------------------------------------------------------


class JqlError(Exception):
    """A 400 answer: the message Jira would put in errorMessages."""


_TOKEN = re.compile(
    r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|(?P<op>!=|=|\(|\)|,)"""
    r"""|(?P<word>[A-Za-z0-9_.:\-]+))"""
)
_FIELDS = {"project", "labels", "component", "key", "issuekey"}

Predicate = Callable[[Issue], bool]


@dataclass
class _Token:
    kind: Literal["string", "op", "word"]
    text: str
    value: str


def _tokens(jql: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    jql = jql.rstrip()
    while position < len(jql):
        match = _TOKEN.match(jql, position)
        if match is None or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: The character '{jql[position:].strip()[:1]}' is a "
                f"reserved JQL character. (line 1, character {position + 1})"
            )
        position = match.end()
        kind = match.lastgroup
        text = match.group(kind or "word")
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", text[1:-1])
            tokens.append(_Token("string", text, value))
        elif kind == "op":
            tokens.append(_Token("op", text, text))
        else:
            tokens.append(_Token("word", text, text))
    return tokens


class _Parser:
    """Recursive descent: or_expr := and_expr (OR and_expr)*; and_expr := unary (AND unary)*."""

    def __init__(self, world: JiraWorld, jql: str) -> None:
        self.world = world
        self.tokens = _tokens(jql)
        self.position = 0
        order = [
            i for i, t in enumerate(self.tokens) if t.kind == "word" and t.text.lower() == "order"
        ]
        if order:
            self.tokens = self.tokens[: order[0]]

    def peek(self) -> _Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise JqlError(
                "Error in the JQL Query: Expecting a field name but got the end of the query."
            )
        self.position += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "word" and token.text.lower() == word:
            self.position += 1
            return True
        return False

    def parse(self) -> Predicate:
        if not self.tokens:
            return lambda issue: True
        predicate = self.or_expr()
        if self.peek() is not None:
            token = self.take()
            raise JqlError(
                f"Error in the JQL Query: Expecting either 'OR' or 'AND' but got '{token.text}'."
            )
        return predicate

    def or_expr(self) -> Predicate:
        parts = [self.and_expr()]
        while self.keyword("or"):
            parts.append(self.and_expr())
        return lambda issue: any(part(issue) for part in parts)

    def and_expr(self) -> Predicate:
        parts = [self.unary()]
        while self.keyword("and"):
            parts.append(self.unary())
        return lambda issue: all(part(issue) for part in parts)

    def unary(self) -> Predicate:
        if self.keyword("not"):
            inner = self.unary()
            return lambda issue: not inner(issue)
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == "(":
            self.take()
            inner = self.or_expr()
            closing = self.take()
            if closing.text != ")":
                raise JqlError(f"Error in the JQL Query: Expecting ')' but got '{closing.text}'.")
            return inner
        return self.clause()

    def clause(self) -> Predicate:
        name = self.take()
        field_name = name.value.lower()
        if name.kind == "op" or field_name not in _FIELDS:
            raise JqlError(
                f"Field '{name.value}' does not exist or you do not have permission to view it."
            )
        negate = False
        if self.keyword("not"):
            negate = True
            if not self.keyword("in"):
                raise JqlError("Error in the JQL Query: Expecting 'in' after 'not'.")
            values = self.values()
        elif self.keyword("in"):
            values = self.values()
        else:
            operator = self.take()
            if operator.text not in ("=", "!="):
                raise JqlError(
                    f"Error in the JQL Query: Expecting operator but got '{operator.text}'. "
                    "(the fake knows =, !=, in, not in)"
                )
            negate = operator.text == "!="
            values = [self.value()]
        test = self.field_test(field_name, values)
        return (lambda issue: not test(issue)) if negate else test

    def value(self) -> str:
        token = self.take()
        if token.kind == "op":
            raise JqlError(f"Error in the JQL Query: Expecting a value but got '{token.text}'.")
        return token.value

    def values(self) -> list[str]:
        opening = self.take()
        if opening.text != "(":
            raise JqlError(f"Error in the JQL Query: Expecting '(' but got '{opening.text}'.")
        found = [self.value()]
        while True:
            token = self.take()
            if token.text == ")":
                return found
            if token.text != ",":
                raise JqlError(
                    f"Error in the JQL Query: Expecting ',' or ')' but got '{token.text}'."
                )
            found.append(self.value())

    def field_test(self, name: str, values: list[str]) -> Predicate:
        world = self.world
        if name == "project":
            for value in values:
                if value not in world.projects:
                    raise JqlError(f"The value '{value}' does not exist for the field 'project'.")
            return lambda issue: issue.project.key in values
        if name == "component":
            known = {c for project in world.projects.values() for c in project.components}
            for value in values:
                if value not in known:
                    raise JqlError(f"The value '{value}' does not exist for the field 'component'.")
            return lambda issue: any(c in values for c in issue.components)
        if name == "labels":
            return lambda issue: any(label in values for label in issue.labels)
        missing = [value for value in values if world.find(value) is None]
        if missing:  # Jira names every missing key, one message each
            raise JqlError(*(_no_such_key(value) for value in missing))
        return lambda issue: issue.key in values


def evaluate(world: JiraWorld, jql: str) -> list[Issue]:
    """The issues ``jql`` selects, by key; raises JqlError like Jira's 400."""
    predicate = _Parser(world, jql).parse()
    return [issue for issue in world.issues() if predicate(issue)]


# ---------------------------------------------------------------------------
# Issue JSON
# ---------------------------------------------------------------------------


def adf(text: str) -> dict[str, Any]:
    """Plain text as an ADF document: a paragraph per blank-line block, hardBreaks within."""
    content = []
    for block in text.split("\n\n"):
        lines = block.split("\n")
        inline: list[dict[str, Any]] = []
        for index, line in enumerate(lines):
            if index:
                inline.append({"type": "hardBreak"})
            if line:
                inline.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": inline})
    return {"type": "doc", "version": 1, "content": content}


def _status_json(base: str, name: str) -> dict[str, Any]:
    status_id, category_id, category_key, category_name = STATUSES[name]
    return {
        "self": f"{base}/status/{status_id}",
        "description": "",
        "iconUrl": f"{base.rsplit('/rest/', 1)[0]}/images/icons/statuses/generic.png",
        "name": name,
        "id": status_id,
        "statusCategory": {
            "self": f"{base}/statuscategory/{category_id}",
            "id": category_id,
            "key": category_key,
            "colorName": {"new": "blue-gray", "indeterminate": "yellow", "done": "green"}[
                category_key
            ],
            "name": category_name,
        },
    }


def issue_json(
    issue: Issue, base: str, flavour: Flavour, fields: set[str] | None
) -> dict[str, Any]:
    """One issue as the search returns it; ``fields`` None means every navigable field."""
    description: Any = issue.description
    if flavour == "cloud" and isinstance(description, str):
        description = adf(description)
    if flavour == "data-center" and isinstance(description, dict):
        raise ValueError("a Data Center description is wiki text, not ADF")
    resolution = None
    if issue.resolution is not None:
        resolution = {
            "self": f"{base}/resolution/{RESOLUTIONS[issue.resolution]}",
            "id": RESOLUTIONS[issue.resolution],
            "description": "",
            "name": issue.resolution,
        }
    every = {
        "summary": issue.summary,
        "status": _status_json(base, issue.status),
        "resolution": resolution,
        "created": jira_time(issue.created),
        "updated": jira_time(max(issue.created, issue.resolutiondate or issue.created)),
        "resolutiondate": jira_time(issue.resolutiondate) if issue.resolutiondate else None,
        "duedate": issue.duedate.isoformat() if issue.duedate else None,
        "components": [
            {"self": f"{base}/component/{10100 + i}", "id": str(10100 + i), "name": name}
            for i, name in enumerate(issue.components)
        ],
        "labels": issue.labels,
        "description": description,
        "project": {
            "self": f"{base}/project/{issue.project.id}",
            "id": str(issue.project.id),
            "key": issue.project.key,
            "name": issue.project.key,
        },
        **issue.custom,
    }
    chosen = every if fields is None else {k: v for k, v in every.items() if k in fields}
    return {
        "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
        "id": str(issue.id),
        "self": f"{base}/issue/{issue.id}",
        "key": issue.key,
        "fields": chosen,
    }


# ---------------------------------------------------------------------------
# HTTP server
# ---------------------------------------------------------------------------

CLOUD_SEARCH = "/rest/api/3/search/jql"
DC_SEARCH = "/rest/api/2/search"
_REMOVED_ON_CLOUD = ("/rest/api/2/search", "/rest/api/3/search", "/rest/api/latest/search")
_UNAUTHENTICATED = b"Client must be authenticated to access this resource."


def _errors(status: int, *messages: str) -> Response:
    return Response(status, {"errorMessages": list(messages), "errors": {}})


def _fault_body(status: int) -> dict[str, Any]:
    """The body of an injected fault that names none, in Jira's error shape."""
    if status == 429:
        message = "Rate limit exceeded."
    elif status >= 500:
        message = "Internal server error"
    else:
        message = HTTPStatus(status).phrase
    return {"errorMessages": [message], "errors": {}}


RETRY_AFTER_SECONDS = 1
"""The Retry-After of an injected 429 that names none."""


def rate_limit_headers(retry_after: int, now: datetime | None = None) -> dict[str, str]:
    """What Jira Cloud sends with a 429
    (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/): Retry-After in
    seconds, X-RateLimit-Reset as an ISO 8601 time to the minute (the request's time, ``now``,
    plus Retry-After), the budget's limit and what remains of it, and why."""
    reset = (now or datetime.now(timezone.utc)) + timedelta(seconds=retry_after)
    return {
        "Retry-After": str(retry_after),
        "X-RateLimit-Reset": reset.strftime("%Y-%m-%dT%H:%MZ"),
        "X-RateLimit-Limit": "100",
        "X-RateLimit-Remaining": "0",
        "RateLimit-Reason": "jira-burst-based",
    }


class Fault(server.Fault[RecordedRequest]):
    """One injected failure; see ``fakes.server.Faults.add``."""

    def response(self) -> Response:
        return self.answer(_fault_body, {})


class _Handler(server.FakeHandler):
    """The shared handler, as Atlassian's edge."""

    server_header = "AtlassianEdge"
    json_content_type = "application/json; charset=utf-8"


class FakeJira(server.LoopbackFake[RecordedRequest, Fault]):
    """The fake Jira: a ``JiraWorld`` as a Cloud or a Data Center site on 127.0.0.1.

    ``requests`` logs every request; ``faults`` injects failures; ``latency``
    delays every answer; ``max_results`` is Data Center's page cap;
    ``problems`` lists what the fake could not answer; ``api_prefix`` serves
    the API under a path, as Atlassian's gateway does for scoped API tokens
    (``/ex/jira/CLOUD_ID/rest/api/3/...``). Lifecycle, log and faults:
    ``fakes.server.LoopbackFake``.
    """

    name = "Jira"
    handler = _Handler
    world: JiraWorld

    def __init__(
        self,
        world: JiraWorld | None = None,
        *,
        flavour: Flavour = "cloud",
        latency: float = 0.0,
        max_results: int = 1000,
        api_prefix: str = "",
    ) -> None:
        super().__init__(Fault, latency=latency)
        self.world = world or JiraWorld()
        self.flavour: Flavour = flavour
        self.max_results = max_results
        self.api_prefix = api_prefix

    def searches(self) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if "/search" in r.path]

    # -- answering -------------------------------------------------------------

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Response:
        """The fault's answer; a 429 on Cloud carries Atlassian's rate-limit headers beneath
        the fault's own (a test's ``Retry-After`` wins)."""
        if fault.status == 429 and self.flavour == "cloud":
            now = datetime.fromtimestamp(self.clock(), timezone.utc)
            return fault.answer(_fault_body, rate_limit_headers(RETRY_AFTER_SECONDS, now))
        return fault.response()

    def _crash_response(self) -> Response:
        return _errors(500, "fake Jira crashed; see FakeJira.problems")

    def error(self, status: int, message: str) -> Response:
        return _errors(status, message)

    def _account(self, record: RecordedRequest) -> Account | Literal[False] | None:
        """The caller: None when anonymous, False when the credentials are wrong."""
        if "authorization" not in record.headers:
            return None
        basic = server.authorization(record, "basic")
        if basic is not None and self.flavour == "cloud":
            try:
                email, _, token = base64.b64decode(basic, validate=True).decode().partition(":")
            except (binascii.Error, UnicodeDecodeError):
                return False
            for account in self.world.accounts:
                if isinstance(account, CloudAccount) and (account.email, account.api_token) == (
                    email,
                    token,
                ):
                    return account
        bearer = server.authorization(record, "bearer")
        if bearer is not None and self.flavour == "data-center":
            for account in self.world.accounts:
                if isinstance(account, PersonalToken) and account.token == bearer:
                    return account
        return False

    def _answer(self, record: RecordedRequest) -> Response:
        path = record.path
        if self.api_prefix:
            if not path.startswith(f"{self.api_prefix}/"):
                return Response(404, raw=b"<html><body>Page not found</body></html>",
                                headers={"Content-Type": "text/html;charset=UTF-8"})  # fmt: skip
            path = path.removeprefix(self.api_prefix)
        if self.flavour == "cloud" and path in _REMOVED_ON_CLOUD:
            return _errors(
                410,
                "The requested API has been removed. Please migrate to the /rest/api/3/search/jql "
                "API. A full migration guideline is available at "
                "https://developer.atlassian.com/changelog/#CHANGE-2046",
            )
        search_path = CLOUD_SEARCH if self.flavour == "cloud" else DC_SEARCH
        if path != search_path or record.method != "GET":
            if path.startswith("/rest/api/"):
                self.gap(f"{record.method} {path}")
            return Response(404, raw=b"<html><body>Page not found</body></html>",
                            headers={"Content-Type": "text/html;charset=UTF-8"})  # fmt: skip
        account = self._account(record)
        if account is False or account is None:
            # Anonymous access is off on the sites deploygate reads; Jira says 401 either way.
            return Response(
                401,
                raw=_UNAUTHENTICATED,
                headers={"Content-Type": "text/plain;charset=UTF-8",
                         "WWW-Authenticate": 'Basic realm="protected-area"'},
            )  # fmt: skip
        return self._search(record, account)

    def _search(self, record: RecordedRequest, account: Account) -> Response:
        query = record.query
        jql = query.get("jql", "")
        hidden = [key for key in _keys_named(jql) if key in account.hidden]
        try:
            found = [
                issue for issue in evaluate(self.world, jql) if issue.key not in account.hidden
            ]
        except JqlError as error:
            missing = [m for m in error.args if "does not exist for field 'key'" in m]
            if len(missing) < len(error.args):
                return _errors(400, *error.args)
            return _errors(400, *missing, *(_no_such_key(key) for key in hidden))
        if hidden:  # a key the account may not browse looks like one that does not exist
            return _errors(400, *(_no_such_key(key) for key in hidden))
        fields = _fields(query.get("fields"))
        base = f"{self.url}/rest/api/{'3' if self.flavour == 'cloud' else '2'}"
        if self.flavour == "cloud":
            return self._cloud_page(query, jql, found, fields, base)
        return self._dc_page(query, found, fields, base)

    def _page_size(self, query: dict[str, str], default: int, cap: int) -> int:
        text = query.get("maxResults")
        if text is None:
            return default
        if not re.fullmatch(r"-?[0-9]+", text):
            self.refuse(400, f"The value '{text}' is invalid for the maxResults parameter.")
        return max(0, min(int(text), cap))

    def _cloud_page(
        self,
        query: dict[str, str],
        jql: str,
        found: list[Issue],
        fields: set[str] | None,
        base: str,
    ) -> Response:
        ids_only = fields is not None and fields <= {"id", "key"}
        size = self._page_size(
            query, CLOUD_DEFAULT_PAGE, CLOUD_MAX_IDS_PAGE if ids_only else CLOUD_MAX_PAGE
        )
        start = 0
        token = query.get("nextPageToken")
        if token is not None:
            start_or_none = _read_token(token, jql)
            if start_or_none is None:
                return _errors(400, "The provided next page token is invalid or expired.")
            start = start_or_none
        page = found[start : start + size]
        body: dict[str, Any] = {"issues": [issue_json(i, base, "cloud", fields) for i in page]}
        if start + size < len(found):
            body["nextPageToken"] = _make_token(start + size, jql)
            body["isLast"] = False
        else:
            body["isLast"] = True
        return Response(200, body)

    def _dc_page(
        self, query: dict[str, str], found: list[Issue], fields: set[str] | None, base: str
    ) -> Response:
        size = self._page_size(query, DC_DEFAULT_PAGE, self.max_results)
        start_text = query.get("startAt", "0")
        if not start_text.isdigit():
            return _errors(400, f"The value '{start_text}' is invalid for the startAt parameter.")
        start = int(start_text)
        page = found[start : start + size]
        body = {
            "expand": "schema,names",
            "startAt": start,
            "maxResults": size,
            "total": len(found),
            "issues": [issue_json(issue, base, "data-center", fields) for issue in page],
        }
        return Response(200, body)


def _no_such_key(key: str) -> str:
    return f"An issue with key '{key}' does not exist for field 'key'."


def _keys_named(jql: str) -> list[str]:
    return re.findall(r"[A-Z][A-Z0-9_]+-[0-9]+", jql)


def _fields(text: str | None) -> set[str] | None:
    if text is None:
        return None
    names = {name.strip() for name in text.split(",") if name.strip()}
    return None if names & {"*all", "*navigable"} else names


def _make_token(start: int, jql: str) -> str:
    """An opaque continuation token, bound to its query as Jira's are."""
    digest = hashlib.sha256(jql.encode()).hexdigest()[:12]
    raw = json.dumps({"o": start, "q": digest}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _read_token(token: str, jql: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(data, dict) or data.get("q") != hashlib.sha256(jql.encode()).hexdigest()[:12]:
        return None
    start = data.get("o")
    return start if isinstance(start, int) and start >= 0 else None


# ---------------------------------------------------------------------------
# pytest fixture
# ---------------------------------------------------------------------------


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    """A running fake Jira Cloud with an empty world; fails the test if the fake met a gap."""
    yield from server.running(FakeJira())
