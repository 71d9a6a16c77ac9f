"""The four trackers (Jira, incident.io, Rootly, Linear) behind one face, so that one suite
runs the same hostile cases on each: tests/reliability/test_reliability_trackers.py.

A :class:`Tracker` knows what only its vendor knows: which fake to start and how to fill a
minimal world (one overdue item that reviews the failed deployment ``d1``, one done item),
its config table, its token and the environment that holds it, the request it sends first
and the one it lists items with, how it says "rate limited", what a malformed answer of its
own shape is, and the line each fault should end in. The cases themselves, and what they
assert, are written once, in the suite. What makes sense for one vendor only stays in its
own file (test_reliability_jira.py, ...), built on the same adapter.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

from reliability.helpers import CANARIES, DEADLINE, Run, assert_secrets_kept, clean_env, raw_body

from fakes.clock import FakeClock
from fakes.incidentio import FakeIncidentIo
from fakes.jira import FakeJira, _make_token
from fakes.jira import rate_limit_headers as atlassian_rate_limit
from fakes.linear import FakeLinear
from fakes.rootly import FakeRootly
from fakes.rootly import rate_limit_headers as rootly_rate_limit
from fakes.server import LoopbackFake, Response
from fakes.worlds import NOW, at

Mutation = Callable[[Response], None]
Malformed = tuple[Callable[[Any], bool], Mutation, str]
"""Which answers to spoil, how, and the words the one error line must hold."""
JUNK_RETRY_AFTER: Mapping[str, int] = MappingProxyType(
    {"soon": 1, "-1": 1, "\u00b2": 1, "Wed, 99 Foo 2026 25:61:61 GMT": 1}
)
"""Retry-After values that say nothing, each waited out like any retry (exit 1)."""
PAST_THE_DEADLINE = "9" * 40


def _each(records: Callable[[Any], list[Any]], mutate: Callable[[Any], None]) -> Mutation:
    """A mutation that applies ``mutate`` to every record ``records(body)`` finds."""

    def apply(response: Response) -> None:
        for record in records(response.body):
            mutate(record)

    return apply


class Tracker:
    """One backend as the shared suite sees it; a subclass a vendor."""

    name: ClassVar[str]
    """The source's name in the config and in the JSON report."""
    variable: ClassVar[str]
    """The environment variable that holds the token."""
    token: ClassVar[str]
    first_path: ClassVar[str]
    """The first request a check sends: the one a failure of every request names."""
    listing: ClassVar[str]
    """A path part of the requests that list what a rate limit is put on."""
    before_listing: ClassVar[int] = 0
    """How many requests a check sends before its first listing."""
    listings: ClassVar[int] = 2
    """How many listing requests a check of the minimal world sends."""
    retry_after: ClassVar[int]
    """The seconds of the rate limit that is waited out."""
    junk_path: ClassVar[str]
    junk: ClassVar[Mapping[str, int]]
    """Junk Retry-After values, each with the exit code it ends in (3: past the deadline)."""
    junk_headers: ClassVar[Mapping[str, str]] = {}
    junk_body: ClassVar[Any] = None
    junk_wait: ClassVar[float | None] = None
    """The wait a junk Retry-After falls back on, where the vendor says it another way."""
    redirect_status: ClassVar[int] = 302
    empty_page: ClassVar[bytes]
    """What another host would answer a listing: nothing, which would hide the items."""
    refusals: ClassVar[tuple[tuple[int, str], ...]]
    """Refusal statuses, each with the words of its one error line."""
    bug_target: ClassVar[str]
    """A function of the source's mapping that a planted bug replaces."""
    item_key: ClassVar[str] = "title"
    overdue: ClassVar[str]
    days_ago: ClassVar[int] = 21
    malformed: ClassVar[Mapping[str, Malformed]]
    reviewed_locally: ClassVar[bool] = False
    """Whether a local postmortem reviews d1 (Jira's names its issues)."""
    deployment_extra: ClassVar[Mapping[str, str]] = {}

    def __repr__(self) -> str:
        return self.name

    # -- the world -------------------------------------------------------------

    def start(self) -> LoopbackFake[Any, Any]:
        raise NotImplementedError

    def populate(self, fake: Any, text: str | None = None) -> None:
        """The minimal world: an overdue item reviewing ``d1`` and a done one; ``text`` (if
        given) in every field of the vendor's that a check shows."""
        raise NotImplementedError

    def markdown_ready(self, fake: Any) -> None:
        """Make the world's own links plain before a Markdown title is checked for links."""

    def api_url(self, fake: Any) -> str:
        return str(fake.url)

    def at_server(self, url: str) -> str:
        """The configured URL for a server (a raw one, a closed port) at ``url``."""
        return url

    # -- the project and the environment ---------------------------------------

    def table(self, url: str) -> str:
        raise NotImplementedError

    def write_postmortems(self, tmp_path: Path, *, quiet: bool) -> None:
        (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)

    def project(
        self, tmp_path: Path, url: str, *, deadline: str = DEADLINE, quiet: bool = False
    ) -> Path:
        """A local store with the deployment d1 of checkout, reading the tracker at ``url``;
        ``quiet`` leaves nothing for the local store to say when the tracker fails."""
        self.write_postmortems(tmp_path, quiet=quiet)
        status = "success" if quiet and not self.reviewed_locally else "failure"
        deployment = {"id": "d1", "service": "checkout", "environment": "production",
                      "status": status, **self.deployment_extra,
                      "created_at": at(self.days_ago).strftime("%Y-%m-%dT%H:%M:%SZ")}  # fmt: skip
        (tmp_path / "deployments.jsonl").write_text(json.dumps(deployment) + "\n", "utf-8")
        config = tmp_path / "deploygate.toml"
        config.write_text(
            f'source = ["local", "{self.name}"]\n[local]\npostmortems = "postmortems"\n'
            f'history = "deployments.jsonl"\n[{self.name}]\n{self.table(url)}'
            f'deadline = "{deadline}"\n',
            encoding="utf-8",
        )
        return config

    @property
    def own_secrets(self) -> dict[str, str]:
        return {self.variable: self.token}

    @property
    def secrets(self) -> dict[str, str]:
        return {**CANARIES, **self.own_secrets}

    @property
    def authorization(self) -> str:
        """The Authorization header every request must carry, and nothing else the token."""
        return f"Bearer {self.token}"

    def assert_no_leak(self, run: Run, fake: Any = None) -> None:
        """No spelling of the token (nor of its Authorization header) in any output of
        ``run``; ``fake`` received it only in that header."""
        assert self.authorization.split()[-1] not in run.everything
        requests = list(fake.requests) if fake is not None else []
        assert_secrets_kept(run, self.secrets, requests, self.authorization)

    def env(self) -> dict[str, str | None]:
        return clean_env(**{self.variable: self.token}, GITHUB_TOKEN=CANARIES["GITHUB_TOKEN"])

    # -- faults ----------------------------------------------------------------

    def listed(self, fake: Any) -> list[Any]:
        return list(fake.requests_to(self.listing))

    def rate_limit(self, clock: FakeClock, seconds: int) -> dict[str, str]:
        """The headers of a 429 that asks for ``seconds``, as the vendor writes them."""
        return {"Retry-After": str(seconds)}

    def exhaust(self, fake: Any, clock: FakeClock) -> tuple[str, ...]:
        """Put a rate limit an hour away on every listing; the words its error line holds."""
        fake.faults.add(self.listing, status=429, times=None, headers=self.rate_limit(clock, 3600))
        return ("rate limit exhausted until", "deadline")

    def echo(self, status: int) -> Any:
        """A refusal's body that echoes the token (and a runner command)."""
        return {"errors": [{"message": f"bad key {self.token}\n::error::owned"}]}


# -- Jira -------------------------------------------------------------------------------

JIRA_EMAIL = "sre+canary@acme.test"
JIRA_QUERY = (
    'project in ("OPS") AND labels = "postmortem" '
    'AND (component = "checkout" OR labels = "service:checkout")'
)
"""The JQL a check sends for the project of :meth:`Jira.project`."""
JIRA_POSTMORTEM = (
    '+++\nservice = "checkout"\ndate = {date}\ndeployments = ["d1"]\njira = ["OPS-1"]\n+++\n'
    "# Checkout 500s\n\n## Action items\n- [ ] OPS-2 validate config\n"
)
JIRA_ONLY_ITEMS = JIRA_POSTMORTEM.split("## Action items")[0]
"""The same postmortem without its task list: every item comes from Jira, so a Jira that
fails leaves no local finding beside the NOT VERIFIED annotation."""


def _jira_fields(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    return _each(lambda body: [issue["fields"] for issue in body["issues"]], mutate)


def _jira_same_page_again(response: Response) -> None:
    """A token that the fake accepts and that leads back to the first page, for ever."""
    response.body.update(isLast=False, nextPageToken=_make_token(0, JIRA_QUERY))


def _jira_search(record: Any) -> bool:
    return "project in" in record.query.get("jql", "")


class Jira(Tracker):
    """Jira Cloud: a local postmortem names OPS-1 (overdue) and OPS-2 (done in Jira)."""

    name = "jira"
    variable = "JIRA_API_TOKEN"
    token = 'ATATT3x-CANARYjira+9Kq/"w4=Zc62'
    first_path = "/rest/api/3/search/jql"
    listing = "/search"
    retry_after = 2
    junk_path = "/search"
    junk: ClassVar[Mapping[str, int]] = {**JUNK_RETRY_AFTER, "0": 1, PAST_THE_DEADLINE: 3}
    junk_body: ClassVar[Any] = {"errorMessages": ["Rate limit exceeded."]}
    junk_wait = 1.0
    """Atlassian's X-RateLimit-Reset, written to the minute (now + 1 s at 12:00:00 is 12:00,
    already past), plus the extra second. On the wall clock this once exited 3: the
    second's wait must fit in what is left of the 2 s deadline counted from when the
    tracker was built, and on a busy machine the first answer came more than a second
    later; test_reliability_jira.py has the reset in the last second of a minute."""
    empty_page = b'{"issues": [], "isLast": true}'
    refusals = (
        (401, "Jira rejected the credentials (401)"),
        (403, "(403); the account needs Browse projects"),
        (404, "no search API at"),
    )
    bug_target = "deploygate.sources.jira.source.action_item"
    item_key = "id"
    overdue = "OPS-1"
    reviewed_locally = True
    malformed: ClassVar[Mapping[str, Malformed]] = {
        "issues not a list": (
            _jira_search, lambda r: r.body.update(issues={"OPS-1": {}}), "without an issues list"
        ),
        "issue without fields": (
            _jira_search, lambda r: r.body["issues"][0].pop("fields"), "without fields"
        ),
        "issue without key": (
            _jira_search, lambda r: r.body["issues"][0].update(key=None), "without a key"
        ),
        "junk created": (
            _jira_search, _jira_fields(lambda f: f.update(created="yesterday")),
            "bad created time",
        ),
        "no status category": (
            _jira_search, _jira_fields(lambda f: f["status"].pop("statusCategory")),
            "without a status category",
        ),
        "junk due date": (
            _jira_search, _jira_fields(lambda f: f.update(duedate="2026-02-31")), "not a date"
        ),
        "due date a number": (
            _jira_search, _jira_fields(lambda f: f.update(duedate=20261021)), "not a date"
        ),
        "resolution time a number": (
            _jira_search, _jira_fields(lambda f: f.update(resolutiondate=20261021)),
            "bad resolution time",
        ),
        "summary not text": (
            _jira_search, _jira_fields(lambda f: f.update(summary=["x"])), "without a summary"
        ),
        "html login page": (_jira_search, raw_body(b"<html><body>Log in</body></html>"),
                            "not JSON"),
        "truncated json": (_jira_search, raw_body(b'{"issues": [{"key": "OPS-1", "fie'),
                           "not JSON"),
        "a list, not an object": (_jira_search, raw_body(b"[]"), "unexpected shape"),
        "repeated page token": (_jira_search, _jira_same_page_again, "repeated nextPageToken"),
    }  # fmt: skip

    def start(self) -> FakeJira:
        return FakeJira()

    def populate(self, fake: Any, text: str | None = None) -> None:
        fake.world.cloud_account(JIRA_EMAIL, self.token)
        ops = fake.world.project("OPS", components=["checkout"])
        ops.issue(text or "Alert on the error budget burn", created=at(19), duedate=at(5).date(),
                  labels=["postmortem"], components=["checkout"], description=text)  # fmt: skip
        ops.issue("Validate config", created=at(19), status="Done")

    def write_postmortems(self, tmp_path: Path, *, quiet: bool) -> None:
        super().write_postmortems(tmp_path, quiet=quiet)
        postmortem = JIRA_ONLY_ITEMS if quiet else JIRA_POSTMORTEM
        written = at(20).strftime("%Y-%m-%dT%H:%M:%SZ")
        (tmp_path / "postmortems" / "checkout.md").write_text(
            postmortem.format(date=written), encoding="utf-8"
        )

    def table(self, url: str) -> str:
        return f'url = "{url}"\nprojects = ["OPS"]\n'

    @property
    def own_secrets(self) -> dict[str, str]:
        return {self.variable: self.token, "email:token": f"{JIRA_EMAIL}:{self.token}"}

    @property
    def authorization(self) -> str:
        return "Basic " + base64.b64encode(f"{JIRA_EMAIL}:{self.token}".encode()).decode()

    def env(self) -> dict[str, str | None]:
        return super().env() | {"JIRA_EMAIL": JIRA_EMAIL}

    def rate_limit(self, clock: FakeClock, seconds: int) -> dict[str, str]:
        """A 429 as Jira Cloud sends it: Retry-After, X-RateLimit-Reset to the minute in ISO
        8601, X-RateLimit-Remaining 0."""
        return atlassian_rate_limit(seconds, clock.latest_datetime())

    def exhaust(self, fake: Any, clock: FakeClock) -> tuple[str, ...]:
        headers = self.rate_limit(clock, 3600)
        fake.faults.add(self.listing, status=429, times=None, headers=headers)
        reset = datetime.strptime(headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%MZ")
        return (f"rate limit exhausted until {reset:%Y-%m-%d %H:%M:%S} UTC",)

    def echo(self, status: int) -> Any:
        body = {401: b"Client must be authenticated", 404: b"<html>nope</html>"}.get(status, b"")
        return f"{self.token} {JIRA_EMAIL}:{self.token} ".encode() + body


# -- incident.io --------------------------------------------------------------------------


def _path(path: str) -> Callable[[Any], bool]:
    return lambda record: bool(record.path == path)


def _incidents(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    return _each(lambda body: body["incidents"], mutate)


def _follow_ups(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    return _each(lambda body: body["follow_ups"], mutate)


def _cursor_to_itself(response: Response) -> None:
    response.body["pagination_meta"]["after"] = "01JAAAAAAAAAAAAAAAAAAAAAAA"


class IncidentIo(Tracker):
    """incident.io: an incident with a postmortem reviews d1; its follow-ups are the items."""

    name = "incident-io"
    variable = "INCIDENT_IO_API_KEY"
    token = 'inc_live_CANARYio+5Gh/"p8=Tq41'
    first_path = "/v2/custom_fields"
    listing = "/v2/incidents"
    before_listing = 2  # the custom fields, then the catalog's services
    listings = 1  # the follow-ups are another path
    retry_after = 1
    junk_path = "/v3/follow_ups"
    junk: ClassVar[Mapping[str, int]] = {**JUNK_RETRY_AFTER, "0": 1, PAST_THE_DEADLINE: 3}
    empty_page = b'{"incidents": [], "pagination_meta": {"page_size": 250}}'
    refusals = (
        (401, "rejected the API key (401); check INCIDENT_IO_API_KEY"),
        (403, "(403: "),
        (404, "no such API at"),
    )
    bug_target = "deploygate.sources.incidentio.source._team_label"
    overdue = "Alert on the payment error budget burn"
    days_ago = 36
    malformed: ClassVar[Mapping[str, Malformed]] = {
        "incidents not a list": (
            _path("/v2/incidents"), lambda r: r.body.update(incidents={}),
            "without a incidents list",
        ),
        "incident without a reference": (
            _path("/v2/incidents"), _incidents(lambda i: i.pop("reference")),
            "with a bad reference",
        ),
        "junk created_at": (
            _path("/v2/incidents"), _incidents(lambda i: i.update(created_at="yesterday")),
            "with a bad created_at",
        ),
        "created_at a number": (
            _path("/v2/incidents"), _incidents(lambda i: i.update(created_at=20261021)),
            "with a bad created_at",
        ),
        "status without a category": (
            _path("/v2/incidents"), _incidents(lambda i: i["incident_status"].pop("category")),
            "without a status category",
        ),
        "custom field values not a list": (
            _path("/v2/incidents"),
            _incidents(lambda i: i["custom_field_entries"][0].update(values="checkout")),
            "without a list of values",
        ),
        "follow-up title not text": (
            _path("/v3/follow_ups"), _follow_ups(lambda f: f.update(title=["x"])),
            "with a bad title",
        ),
        "follow-up status null": (
            _path("/v3/follow_ups"), _follow_ups(lambda f: f.update(status=None)),
            "with a bad status",
        ),
        "junk completed_at": (
            _path("/v3/follow_ups"), _follow_ups(lambda f: f.update(completed_at="soon")),
            "with a bad completed_at",
        ),
        "external issue without a name": (
            _path("/v3/follow_ups"),
            _follow_ups(lambda f: f.update(external_issue_reference={"provider": "jira"})),
            "external issue with a bad issue_name",
        ),
        "html login page": (
            _path("/v2/custom_fields"), raw_body(b"<html><body>Log in</body></html>"), "not JSON"
        ),
        "truncated json": (
            _path("/v2/incidents"), raw_body(b'{"incidents": [{"id": "01J'), "not JSON"
        ),
        "a list, not an object": (_path("/v3/follow_ups"), raw_body(b"[]"), "unexpected shape"),
        "repeated cursor": (_path("/v3/follow_ups"), _cursor_to_itself, "repeated cursor"),
    }  # fmt: skip

    def start(self) -> FakeIncidentIo:
        return FakeIncidentIo()

    def populate(self, fake: Any, text: str | None = None) -> None:
        world = fake.world
        world.api_key(self.token)
        checkout = world.services.entry("checkout")
        summary = "Deployment d1 failed in production."
        incident = world.incident(text or "Checkout 500s", summary=summary, created_at=at(35),
                                  services=[checkout], postmortem=True)  # fmt: skip
        incident.follow_up(text or self.overdue, created_at=at(35))
        incident.follow_up("Validate config", status="completed", created_at=at(35))

    def table(self, url: str) -> str:
        return f'url = "{url}"\n'

    def echo(self, status: int) -> Any:
        message = f"bad key {self.token}\n::error::owned"
        return {"type": "x", "status": status, "request_id": "r",
                "errors": [{"code": "x", "message": message}]}  # fmt: skip

    def exhaust(self, fake: Any, clock: FakeClock) -> tuple[str, ...]:
        fake.faults.add(self.listing, status=429, times=None, headers={"Retry-After": "3600"})
        return ("asked to retry after 3600 s", "would pass the 2 s deadline")


# -- Rootly -------------------------------------------------------------------------------

ROOTLY_LISTING = "/v1/incidents"


def _rootly_incidents(record: Any) -> bool:
    return bool(record.path == ROOTLY_LISTING)


def _rootly_items(record: Any) -> bool:
    return bool(record.path.endswith("/action_items"))


def _attributes(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    return _each(lambda body: [resource["attributes"] for resource in body["data"]], mutate)


def _rootly_same_page_again(response: Response) -> None:
    response.body["links"]["next"] = response.body["links"]["self"]


class Rootly(Tracker):
    """Rootly: an incident naming d1 with an overdue action item and a done one."""

    name = "rootly"
    variable = "ROOTLY_API_TOKEN"
    token = 'rootly_CANARY+9Kq/"w4=Zc62rootly'
    first_path = ROOTLY_LISTING
    listing = ROOTLY_LISTING
    retry_after = 2
    junk_path = ROOTLY_LISTING
    junk = JUNK_RETRY_AFTER
    # Budget left: no reset to wait for.
    junk_headers: ClassVar[Mapping[str, str]] = {"X-RateLimit-Remaining": "5"}
    empty_page = b'{"data": [], "links": {"next": null}}'
    refusals = (
        (401, "Rootly rejected the token (401)"),
        (403, "(403); it needs an API key that can read incidents"),
        (404, "no incidents API at"),
    )
    bug_target = "deploygate.sources.rootly.source.to_action_item"
    overdue = "Alert on the payment error budget burn rate"
    malformed: ClassVar[Mapping[str, Malformed]] = {
        "data not a list": (
            _rootly_incidents, lambda r: r.body.update(data={}), "without a data list"
        ),
        "incident not an object": (
            _rootly_incidents, lambda r: r.body.update(data=[7]), "not an object"
        ),
        "incident without id": (
            _rootly_incidents, lambda r: r.body["data"][0].pop("id"),
            "without an id or attributes",
        ),
        "incident of another type": (
            _rootly_incidents, lambda r: r.body["data"][0].update(type="alerts"), "not incidents"
        ),
        "title not text": (
            _rootly_incidents, _attributes(lambda a: a.update(title=["x"])), "bad title"
        ),
        "junk created_at": (
            _rootly_incidents, _attributes(lambda a: a.update(created_at="yesterday")),
            "bad created_at",
        ),
        "services not a list": (
            _rootly_incidents, _attributes(lambda a: a.update(services="checkout")),
            "bad services",
        ),
        "service without data": (
            _rootly_incidents, _attributes(lambda a: a.update(services=[{"slug": "checkout"}])),
            "bad entry in services",
        ),
        "item status a number": (
            _rootly_items, _attributes(lambda a: a.update(status=3)), "bad status"
        ),
        "item junk due date": (
            _rootly_items, _attributes(lambda a: a.update(due_date="2026-02-31")), "not a date"
        ),
        "item due date a number": (
            _rootly_items, _attributes(lambda a: a.update(due_date=20261021)), "not a date"
        ),
        "item groups not text": (
            _rootly_items, _attributes(lambda a: a.update(assigned_to_group_ids=[1])),
            "bad assigned_to_group_ids",
        ),
        "html login page": (
            _rootly_incidents, raw_body(b"<html><body>Log in</body></html>"), "not JSON"
        ),
        "truncated json": (
            _rootly_incidents, raw_body(b'{"data": [{"id": "1", "attr'), "not JSON"
        ),
        "a list, not an object": (_rootly_incidents, raw_body(b"[]"), "unexpected shape"),
        "repeated next link": (
            _rootly_incidents, _rootly_same_page_again, "repeated links.next"
        ),
    }  # fmt: skip

    def start(self) -> FakeRootly:
        fake = FakeRootly()
        fake.world.clock = lambda: NOW
        return fake

    def populate(self, fake: Any, text: str | None = None) -> None:
        world = fake.world
        world.api_key(self.token)
        checkout = world.service("checkout", "Checkout")
        title = text or "Checkout 500s"
        item = text or self.overdue
        incident = world.incident(title, services=[checkout], summary=f"{title}: d1 failed.",
                                  created_at=at(20))  # fmt: skip
        incident.action_item(item, description=item, due_date=at(5).date(), created_at=at(20),
                             teams=[world.team("payments")])  # fmt: skip
        incident.action_item("Validate config", status="done", created_at=at(20))

    def table(self, url: str) -> str:
        return f'url = "{url}"\n'

    def rate_limit(self, clock: FakeClock, seconds: int) -> dict[str, str]:
        """Retry-After with no budget left: the client adds a second to the wait."""
        return rootly_rate_limit(seconds)

    def echo(self, status: int) -> Any:
        return {"errors": [{"title": f"bad key {self.token}", "status": str(status),
                            "detail": f"Bearer {self.token}\n::error::owned"}]}  # fmt: skip


# -- Linear -------------------------------------------------------------------------------

LINEAR_SHA = "5e1f0c2d3b4a59687766554433221100ffeeddcc"


def linear_issues(mutate: Callable[[dict[str, Any]], None]) -> Mutation:
    """A mutation of every issue node of a Linear answer."""
    return _each(lambda body: body["data"]["issues"]["nodes"], mutate)


def _linear_same_page_again() -> Mutation:
    """Every page says more follows, after the first page's cursor: the same page for ever."""
    first: list[str] = []

    def apply(response: Response) -> None:
        info = response.body["data"]["issues"]["pageInfo"]
        first.append(first[0] if first else info["endCursor"])
        info.update(hasNextPage=True, endCursor=first[0])

    return apply


def _linear_postmortems(record: Any) -> bool:
    return "DeploygatePostmortems" in record.body.decode()


class Linear(Tracker):
    """Linear: a postmortem issue naming d1's commit, with one overdue sub-issue."""

    name = "linear"
    variable = "LINEAR_API_KEY"
    token = 'lin_api_CANARYlinear+9Kq/"w4=Zc62abcdefghijklmn'
    first_path = "/graphql"
    listing = "/graphql"
    retry_after = 1
    junk_path = "/graphql"
    junk: ClassVar[Mapping[str, int]] = {**JUNK_RETRY_AFTER, PAST_THE_DEADLINE: 3}
    redirect_status = 307  # the GraphQL POST keeps its method and body
    empty_page = b'{"data": {"issues": {"nodes": []}}}'
    refusals = (
        (401, "Linear rejected the API key"),
        (403, "the key needs the read scope"),
        (500, "/graphql answered 500"),
    )
    bug_target = "deploygate.sources.linear.source.action_item"
    overdue = "Alert on the error budget"
    deployment_extra: ClassVar[Mapping[str, str]] = {"sha": LINEAR_SHA}
    malformed: ClassVar[Mapping[str, Malformed]] = {
        "nodes not a list": (
            _linear_postmortems, lambda r: r.body["data"]["issues"].update(nodes={"x": 1}),
            "whose nodes are not a list",
        ),
        "no pageInfo": (
            _linear_postmortems, lambda r: r.body["data"]["issues"].pop("pageInfo"),
            "with the pageInfo",
        ),
        "identifier a number": (
            _linear_postmortems, linear_issues(lambda n: n.update(identifier=7)),
            "with the identifier 7",
        ),
        "junk createdAt": (
            _linear_postmortems, linear_issues(lambda n: n.update(createdAt="yesterday")),
            "with the createdAt",
        ),
        "no state": (
            _linear_postmortems, linear_issues(lambda n: n.update(state=None)),
            "with the state None",
        ),
        "state type a number": (
            _linear_postmortems, linear_issues(lambda n: n["state"].update(type=3)),
            "with the state",
        ),
        "title not text": (
            _linear_postmortems, linear_issues(lambda n: n.update(title=["x"])), "with the title"
        ),
        "labels not a list": (
            _linear_postmortems,
            linear_issues(lambda n: n["labels"].update(nodes="postmortem")), "labels",
        ),
        "html login page": (
            _linear_postmortems, raw_body(b"<html><body>Log in</body></html>"), "not JSON"
        ),
        "truncated json": (
            _linear_postmortems, raw_body(b'{"data": {"issues": {"nod'), "not JSON"
        ),
        "a list, not an object": (_linear_postmortems, raw_body(b"[]"), "not JSON"),
        "no data": (_linear_postmortems, lambda r: r.body.pop("data"), "without data"),
        "repeated cursor": (_linear_postmortems, _linear_same_page_again(), "repeated cursor"),
    }  # fmt: skip

    def start(self) -> FakeLinear:
        return FakeLinear()

    def populate(self, fake: Any, text: str | None = None, *, items: int = 1) -> None:
        world = fake.world
        world.api_key(self.token)
        title = text or self.overdue
        pm = world.issue("OPS", "Checkout 500s", created_at=at(20),
                         description=f"Deploy {LINEAR_SHA[:12]}",
                         labels=["postmortem", "service:checkout"])  # fmt: skip
        for number in range(items):
            world.issue("OPS", title if items == 1 else f"{title} {number}", created_at=at(19),
                        parent=pm, due=at(5).date(), description=title)  # fmt: skip

    def markdown_ready(self, fake: Any) -> None:
        """Linear writes the title's words into the URL's slug; a plain one keeps "evil" out
        of the link target, which the check would take for a link the title made."""
        for issue in fake.world.issues:
            issue.slug = "alert"

    def api_url(self, fake: Any) -> str:
        return str(fake.api_url)

    def at_server(self, url: str) -> str:
        return f"{url}/graphql"

    def table(self, url: str) -> str:
        return f'teams = ["OPS"]\napi-url = "{url}"\n'

    @property
    def authorization(self) -> str:
        return self.token

    def exhaust(self, fake: Any, clock: FakeClock) -> tuple[str, ...]:
        """Linear says RATELIMITED in a 400, with the reset in epoch milliseconds."""
        body = {"errors": [{"message": "Rate limit exceeded",
                            "extensions": {"code": "RATELIMITED"}}]}  # fmt: skip
        reset = str(int((clock.time() + 3600) * 1000))
        fake.faults.add(self.listing, status=400, body=body, times=None,
                        headers={"X-RateLimit-Requests-Reset": reset})  # fmt: skip
        return ("Linear's rate limit is exhausted until", "deadline")


JIRA = Jira()
INCIDENT_IO = IncidentIo()
ROOTLY = Rootly()
LINEAR = Linear()
TRACKERS: tuple[Tracker, ...] = (JIRA, INCIDENT_IO, ROOTLY, LINEAR)


def running(tracker: Tracker) -> Iterator[Any]:
    """The tracker's fake, started, for a fixture; checked for what it could not answer."""
    fake = tracker.start()
    with fake:
        yield fake
    fake.check()
