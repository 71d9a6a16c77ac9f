"""The Jira tracker end to end: the CLI against the fake GitHub and the fake Jira.

GitHub holds the deployments and the postmortem issues, whose bodies name
Jira keys; Jira holds the action items. The check must report exactly the
findings those records imply, on Jira Cloud and on Data Center alike.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.jira import FakeJira, JiraWorld, fake_jira  # noqa: F401

from deploygate.config import load
from deploygate.errors import ConfigError, SourceError
from deploygate.sources import REGISTRY, SourceContext
from deploygate.sources.jira import adf
from deploygate.sources.jira.config import DEFAULT_JQL
from deploygate.sources.jira.settings import Flavour, JiraSettings, with_credentials

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
GITHUB_TOKEN = "ghs_CANARY_jira_e2e_0123456789"
JIRA_EMAIL = "sre@acme.test"
JIRA_TOKEN = "ATATT3xCANARYjira+/=token"
PAT = "NDc4CANARYpat0123456789"
RUN = "https://github.com/acme/shop/actions/runs/{}"


def at(days_ago: float, hour: int = 10) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)


def build_github(fake: FakeGitHub) -> dict[str, Any]:
    """acme/shop deploys; acme/incidents holds one postmortem naming Jira keys in its body."""
    world = fake.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop, incidents = world.repo("acme/shop"), world.repo("acme/incidents")
    reviewed = shop.deployment(environment="production", state="FAILURE", created_at=at(40),
                               log_url=RUN.format(1040))  # fmt: skip
    unreviewed = shop.deployment(environment="production", state="FAILURE", created_at=at(10))
    shop.deployment(environment="production", state="ACTIVE", created_at=at(9))
    postmortem = incidents.issue(
        title="Checkout 500s after the payment config rollout",
        labels=["postmortem", "service:checkout"],
        created_at=at(39),
        state="CLOSED",
        body="\n".join(
            [
                f"The deploy {RUN.format(1040)} failed.",
                "## Lessons",
                "- Staging and production configs drifted.",
                "## Action items",
                "- [ ] OPS-1 alert on the error budget burn",
                "- [ ] OPS-2",
                "- [ ] OPS-3 (the box is unticked, Jira says done)",
                "- [x] OPS-4",
                "Not items: SHA-256, UTF-8, XOPS-1, OPS-0.",
            ]
        ),
    )
    return {
        "reviewed": str(reviewed.database_id),
        "unreviewed": str(unreviewed.database_id),
        "postmortem": f"acme/incidents#{postmortem.number}",
        "postmortem_url": f"https://github.com/acme/incidents/issues/{postmortem.number}",
    }


def build_jira(world: JiraWorld, postmortem_url: str, flavour: str = "cloud") -> None:
    """OPS-1..4 named by the postmortem (OPS-1 found by the JQL too); OPS-5 found only by
    the JQL; OPS-6 by the JQL, naming the postmortem by URL; OPS-7 of another service."""
    ops = world.project("OPS", components=["checkout", "search"])
    ops.issue("Alert on the error budget burn", created=at(38), duedate=NOW.date() + timedelta(30),
              components=["checkout"], labels=["postmortem"])  # fmt: skip
    ops.issue(
        "Validate payment config in CI",
        created=at(38),
        duedate=date(2026, 11, 15),
        custom={"customfield_10001": {"id": "a1", "name": "Payments", "title": "Payments"}},
    )
    ops.issue("Stage configs like production", created=at(38), status="Done")
    ops.issue("Rewrite the payment client", created=at(38), status="Done", resolution="Won't Do")
    ops.issue("Page on checkout latency", created=at(5), labels=["postmortem"],
              components=["checkout"])  # fmt: skip
    link_text = f"Follow-up of {postmortem_url}"
    description: Any = link_text
    if flavour == "cloud":  # a link mark in ADF: the URL is only in the href
        description = {
            "type": "doc",
            "version": 1,
            "content": [
                {
                    "type": "paragraph",
                    "content": [
                        {"type": "text", "text": "Follow-up of "},
                        {
                            "type": "text",
                            "text": "the postmortem",
                            "marks": [{"type": "link", "attrs": {"href": postmortem_url}}],
                        },
                    ],
                }
            ],
        }
    ops.issue(
        "Load test with real carts",
        created=at(20),
        labels=["postmortem", "service:checkout"],
        description=description,
    )
    ops.issue("Search only", created=at(30), labels=["postmortem"], components=["search"])


def write_config(tmp_path: Path, jira_url: str, extra: str = "", source: str = "github") -> Path:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = ["{source}", "jira"]\nlookback = "90d"\n'
        '[github]\npostmortem-repository = "acme/incidents"\n'
        f'[jira]\nurl = "{jira_url}"\nprojects = ["OPS"]\ndeadline = "10s"\n{extra}'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    return config


def run_check(config: Path, env: dict[str, str], *args: str, output: str = "json") -> Result:
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", output, *args,
        env={"CI": "true", "GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": "", **env},
    )  # fmt: skip


def cloud_env(
    github: FakeGitHub, email: str = JIRA_EMAIL, token: str = JIRA_TOKEN
) -> dict[str, str]:
    return github.actions_env(GITHUB_TOKEN, "acme/shop") | {
        "JIRA_EMAIL": email,
        "JIRA_API_TOKEN": token,
    }


def observed(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            finding["level"],
            finding["rule"],
            (finding["deployment"] or {}).get("id"),
            (finding["action_item"] or {}).get("id"),
        )
        for finding in report["findings"]
    ]


def expected_findings(ids: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        ("error", "overdue-action-item", None, "OPS-2"),
        ("warning", "open-action-item", None, "OPS-1"),
        ("warning", "open-action-item", None, "OPS-6"),
        ("warning", "open-action-item", None, "OPS-5"),
        ("warning", "unreviewed-failure", ids["unreviewed"], None),
        ("notice", "declined-action-item", None, "OPS-4"),
        ("notice", "reviewed-failure", ids["reviewed"], None),
    ]


@pytest.fixture
def fake_jira_dc() -> Any:
    fake = FakeJira(flavour="data-center", max_results=2)
    with fake:
        yield fake
    fake.check()


def test_github_deployments_postmortems_and_jira_items_give_exactly_the_expected_findings(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    ids = build_github(fake_github)
    build_jira(fake_jira.world, ids["postmortem_url"])
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    config = (
        write_config(tmp_path, fake_jira.url).read_text().replace('["github", "jira"]', '"local"')
    )
    (tmp_path / "deploygate.toml").write_text(config)
    result = run_check(
        tmp_path / "deploygate.toml", cloud_env(fake_github), "--source", "github,jira"
    )
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    assert observed(report) == expected_findings(ids)
    by_item = {
        finding["action_item"]["id"]: finding for finding in report["findings"]
        if finding["action_item"]
    }  # fmt: skip
    assert by_item["OPS-2"]["action_item"]["team"] is None  # team-field is components
    assert by_item["OPS-1"]["action_item"]["team"] == "checkout"
    assert by_item["OPS-2"]["action_item"]["due"] == "2026-11-15"
    assert by_item["OPS-2"]["action_item"]["url"] == f"{fake_jira.url}/browse/OPS-2"
    assert "Won't Do" in by_item["OPS-4"]["message"]
    assert by_item["OPS-6"]["postmortem"]["id"] == ids["postmortem"]  # its ADF link names it
    assert by_item["OPS-5"]["postmortem"]["id"] == "jira:checkout"
    assert report["summary"] == {
        "failed_deployments": 2,
        "reviewed_failures": 1,
        "postmortems": 1,  # the holder of OPS-5 is not a postmortem
        "open_action_items": 4,
        "overdue_action_items": 1,
    }
    assert [(s["name"], s["ok"], s["requests"]) for s in report["sources"]] == [
        # Deployments and postmortems, then the failed step of the one failed deployment's
        # workflow run (its log URL).
        ("github", True, 3),
        ("jira", True, 2),  # the JQL search, then one lookup of OPS-2..4
    ]
    [search, lookup] = fake_jira.requests
    assert search.path == lookup.path == "/rest/api/3/search/jql"
    assert lookup.query["jql"] == 'key in ("OPS-2", "OPS-3", "OPS-4")'
    assert search.query["jql"] == (
        'project in ("OPS") AND labels = "postmortem" '
        'AND (component = "checkout" OR labels = "service:checkout")'
    )
    assert set(search.query["fields"].split(",")) == {
        "summary", "status", "resolution", "resolutiondate", "created", "duedate",
        "description", "components",
    }  # fmt: skip
    assert search.headers["authorization"].startswith("Basic ")
    assert JIRA_TOKEN not in result.output


def test_the_text_format_shows_the_jira_items_and_no_holder_as_a_postmortem(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    ids = build_github(fake_github)
    build_jira(fake_jira.world, ids["postmortem_url"])
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    result = run_check(write_config(tmp_path, fake_jira.url), cloud_env(fake_github), output="text")
    assert result.exit_code == 1, result.output
    assert "Validate payment config in CI" in result.stdout
    assert "Page on checkout latency" in result.stdout
    assert "Stage configs like production" not in result.stdout  # done in Jira, box unticked
    assert "Search only" not in result.stdout


def test_data_center_pages_through_startat_and_reports_the_same_findings(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira_dc: FakeJira,
    tmp_path: Path,
) -> None:
    ids = build_github(fake_github)
    build_jira(fake_jira_dc.world, ids["postmortem_url"], flavour="data-center")
    fake_jira_dc.world.personal_token(PAT)
    env = fake_github.actions_env(GITHUB_TOKEN, "acme/shop") | {"JIRA_API_TOKEN": PAT}
    result = run_check(write_config(tmp_path, fake_jira_dc.url), env)
    assert result.exit_code == 1, result.output
    assert observed(json_report(result.stdout)) == expected_findings(ids)
    searches = fake_jira_dc.requests
    assert {r.path for r in searches} == {"/rest/api/2/search"}
    assert all(r.headers["authorization"] == f"Bearer {PAT}" for r in searches)
    # The JQL finds OPS-1, OPS-5, OPS-6 at two a page; the lookup OPS-2..4 at two a page.
    assert [(r.query["jql"][:6], r.query["startAt"]) for r in searches] == [
        ("projec", "0"), ("projec", "2"), ("key in", "0"), ("key in", "2")
    ]  # fmt: skip
    assert all(r.query["maxResults"] == "1000" for r in searches)


def test_cloud_follows_next_page_tokens_across_several_pages(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_github(fake_github)
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    ops = fake_jira.world.project("OPS", components=["checkout"])
    for number in range(250):
        ops.issue(f"Item {number}", created=at(5), labels=["postmortem"], components=["checkout"],
                  status="Done" if number % 2 else "To Do")  # fmt: skip
    result = run_check(write_config(tmp_path, fake_jira.url), cloud_env(fake_github))
    report = json_report(result.stdout)
    assert report["summary"]["open_action_items"] == 125
    pages = [r for r in fake_jira.requests if r.query["jql"].startswith("project")]
    assert len(pages) == 3  # 100 + 100 + 50
    assert "nextPageToken" not in pages[0].query
    assert all("nextPageToken" in page.query for page in pages[1:])
    assert [r.query["maxResults"] for r in pages] == ["100"] * 3


def test_a_referenced_key_that_jira_does_not_know_is_left_out_with_a_notice(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    ids = build_github(fake_github)
    build_jira(fake_jira.world, ids["postmortem_url"])
    account = fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    account.hidden.add("OPS-3")  # exists, but this account may not browse it
    issue = fake_github.world.repo("acme/incidents").get_issue(1)
    assert issue is not None
    issue.body += "\n- [ ] OPS-404 (deleted since)"
    result = run_check(write_config(tmp_path, fake_jira.url), cloud_env(fake_github))
    assert result.exit_code == 1, result.output
    document = json_report(result.stdout)
    assert observed(document) == expected_findings(ids)
    lookups = [r for r in fake_jira.requests if r.query["jql"].startswith("key in")]
    assert [(r.query["jql"], r.status) for r in lookups] == [
        ('key in ("OPS-2", "OPS-3", "OPS-4", "OPS-404")', 400),  # names OPS-3 and OPS-404
        ('key in ("OPS-2", "OPS-4")', 200),
    ]
    [jira] = [source for source in document["sources"] if source["name"] == "jira"]
    assert [notice.split(",")[0] for notice in jira["notices"]] == ["OPS-3", "OPS-404"]
    assert all(ids["postmortem"] in notice for notice in jira["notices"])


def test_local_postmortems_name_jira_keys_in_front_matter_and_task_lines(
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    ops = fake_jira.world.project("OPS", components=["checkout"])
    ops.issue("Alert on burn", created=at(30), duedate=date(2026, 11, 1))
    ops.issue("Validate config", created=at(30), status="Done")
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "2026-10-21-checkout.md").write_text(
        '+++\nservice = "checkout"\ndate = 2026-11-01T10:00:00Z\ndeployments = ["d1"]\n'
        'jira = ["OPS-1"]\n+++\n# Checkout 500s\n\n## Action items\n'
        "- [x] Alert on burn (the checkbox says done)\n"
        "- [ ] Validate config, tracked as OPS-2\n"
        "- [ ] Write the runbook\n",
        encoding="utf-8",
    )
    (tmp_path / "deployments.jsonl").write_text(
        '{"id": "d1", "service": "checkout", "environment": "production", '
        '"status": "failure", "created_at": "2026-10-31T10:00:00Z"}\n',
        encoding="utf-8",
    )
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["local", "jira"]\n[local]\npostmortems = "postmortems"\n'
        'history = "deployments.jsonl"\n'
        f'[jira]\nurl = "{fake_jira.url}"\nprojects = ["OPS"]\n'
    )
    env = {"JIRA_EMAIL": JIRA_EMAIL, "JIRA_API_TOKEN": JIRA_TOKEN}
    result = run_check(config, env)
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    assert [(f["rule"], (f["action_item"] or {}).get("id")) for f in report["findings"]] == [
        ("overdue-action-item", "OPS-1"),
        ("open-action-item", "postmortems/2026-10-21-checkout.md#write-the-runbook"),
        ("reviewed-failure", None),
    ]
    assert report["summary"]["open_action_items"] == 2  # OPS-2 done in Jira replaced its line


def test_the_configured_team_field_names_the_owner(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    ids = build_github(fake_github)
    build_jira(fake_jira.world, ids["postmortem_url"])
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    config = write_config(tmp_path, fake_jira.url, 'team-field = "customfield_10001"\n')
    result = run_check(config, cloud_env(fake_github))
    teams = {
        f["action_item"]["id"]: f["action_item"]["team"]
        for f in json_report(result.stdout)["findings"]
        if f["action_item"]
    }
    assert teams["OPS-2"] == "Payments"
    assert teams["OPS-1"] is None
    assert "customfield_10001" in fake_jira.requests[0].query["fields"].split(",")


@pytest.mark.parametrize(
    ("email", "token", "expected"),
    [
        (JIRA_EMAIL, "wrong", "Jira rejected the credentials (401); check JIRA_EMAIL and "),
        ("", "", "no Jira token: set JIRA_API_TOKEN"),
    ],
)
def test_bad_or_missing_credentials_are_one_line_and_exit_3(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
    email: str,
    token: str,
    expected: str,
) -> None:
    ids = build_github(fake_github)
    build_jira(fake_jira.world, ids["postmortem_url"])
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    result = run_check(write_config(tmp_path, fake_jira.url), cloud_env(fake_github, email, token))
    assert result.exit_code == 3, result.output
    [jira] = [s for s in json_report(result.stdout)["sources"] if s["name"] == "jira"]
    assert not jira["ok"]
    assert jira["error"].startswith(expected)
    assert "Traceback" not in result.output


def test_without_a_component_for_the_service_the_default_query_falls_back_to_the_label(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_github(fake_github)
    ops = fake_jira.world.project("OPS", components=["search"])
    for number in range(1, 5):  # OPS-1..4, which the postmortem names: done, not in question
        ops.issue(f"Named {number}", created=at(30), status="Done")
    ops.issue("Labelled for checkout", created=at(30), labels=["postmortem", "service:checkout"])
    ops.issue("Labelled for search", created=at(30), labels=["postmortem", "service:search"])
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    result = run_check(write_config(tmp_path, fake_jira.url), cloud_env(fake_github))
    document = json_report(result.stdout)
    [jira] = [s for s in document["sources"] if s["name"] == "jira"]
    assert jira["ok"], jira
    assert jira["notices"] == [
        "no Jira component 'checkout' in OPS; items matched by the service:checkout label only"
    ]
    titles = {f["action_item"]["title"] for f in document["findings"] if f["action_item"]}
    assert "Labelled for checkout" in titles
    assert "Labelled for search" not in titles
    searches = [r.query["jql"] for r in fake_jira.requests if "project" in r.query["jql"]]
    assert len(searches) == 2  # the default query, refused, then its label half
    assert "component" in searches[0]
    assert searches[1] == (
        'project in ("OPS") AND labels = "postmortem" AND labels = "service:checkout"'
    )


def test_a_component_in_a_query_the_team_wrote_is_named_and_exit_3(
    fake_github: FakeGitHub,  # noqa: F811
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    ids = build_github(fake_github)
    fake_jira.world.project("OPS", components=["search"])
    fake_jira.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    own = "jql = 'project = OPS AND component = \"{service}\"'\n"
    result = run_check(write_config(tmp_path, fake_jira.url, own), cloud_env(fake_github))
    assert result.exit_code == 3, result.output
    [jira] = [s for s in json_report(result.stdout)["sources"] if s["name"] == "jira"]
    assert "The value 'checkout' does not exist for the field 'component'" in jira["error"]
    assert "[jira] jql" in jira["error"]
    assert ids  # the GitHub side answered; only Jira failed


def test_a_missing_jira_url_is_a_config_error_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text('source = ["local", "jira"]\n[jira]\nprojects = ["OPS"]\n')
    result = run_check(config, {"JIRA_API_TOKEN": PAT})
    assert result.exit_code == 2, result.output
    assert "jira.url" in result.stderr
    assert "Traceback" not in result.output


def jira_settings(tmp_path: Path, url: str) -> JiraSettings:
    """The ``[jira]`` settings of a config naming ``url``, as ``check`` resolves them."""
    path = tmp_path / "deploygate.toml"
    path.write_text(f'source = ["local", "jira"]\n[jira]\nurl = "{url}"\nprojects = ["OPS"]\n')
    config = load(path, tmp_path, REGISTRY)
    settings: JiraSettings = REGISTRY["jira"].settings(config, SourceContext(env={}))
    return settings


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://jira.example.com", "is not an http(s) URL"),
        ("https://me:secret@jira.example.com", "holds credentials"),
        ("https://acme.atlassian.net/rest/api/3", "is not a site's base URL"),
        ("https://acme.atlassian.net/?x=1", "is not a site's base URL"),
    ],
)
def test_bad_site_urls_are_refused(tmp_path: Path, url: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=r"jira\.url") as caught:
        jira_settings(tmp_path, url)
    assert problem in str(caught.value)
    assert str(caught.value).startswith(f"{tmp_path / 'deploygate.toml'}:3: jira.url: ")
    assert "secret" not in str(caught.value) or problem == "holds credentials"


def test_the_flavour_follows_the_credentials(tmp_path: Path) -> None:
    settings = jira_settings(tmp_path, "https://jira.example.com/jira/")
    cloud = with_credentials(settings, {"JIRA_API_TOKEN": "t", "JIRA_EMAIL": "a@b.c"})
    center = with_credentials(settings, {"JIRA_API_TOKEN": "t"})
    assert (cloud.flavour, center.flavour) == (Flavour.CLOUD, Flavour.DATA_CENTER)
    assert center.url == "https://jira.example.com/jira"
    assert cloud.secrets == ("t", "a@b.c:t")
    with pytest.raises(SourceError, match="JIRA_EMAIL"):
        with_credentials(settings, {"JIRA_EMAIL": "a@b.c"})


def test_through_atlassians_gateway_items_link_to_the_site(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Scoped API tokens go through api.atlassian.com/ex/jira/CLOUD_ID, which serves the
    API but no issue pages: ``browse-url`` says where people open them."""
    gateway = FakeJira(api_prefix="/ex/jira/0b1c2d3e")
    with gateway:
        ids = build_github(fake_github)
        build_jira(gateway.world, ids["postmortem_url"])
        gateway.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
        config = write_config(
            tmp_path,
            f"{gateway.url}/ex/jira/0b1c2d3e",
            extra='browse-url = "https://acme.atlassian.net/"\n',
        )
        result = run_check(config, cloud_env(fake_github))
    gateway.check()
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    assert observed(report) == expected_findings(ids)
    urls = {f["action_item"]["url"] for f in report["findings"] if f["action_item"]}
    assert "https://acme.atlassian.net/browse/OPS-2" in urls
    assert all(url.startswith("https://acme.atlassian.net/browse/OPS-") for url in urls)
    assert {r.path for r in gateway.searches()} == {"/ex/jira/0b1c2d3e/rest/api/3/search/jql"}


def test_values_in_the_jql_are_escaped_for_quoted_strings(
    fake_jira: FakeJira,  # noqa: F811
) -> None:
    from deploygate.sources.jira.source import JiraTracker

    settings = JiraSettings(url=fake_jira.url, browse_url=fake_jira.url,
                            flavour=Flavour.CLOUD, token="t",  # noqa: S106
                            email="e",
                            projects=("OPS", "SEC"), jql=DEFAULT_JQL)  # fmt: skip
    jql = JiraTracker(settings).jql('we"ird\\name')
    assert jql == (
        'project in ("OPS", "SEC") AND labels = "postmortem" AND '
        '(component = "we\\"ird\\\\name" OR labels = "service:we\\"ird\\\\name")'
    )
    assert JiraTracker(settings).keys_in(
        "OPS-1, SEC-22, XOPS-3, OPS-0, OPS-12a, INFRA-4 OPS-1"
    ) == [
        "OPS-1",
        "SEC-22",
    ]


def test_adf_keeps_text_link_targets_and_cards_apart_on_lines() -> None:
    document = {
        "type": "doc",
        "version": 1,
        "content": [
            {"type": "heading", "attrs": {"level": 2},
             "content": [{"type": "text", "text": "Why"}]},
            {
                "type": "paragraph",
                "content": [
                    {"type": "text", "text": "see "},
                    {"type": "text", "text": "PM", "marks": [{"type": "link", "attrs": {"href": "https://x/1"}}]},
                    {"type": "hardBreak"},
                    {"type": "inlineCard", "attrs": {"url": "https://x/2"}},
                    {"type": "mention", "attrs": {"id": "1", "text": "@ana"}},
                ],
            },
            {"type": "bulletList", "content": [{"type": "listItem", "content": [
                {"type": "paragraph", "content": [{"type": "text", "text": "one"}]}]}]},
            {"type": "mystery", "content": [{"type": "text", "text": "kept"}, 7, None, "junk"]},
        ],
    }  # fmt: skip
    text = adf.to_text(document)
    assert text.splitlines()[0] == "Why"
    assert "see PM (https://x/1)" in text
    for part in ("https://x/2", "@ana", "one", "kept"):
        assert part in text
    assert adf.to_text("plain wiki text") == "plain wiki text"
    assert adf.to_text(None) == adf.to_text(42) == ""
    deep: dict[str, Any] = {"type": "text", "text": "bottom"}
    for _ in range(10_000):
        deep = {"type": "paragraph", "content": [deep]}
    assert "bottom" not in adf.to_text(deep)  # cut off, never a RecursionError


def test_a_jira_front_matter_entry_that_is_not_a_key_is_exit_2(tmp_path: Path) -> None:
    folder = tmp_path / "postmortems"
    folder.mkdir()
    (folder / "pm.md").write_text(
        '+++\nservice = "checkout"\ndate = 2026-11-01T10:00:00Z\njira = ["ops-1"]\n+++\n# PM\n',
        encoding="utf-8",
    )
    config = tmp_path / "deploygate.toml"
    config.write_text('[local]\npostmortems = "postmortems"\n')
    result = run_check(config, {})
    assert result.exit_code == 2, result.output
    assert "pm.md:4: jira: must be a list of Jira issue keys" in result.stderr
