"""The incident.io source end to end: the CLI against the fake incident.io (and GitHub, Jira).

incident.io holds postmortems and follow-ups but no deployments, so every
check names another source for those: the local store's history or GitHub's
deployments. Each test builds the records and asserts the exact findings
they imply, through the real HTTP client and the CLI.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import NOW, json_report, loop_report, run_cli
from fakes.clock import FakeClock
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.incidentio import FakeIncidentIo, IncidentIoWorld, fake_incidentio  # noqa: F401
from fakes.jira import FakeJira, fake_jira  # noqa: F401
from fakes.worlds import GITLAB_JOB_TOKEN, GITLAB_TOKEN

KEY = "inc_live_CANARY_0123456789abcdef"
GITHUB_TOKEN = "ghs_CANARY_incidentio_0123456789"
SHA_REVIEWED = "9b2e7d4c1a0f5e6b7c8d9e0f1a2b3c4d5e6f7a8b"
SHA_UNREVIEWED = "7c9e1a3b5d7f9e1a3b5d7f9e1a3b5d7f9e1a3b5d"


def at(days_ago: float) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=10, minute=0, second=0)


def write_local(root: Path, incidentio_url: str, extra: str = "", source: str = "local") -> Path:
    """A local store of two failed deployments and one success, and the config naming both."""
    (root / "postmortems").mkdir(exist_ok=True)
    records = [
        ("checkout-1", "failure", SHA_REVIEWED, at(40)),
        ("checkout-2", "success", "1" * 40, at(39)),
        ("checkout-3", "failure", SHA_UNREVIEWED, at(10)),
    ]
    (root / "deployments.jsonl").write_text(
        "".join(
            json.dumps(
                {
                    "id": ident,
                    "service": "checkout",
                    "environment": "production",
                    "status": status,
                    "sha": sha,
                    "created_at": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
            + "\n"
            for ident, status, sha, moment in records
        )
    )
    config = root / "deploygate.toml"
    config.write_text(
        f'source = ["{source}", "incident-io"]\nlookback = "90d"\n'
        '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n'
        f'[incident-io]\nurl = "{incidentio_url}"\ndeadline = "20s"\n{extra}'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    return config


def build(world: IncidentIoWorld) -> dict[str, Any]:
    """One reviewed incident with a follow-up of each status; others that must not count."""
    world.api_key(KEY)
    checkout = world.services.entry("checkout", aliases=["shop-checkout"])
    search = world.services.entry("search")
    world.statuses["Blocked on vendor"] = "waiting"  # a category incident.io adds later
    reviewed = world.incident(
        "Checkout returned 500s after the payment config rollout",
        summary=f"The deploy of {SHA_REVIEWED[:12]} failed in production.",
        created_at=at(39),
        services=[checkout],
        postmortem=True,
    )
    reviewed.follow_up("Alert on the payment error budget burn", team="payments", created_at=at(39))
    reviewed.follow_up("Validate the payment config in CI", status="completed", created_at=at(39))
    reviewed.follow_up(
        "Rewrite the payment client",
        status="not_doing",
        created_at=at(39),
        labels=["team:payments"],
    )
    reviewed.follow_up("Stale duplicate", status="deleted", created_at=at(39))
    reviewed.follow_up("Page the vendor", status="blocked", created_at=at(3))
    world.incident("Search is slow", services=[search], postmortem=True, created_at=at(20))
    world.incident("False alarm", services=[checkout], status="Declined", created_at=at(9))
    world.incident("Still firing", services=[checkout], status="Investigating", created_at=at(1))
    world.incident(
        "Waiting on the vendor",
        services=[checkout],
        status="Blocked on vendor",
        created_at=at(2),
        postmortem=True,
    )
    return {"reviewed": reviewed}


def run_check(config: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return run_cli(
        "check",
        "--config",
        str(config),
        "--service",
        "checkout",
        "--now",
        NOW.isoformat(),
        "--format",
        "json",
        *args,
        env={"INCIDENT_IO_API_KEY": KEY, **(env or {})},
    )


def observed(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            finding["level"],
            finding["rule"],
            (finding["deployment"] or {}).get("id"),
            (finding["action_item"] or {}).get("title"),
        )
        for finding in report["findings"]
    ]


EXPECTED = [
    ("error", "overdue-action-item", None, "Alert on the payment error budget burn"),
    ("warning", "open-action-item", None, "Page the vendor"),
    ("warning", "unreviewed-failure", "checkout-3", None),
    ("notice", "declined-action-item", None, "Rewrite the payment client"),
    ("notice", "declined-action-item", None, "Stale duplicate"),
    ("notice", "reviewed-failure", "checkout-1", None),
]


def test_local_deployments_and_incidentio_postmortems_give_exactly_the_expected_findings(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_incidentio.world)
    result = run_check(write_local(tmp_path, fake_incidentio.url))
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    assert observed(report) == EXPECTED
    source = next(s for s in report["sources"] if s["name"] == "incident-io")
    assert source["ok"] is True
    notices = " ".join(source["notices"])
    assert "'blocked'" in notices  # the follow-up status incident.io added later
    assert "'waiting'" in notices  # the incident status category it added later
    by_title = {f["action_item"]["title"]: f for f in report["findings"] if f["action_item"]}
    assert by_title["Alert on the payment error budget burn"]["action_item"]["team"] == "payments"
    assert by_title["Rewrite the payment client"]["action_item"]["team"] == "payments"
    reviewed = next(f for f in report["findings"] if f["rule"] == "reviewed-failure")
    assert reviewed["postmortem"]["id"] == "INC-1"
    assert reviewed["postmortem"]["url"].endswith("/incidents/1/post-mortem")
    paths = [request.path for request in fake_incidentio.requests]
    # custom fields, the service's catalog entry, one page of its incidents, and the
    # follow-ups of the two postmortems that belong to it (INC-1 and the waiting one)
    assert sorted(paths) == sorted(
        [
            "/v2/custom_fields",
            "/v3/catalog_entries",
            "/v2/incidents",
            "/v3/follow_ups",
            "/v3/follow_ups",
        ]
    )
    listing = fake_incidentio.requests_to("/v2/incidents")[0]
    assert listing.values(f"custom_field[{fake_incidentio.world.custom_fields[0].id}][one_of]")


def test_github_deployments_and_incidentio_postmortems_combine(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    built = build(fake_incidentio.world)
    world = fake_github.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    reviewed = shop.deployment(
        environment="production", state="FAILURE", created_at=at(40), sha=SHA_REVIEWED
    )
    unreviewed = shop.deployment(
        environment="production", state="FAILURE", created_at=at(10), sha=SHA_UNREVIEWED
    )
    shop.deployment(environment="production", state="ACTIVE", created_at=at(9))
    config = write_local(tmp_path, fake_incidentio.url, source="github")
    result = run_check(
        config,
        env={
            "CI": "true",
            "GITHUB_STEP_SUMMARY": "",
            "GITHUB_OUTPUT": "",
            **fake_github.actions_env(GITHUB_TOKEN, "acme/shop"),
        },
    )
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    ids = {"checkout-1": str(reviewed.database_id), "checkout-3": str(unreviewed.database_id)}
    assert observed(report) == [
        (level, rule, ids.get(deployment, deployment), title)
        for level, rule, deployment, title in EXPECTED
    ]
    assert built["reviewed"].reference == "INC-1"


def test_an_item_exported_to_github_takes_the_issues_state_when_github_is_a_source(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A follow-up outstanding in incident.io was exported to a GitHub issue that is closed:
    with GitHub among the sources, GitHub's state wins and the item counts once."""
    built = build(fake_incidentio.world)
    world = fake_github.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    shop.deployment(environment="production", state="FAILURE", created_at=at(40), sha=SHA_REVIEWED)
    done = shop.issue(title="Load test checkout", state="CLOSED", state_reason="COMPLETED",
                      created_at=at(38), closed_at=at(30))  # fmt: skip
    built["reviewed"].follow_up(
        "Load test checkout", created_at=at(39), external=("github", "acme/shop#1", done.url)
    )
    config = write_local(tmp_path, fake_incidentio.url, source="github")
    env = {
        "CI": "true",
        "GITHUB_STEP_SUMMARY": "",
        "GITHUB_OUTPUT": "",
        **fake_github.actions_env(GITHUB_TOKEN, "acme/shop"),
    }
    report = json_report(run_check(config, env=env).stdout)
    titles = [finding["action_item"]["title"] for finding in report["findings"]
              if finding.get("action_item")]  # fmt: skip
    assert "Load test checkout" not in titles
    (tmp_path / "alone").mkdir()
    local = write_local(tmp_path / "alone", fake_incidentio.url)
    alone = json_report(run_check(local).stdout)
    assert ("error", "overdue-action-item", None, "Load test checkout") in observed(alone)
    assert report["summary"]["open_action_items"] == alone["summary"]["open_action_items"] - 1


def test_an_item_exported_to_gitlab_takes_the_issues_state_when_gitlab_is_a_source(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Follow-ups outstanding in incident.io were exported to GitLab issues (provider
    ``gitlab``): with GitLab among the sources, a closed issue's state wins and the item
    counts once; one GitLab cannot show, or one on another GitLab, stands as incident.io
    has it, the first with a notice. A GitLab page in a follow-up's title is no export."""
    built = build(fake_incidentio.world)
    world = fake_gitlab.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop = world.project("group/shop")
    shop.deployment(status="failed", created_at=at(40), sha=SHA_REVIEWED)
    done = shop.issue("Load test checkout, on GitLab", state="closed", created_at=at(38),
                      closed_at=at(30))  # fmt: skip
    old = shop.issue("An old lesson", state="closed", created_at=at(80), closed_at=at(70))
    page = f"{fake_gitlab.url}/group/shop/-/issues"
    for title, name, url in (
        ("Load test checkout", f"group/shop#{done.iid}", f"{page}/{done.iid}"),
        ("Exported to a deleted issue", "group/shop#999", f"{page}/999"),
        ("Exported to another GitLab", "other/shop#1",
         "https://gitlab.example.com/other/shop/-/issues/1"),
    ):  # fmt: skip
        built["reviewed"].follow_up(title, created_at=at(39), external=("gitlab", name, url))
    built["reviewed"].follow_up(f"Same root cause as {page}/{old.iid}", created_at=at(39))
    config = write_local(tmp_path, fake_incidentio.url, source="gitlab")
    env = fake_gitlab.ci_env(GITLAB_JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": GITLAB_TOKEN}

    report = json_report(run_check(config, env=env).stdout)

    rules = {finding["action_item"]["title"]: finding["rule"]
             for finding in report["findings"] if finding.get("action_item")}  # fmt: skip
    assert "Load test checkout" not in rules
    assert "Load test checkout, on GitLab" not in rules  # closed: done, no finding
    assert rules["Exported to a deleted issue"] == "overdue-action-item"
    assert rules["Exported to another GitLab"] == "overdue-action-item"
    assert rules[f"Same root cause as {page}/{old.iid}"] == "overdue-action-item"
    [gitlab] = [source for source in report["sources"] if source["name"] == "gitlab"]
    assert gitlab["ok"] is True
    assert [notice for notice in gitlab["notices"] if "group/shop#999" in notice] == [
        "group/shop#999, named by postmortem INC-1, is not on GitLab or not visible to the "
        "token; its item stands as exported"
    ]
    (tmp_path / "alone").mkdir()
    alone = json_report(run_check(write_local(tmp_path / "alone", fake_incidentio.url)).stdout)
    assert ("error", "overdue-action-item", None, "Load test checkout") in observed(alone)
    assert report["summary"]["open_action_items"] == alone["summary"]["open_action_items"] - 1


def test_follow_ups_and_incidents_are_read_across_pages(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = fake_incidentio.world
    world.api_key(KEY)
    checkout = world.services.entry("checkout")
    for n in range(260):  # past one page of 250
        world.incident(f"Alert {n}", services=[checkout], status="Triage", created_at=at(60))
    first = world.incident(
        "Oldest postmortem", services=[checkout], postmortem=True, created_at=at(80)
    )
    for n in range(105):  # past one page of 100
        first.follow_up(f"Lesson {n:03d}", status="completed", created_at=at(80))
    first.follow_up("The last, still open", created_at=at(5))
    result = run_check(write_local(tmp_path, fake_incidentio.url))
    report = json_report(result.stdout)
    assert [f["action_item"]["title"] for f in report["findings"] if f["action_item"]] == [
        "The last, still open"
    ]
    assert len(fake_incidentio.requests_to("/v2/incidents")) == 2
    assert len(fake_incidentio.requests_to("/v3/follow_ups")) == 2
    assert report["summary"]["postmortems"] == 1


def test_a_429_is_waited_out_for_its_retry_after(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
) -> None:
    build(fake_incidentio.world)
    fake_incidentio.faults.add("/v3/follow_ups", status=429, headers={"Retry-After": "7"})
    result = run_check(write_local(tmp_path, fake_incidentio.url))
    assert result.exit_code == 1, result.output
    assert observed(json_report(result.stdout)) == EXPECTED
    assert [wait.seconds for wait in fake_clock.waits if wait.seconds >= 1] == [8]
    limited = [r for r in fake_incidentio.requests if r.status == 429]
    assert len(limited) == 1


def test_an_item_exported_to_jira_takes_jiras_state_and_counts_once(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    built = build(fake_incidentio.world)
    ops = fake_jira.world.project("OPS", components=["checkout"])
    ops.issue("Load test checkout", created=at(30), status="Done")  # OPS-1: done in Jira
    fake_jira.world.cloud_account("sre@acme.test", "jira-token")
    built["reviewed"].follow_up(
        "Load test checkout",
        created_at=at(39),  # outstanding in incident.io
        external=("jira", "OPS-1", f"{fake_jira.url}/browse/OPS-1"),
    )
    config = write_local(tmp_path, fake_incidentio.url)
    alone = json_report(run_check(config).stdout)
    assert ("error", "overdue-action-item", None, "Load test checkout") in observed(alone)
    text = config.read_text().replace('"incident-io"]', '"incident-io", "jira"]')
    config.write_text(text + f'[jira]\nurl = "{fake_jira.url}"\nprojects = ["OPS"]\n')
    both = json_report(
        run_check(
            config, env={"JIRA_EMAIL": "sre@acme.test", "JIRA_API_TOKEN": "jira-token"}
        ).stdout
    )
    assert observed(both) == EXPECTED  # Jira says done: no finding, and no second copy
    assert both["summary"]["open_action_items"] == alone["summary"]["open_action_items"] - 1


@pytest.mark.parametrize(
    ("setup", "env", "expected"),
    [
        ("no-key", {"INCIDENT_IO_API_KEY": ""}, "no incident.io API key: set INCIDENT_IO_API_KEY"),
        ("wrong-key", {"INCIDENT_IO_API_KEY": "inc_wrong"}, "rejected the API key (401)"),
        ("no-catalog", {}, 'needs an API key with "View data'),
        ("no-field", {}, "no incident custom field named 'Impacted services'"),
    ],
)
def test_what_cannot_be_read_is_one_line_and_exit_3(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    tmp_path: Path,
    setup: str,
    env: dict[str, str],
    expected: str,
) -> None:
    build(fake_incidentio.world)
    fake_incidentio.world.keys[0].view_catalog = setup != "no-catalog"
    extra = 'service-field = "Impacted services"\n' if setup == "no-field" else ""
    result = run_cli(
        "check",
        "--config",
        str(write_local(tmp_path, fake_incidentio.url, extra)),
        "--service",
        "checkout",
        "--now",
        NOW.isoformat(),
        env={"INCIDENT_IO_API_KEY": KEY, **env},
    )
    assert result.exit_code == 3, result.output
    assert expected in result.output
    assert "Traceback" not in result.output
    assert KEY not in result.output


def test_a_service_without_a_catalog_entry_reads_no_incidents_and_says_so(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_incidentio.world)
    result = run_cli(
        "check",
        "--config",
        str(write_local(tmp_path, fake_incidentio.url)),
        "--service",
        "payments",
        "--now",
        NOW.isoformat(),
        "--format",
        "json",
        env={"INCIDENT_IO_API_KEY": KEY},
    )
    report = json_report(result.stdout)
    source = next(s for s in report["sources"] if s["name"] == "incident-io")
    assert source["notices"] == [
        "no catalog entry answers to 'payments' in the catalog of the 'Affected services' field; "
        "no incidents read"
    ]
    assert not fake_incidentio.requests_to("/v2/incidents")


def test_the_link_window_is_measured_to_the_incidents_start_where_it_is_recorded(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The failure at 10 days ago is named by no incident. One incident was opened four days
    later (outside the 72 h window) but its impact started an hour after the failure: the
    window is measured to that start, and the evidence says so."""
    world = fake_incidentio.world
    world.api_key(KEY)
    checkout = world.services.entry("checkout")
    failure = at(10)
    world.incident(
        "Carts emptied",
        summary="Carts were lost.",
        created_at=failure + timedelta(days=4),
        started_at=failure + timedelta(hours=1),
        services=[checkout],
        postmortem=True,
    )
    world.incident(
        "Written late, started late", created_at=at(36), services=[checkout], postmortem=True
    )
    report = json_report(run_check(write_local(tmp_path, fake_incidentio.url)).stdout)
    [reviewed] = [f for f in report["findings"] if f["rule"] == "reviewed-failure"]
    assert reviewed["deployment"]["id"] == "checkout-3"
    assert reviewed["postmortem"]["title"] == "Carts emptied"
    assert reviewed["link"] == "time-window"
    assert (
        "its incident started 1 h after the failure, within the 72 h link window"
        in (reviewed["message"])
    )
    written = [f for f in report["findings"] if f["rule"] == "unreviewed-failure"]
    assert [f["deployment"]["id"] for f in written] == ["checkout-1"]


def test_the_learning_loop_report_reads_incidentio_as_a_check_does(
    fake_incidentio: FakeIncidentIo,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``report`` collects through the same sources: the service's one reviewed failure of
    the two, and INC-1's open follow-ups, come from incident.io."""
    build(fake_incidentio.world)
    result = run_cli(
        "report",
        "--config",
        str(write_local(tmp_path, fake_incidentio.url)),
        "--service",
        "checkout",
        "--now",
        NOW.isoformat(),
        "--format",
        "json",
        env={"INCIDENT_IO_API_KEY": KEY},
    )
    assert result.exit_code == 0, result.output
    [service] = loop_report(result.stdout)["services"]
    assert service["failed_deployments"] == 2
    assert service["reviewed_failures"] == 1
