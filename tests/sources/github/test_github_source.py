"""The GitHub source end to end: the CLI against the fake GitHub holding a year of history."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from actions_runner import commands
from conftest import json_report, run_cli
from fakes.clock import FakeClock
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.github_openapi import assert_rest_traffic_matches_openapi
from fakes.worlds import GITHUB_TOKEN as TOKEN
from fakes.worlds import NOW, RUN, at
from fakes.worlds import github_year as build_year

from deploygate.sanitize import terminal
from deploygate.sources.github import queries


def run_check(
    fake: FakeGitHub, tmp_path: Path, *args: str, token: str = TOKEN, lookback: str = "90d"
):
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = "github"\nlookback = "{lookback}"\n'
        '[github]\npostmortem-repository = "acme/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    env = fake.actions_env(token, "acme/shop") | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env,
    )  # fmt: skip


def test_a_year_of_history_gives_exactly_the_expected_findings(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    numbers = build_year(fake_github)
    result = run_check(fake_github, tmp_path)
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    observed = [
        (
            finding["level"],
            finding["rule"],
            (finding["deployment"] or {}).get("id"),
            (finding["action_item"] or {}).get("id"),
            finding["link"],
        )
        for finding in report["findings"]
    ]
    assert observed == [
        ("error", "overdue-action-item", None, f"acme/shop#{numbers['overdue']}", None),
        ("warning", "open-action-item", None, f"acme/api#{numbers['referenced_open']}", None),
        ("warning", "open-action-item", None, f"acme/api#{numbers['checkbox_lies']}", None),
        ("warning", "open-action-item", None, f"acme/api#{numbers['contract_test']}", None),
        ("warning", "unreviewed-failure", str(numbers["failed-15"]), None, None),
        ("notice", "declined-action-item", None, f"acme/incidents#{numbers['declined']}", None),
        ("notice", "declined-action-item", None, f"acme/shop#{numbers['duplicate']}", None),
        ("notice", "reviewed-failure", str(numbers["failed-71"]), None, "reference"),
        ("notice", "reviewed-failure", str(numbers["failed-50"]), None, "time-window"),
        ("notice", "unreviewed-failure", str(numbers["failed-1"]), None, None),
    ]
    assert report["summary"] == {
        "failed_deployments": 4,
        "reviewed_failures": 2,
        "postmortems": 2,
        "open_action_items": 4,
        "overdue_action_items": 1,
    }
    [source] = report["sources"]
    # Deployments, postmortems, task-list references, and one query for the runs behind
    # the four failures' log URLs (runs the fake does not know: no signature, no more).
    assert (source["name"], source["ok"], source["error"], source["requests"]) == (
        "github",
        True,
        None,
        4,
    )
    # The fake charges GitHub's documented GraphQL costs: the remaining points are reported.
    assert source["rate_limit_limit"] == 5000
    assert 0 < source["rate_limit_remaining"] < 5000


def test_request_count_stays_within_the_budget(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_github)
    assert run_check(fake_github, tmp_path).exit_code == 1
    deployments_in_window, postmortems, failed_with_runs = 90, 3, 4
    budget = math.ceil(deployments_in_window / 100) + math.ceil(postmortems / 50) + 3
    sent = fake_github.requests
    assert len(sent) <= budget
    # deployments, postmortems, one lookup of task-list references, one of the failures' runs
    assert len(sent) == 3 + math.ceil(failed_with_runs / queries.RUNS_PER_JOB_LOOKUP)
    for request in sent:
        query = json.loads(request.body)["query"]
        assert "deployment(" not in query  # never one request per deployment


def test_no_token_is_one_clear_line_and_exit_3(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = run_check(fake_github, tmp_path, token="")
    assert result.exit_code == 3
    assert json_report(result.stdout)["sources"][0]["error"].startswith(
        "no GitHub token: set GITHUB_TOKEN"
    )


@pytest.mark.parametrize(
    ("token_setup", "expected"),
    [
        ("unknown", "GitHub rejected the token (401 Bad credentials)"),
        ("other-repo", "not found, or the token cannot read it"),
    ],
)
def test_bad_tokens_say_what_is_missing(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    token_setup: str,
    expected: str,
) -> None:
    build_year(fake_github)
    token = "ghs_unknown_token"
    if token_setup == "other-repo":
        token = "ghs_other_repo_only"
        fake_github.world.token(token, login="bot[bot]", repos=["acme/elsewhere"])
    result = run_check(fake_github, tmp_path, token=token)
    assert result.exit_code == 3
    error = json_report(result.stdout)["sources"][0]["error"]
    assert expected in error
    assert token not in result.output


def test_a_missing_repository_is_named(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    result = run_check(fake_github, tmp_path, "--repo", "acme/nope")
    assert result.exit_code == 3
    assert "acme/nope" in json_report(result.stdout)["sources"][0]["error"]


def test_a_flaky_api_is_retried_inside_the_deadline(
    fake_github: FakeGitHub,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
) -> None:
    build_year(fake_github)
    fake_github.faults.add("/graphql", status=502, times=2)
    result = run_check(fake_github, tmp_path)
    assert result.exit_code == 1, result.output
    assert len(fake_github.requests) == 2 + 4  # two 502s, then the four queries of a check
    assert len(fake_clock.sleeps()) == 2  # a backoff before each retry
    assert fake_clock.longest() < 60  # inside the default deadline


def test_failures_older_than_ninety_days_count_inside_a_longer_lookback(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    # REST deletes deployment statuses after 90 days; GraphQL's state survives.
    numbers = build_year(fake_github)
    result = run_check(fake_github, tmp_path, lookback="365d")
    failed = {
        finding["deployment"]["id"]
        for finding in json_report(result.stdout)["findings"]
        if finding["deployment"]
    }
    assert str(numbers["failed-200"]) in failed


# -- the sticky pull-request comment ------------------------------------------


def comment_env(
    fake: FakeGitHub, tmp_path: Path, token: str, event: str = "pull_request", number: int = 7
):
    payload = tmp_path / "event.json"
    payload.write_text(json.dumps({"pull_request": {"number": number}}))
    return fake.actions_env(token, "acme/shop") | {
        "GITHUB_EVENT_NAME": event,
        "GITHUB_EVENT_PATH": str(payload),
        "GITHUB_STEP_SUMMARY": "",
        "GITHUB_OUTPUT": "",
    }


def comment_run(
    fake: FakeGitHub,
    tmp_path: Path,
    token: str = TOKEN,
    event: str = "pull_request",
    number: int = 7,
):
    args = ["check", "--source", "local", "--service", "checkout", "--comment", "--format", "json"]
    (tmp_path / "postmortems").mkdir(exist_ok=True)
    config = tmp_path / "deploygate.toml"
    config.write_text('[local]\npostmortems = "postmortems"\n')
    return run_cli(
        *args, "--config", str(config), env=comment_env(fake, tmp_path, token, event, number)
    )


def ours(fake: FakeGitHub) -> list[str]:
    """The PR's comments; first, every REST answer so far is checked against GitHub's OpenAPI."""
    assert assert_rest_traffic_matches_openapi(fake) > 0
    return [c.body for c in fake.world.repo("acme/shop").comments(7)]


def test_comment_is_created_once_then_edited(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    fake_github.world.repo("acme/shop").pull_request(number=7)
    first = comment_run(fake_github, tmp_path)
    assert first.exit_code == 0, first.output
    assert "commented on pull request #7" in first.stderr
    second = comment_run(fake_github, tmp_path)
    assert "updated the deploygate comment on pull request #7" in second.stderr
    bodies = ours(fake_github)
    assert len(bodies) == 1
    # An empty local history: a warning that nothing was seen.
    assert bodies[0].startswith("<!-- deploygate:sticky-comment -->\n### ⚠️ deploygate: warn")
    assert len(fake_github.requests_to("/comments", method="POST")) == 1


def test_a_users_comment_with_the_marker_is_never_touched(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    shop = fake_github.world.repo("acme/shop")
    shop.pull_request(number=7)
    spoof = "<!-- deploygate:sticky-comment --> I quoted the marker"
    shop.comment(7, spoof, "mallory")
    comment_run(fake_github, tmp_path)
    bodies = ours(fake_github)
    assert bodies[0] == spoof
    assert len(bodies) == 2
    assert fake_github.requests_to("/issues/comments/", method="PATCH") == []


def test_a_read_only_token_gets_a_notice_and_the_gate_goes_on(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]", can_comment=False)
    fake_github.world.repo("acme/shop").pull_request(number=7)
    result = comment_run(fake_github, tmp_path)
    assert result.exit_code == 0
    assert "pull requests from forks get a read-only token" in result.stderr
    assert ours(fake_github) == []


def test_outside_a_pull_request_nothing_is_written(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    result = comment_run(fake_github, tmp_path, event="push")
    assert result.exit_code == 0
    assert "not a pull request event (push); no comment written" in result.stderr
    assert fake_github.requests == []


def test_a_failed_post_that_landed_is_edited_not_posted_again(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    fake_github.world.repo("acme/shop").pull_request(number=7)
    fake_github.faults.add("/comments", method="POST", status=502, after_store=True)
    result = comment_run(fake_github, tmp_path)
    assert "updated the deploygate comment on pull request #7" in result.stderr
    assert len(ours(fake_github)) == 1
    assert len(fake_github.requests_to("/comments", method="POST")) == 1


def test_the_token_never_appears_anywhere(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_github)
    number = fake_github.world.repo("acme/shop").pull_request().number
    result = comment_run(fake_github, tmp_path, number=number)
    comments = fake_github.world.repo("acme/shop").comments(number)
    assert len(comments) == 1
    everything = result.stdout + result.stderr + comments[0].body
    assert TOKEN not in everything
    bodies = b"".join(request.body for request in fake_github.requests)
    assert TOKEN.encode() not in bodies


def test_github_enterprise_server_paths_are_derived_from_the_api_url(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_github)
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n')
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": "acme/shop",
        "GITHUB_API_URL": fake_github.ghes_api_url,  # .../api/v3, and no GITHUB_GRAPHQL_URL
        "CI": "true",
    }
    args = ["check", "--config", str(config), "--service", "checkout", "--format", "json"]
    result = run_cli(*args, "--now", NOW.isoformat(), env=env)
    assert json_report(result.stdout)["sources"][0]["ok"] is True
    assert {request.path for request in fake_github.requests} == {"/api/graphql"}


def test_hostile_issue_titles_produce_no_workflow_command(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    hostile = "x\n::set-output name=verdict::pass\r::error::owned ##[warning]b ::stop-commands::z"
    build_year(fake_github)
    shop = fake_github.world.repo("acme/shop")
    pm = fake_github.world.repo("acme/incidents").issue(
        title=hostile, labels=["postmortem", "service:checkout"], created_at=at(5)
    )
    pm.add_sub_issue(shop.issue(title=hostile, created_at=at(5)))
    env = fake_github.actions_env(TOKEN, "acme/shop")
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n')
    args = ["check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat()]
    result = run_cli(*args, env=env | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""})
    found = commands(result.stdout) + commands(result.stderr)
    assert {c.name for c in found} <= {"error", "warning", "notice"}
    assert all(c.properties["title"].startswith("deploygate ") for c in found)
    # The title is shown whole as data, its control characters made visible.
    assert any(terminal(hostile) in c.data for c in found)
    assert result.exit_code == 1


def test_a_low_rate_limit_is_a_notice(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_github)
    fake_github.rate_limit(TOKEN, "graphql").remaining = 300
    result = run_check(fake_github, tmp_path, "--format", "github")
    notices = [
        c for c in commands(result.stdout) if c.properties.get("title") == "deploygate: rate limit"
    ]
    assert len(notices) == 1
    assert "github rate limit low:" in notices[0].data


def test_a_seeded_repeat_failure_is_found_by_its_cause_label(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    numbers = build_year(fake_github)
    incidents = fake_github.world.repo("acme/incidents")
    # Label the September postmortem and a new one about the failure 15 days ago alike.
    pm1 = next(i for i in incidents.issues.values() if i.title.startswith("Checkout 500s"))
    pm1.labels.append(incidents.label("cause:config-drift"))
    incidents.issue(
        title="Sessions lost after the session store migration",
        labels=["postmortem", "service:checkout", "cause:config-drift"],
        body=f"Deploy {RUN.format(1015)} failed.",
        created_at=at(14),
    )
    report = json_report(run_check(fake_github, tmp_path).stdout)
    [repeat] = [f for f in report["findings"] if f["rule"] == "repeat-failure"]
    assert repeat["level"] == "error"
    assert repeat["deployment"]["id"] == str(numbers["failed-15"])
    assert "the same cause (config-drift)" in repeat["message"]
    assert f"as deployment {numbers['failed-71']}" in repeat["message"]
