"""Case 11: pagination. Every item is read, and no other host ever receives a token.

GitLab (offset pagination, python-gitlab on deploygate's session): lists
longer than a page without x-total/x-total-pages, next links on another host
(127.0.0.2), an empty page in the middle, a missing Link header.
GitHub (GraphQL cursors): lists longer than a page, an empty page with
hasNextPage true, a cursor that never advances, more sub-issues than the
query's page; and the REST comment listing of ``--comment`` with a next link on
another host. The local store does not paginate.
Redirects: a 302 to another host fails the source (exit 3) and that host receives
nothing, neither a token nor a body; a redirect on the same host is followed.

The existing test tests/sources/gitlab/test_gitlab_source.py::
test_a_next_page_on_another_host_is_never_sent_the_token checks the other host on
deployments only, and "more than 100" rather than every item.
"""

from __future__ import annotations

import json
import math
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fakes.clock import FakeClock
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.github import RecordedRequest as GitHubRequest
from fakes.gitlab import FakeGitLab
from fakes.gitlab import RecordedRequest as GitLabRequest
from fakes.gitlab import Response as GitLabResponse
from fakes.worlds import at
from reliability.helpers import (
    CANARIES,
    DEADLINE,
    DEADLINE_SECONDS,
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    JsonServer,
    Run,
    assert_no_leak,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    leaks,
    other_host,
    redirect,
    small_github,
    small_gitlab,
    stream_of,
    streams,
)

FAILURES = 151
POSTMORTEMS = 105


def many_gitlab(fake: FakeGitLab) -> None:
    """151 failed deployments and 105 incidents: two pages of each at 100 a page."""
    small_gitlab(fake)
    shop = fake.world.project("group/shop")
    for number in range(FAILURES - 1):
        shop.deployment(
            environment="production", status="failed", created_at=at(6 + number % 80, 3)
        )
    for number in range(POSTMORTEMS - 1):
        shop.issue(f"Incident {number}", "", issue_type="incident", created_at=at(85, 1))


def run_gitlab(fake: FakeGitLab, tmp_path: Path, name: str = "run") -> Run:
    config = gitlab_config(tmp_path, url=fake.url, deadline="20s")
    return check(tmp_path, config, gitlab_env(), actions=False, name=name)


def assert_every_item_read(run: Run) -> None:
    assert run.exit_code == 1, run.output
    summary = run.report()["summary"]
    assert summary["failed_deployments"] == FAILURES
    assert summary["postmortems"] == POSTMORTEMS


def test_gitlab_reads_every_page_without_totals_and_never_calls_the_other_host(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Two pages of failures and of incidents, no x-total headers (GitLab past 10,000 items),
    next links on http://127.0.0.2: every item read, no request reaches 127.0.0.2."""
    many_gitlab(fake_gitlab)
    fake_gitlab.omit_totals = True
    other = fake_gitlab.point_page_links_to_other_host()
    run = run_gitlab(fake_gitlab, tmp_path)
    assert_every_item_read(run)
    assert fake_gitlab.requests_on(other) == []
    pages = [r.query.get("page") for r in fake_gitlab.requests_to("/deployments")]
    assert pages == [None, "2"]
    assert all("x-total" not in r.response_headers for r in fake_gitlab.requests)
    assert_no_leak(run, fake_gitlab)


def _rewrite_page(fake: FakeGitLab, rewrite: Any) -> None:
    original = fake.answer

    def answer(record: GitLabRequest) -> GitLabResponse:
        return rewrite(record, original)  # type: ignore[no-any-return]

    fake.answer = answer  # type: ignore[method-assign]


def test_gitlab_reads_past_an_empty_page(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The deployments' page 2 is empty but links to page 3, which holds the real page 2:
    every failure is still read."""
    many_gitlab(fake_gitlab)

    def rewrite(record: GitLabRequest, original: Any) -> GitLabResponse:
        if "/deployments" not in record.path or record.query.get("page") not in ("2", "3"):
            return original(record)  # type: ignore[no-any-return]
        if record.query["page"] == "3":
            record.query["page"] = "2"
            return original(record)  # type: ignore[no-any-return]
        response: GitLabResponse = original(record)
        query = urlencode(sorted({**record.query, "page": "3"}.items()))
        response.body = []
        response.headers["link"] = f'<{fake_gitlab.url}{record.path}?{query}>; rel="next"'
        response.headers["x-next-page"] = "3"
        return response

    _rewrite_page(fake_gitlab, rewrite)
    run = run_gitlab(fake_gitlab, tmp_path)
    assert [r.query.get("page") for r in fake_gitlab.requests_to("/deployments")] == [
        None,
        "2",
        "2",  # the page-3 request, which the rewrite turned into page 2
    ]
    assert_every_item_read(run)
    assert_no_leak(run, fake_gitlab)


def test_gitlab_reads_every_page_without_a_link_header(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Every answer loses its Link header (a proxy stripped it); x-next-page is intact:
    the next page is asked for by number, and every item is read."""
    many_gitlab(fake_gitlab)

    def rewrite(record: GitLabRequest, original: Any) -> GitLabResponse:
        response: GitLabResponse = original(record)
        response.headers.pop("link", None)
        return response

    _rewrite_page(fake_gitlab, rewrite)
    run = run_gitlab(fake_gitlab, tmp_path)
    assert_every_item_read(run)
    assert [r.query.get("page") for r in fake_gitlab.requests_to("/deployments")] == [None, "2"]
    assert all("link" not in r.response_headers for r in fake_gitlab.requests)


def test_gitlab_note_listing_with_links_to_another_host(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A merge request with 130 notes (two pages) whose next link is on 127.0.0.2: the note
    is written once, and 127.0.0.2 never receives a request."""
    fake_gitlab.world.token(GITLAB_TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/shop")
    shop.merge_request(iid=12)
    for number in range(130):
        shop.note(12, f"note {number}", "someone")
    other = fake_gitlab.point_page_links_to_other_host()
    (tmp_path / "postmortems").mkdir()
    config = tmp_path / "deploygate.toml"
    config.write_text('[local]\npostmortems = "postmortems"\n', encoding="utf-8")
    env = gitlab_env() | dict(fake_gitlab.ci_env(CANARIES["CI_JOB_TOKEN"], "group/shop"))
    run = check(tmp_path, config, env | {"CI_MERGE_REQUEST_IID": "12"}, "--comment", actions=False)
    assert "noted on merge request !12" in run.stderr
    assert len(shop.notes_of(12)) == 131
    assert fake_gitlab.requests_on(other) == []
    assert len(fake_gitlab.requests_to("/notes", method="GET")) >= 2  # it did page
    assert_no_leak(run, fake_gitlab)


# -- GitHub --------------------------------------------------------------------------------


def test_github_reads_every_deployment_page_in_the_window(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """250 deployments in the lookback window, the oldest failed: three pages, all read."""
    small_github(fake_github)
    shop = fake_github.world.repo("acme/shop")
    for number in range(250):
        state = "FAILURE" if number == 249 else "ACTIVE"
        shop.deployment(environment="production", state=state, created_at=at(80 - number * 0.3))
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert run.report()["summary"]["failed_deployments"] == 2
    deployments = [r for r in fake_github.requests if b"query Deployments" in r.body]
    assert len(deployments) == 3
    assert_no_leak(run, fake_github)


def test_github_asks_for_no_deployment_page_past_the_window(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The next page is asked for before a page is decoded, but only when the page's last
    deployment is inside the window: 250 inside and 300 older are three pages, not four."""
    small_github(fake_github)
    shop = fake_github.world.repo("acme/shop")
    for number in range(550):
        shop.deployment(environment="production", state="ACTIVE", created_at=at(10 + number * 0.3))
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert run.exit_code == 1, run.output
    deployments = [r for r in fake_github.requests if b"query Deployments" in r.body]
    in_window = sum(1 for number in range(550) if 10 + number * 0.3 <= 90)
    assert len(deployments) == math.ceil(in_window / 100) == 3


def _deployments_page(nodes: list[dict[str, Any]], more: bool, cursor: str | None) -> Any:
    connection = {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}
    return {"data": {"rateLimit": None, "repository": {"deployments": connection}}}


def _postmortems_page(nodes: list[dict[str, Any]], more: bool, cursor: str | None) -> Any:
    connection = {"pageInfo": {"hasNextPage": more, "endCursor": cursor}, "nodes": nodes}
    return {"data": {"rateLimit": None, "repository": {"issues": connection}}}


def _page_of(query: str, after: str | None) -> Any:
    def match(record: GitHubRequest) -> bool:
        body = record.json()
        return f"query {query}" in body["query"] and body["variables"].get("after") == after

    return match


FAILED_NODE = {
    "databaseId": 4242,
    "commitOid": "4" * 40,
    "createdAt": "2026-11-15T10:00:00Z",
    "environment": "production",
    "description": None,
    "state": "FAILURE",
    "latestStatus": None,
}


def test_github_reads_past_an_empty_deployments_page(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Page 1 of deployments: no nodes, hasNextPage true; page 2: a failure 5 days old."""
    small_github(fake_github)
    empty, full = _deployments_page([], True, "c1"), _deployments_page([FAILED_NODE], False, "c2")
    fake_github.faults.add(_page_of("Deployments", None), status=200, body=empty, times=None)
    fake_github.faults.add(_page_of("Deployments", "c1"), status=200, body=full, times=None)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    ids = [(f["deployment"] or {}).get("id") for f in run.report()["findings"]]
    assert "4242" in ids


def test_github_reads_past_an_empty_postmortems_page(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Page 1 of postmortems: no nodes, hasNextPage true; page 2: the real first page."""
    small_github(fake_github)
    empty = _postmortems_page([], True, "c1")
    fake_github.faults.add(_page_of("Postmortems", None), status=200, body=empty, times=None)

    def second(record: GitHubRequest) -> bool:
        if not _page_of("Postmortems", "c1")(record):
            return False
        record.body = record.body.replace(b'"after": "c1"', b'"after": null')
        return False  # not a fault: the fake answers the (rewritten) first page

    fake_github.faults.add(second, status=200, times=None)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert run.exit_code == 1, run.output
    assert run.report()["summary"]["overdue_action_items"] == 1
    assert_no_leak(run, fake_github)


@pytest.mark.parametrize("query", ["Deployments", "Postmortems"])
def test_github_a_cursor_that_never_advances_ends_at_the_deadline(
    fake_github: FakeGitHub,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    query: str,
) -> None:
    """Every page says hasNextPage true with the same cursor (and the same recent node):
    exit 3 by the 2 s deadline, never a hang and never a pass. On virtual time each answer
    takes a quarter of a second, so the deadline comes after eight pages."""
    fake_clock.answer_seconds = 0.25
    small_github(fake_github)
    if query == "Deployments":
        page = _deployments_page([FAILED_NODE], True, "same")
    else:
        page = _postmortems_page([], True, "same")
    fake_github.faults.add(lambda r: f"query {query}".encode() in r.body, status=200, body=page,
                           times=None)  # fmt: skip
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url, deadline=DEADLINE)
    run = check(tmp_path, config, github_env(fake_github))
    run.assert_clean()
    assert run.exit_code == 3, run.output
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert "deadline" in run.report()["sources"][0]["error"]
    assert_no_leak(run, fake_github)


def test_github_reads_every_sub_issue_of_a_postmortem(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A postmortem with 60 sub-issues, 59 done and the 60th open and overdue: it blocks."""
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = fake_github.world.repo("acme/shop")
    postmortem = shop.issue(
        title="Postmortem", labels=["postmortem", "service:checkout"], created_at=at(60)
    )
    for number in range(60):
        state = "OPEN" if number == 59 else "CLOSED"
        postmortem.add_sub_issue(
            shop.issue(title=f"Item {number}", state=state, created_at=at(60),
                       milestone_due_on=at(30))
        )  # fmt: skip
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert run.exit_code == 1, run.output
    assert run.report()["summary"]["overdue_action_items"] == 1


@pytest.fixture
def comments_on_other_host(fake_github: FakeGitHub, tmp_path: Path) -> tuple[Run, JsonServer]:  # noqa: F811
    """A PR with 105 comments (two pages at 100) whose Link header points at 127.0.0.2."""
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = fake_github.world.repo("acme/shop")
    shop.pull_request(number=7)
    for number in range(105):
        shop.comment(7, f"comment {number}", "someone")
    with JsonServer(lambda _m, _p, _b: (200, {}, b"[]"), host="127.0.0.2") as other:
        original = fake_github.answer

        def answer(record: GitHubRequest) -> Any:
            response = original(record)
            for name in [name for name in response.headers if name.lower() == "link"]:
                response.headers[name] = response.headers[name].replace(fake_github.url, other.url)
            return response

        fake_github.answer = answer  # type: ignore[method-assign]
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
        (tmp_path / "postmortems").mkdir()
        config = tmp_path / "deploygate.toml"
        config.write_text('[local]\npostmortems = "postmortems"\n', encoding="utf-8")
        env = github_env(fake_github) | {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(event),
        }
        return check(tmp_path, config, env, "--comment"), other


def test_github_comment_listing_never_calls_the_other_host(
    comments_on_other_host: tuple[Run, JsonServer],
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    """The next page of the PR's comments is on 127.0.0.2: it receives nothing."""
    run, other = comments_on_other_host
    assert other.requests == []
    assert leaks(run.everything) == []
    assert_no_leak(run, fake_github)


def test_github_comment_listing_on_another_host_leaves_the_verdict_standing(
    comments_on_other_host: tuple[Run, JsonServer],
) -> None:
    """The same run: the comment is only a courtesy, so the verdict stands (exit 0): a
    warning, since the empty history shows nothing of the service."""
    run, _other = comments_on_other_host
    assert run.exit_code == 0, run.output
    run.assert_clean()
    assert "deploygate: warn" in run.stdout
    assert run.report()["verdict"] == "warn"


def test_github_sees_the_whole_window_with_more_than_one_postmortem_page(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """120 postmortems (three pages of 50): each counted once."""
    small_github(fake_github)
    shop = fake_github.world.repo("acme/shop")
    for number in range(119):
        shop.issue(
            title=f"Postmortem {number}",
            labels=["postmortem"],
            created_at=at(80) + timedelta(minutes=number),
        )
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert run.report()["summary"]["postmortems"] == 120
    pages = [r for r in fake_github.requests if b"query Postmortems" in r.body]
    assert len(pages) == 3
    assert_no_leak(run, fake_github)


def _refused(run: Run, other: JsonServer, status: int) -> None:
    assert run.exit_code == 3, run.output
    [source] = run.report()["sources"]
    assert f"was redirected ({status}) to {other.url}; refused" in source["error"], source
    assert other.requests == []
    assert leaks(run.everything) == []


def test_gitlab_never_follows_a_redirect_to_another_host(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The deployments answer 302 to 127.0.0.2, whose empty list would make the gate pass:
    the source's PRIVATE-TOKEN never goes there and the source fails (exit 3)."""
    small_gitlab(fake_gitlab)
    with other_host() as other:
        redirect(fake_gitlab, lambda r: "/deployments" in r.path, other.url)
        run = run_gitlab(fake_gitlab, tmp_path)
    _refused(run, other, 302)
    assert_no_leak(run, fake_gitlab)


def test_gitlab_follows_a_redirect_on_its_own_host(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A 301 to the same listing on the same host is followed: the failure is found (exit 1)."""
    small_gitlab(fake_gitlab)
    redirect(fake_gitlab, lambda r: "/deployments" in r.path, fake_gitlab.url, status=301)
    run = run_gitlab(fake_gitlab, tmp_path)
    assert run.exit_code == 1, run.output
    assert [r.status for r in fake_gitlab.requests_to("/deployments")][:2] == [301, 200]
    assert_no_leak(run, fake_gitlab)


def test_github_never_sends_the_graphql_query_to_another_host(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """GraphQL answers 307 (keep the method and body) to 127.0.0.2: neither the token nor the
    query goes there, and the source fails (exit 3)."""
    small_github(fake_github)
    with other_host(b'{"data": {}}') as other:
        redirect(fake_github, lambda r: r.path == "/graphql", other.url, status=307)
        config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
        run = check(tmp_path, config, github_env(fake_github))
    _refused(run, other, 307)
    assert_no_leak(run, fake_github)


def test_github_follows_a_307_on_its_own_host_with_the_query(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A 307 to the same endpoint is sent again with the same body: the gate decides (exit 1)."""
    small_github(fake_github)
    redirect(fake_github, lambda r: r.path == "/graphql", fake_github.url, status=307)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert run.exit_code == 1, run.output
    [moved] = [r for r in fake_github.requests if r.status == 307]
    again = streams(fake_github.requests)[stream_of(moved)][1]
    assert (again.status, again.method, again.body) == (200, "POST", moved.body)
    assert_no_leak(run, fake_github)
