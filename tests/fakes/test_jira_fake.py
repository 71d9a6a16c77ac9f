"""The fake Jira itself, driven with requests: it must answer as Atlassian documents.

A fake that drifted from Jira would let the tracker pass against something
Jira never says, so its paging, errors and auth are pinned here.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

import pytest
import requests

from fakes.jira import FakeJira, JiraWorld, evaluate, fake_jira  # noqa: F401

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
EMAIL, TOKEN = "sre@acme.test", "api-token"


def populated(world: JiraWorld) -> None:
    ops = world.project("OPS", components=["checkout", "search"])
    ops.issue("One", labels=["postmortem"], components=["checkout"], created=NOW)
    ops.issue("Two", labels=["postmortem", "service:checkout"], created=NOW, status="Done")
    ops.issue("Three", labels=["other"], components=["search"], created=NOW,
              duedate=date(2026, 12, 1), description="plain text\n\nsecond")  # fmt: skip
    world.project("SEC").issue("Four", labels=["postmortem"], created=NOW)


def search(fake: FakeJira, **params: Any) -> requests.Response:
    return requests.get(
        f"{fake.url}/rest/api/3/search/jql", params=params, auth=(EMAIL, TOKEN), timeout=5
    )


@pytest.mark.parametrize(
    ("jql", "keys"),
    [
        ('project in ("OPS") AND labels = "postmortem"', ["OPS-1", "OPS-2"]),
        (
            'labels = postmortem AND (component = "checkout" OR labels = "service:checkout")',
            ["OPS-1", "OPS-2"],
        ),
        ("project = SEC OR component in (search)", ["OPS-3", "SEC-1"]),
        ("key in (OPS-1, SEC-1) AND NOT labels = other ORDER BY key", ["OPS-1", "SEC-1"]),
        ('project in ("OPS") AND labels != "postmortem"', ["OPS-3"]),
        ('issuekey not in ("OPS-1")', ["OPS-2", "OPS-3", "SEC-1"]),
        ("", ["OPS-1", "OPS-2", "OPS-3", "SEC-1"]),
    ],
)
def test_the_jql_subset_selects_what_jira_would(jql: str, keys: list[str]) -> None:
    world = JiraWorld()
    populated(world)
    assert [issue.key for issue in evaluate(world, jql)] == keys


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ('component = "cart"', "The value 'cart' does not exist for the field 'component'."),
        ("project in (NOPE)", "The value 'NOPE' does not exist for the field 'project'."),
        (
            'key in ("OPS-1", "OPS-99")',
            "An issue with key 'OPS-99' does not exist for field 'key'.",
        ),
        ("team = sre", "Field 'team' does not exist or you do not have permission to view it."),
        ("labels = ", "Error in the JQL Query:"),
        ("(labels = a", "Error in the JQL Query:"),
        ("labels = a b", "Error in the JQL Query: Expecting either 'OR' or 'AND' but got 'b'."),
    ],
)
def test_bad_jql_is_a_400_with_error_messages(
    fake_jira: FakeJira,  # noqa: F811
    jql: str,
    message: str,
) -> None:
    populated(fake_jira.world)
    fake_jira.world.cloud_account(EMAIL, TOKEN)
    response = search(fake_jira, jql=jql)
    assert response.status_code == 400
    body = response.json()
    assert body["errors"] == {}
    [found] = body["errorMessages"]
    assert found.startswith(message)


def test_cloud_pages_by_next_page_token_and_returns_only_the_fields_asked_for(
    fake_jira: FakeJira,  # noqa: F811
) -> None:
    ops = fake_jira.world.project("OPS")
    for number in range(120):
        ops.issue(f"Item {number}", created=NOW, description="see https://x/1")
    fake_jira.world.cloud_account(EMAIL, TOKEN)
    first = search(fake_jira, jql="project = OPS", fields="summary,description", maxResults=500)
    page = first.json()
    assert len(page["issues"]) == 100  # capped when fields are asked for
    assert page["isLast"] is False
    assert "total" not in page
    issue = page["issues"][0]
    assert set(issue) == {"expand", "id", "self", "key", "fields"}
    assert set(issue["fields"]) == {"summary", "description"}
    assert issue["fields"]["description"]["type"] == "doc"
    last = search(fake_jira, jql="project = OPS", fields="summary",
                  nextPageToken=page["nextPageToken"], maxResults=500).json()  # fmt: skip
    assert [i["key"] for i in last["issues"]] == [f"OPS-{n}" for n in range(101, 121)]
    assert last["isLast"] is True
    assert "nextPageToken" not in last
    ids_only = search(fake_jira, jql="project = OPS", fields="key", maxResults=500).json()
    assert len(ids_only["issues"]) == 120
    other_query = search(fake_jira, jql="project = OPS AND labels = x",
                         nextPageToken=page["nextPageToken"])  # fmt: skip
    assert other_query.status_code == 400


def test_cloud_has_removed_the_old_search_and_wants_basic_auth(
    fake_jira: FakeJira,  # noqa: F811
) -> None:
    populated(fake_jira.world)
    fake_jira.world.cloud_account(EMAIL, TOKEN)
    old = requests.get(f"{fake_jira.url}/rest/api/3/search", auth=(EMAIL, TOKEN), timeout=5)
    assert old.status_code == 410
    assert "/rest/api/3/search/jql" in old.json()["errorMessages"][0]
    for auth in [(EMAIL, "wrong"), ("other@acme.test", TOKEN), None]:
        response = requests.get(f"{fake_jira.url}/rest/api/3/search/jql", auth=auth, timeout=5)
        assert response.status_code == 401
        assert response.headers["Content-Type"].startswith("text/plain")
    bearer = requests.get(f"{fake_jira.url}/rest/api/3/search/jql", timeout=5,
                          headers={"Authorization": f"Bearer {TOKEN}"})  # fmt: skip
    assert bearer.status_code == 401


def test_data_center_pages_by_start_at_with_a_total_and_plain_descriptions() -> None:
    fake = FakeJira(flavour="data-center", max_results=2)
    populated(fake.world)
    fake.world.personal_token("pat")
    with fake:
        url = f"{fake.url}/rest/api/2/search"
        headers = {"Authorization": "Bearer pat"}
        params: dict[str, Any] = {"jql": "project = OPS", "maxResults": 1000, "startAt": 2}
        page = requests.get(url, params=params, headers=headers, timeout=5).json()
        assert (page["startAt"], page["maxResults"], page["total"]) == (2, 2, 3)
        [three] = page["issues"]
        assert three["fields"]["description"] == "plain text\n\nsecond"
        assert three["fields"]["duedate"] == "2026-12-01"
        assert three["fields"]["created"] == "2026-11-20T12:00:00.000+0000"
        assert three["fields"]["status"]["statusCategory"]["key"] == "new"
        assert (
            requests.get(url, headers={"Authorization": "Bearer nope"}, timeout=5).status_code
            == 401
        )
        basic = requests.get(url, auth=(EMAIL, "pat"), timeout=5)
        assert basic.status_code == 401
        assert requests.get(f"{fake.url}/rest/api/3/search/jql", headers=headers,
                            timeout=5).status_code == 501  # fmt: skip
        fake.problems.clear()  # that 501 was asked for


def test_done_issues_carry_a_resolution_and_hidden_keys_look_missing(
    fake_jira: FakeJira,  # noqa: F811
) -> None:
    populated(fake_jira.world)
    account = fake_jira.world.cloud_account(EMAIL, TOKEN)
    two = search(fake_jira, jql="key = OPS-2", fields="status,resolution").json()["issues"][0]
    assert two["fields"]["status"]["statusCategory"]["key"] == "done"
    assert two["fields"]["resolution"]["name"] == "Done"
    account.hidden.add("OPS-2")
    hidden = search(fake_jira, jql='key in ("OPS-1", "OPS-2", "OPS-8", "OPS-9")')
    assert hidden.status_code == 400
    assert hidden.json()["errorMessages"] == [
        f"An issue with key '{key}' does not exist for field 'key'."
        for key in ("OPS-8", "OPS-9", "OPS-2")
    ]
    listing = search(fake_jira, jql="project = OPS").json()
    assert [i["key"] for i in listing["issues"]] == ["OPS-1", "OPS-3"]


def test_the_request_log_and_faults_are_the_fake_githubs(
    fake_jira: FakeJira,  # noqa: F811
) -> None:
    populated(fake_jira.world)
    fake_jira.world.cloud_account(EMAIL, TOKEN)
    fake_jira.faults.add("/search/jql", status=503, times=1)
    assert search(fake_jira, jql="project = OPS").status_code == 503
    assert search(fake_jira, jql="project = OPS").status_code == 200
    assert [r.status for r in fake_jira.requests] == [503, 200]
    assert fake_jira.requests[0].query == {"jql": "project = OPS"}
