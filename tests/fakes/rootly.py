"""A fake Rootly served over loopback that speaks Rootly's JSON:API REST shapes.

Why a fake server: deploygate's Rootly source is driven by ``requests`` over
real HTTP, so auth, status codes, paging and error bodies are exercised as
they are on the wire.

What it follows:

* Rootly's OpenAPI description, as the ``rootly`` client on PyPI (3.0.1,
  package ``rootly_sdk``) is generated from it: every answer the fake gives
  is parsed with that client's models (``IncidentList``,
  ``IncidentActionItemList``, ``ErrorsList``) before it is sent, and an
  attribute those models do not know is a problem of the fake (``check``
  fails the test). So the fields, their types and the enums
  (``IncidentActionItemStatus``: open, in_progress, cancelled, done;
  ``IncidentActionItemKind``: follow_up, task;
  ``IncidentRetrospectiveProgressStatus``: not_started, active, completed,
  skipped) are Rootly's, not ours. A status a test marks as added later
  (``RootlyWorld.novel_statuses``, for action items and retrospectives) is the
  one exception, sent as is.
* ``GET /v1/incidents`` with ``filter[services]`` (service slugs,
  comma-separated) and ``filter[service_names]``, ``page[number]`` and
  ``page[size]``; ``GET /v1/incidents/{id}/action_items`` with the same
  paging, 404 once the incident is deleted. Each list answers
  ``{"data": [...], "links": {self, first, prev, next, last}, "meta":
  {current_page, next_page, prev_page, total_count, total_pages}}``, and
  ``links.next`` is null on the last page
  (https://docs.rootly.com/api-reference/overview, "Pagination").
* An incident embeds its services and teams as ``{"data": {"id", "type",
  "attributes"}}`` (``ServiceResponse``, ``TeamResponse``); ids are UUIDs,
  ``sequential_id`` counts from 1 per organisation, times are ISO 8601 with
  milliseconds (``2026-09-14T10:20:00.000Z``), due dates are dates.
* Bearer API keys (``Authorization: Bearer KEY``); a missing or unknown key is
  401, a key that may not read incidents 403, each with a JSON:API
  ``errors`` body. An injected 429 carries ``Retry-After`` and
  ``X-RateLimit-*``; the docs say a 429 comes with "additional headers"
  without naming them, so their names are an assumption.

Where it approximates Rootly: ``page[size]`` is capped at
:data:`MAX_PAGE_SIZE` (the docs give no cap); incidents are listed oldest
first; nothing is private. What it does not implement answers 501 and is
recorded in ``FakeRootly.problems``; the ``fake_rootly`` fixture then fails
the test.

Usage::

    from fakes.rootly import FakeRootly, fake_rootly  # the fixture, imported

    def test_something(fake_rootly):
        world = fake_rootly.world
        world.api_key("rootly_key")
        checkout = world.service("checkout")
        incident = world.incident("Checkout 500s", services=[checkout])
        incident.action_item("Alert on burn rate", status="open")
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from http import HTTPStatus
from typing import Any, ClassVar
from urllib.parse import urlencode

import pytest

from fakes import server
from fakes.server import RecordedRequest, Response

UTC = timezone.utc
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
RETRY_AFTER_SECONDS = 1
"""The Retry-After of an injected 429 that names none."""
WEB = "https://rootly.com/account"
"""Where people open incidents: an incident's ``url``."""


def rootly_time(moment: datetime) -> str:
    """Rootly's timestamp format: UTC with milliseconds and a Z."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ---------------------------------------------------------------------------
# World
# ---------------------------------------------------------------------------


@dataclass
class Named:
    """A Rootly service or team (a "group")."""

    id: str
    name: str
    slug: str
    created_at: datetime

    def embedded(self, kind: str) -> dict[str, Any]:
        return {
            "data": {
                "id": self.id,
                "type": kind,
                "attributes": {
                    "name": self.name,
                    "slug": self.slug,
                    "created_at": rootly_time(self.created_at),
                    "updated_at": rootly_time(self.created_at),
                },
            }
        }


@dataclass
class ActionItem:
    id: str
    incident: Incident
    summary: str
    status: str
    kind: str
    created_at: datetime
    due_date: date | None = None
    description: str | None = None
    teams: list[Named] = field(default_factory=list)
    jira_issue_key: str | None = None
    jira_issue_url: str | None = None
    deleted: bool = False

    def json(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "summary": self.summary,
            "description": self.description,
            "kind": self.kind,
            "assigned_to_group_ids": [team.id for team in self.teams],
            "priority": "medium",
            "status": self.status,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "jira_issue_id": None,
            "jira_issue_key": self.jira_issue_key,
            "jira_issue_url": self.jira_issue_url,
            "created_at": rootly_time(self.created_at),
            "updated_at": rootly_time(self.created_at),
        }
        if self.jira_issue_key:
            attributes["jira_issue_id"] = str(10000 + int(self.jira_issue_key.rsplit("-", 1)[1]))
        return {"id": self.id, "type": "incident_action_items", "attributes": attributes}


@dataclass
class Incident:
    world: RootlyWorld
    id: str
    sequential_id: int
    title: str
    summary: str | None
    status: str
    retrospective: str
    created_at: datetime
    started_at: datetime | None
    services: list[Named]
    teams: list[Named]
    labels: dict[str, str]
    items: list[ActionItem] = field(default_factory=list)
    deleted: bool = False

    @property
    def slug(self) -> str:
        words = re.findall(r"[a-z0-9]+", self.title.lower())
        return "-".join(words[:6])

    @property
    def url(self) -> str:
        return f"{WEB}/incidents/{self.sequential_id}-{self.slug}"

    def action_item(
        self,
        summary: str,
        *,
        status: str = "open",
        kind: str = "follow_up",
        created_at: datetime | None = None,
        due_date: date | None = None,
        description: str | None = None,
        teams: Sequence[Named] = (),
        jira_issue_key: str | None = None,
        jira_issue_url: str | None = None,
    ) -> ActionItem:
        item = ActionItem(
            id=self.world.uuid("action_item"),
            incident=self,
            summary=summary,
            status=status,
            kind=kind,
            created_at=self.world.at(created_at),
            due_date=due_date,
            description=description,
            teams=list(teams),
            jira_issue_key=jira_issue_key,
            jira_issue_url=jira_issue_url,
        )
        for team in teams:
            if team not in self.teams:
                self.teams.append(team)
        self.items.append(item)
        return item

    def json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "incidents",
            "attributes": {
                "title": self.title,
                "kind": "normal",
                "slug": self.slug,
                "sequential_id": self.sequential_id,
                "summary": self.summary,
                "private": False,
                "status": self.status,
                "url": self.url,
                "short_url": f"https://rtly.co/i/{self.sequential_id}",
                "services": [service.embedded("services") for service in self.services],
                "groups": [team.embedded("groups") for team in self.teams],
                "labels": dict(self.labels),
                "retrospective_progress_status": self.retrospective,
                "started_at": rootly_time(self.started_at) if self.started_at else None,
                "created_at": rootly_time(self.created_at),
                "updated_at": rootly_time(self.created_at),
            },
        }


@dataclass
class ApiKey:
    value: str
    reads_incidents: bool = True


class RootlyWorld(server.World):
    """One Rootly organisation: its services, teams, incidents and API keys."""

    FIRST_IDS: ClassVar[dict[str, int]] = {"incident": 1, "uuid": 1}

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services: list[Named] = []
        self.teams: list[Named] = []
        self.incidents: list[Incident] = []
        self.keys: list[ApiKey] = []
        self.novel_statuses: set[str] = set()
        """Action item and retrospective statuses Rootly added after the client was
        generated: sent as they are, though the client's enums do not have them."""

    def uuid(self, kind: str) -> str:
        """A UUID, as Rootly's ids are, unique and stable for one world's history."""
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rootly/{kind}/{self.next_id('uuid')}"))

    def api_key(self, value: str, *, reads_incidents: bool = True) -> ApiKey:
        key = ApiKey(value, reads_incidents)
        self.keys.append(key)
        return key

    def service(self, slug: str, name: str | None = None) -> Named:
        found = Named(self.uuid("service"), name or slug, slug, self.now())
        self.services.append(found)
        return found

    def team(self, name: str) -> Named:
        for team in self.teams:
            if team.name == name:
                return team
        found = Named(self.uuid("group"), name, name.lower().replace(" ", "-"), self.now())
        self.teams.append(found)
        return found

    def incident(
        self,
        title: str,
        *,
        services: Sequence[Named],
        summary: str | None = None,
        status: str = "resolved",
        retrospective: str = "completed",
        created_at: datetime | None = None,
        started_at: datetime | None = None,
        labels: dict[str, str] | None = None,
    ) -> Incident:
        created = self.at(created_at)
        incident = Incident(
            world=self,
            id=self.uuid("incident"),
            sequential_id=self.next_id("incident"),
            title=title,
            summary=summary,
            status=status,
            retrospective=retrospective,
            created_at=created,
            started_at=self.at(started_at) if started_at else None,
            services=list(services),
            teams=[],
            labels=dict(labels or {}),
        )
        self.incidents.append(incident)
        return incident

    def find(self, incident_id: str) -> Incident | None:
        return next((i for i in self.incidents if i.id == incident_id and not i.deleted), None)


# ---------------------------------------------------------------------------
# The published description: rootly_sdk's models
# ---------------------------------------------------------------------------


@functools.cache
def _models() -> dict[str, Any]:
    """rootly_sdk's list and error models; imported once, on first use (it is large)."""
    from rootly_sdk.models.errors_list import ErrorsList
    from rootly_sdk.models.incident_action_item_list import IncidentActionItemList
    from rootly_sdk.models.incident_list import IncidentList

    return {
        "incidents": IncidentList,
        "action_items": IncidentActionItemList,
        "errors": ErrorsList,
    }


def described_problems(
    kind: str, body: Any, novel: frozenset[str] | set[str] = frozenset()
) -> list[str]:
    """What in ``body`` Rootly's OpenAPI description (rootly_sdk) refuses or does not know.

    ``kind`` is ``incidents``, ``action_items`` or ``errors``. A resource
    attribute the model does not declare lands in its ``additional_properties``,
    which is reported too: the fake must not invent fields.
    """
    field, known = _ENUM_FIELDS.get(kind, ("", ""))
    if field and novel:
        body = {**body, "data": [_known(r, field, known, novel) for r in body["data"]]}
    try:
        parsed = _models()[kind].from_dict(body)
    except (KeyError, TypeError, ValueError) as error:
        return [f"{kind}: {type(error).__name__}: {error}"]
    problems = [f"{kind}: unknown top-level {key}" for key in parsed.additional_properties]
    for resource in getattr(parsed, "data", None) or []:
        extra = resource.attributes.additional_properties
        if extra:
            problems.append(f"{kind}: {resource.id} has undeclared attributes {sorted(extra)}")
    return problems


_ENUM_FIELDS = {
    "incidents": ("retrospective_progress_status", "active"),
    "action_items": ("status", "open"),
}
"""The enum each listing may carry a value added later in, and a value the client knows."""


def _known(
    resource: dict[str, Any], field: str, known: str, novel: frozenset[str] | set[str]
) -> dict[str, Any]:
    """``resource`` with a value added later replaced by one the description has."""
    attributes = resource["attributes"]
    if attributes.get(field) in novel:
        return {**resource, "attributes": {**attributes, field: known}}
    return resource


# ---------------------------------------------------------------------------
# The server
# ---------------------------------------------------------------------------


def _errors(status: int, title: str, detail: str | None = None) -> Response:
    error: dict[str, Any] = {"title": title, "status": str(status)}
    if detail is not None:
        error["detail"] = detail
    return Response(status, {"errors": [error]})


def _fault_body(status: int) -> dict[str, Any]:
    """The body of an injected fault that names none, in Rootly's error shape."""
    title = "Request Limit Exceeded" if status == 429 else HTTPStatus(status).phrase
    return {"errors": [{"title": title, "status": str(status)}]}


def rate_limit_headers(retry_after: int) -> dict[str, str]:
    """What the fake sends with a 429: Retry-After in seconds, and the budget (3000 GETs a
    minute by default, per Rootly's docs) with none of it left."""
    return {
        "Retry-After": str(retry_after),
        "X-RateLimit-Limit": "3000",
        "X-RateLimit-Remaining": "0",
    }


class Fault(server.Fault[RecordedRequest]):
    """One injected failure; see ``fakes.server.Faults.add``."""

    def response(self) -> Response:
        under = rate_limit_headers(RETRY_AFTER_SECONDS) if self.status == 429 else {}
        return self.answer(_fault_body, under)


class _Handler(server.FakeHandler):
    """The shared handler, as Rootly's edge."""

    server_header = "cloudflare"
    json_content_type = "application/vnd.api+json; charset=utf-8"


class FakeRootly(server.LoopbackFake[RecordedRequest, Fault]):
    """The fake Rootly: a ``RootlyWorld`` as its API on 127.0.0.1.

    ``requests`` logs every request; ``faults`` injects failures; ``latency``
    delays every answer; ``problems`` lists what the fake could not answer or
    what Rootly's description refused. Lifecycle, log and faults:
    ``fakes.server.LoopbackFake``.
    """

    name = "Rootly"
    handler = _Handler
    world: RootlyWorld

    def __init__(self, world: RootlyWorld | None = None, *, latency: float = 0.0) -> None:
        super().__init__(Fault, latency=latency)
        _models()  # imported before the first answer: a client's deadline must not pay for it
        self.world = world or RootlyWorld()
        self.routes = server.Routes(
            [
                ("GET", r"/v1/incidents", self._incidents),
                ("GET", r"/v1/incidents/(?P<incident>[^/]+)/action_items", self._action_items),
            ]
        )

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Response:
        return fault.response()

    def _crash_response(self) -> Response:
        return _errors(500, "fake Rootly crashed; see FakeRootly.problems")

    def error(self, status: int, message: str) -> Response:
        return _errors(status, HTTPStatus(status).phrase, message)

    def _answer(self, record: RecordedRequest) -> Response:
        found = self.routes.find(record.method, record.path)
        if found is None:
            if record.path.startswith("/v1/"):
                self.gap(f"{record.method} {record.path}")
            return _errors(404, "Not Found")
        handler, groups = found
        key = self._key(record)
        if key is None:
            return _errors(401, "Unauthorized", "Invalid or missing API key")
        if not key.reads_incidents:
            return _errors(403, "Forbidden", "You are not authorized to perform this action")
        kind, response = handler(record, **groups)
        if response.status == 200:
            self.problems.extend(described_problems(kind, response.body, self.world.novel_statuses))
        return response

    def _key(self, record: RecordedRequest) -> ApiKey | None:
        bearer = server.authorization(record, "bearer")
        return next((key for key in self.world.keys if key.value == bearer), None)

    def _incidents(self, record: RecordedRequest) -> tuple[str, Response]:
        known = {"page[number]", "page[size]", "filter[services]", "filter[service_names]"}
        for name in record.query:
            if name not in known:
                self.gap(f"the incidents parameter {name}")
        slugs = _listed(record.query.get("filter[services]"))
        names = _listed(record.query.get("filter[service_names]"))
        listing = [
            incident
            for incident in self.world.incidents
            if not incident.deleted
            and (slugs is None or any(s.slug in slugs for s in incident.services))
            and (names is None or any(s.name in names for s in incident.services))
        ]
        return "incidents", self._page(record, [i.json() for i in listing])

    def _action_items(self, record: RecordedRequest, incident: str) -> tuple[str, Response]:
        for name in record.query:
            if name not in ("page[number]", "page[size]"):
                self.gap(f"the action items parameter {name}")
        found = self.world.find(incident)
        if found is None:
            self.refuse(404, "Record not found")
        listing = [item.json() for item in found.items if not item.deleted]
        return "action_items", self._page(record, listing)

    def _page(self, record: RecordedRequest, listing: list[dict[str, Any]]) -> Response:
        number = _positive(self, record.query.get("page[number]"), 1, "page[number]")
        size = min(
            _positive(self, record.query.get("page[size]"), DEFAULT_PAGE_SIZE, "page[size]"),
            MAX_PAGE_SIZE,
        )
        page = server.Page.of(listing, number, size)

        def link(to: int | None) -> str | None:
            if to is None:
                return None
            query = {**record.query, "page[number]": str(to), "page[size]": str(size)}
            return f"{self.url}{record.path}?{urlencode(query)}"

        previous = number - 1 if number > 1 else None
        body = {
            "data": list(page.items),
            "links": {
                "self": link(number),
                "first": link(1),
                "prev": link(previous),
                "next": link(page.next),
                "last": link(page.last),
            },
            "meta": {
                "current_page": number,
                "next_page": page.next,
                "prev_page": previous,
                "total_count": page.total,
                "total_pages": page.last,
            },
        }
        return Response(200, body)


def _listed(value: str | None) -> set[str] | None:
    return None if value is None else {part.strip() for part in value.split(",") if part.strip()}


def _positive(fake: FakeRootly, value: str | None, default: int, name: str) -> int:
    if value is None:
        return default
    if not value.isdigit() or int(value) < 1:
        fake.refuse(400, f"{name} must be a positive integer")
    return int(value)


# ---------------------------------------------------------------------------
# pytest fixture
# ---------------------------------------------------------------------------


@pytest.fixture
def fake_rootly() -> Iterator[FakeRootly]:
    """A running fake Rootly with an empty world; fails the test if the fake met a gap."""
    yield from server.running(FakeRootly())


# ---------------------------------------------------------------------------
# The benchmark's history (benchmarks/history.py), written into a world
# ---------------------------------------------------------------------------

JIRA_PROJECT = "OPS"
"""The Jira project that the history's exported action items name."""


def build_history(world: RootlyWorld, history: Any, service: str = "checkout") -> dict[str, int]:
    """Write benchmarks/history.py's ``history`` into ``world``, as a team on Rootly keeps it.

    Each postmortem is an incident of the Rootly service ``service`` that
    started when the local postmortem is dated, its retrospective completed
    (closed) or active (open), its summary the sentence naming its failure and
    its cause a ``cause`` label. Each item is a follow-up with the item's team:
    done is ``done``, declined ``cancelled``, open ``open`` or, every other
    postmortem, ``in_progress``. The items the history keeps in a task list
    (``via = "ref"``) were exported to Jira, which is not configured in the
    comparison, so their Rootly state stands. Returns the counts written.
    """
    checkout = world.service(service, service.capitalize())
    exported = 0
    for pm in history.postmortems:
        incident = world.incident(
            pm.title,
            services=[checkout],
            summary=pm.reference("rootly"),
            retrospective="active" if pm.open else "completed",
            created_at=pm.created_at,
            started_at=pm.created_at,
            labels={"cause": pm.cause} if pm.cause else {},
        )
        for item in pm.items:
            status = {"done": "done", "declined": "cancelled"}.get(item.state)
            if status is None:
                status = "in_progress" if pm.number % 2 else "open"
            key = None
            if item.via == "ref":
                exported += 1
                key = f"{JIRA_PROJECT}-{exported}"
            incident.action_item(
                item.title,
                status=status,
                created_at=pm.created_at,
                due_date=item.due,
                teams=[world.team(item.team)],
                jira_issue_key=key,
                jira_issue_url=f"https://acme.atlassian.net/browse/{key}" if key else None,
            )
    return {"incidents": len(history.postmortems), "exported": exported}
