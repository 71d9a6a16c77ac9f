"""Case 16: fuzzing over API payloads. A clean error or a result, never a traceback.

Input: hypothesis-generated GraphQL answers (deployments, postmortems with
sub-issues, task-list look-ups) and GitLab REST answers (failed deployments,
incidents, their links, look-ups), served by a tiny server (helpers.JsonServer)
to the real CLI, 50 examples per test, deadline 1 s. Two families:

- well-typed: every field has the type GitHub's schema or GitLab's API gives it
  (nulls where those allow them), the values are arbitrary (text with control
  characters, odd dates, any state, odd URLs, pages that say more follows);
- any-typed: the same, but any field, list or whole answer may be any JSON.

Expected: the exit code is 0, 1 or 3, no traceback, no "internal error", no
canary, for both families; no test here is marked xfail. The any-typed family
first tries, as explicit examples, two answers per backend that once crashed
(the type confusions of case 12), so the outcome does not hang on what 50
random examples happen to hit.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from reliability.helpers import (
    JsonServer,
    Run,
    check,
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    leaks,
)

FUZZ = settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

# -- building blocks -----------------------------------------------------------------------

TEXT = st.text(max_size=40)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
INSTANT = st.integers(-400 * 86400, 30 * 86400).map(
    lambda offset: (NOW + timedelta(seconds=offset)).strftime("%Y-%m-%dT%H:%M:%SZ")
)
GITLAB_INSTANT = INSTANT.map(lambda text: text[:-1] + ".123Z")
DAY = INSTANT.map(lambda text: text[:10])
URL = (
    st.sampled_from(
        [
            "https://github.com/acme/shop/issues/1",
            "https://gitlab.example/group/shop/-/issues/2",
            "http://127.0.0.1:1/x)[y](z",
            "javascript:alert(1)",
            "",
        ]
    )
    | TEXT
)
JSON_LEAF = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT
ANY_JSON = st.recursive(
    JSON_LEAF,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3)
    ),
    max_leaves=8,
)


def field(strategy: st.SearchStrategy[Any], junk: bool) -> st.SearchStrategy[Any]:
    """A field of the right type, or (junk) sometimes any JSON at all."""
    return st.one_of(strategy, ANY_JSON) if junk else strategy


def nullable(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def objects(fields: dict[str, st.SearchStrategy[Any]], junk: bool) -> st.SearchStrategy[Any]:
    """An object with these fields; junk may also drop fields or replace the object."""
    built = st.fixed_dictionaries({key: field(value, junk) for key, value in fields.items()})
    if not junk:
        return built
    return st.one_of(
        built,
        built.flatmap(
            lambda obj: st.sets(st.sampled_from(sorted(obj)) if obj else st.nothing()).map(
                lambda dropped: {k: v for k, v in obj.items() if k not in dropped}
            )
        ),
        ANY_JSON,
    )


def lists(items: st.SearchStrategy[Any], junk: bool, max_size: int = 4) -> st.SearchStrategy[Any]:
    return field(st.lists(items, max_size=max_size), junk)


# -- GitHub --------------------------------------------------------------------------------


def github_answers(junk: bool) -> st.SearchStrategy[dict[str, Any]]:
    labels = objects(
        {"nodes": nullable(lists(nullable(objects({"name": TEXT}, junk)), junk))}, junk
    )
    repository = objects({"nameWithOwner": st.sampled_from(["acme/shop", "a/b"]) | TEXT}, junk)
    item = objects(
        {
            "number": st.integers(1, 2**31 - 1),
            "title": TEXT,
            "url": URL,
            "body": TEXT | st.just("Due: 2026-10-01"),
            "state": st.sampled_from(["OPEN", "CLOSED"]),
            "stateReason": nullable(st.sampled_from(["COMPLETED", "NOT_PLANNED", "DUPLICATE"])),
            "createdAt": INSTANT,
            "repository": repository,
            "milestone": nullable(objects({"dueOn": nullable(INSTANT)}, junk)),
            "labels": nullable(labels),
        },
        junk,
    )
    deployment = objects(
        {
            "databaseId": nullable(st.integers(1, 2**31 - 1)),
            "commitOid": st.text("0123456789abcdef", min_size=40, max_size=40),
            "createdAt": INSTANT,
            "environment": nullable(st.sampled_from(["production", "staging"]) | TEXT),
            "description": nullable(TEXT),
            "state": nullable(st.sampled_from(["FAILURE", "ERROR", "ACTIVE", "PENDING"])),
            "latestStatus": nullable(
                objects(
                    {
                        "state": st.sampled_from(["FAILURE", "SUCCESS"]),
                        "description": nullable(TEXT),
                        "logUrl": nullable(URL),
                        "environmentUrl": nullable(URL),
                    },
                    junk,
                )
            ),
        },
        junk,
    )
    postmortem = objects(
        {
            "number": st.integers(1, 2**31 - 1),
            "title": TEXT,
            "url": URL,
            "body": TEXT | st.just("## Lessons\n- a\n- [ ] #7\n- [ ] acme/api#9"),
            "state": st.sampled_from(["OPEN", "CLOSED"]),
            "createdAt": INSTANT,
            "repository": repository,
            "labels": nullable(labels),
            "subIssues": objects({"nodes": lists(nullable(item), junk)}, junk),
        },
        junk,
    )
    # A page that says more follows has a cursor (a cursor that loops is a pagination case).
    page_info = field(
        st.just({"hasNextPage": True, "endCursor": "next"})
        | st.fixed_dictionaries(
            {"hasNextPage": st.just(False), "endCursor": nullable(st.just("next"))}
        ),
        junk,
    )

    def envelope(key: str, nodes: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        connection = objects({"pageInfo": page_info, "nodes": lists(nullable(nodes), junk)}, junk)
        data = objects({"repository": nullable(objects({key: connection}, junk))}, junk)
        return objects({"data": data}, junk)

    lookup = st.dictionaries(
        st.sampled_from([f"issue{n}" for n in range(3)]),
        nullable(objects({"issue": nullable(item)}, junk)),
        max_size=3,
    ).map(lambda aliases: {"data": aliases})
    return st.fixed_dictionaries(
        {
            "Deployments": envelope("deployments", deployment),
            "Postmortems": envelope("issues", postmortem),
            "Issues": field(lookup, junk),
        }
    )


LAST_PAGE = {"data": {"repository": {
    "deployments": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []},
    "issues": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []},
}}}  # fmt: skip


class Served:
    """The answers of the current example; a cursor's page is the empty last page."""

    def __init__(self) -> None:
        self.answers: dict[str, Any] = {}

    def github(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        request = json.loads(body or b"{}")
        kind = re.match(r"\s*query (\w+)", request.get("query", ""))
        name = kind.group(1) if kind else ""
        answer = self.answers.get(name, {"data": None})
        if (request.get("variables") or {}).get("after") is not None:
            answer = LAST_PAGE
        return 200, {}, json.dumps(answer).encode()

    def gitlab(self, method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
        route = urlpath(path)
        for pattern, name in (
            (r"/deployments$", "deployments"),
            (r"/issues$", "issues"),
            (r"/links$", "links"),
            (r"/issues/\d+$", "issue"),
        ):
            if re.search(pattern, route):
                return 200, {}, json.dumps(self.answers.get(name, [])).encode()
        return 404, {}, b'{"message": "404 Not found"}'


def urlpath(path: str) -> str:
    return path.split("?", 1)[0]


@pytest.fixture
def served() -> Iterator[tuple[Served, JsonServer, JsonServer]]:
    answers = Served()
    with JsonServer(answers.github) as github, JsonServer(answers.gitlab) as gitlab:
        yield answers, github, gitlab


def assert_clean(run: Run) -> None:
    run.assert_clean()
    assert leaks(run.everything) == []


def _github_run(tmp_path: Path, server: JsonServer) -> Callable[[], Run]:
    config = github_config(tmp_path, graphql_url=f"{server.url}/graphql", deadline="1s")
    return lambda: check(tmp_path, config, github_env(), actions=True, reports=False)


def _gitlab_run(tmp_path: Path, server: JsonServer) -> Callable[[], Run]:
    config = gitlab_config(tmp_path, url=server.url, deadline="1s")
    return lambda: check(tmp_path, config, gitlab_env(), actions=False, reports=False)


@FUZZ
@given(answers=github_answers(junk=False))
def test_github_well_typed_payloads(
    served: tuple[Served, JsonServer, JsonServer], tmp_path: Path, answers: dict[str, Any]
) -> None:
    """Schema-typed GraphQL answers with arbitrary values: exit 0, 1 or 3, no traceback."""
    state, github, _gitlab = served
    state.answers = answers
    assert_clean(_github_run(tmp_path, github)())


# Answers that once crashed, always tried first: a repository without deployments, labels
# as a list.
GITHUB_CRASHES = [
    {"Deployments": {"data": {"repository": {"x": 1}}}, "Postmortems": [], "Issues": {}},
    {
        "Deployments": LAST_PAGE,
        "Postmortems": {"data": {"repository": {"issues": {
            "pageInfo": {"hasNextPage": False, "endCursor": None},
            "nodes": [{"number": 1, "createdAt": "2026-09-01T00:00:00Z", "labels": [1]}],
        }}}},
        "Issues": {},
    },
]  # fmt: skip


@FUZZ
@example(answers=GITHUB_CRASHES[0])
@example(answers=GITHUB_CRASHES[1])
@given(answers=github_answers(junk=True))
def test_github_any_typed_payloads(
    served: tuple[Served, JsonServer, JsonServer], tmp_path: Path, answers: dict[str, Any]
) -> None:
    """GraphQL answers where any field may be any JSON: exit 0, 1 or 3, no traceback."""
    state, github, _gitlab = served
    state.answers = answers
    assert_clean(_github_run(tmp_path, github)())


# -- GitLab --------------------------------------------------------------------------------


def gitlab_answers(junk: bool) -> st.SearchStrategy[dict[str, Any]]:
    references = objects({"full": st.sampled_from(["group/shop#1", "group/x#2"]) | TEXT}, junk)
    issue = objects(
        {
            "id": st.integers(1, 2**31 - 1),
            "iid": st.integers(1, 1000),
            "project_id": st.integers(1, 2**31 - 1),
            "title": TEXT,
            "description": nullable(TEXT | st.just("- [ ] #3\n- [ ] group/x#4")),
            "state": st.sampled_from(["opened", "closed"]),
            "created_at": GITLAB_INSTANT,
            "labels": lists(
                st.sampled_from(["postmortem", "service::checkout", "team::a", "wontfix"]) | TEXT,
                junk,
            ),
            "due_date": nullable(DAY),
            "references": references,
            "web_url": URL,
            "issue_type": st.sampled_from(["incident", "issue"]),
        },
        junk,
    )
    job = objects(
        {
            "name": TEXT,
            "failure_reason": nullable(st.sampled_from(["script_failure", "api_failure"])),
            "web_url": URL,
            "pipeline": objects({"web_url": URL}, junk),
        },
        junk,
    )
    deployment = objects(
        {
            "id": st.integers(1, 2**31 - 1),
            "iid": st.integers(1, 1000),
            "sha": st.text("0123456789abcdef", min_size=40, max_size=40),
            "created_at": GITLAB_INSTANT,
            "status": st.sampled_from(["failed", "success"]),
            "deployable": nullable(job),
            "environment": objects({"name": st.sampled_from(["production"]) | TEXT}, junk),
        },
        junk,
    )
    return st.fixed_dictionaries(
        {
            "deployments": lists(deployment, junk),
            "issues": lists(issue, junk),
            "links": lists(issue, junk),
            "issue": issue,
        }
    )


@FUZZ
@given(answers=gitlab_answers(junk=False))
def test_gitlab_well_typed_payloads(
    served: tuple[Served, JsonServer, JsonServer], tmp_path: Path, answers: dict[str, Any]
) -> None:
    """API-typed GitLab answers with arbitrary values: exit 0, 1 or 3, no traceback."""
    state, _github, gitlab = served
    state.answers = answers
    assert_clean(_gitlab_run(tmp_path, gitlab)())


@FUZZ
@example(answers={"deployments": None, "issues": [], "links": [], "issue": {}})
@example(
    answers={"deployments": [], "issues": [{"iid": 1, "title": "x"}], "links": [], "issue": {}}
)
@given(answers=gitlab_answers(junk=True))
def test_gitlab_any_typed_payloads(
    served: tuple[Served, JsonServer, JsonServer], tmp_path: Path, answers: dict[str, Any]
) -> None:
    """GitLab answers where any field may be any JSON: exit 0, 1 or 3, no traceback."""
    state, _github, gitlab = served
    state.answers = answers
    assert_clean(_gitlab_run(tmp_path, gitlab)())
