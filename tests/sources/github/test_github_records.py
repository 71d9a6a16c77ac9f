"""The GitHub source's decoders (records.py) and its pure mappers (source.py), without a server.

A malformed answer is refused by the decoder that reads it, naming the record
and the field; a well-formed one becomes a typed record, and the mappers turn
records into the model without looking at JSON again.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest

from deploygate.model import ActionItemState, DeploymentStatus, PostmortemState
from deploygate.sources.github import records, source
from deploygate.sources.github.queries import IssueSchema
from deploygate.sources.github.settings import GitHubSettings

UTC = timezone.utc
SETTINGS = GitHubSettings(
    repository="acme/shop",
    postmortem_repository="acme/incidents",
    api_url="https://api.github.com",
    graphql_url="https://api.github.com/graphql",
    web_url="https://github.com",
)


def deployment_node(**fields: Any) -> dict[str, Any]:
    return {
        "databaseId": 7,
        "createdAt": "2026-09-14T10:20:00Z",
        "commitOid": "abc123",
        "environment": "production",
        "description": "Checkout build 7",
        "state": "FAILURE",
        "latestStatus": {
            "description": None,
            "logUrl": "https://github.com/acme/shop/actions/runs/42/job/9",
        },
        "commit": {"messageHeadline": "Revert config move"},
    } | fields


def issue_node(number: int = 2, **fields: Any) -> dict[str, Any]:
    return {
        "number": number,
        "title": "Add a canary",
        "url": f"https://github.com/acme/shop/issues/{number}",
        "body": "Due: 2026-10-21",
        "state": "CLOSED",
        "stateReason": "NOT_PLANNED",
        "createdAt": "2026-09-15T00:00:00Z",
        "closedAt": "2026-09-20T00:00:00Z",
        "repository": {"nameWithOwner": "acme/shop"},
        "milestone": None,
        "labels": {"nodes": [{"name": "team:payments"}]},
    } | fields


def postmortem_node(**fields: Any) -> dict[str, Any]:
    return {
        "number": 1,
        "title": "Checkout returned 500s",
        "url": "https://github.com/acme/incidents/issues/1",
        "body": "## Lessons\n- [ ] acme/shop#3\n- [x] acme/shop#2\n",
        "state": "OPEN",
        "createdAt": "2026-09-14T12:00:00Z",
        "repository": {"nameWithOwner": "acme/incidents"},
        "labels": {"nodes": [{"name": "postmortem"}, {"name": "cause:config"}]},
        "subIssues": {"nodes": [issue_node()]},
        "subIssuesSummary": {"total": 1},
    } | fields


def test_a_deployment_is_decoded_once_and_mapped_without_json() -> None:
    record = records.deployment(deployment_node())
    assert record.database_id == 7
    assert record.created_at == datetime(2026, 9, 14, 10, 20, tzinfo=UTC)
    deployment = source._deployment(record, "checkout", SETTINGS)
    assert deployment.status is DeploymentStatus.FAILURE
    assert deployment.url == "https://github.com/acme/shop/actions/runs/42/job/9"
    assert deployment.commit_title == "Revert config move"
    assert deployment.description == "Checkout build 7"
    assert source.actions_run(deployment, SETTINGS.web_url) == (
        "https://github.com/acme/shop/actions/runs/42"
    )


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"createdAt": "yesterday"}, "deployment 7 without a valid createdAt ('yesterday')"),
        ({"databaseId": "7"}, "a deployment without a databaseId"),
        ({"environment": ["production"]}, "deployment 7 with the environment ['production']"),
        ({"latestStatus": {"logUrl": 5}}, "deployment 7 with the latestStatus.logUrl 5"),
    ],
)
def test_a_malformed_deployment_is_refused_naming_record_and_field(
    fields: dict[str, Any], said: str
) -> None:
    with pytest.raises(records.Malformed) as raised:
        records.deployment(deployment_node(**fields))
    assert said in str(raised.value)


@pytest.mark.parametrize(
    ("node_id", "number"),
    [
        # As github.com packs it: [0, repository 726337282, number 3065476931] as uint32.
        ("DE_kwDOK0sHAs62t3dD", 3_065_476_931),
        # Past 2**53, packed as uint64; and a small one, packed as a fixint.
        ("DE_kwDOK0sHAs8AIAAAAAAAAQ", 2**53 + 1),
        ("DE_kwDOK0sHAgU", 5),
        # The legacy format: base64 of "010:Deployment3065476931".
        ("MDEwOkRlcGxveW1lbnQzMDY1NDc2OTMx", 3_065_476_931),
    ],
)
def test_a_deployment_past_32_bits_is_numbered_from_its_node_id(node_id: str, number: int) -> None:
    """A spec-conforming server answers such a databaseId null: the node id carries it."""
    assert records.deployment(deployment_node(databaseId=None, id=node_id)).database_id == number
    # When the server answers the number, it is taken as it is.
    assert records.deployment(deployment_node(databaseId=number, id=node_id)).database_id == number


@pytest.mark.parametrize(
    "node_id",
    [
        *(None, "", "DE_", "DE_!!!"),
        *("I_kwDOK0sHAgU", "DE_kwDOK0sHAg", "DE_kwDOK0sHAgUA", "MDU6SXNzdWU1"),
    ],
)
def test_a_deployment_without_a_number_anywhere_is_refused(node_id: str | None) -> None:
    """No id, not base64, an issue's id, cut short, trailing bytes, a legacy issue's id."""
    with pytest.raises(records.Malformed, match="a deployment without a databaseId"):
        records.deployment(deployment_node(databaseId=None, id=node_id))


def test_a_page_without_page_info_is_refused() -> None:
    with pytest.raises(records.Malformed, match="a deployments page with the pageInfo None"):
        records.deployments_page({"nodes": [], "pageInfo": None})
    page = records.deployments_page(
        {"nodes": [deployment_node()], "pageInfo": {"hasNextPage": True, "endCursor": "c2"}}
    )
    assert page.next_cursor == "c2"
    assert [record.database_id for record in page.records] == [7]


def test_a_postmortem_and_its_action_items_map_to_the_model() -> None:
    record = records.postmortem(postmortem_node())
    assert record.sub_issues_complete
    assert source.references(record, SETTINGS) == [("acme/shop", 3), ("acme/shop", 2)]
    looked_up = {("acme/shop", 3): records.issue(issue_node(3, state="OPEN", stateReason=None))}
    postmortem = source._postmortem(record, looked_up, "checkout", SETTINGS)
    assert postmortem is not None
    assert postmortem.id == "acme/incidents#1"
    assert postmortem.state is PostmortemState.OPEN
    assert postmortem.service is None  # no service label: every service's
    assert postmortem.causes == ("config",)
    declined, still_open = postmortem.action_items
    assert (declined.id, declined.state, declined.reason) == (
        "acme/shop#2",
        ActionItemState.DECLINED,
        "closed as not planned",
    )
    assert declined.team == "payments"
    assert declined.due == date(2026, 10, 21)
    assert declined.closed_at == datetime(2026, 9, 20, tzinfo=UTC)
    assert (still_open.id, still_open.state, still_open.closed_at) == (
        "acme/shop#3",
        ActionItemState.OPEN,
        None,
    )


def test_a_postmortem_for_another_service_is_left_out() -> None:
    labels = {"nodes": [{"name": "postmortem"}, {"name": "service:search"}]}
    record = records.postmortem(postmortem_node(labels=labels))
    assert source._postmortem(record, {}, "checkout", SETTINGS) is None
    assert source._postmortem(record, {}, "search", SETTINGS) is not None


def test_a_postmortem_with_more_sub_issues_than_its_page_is_read_again() -> None:
    record = records.postmortem(postmortem_node(subIssuesSummary={"total": 60}))
    assert not record.sub_issues_complete


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {"number": "two"},
            "issue acme/shop#'two' (https://github.com/acme/shop/issues/two) with the number",
        ),
        (
            {"state": "MERGED"},
            "issue https://github.com/acme/shop/issues/2 with the state 'MERGED'",
        ),
        ({"closedAt": "last week"}, "acme/shop#2 (https://github.com/acme/shop/issues/2) with "),
        ({"labels": [{"name": "x"}]}, "/issues/2) with the labels [{'name': 'x'}]"),
        (
            {"createdAt": None},
            "acme/shop#2 (https://github.com/acme/shop/issues/2) without a valid",
        ),
    ],
)
def test_a_malformed_action_item_is_refused_naming_the_issue(
    fields: dict[str, Any], said: str
) -> None:
    with pytest.raises(records.Malformed) as raised:
        records.issue(issue_node(**fields))
    assert said in str(raised.value)


def test_a_look_up_answered_with_a_list_is_refused() -> None:
    with pytest.raises(records.Malformed, match="the look-up of issue acme/shop#3 with"):
        records.looked_up_issue({"issue": ["x"]}, ("acme/shop", 3))
    assert records.looked_up_issue(None, ("acme/shop", 3)) is None


def run_json(**fields: Any) -> dict[str, Any]:
    return {
        "id": 42,
        "node_id": "WFR_42",
        "html_url": "https://github.com/acme/runs/actions/runs/42",
        "created_at": "2026-09-14T10:00:00Z",
        "run_started_at": "2026-09-14T10:05:00Z",
        "status": "completed",
        "conclusion": "success",
        "head_sha": "abc",
        "head_commit": {"message": "Ship it\n\nbody"},
        "display_title": "Ship it",
        "url": "https://api.github.com/repos/acme/runs/actions/runs/42",
    } | fields


def test_a_workflow_run_keeps_its_listing_cursor_and_its_start() -> None:
    run = records.workflow_run(run_json())
    assert run.created_at == "2026-09-14T10:00:00Z"
    assert run.started_at == datetime(2026, 9, 14, 10, 5, tzinfo=UTC)
    assert run.commit_message == "Ship it\n\nbody"
    with pytest.raises(records.Malformed, match="runs/42 with the created_at 'yesterday'"):
        records.workflow_run(run_json(created_at="yesterday"))
    with pytest.raises(records.Malformed, match="workflow run 42 without an html_url"):
        records.workflow_run(run_json(html_url=""))


def test_a_job_reads_its_steps_from_every_page_in_order() -> None:
    check_run = records.check_run(
        {
            "id": "CR_1",
            "name": "deploy",
            "conclusion": "FAILURE",
            "steps": {
                "pageInfo": {"hasNextPage": True, "endCursor": "s2"},
                "nodes": [{"name": "Set up job", "conclusion": "SUCCESS", "number": 1}],
            },
        },
        "workflow run 42",
    )
    assert check_run.steps.next_cursor == "s2"
    more = records.more_steps(
        {
            "node": {
                "steps": {
                    "pageInfo": {"hasNextPage": False, "endCursor": None},
                    "nodes": [None, {"name": "Migrate", "conclusion": "FAILURE", "number": 2}],
                }
            }
        },
        check_run.label,
    )
    job = records.job(check_run, more.records)
    assert [step.name for step in job.steps] == ["Set up job", "Migrate"]
    with pytest.raises(records.Malformed, match="step '1' of job 'deploy' of workflow run 42"):
        records.steps_page(
            {"nodes": [{"name": "x", "conclusion": None, "number": "1"}]}, check_run.label
        )


@pytest.mark.parametrize(
    ("fields", "offers"),
    [
        (
            [
                {"name": "subIssues", "args": [{"name": "first"}]},
                {"name": "subIssuesSummary", "args": []},
                {"name": "stateReason", "args": [{"name": "enableDuplicate"}]},
            ],
            IssueSchema(sub_issues=True, duplicate_reason=True),
        ),
        (
            [{"name": "subIssues", "args": []}, {"name": "stateReason", "args": []}],
            IssueSchema(sub_issues=False, duplicate_reason=False),
        ),
        (
            [
                {"name": "stateReason", "args": [{"name": "enableDuplicate"}]},
                {"name": "title", "args": []},
            ],
            IssueSchema(sub_issues=False, duplicate_reason=True),
        ),
    ],
)
def test_what_a_server_offers_is_read_from_its_introspection(
    fields: list[dict[str, Any]], offers: IssueSchema
) -> None:
    """Sub-issues need both fields; duplicates need the argument: any mix is possible."""
    assert records.issue_schema({"issue": {"fields": fields}}) == offers


@pytest.mark.parametrize("answer", [{}, {"issue": None}, {"issue": {"fields": [{"name": 1}]}}])
def test_a_malformed_introspection_is_refused(answer: dict[str, Any]) -> None:
    with pytest.raises(records.Malformed, match="introspection of Issue"):
        records.issue_schema(answer)
