"""The fake GitLab is faithful: the real python-gitlab client drives it, and its answers
carry the fields of the example responses in GitLab's documentation.

The field sets below are copied from the example responses of docs.gitlab.com
(Deployments API "List project deployments", Issues API "List project issues",
Issue links API "List issue relations", Notes API "Get single merge request
note", Users API "Get the current user", REST API "Pagination Link header").
Every JSON object the fake sends in a test must have at least those fields.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import gitlab
import pytest
import requests
from gitlab.v4.objects import Project

from fakes.gitlab import (
    NOTE_BODY_LIMIT,
    FakeGitLab,
    GitLabWorld,
    RecordedRequest,
    fake_gitlab,  # noqa: F401 - the fixture, used by name below
    iso,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
TOKEN = "glpat-fakePersonalToken0000"
READER = "glpat-fakeReadApiToken00000"
OUTSIDER = "glpat-fakeOutsiderToken0000"
JOB_TOKEN = "glcbt-64_fakeJobToken000000"
LIMITED = "glpat-fakeLimitedToken00000"
NO_ISSUES = "glpat-fakeNoIssuesToken0000"
WRONG = "glpat-notRegistered"
UNKNOWN_JOB = "glcbt-64_notRegistered"

# ---------------------------------------------------------------------------
# The documentation's example responses, as field sets.
# ---------------------------------------------------------------------------

DOC_DEPLOYMENT = {"created_at", "updated_at", "status", "deployable", "environment"} | {
    "id",
    "iid",
    "ref",
    "sha",
    "user",
}
DOC_DEPLOYABLE = {
    "commit",
    "coverage",
    "created_at",
    "finished_at",
    "id",
    "name",
    "ref",
    "runner",
    "stage",
    "started_at",
    "status",
    "tag",
    "project",
    "user",
    "pipeline",
}
DOC_COMMIT = {"author_email", "author_name", "created_at", "id", "message", "short_id", "title"}
DOC_PIPELINE = {"created_at", "id", "ref", "sha", "status", "updated_at", "web_url"}
DOC_ENVIRONMENT = {"external_url", "id", "name"}
DOC_USER_BASIC = {"avatar_url", "id", "name", "state", "username", "web_url"}
DOC_ISSUE = {
    "state",
    "description",
    "author",
    "milestone",
    "project_id",
    "assignees",
    "assignee",
    "updated_at",
    "closed_at",
    "closed_by",
    "id",
    "title",
    "created_at",
    "moved_to_id",
    "iid",
    "labels",
    "upvotes",
    "downvotes",
    "merge_requests_count",
    "user_notes_count",
    "due_date",
    "web_url",
    "references",
    "time_stats",
    "has_tasks",
    "confidential",
    "discussion_locked",
    "issue_type",
    "type",
    "severity",
    "_links",
    "task_completion_status",
}
DOC_ISSUE_LINK = DOC_ISSUE | {"issue_link_id", "link_type", "link_created_at", "link_updated_at"}
DOC_NOTE = {
    "id",
    "body",
    "attachment",
    "author",
    "created_at",
    "updated_at",
    "system",
    "noteable_id",
    "noteable_type",
    "noteable_iid",
    "resolvable",
}
DOC_CURRENT_USER = {
    "id",
    "username",
    "email",
    "name",
    "state",
    "locked",
    "avatar_url",
    "web_url",
    "created_at",
    "bio",
    "public_email",
    "linkedin",
    "twitter",
    "website_url",
    "organization",
    "last_sign_in_at",
    "confirmed_at",
    "theme_id",
    "last_activity_on",
    "color_scheme_id",
    "projects_limit",
    "current_sign_in_at",
    "identities",
    "can_create_group",
    "can_create_project",
    "two_factor_enabled",
    "external",
    "private_profile",
}
DOC_PAGINATION_HEADERS = {"x-next-page", "x-page", "x-per-page", "x-prev-page", "x-total"} | {
    "x-total-pages",
    "link",
}


def has_fields(document: dict[str, Any], fields: set[str]) -> None:
    missing = fields - document.keys()
    assert not missing, f"missing fields {sorted(missing)} in {sorted(document)}"


def assert_deployment_shape(deployment: dict[str, Any]) -> None:
    has_fields(deployment, DOC_DEPLOYMENT)
    has_fields(deployment["user"], DOC_USER_BASIC)
    has_fields(deployment["environment"], DOC_ENVIRONMENT)
    job = deployment["deployable"]
    has_fields(job, DOC_DEPLOYABLE)
    has_fields(job["commit"], DOC_COMMIT)
    has_fields(job["pipeline"], DOC_PIPELINE)
    has_fields(job["user"], DOC_USER_BASIC)
    assert job["project"] == {"ci_job_token_scope_enabled": False}


def assert_issue_shape(issue: dict[str, Any], fields: set[str] = DOC_ISSUE) -> None:
    has_fields(issue, fields)
    has_fields(issue["author"], DOC_USER_BASIC)
    assert set(issue["references"]) == {"short", "relative", "full"}
    assert set(issue["time_stats"]) == {
        "time_estimate",
        "total_time_spent",
        "human_time_estimate",
        "human_total_time_spent",
    }
    assert all(isinstance(label, str) for label in issue["labels"])


# ---------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def fake(fake_gitlab: FakeGitLab) -> FakeGitLab:  # noqa: F811
    """The fake on a fixed clock, with a member's token, a read-only one and an outsider's."""
    world = fake_gitlab.world
    world.clock = lambda: T0 + timedelta(days=20)
    world.project("group/shop")
    world.token(TOKEN, username="deployer")
    world.token(READER, username="auditor", can_write_notes=False)
    world.token(OUTSIDER, username="stranger", projects=["group/elsewhere"])
    return fake_gitlab


Client = Callable[..., gitlab.Gitlab]


@pytest.fixture
def client(fake: FakeGitLab) -> Client:
    """python-gitlab as deploygate configures it; ``client(job_token=...)`` and so on."""

    def make(**auth: Any) -> gitlab.Gitlab:
        settings: dict[str, Any] = {"private_token": TOKEN} if not auth else {}
        settings.update(auth)
        return gitlab.Gitlab(
            fake.url, keep_base_url=True, timeout=5, retry_transient_errors=False, **settings
        )

    return make


def shop(gl: gitlab.Gitlab) -> Project:
    """The project by path, lazily (no request), as deploygate addresses it."""
    return gl.projects.get("group/shop", lazy=True)


def add_deployments(fake: FakeGitLab, count: int, **kwargs: Any) -> None:
    project = fake.world.project("group/shop")
    for n in range(count):
        project.deployment(created_at=T0 + n * HOUR, **kwargs)


def query_of(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def get(fake: FakeGitLab, path: str, **headers: str) -> requests.Response:
    return requests.get(f"{fake.api_url}{path}", headers=headers, timeout=5)


# ---------------------------------------------------------------------------
# Deployments
# ---------------------------------------------------------------------------


def test_deployments_default_to_20_oldest_first(fake: FakeGitLab, client: Client) -> None:
    add_deployments(fake, 45)
    with pytest.warns(UserWarning, match="20 of 45 items"):
        first = shop(client()).deployments.list()
    assert [d.iid for d in first] == list(range(1, 21))  # ascending by id: the oldest
    [record] = fake.requests
    assert record.path == "/api/v4/projects/group%2Fshop/deployments"
    assert record.query == {}
    headers = record.response_headers
    assert headers.keys() >= DOC_PAGINATION_HEADERS
    assert (headers["x-page"], headers["x-per-page"], headers["x-next-page"]) == ("1", "20", "2")
    assert (headers["x-prev-page"], headers["x-total"], headers["x-total-pages"]) == ("", "45", "3")
    links = requests.utils.parse_header_links(headers["link"])
    assert [link["rel"] for link in links] == ["next", "first", "last"]
    # GitLab's links carry the route id and the declared defaults, sorted.
    assert query_of(links[0]["url"]) == {
        "id": "group/shop",
        "order_by": "id",
        "page": "2",
        "per_page": "20",
        "sort": "asc",
    }
    assert links[0]["url"].startswith(f"{fake.api_url}/projects/group%2Fshop/deployments?")
    assert_deployment_shape(record.response_json()[0])


def test_deployments_page_through_with_get_all_and_iterator(
    fake: FakeGitLab, client: Client
) -> None:
    add_deployments(fake, 45)
    everything = shop(client()).deployments.list(get_all=True)
    assert [d.iid for d in everything] == list(range(1, 46))
    assert [r.query.get("page") for r in fake.requests] == [None, "2", "3"]
    fake.requests.clear()
    pages = shop(client()).deployments.list(iterator=True, per_page=10, sort="desc")
    assert (pages.total, pages.total_pages, pages.per_page) == (45, 5, 10)
    assert [d.iid for d in pages] == list(range(45, 0, -1))
    assert len(fake.requests) == 5
    last = fake.requests[-1].response_headers
    assert (last["x-page"], last["x-next-page"], last["x-prev-page"]) == ("5", "", "4")
    rels = [link["rel"] for link in requests.utils.parse_header_links(last["link"])]
    assert rels == ["prev", "first", "last"]


def test_per_page_is_capped_at_100_and_pages_past_the_end_are_empty(
    fake: FakeGitLab, client: Client
) -> None:
    add_deployments(fake, 120)
    project = shop(client())
    assert len(project.deployments.list(per_page=500, get_all=False)) == 100
    assert fake.requests[-1].response_headers["x-per-page"] == "100"
    assert project.deployments.list(page=9, get_all=False) == []
    headers = fake.requests[-1].response_headers
    assert (headers["x-next-page"], headers["x-prev-page"], headers["x-total"]) == ("", "", "120")
    response = get(fake, "/projects/group%2Fshop/deployments?page=two", **{"PRIVATE-TOKEN": TOKEN})
    assert (response.status_code, response.json()) == (400, {"error": "page is invalid"})


def test_deployment_filters(fake: FakeGitLab, client: Client) -> None:
    project = fake.world.project("group/shop")
    for n in range(6):
        project.deployment(
            environment="production" if n % 2 else "staging",
            status="failed" if n in (1, 3) else "success",
            failure_reason="script_failure" if n == 1 else None,
            created_at=T0 + n * HOUR,
        )
    deployments = shop(client()).deployments
    failed = deployments.list(status="failed", environment="production", get_all=True)
    assert [d.iid for d in failed] == [2, 4]
    assert failed[0].deployable["failure_reason"] == "script_failure"
    assert failed[1].deployable["failure_reason"] == "unknown_failure"
    successes = deployments.list(status="success", get_all=True)
    assert all("failure_reason" not in d.deployable for d in successes)
    # updated_after/updated_before are inclusive and need order_by=updated_at.
    since = T0 + 2 * HOUR + timedelta(minutes=2)  # exactly the third one's updated_at
    recent = deployments.list(
        updated_after=iso(since), order_by="updated_at", sort="desc", get_all=True
    )
    assert [d.iid for d in recent] == [6, 5, 4, 3]
    window = deployments.list(
        updated_after=iso(since),
        updated_before=iso(since + HOUR),
        order_by="updated_at",
        get_all=True,
    )
    assert [d.iid for d in window] == [3, 4]


@pytest.mark.parametrize(
    ("query", "answer"),
    [
        (
            {"updated_after": "2026-11-01T00:00:00Z"},
            {"message": "400 Bad request - `updated_at` filter requires `updated_at` sort"},
        ),
        ({"order_by": "ref"}, {"error": "order_by does not have a valid value"}),
        ({"status": "succeeded"}, {"error": "status does not have a valid value"}),
        ({"sort": "DESC"}, {"error": "sort does not have a valid value"}),
        (
            {"updated_after": "2026-11-01T00:00:00 01:00", "order_by": "updated_at"},
            {"error": "updated_after is invalid"},  # an unencoded "+" arrives as a space
        ),
    ],
)
def test_deployment_queries_gitlab_refuses(
    fake: FakeGitLab, client: Client, query: dict[str, Any], answer: dict[str, str]
) -> None:
    with pytest.raises(gitlab.GitlabListError) as raised:
        shop(client()).deployments.list(get_all=True, **query)
    assert raised.value.response_code == 400
    assert fake.requests[-1].response_json() == answer


def test_deployment_without_job_and_with_urls(fake: FakeGitLab, client: Client) -> None:
    project = fake.world.project("group/shop")
    project.deployment(job_name=None, status="success", created_at=T0)
    project.deployment(
        status="failed",
        created_at=T0 + HOUR,
        pipeline_web_url="https://ci.example/pipelines/7",
        job_web_url="https://ci.example/jobs/9",
        environment_url="https://shop.example",
    )
    api_made, ci_made = shop(client()).deployments.list(get_all=True)
    assert api_made.deployable is None
    assert ci_made.deployable["web_url"] == "https://ci.example/jobs/9"
    assert ci_made.deployable["pipeline"]["web_url"] == "https://ci.example/pipelines/7"
    assert ci_made.environment["external_url"] == "https://shop.example"
    assert ci_made.created_at == "2026-11-01T10:00:00.000Z"  # GitLab's format, milliseconds
    assert ci_made.deployable["commit"]["created_at"].endswith("+00:00")  # commits differ


# ---------------------------------------------------------------------------
# Issues and issue links
# ---------------------------------------------------------------------------


def test_project_jobs_newest_first_filtered_by_scope_only(fake: FakeGitLab, client: Client) -> None:
    """The jobs listing holds the deployments' jobs and the others, newest first; the
    repeated ``scope[]`` filters by status and survives into the next link; no name filter."""
    project = fake.world.project("group/shop")
    deployed = project.deployment(status="failed", created_at=T0, failure_reason="script_failure")
    for n in range(1, 25):
        project.job("test", status="success" if n % 3 else "canceled", created_at=T0 + n * HOUR)
    project.job("deploy", status="failed", ref="feature", created_at=T0 + 30 * HOUR)
    listing = shop(client()).jobs.list(iterator=True, per_page=10, scope=["success", "failed"])
    jobs = [job.attributes for job in listing]
    assert [job["id"] for job in jobs] == sorted((job["id"] for job in jobs), reverse=True)
    assert {job["status"] for job in jobs} == {"success", "failed"}
    assert len(jobs) == 16 + 1 + 1  # 16 successful tests, the feature deploy, the deployment's
    first, last = jobs[0], jobs[-1]
    assert (first["name"], first["ref"], first["status"]) == ("deploy", "feature", "failed")
    assert last["id"] == deployed.deployable.id  # type: ignore[union-attr]
    assert last["failure_reason"] == "script_failure"
    assert last["commit"]["id"] == deployed.sha
    assert last["commit"]["title"] == "Merge branch 'feature' into 'main'"
    assert set(last) >= DOC_DEPLOYABLE
    assert set(last["commit"]) >= DOC_COMMIT
    assert last["web_url"] == f"{fake.url}/group/shop/-/jobs/{last['id']}"
    [sent, following, *_] = fake.requests
    assert [v for k, v in sent.query_pairs if k == "scope[]"] == ["success", "failed"]
    assert [v for k, v in following.query_pairs if k == "scope[]"] == ["success", "failed"]
    refused = get(fake, "/projects/group%2Fshop/jobs?scope[]=done", **{"PRIVATE-TOKEN": TOKEN})
    assert (refused.status_code, refused.json()) == (
        400,
        {"error": "scope does not have a valid value"},
    )
    anonymous = get(fake, "/projects/group%2Fshop/jobs")
    assert anonymous.status_code == 401


def test_issues_with_labels_and_incidents(fake: FakeGitLab, client: Client) -> None:
    project = fake.world.project("group/shop")
    project.issue("Login down", labels=["postmortem", "sev1"], created_at=T0)
    project.issue(
        "Checkout 500s",
        description="Body **markdown**",
        labels=["sev1", "postmortem"],
        issue_type="incident",
        created_at=T0 + HOUR,
        due_date="2026-12-01",
    )
    project.issue("Old incident", labels=["postmortem"], issue_type="incident", created_at=T0)
    project.issue(
        "Closed one",
        labels=["postmortem", "sev1"],
        state="closed",
        created_at=T0 + 2 * HOUR,
        closed_at=T0 + 3 * HOUR,
    )
    issues = shop(client()).issues
    both = issues.list(labels=["postmortem", "sev1"], get_all=True)
    assert [i.title for i in both] == ["Closed one", "Checkout 500s", "Login down"]  # newest first
    assert fake.requests[-1].query["labels"] == "postmortem,sev1"
    first_link = requests.utils.parse_header_links(fake.requests[-1].response_headers["link"])[0]
    assert query_of(first_link["url"]) == {  # GitLab repeats its declared defaults
        "id": "group/shop",
        "labels": "postmortem,sev1",
        "order_by": "created_at",
        "page": "1",
        "per_page": "20",
        "sort": "desc",
        "state": "all",
        "with_labels_details": "false",
    }
    incidents = issues.list(issue_type="incident", state="opened", get_all=True)
    assert [i.iid for i in incidents] == [2, 3]
    incident = incidents[0]
    assert (incident.issue_type, incident.type, incident.state) == (
        "incident",
        "INCIDENT",
        "opened",
    )
    assert incident.labels == ["postmortem", "sev1"]  # sorted label titles, not objects
    assert incident.due_date == "2026-12-01"
    assert incident.references == {
        "short": "#2",
        "relative": "#2",
        "full": "group/shop#2",
    }
    assert incident.web_url == f"{fake.url}/group/shop/-/issues/incident/2"
    closed = issues.list(state="closed", get_all=True)[0]
    assert closed.closed_at == iso(T0 + 3 * HOUR)
    assert closed.attributes["closed_by"]["username"] == "root"  # .closed_by() is a method
    after = issues.list(created_after=iso(T0 + HOUR), sort="asc", get_all=True)
    assert [i.iid for i in after] == [2, 4]  # "on or after"
    assert [i.iid for i in issues.list(labels="None", get_all=True)] == []
    for document in fake.requests[-2].response_json():
        assert_issue_shape(document)


def test_single_issue_and_not_found_shapes(fake: FakeGitLab, client: Client) -> None:
    fake.world.project("group/shop").issue("Postmortem", description=None, iid=7)
    issue = shop(client()).issues.get(7)
    assert (issue.iid, issue.description, issue.subscribed) == (7, None, False)
    assert_issue_shape(issue.attributes)
    with pytest.raises(gitlab.GitlabGetError) as raised:
        shop(client()).issues.get(8)
    assert raised.value.response_code == 404
    assert fake.requests[-1].response_json() == {"message": "404 Not found"}
    with pytest.raises(gitlab.GitlabGetError):
        client().projects.get("group/nope")
    assert fake.requests[-1].response_json() == {"message": "404 Project Not Found"}


def test_issue_links_across_projects(fake: FakeGitLab, client: Client) -> None:
    world = fake.world
    postmortem = world.project("group/shop").issue("Postmortem", labels=["postmortem"])
    alert = world.project("group/platform").issue("Add an alert", due_date="2026-12-01")
    runbook = world.project("ops/runbooks").issue("Write a runbook")
    fix = world.project("group/shop").issue("Fix the retry")
    secret = world.project("group/secret").issue("Hidden")
    postmortem.link(alert, "blocks", created_at=T0)
    runbook.link(postmortem, "blocks", created_at=T0 + HOUR)
    postmortem.link(fix, created_at=T0 + 2 * HOUR)
    postmortem.link(secret, created_at=T0 + 3 * HOUR)
    world.token(LIMITED, username="limited", projects=["group/shop", "group/platform"])

    links = shop(client()).issues.get(postmortem.iid, lazy=True).links.list()
    assert [(link.title, link.link_type) for link in links] == [
        ("Add an alert", "blocks"),
        ("Write a runbook", "is_blocked_by"),  # the other side of "blocks"
        ("Fix the retry", "relates_to"),
        ("Hidden", "relates_to"),
    ]
    assert [link.references["relative"] for link in links] == [
        "platform#1",
        "ops/runbooks#1",
        "#2",
        "secret#1",
    ]
    assert links[0].due_date == "2026-12-01"
    assert "x-total" not in fake.requests[-1].response_headers  # not paginated
    for document in fake.requests[-1].response_json():
        assert_issue_shape(document, DOC_ISSUE_LINK)
    limited = client(private_token=LIMITED)
    visible = shop(limited).issues.get(postmortem.iid, lazy=True).links.list()
    assert [link.title for link in visible] == ["Add an alert", "Fix the retry"]


# ---------------------------------------------------------------------------
# Merge request notes
# ---------------------------------------------------------------------------


def test_merge_request_notes_create_list_update(fake: FakeGitLab, client: Client) -> None:
    project = fake.world.project("group/shop")
    project.merge_request(iid=12)
    project.note(12, "An older comment", "reviewer", created_at=T0)
    notes = shop(client()).mergerequests.get(12, lazy=True).notes
    created = notes.create({"body": "deploygate: PASS"})
    assert (created.body, created.author["username"], created.noteable_type) == (
        "deploygate: PASS",
        "deployer",
        "MergeRequest",
    )
    assert (created.noteable_iid, created.system) == (12, False)
    assert fake.requests[-1].status == 201
    assert fake.requests[-1].json() == {"body": "deploygate: PASS"}
    listed = notes.list(get_all=True)
    assert [n.body for n in listed] == ["deploygate: PASS", "An older comment"]  # newest first
    for document in fake.requests[-1].response_json():
        has_fields(document, DOC_NOTE)
        has_fields(document["author"], DOC_USER_BASIC)
    created.body = "deploygate: FAIL"
    created.save()
    assert fake.requests[-1].method == "PUT"
    assert [n.body for n in project.notes_of(12)] == ["An older comment", "deploygate: FAIL"]
    fetched = notes.get(created.id)
    assert fetched.body == "deploygate: FAIL"
    assert fetched.updated_at == iso(T0 + timedelta(days=20))


def test_notes_refused_like_gitlab(fake: FakeGitLab, client: Client) -> None:
    project = fake.world.project("group/shop")
    project.merge_request(iid=3)
    theirs = project.note(3, "Someone else's note", "reviewer")
    notes = shop(client()).mergerequests.get(3, lazy=True).notes
    with pytest.raises(gitlab.GitlabUpdateError) as refused:
        notes.update(theirs.id, {"body": "hijacked"})
    assert (refused.value.response_code, fake.requests[-1].response_json()) == (
        403,
        {"message": "403 Forbidden"},
    )
    with pytest.raises(gitlab.GitlabCreateError) as raised:
        notes.create({"body": "x" * (NOTE_BODY_LIMIT + 1)})
    assert raised.value.response_code == 400
    assert (
        "is too long (maximum is 1000000 characters)"
        in fake.requests[-1].response_json()["message"]
    )
    assert len(notes.create({"body": "x" * NOTE_BODY_LIMIT}).body) == NOTE_BODY_LIMIT
    missing = requests.post(
        f"{fake.api_url}/projects/group%2Fshop/merge_requests/3/notes",
        headers={"PRIVATE-TOKEN": TOKEN},
        json={"text": "no body"},
        timeout=5,
    )
    assert (missing.status_code, missing.json()) == (400, {"error": "body is missing"})
    reader_notes = shop(client(private_token=READER)).mergerequests.get(3, lazy=True).notes
    assert [n.body for n in reader_notes.list(get_all=True)][-1] == "Someone else's note"
    with pytest.raises(gitlab.GitlabCreateError) as raised:
        reader_notes.create({"body": "read-only"})
    assert raised.value.response_code == 403
    assert fake.requests[-1].response_json() == {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the "
        "access token.",
        "scope": "api",
    }
    with pytest.raises(gitlab.GitlabListError):
        shop(client()).mergerequests.get(99, lazy=True).notes.list(get_all=True)
    assert fake.requests[-1].response_json() == {"message": "404 MergeRequest Not Found"}
    assert [n.body for n in project.notes_of(3)][:1] == ["Someone else's note"]


def test_pagination_headers_match_the_docs_example(fake: FakeGitLab) -> None:
    """docs: ``.../notes?per_page=3&page=2`` of 8 notes."""
    project = fake.world.project("group/shop")
    project.merge_request(iid=8)
    for n in range(8):
        project.note(8, f"note {n}", created_at=T0 + n * HOUR)
    response = get(
        fake,
        "/projects/group%2Fshop/merge_requests/8/notes?per_page=3&page=2",
        **{"PRIVATE-TOKEN": TOKEN},
    )
    headers = response.headers
    assert (headers["x-next-page"], headers["x-page"], headers["x-per-page"]) == ("3", "2", "3")
    assert (headers["x-prev-page"], headers["x-total"], headers["x-total-pages"]) == ("1", "8", "3")
    assert [link["rel"] for link in requests.utils.parse_header_links(headers["link"])] == [
        "prev",
        "next",
        "first",
        "last",
    ]
    assert [n["body"] for n in response.json()] == ["note 4", "note 3", "note 2"]
    next_link = requests.utils.parse_header_links(headers["link"])[1]["url"]
    assert query_of(next_link) == {
        "id": "group/shop",
        "noteable_id": "8",
        "order_by": "created_at",
        "page": "3",
        "per_page": "3",
        "sort": "desc",
    }


# ---------------------------------------------------------------------------
# Authentication: tokens, job tokens, errors
# ---------------------------------------------------------------------------


def test_current_user_and_token_kinds(fake: FakeGitLab, client: Client) -> None:
    gl = client()
    gl.auth()
    assert gl.user is not None
    assert gl.user.username == "deployer"
    has_fields(fake.requests[-1].response_json(), DOC_CURRENT_USER)
    assert fake.requests[-1].headers["private-token"] == TOKEN
    bearer = client(oauth_token=TOKEN)
    bearer.auth()
    assert fake.requests[-1].headers["authorization"] == f"Bearer {TOKEN}"
    query = get(fake, f"/user?private_token={TOKEN}")
    assert query.json()["username"] == "deployer"
    for bad in (client(private_token=WRONG), client(oauth_token=WRONG)):
        with pytest.raises(gitlab.GitlabAuthenticationError) as raised:
            bad.auth()
        assert raised.value.response_code == 401
        assert fake.requests[-1].response_json() == {"message": "401 Unauthorized"}
    assert get(fake, "/user").json() == {"message": "401 Unauthorized"}


def test_private_projects_are_not_found_for_outsiders_and_anonymous(
    fake: FakeGitLab, client: Client
) -> None:
    fake.world.project("group/shop").issue("Private")
    fake.world.project("group/open", visibility="public").issue("Public")
    with pytest.raises(gitlab.GitlabListError) as raised:
        shop(client(private_token=OUTSIDER)).issues.list(get_all=True)
    assert raised.value.response_code == 404
    assert fake.requests[-1].response_json() == {"message": "404 Project Not Found"}
    assert get(fake, "/projects/group%2Fshop/issues").status_code == 404
    public = get(fake, "/projects/group%2Fopen/issues")
    assert [i["title"] for i in public.json()] == ["Public"]
    project_id = fake.world.project("group/shop").id
    assert client().projects.get(project_id).path_with_namespace == "group/shop"
    project = client().projects.get("GROUP/Shop")  # routes are case-insensitive
    assert project.web_url == f"{fake.url}/group/shop"


def test_a_token_that_cannot_read_issues_gets_403(fake: FakeGitLab, client: Client) -> None:
    fake.world.token(NO_ISSUES, username="builder", can_read_issues=False)
    with pytest.raises(gitlab.GitlabListError) as raised:
        shop(client(private_token=NO_ISSUES)).issues.list(get_all=True)
    assert raised.value.response_code == 403
    assert fake.requests[-1].response_json() == {"message": "403 Forbidden"}


def test_job_token_reads_deployments_and_nothing_else(fake: FakeGitLab, client: Client) -> None:
    fake.world.token(JOB_TOKEN, username="deployer", job_token=True)
    add_deployments(fake, 2)
    fake.world.project("group/shop").issue("Postmortem")
    fake.world.project("group/shop").merge_request(iid=1)
    job = client(job_token=JOB_TOKEN)
    assert [d.iid for d in shop(job).deployments.list(get_all=True)] == [1, 2]
    assert fake.requests[-1].headers["job-token"] == JOB_TOKEN
    # Elsewhere GitLab ignores the job token: the request is anonymous.
    with pytest.raises(gitlab.GitlabAuthenticationError):
        job.auth()
    assert fake.requests[-1].response_json() == {"message": "401 Unauthorized"}
    with pytest.raises(gitlab.GitlabListError) as raised:
        shop(job).issues.list(get_all=True)
    assert raised.value.response_code == 404
    assert fake.requests[-1].response_json() == {"message": "404 Project Not Found"}
    with pytest.raises(gitlab.GitlabGetError):
        shop(job).issues.get(1)
    with pytest.raises(gitlab.GitlabAuthenticationError):
        shop(job).issues.get(1, lazy=True).links.list()
    with pytest.raises(gitlab.GitlabAuthenticationError):  # 401, not 403
        shop(job).mergerequests.get(1, lazy=True).notes.create({"body": "hi"})
    public = fake.world.project("group/open", visibility="public")
    public.issue("Readable anonymously")
    assert [i.title for i in job.projects.get("group/open", lazy=True).issues.list()] == [
        "Readable anonymously"
    ]
    with pytest.raises(gitlab.GitlabAuthenticationError):
        shop(client(job_token=UNKNOWN_JOB)).deployments.list(get_all=True)
    with pytest.raises(gitlab.GitlabAuthenticationError):  # a PAT is no job token
        shop(client(job_token=TOKEN)).deployments.list(get_all=True)
    bearer = get(fake, "/projects/group%2Fshop/deployments", Authorization=f"Bearer {JOB_TOKEN}")
    assert bearer.status_code == 200


def test_ci_env_points_at_the_fake(fake: FakeGitLab) -> None:
    env = fake.ci_env(JOB_TOKEN, "group/shop")
    project = fake.world.project("group/shop")
    assert env["GITLAB_CI"] == "true"
    assert env["CI_API_V4_URL"] == fake.api_url
    assert env["CI_SERVER_URL"] == fake.url
    assert (env["CI_PROJECT_PATH"], env["CI_PROJECT_ID"]) == ("group/shop", str(project.id))
    assert (env["CI_PROJECT_NAMESPACE"], env["CI_PROJECT_NAME"]) == ("group", "shop")
    assert env["CI_JOB_TOKEN"] == JOB_TOKEN
    assert fake.world.tokens[JOB_TOKEN].job_token
    gl = gitlab.Gitlab(env["CI_SERVER_URL"], job_token=env["CI_JOB_TOKEN"], timeout=5)
    project.deployment(created_at=T0)
    deployments = gl.projects.get(int(env["CI_PROJECT_ID"]), lazy=True).deployments
    assert len(deployments.list(get_all=True)) == 1


# ---------------------------------------------------------------------------
# Reliability switches: other-host links, missing totals, 429, faults
# ---------------------------------------------------------------------------


def test_next_link_on_another_host_is_not_followed_with_the_token(
    fake: FakeGitLab, client: Client
) -> None:
    add_deployments(fake, 45)
    try:
        other = fake.point_page_links_to_other_host("127.0.0.2")
    except OSError as error:  # pragma: no cover - loopback aliases are Linux's default
        pytest.skip(f"cannot listen on 127.0.0.2: {error}")
    everything = shop(client()).deployments.list(get_all=True)
    assert len(everything) == 45
    first_link = requests.utils.parse_header_links(fake.requests[0].response_headers["link"])[0]
    assert first_link["url"].startswith(f"{other}/api/v4/")
    assert fake.requests_on(other) == []
    assert {r.server for r in fake.requests} == {urlsplit(fake.url).netloc}
    # The switch is real: a client that follows the link as given leaks its token there.
    leaky = gitlab.Gitlab(fake.url, private_token=TOKEN, timeout=5, keep_base_url=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # python-gitlab warns, then follows
        assert len(shop(leaky).deployments.list(get_all=True)) == 45
    leaked = fake.requests_on(other)
    assert leaked
    assert {r.credential for r in leaked} == {TOKEN}


def test_missing_totals_still_page_through(fake: FakeGitLab, client: Client) -> None:
    add_deployments(fake, 45)
    fake.omit_totals = True
    pages = shop(client()).deployments.list(iterator=True)
    assert (pages.total, pages.total_pages) == (None, None)
    assert len(list(pages)) == 45
    for record in fake.requests:
        assert "x-total" not in record.response_headers
        assert "x-total-pages" not in record.response_headers
        assert 'rel="last"' not in record.response_headers["link"]
        assert record.response_headers["x-per-page"] == "20"
    fake.omit_totals = False
    fake.count_limit = 30  # as past 10,000 items, without making 10,000
    assert len(shop(client()).deployments.list(get_all=True)) == 45
    assert "x-total" not in fake.requests[-1].response_headers


def test_429_with_retry_after_and_ratelimit_headers(fake: FakeGitLab, client: Client) -> None:
    add_deployments(fake, 1)
    fault = fake.faults.add("/deployments", status=429, headers={"Retry-After": "0"})
    assert len(shop(client()).deployments.list(get_all=True)) == 1  # python-gitlab retried
    assert fault.hits == 1
    throttled, answered = fake.requests
    assert (throttled.status, answered.status) == (429, 200)
    assert throttled.response_body == b"Retry later\n"
    headers = throttled.response_headers
    assert headers["Retry-After"] == "0"
    assert headers["RateLimit-Remaining"] == "0"
    assert int(headers["RateLimit-Reset"]) > time.time()
    assert {"RateLimit-Limit", "RateLimit-Observed", "RateLimit-ResetTime"} <= headers.keys()
    fake.faults.add("/deployments", status=429, headers={"Retry-After": "0"})
    with pytest.raises(gitlab.GitlabListError) as raised:
        shop(client()).deployments.list(get_all=True, obey_rate_limit=False)
    assert raised.value.response_code == 429


def test_faults_after_store_drop_delay_and_latency(fake: FakeGitLab, client: Client) -> None:
    project = fake.world.project("group/shop")
    project.merge_request(iid=1)
    fake.faults.add("/notes", method="POST", status=502, after_store=True)
    with pytest.raises(gitlab.GitlabCreateError) as raised:
        shop(client()).mergerequests.get(1, lazy=True).notes.create({"body": "lost answer"})
    assert raised.value.response_code == 502
    assert "GitLab is not responding" in fake.requests[-1].response_body.decode()
    assert [n.body for n in project.notes_of(1)] == ["lost answer"]
    fake.faults.add("/user", drop=True)
    with pytest.raises(requests.ConnectionError):
        get(fake, "/user", **{"PRIVATE-TOKEN": TOKEN})
    fake.faults.add("/user", status=None, delay=0.3)
    with pytest.raises(requests.Timeout):
        requests.get(f"{fake.api_url}/user", headers={"PRIVATE-TOKEN": TOKEN}, timeout=0.1)
    fake.latency = 0.05
    started = time.monotonic()
    assert get(fake, "/user", **{"PRIVATE-TOKEN": TOKEN}).ok
    assert time.monotonic() - started >= 0.05


def test_request_log_records_what_was_sent(fake: FakeGitLab, client: Client) -> None:
    fake.world.project("group/shop").merge_request(iid=2)
    shop(client()).mergerequests.get(2, lazy=True).notes.create({"body": "hello"})
    [record] = fake.requests
    assert isinstance(record, RecordedRequest)
    assert (record.method, record.path, record.status) == (
        "POST",
        "/api/v4/projects/group%2Fshop/merge_requests/2/notes",
        201,
    )
    assert record.json() == {"body": "hello"}
    assert record.credential == TOKEN
    assert TOKEN not in record.text().replace(record.headers["private-token"], "")
    assert TOKEN.encode() not in record.response_body
    assert record.time <= time.time()
    assert fake.requests_to("/notes", "post") == [record]


def test_gaps_in_the_fake_are_loud(fake: FakeGitLab) -> None:
    response = get(fake, "/projects/group%2Fshop/pipelines", **{"PRIVATE-TOKEN": TOKEN})
    assert response.status_code == 501
    unmodelled = get(fake, "/projects/group%2Fshop/issues?search=db", **{"PRIVATE-TOKEN": TOKEN})
    assert unmodelled.status_code == 501
    assert len(fake.problems) == 2
    with pytest.raises(AssertionError, match="does not implement GET"):
        fake.check()
    fake.problems.clear()  # the fixture would fail this test otherwise


# ---------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------


def test_world_defaults_and_validation() -> None:
    world = GitLabWorld(clock=lambda: T0)
    shop_project = world.project("group/shop")
    assert world.project("GROUP/SHOP") is shop_project
    assert world.find_project(shop_project.id) is shop_project
    assert world.user("root").id == 1
    first, second = shop_project.issue(), shop_project.issue(issue_type="incident")
    assert (first.iid, second.iid) == (1, 2)
    deployments = [shop_project.deployment() for _ in range(3)]
    assert [d.iid for d in deployments] == [1, 2, 3]
    assert len({d.id for d in deployments}) == 3
    with pytest.raises(ValueError, match="timezone-aware"):
        shop_project.issue(created_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="status must be one of"):
        shop_project.deployment(status="succeeded")
    with pytest.raises(ValueError, match="only a failed deployment"):
        shop_project.deployment(status="success", failure_reason="script_failure")
    with pytest.raises(ValueError, match="GitLab's words"):
        shop_project.issue(state="open")
    with pytest.raises(ValueError, match="does not exist"):
        shop_project.note(99, "nowhere")
    with pytest.raises(ValueError, match="link_type"):
        first.link(second, "duplicates")
    first.link(second)
    with pytest.raises(ValueError, match="already linked"):
        second.link(first)
    with pytest.raises(ValueError, match="group/project"):
        world.project("shop")
