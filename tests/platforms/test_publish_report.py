"""`report --publish`: one sticky "Learning loop report" issue on GitHub and on GitLab.

The report is read from the quickstart's local store; where it is published
comes from the CI environment, against the fake servers and the real clients.
"""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.github_openapi import assert_rest_traffic_matches_openapi
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401

from deploygate.loop import LoopReport, ServiceLoop
from deploygate.platforms import Target
from deploygate.platforms.github import BODY_LIMIT as GITHUB_BODY_LIMIT
from deploygate.platforms.github import GitHubPlatform
from deploygate.platforms.sticky import REPORT_MARKER as MARKER
from deploygate.platforms.sticky import REPORT_TITLE as TITLE

CONFIG = str(REPO_ROOT / "examples" / "quickstart" / "deploygate.toml")
NOW = "2026-11-20T12:00:00Z"
GITHUB_TOKEN = "ghs_CANARY_publish_0123456789"
GITLAB_TOKEN = "glpat-CANARY-publish-0123456789"


def publish(env: dict[str, str], *args: str):
    return run_cli(
        "report", "--config", CONFIG, "--now", NOW, "--source", "local", "--publish", *args, env=env
    )


# -- GitHub ----------------------------------------------------------------------------------


@pytest.fixture
def github(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]")
    fake_github.world.repo("acme/shop")
    return fake_github


def github_env(fake: FakeGitHub) -> dict[str, str]:
    return fake.actions_env(GITHUB_TOKEN, "acme/shop") | {
        "GITHUB_STEP_SUMMARY": "",
        "GITHUB_OUTPUT": "",
    }


def marked(fake: FakeGitHub) -> list:
    return [i for i in fake.world.repo("acme/shop").issues.values() if MARKER in i.body]


def test_github_first_run_creates_the_issue_and_the_second_edits_it(github: FakeGitHub) -> None:
    first = publish(github_env(github))
    assert first.exit_code == 0, first.output
    [issue] = marked(github)
    assert issue.title == TITLE
    assert issue.author.login == "github-actions[bot]"
    assert issue.body.startswith(MARKER + "\n### 🔁 deploygate: learning loop")
    assert first.stderr == f"deploygate: published the learning loop report: {issue.url}\n"
    assert first.stdout.startswith("### 🔁 deploygate: learning loop")

    second = publish(github_env(github), "--service", "checkout")
    assert second.exit_code == 0, second.output
    [again] = marked(github)
    assert again is issue
    assert "| search |" not in issue.body  # the second run's report replaced the first
    assert len(github.requests_to("/repos/acme/shop/issues", method="POST")) == 1
    assert len(github.requests_to("/issues/", method="PATCH")) == 1
    calls = [(r.method, r.path, r.query.get("creator")) for r in github.requests]
    who, listing = ("GET", "/user", None), ("GET", "/repos/acme/shop/issues", "github-actions[bot]")
    assert calls == [
        who, listing, ("POST", "/repos/acme/shop/issues", None),
        who, listing, ("PATCH", f"/repos/acme/shop/issues/{issue.number}", None),
    ]  # fmt: skip
    assert assert_rest_traffic_matches_openapi(github) > 0
    everything = first.output + second.output + issue.body
    assert GITHUB_TOKEN not in everything


def test_github_a_persons_issue_quoting_the_marker_is_left_alone(github: FakeGitHub) -> None:
    shop = github.world.repo("acme/shop")
    spoof = shop.issue(title=TITLE, body=f"{MARKER}\nquoted in a bug report", author_login="eve")
    result = publish(github_env(github))
    assert result.exit_code == 0, result.output
    assert spoof.body == f"{MARKER}\nquoted in a bug report"
    assert [i.author.login for i in marked(github)] == ["eve", "github-actions[bot]"]


def test_github_a_closed_report_issue_stays_closed_and_a_new_one_opens(github: FakeGitHub) -> None:
    publish(github_env(github))
    [old] = marked(github)
    old.close()
    result = publish(github_env(github))
    assert result.exit_code == 0, result.output
    assert [i.state for i in marked(github)] == ["CLOSED", "OPEN"]


def test_github_a_502_after_the_post_landed_does_not_create_a_second_issue(
    github: FakeGitHub,
) -> None:
    github.faults.add("/repos/acme/shop/issues", method="POST", status=502, after_store=True)
    result = publish(github_env(github))
    assert result.exit_code == 0, result.output
    [issue] = marked(github)
    assert result.stderr.endswith(f"published the learning loop report: {issue.url}\n")
    assert len(github.requests_to("/repos/acme/shop/issues", method="POST")) == 1


def test_github_a_read_only_token_is_exit_3_with_one_clear_line(
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]", can_comment=False)
    fake_github.world.repo("acme/shop")
    result = publish(github_env(fake_github))
    assert result.exit_code == 3
    assert result.stderr == (
        "deploygate: error: the token cannot write issues in acme/shop (403); "
        "it needs issues: write\n"
    )
    assert marked(fake_github) == []


def test_github_a_huge_report_is_cut_under_the_body_limit_with_a_note(
    github: FakeGitHub,
) -> None:
    services = tuple(
        ServiceLoop(f"service-{n:05d}", 1, 0, 0.0, 0, None, None, 0, 0, 0, None)
        for n in range(2000)
    )
    report = LoopReport(
        period_start=datetime_at("2026-08-22"), period_end=datetime_at("2026-11-20"),
        services=services,
    )  # fmt: skip
    from deploygate.formats import loop_markdown

    markdown = loop_markdown.render(report)
    assert len(markdown) > GITHUB_BODY_LIMIT
    target = Target(
        github.api_url, "acme/shop", "acme/shop", GITHUB_TOKEN, env={"GITHUB_ACTIONS": "true"}
    )
    url = GitHubPlatform(target).publish_report(markdown)
    [issue] = marked(github)
    assert url == issue.url
    assert len(issue.body) <= GITHUB_BODY_LIMIT
    assert issue.body.endswith(
        "deploygate cut this issue to stay under the size limit; "
        "the job log of the run that published it has every finding.\n"
    )


def datetime_at(day: str):
    from datetime import datetime, timezone

    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def test_nowhere_to_publish_on_a_laptop_with_the_local_store_is_exit_2() -> None:
    result = publish({"GITHUB_ACTIONS": "", "GITLAB_CI": ""})
    assert result.exit_code == 2
    assert "--publish: nowhere to publish" in result.stderr


# -- GitLab ----------------------------------------------------------------------------------


@pytest.fixture
def gitlab(fake_gitlab: FakeGitLab) -> FakeGitLab:  # noqa: F811
    fake_gitlab.world.token(GITLAB_TOKEN, username="deploybot")
    fake_gitlab.world.project("group/shop")
    return fake_gitlab


def gitlab_env(fake: FakeGitLab) -> dict[str, str]:
    return fake.ci_env("glcbt-job-token", "group/shop") | {"GITLAB_TOKEN": GITLAB_TOKEN}


def gitlab_marked(fake: FakeGitLab) -> list:
    issues = fake.world.project("group/shop").issues.values()
    return [i for i in issues if MARKER in (i.description or "")]


def test_gitlab_first_run_creates_the_issue_and_the_second_edits_it(gitlab: FakeGitLab) -> None:
    shop = gitlab.world.project("group/shop")
    shop.issue(TITLE, f"{MARKER}\nquoted by a person", author_username="mallory")
    first = publish(gitlab_env(gitlab))
    assert first.exit_code == 0, first.output
    second = publish(gitlab_env(gitlab), "--service", "checkout")
    assert second.exit_code == 0, second.output
    spoof, ours = gitlab_marked(gitlab)
    assert spoof.description == f"{MARKER}\nquoted by a person"
    assert (ours.title, ours.author.username) == (TITLE, "deploybot")
    assert ours.description.startswith(MARKER + "\n### 🔁 deploygate: learning loop")
    assert "| search |" not in ours.description
    url = f"{gitlab.url}/group/shop/-/issues/{ours.iid}"
    assert second.stderr == f"deploygate: published the learning loop report: {url}\n"
    assert len(gitlab.requests_to("/issues", method="POST")) == 1
    assert len(gitlab.requests_to("/issues/", method="PUT")) == 1
    assert GITLAB_TOKEN not in first.output + second.output + ours.description


def test_gitlab_a_502_after_the_post_landed_does_not_create_a_second_issue(
    gitlab: FakeGitLab,
) -> None:
    gitlab.faults.add("/issues", method="POST", status=502, after_store=True)
    result = publish(gitlab_env(gitlab))
    assert result.exit_code == 0, result.output
    assert len(gitlab_marked(gitlab)) == 1
    assert len(gitlab.requests_to("/issues", method="POST")) == 1


def test_gitlab_a_read_api_token_is_exit_3_with_one_clear_line(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(GITLAB_TOKEN, username="deploybot", can_write_notes=False)
    fake_gitlab.world.project("group/shop")
    result = publish(gitlab_env(fake_gitlab))
    assert result.exit_code == 3
    assert result.stderr == (
        "deploygate: error: the token cannot write issues in group/shop (403); "
        "it needs the api scope and at least the Planner or Reporter role\n"
    )
    assert gitlab_marked(fake_gitlab) == []


@pytest.mark.parametrize("padding", ["\n", " \r\n"], ids=repr)
def test_gitlab_a_token_pasted_with_its_line_end_publishes(
    gitlab: FakeGitLab, padding: str
) -> None:
    """The token is stripped where it is read, so the platform sends it clean: before, the
    header was refused and the error, token included, was printed with exit 4."""
    result = publish(gitlab_env(gitlab) | {"GITLAB_TOKEN": GITLAB_TOKEN + padding})
    assert result.exit_code == 0, result.output
    assert len(gitlab_marked(gitlab)) == 1
    assert "CANARY" not in result.output
