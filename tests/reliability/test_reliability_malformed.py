"""Case 12: malformed API data. A record is skipped with a warning naming it, or the source
fails (exit 3): never a traceback or an internal error, never a silent pass.

Input: the fakes' real answers, then altered: a truncated JSON body, HTML where
JSON belongs, nulls where objects belong, missing fields, wrong types, on
every listing the GitHub and GitLab sources read (deployments, postmortems,
their sub-issues or links, task-list look-ups). The local store's malformed
files are covered by tests/test_bad_input.py and tests/test_fuzz.py.

Expected, for each: no traceback, no "internal error", an exit code of the
table; and either exit 3 with the source's error naming the altered record and
field, or a source notice naming the record it skipped, or exactly the verdict
and findings of the same run unaltered (the field is not read). A name seen
anywhere in the output is no proof: the ordinary findings name the same records.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from reliability.helpers import (
    Run,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    leaks,
    mutate_answers,
    small_github,
    small_gitlab,
)

REFERENCED = "Load test with production-like carts"
POSTMORTEM = "Checkout returned 500s after the config rollout"


def case(name: str, where: Any, mutation: Any, names: tuple[str, ...], mark: Any = None) -> Any:
    """One row of a table: where to alter, how, and what must then be named.

    ``mark`` pins a known bug with a strict xfail (none today); ``None`` means it must pass.
    """
    return pytest.param(where, mutation, names, id=name, marks=[mark] if mark else [])


def decided(run: Run) -> dict[str, Any]:
    """What a run decided and why: the verdict, the findings and the counts."""
    report = run.report()
    return {key: report[key] for key in ("verdict", "findings", "summary")}


def assert_never_silent(run: Run, names: tuple[str, ...], unmutated: Run) -> None:
    """Exit 3 with the source's error naming each altered record; or a source notice naming
    each one as skipped; or exactly the unmutated run's decision (the field is not read).

    A name that only turns up somewhere in the output proves nothing: the unmutated run
    names the same deployment and item in its ordinary findings.
    """
    run.assert_clean()
    assert leaks(run.everything) == []
    [source] = run.report()["sources"]
    if run.exit_code == 3:
        assert source["ok"] is False
        assert source["error"]
        for name in names:
            assert name in source["error"], f"{name!r} not named by the error: {source['error']}"
        return
    notices = "\n".join(source["notices"])
    if names and all(name in notices for name in names):
        return
    assert (run.exit_code, decided(run)) == (unmutated.exit_code, decided(unmutated)), (
        f"a malformed answer changed the verdict or findings without a word:\n{run.output}"
    )


# -- GitHub --------------------------------------------------------------------------------


def _query(kind: str) -> Callable[[Any], bool]:
    return lambda record: f"query {kind}".encode() in record.body


def _raw(text: str, content_type: str) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        response.raw = text.encode()
        response.headers["Content-Type"] = content_type

    return mutate


def _deployments(body: Any) -> Any:
    return body["data"]["repository"]["deployments"]


def _deployment(body: Any) -> Any:
    return _deployments(body)["nodes"][0]


def _postmortem(body: Any) -> Any:
    return body["data"]["repository"]["issues"]["nodes"][0]


def _sub_issue(body: Any) -> Any:
    return _postmortem(body)["subIssues"]["nodes"][0]


def _set(get: Callable[[Any], Any], key: str, value: Any) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        get(response.body)[key] = value

    return mutate


def _drop(get: Callable[[Any], Any], key: str) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        del get(response.body)[key]

    return mutate


def _closed_with(key: str, value: Any) -> Callable[[Any], None]:
    """The sub-issue closed (so what closed it is read), with ``key`` set to ``value``."""

    def mutate(response: Any) -> None:
        item = _sub_issue(response.body)
        item.update(state="CLOSED", stateReason="COMPLETED", closedAt="2026-10-20T10:00:00Z")
        item[key] = value

    return mutate


def _closed_by(closer: Any) -> Callable[[Any], None]:
    """The sub-issue closed, its last ClosedEvent naming ``closer`` as what closed it."""
    return _closed_with("timelineItems", {"nodes": [{"closer": closer}]})


def _lookup_set(value: Any) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        response.body["data"]["issue0"] = value

    return mutate


def _root(body: Any) -> Any:
    return body


def _repository(body: Any) -> Any:
    return body["data"]["repository"]


DEPLOYMENT = "DEPLOYMENT"  # replaced by the failed deployment's id
SHA = "SHA"  # replaced by the failed deployment's short sha
GH = "GitHubSource"
ITEM_URL = "https://github.com/acme/shop/issues/2"
GITHUB_CASES: list[Any] = [
    # (id, query, mutation, what the source's error or notice must name when not ignored)
    case("truncated-json", "Deployments",
         _raw('{"data": {"repository": {"deploym', "application/json"), ()),
    case("html", "Postmortems",
         _raw("<html><body><h1>Unicorn!</h1></body></html>", "text/html"), ()),
    case("data-null", "Deployments", _set(_root, "data", None), ()),
    case("repository-null", "Postmortems", _set(lambda b: b["data"], "repository", None), ()),
    case("deployments-null", "Deployments", _set(_repository, "deployments", None), ()),
    case("deployments-missing", "Deployments", _drop(_repository, "deployments"), ()),
    case("pageInfo-null", "Deployments", _set(_deployments, "pageInfo", None),
         ("deployments page", "pageInfo")),
    case("nodes-object", "Deployments", _set(_deployments, "nodes", {"databaseId": 1}),
         ("deployments page", "nodes")),
    case("node-null", "Deployments", lambda r: _deployments(r.body)["nodes"].insert(0, None),
         (DEPLOYMENT,)),
    case("deployment-createdAt-missing", "Deployments", _drop(_deployment, "createdAt"),
         (DEPLOYMENT, "createdAt")),
    case("deployment-latestStatus-string", "Deployments",
         _set(_deployment, "latestStatus", "FAILURE"), (DEPLOYMENT, "latestStatus")),
    case("deployment-environment-object", "Deployments",
         _set(_deployment, "environment", {"name": "production"}), (DEPLOYMENT, "environment")),
    case("postmortem-labels-list", "Postmortems",
         _set(_postmortem, "labels", [{"name": "postmortem"}]), ("acme/shop#1", "labels")),
    case("postmortem-createdAt-garbage", "Postmortems",
         _set(_postmortem, "createdAt", "yesterday"), ("acme/shop#1", "createdAt")),
    case("postmortem-subIssues-null", "Postmortems", _set(_postmortem, "subIssues", None),
         ("acme/shop#1", "subIssues")),
    case("sub-issue-number-string", "Postmortems", _set(_sub_issue, "number", "two"),
         (ITEM_URL, "number")),
    case("sub-issue-state-number", "Postmortems", _set(_sub_issue, "state", 1),
         ("acme/shop#2", "state")),
    case("sub-issue-title-list", "Postmortems", _set(_sub_issue, "title", ["x"]),
         ("acme/shop#2", "title")),
    case("sub-issue-url-number", "Postmortems", _set(_sub_issue, "url", 5),
         ("acme/shop#2", "url")),
    case("sub-issue-milestone-string", "Postmortems", _set(_sub_issue, "milestone", "2026-10-21"),
         ("acme/shop#2", "milestone")),
    case("sub-issue-closedAt-number", "Postmortems", _set(_sub_issue, "closedAt", 20261021),
         ("acme/shop#2", "closedAt")),
    case("sub-issue-closedAt-garbage", "Postmortems", _set(_sub_issue, "closedAt", "last week"),
         ("acme/shop#2", "closedAt")),
    case("sub-issue-closing-pulls-string", "Postmortems",
         _set(_sub_issue, "closedByPullRequestsReferences", "PR #5"),
         ("acme/shop#2", "closedByPullRequestsReferences")),
    case("sub-issue-timeline-list", "Postmortems", _set(_sub_issue, "timelineItems", []),
         ("acme/shop#2", "timelineItems")),
    # A closer is a pull request or a commit: a string or a list is neither.
    case("sub-issue-closer-string", "Postmortems", _closed_by("number oid"),
         ("acme/shop#2", "closer")),
    case("sub-issue-closer-list", "Postmortems", _closed_by(["number", "oid"]),
         ("acme/shop#2", "closer")),
    case("sub-issue-closer-oid-list", "Postmortems", _closed_by(["oid"]),
         ("acme/shop#2", "closer")),
    case("closed-sub-issue-timeline-string", "Postmortems",
         _closed_with("timelineItems", "closed"), ("acme/shop#2", "timelineItems")),
    case("closed-sub-issue-closing-pulls-string", "Postmortems",
         _closed_with("closedByPullRequestsReferences", "PR #5"),
         ("acme/shop#2", "closedByPullRequestsReferences")),
    # (A null alias with no error is not tested: a task list may name a deleted issue, and
    # skipping those is the documented choice.)
    case("lookup-list", "Issues", _lookup_set([{"issue": None}]), ("acme/shop#3",)),
]  # fmt: skip


@pytest.mark.parametrize(("query", "mutation", "names"), GITHUB_CASES)
def test_github_malformed_answers(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    query: str,
    mutation: Callable[[Any], None],
    names: tuple[str, ...],
) -> None:
    """One GraphQL answer altered as the row says: exit 3, or every altered record named."""
    small_github(fake_github, body="## What we learned\n- configs drift\n- [ ] #3\n")
    shop = fake_github.world.repo("acme/shop")
    shop.issue(title=REFERENCED, created_at=shop.issues[1].created_at)
    deployment = str(shop.deployments[0].database_id)
    names = tuple(deployment if name == DEPLOYMENT else name for name in names)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    unmutated = check(tmp_path, config, github_env(fake_github), name="unmutated")
    mutate_answers(fake_github, _query(query), mutation)
    run = check(tmp_path, config, github_env(fake_github))
    assert any(_query(query)(r) for r in fake_github.requests), "the altered query was never sent"
    assert_never_silent(run, names, unmutated)


# -- GitLab --------------------------------------------------------------------------------


def _path(pattern: str) -> Callable[[Any], bool]:
    return lambda record: re.search(pattern, record.path) is not None


def _item(index: int = 0) -> Callable[[Any], Any]:
    return lambda body: body[index]


def _whole(value: Any) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        response.body = value

    return mutate


DEPLOYMENTS, ISSUES, LINKS = r"/deployments$", r"/issues$", r"/links$"
GITLAB_CASES: list[Any] = [
    case("truncated-json", DEPLOYMENTS, _raw('[{"id": 1, "sta', "application/json"), ()),
    case("html", ISSUES, _raw("<!DOCTYPE html><html><body>Sign in</body></html>", "text/html"), ()),
    case("object-where-list", DEPLOYMENTS, _whole({"message": "hello"}), ()),
    case("null-item", LINKS, _whole([None]), ()),
    case("deployment-created_at-missing", DEPLOYMENTS, _drop(_item(), "created_at"),
         (DEPLOYMENT, "created_at")),
    # A deployment without an id is named by its commit.
    case("deployment-id-null", DEPLOYMENTS, _set(_item(), "id", None), (SHA, "id")),
    case("deployment-deployable-string", DEPLOYMENTS, _set(_item(), "deployable", "job"),
         (DEPLOYMENT, "deployable")),
    case("deployment-environment-list", DEPLOYMENTS, _set(_item(), "environment", ["production"]),
         (DEPLOYMENT, "environment")),
    case("issue-id-missing", ISSUES, _drop(_item(), "id"), ("group/shop#1", "id")),
    case("issue-project_id-missing", ISSUES, _drop(_item(), "project_id"),
         ("group/shop#1", "project_id")),
    case("issue-created_at-garbage", ISSUES, _set(_item(), "created_at", "yesterday"),
         ("group/shop#1", "created_at")),
    case("issue-labels-string", ISSUES, _set(_item(), "labels", "postmortem"),
         ("group/shop#1", "labels")),
    case("issue-references-string", ISSUES, _set(_item(), "references", "group/shop#1"),
         (POSTMORTEM, "references")),
    case("link-created_at-null", LINKS, _set(_item(), "created_at", None),
         ("group/shop#2", "created_at")),
    case("link-state-number", LINKS, _set(_item(), "state", 1), ("group/shop#2", "state")),
    case("link-title-list", LINKS, _set(_item(), "title", ["x"]), ("group/shop#2", "title")),
    # 20261021 is the item's own due day: read as 2026-10-21 the findings would not change,
    # so the next row's number, read as a date, would move the item out of overdue.
    case("link-due_date-number", LINKS, _set(_item(), "due_date", 20261021),
         ("group/shop#2", "due_date")),
    case("link-due_date-later-number", LINKS, _set(_item(), "due_date", 20261225),
         ("group/shop#2", "due_date")),
    case("link-due_date-garbage", LINKS, _set(_item(), "due_date", "next week"),
         ("group/shop#2", "due_date")),
    case("link-merge_requests_count-string", LINKS, _set(_item(), "merge_requests_count", "1"),
         ("group/shop#2", "merge_requests_count")),
    case("link-closed_at-number", LINKS, _set(_item(), "closed_at", 20261021),
         ("group/shop#2", "closed_at")),
    case("link-closed_at-garbage", LINKS, _set(_item(), "closed_at", "last week"),
         ("group/shop#2", "closed_at")),
    case("lookup-object-list", r"/issues/3$", _whole([]), ("group/shop#3",)),
]  # fmt: skip


# The cases forge REST answers (issue listings, links, lookups); GraphQL's own malformed
# answers are in test_gitlab_malformed_graphql_answers below.
@pytest.mark.parametrize("fake_gitlab", ["rest"], indirect=True)
@pytest.mark.parametrize(("pattern", "mutation", "names"), GITLAB_CASES)
def test_gitlab_malformed_answers(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    pattern: str,
    mutation: Callable[[Any], None],
    names: tuple[str, ...],
) -> None:
    """One REST answer altered as the row says: exit 3, or every altered record named."""
    small_gitlab(fake_gitlab, description="## What we learned\n- configs drift\n- [ ] #3\n")
    shop = fake_gitlab.world.project("group/shop")
    shop.issue(REFERENCED, created_at=shop.issues[1].created_at)
    placeholders = {DEPLOYMENT: str(shop.deployments[0].id), SHA: shop.deployments[0].sha[:7]}
    names = tuple(placeholders.get(name, name) for name in names)
    config = gitlab_config(tmp_path, url=fake_gitlab.url)
    unmutated = check(tmp_path, config, gitlab_env(), name="unmutated")
    mutate_answers(fake_gitlab, _path(pattern), mutation)
    run = check(tmp_path, config, gitlab_env())
    assert any(_path(pattern)(r) for r in fake_gitlab.requests), "the altered path was never read"
    assert_never_silent(run, names, unmutated)


def _first_issue(key: str, value: Any) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        response.body["data"]["project"]["issues"]["nodes"][0][key] = value

    return mutate


GRAPHQL_CASES = [
    ("html", _whole("<html>oops</html>"), "GitLab GraphQL answered"),
    ("no-project", _whole({"data": {"project": None}}), "not found, or the token"),
    ("nodes-string", _whole({"data": {"project": {"issues": {"nodes": "x"}}}}), "nodes"),
    ("issue-created-garbage", _first_issue("createdAt", "yesterday"), "created_at"),
    ("issue-labels-string", _first_issue("labels", "a"), "labels"),
    ("issue-iid-list", _first_issue("iid", [1]), "iid"),
]


@pytest.mark.parametrize("fake_gitlab", ["graphql"], indirect=True)
@pytest.mark.parametrize(
    ("name", "mutation", "says"), GRAPHQL_CASES, ids=[case[0] for case in GRAPHQL_CASES]
)
def test_gitlab_malformed_graphql_answers(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    name: str,
    mutation: Callable[[Any], Any],
    says: str,
) -> None:
    """A malformed GraphQL answer for the postmortems fails the source in one line (exit 3),
    naming what could not be read; never a traceback, never a fallback to REST."""
    small_gitlab(fake_gitlab)
    mutate_answers(
        fake_gitlab, lambda record: b"query Postmortems" in (record.body or b""), mutation
    )
    run = check(tmp_path, gitlab_config(tmp_path, url=fake_gitlab.url), gitlab_env())
    assert run.exit_code == 3, (name, run.output)
    assert says in run.everything, (name, run.everything)
    assert "Traceback" not in run.output
    assert not fake_gitlab.requests_to("/links")


def _alias(value: Any) -> Callable[[Any], None]:
    def mutate(response: Any) -> None:
        response.body["data"]["p0"] = value

    return mutate


@pytest.mark.parametrize("fake_gitlab", ["graphql"], indirect=True)
@pytest.mark.parametrize("value", ["group/shop", [{"issues": {"nodes": []}}], 3])
def test_gitlab_graphql_lookup_of_a_project_that_is_no_object_fails_naming_it(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    value: Any,
) -> None:
    """The aliased lookup of the issues a task list names answers a project (``p0``) that
    is neither an object nor null (gone): one line naming the project, exit 3."""
    small_gitlab(fake_gitlab, description="## What we learned\n- configs drift\n- [ ] #3\n")
    shop = fake_gitlab.world.project("group/shop")
    shop.issue(REFERENCED, created_at=shop.issues[1].created_at)
    lookup = lambda record: b"query Issues" in (record.body or b"")  # noqa: E731
    mutate_answers(fake_gitlab, lookup, _alias(value))
    run = check(tmp_path, gitlab_config(tmp_path, url=fake_gitlab.url), gitlab_env())
    assert any(lookup(r) for r in fake_gitlab.requests), "the lookup was never sent"
    run.assert_clean()
    assert run.exit_code == 3, run.output
    [source] = run.report()["sources"]
    assert "group/shop" in source["error"], source["error"]
