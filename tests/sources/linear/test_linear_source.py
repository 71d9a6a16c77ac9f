"""The Linear source through the real CLI and the fake Linear: what it reads and the traps.

Each test builds a small world and runs ``deploygate check`` with the local
store's deployments beside Linear, so a finding or a line of output shows
what the source made of Linear's answers:

- postmortems by label and team, service by label (plain or grouped);
- action items: sub-issues and related/blocking issues, states by type;
- traps of issue #18: pages, RATELIMITED (a 429 with Retry-After is in
  reliability/test_reliability_trackers.py), a state type
  added later, deleted and archived issues, items exported to Jira;
- a key Linear rejects, or one without the read scope: one line, exit 3.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from conftest import NOW, findings_by_rule, json_report, run_cli
from fakes.clock import FakeClock
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.jira import FakeJira, fake_jira  # noqa: F401
from fakes.linear import FakeLinear, LinearWorld, fake_linear  # noqa: F401
from fakes.worlds import GITHUB_TOKEN, GITLAB_JOB_TOKEN, GITLAB_TOKEN, at

from deploygate.sources.linear import queries

KEY = "lin_api_CANARYsource0123456789abcdefghijklmnop"
FAILED_AT = at(12)
"""The failed deployment the postmortems review, by its sha."""
SHA = "3f5a9c0e8d7b6a5f4e3d2c1b0a9f8e7d6c5b4a39"


def project(tmp_path: Path, fake: FakeLinear, *, extra: str = "", sources: str = "") -> Path:
    """A local store with one failed deployment of checkout, and Linear beside it."""
    (tmp_path / "deployments.jsonl").write_text(
        json.dumps({"id": "d1", "service": "checkout", "environment": "production",
                    "status": "failure", "sha": SHA,
                    "created_at": FAILED_AT.strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n"
    )  # fmt: skip
    (tmp_path / "postmortems").mkdir(exist_ok=True)
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = ["local", "linear"{sources}]\n[local]\npostmortems = "postmortems"\n'
        f'history = "deployments.jsonl"\n[linear]\nteams = ["OPS"]\napi-url = "{fake.api_url}"\n'
        + extra
    )
    return config


def check(
    config: Path,
    *args: str,
    key: str = KEY,
    env: dict[str, str] | None = None,
    service: str = "checkout",
) -> Any:
    return run_cli(
        "check", "--config", str(config), "--service", service, "--now", NOW.isoformat(),
        "--format", "json", *args, env={"LINEAR_API_KEY": key, **(env or {})},
    )  # fmt: skip


def ready(fake: FakeLinear) -> LinearWorld:
    """The fake's world, with the key the checks send registered."""
    fake.world.api_key(KEY)
    return fake.world


def postmortem(world: LinearWorld, *labels: str, title: str = "Checkout 500s", days: float = 11):
    return world.issue(
        "OPS", title, created_at=at(days), description=f"The deploy of {SHA[:12]} failed.",
        labels=["postmortem", *labels],
    )  # fmt: skip


def item_states(report: dict[str, Any]) -> dict[str, str]:
    """Each action item a finding names, by title, with its rule."""
    return {
        finding["action_item"]["title"]: finding["rule"]
        for finding in report["findings"]
        if finding.get("action_item")
    }


def linear_source(report: dict[str, Any]) -> dict[str, Any]:
    [source] = [source for source in report["sources"] if source["name"] == "linear"]
    return source


def test_sub_issues_and_linked_issues_are_items_with_states_by_type(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    world.issue("OPS", "Add an alert", created_at=at(10), parent=pm, due=at(2).date(),
                labels=["team:payments"], state="In Progress")  # fmt: skip
    world.issue("OPS", "Validate config", created_at=at(10), parent=pm).close("Done", at(5))
    rewrite = world.issue("OPS", "Rewrite client", created_at=at(10)).close("Canceled", at(4))
    world.relate(pm, rewrite, "related")
    blocker = world.issue("OPS", "Contract test", created_at=at(10), state="Backlog")
    world.relate(blocker, pm, "blocks")
    duplicate = world.issue("OPS", "Same outage, reported twice", created_at=at(10))
    world.relate(pm, duplicate, "duplicate")

    result = check(project(tmp_path, fake_linear))

    report = json_report(result.stdout)
    assert item_states(report) == {
        "Add an alert": "overdue-action-item",
        "Rewrite client": "declined-action-item",
        "Contract test": "open-action-item",
    }
    [overdue] = findings_by_rule(report, "overdue-action-item")
    assert overdue["action_item"]["team"] == "payments"
    assert overdue["action_item"]["id"].startswith("OPS-")
    assert overdue["action_item"]["url"].startswith("https://linear.app/acme/issue/OPS-")
    [declined] = findings_by_rule(report, "declined-action-item")
    assert "canceled in Linear (Canceled)" in declined["message"]
    [reviewed] = findings_by_rule(report, "reviewed-failure")
    assert reviewed["postmortem"]["id"] == pm.identifier
    assert linear_source(report)["coverage"]["action_items"] == 4  # the duplicate is not one
    assert result.exit_code == 1


def test_a_service_label_in_a_group_or_none_at_all_and_other_services(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    # The fake answers "service:checkout" as the label "checkout" in the group "service".
    grouped = postmortem(world, "service:checkout", title="Grouped label")
    postmortem(world, title="Every service")
    other = postmortem(world, "service:search", title="Another service's")
    world.relate(grouped, other, "related")  # a postmortem that links another is no item
    world.issue("SRE", "Another team's", labels=["postmortem"], created_at=at(11))
    world.issue("OPS", "No postmortem label", labels=["service:checkout"], created_at=at(11))

    checkout = json_report(check(project(tmp_path, fake_linear)).stdout)
    search = json_report(check(project(tmp_path, fake_linear), service="search").stdout)

    assert linear_source(checkout)["coverage"]["postmortems"] == 2
    assert linear_source(checkout)["coverage"]["action_items"] == 0
    [reviewed] = findings_by_rule(checkout, "reviewed-failure")
    assert reviewed["postmortem"]["title"] in ("Grouped label", "Every service")
    assert linear_source(search)["coverage"]["postmortems"] == 2


def test_every_page_is_read_and_requests_grow_with_postmortems(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    count = queries.POSTMORTEMS_PER_PAGE * 2 + 3
    for number in range(count):
        pm = postmortem(world, "service:checkout", title=f"Incident {number}", days=11)
        world.issue("OPS", f"Lesson {number}", created_at=at(10), parent=pm, due=at(1).date())
    crowded = postmortem(world, "service:checkout", title="Crowded", days=11)
    linked = queries.RELATIONS_PER_PAGE + 5
    for number in range(linked):
        world.relate(crowded, world.issue("OPS", f"Linked {number}", created_at=at(10)))

    report = json_report(check(project(tmp_path, fake_linear)).stdout)

    assert len(findings_by_rule(report, "overdue-action-item")) == count
    assert len(findings_by_rule(report, "open-action-item")) == linked
    postmortem_pages = -(-(count + 1) // queries.POSTMORTEMS_PER_PAGE)
    item_listings = -(-(count + 1) // queries.POSTMORTEMS_PER_ITEM_LISTING)
    items_pages = -(-(count + linked) // queries.ITEMS_PER_PAGE)
    assert len(fake_linear.queries()) <= postmortem_pages + item_listings + items_pages + 1
    assert linear_source(report)["requests"] == len(fake_linear.queries())
    # Linear's own rate-limit headers are read, for the report's low-budget warning.
    assert linear_source(report)["rate_limit_limit"] == 5000
    assert linear_source(report)["rate_limit_remaining"] == fake_linear.remaining


def test_a_state_type_linear_adds_later_is_open_with_a_notice_naming_it(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    world.issue("OPS", "Paused work", created_at=at(10), parent=pm, state="On Hold",
                state_type="paused")  # fmt: skip

    result = check(project(tmp_path, fake_linear), "--format", "text")

    assert "'On Hold' of type 'paused', which deploygate does not know" in result.stdout
    assert "counted as open" in result.stdout
    report = json_report(check(project(tmp_path, fake_linear)).stdout)
    assert item_states(report) == {"Paused work": "open-action-item"}


def test_deleted_issues_and_archived_postmortems(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    old = postmortem(world, "service:checkout", title="Archived, still a postmortem", days=300)
    old.close("Done", at(299))
    old.archived_at = at(100)
    world.issue("OPS", "Archived lesson", created_at=at(300), parent=old).close("Done", at(290))
    pm = postmortem(world, "service:checkout")
    world.issue("OPS", "Deleted lesson", created_at=at(10), parent=pm, trashed=True)
    deleted = postmortem(world, "service:checkout", title="A deleted postmortem")
    deleted.trashed = True

    report = json_report(check(project(tmp_path, fake_linear)).stdout)

    # The archived one and the live one; not the deleted one.
    assert linear_source(report)["coverage"]["postmortems"] == 2
    assert linear_source(report)["coverage"]["action_items"] == 2
    [declined] = findings_by_rule(report, "declined-action-item")
    assert declined["action_item"]["title"] == "Deleted lesson"
    assert "deleted in Linear" in declined["message"]


def test_an_item_exported_to_jira_is_judged_by_jira_when_jira_is_a_source(
    fake_linear: FakeLinear,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    fake_jira.world.cloud_account("sre@acme.test", "jira-token")
    exported = fake_jira.world.project("PLAT").issue(
        "Exported lesson, in Jira", created=at(9), status="Done", resolution="Done"
    )
    jira_page = f"{fake_jira.url}/browse/{exported.key}"
    world.issue("OPS", "Exported lesson", created_at=at(10), parent=pm,
                attachments=[(jira_page, "jira")])  # fmt: skip
    world.issue("OPS", "Exported to a project Jira does not read", created_at=at(10), parent=pm,
                attachments=[(f"{fake_jira.url}/browse/HR-3", "jira")])  # fmt: skip
    jira_table = f'[jira]\nurl = "{fake_jira.url}"\nprojects = ["PLAT"]\n'
    jira_env = {"JIRA_EMAIL": "sre@acme.test", "JIRA_API_TOKEN": "jira-token"}

    # Without Jira, the Linear issue's own state counts: open, under the Jira key.
    alone = json_report(check(project(tmp_path, fake_linear)).stdout)
    assert item_states(alone) == {
        "Exported lesson": "open-action-item",
        "Exported to a project Jira does not read": "open-action-item",
    }
    ids = {f["action_item"]["id"] for f in findings_by_rule(alone, "open-action-item")}
    assert ids == {exported.key, "HR-3"}

    # With Jira, Jira's issue, done, takes the item's place: counted once, by Jira's state.
    # Jira does not read HR, so that item stands as Linear has it.
    config = project(tmp_path, fake_linear, extra=jira_table, sources=', "jira"')
    both = json_report(check(config, env=jira_env).stdout)
    assert item_states(both) == {"Exported to a project Jira does not read": "open-action-item"}
    assert linear_source(both)["coverage"]["action_items"] == 2
    reviewed = findings_by_rule(both, "reviewed-failure")
    assert [f["postmortem"]["id"] for f in reviewed] == [pm.identifier]


def test_a_linear_item_is_not_a_jira_issue_that_shares_its_key(
    fake_linear: FakeLinear,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Linear's team OPS and Jira's project OPS both number their issues: Linear's OPS-2, an
    open item, is not Jira's OPS-2, done, which the JQL finds. Only an item the postmortem
    says was exported (``tracker_refs``) is put in a Jira issue's place."""
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    item = world.issue("OPS", "Roll back on burn rate", created_at=at(10), parent=pm)
    fake_jira.world.cloud_account("sre@acme.test", "jira-token")
    ops = fake_jira.world.project("OPS", components=["checkout"])
    ops.issue("Unrelated", created=at(30))
    same_key = ops.issue("Unrelated, done", created=at(30), status="Done",
                         labels=["postmortem"], components=["checkout"])  # fmt: skip
    assert same_key.key == item.identifier
    config = project(tmp_path, fake_linear, sources=', "jira"',
                     extra=f'[jira]\nurl = "{fake_jira.url}"\nprojects = ["OPS"]\n')  # fmt: skip

    report = json_report(
        check(config, env={"JIRA_EMAIL": "sre@acme.test", "JIRA_API_TOKEN": "jira-token"}).stdout
    )

    assert item_states(report) == {"Roll back on burn rate": "open-action-item"}
    [jira] = [source for source in report["sources"] if source["name"] == "jira"]
    assert jira["ok"]


def test_an_export_to_the_key_of_another_item_of_the_postmortem_is_not_followed(
    fake_linear: FakeLinear,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Linear's OPS-2 was exported to Jira's OPS-3 (done), and Linear's own OPS-3, open, is
    an item of the same postmortem: taken over, both would read as Jira's OPS-3 and the
    open one would vanish. The export is not followed: both stand as Linear has them."""
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    fake_jira.world.cloud_account("sre@acme.test", "jira-token")
    ops = fake_jira.world.project("OPS")
    for number in (1, 2):
        ops.issue(f"Unrelated {number}", created=at(30))
    done = ops.issue("Exported, done in Jira", created=at(30), status="Done")
    page = f"{fake_jira.url}/browse/{done.key}"
    exported = world.issue("OPS", "Exported", created_at=at(10), parent=pm,
                           attachments=[(page, "jira")])  # fmt: skip
    own = world.issue("OPS", "Open in Linear", created_at=at(10), parent=pm)
    assert own.identifier == done.key
    config = project(tmp_path, fake_linear, sources=', "jira"',
                     extra=f'[jira]\nurl = "{fake_jira.url}"\nprojects = ["OPS"]\n')  # fmt: skip

    report = json_report(
        check(config, env={"JIRA_EMAIL": "sre@acme.test", "JIRA_API_TOKEN": "jira-token"}).stdout
    )

    assert item_states(report) == {"Exported": "open-action-item",
                                   "Open in Linear": "open-action-item"}  # fmt: skip
    ids = {f["action_item"]["id"] for f in findings_by_rule(report, "open-action-item")}
    assert ids == {exported.identifier, own.identifier}
    assert any(f"exported to {done.key}" in notice for notice in linear_source(report)["notices"])


def test_ratelimited_is_waited_out_until_the_reset_in_milliseconds(
    fake_linear: FakeLinear,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    postmortem(world, "service:checkout")
    fake_clock.drive(fake_linear)
    reset = int((fake_clock.time() + 20) * 1000)
    body = {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}
    fake_linear.faults.add("/graphql", status=400, body=body,
                           headers={"X-RateLimit-Requests-Reset": str(reset)})  # fmt: skip

    report = json_report(check(project(tmp_path, fake_linear)).stdout)

    assert linear_source(report)["ok"]
    assert 20 <= max(fake_clock.sleeps()) <= 22


def access_error(result: Any) -> str:
    assert result.exit_code == 3, result.output
    report = json_report(result.stdout)
    assert report["verdict"] == "unknown"
    error = linear_source(report)["error"]
    assert "\n" not in error
    return str(error)


def test_a_key_linear_rejects_or_without_the_read_scope_is_one_line_exit_3(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_linear.world.api_key(KEY, scopes=("write",))
    config = project(tmp_path, fake_linear)

    assert "check LINEAR_API_KEY" in access_error(check(config, key="lin_api_wrong"))
    assert "the key needs the read scope" in access_error(check(config))
    missing = access_error(check(config, key=""))
    assert "set LINEAR_API_KEY" in missing


def test_the_key_goes_to_linear_as_linear_wants_it(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    oauth = "lin_oauth_CANARY0123456789abcdef"
    fake_linear.world.api_key(KEY)
    fake_linear.world.api_key(oauth)
    config = project(tmp_path, fake_linear)
    for key, header in ((KEY, KEY), (oauth, f"Bearer {oauth}")):
        assert check(config, key=key).exit_code == 0
        assert fake_linear.queries()[-1].headers["authorization"] == header


def sent(fake: FakeLinear) -> Sequence[str]:
    return [request.json()["query"] for request in fake.queries()]


def test_no_request_asks_for_items_when_no_postmortem_speaks_for_the_service(
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_linear.world.api_key(KEY)
    postmortem(fake_linear.world, "service:search")
    report = json_report(check(project(tmp_path, fake_linear)).stdout)
    assert [query for query in sent(fake_linear) if "DeploygateItems" in query] == []
    assert linear_source(report)["coverage"]["postmortems"] == 0


def test_an_item_exported_to_github_is_judged_by_github_when_github_is_a_source(
    fake_linear: FakeLinear,  # noqa: F811
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = fake_github.world.repo("acme/shop")
    done = shop.issue(title="Exported lesson, on GitHub", state="CLOSED", created_at=at(9))
    planned = shop.issue(title="Declined on GitHub", state="CLOSED", state_reason="NOT_PLANNED",
                         created_at=at(9))  # fmt: skip
    for title, url in (
        ("Exported lesson", done.url),
        ("Declined lesson", planned.url),
        ("Exported to a deleted issue", "https://github.com/acme/shop/issues/999"),
        ("Exported to another GitHub", "https://ghe.example.com/acme/other/issues/1"),
    ):
        world.issue("OPS", title, created_at=at(10), parent=pm, attachments=[(url, "github")])
    env = fake_github.actions_env(GITHUB_TOKEN, "acme/shop")

    # Without GitHub, each Linear issue's own state counts: four open items.
    alone = json_report(check(project(tmp_path, fake_linear)).stdout)
    assert len(findings_by_rule(alone, "open-action-item")) == 4

    # With GitHub, GitHub's issues take the items' places, with GitHub's states; an issue
    # GitHub cannot show, or one on another host, leaves its item as Linear has it.
    config = project(tmp_path, fake_linear, sources=', "github"')
    result = check(config, "--format", "text", env=env)
    assert "acme/shop#999, named by postmortem OPS-1, is not on GitHub" in result.stdout
    both = json_report(check(config, env=env).stdout)
    assert item_states(both) == {
        "Declined on GitHub": "declined-action-item",
        "Exported to a deleted issue": "open-action-item",
        "Exported to another GitHub": "open-action-item",
    }
    [declined] = findings_by_rule(both, "declined-action-item")
    assert declined["action_item"]["url"] == planned.url
    assert linear_source(both)["coverage"]["action_items"] == 4


def test_an_item_exported_to_gitlab_is_judged_by_gitlab_when_gitlab_is_a_source(
    fake_linear: FakeLinear,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Linear's GitLab integration (sourceType ``gitlab``) attached GitLab issues, by their
    issue or work item pages: with GitLab among the sources, GitLab's issues take the
    items' places with GitLab's states, all looked up in one query; one GitLab cannot
    show, or one on another GitLab, leaves its item as Linear has it. A plain link to a
    closed GitLab issue exports nothing."""
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    fake_gitlab.world.token(GITLAB_TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/sub/shop")
    done = shop.issue("Exported lesson, on GitLab", state="closed", created_at=at(9))
    still = shop.issue("Still open on GitLab", created_at=at(9))
    old = shop.issue("An old lesson", state="closed", created_at=at(80))
    page = f"{fake_gitlab.url}/group/sub/shop/-"
    for title, url, source in (
        ("Exported lesson", f"{page}/issues/{done.iid}", "gitlab"),
        ("Exported as a work item", f"{page}/work_items/{still.iid}", "gitlab"),
        ("Exported to a deleted issue", f"{page}/issues/999", "gitlab"),
        ("Exported to another GitLab", "https://gitlab.example.com/g/p/-/issues/1", "gitlab"),
        ("Same root cause", f"{page}/issues/{old.iid}", "unknown"),
    ):
        world.issue("OPS", title, created_at=at(10), parent=pm, attachments=[(url, source)])
    env = fake_gitlab.ci_env(GITLAB_JOB_TOKEN, "group/sub/shop") | {"GITLAB_TOKEN": GITLAB_TOKEN}

    # Without GitLab, each Linear issue's own state counts: five open items.
    alone = json_report(check(project(tmp_path, fake_linear)).stdout)
    assert len(findings_by_rule(alone, "open-action-item")) == 5

    config = project(tmp_path, fake_linear, sources=', "gitlab"')
    fake_gitlab.requests.clear()
    both = json_report(check(config, env=env).stdout)
    assert item_states(both) == {
        "Still open on GitLab": "open-action-item",
        "Exported to a deleted issue": "open-action-item",
        "Exported to another GitLab": "open-action-item",
        "Same root cause": "open-action-item",
    }
    [gitlab] = [source for source in both["sources"] if source["name"] == "gitlab"]
    assert [notice for notice in gitlab["notices"] if "#999" in notice] == [
        f"group/sub/shop#999, named by postmortem {pm.identifier}, is not on GitLab or not "
        "visible to the token; its item stands as exported"
    ]
    assert linear_source(both)["coverage"]["action_items"] == 5
    assert both["summary"]["open_action_items"] == 4
    lookups = [r for r in fake_gitlab.requests if b"query Issues" in r.body]
    assert len(lookups) == 1


def test_a_plain_link_to_a_closed_issue_does_not_take_the_item_over(
    fake_linear: FakeLinear,  # noqa: F811
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Anyone can attach a link: only an attachment Linear's GitHub or Jira integration
    made (its sourceType) exports an item. Open items linking an old closed GitHub issue,
    or a Jira page, stay open under their Linear ids, and GitHub is asked for no issue."""
    world = ready(fake_linear)
    pm = postmortem(world, "service:checkout")
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = fake_github.world.repo("acme/shop")
    old = shop.issue(title="An old lesson", state="CLOSED", created_at=at(80))
    linked = world.issue("OPS", "Same root cause", created_at=at(10), parent=pm,
                         attachments=[(old.url, "unknown"), (old.url, None)])  # fmt: skip
    page = "https://acme.atlassian.net/browse/PLAT-1"
    jira = world.issue("OPS", "Read the Jira page", created_at=at(10), parent=pm,
                       attachments=[(page, "unknown")])  # fmt: skip
    env = fake_github.actions_env(GITHUB_TOKEN, "acme/shop")
    before = len(fake_github.requests)

    report = json_report(
        check(project(tmp_path, fake_linear, sources=', "github"'), env=env).stdout
    )

    assert item_states(report) == {
        "Same root cause": "open-action-item",
        "Read the Jira page": "open-action-item",
    }
    ids = {f["action_item"]["id"] for f in findings_by_rule(report, "open-action-item")}
    assert ids == {linked.identifier, jira.identifier}
    assert not [r for r in fake_github.requests[before:] if b"issue0" in r.body]


def test_item_listings_go_side_by_side_at_most_eight_at_a_time(tmp_path: Path) -> None:
    """Nine listings of items (450 postmortems, 50 a listing), each answered after half a
    second: no more than 8 arrive within any half second, as the ninth waits
    for a free worker."""
    latency = 0.5
    with FakeLinear() as fake:
        world = ready(fake)
        for number in range(9 * queries.POSTMORTEMS_PER_ITEM_LISTING):
            postmortem(world, "service:checkout", title=f"Incident {number}")
        listing = lambda record: "DeploygateItems" in record.body.decode()  # noqa: E731
        fake.faults.add(listing, status=None, delay=latency, times=None)
        result = check(project(tmp_path, fake))
        listings = [r.time for r in fake.queries() if "DeploygateItems" in r.body.decode()]
    assert result.exit_code in (0, 1), result.output
    assert len(listings) == 9
    assert max(sum(1 for t in listings if start <= t < start + latency) for start in listings) <= 8
