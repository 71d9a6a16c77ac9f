"""The fake Linear against Linear's own description: the schema @linear/sdk ships.

Why: the source is only as right as the fake it is tested on. These tests
check that the schema read from the SDK's generated types is Linear's (the
types, fields and arguments the source relies on, with their nullability),
and that the fake answers as Linear does where the schema cannot say:
validation, complexity, Relay pages, archived and trashed issues, errors.
"""

from __future__ import annotations

from typing import Any

import graphql
import requests

from deploygate.sources.linear import queries
from fakes.linear import MAX_COMPLEXITY, FakeLinear, complexity, fake_linear  # noqa: F401
from fakes.linear_schema import linear_schema
from fakes.worlds import at

KEY = "lin_api_fake0123456789abcdefghijklmnopqrstuvwxyz"


def post(fake: FakeLinear, query: str, variables: dict[str, Any] | None = None) -> Any:
    return requests.post(
        fake.api_url,
        json={"query": query, "variables": variables or {}},
        headers={"Authorization": KEY},
        timeout=10,
    )


def test_the_schema_is_linears_where_the_source_relies_on_it() -> None:
    schema = linear_schema()
    issue = schema.type_map["Issue"]
    assert isinstance(issue, graphql.GraphQLObjectType)
    assert [i.name for i in issue.interfaces] == ["Node"]
    assert str(issue.fields["identifier"].type) == "String!"
    assert str(issue.fields["dueDate"].type) == "TimelessDate"
    assert str(issue.fields["children"].type) == "IssueConnection!"
    assert {"first", "after", "includeArchived", "filter"} <= set(issue.fields["children"].args)
    assert str(schema.type_map["WorkflowState"].fields["type"].type) == "String!"  # type: ignore[union-attr]
    assert str(schema.type_map["IssueRelation"].fields["type"].type) == "String!"  # type: ignore[union-attr]
    relation_types = schema.type_map["IssueRelationType"]
    assert isinstance(relation_types, graphql.GraphQLEnumType)
    assert set(relation_types.values) == {"blocks", "duplicate", "related", "similar"}
    issue_filter = schema.type_map["IssueFilter"]
    assert isinstance(issue_filter, graphql.GraphQLInputObjectType)
    assert str(issue_filter.fields["parent"].type) == "NullableIssueFilter"
    assert str(schema.query_type.fields["issue"].args["id"].type) == "String!"  # type: ignore[union-attr]


def test_the_sources_documents_are_valid_and_under_the_complexity_limit() -> None:
    schema = linear_schema()
    for document in (queries.POSTMORTEMS, queries.MORE_RELATIONS, queries.ITEMS):
        parsed = graphql.parse(document)
        assert graphql.validate(schema, parsed) == []
        assert complexity(schema, parsed, {}) <= MAX_COMPLEXITY


def test_a_field_linear_lacks_is_refused_as_linear_refuses_it(
    fake_linear: FakeLinear,  # noqa: F811
) -> None:
    fake_linear.world.api_key(KEY)
    answer = post(fake_linear, "{ issues { nodes { id severity } } }")
    assert answer.status_code == 400
    [error] = answer.json()["errors"]
    assert "Cannot query field 'severity' on type 'Issue'" in error["message"]
    assert error["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    fake_linear.problems.clear()


def test_a_query_over_the_complexity_limit_is_refused(
    fake_linear: FakeLinear,  # noqa: F811
) -> None:
    fake_linear.world.api_key(KEY)
    deep = "{ issues(first: 250) { nodes { children(first: 250) { nodes { id title } } } } }"
    answer = post(fake_linear, deep)
    assert answer.status_code == 400
    assert f"at most {MAX_COMPLEXITY}" in answer.json()["errors"][0]["message"]
    fake_linear.problems.clear()


def test_pages_follow_relay_cursors_and_archived_issues_are_asked_for(
    fake_linear: FakeLinear,  # noqa: F811
) -> None:
    world = fake_linear.world
    world.api_key(KEY)
    issues = [world.issue("OPS", f"Issue {n}", created_at=at(30 - n)) for n in range(5)]
    issues[1].archived_at = at(1)
    issues[2].trashed = True
    query = (
        "query($after: String, $all: Boolean) { issues(first: 2, after: $after, "
        "includeArchived: $all) { pageInfo { hasNextPage endCursor } "
        "nodes { identifier trashed archivedAt } } }"
    )

    def every(include: bool) -> list[str]:
        found, after = [], None
        while True:
            page = post(fake_linear, query, {"after": after, "all": include}).json()
            connection = page["data"]["issues"]
            found += [node["identifier"] for node in connection["nodes"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return found
            after = connection["pageInfo"]["endCursor"]

    assert every(False) == ["OPS-1", "OPS-4", "OPS-5"]
    assert every(True) == ["OPS-1", "OPS-2", "OPS-3", "OPS-4", "OPS-5"]


def test_unknown_keys_and_missing_scopes_answer_in_linears_shape(
    fake_linear: FakeLinear,  # noqa: F811
) -> None:
    fake_linear.world.api_key("lin_api_writeonly", scopes=("write",))
    rejected = post(fake_linear, "{ issues { nodes { id } } }")
    assert rejected.status_code == 400
    assert rejected.json()["errors"][0]["extensions"]["code"] == "AUTHENTICATION_ERROR"
    scoped = requests.post(
        fake_linear.api_url,
        json={"query": "{ issues { nodes { id } } }"},
        headers={"Authorization": "lin_api_writeonly"},
        timeout=10,
    )
    assert scoped.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert "read" in scoped.json()["errors"][0]["message"]
    assert rejected.headers["X-RateLimit-Requests-Limit"] == "5000"
