"""The fake GitHub is faithful: GitHub's own schema and OpenAPI description are the oracles.

GraphQL: every document deploygate sends validates against GitHub's published
schema, and the fake executes it with graphql-core against that schema.
REST: every response the fake sends in these tests (to ``requests`` or to
PyGithub) is validated against the OpenAPI response schema for its path,
method and status, and every JSON request body against the request schema.
"""

from __future__ import annotations

import base64
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import github
import graphql
import pytest
import requests

from deploygate.sources.github import queries
from fakes.github import (
    DEPLOYMENT_STATES,
    DEPLOYMENT_STATUS_STATES,
    ISSUE_STATE_REASONS,
    ISSUE_STATES,
    FakeGitHub,
    GitHubWorld,
    fake_github,  # noqa: F401 - the fixture, used by name below
    github_schema,
    older_github_schema,
    query_cost,
)
from fakes.github_openapi import (
    assert_matches_openapi,
    assert_rest_traffic_matches_openapi,
    template_for,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
BOT_TOKEN = "ghs_fakeInstallationToken0000000000000"
USER_TOKEN = "ghp_fakePersonalToken000000000000000000"
WRONG_TOKEN = "ghp_notRegistered"

# ---------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------


@pytest.fixture
def fake(fake_github: FakeGitHub) -> Iterator[FakeGitHub]:  # noqa: F811
    """The fake with two tokens; every REST answer is checked against OpenAPI at the end."""
    fake_github.world.clock = lambda: T0 + timedelta(days=20)
    fake_github.world.token(BOT_TOKEN, login="github-actions[bot]")
    fake_github.world.token(USER_TOKEN, login="octocat")
    yield fake_github
    assert_rest_traffic_matches_openapi(fake_github)


def post_graphql(
    fake: FakeGitHub, query: str, token: str = BOT_TOKEN, **variables: Any
) -> requests.Response:
    return requests.post(
        fake.graphql_url,
        json={"query": query, "variables": variables},
        headers={"Authorization": f"bearer {token}"},
        timeout=10,
    )


def gql(fake: FakeGitHub, query: str, token: str = BOT_TOKEN, **variables: Any) -> dict[str, Any]:
    response = post_graphql(fake, query, token, **variables)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def pygithub(fake: FakeGitHub, token: str = USER_TOKEN) -> github.Github:
    """PyGithub as deploygate configures it; lazy, as ``GET /repos/{o}/{r}`` is not faked."""
    return github.Github(
        auth=github.Auth.Token(token),
        base_url=fake.api_url,
        lazy=True,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
    )


def product_documents() -> dict[str, str]:
    """Every GraphQL operation in deploygate.sources.github.queries (found, not listed)."""
    found = {}
    for name, value in vars(queries).items():
        if isinstance(value, str) and not name.startswith("_"):
            try:
                document = graphql.parse(value)
            except graphql.GraphQLError:
                continue
            if any(isinstance(d, graphql.OperationDefinitionNode) for d in document.definitions):
                found[name] = value
    for count in (1, 2, queries.ISSUES_PER_LOOKUP):
        found[f"issue_lookup({count})"] = queries.issue_lookup(count)
    for count in (1, 2, queries.RUNS_PER_JOB_LOOKUP):
        found[f"run_jobs_by_url({count})"] = queries.run_jobs_by_url(count)
    for count in (1, 2, queries.CONTAINS_PER_QUERY):
        found[f"contains({count})"] = queries.contains(count)
    return found


# ---------------------------------------------------------------------------
# GraphQL: the schema is the oracle
# ---------------------------------------------------------------------------


def test_the_world_enums_are_the_schemas() -> None:
    schema = github_schema()

    def values(name: str) -> set[str]:
        kind = schema.get_type(name)
        assert isinstance(kind, graphql.GraphQLEnumType)
        return set(kind.values)

    assert values("DeploymentState") == DEPLOYMENT_STATES
    assert values("DeploymentStatusState") == DEPLOYMENT_STATUS_STATES
    assert values("IssueState") == ISSUE_STATES
    assert values("IssueStateReason") == ISSUE_STATE_REASONS


@pytest.mark.parametrize("name", sorted(product_documents()))
def test_product_documents_validate_against_githubs_schema(name: str) -> None:
    document = graphql.parse(product_documents()[name])
    assert graphql.validate(github_schema(), document) == []


OLDER = queries.IssueSchema(sub_issues=False, duplicate_reason=False)
"""What an older GitHub Enterprise Server's Issue offers: neither sub-issues nor duplicates."""


def test_the_older_schema_lacks_what_an_older_server_lacks() -> None:
    """The oracle for item 8: the current queries name exactly three things it has not."""
    errors = graphql.validate(older_github_schema(), graphql.parse(queries.POSTMORTEMS))
    assert sorted(error.message for error in errors) == [
        "Cannot query field 'subIssues' on type 'Issue'.",
        "Cannot query field 'subIssuesSummary' on type 'Issue'.",
        "Unknown argument 'enableDuplicate' on field 'Issue.stateReason'.",
    ]


@pytest.mark.parametrize(
    "document",
    [
        queries.postmortems(OLDER),
        queries.issue_lookup(2, OLDER),
        queries.ISSUE_SCHEMA,
        queries.DEPLOYMENTS,
        queries.RUN_JOBS,
        queries.run_jobs_by_url(2),
        queries.MORE_CHECK_RUNS,
        queries.MORE_STEPS,
    ],
)
def test_what_is_sent_to_an_older_server_validates_against_its_schema(document: str) -> None:
    assert graphql.validate(older_github_schema(), graphql.parse(document)) == []


@pytest.mark.parametrize("sub_issues", [True, False])
@pytest.mark.parametrize("duplicate_reason", [True, False])
def test_every_mix_of_what_a_server_offers_validates_against_the_current_schema(
    sub_issues: bool, duplicate_reason: bool
) -> None:
    """A server between the two (sub-issues without duplicates, say) is asked a subset."""
    schema = queries.IssueSchema(sub_issues=sub_issues, duplicate_reason=duplicate_reason)
    for document in (
        queries.postmortems(schema),
        queries.all_sub_issues(schema),
        queries.issue_lookup(2, schema),
    ):
        assert graphql.validate(github_schema(), graphql.parse(document)) == []


def test_product_documents_run_on_the_fake_without_errors(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    deployment = repo.deployment(state="FAILURE", created_at=T0, log_url="https://ci.example/1")
    postmortem = repo.issue(title="Postmortem", labels=["postmortem"], created_at=T0)
    postmortem.add_sub_issue(repo.issue(title="Fix", milestone_due_on=T0 + timedelta(days=7)))
    run = repo.workflow_run(conclusion="failure", created_at=T0)
    run.job("deploy", "failure", steps=[("Set up job", "success"), ("Apply", "failure")])
    jobs = gql(fake, queries.RUN_JOBS, ids=[run.node_id])["data"]["nodes"][0]
    check_runs = jobs["checkSuite"]["checkRuns"]
    check_run = check_runs["nodes"][0]
    variables = {"owner": "acme", "name": "shop"}
    for name, document in product_documents().items():
        if name == "RUN_JOBS":
            answer = gql(fake, document, ids=[run.node_id])
        elif name == "MORE_CHECK_RUNS":
            after = check_runs["pageInfo"]["endCursor"]
            answer = gql(fake, document, id=run.node_id, after=after)
        elif name == "MORE_STEPS":
            after = check_run["steps"]["pageInfo"]["endCursor"]
            answer = gql(fake, document, id=check_run["id"], after=after)
        elif name == "POSTMORTEMS":
            deploying = {"deployingOwner": "acme", "deployingName": "shop"}
            answer = gql(fake, document, **variables, labels=["postmortem"],
                         withDefaultBranch=True, **deploying)  # fmt: skip
            assert answer["data"]["deploying"] == {"defaultBranchRef": {"name": "main"}}
        elif name.startswith("issue_lookup"):
            count = int(name[len("issue_lookup(") : -1])
            lookup: dict[str, Any] = {}
            for i in range(count):
                lookup |= {f"owner{i}": "acme", f"name{i}": "shop", f"number{i}": 1}
            answer = gql(fake, document, **lookup)
        elif name.startswith("run_jobs_by_url"):
            count = int(name[len("run_jobs_by_url(") : -1])
            url = f"https://github.com/acme/shop/actions/runs/{run.id}"
            answer = gql(fake, document, **{f"url{i}": url for i in range(count)})
            assert answer["data"]["run0"]["checkSuite"] == jobs["checkSuite"]
        elif name.startswith("contains"):
            count = int(name[len("contains(") : -1])
            head = repo.commit(deployment.sha)
            pairs: dict[str, Any] = {}
            for i in range(count):
                pairs |= {f"commit{i}": head.sha, f"head{i}": head.sha}
                pairs[f"at{i}"] = head.committed_at.isoformat()
            answer = gql(fake, document, **variables, **pairs)
            assert answer["data"]["repository"]["pair0"]["history"]["nodes"] == [{"oid": head.sha}]
        elif name == "ALL_SUB_ISSUES":
            answer = gql(fake, document, **variables, number=postmortem.number)
        else:
            answer = gql(fake, document, **variables, labels=["postmortem"])
        if name == "DEPLOYMENTS":  # a deployment number past 2**31, answered as the spec says
            assert located(answer.pop("errors")) == [overflow(0, deployment.database_id)]
        assert "errors" not in answer, (name, answer.get("errors"))
        if name == "ISSUE_SCHEMA":  # introspection: the schema's own answer, no rate limit
            fields = {field["name"] for field in answer["data"]["issue"]["fields"]}
            assert {"subIssues", "subIssuesSummary", "stateReason"} <= fields
            continue
        assert answer["data"]["rateLimit"]["remaining"] < 5000


def test_unknown_field_is_rejected_like_github(fake: FakeGitHub) -> None:
    answer = gql(fake, 'query { repository(owner: "acme", name: "shop") { colour } }')
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["message"] == "Field 'colour' doesn't exist on type 'Repository'"
    assert error["extensions"]["code"] == "undefinedField"
    assert error["locations"] == [{"line": 1, "column": 51}]


def test_syntax_error_and_missing_query(fake: FakeGitHub) -> None:
    assert "errors" in gql(fake, "query {")
    response = requests.post(
        fake.graphql_url, json={}, headers={"Authorization": f"token {BOT_TOKEN}"}, timeout=10
    )
    assert response.status_code == 200
    assert response.json()["errors"][0]["message"].startswith("A query attribute must be")


def test_missing_variable_is_reported_like_github(fake: FakeGitHub) -> None:
    answer = gql(fake, queries.DEPLOYMENTS, owner="acme")
    [error] = answer["errors"]
    assert error["message"] == "Variable $name of type String! was provided invalid value"
    assert error["extensions"]["value"] is None


@pytest.mark.parametrize(
    ("first", "error_type", "message"),
    [
        (
            101,
            "EXCESSIVE_PAGINATION",
            "Requesting 101 records on the `deployments` connection exceeds the `first` "
            "limit of 100 records.",
        ),
        (
            None,
            "MISSING_PAGINATION_BOUNDARIES",
            "You must provide a `first` or `last` value to properly paginate the "
            "`deployments` connection.",
        ),
    ],
)
def test_connection_limits(
    fake: FakeGitHub, first: int | None, error_type: str, message: str
) -> None:
    fake.world.repo("acme/shop")
    query = """query($first: Int) { repository(owner: "acme", name: "shop") {
        deployments(first: $first) { nodes { databaseId } } } }"""
    answer = gql(fake, query, first=first)
    assert "data" not in answer
    [error] = answer["errors"]
    assert error["type"] == error_type
    assert error["message"] == message
    assert error["path"] == ["repository", "deployments"]


def test_cost_follows_githubs_documented_example() -> None:
    # https://docs.github.com/en/graphql/overview/rate-limits-and-node-limits-for-the-graphql-api
    query = """query { viewer { login repositories(first: 100) { edges { node { id
        issues(first: 50) { edges { node { id labels(first: 60) { edges { node { id name }
        } } } } } } } } } }"""
    assert query_cost(query) == (51, 305_100)
    assert query_cost(queries.DEPLOYMENTS, {"owner": "a", "name": "b"})[0] == 1


def test_authentication(fake: FakeGitHub) -> None:
    body = {"query": "query { rateLimit { remaining } }"}
    for scheme in ("bearer", "Bearer", "TOKEN", "token"):
        headers = {"Authorization": f"{scheme} {BOT_TOKEN}"}
        response = requests.post(fake.graphql_url, json=body, headers=headers, timeout=10)
        assert response.status_code == 200, scheme
    response = requests.post(fake.graphql_url, json=body, timeout=10)
    assert response.status_code == 401
    assert response.json()["message"] == "This endpoint requires you to be authenticated."
    headers = {"Authorization": "bearer ghs_wrong"}
    response = requests.post(fake.graphql_url, json=body, headers=headers, timeout=10)
    assert response.status_code == 401
    assert response.json()["message"] == "Bad credentials"
    assert response.json()["documentation_url"].startswith("https://docs.github.com/")


def test_deployments_page_newest_first_with_opaque_cursors(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    for hour in range(250):
        repo.deployment(environment="production", created_at=T0 + timedelta(hours=hour))
    repo.deployment(environment="staging", created_at=T0 + timedelta(days=30))
    pages, after = [], None
    while True:
        answer = gql(fake, queries.DEPLOYMENTS, owner="acme", name="shop",
                     environments=["production"], after=after)  # fmt: skip
        connection = answer["data"]["repository"]["deployments"]
        pages.append(connection["nodes"])
        if not connection["pageInfo"]["hasNextPage"]:
            assert connection["pageInfo"]["endCursor"] is not None
            break
        after = connection["pageInfo"]["endCursor"]
        assert base64.b64decode(after).startswith(b"cursor:v2:")
    assert [len(page) for page in pages] == [100, 100, 50]
    created = [node["createdAt"] for page in pages for node in page]
    assert created == sorted(created, reverse=True)
    assert created[0] == "2026-11-11T18:00:00Z"
    assert len({node["id"] for page in pages for node in page}) == 250
    assert {node["environment"] for page in pages for node in page} == {"production"}
    assert len(fake.graphql_requests) == 3


def test_deployment_fields_and_statuses(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    failed = repo.deployment(
        id=123456789,
        sha="9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90",
        state="FAILURE",
        created_at=T0,
        description="v1.2.3",
        status_description="smoke tests failed",
        log_url="https://ci.example/runs/1",
        environment_url="https://shop.example",
    )
    pending = repo.deployment(state="PENDING", created_at=T0 + timedelta(hours=1))
    later = repo.deployment(state="ACTIVE", created_at=T0 - timedelta(hours=1))
    pending.add_status("SUCCESS")  # makes the older ACTIVE one INACTIVE, as GitHub does
    nodes = gql(fake, queries.DEPLOYMENTS, owner="ACME", name="Shop")["data"]["repository"][
        "deployments"
    ]["nodes"]
    by_id = {node["id"]: node for node in nodes}
    assert by_id[failed.node_id] == {
        "id": failed.node_id,
        "databaseId": 123456789,
        "commitOid": "9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90",
        "createdAt": "2026-11-01T09:00:00Z",
        "environment": "production",
        "description": "v1.2.3",
        "state": "FAILURE",
        "latestStatus": {
            "state": "FAILURE",
            "description": "smoke tests failed",
            "logUrl": "https://ci.example/runs/1",
        },  # no environmentUrl: the query does not ask for the site, which names no deployment
        # No message given: the world names the commit after its sha.
        "commit": {"messageHeadline": "Change 9b2e7d4"},
    }
    assert by_id[pending.node_id]["state"] == "ACTIVE"
    assert by_id[later.node_id]["state"] == "INACTIVE"
    assert by_id[later.node_id]["latestStatus"]["state"] == "INACTIVE"


def overflow(index: int, number: int) -> dict[str, Any]:
    """graphql-core's answer to a deployment number that GraphQL's 32-bit Int cannot hold."""
    return {
        "path": ["repository", "deployments", "nodes", index, "databaseId"],
        "message": f"Int cannot represent non 32-bit signed integer value: {number}",
    }


def located(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``errors`` without their locations in the document, once each is checked to have one."""
    assert all(error["locations"] for error in errors)
    return [{k: v for k, v in error.items() if k != "locations"} for error in errors]


@pytest.mark.parametrize("lenient", [False, True])
def test_deployment_numbers_past_32_bits_are_answered_as_the_spec_or_leniently(
    fake: FakeGitHub, lenient: bool
) -> None:
    """The fake mints deployment numbers past 2**32 so every test meets them; by default
    it answers the spec's null and error, a lenient world the number. Either way the node
    id carries the number as GitHub packs it: [0, repository, number] in MessagePack."""
    fake.world.lenient_int = lenient
    repo = fake.world.repo("acme/shop")
    small, large = repo.deployment(id=7, created_at=T0 - DAY), repo.deployment(created_at=T0)
    assert large.database_id > 2**32
    answer = gql(fake, queries.DEPLOYMENTS, owner="acme", name="shop")
    nodes = answer["data"]["repository"]["deployments"]["nodes"]
    assert [node["databaseId"] for node in nodes] == [large.database_id if lenient else None, 7]
    expected = [] if lenient else [overflow(0, large.database_id)]
    assert located(answer.get("errors", [])) == expected
    packed = base64.urlsafe_b64decode(large.node_id.removeprefix("DE_") + "==")
    number = large.database_id.to_bytes(8, "big")
    assert packed == b"\x93\x00\xce" + repo.id.to_bytes(4, "big") + b"\xcf" + number
    assert small.node_id == "DE_" + base64.urlsafe_b64encode(
        b"\x93\x00\xce" + repo.id.to_bytes(4, "big") + b"\x07"
    ).decode().rstrip("=")


def test_legacy_node_ids_name_the_type_and_number(fake: FakeGitHub) -> None:
    fake.world.legacy_node_ids = True
    deployment = fake.world.repo("acme/shop").deployment(id=2**53 + 1, created_at=T0)
    assert base64.b64decode(deployment.node_id) == b"010:Deployment9007199254740993"


def test_postmortems_filtered_by_labels_with_sub_issues_across_repos(fake: FakeGitHub) -> None:
    shop, api = fake.world.repo("acme/shop"), fake.world.repo("acme/api")
    first = shop.issue(title="Checkout outage", labels=["postmortem"], created_at=T0)
    second = shop.issue(title="DB failover", labels=["Incident", "sev1"], created_at=T0 + DAY)
    shop.issue(title="Unrelated bug", labels=["bug"], created_at=T0 + 2 * DAY)
    shop.pull_request(title="A pull request is not an issue")
    local = shop.issue(title="Add alert", state="CLOSED", created_at=T0)
    remote = api.issue(
        title="Retry payments",
        labels=["action-item"],
        milestone_due_on=datetime(2026, 12, 1, 8, tzinfo=timezone.utc),
        created_at=T0,
    )
    duplicate = api.issue(title="Same", state="CLOSED", state_reason="DUPLICATE", created_at=T0)
    first.add_sub_issue(local)
    first.add_sub_issue(remote)
    first.add_sub_issue(duplicate)

    answer = gql(fake, queries.POSTMORTEMS, owner="acme", name="shop",
                 labels=["postmortem", "Incident", "sev2"])  # fmt: skip
    assert "errors" not in answer
    nodes = answer["data"]["repository"]["issues"]["nodes"]
    assert [n["number"] for n in nodes] == [second.number, first.number]  # newest first, OR
    exact = gql(fake, queries.POSTMORTEMS, owner="acme", name="shop", labels=["incident"])
    assert exact["data"]["repository"]["issues"]["nodes"] == []  # the filter is case-sensitive
    assert nodes[1]["url"] == f"https://github.com/acme/shop/issues/{first.number}"
    subs = nodes[1]["subIssues"]["nodes"]
    assert [(s["repository"]["nameWithOwner"], s["number"]) for s in subs] == [
        ("acme/shop", local.number),
        ("acme/api", remote.number),
        ("acme/api", duplicate.number),
    ]
    assert (subs[0]["state"], subs[0]["stateReason"]) == ("CLOSED", "COMPLETED")
    assert subs[1]["milestone"] == {"dueOn": "2026-12-01T08:00:00Z"}
    assert subs[1]["labels"]["nodes"] == [{"name": "action-item"}]
    assert subs[2]["stateReason"] == "DUPLICATE"  # asked with enableDuplicate: true
    query = """query { repository(owner: "acme", name: "api") { issue(number: 2) {
        stateReason parent { number } } } }"""
    issue = gql(fake, query)["data"]["repository"]["issue"]
    # Without enableDuplicate, GitHub hides DUPLICATE behind NOT_PLANNED.
    assert issue == {"stateReason": "NOT_PLANNED", "parent": {"number": first.number}}


def test_issue_lookup_by_alias_reports_missing_ones_like_github(fake: FakeGitHub) -> None:
    shop, api = fake.world.repo("acme/shop"), fake.world.repo("acme/api")
    shop.issue(number=12, title="Twelve", body="- [ ] acme/api#3")
    api.issue(number=3, title="Three", labels=["ops"])
    variables: dict[str, Any] = {
        "owner0": "acme", "name0": "shop", "number0": 12,
        "owner1": "acme", "name1": "api", "number1": 3,
        "owner2": "acme", "name2": "api", "number2": 999,
        "owner3": "acme", "name3": "gone", "number3": 1,
    }  # fmt: skip
    answer = gql(fake, queries.issue_lookup(4), **variables)
    data = answer["data"]
    assert data["issue0"]["issue"]["title"] == "Twelve"
    assert data["issue0"]["issue"]["body"] == "- [ ] acme/api#3"
    assert data["issue1"]["issue"]["repository"] == {"nameWithOwner": "acme/api"}
    assert data["issue2"] == {"issue": None}
    assert data["issue3"] is None
    errors = {tuple(e["path"]): e for e in answer["errors"]}
    assert errors[("issue2", "issue")]["type"] == "NOT_FOUND"
    assert errors[("issue2", "issue")]["message"] == (
        "Could not resolve to an issue or pull request with the number of 999."
    )
    assert errors[("issue3",)]["message"] == (
        "Could not resolve to a Repository with the name 'acme/gone'."
    )


def test_missing_or_unreadable_repository_is_not_found(fake: FakeGitHub) -> None:
    fake.world.repo("acme/secret")
    fake.world.token("ghs_scoped", login="github-actions[bot]", repos=["acme/shop"])
    for token in (BOT_TOKEN, "ghs_scoped"):
        name = "nope" if token == BOT_TOKEN else "secret"
        answer = gql(fake, queries.DEPLOYMENTS, token, owner="acme", name=name)
        assert answer["data"]["repository"] is None
        assert answer["errors"] == [
            {
                "type": "NOT_FOUND",
                "path": ["repository"],
                "locations": [{"line": 4, "column": 3}],
                "message": f"Could not resolve to a Repository with the name 'acme/{name}'.",
            }
        ]


def test_a_runs_jobs_read_alike_as_check_runs_and_through_rest(fake: FakeGitHub) -> None:
    """One store behind both: the REST run's node_id finds the run, and its check runs are
    the REST jobs (same ids, names, steps; conclusions in capitals), latest attempt only."""
    repo = fake.world.repo("acme/shop")
    run = repo.workflow_run(conclusion="failure", created_at=T0, run_attempt=2)
    run.earlier_attempt_jobs.append(run.job("deploy (eu)", "failure"))  # attempt 1's
    run.jobs.clear()
    run.job("test")
    run.job("deploy (eu)", "timed_out", steps=[("Set up job", "success"), ("Apply", "cancelled")])
    run.job("smoke", "skipped")
    auth = {"Authorization": f"bearer {BOT_TOKEN}"}
    listed = requests.get(
        f"{fake.api_url}/repos/acme/shop/actions/workflows/deploy.yml/runs",
        headers=auth,
        timeout=10,
    ).json()["workflow_runs"]
    jobs = requests.get(
        f"{fake.api_url}/repos/acme/shop/actions/runs/{run.id}/jobs",
        params={"filter": "latest"},
        headers=auth,
        timeout=10,
    ).json()["jobs"]
    answer = gql(fake, queries.RUN_JOBS, ids=[listed[0]["node_id"]])
    assert "errors" not in answer
    check_runs = answer["data"]["nodes"][0]["checkSuite"]["checkRuns"]
    assert check_runs["pageInfo"]["hasNextPage"] is False
    through_graphql = [
        (c["id"], c["name"], c["conclusion"], [(s["name"], s["conclusion"], s["number"])
                                               for s in c["steps"]["nodes"]])
        for c in check_runs["nodes"]
    ]  # fmt: skip
    through_rest = [
        (j["node_id"], j["name"], j["conclusion"].upper(), [(s["name"], s["conclusion"].upper(),
                                                             s["number"]) for s in j["steps"]])
        for j in jobs
    ]  # fmt: skip
    assert through_graphql == through_rest
    assert [name for _, name, *_ in through_graphql] == ["test", "deploy (eu)", "smoke"]


def test_unknown_nodes_are_null_and_check_runs_need_checks_read(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    run = repo.workflow_run(conclusion="failure", created_at=T0)
    run.job("deploy", "failure")
    unknown = run.node_id.replace("WFR_", "WFR_kwDOx")
    answer = gql(fake, queries.RUN_JOBS, ids=[unknown, run.node_id])
    assert answer["data"]["nodes"][0] is None
    assert answer["data"]["nodes"][1]["checkSuite"]["checkRuns"]["nodes"][0]["name"] == "deploy"
    assert answer["errors"] == [
        {
            "type": "NOT_FOUND",
            "path": ["nodes", 0],
            "message": f"Could not resolve to a node with the global id of '{unknown}'",
        }
    ]
    fake.world.token("ghs_no_checks", login="deployer[bot]", can_read_checks=False)
    refused = gql(fake, queries.RUN_JOBS, "ghs_no_checks", ids=[run.node_id])
    assert refused["data"]["nodes"] == [None]  # checkSuite is non-null: the run goes null
    assert [(e["type"], e["path"], e["message"]) for e in refused["errors"]] == [
        ("FORBIDDEN", ["nodes", 0, "checkSuite"], "Resource not accessible by integration")
    ]


def test_node_ids_count_every_node_they_name() -> None:
    """nodes(ids:) multiplies what it selects by the ids, as a connection does by its page."""
    one = query_cost(queries.RUN_JOBS, {"ids": ["a"]})
    fifty = query_cost(queries.RUN_JOBS, {"ids": ["a"] * 50})
    assert one == (1, 25 + 25 * 50 + 25 * 10)  # check runs, their steps, their annotations
    assert fifty == (26, 50 * one[1])


def test_sub_issue_in_a_repository_the_token_cannot_read_is_null(fake: FakeGitHub) -> None:
    shop, secret = fake.world.repo("acme/shop"), fake.world.repo("acme/secret")
    fake.world.token("ghs_scoped", login="github-actions[bot]", repos=["acme/shop"])
    parent = shop.issue(labels=["postmortem"])
    parent.add_sub_issue(secret.issue())
    answer = gql(fake, queries.POSTMORTEMS, "ghs_scoped", owner="acme", name="shop")
    assert answer["data"]["repository"]["issues"]["nodes"][0]["subIssues"]["nodes"] == [None]
    [error] = answer["errors"]
    assert error["type"] == "FORBIDDEN"
    assert error["path"] == ["repository", "issues", "nodes", 0, "subIssues", "nodes", 0]


def test_invalid_cursor_and_issue_states(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    repo.issue(state="OPEN")
    repo.issue(state="CLOSED", state_reason="NOT_PLANNED")
    query = """query($after: String) { repository(owner: "acme", name: "shop") {
        issues(first: 10, after: $after, states: [CLOSED]) { totalCount nodes { number } } } }"""
    issues = gql(fake, query)["data"]["repository"]["issues"]
    assert issues == {"totalCount": 1, "nodes": [{"number": 2}]}
    answer = gql(fake, query, after="bm90IGEgY3Vyc29y")
    assert answer["errors"][0]["type"] == "INVALID_CURSOR_ARGUMENTS"
    with pytest.raises(ValueError, match="never reports"):
        repo.issue(state="OPEN", state_reason="COMPLETED")


def test_graphql_rate_limit_is_charged_and_enforced(fake: FakeGitHub) -> None:
    fake.world.repo("acme/shop")
    response = post_graphql(fake, queries.POSTMORTEMS, owner="acme", name="shop")
    # 1 (the query) + 50 sub-issue pages + 2,500 labels, closing pull requests and closed
    # events pages each (50 x 50 sub-issues), over 100: 76 points.
    assert response.json()["data"]["rateLimit"]["remaining"] == 5000 - 76
    assert response.headers["X-RateLimit-Used"] == "76"
    assert response.headers["X-RateLimit-Resource"] == "graphql"
    fake.rate_limit(BOT_TOKEN, "graphql").remaining = 0
    answer = gql(fake, queries.DEPLOYMENTS, owner="acme", name="shop")
    assert answer["errors"][0]["type"] == "RATE_LIMITED"


def test_ghes_paths(fake: FakeGitHub) -> None:
    fake.world.repo("acme/shop").issue(number=5)
    response = requests.post(
        fake.ghes_graphql_url,
        json={"query": "query { rateLimit { limit } }"},
        headers={"Authorization": f"bearer {BOT_TOKEN}"},
        timeout=10,
    )
    assert response.json() == {"data": {"rateLimit": {"limit": 5000}}}
    issue = requests.get(
        f"{fake.ghes_api_url}/repos/acme/shop/issues/5",
        headers={"Authorization": f"token {BOT_TOKEN}"},
        timeout=10,
    ).json()
    assert issue["url"] == f"{fake.ghes_api_url}/repos/acme/shop/issues/5"


def test_gaps_in_the_fake_are_loud(fake: FakeGitHub) -> None:
    fake.world.repo("acme/shop")
    answer = gql(fake, 'query { repository(owner: "acme", name: "shop") { stargazerCount } }')
    assert answer["errors"][0]["type"] == "FAKE_NOT_IMPLEMENTED"
    response = requests.get(f"{fake.api_url}/repos/acme/shop/pulls", timeout=10)
    assert response.status_code == 501
    assert len(fake.problems) == 2
    fake.problems.clear()  # expected here; the fixture fails any other test that has them
    fake.requests.clear()  # the 501 is the fake's own, not GitHub's


# ---------------------------------------------------------------------------
# REST through PyGithub; the `fake` fixture checks every answer against OpenAPI
# ---------------------------------------------------------------------------


def test_every_rest_answer_matches_openapi(fake: FakeGitHub) -> None:
    """Each endpoint and status the fake answers, validated as it comes (not only at teardown)."""
    repo = fake.world.repo("acme/shop")
    repo.issue(number=12)
    fake.world.repo("acme/public", private=False).issue(number=1)
    theirs = repo.comment(12, "someone else's", "hubot")
    fake.world.token("ghs_readonly", login="github-actions[bot]", can_comment=False)
    seen: set[tuple[str, str, int]] = set()

    def call(method: str, path: str, token: str | None = USER_TOKEN, **kwargs: Any) -> Any:
        headers = {"Authorization": f"token {token}"} if token else {}
        response = requests.request(
            method, fake.api_url + path, headers=headers, timeout=10, **kwargs
        )
        record = fake.requests[-1]
        assert record.status == response.status_code
        assert_matches_openapi(record)
        seen.add((method, template_for(path), response.status_code))
        return response.json() if response.content else None

    call("GET", "/user")
    call("GET", "/user", token=None)
    call("GET", "/user", token=WRONG_TOKEN)
    call("GET", "/user", token=BOT_TOKEN)
    call("GET", "/repos/acme/shop/issues/12")
    call("GET", "/repos/acme/shop/issues/13")
    mine = call("POST", "/repos/acme/shop/issues/12/comments", json={"body": "hi"})
    call("POST", "/repos/acme/shop/issues/13/comments", json={"body": "hi"})
    call("POST", "/repos/acme/shop/issues/12/comments", json={"text": "hi"})
    call("POST", "/repos/acme/shop/issues/12/comments", "ghs_readonly", json={"body": "hi"})
    call("POST", "/repos/acme/public/issues/1/comments", token=None, json={"body": "hi"})
    call("GET", "/repos/acme/public/issues/1/comments", token=None)
    call("GET", "/repos/acme/shop/issues/12/comments")
    call("GET", "/repos/acme/shop/issues/13/comments")
    for method in ("GET", "PATCH", "DELETE"):
        call(method, f"/repos/acme/shop/issues/comments/{theirs.id + 1000}", json={"body": "x"})
    call("GET", f"/repos/acme/shop/issues/comments/{mine['id']}")
    call("PATCH", f"/repos/acme/shop/issues/comments/{mine['id']}", json={"body": "edited"})
    call("PATCH", f"/repos/acme/shop/issues/comments/{mine['id']}", json={})
    call("PATCH", f"/repos/acme/shop/issues/comments/{theirs.id}", json={"body": "mine"})
    call("DELETE", f"/repos/acme/shop/issues/comments/{theirs.id}")
    call("DELETE", f"/repos/acme/shop/issues/comments/{mine['id']}")
    statuses: dict[tuple[str, str], set[int]] = {}
    for method, template, status in seen:
        statuses.setdefault((method, template), set()).add(status)
    assert statuses == {
        ("GET", "/user"): {200, 401, 403},
        ("GET", "/repos/{owner}/{repo}/issues/{issue_number}"): {200, 404},
        ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): {
            201, 401, 403, 404, 422,
        },
        ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"): {200, 404},
        ("GET", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): {200, 404},
        ("PATCH", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): {200, 403, 404, 422},
        ("DELETE", "/repos/{owner}/{repo}/issues/comments/{comment_id}"): {204, 403, 404},
    }  # fmt: skip


def test_get_user(fake: FakeGitHub) -> None:
    assert pygithub(fake, USER_TOKEN).get_user().login == "octocat"
    with pytest.raises(github.GithubException) as raised:
        _ = pygithub(fake, BOT_TOKEN).get_user().login
    assert raised.value.status == 403
    assert raised.value.data["message"] == "Resource not accessible by integration"
    with pytest.raises(github.BadCredentialsException):
        _ = pygithub(fake, WRONG_TOKEN).get_user().login
    response = requests.get(f"{fake.api_url}/user", timeout=10)
    assert response.status_code == 401
    assert [r.status for r in fake.requests] == [200, 403, 401, 401]
    for record in fake.requests:
        for name in ("limit", "remaining", "reset", "used", "resource"):
            assert f"x-ratelimit-{name}" in {k.lower() for k in record.response_headers}


def test_get_issue(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    repo.issue(
        number=12,
        title="Postmortem: checkout",
        body="What happened",
        labels=["postmortem"],
        state="CLOSED",
        milestone_due_on=T0,
    )
    repo.pull_request(number=13)
    gh_repo = pygithub(fake).get_repo("acme/shop")
    issue = gh_repo.get_issue(12)
    assert (issue.number, issue.title, issue.state, issue.state_reason) == (
        12,
        "Postmortem: checkout",
        "closed",
        "completed",
    )
    assert [label.name for label in issue.labels] == ["postmortem"]
    assert issue.milestone.due_on == T0
    assert issue.html_url == "https://github.com/acme/shop/issues/12"
    assert gh_repo.get_issue(13).pull_request is not None
    with pytest.raises(github.UnknownObjectException):
        _ = gh_repo.get_issue(99).title
    with pytest.raises(github.UnknownObjectException):
        _ = pygithub(fake).get_repo("acme/nope").get_issue(1).title


def test_list_comments_pages_with_link_headers(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    repo.issue(number=12)
    for n in range(75):
        repo.comment(12, f"comment {n}", "octocat" if n % 2 else "github-actions[bot]")
    comments = list(pygithub(fake).get_repo("acme/shop").get_issue(12).get_comments())
    assert [c.body for c in comments] == [f"comment {n}" for n in range(75)]
    lists = fake.requests_to("/comments", "GET")
    assert len(lists) == 3
    first_link = lists[0].response_headers["Link"]
    assert re.search(r'rel="next".*rel="last"', first_link)
    assert f"/repositories/{repo.id}/issues/12/comments?" in first_link
    assert 'rel="prev"' in lists[2].response_headers["Link"]
    assert 'rel="next"' not in lists[2].response_headers["Link"]
    response = requests.get(
        f"{fake.api_url}/repos/acme/shop/issues/12/comments",
        params={"per_page": 500, "page": 1},
        headers={"Authorization": f"token {USER_TOKEN}"},
        timeout=10,
    )
    assert len(response.json()) == 75  # per_page is capped at 100
    assert "Link" not in response.headers
    missing = requests.get(
        f"{fake.api_url}/repos/acme/shop/issues/404/comments",
        headers={"Authorization": f"token {USER_TOKEN}"},
        timeout=10,
    )
    assert missing.status_code == 404


def test_create_edit_and_delete_comments(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    repo.issue(number=12)
    someone_elses = repo.comment(12, "not yours", "hubot")
    issue = pygithub(fake, BOT_TOKEN).get_repo("acme/shop").get_issue(12)
    created = issue.create_comment("deploygate: blocked")
    assert created.user.login == "github-actions[bot]"
    assert created.user.type == "Bot"
    stored = repo.comments(12)[-1]
    assert (stored.id, stored.body) == (created.id, "deploygate: blocked")
    created.edit("deploygate: clear")
    assert repo.comments(12)[-1].body == "deploygate: clear"
    foreign = issue.get_comment(someone_elses.id)
    with pytest.raises(github.GithubException) as raised:
        foreign.edit("mine now")
    assert raised.value.status == 403
    with pytest.raises(github.GithubException):
        foreign.delete()
    created.delete()
    assert [c.body for c in repo.comments(12)] == ["not yours"]
    with pytest.raises(github.GithubException) as raised:
        issue.create_comment("x" * 65537)
    assert raised.value.status == 422
    fake.world.token("ghs_readonly", login="github-actions[bot]", can_comment=False)
    readonly = pygithub(fake, "ghs_readonly").get_repo("acme/shop").get_issue(12)
    with pytest.raises(github.GithubException) as raised:
        readonly.create_comment("nope")
    assert raised.value.status == 403
    assert [r.status for r in fake.requests_to("/comments", "POST")] == [201, 422, 403]
    assert [r.status for r in fake.requests_to("/comments/", "PATCH")] == [200, 403]
    assert [r.status for r in fake.requests_to("/comments/", "DELETE")] == [403, 204]


def test_admin_may_edit_others_comments_and_missing_ones_are_404(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    repo.issue(number=1)
    comment = repo.comment(1, "typo", "hubot")
    fake.world.token("ghp_admin", login="admin", admin=True)
    url = f"{fake.api_url}/repos/acme/shop/issues/comments/{comment.id}"
    headers = {"Authorization": "token ghp_admin"}
    assert requests.patch(url, json={"body": "fixed"}, headers=headers, timeout=10).ok
    assert comment.body == "fixed"
    assert requests.delete(url, headers=headers, timeout=10).status_code == 204
    assert requests.delete(url, headers=headers, timeout=10).status_code == 404


# ---------------------------------------------------------------------------
# Request log, faults, latency and rate limits: what reliability tests build on
# ---------------------------------------------------------------------------


def test_request_log_records_what_was_sent(fake: FakeGitHub) -> None:
    fake.world.repo("acme/shop")
    post_graphql(fake, queries.DEPLOYMENTS, owner="acme", name="shop")
    [record] = fake.requests
    assert (record.method, record.path, record.status) == ("POST", "/graphql", 200)
    assert record.json()["variables"] == {"owner": "acme", "name": "shop"}
    assert record.headers["authorization"] == f"bearer {BOT_TOKEN}"
    assert BOT_TOKEN not in record.text().replace(record.headers["authorization"], "")
    assert record.time <= time.time()
    assert BOT_TOKEN.encode() not in record.response_body


def test_faults_fail_matching_requests_a_number_of_times(fake: FakeGitHub) -> None:
    fake.world.repo("acme/shop")
    fault = fake.faults.add("/graphql", status=502, times=2)
    statuses = [
        post_graphql(fake, queries.DEPLOYMENTS, owner="acme", name="shop").status_code
        for _ in range(3)
    ]
    assert statuses == [502, 502, 200]
    assert fault.hits == 2
    assert fake.requests[0].response_headers["X-RateLimit-Resource"] == "graphql"
    fake.faults.add(
        lambda r: r.method == "GET",
        status=403,
        headers={"Retry-After": "60"},
        times=None,
    )
    response = requests.get(f"{fake.api_url}/user", timeout=10)
    assert response.status_code == 403
    assert response.headers["Retry-After"] == "60"
    assert "secondary rate limit" in response.json()["message"]
    fake.faults.clear()


def test_fault_after_store_performs_the_action(fake: FakeGitHub) -> None:
    repo = fake.world.repo("acme/shop")
    repo.issue(number=12)
    fake.faults.add("/comments", method="POST", status=502, after_store=True)
    issue = pygithub(fake, BOT_TOKEN).get_repo("acme/shop").get_issue(12)
    with pytest.raises(github.GithubException) as raised:
        issue.create_comment("lost answer")
    assert raised.value.status == 502
    assert [c.body for c in repo.comments(12)] == ["lost answer"]


def test_dropped_connections_delays_and_latency(fake: FakeGitHub) -> None:
    fake.world.repo("acme/shop")
    fake.faults.add("/graphql", drop=True)
    with pytest.raises(requests.ConnectionError):
        post_graphql(fake, queries.DEPLOYMENTS, owner="acme", name="shop")
    fake.faults.add("/graphql", status=None, delay=0.3)
    with pytest.raises(requests.Timeout):
        requests.post(fake.graphql_url, json={}, timeout=0.1)
    fake.latency = 0.05
    started = time.monotonic()
    assert post_graphql(fake, queries.DEPLOYMENTS, owner="acme", name="shop").ok
    assert time.monotonic() - started >= 0.05


def test_rest_rate_limit(fake: FakeGitHub) -> None:
    gh = pygithub(fake, USER_TOKEN)
    assert gh.get_user().login == "octocat"
    bucket = fake.rate_limit(USER_TOKEN)
    assert (bucket.limit, bucket.remaining, bucket.used) == (5000, 4999, 1)
    bucket.remaining = 0
    response = requests.get(
        f"{fake.api_url}/user", headers={"Authorization": f"token {USER_TOKEN}"}, timeout=10
    )
    assert response.status_code == 403
    assert response.headers["X-RateLimit-Remaining"] == "0"
    assert response.json()["message"].startswith("API rate limit exceeded")


def test_world_defaults() -> None:
    world = GitHubWorld(web_host="ghe.example.com")
    repo = world.repo("acme/shop")
    assert world.repo("ACME/Shop") is repo
    first, second = repo.issue(), repo.issue()
    assert (first.number, second.number) == (1, 2)
    assert second.url == "https://ghe.example.com/acme/shop/issues/2"
    deployments = [repo.deployment() for _ in range(3)]
    ids = [d.database_id for d in deployments]
    assert len(set(ids)) == 3
    assert all(2**32 < i < 2**53 for i in ids)  # past 32 bits, as on github.com
    with pytest.raises(ValueError, match="timezone-aware"):
        repo.issue(created_at=datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="does not exist"):
        repo.comment(99, "nowhere")
