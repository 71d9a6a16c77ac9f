"""The fake GitLab's GraphQL endpoint keeps GitLab's limits and refuses as an older one does.

Driven over loopback with plain ``requests``: these are facts about the fake that
the GitLab source's tests rely on (page size, complexity, an older schema).
"""

from __future__ import annotations

from typing import Any

import requests

from deploygate.sources.gitlab.graphql import MORE_LINKS, PAGE_SIZE, POSTMORTEMS
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.gitlab_graphql import MAX_COMPLEXITY

TOKEN = "glpat-graphql-fake"


def post(fake: FakeGitLab, query: str, variables: dict[str, Any] | None = None) -> Any:
    response = requests.post(
        f"{fake.url}/api/graphql",
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    return response.status_code, response.json()


def test_a_page_holds_at_most_a_hundred_issues_and_says_more_follow(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(TOKEN)
    incidents = fake_gitlab.world.project("group/incidents")
    for number in range(130):
        incidents.issue(f"Incident {number}", labels=["postmortem"], issue_type="incident")
    query = (
        'query { project(fullPath: "group/incidents") { issues(first: 500) '
        "{ pageInfo { hasNextPage endCursor } nodes { iid } } } }"
    )
    status, answer = post(fake_gitlab, query)
    issues = answer["data"]["project"]["issues"]
    assert status == 200
    assert len(issues["nodes"]) == 100
    assert issues["pageInfo"]["hasNextPage"] is True


def test_a_query_over_the_complexity_limit_is_refused_whole(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(TOKEN)
    fake_gitlab.world.project("group/incidents")
    fields = " ".join(
        f'p{n}: project(fullPath: "group/incidents") '
        "{ issues(first: 100) { nodes { iid title labels { nodes { title } } } } }"
        for n in range(12)
    )
    status, answer = post(fake_gitlab, f"query {{ {fields} }}")
    assert status == 200
    assert "data" not in answer
    message = answer["errors"][0]["message"]
    assert message.startswith("Query has complexity of ")
    assert message.endswith(f"which exceeds max complexity of {MAX_COMPLEXITY}")


def test_the_sources_queries_fit_the_limit_with_pages_of_a_hundred(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    """deploygate's own queries, as it sends them: none is refused for its complexity."""
    fake_gitlab.world.token(TOKEN)
    incidents = fake_gitlab.world.project("group/incidents")
    incidents.issue("Incident", labels=["postmortem"], issue_type="incident")
    variables = {"project": "group/incidents", "labels": ["postmortem"], "types": None}
    assert PAGE_SIZE == 100
    for query, values in (
        (POSTMORTEMS, variables | {"after": None}),
        (MORE_LINKS, {"project": "group/incidents", "iid": "1", "after": None}),
    ):
        status, answer = post(fake_gitlab, query, values)
        assert status == 200
        assert "errors" not in answer, answer


def test_an_older_gitlab_refuses_a_field_it_lacks_as_graphql_ruby_does(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(TOKEN)
    fake_gitlab.graphql_lacks = {"Issue.linkedWorkItems"}
    query = (
        'query { project(fullPath: "group/incidents") '
        "{ issues(first: 1) { nodes { linkedWorkItems { nodes { linkType } } } } } }"
    )
    status, answer = post(fake_gitlab, query)
    assert status == 200
    assert "data" not in answer
    (error,) = answer["errors"]
    assert error["message"] == "Field 'linkedWorkItems' doesn't exist on type 'Issue'"
    assert error["extensions"]["code"] == "undefinedField"


def test_an_instance_without_graphql_answers_404(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(TOKEN)
    fake_gitlab.graphql_enabled = False
    status, _ = post(fake_gitlab, 'query { project(fullPath: "a/b") { id } }')
    assert status == 404


def test_an_unknown_token_is_refused_and_a_hidden_project_is_null(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(TOKEN, projects=["group/shop"])
    fake_gitlab.world.project("group/secret")
    response = requests.post(
        f"{fake_gitlab.url}/api/graphql",
        json={"query": 'query { project(fullPath: "group/secret") { id } }'},
        headers={"Authorization": "Bearer glpat-unknown"},
        timeout=10,
    )
    assert response.status_code == 401
    _, answer = post(fake_gitlab, 'query { project(fullPath: "group/secret") { id } }')
    assert answer == {"data": {"project": None}}
