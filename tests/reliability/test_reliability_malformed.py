"""Case 12: malformed API data. A record is skipped with a warning naming it, or the source
fails (exit 3): never a traceback or an internal error, never a silent pass.

Input: the fakes' real answers, then altered: a truncated JSON body, HTML where
JSON belongs, nulls where objects belong, missing fields, wrong types, on
every listing the GitHub and GitLab sources read (deployments, postmortems,
their sub-issues or links, task-list look-ups). The local store's malformed
files are covered by tests/test_bad_input.py and tests/test_fuzz.py.

Expected, for each: no traceback, no "internal error", an exit code of the
table; and either exit 3 with the source's error, or every altered record
named in the output (as a finding, or a warning saying it was skipped).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from reliability.helpers import (
    OVERDUE_TITLE,
    Run,
    check,
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


def assert_never_silent(run: Run, names: tuple[str, ...]) -> None:
    """Exit 3 with an error; or, when the run decided, each altered record named."""
    run.assert_clean()
    assert leaks(run.everything) == []
    if run.exit_code == 3:
        [source] = run.report()["sources"]
        assert source["ok"] is False
        assert source["error"]
        return
    assert names, f"a malformed answer gave a verdict: {run.output}"
    said = run.output + run.files.get("report.json", "")
    for name in names:
        assert name in said, f"{name!r} is neither a finding nor a warning:\n{run.output}"


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
GITHUB_CASES: list[Any] = [
    # (id, query, mutation, names that must appear when the run decides)
    case("truncated-json", "Deployments",
         _raw('{"data": {"repository": {"deploym', "application/json"), ()),
    case("html", "Postmortems",
         _raw("<html><body><h1>Unicorn!</h1></body></html>", "text/html"), ()),
    case("data-null", "Deployments", _set(_root, "data", None), ()),
    case("repository-null", "Postmortems", _set(lambda b: b["data"], "repository", None), ()),
    case("deployments-null", "Deployments", _set(_repository, "deployments", None), (),
                 None),
    case("deployments-missing", "Deployments", _drop(_repository, "deployments"), (),
                 None),
    case("pageInfo-null", "Deployments", _set(_deployments, "pageInfo", None),
                 (DEPLOYMENT,), None),
    case("nodes-object", "Deployments", _set(_deployments, "nodes", {"databaseId": 1}),
                 (DEPLOYMENT,), None),
    case("node-null", "Deployments", lambda r: _deployments(r.body)["nodes"].insert(0, None),
     (DEPLOYMENT,)),
    case("deployment-createdAt-missing", "Deployments", _drop(_deployment, "createdAt"),
                 (DEPLOYMENT,), None),
    case("deployment-latestStatus-string", "Deployments",
                 _set(_deployment, "latestStatus", "FAILURE"), (DEPLOYMENT,),
                 None),
    case("deployment-environment-object", "Deployments",
     _set(_deployment, "environment", {"name": "production"}), (DEPLOYMENT,)),
    case("postmortem-labels-list", "Postmortems",
                 _set(_postmortem, "labels", [{"name": "postmortem"}]), (OVERDUE_TITLE,),
                 None),
    case("postmortem-createdAt-garbage", "Postmortems",
                 _set(_postmortem, "createdAt", "yesterday"), (POSTMORTEM,),
                 None),
    case("postmortem-subIssues-null", "Postmortems", _set(_postmortem, "subIssues", None),
                 (OVERDUE_TITLE,), None),
    case("sub-issue-number-string", "Postmortems", _set(_sub_issue, "number", "two"),
                 (OVERDUE_TITLE,), None),
    case("sub-issue-state-number", "Postmortems", _set(_sub_issue, "state", 1),
                 (OVERDUE_TITLE,), None),
    case("sub-issue-title-list", "Postmortems", _set(_sub_issue, "title", ["x"]), ("acme/shop#2",)),
    case("sub-issue-url-number", "Postmortems", _set(_sub_issue, "url", 5),
                 (OVERDUE_TITLE,), None),
    # (A null alias with no error is not tested: a task list may name a deleted issue, and
    # skipping those is the documented choice.)
    case("lookup-list", "Issues", _lookup_set([{"issue": None}]), (REFERENCED,),
                 None),
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
    mutate_answers(fake_github, _query(query), mutation)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github))
    assert any(_query(query)(r) for r in fake_github.requests), "the altered query was never sent"
    assert_never_silent(run, names)


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
                 (DEPLOYMENT,)),
    case("deployment-id-null", DEPLOYMENTS, _set(_item(), "id", None), (SHA,)),
    case("deployment-deployable-string", DEPLOYMENTS, _set(_item(), "deployable", "job"),
     (DEPLOYMENT,)),
    case("deployment-environment-list", DEPLOYMENTS, _set(_item(), "environment", ["production"]),
     (DEPLOYMENT,)),
    case("issue-id-missing", ISSUES, _drop(_item(), "id"), (OVERDUE_TITLE,)),
    case("issue-project_id-missing", ISSUES, _drop(_item(), "project_id"), (OVERDUE_TITLE,)),
    case("issue-created_at-garbage", ISSUES, _set(_item(), "created_at", "yesterday"),
                 (POSTMORTEM,)),
    case("issue-labels-string", ISSUES, _set(_item(), "labels", "postmortem"), (OVERDUE_TITLE,)),
    case("issue-references-string", ISSUES, _set(_item(), "references", "group/shop#1"),
     (OVERDUE_TITLE,)),
    case("link-created_at-null", LINKS, _set(_item(), "created_at", None),
                 (OVERDUE_TITLE,)),
    case("link-state-number", LINKS, _set(_item(), "state", 1), (OVERDUE_TITLE,)),
    case("link-due_date-number", LINKS, _set(_item(), "due_date", 20261021), (OVERDUE_TITLE,)),
    case("lookup-object-list", r"/issues/3$", _whole([]), (REFERENCED,)),
]  # fmt: skip


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
    mutate_answers(fake_gitlab, _path(pattern), mutation)
    run = check(tmp_path, gitlab_config(tmp_path, url=fake_gitlab.url), gitlab_env())
    assert any(_path(pattern)(r) for r in fake_gitlab.requests), "the altered path was never read"
    assert_never_silent(run, names)
