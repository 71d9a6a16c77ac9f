"""The Rootly source end to end: the CLI against the fake Rootly, with the deployments in the
local store (and Jira, for exported items).

Each test builds the few incidents it is about and asserts the findings,
notices and requests that those records imply: how statuses map, which
incidents are postmortems, which items count, paging, the request budget,
and the one clear line for a missing token or scope.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import findings_by_rule, json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.jira import FakeJira, fake_jira  # noqa: F401
from fakes.rootly import FakeRootly, fake_rootly  # noqa: F401
from fakes.worlds import GITHUB_TOKEN, NOW, at

from deploygate.http import MAX_IN_FLIGHT

TOKEN = "rootly_CANARY_source_0123456789"
RUN = "https://ci.example.com/runs/{}"


def project(tmp_path: Path, rootly: FakeRootly, table: str = "", sources: str = "") -> Path:
    """Two failed deployments of checkout in the local store (d1 40 days ago, d2 10 days ago)
    and a successful one; the postmortems come from Rootly."""
    (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)
    records = [
        ("d1", "failure", at(40), "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"),
        ("d2", "failure", at(10), "2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c"),
        ("d3", "success", at(9), "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d"),
    ]
    (tmp_path / "deployments.jsonl").write_text(
        "".join(
            json.dumps({"id": id_, "service": "checkout", "environment": "production",
                        "status": status, "sha": sha, "url": RUN.format(id_),
                        "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n"
            for id_, status, moment, sha in records
        ),
        encoding="utf-8",
    )  # fmt: skip
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = ["local", "rootly"{sources}]\n[local]\npostmortems = "postmortems"\n'
        f'history = "deployments.jsonl"\n[rootly]\nurl = "{rootly.url}"\n{table}',
        encoding="utf-8",
    )
    return config


def check(config: Path, *args: str, env: dict[str, str | None] | None = None) -> Result:
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env={"ROOTLY_API_TOKEN": TOKEN, **(env or {})},
    )  # fmt: skip


def rootly_status(report: dict[str, Any]) -> dict[str, Any]:
    [status] = [source for source in report["sources"] if source["name"] == "rootly"]
    return dict(status)


def items(report: dict[str, Any], rule: str) -> list[tuple[str, str | None]]:
    return [
        (f["action_item"]["title"], f["action_item"]["team"])
        for f in findings_by_rule(report, rule)
    ]


def incident(rootly: FakeRootly, title: str = "Checkout 500s", **kwargs: Any) -> Any:
    world = rootly.world
    if not world.keys:
        world.api_key(TOKEN)
    checkout = next((s for s in world.services if s.slug == "checkout"), None)
    checkout = checkout or world.service("checkout", "Checkout")
    kwargs.setdefault("summary", f"The deploy {RUN.format('d1')} failed.")
    kwargs.setdefault("created_at", at(39))
    return world.incident(title, services=[checkout], **kwargs)


def test_statuses_map_and_teams_come_from_the_assigned_groups(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    """open and in_progress are open, done is done, cancelled is declined (Rootly keeps no
    reason); the team is the assigned group's name, never the assignee."""
    world = fake_rootly.world
    payments, platform = world.team("payments"), world.team("platform")
    pm = incident(fake_rootly)
    pm.action_item("Alert on the burn rate", status="open", teams=[payments],
                   due_date=NOW.date() + timedelta(days=30))  # fmt: skip
    pm.action_item("Validate the config in CI", status="in_progress", teams=[platform],
                   due_date=NOW.date() - timedelta(days=1))  # fmt: skip
    pm.action_item("Rewrite the payment client", status="cancelled", teams=[payments])
    pm.action_item("Add a canary stage", status="done", teams=[platform])
    result = check(project(tmp_path, fake_rootly))
    report = json_report(result.stdout)
    assert result.exit_code == 1, result.output  # the overdue item blocks
    assert items(report, "open-action-item") == [("Alert on the burn rate", "payments")]
    assert items(report, "overdue-action-item") == [("Validate the config in CI", "platform")]
    [declined] = findings_by_rule(report, "declined-action-item")
    assert declined["action_item"]["reason"] == "cancelled in Rootly"
    assert declined["message"].endswith(": cancelled in Rootly")
    assert report["summary"]["open_action_items"] == 2
    [reviewed] = findings_by_rule(report, "reviewed-failure")
    assert reviewed["deployment"]["id"] == "d1"
    assert reviewed["postmortem"]["url"] == pm.url
    assert reviewed["postmortem"]["state"] == "closed"  # its retrospective is completed
    assert rootly_status(report)["coverage"] == {
        "deployments": 0, "environments": [], "first_deployment": None,
        "last_deployment": None, "postmortems": 1, "action_items": 4,
    }  # fmt: skip


def test_a_status_added_later_is_open_with_a_notice_naming_it(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    fake_rootly.world.novel_statuses.add("blocked")
    pm = incident(fake_rootly, retrospective="active")
    pm.action_item("Alert on the burn rate", status="blocked")
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    assert items(report, "open-action-item") == [("Alert on the burn rate", None)]
    [notice] = rootly_status(report)["notices"]
    assert "has the status 'blocked', which deploygate does not know" in notice
    assert "counted as open" in notice
    [reviewed] = findings_by_rule(report, "reviewed-failure")
    assert reviewed["postmortem"]["state"] == "open"  # its retrospective is under way


def test_tasks_skipped_retrospectives_and_cancelled_incidents_are_no_lessons(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    """A task is work during the incident, not a lesson; an incident whose retrospective was
    skipped, or that was cancelled, reviews nothing: d1 stays unreviewed (and d2, which no
    incident names or follows within the window)."""
    pm = incident(fake_rootly, retrospective="skipped")
    pm.action_item("Follow-up of a skipped retrospective", status="open")
    other = incident(fake_rootly, "False alarm", status="cancelled")
    other.action_item("Follow-up of a cancelled incident", status="open")
    kept = incident(fake_rootly, "Checkout slow", summary="No deploy named.", created_at=at(2))
    kept.action_item("Page the payments team", status="open", kind="task")
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    assert findings_by_rule(report, "open-action-item") == []
    unreviewed = findings_by_rule(report, "unreviewed-failure")
    assert [f["deployment"]["id"] for f in unreviewed] == ["d1", "d2"]
    assert rootly_status(report)["coverage"]["postmortems"] == 1
    # Only the kept incident's items were asked for.
    assert [r.path for r in fake_rootly.requests_to("/action_items")] == [
        f"/v1/incidents/{kept.id}/action_items"
    ]


def test_a_failure_linked_by_time_is_measured_to_the_incidents_start(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    """d2 failed 10 days ago; the incident started 5 h later, its retrospective was written
    days after: linked by the window from the failure to the incident's start."""
    incident(fake_rootly, summary="Sessions were lost.", created_at=at(6),
             started_at=at(10, hour=15))  # fmt: skip
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    by_deployment = {f["deployment"]["id"]: f for f in findings_by_rule(report, "reviewed-failure")}
    assert list(by_deployment) == ["d2"]
    assert (
        "(linked by time-window: its incident started 5 h after the failure"
        in (by_deployment["d2"]["message"])
    )


def test_an_incident_deleted_while_read_is_left_out_with_a_notice(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    kept, gone = incident(fake_rootly), incident(fake_rootly, "Checkout slow", created_at=at(9))
    kept.action_item("Alert on the burn rate", status="open")
    deleted = kept.action_item("A deleted follow-up", status="open")
    deleted.deleted = True
    gone.action_item("Never read", status="open")
    original = fake_rootly.answer

    def delete_after_listing(record: Any) -> Any:
        if record.path == "/v1/incidents":
            response = original(record)
            gone.deleted = True
            return response
        return original(record)

    fake_rootly.answer = delete_after_listing  # type: ignore[method-assign]
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    assert items(report, "open-action-item") == [("Alert on the burn rate", None)]
    [notice] = rootly_status(report)["notices"]
    assert f"incident #{gone.sequential_id} was deleted while it was read" in notice
    assert rootly_status(report)["ok"] is True


def test_pages_are_followed_and_requests_grow_with_postmortems_at_most_8_at_once(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    """105 incidents (two pages of 100) and 130 items on one of them (two pages): every
    page is read through links.next, one list of items per postmortem, never more than
    MAX_IN_FLIGHT at a time."""
    first = incident(fake_rootly, summary="No deploy named.")
    for n in range(130):
        first.action_item(f"Lesson {n}", status="done")
    for n in range(104):
        incident(fake_rootly, f"Checkout incident {n}", summary="No deploy named.")
    in_flight, most = [0], [0]
    lock = threading.Lock()
    original = fake_rootly.answer

    def counted(record: Any) -> Any:
        with lock:
            in_flight[0] += 1
            most[0] = max(most[0], in_flight[0])
        try:
            fake_rootly.wait(0.01)  # lets concurrent lists overlap
            return original(record)
        finally:
            with lock:
                in_flight[0] -= 1

    fake_rootly.answer = counted  # type: ignore[method-assign]
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    status = rootly_status(report)
    assert status["coverage"]["postmortems"] == 105
    assert status["coverage"]["action_items"] == 130
    incident_pages = fake_rootly.requests_to("/v1/incidents", "GET")
    listings = [r for r in incident_pages if r.path == "/v1/incidents"]
    assert [r.query.get("page[number]") for r in listings] == ["1", "2"]
    assert len(fake_rootly.requests_to(f"/{first.id}/action_items")) == 2
    assert status["requests"] == len(fake_rootly.requests) == 2 + 105 + 1
    assert 1 < most[0] <= MAX_IN_FLIGHT


def test_services_are_matched_by_name_when_configured(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    world = fake_rootly.world
    world.api_key(TOKEN)
    shop = world.service("shop-checkout-api", "checkout")
    search = world.service("checkout", "Search")  # its slug is no match by name
    world.incident("By name", services=[shop], created_at=at(39),
                   summary=f"The deploy {RUN.format('d1')} failed.")  # fmt: skip
    world.incident("Slug only", services=[search], created_at=at(9), summary="d2")
    config = project(tmp_path, fake_rootly, 'service-match = "name"\n')
    report = json_report(check(config).stdout)
    assert [f["postmortem"]["title"] for f in findings_by_rule(report, "reviewed-failure")] == [
        "By name"
    ]
    assert fake_rootly.requests_to("/v1/incidents")[0].query["filter[service_names]"] == "checkout"


def test_an_item_exported_to_jira_takes_jiras_state_and_counts_once(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
) -> None:
    """OPS-1 is open in Rootly and done in Jira: Jira's state wins. OPS-2 is in a project
    Jira does not know: Rootly's state stands, and Jira says it left the key out."""
    fake_jira.world.cloud_account("sre@acme.test", "jira-token")
    ops = fake_jira.world.project("OPS")
    ops.issue("Alert on the burn rate (Jira)", status="Done", created=at(38))
    pm = incident(fake_rootly)
    pm.action_item("Alert on the burn rate", status="open", jira_issue_key="OPS-1",
                   jira_issue_url=f"{fake_jira.url}/browse/OPS-1")  # fmt: skip
    pm.action_item("Validate the config", status="open", jira_issue_key="OPS-2",
                   jira_issue_url=f"{fake_jira.url}/browse/OPS-2")  # fmt: skip
    table = f'[jira]\nurl = "{fake_jira.url}"\nprojects = ["OPS"]\n'
    config = project(tmp_path, fake_rootly, table, sources=', "jira"')
    env = {"JIRA_EMAIL": "sre@acme.test", "JIRA_API_TOKEN": "jira-token"}
    report = json_report(check(config, env=env).stdout)
    assert [f["action_item"]["id"] for f in findings_by_rule(report, "open-action-item")] == [
        "OPS-2"
    ]
    assert report["summary"]["open_action_items"] == 1
    jira = next(source for source in report["sources"] if source["name"] == "jira")
    assert any("OPS-2" in notice for notice in jira["notices"])


def test_without_jira_an_exported_item_keeps_rootlys_state(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    pm = incident(fake_rootly)
    pm.action_item("Alert on the burn rate", status="open", jira_issue_key="OPS-1",
                   jira_issue_url="https://acme.atlassian.net/browse/OPS-1")  # fmt: skip
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    [item] = [f["action_item"] for f in findings_by_rule(report, "open-action-item")]
    assert (item["id"], item["url"]) == ("OPS-1", "https://acme.atlassian.net/browse/OPS-1")


@pytest.mark.parametrize(
    ("token", "reads", "expected"),
    [
        (None, True, "no Rootly token: set ROOTLY_API_TOKEN to an API key that can read"),
        ("rootly_wrong", True, "Rootly rejected the token (401); check ROOTLY_API_TOKEN"),
        (TOKEN, False, "(403); it needs an API key that can read incidents"),
    ],
    ids=["no-token", "wrong-token", "no-scope"],
)
def test_a_token_that_cannot_read_is_one_clear_line_and_exit_3(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
    token: str | None,
    reads: bool,
    expected: str,
) -> None:
    fake_rootly.world.api_key(TOKEN, reads_incidents=reads)
    incident(fake_rootly).action_item("Alert on the burn rate")
    result = check(project(tmp_path, fake_rootly), env={"ROOTLY_API_TOKEN": token})
    assert result.exit_code == 3, result.output
    status = rootly_status(json_report(result.stdout))
    assert status["ok"] is False
    assert expected in status["error"]
    assert "\n" not in status["error"]
    assert TOKEN not in result.output


def test_a_retrospective_status_added_later_is_an_open_postmortem_with_a_notice(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    fake_rootly.world.novel_statuses.add("in_review")
    incident(fake_rootly, retrospective="in_review")
    report = json_report(check(project(tmp_path, fake_rootly)).stdout)
    [reviewed] = findings_by_rule(report, "reviewed-failure")
    assert reviewed["postmortem"]["state"] == "open"
    [notice] = rootly_status(report)["notices"]
    assert "retrospective status Rootly did not have" in notice
    assert "'in_review'" in notice


def test_a_service_only_rootly_knows_is_seen_but_never_as_deploying(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
) -> None:
    """Rootly's coverage counts postmortems and items, never deployments: a service whose
    only records are Rootly's is seen (no no-evidence), and the report says that nothing
    deployed; a misspelt service finds no incident, and no-evidence says nothing was read."""
    incident(fake_rootly).action_item("Alert on the burn rate", status="done")
    config = project(tmp_path, fake_rootly)
    (tmp_path / "deployments.jsonl").write_text("", encoding="utf-8")
    text = run_cli("check", "--config", str(config), "--service", "checkout", "--now",
                   NOW.isoformat(), env={"ROOTLY_API_TOKEN": TOKEN}).stdout  # fmt: skip
    assert "read: rootly: no deployments; 1 postmortem; 1 action item" in text
    assert "read: local: no deployments; 0 postmortems; 0 action items" in text
    assert "no-evidence" not in text
    misspelt = json_report(
        run_cli("check", "--config", str(config), "--service", "chekout", "--now",
                NOW.isoformat(), "--format", "json", env={"ROOTLY_API_TOKEN": TOKEN}).stdout
    )  # fmt: skip
    [finding] = findings_by_rule(misspelt, "no-evidence")
    assert (
        "No source has a deployment, postmortem or action item of service 'chekout'"
        in (finding["message"])
    )
    assert fake_rootly.requests_to("/v1/incidents")[-1].query["filter[services]"] == "chekout"


def test_a_github_issue_a_description_names_is_not_taken_for_the_item(
    tmp_path: Path,
    fake_rootly: FakeRootly,  # noqa: F811
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    """Rootly's API has no field for a GitHub issue, and a description is anyone's words:
    an overdue open follow-up whose description names an old closed issue ("same root
    cause as ...") stays overdue, and blocks; GitHub is asked for no issue."""
    world = fake_github.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    shop.deployment(environment="production", state="FAILURE", created_at=at(40),
                    log_url=RUN.format("d1"))  # fmt: skip
    old = shop.issue(title="An old lesson", state="CLOSED", state_reason="COMPLETED",
                     created_at=at(80), closed_at=at(70))  # fmt: skip
    incident(fake_rootly).action_item(
        "Validate the config", status="open", due_date=NOW.date() - timedelta(days=1),
        description=f"Same root cause as {old.url}",
    )  # fmt: skip
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = ["github", "rootly"]\n[github]\nrepository = "acme/shop"\n'
        f'[rootly]\nurl = "{fake_rootly.url}"\n'
    )
    env = fake_github.actions_env(GITHUB_TOKEN, "acme/shop")
    before = len(fake_github.requests)

    result = check(config, env={**env, "GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""})

    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    assert report["verdict"] == "block"
    [overdue] = [f["action_item"] for f in findings_by_rule(report, "overdue-action-item")]
    assert overdue["title"] == "Validate the config"
    assert "github.com" not in overdue["url"]
    assert not [r for r in fake_github.requests[before:] if b"issue0" in r.body]
