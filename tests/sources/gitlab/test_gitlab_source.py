"""The GitLab source and MR note end to end: the CLI against the fake GitLab."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, run_cli
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import GITLAB_JOB_TOKEN as JOB_TOKEN
from fakes.worlds import GITLAB_TOKEN as TOKEN
from fakes.worlds import NOW, at
from fakes.worlds import gitlab_year as build_year


def write_config(tmp_path: Path, extra: str = "") -> Path:
    """The GitLab config of these tests: the project comes from the CI's variables."""
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n' + extra
    )
    return config


def run_check(
    fake: FakeGitLab,
    tmp_path: Path,
    *args: str,
    env: dict[str, str] | None = None,
    extra: str = "",
):
    config = write_config(tmp_path, extra)
    environment = fake.ci_env(JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": TOKEN}
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=environment | (env or {}),
    )  # fmt: skip


OLDER_GITLAB = frozenset({"Issue.linkedWorkItems"})
"""What a GitLab before 17.8 lacks: its postmortems and links are read through REST."""


@pytest.mark.parametrize("lacks", [frozenset(), OLDER_GITLAB], ids=["graphql", "rest"])
def test_a_year_of_history_gives_exactly_the_expected_findings(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    lacks: frozenset[str],
) -> None:
    """Both paths, GraphQL and the REST fallback, judge the same history alike."""
    expected = build_year(fake_gitlab)
    fake_gitlab.graphql_lacks = set(lacks)
    result = run_check(fake_gitlab, tmp_path)
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
        ("error", "overdue-action-item", None, expected["overdue"], None),
        ("warning", "open-action-item", None, expected["referenced"], None),
        ("warning", "open-action-item", None, expected["contract"], None),
        ("warning", "unreviewed-failure", expected["failed-15"], None, None),
        ("notice", "declined-action-item", None, expected["declined"], None),
        # Failed in the job of the reviewed failure 71 days ago, with the same generic
        # script_failure: related, no evidence of a repeat.
        ("notice", "repeat-failure", expected["failed-15"], None, None),
        ("notice", "reviewed-failure", expected["failed-71"], None, "reference"),
        ("notice", "reviewed-failure", expected["failed-50"], None, "time-window"),
        ("notice", "unreviewed-failure", expected["failed-1"], None, None),
    ]
    repeat = report["findings"][5]
    assert repeat["message"] == (
        f"Related prior failure: deployment {expected['failed-15']} "
        "(production, 000000f, 2026-11-05) failed with the same failing job "
        "(deploy: script_failure) as deployment "
        f"{expected['failed-71']} (production, 0000047, 2026-09-10), reviewed by postmortem "
        "“Checkout 500s after the payment config rollout”; its done action items: "
        "“Validate config in CI” (no linked change)"
    )
    assert report["summary"] == {
        "failed_deployments": 4,
        "reviewed_failures": 2,
        "postmortems": 2,
        "open_action_items": 3,
        "overdue_action_items": 1,
    }


def test_requests_grow_with_deployments_by_pages_of_a_hundred(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Every production deployment of the 90-day window is read, for rollbacks: ceil(D/100)."""
    build_year(fake_gitlab)
    deployments = 89  # one a day in production inside the window; staging is not asked for
    assert run_check(fake_gitlab, tmp_path).exit_code == 1
    deployment_requests = fake_gitlab.requests_to("/deployments")
    assert len(deployment_requests) == math.ceil(deployments / 100)
    assert "status" not in deployment_requests[0].query
    assert deployment_requests[0].query["environment"] == "production"
    listings = 2  # postmortem label, incidents: each one GraphQL page of postmortems and links
    references = 1  # one aliased query for group/shop#N and the missing group/shop#9999
    # The done item was closed by hand (merge_requests_count 0): no closed_by request.
    assert len(fake_gitlab.requests) == 1 + listings + references

    for day in range(89, 0, -1):  # a second deployment each day: 178 in the window
        fake_gitlab.world.project("group/shop").deployment(created_at=at(day, 14))
    fake_gitlab.requests.clear()
    assert run_check(fake_gitlab, tmp_path).exit_code == 1
    assert len(fake_gitlab.requests_to("/deployments")) == math.ceil(178 / 100)


def test_without_rollback_detection_requests_never_grow_with_deployments(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """[rollbacks] detect = false: only the failed deployments are asked for, on one page."""
    build_year(fake_gitlab)
    result = run_check(fake_gitlab, tmp_path, extra="[rollbacks]\ndetect = false\n")
    assert result.exit_code == 1, result.output
    deployment_requests = fake_gitlab.requests_to("/deployments")
    assert len(deployment_requests) == 1
    assert deployment_requests[0].query["status"] == "failed"
    assert json_report(result.stdout)["summary"]["failed_deployments"] == 4


def test_a_job_token_alone_is_named_as_not_enough(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_gitlab)
    result = run_check(fake_gitlab, tmp_path, env={"GITLAB_TOKEN": ""})
    assert result.exit_code == 3
    error = json_report(result.stdout)["sources"][0]["error"]
    assert error.startswith("only CI_JOB_TOKEN is set, and it can read deployments but not issues")
    assert JOB_TOKEN not in result.output


def test_a_bad_token_is_one_clear_line(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_gitlab)
    result = run_check(fake_gitlab, tmp_path, env={"GITLAB_TOKEN": "glpat-wrong"})
    assert result.exit_code == 3
    assert "GitLab rejected the token (401)" in json_report(result.stdout)["sources"][0]["error"]
    assert "glpat-wrong" not in result.output


def test_a_next_page_on_another_host_is_never_sent_the_token(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_gitlab)
    for day in range(2, 140):  # enough failures for several pages
        fake_gitlab.world.project("group/shop").deployment(
            environment="production", status="failed", created_at=at(day % 80 + 1, 3)
        )
    other = fake_gitlab.point_page_links_to_other_host()
    result = run_check(fake_gitlab, tmp_path)
    assert fake_gitlab.requests_on(other) == []
    assert json_report(result.stdout)["summary"]["failed_deployments"] > 100


def test_the_default_format_in_gitlab_ci_is_the_sectioned_log(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    build_year(fake_gitlab)
    result = run_check(fake_gitlab, tmp_path, "--format", "gitlab")
    assert "section_start:" in result.stdout
    assert TOKEN not in result.output


# -- the sticky merge-request note -------------------------------------------


def note_run(fake: FakeGitLab, tmp_path: Path, iid: str = "12", token: str = TOKEN):
    (tmp_path / "postmortems").mkdir(exist_ok=True)
    config = tmp_path / "deploygate.toml"
    config.write_text('[local]\npostmortems = "postmortems"\n')
    env = fake.ci_env(JOB_TOKEN, "group/shop") | {
        "GITLAB_TOKEN": token,
        "CI_MERGE_REQUEST_IID": iid,
    }
    args = ["check", "--config", str(config), "--service", "checkout", "--comment"]
    return run_cli(*args, "--format", "json", env=env)


def test_the_note_is_created_once_then_edited_and_a_users_note_is_untouched(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = fake_gitlab.world
    world.token(TOKEN, username="deploybot")
    shop = world.project("group/shop")
    shop.merge_request(iid=12)
    shop.note(12, "<!-- deploygate:sticky-comment --> quoted by a person", "mallory")
    first = note_run(fake_gitlab, tmp_path)
    assert "noted on merge request !12" in first.stderr
    second = note_run(fake_gitlab, tmp_path)
    assert "updated the deploygate note on merge request !12" in second.stderr
    notes = shop.notes_of(12)
    assert len(notes) == 2
    assert notes[0].body == "<!-- deploygate:sticky-comment --> quoted by a person"
    # An empty local history: a warning that nothing was seen.
    assert notes[1].body.startswith("<!-- deploygate:sticky-comment -->\n### ⚠️ deploygate: warn")
    assert len(fake_gitlab.requests_to("/notes", method="POST")) == 1


def test_a_token_that_cannot_write_gets_a_notice(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_gitlab.world.token(TOKEN, username="deploybot", can_write_notes=False)
    fake_gitlab.world.project("group/shop").merge_request(iid=12)
    result = note_run(fake_gitlab, tmp_path)
    assert result.exit_code == 0
    assert "the token cannot write a note on merge request !12 (403)" in result.stderr


def test_a_failed_post_that_landed_is_edited_not_posted_again(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_gitlab.world.token(TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/shop")
    shop.merge_request(iid=12)
    fake_gitlab.faults.add("/notes", method="POST", status=502, after_store=True)
    result = note_run(fake_gitlab, tmp_path)
    assert "updated the deploygate note on merge request !12" in result.stderr
    assert len(shop.notes_of(12)) == 1
    assert len(fake_gitlab.requests_to("/notes", method="POST")) == 1


def test_outside_a_merge_request_nothing_is_written(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_gitlab.world.token(TOKEN, username="deploybot")
    result = note_run(fake_gitlab, tmp_path, iid="")
    assert "not a merge request pipeline" in result.stderr
    assert fake_gitlab.requests == []


def test_deployment_ids_past_2_53_are_read_and_reported_digit_for_digit(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """GitLab's ids are JSON numbers; past 2**53 a reader that makes them doubles rounds
    them. They are read exactly, reviewed by the id a postmortem names, and reported as
    the same digits, as strings."""
    fake_gitlab.world.token(TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/shop")
    incidents = fake_gitlab.world.project("group/incidents")
    reviewed, unreviewed = 2**53 + 1, 2**53 + 3
    for number, days_ago in ((reviewed, 11), (unreviewed, 9)):
        shop.deployment(id=number, status="failed", created_at=at(days_ago))
    incidents.issue(
        title="Checkout failed to start",
        description=f"Deployment {reviewed} failed: a typo in the config.",
        labels=["postmortem", "service::checkout"],
        issue_type="incident",
        created_at=at(5),
    )
    report = json_report(run_check(fake_gitlab, tmp_path).stdout)
    deployments = {
        finding["deployment"]["id"]: finding["rule"]
        for finding in report["findings"]
        if finding["deployment"]
    }
    assert deployments == {
        str(reviewed): "reviewed-failure",
        str(unreviewed): "unreviewed-failure",
    }


def test_an_older_gitlab_is_read_through_rest_after_one_refusal_and_says_so(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A GitLab before 17.8 refuses the postmortem query (no ``Issue.linkedWorkItems``): the
    refusal is met once, on the first queries (one per listing, sent side by side), and the
    run goes on through REST, one links request per postmortem, with a notice."""
    build_year(fake_gitlab)
    fake_gitlab.graphql_lacks = set(OLDER_GITLAB)
    result = run_check(fake_gitlab, tmp_path, "--debug")
    assert result.exit_code == 1, result.output
    assert "deploygate: debug: gitlab: postmortems through REST" in result.stderr
    (source,) = json_report(result.stdout)["sources"]
    assert any("through REST" in notice and "17.8" in notice for notice in source["notices"])
    listings, postmortems, references = 2, 2, 2
    assert len(fake_gitlab.requests_to("/api/graphql")) == listings
    assert len(fake_gitlab.requests_to("/links")) == postmortems
    assert len(fake_gitlab.requests) == 1 + listings + listings + postmortems + references


def test_a_gitlab_without_a_graphql_endpoint_is_read_through_rest(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    expected = build_year(fake_gitlab)
    fake_gitlab.graphql_enabled = False
    result = run_check(fake_gitlab, tmp_path)
    assert result.exit_code == 1, result.output
    report = json_report(result.stdout)
    assert any("404" in notice for notice in report["sources"][0]["notices"])
    assert {f["action_item"]["id"] for f in report["findings"] if f["action_item"]} >= {
        expected["overdue"],
        expected["declined"],
    }


def test_a_graphql_error_partway_through_fails_the_source_naming_it(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The first page of postmortems came through GraphQL, then the second page is refused:
    GraphQL was there, so this is no fallback but a failure, said in one line (exit 3)."""
    build_year(fake_gitlab)
    incidents = fake_gitlab.world.project("group/incidents")
    for number in range(120):  # two pages of the label's listing
        incidents.issue(f"Postmortem {number}", labels=["postmortem"], created_at=at(200, 1))
    fake_gitlab.faults.add(
        lambda record: b'"after": "' in record.body,
        status=200,
        body={"data": None, "errors": [{"message": "Internal server error"}]},
        times=None,
    )
    result = run_check(fake_gitlab, tmp_path)
    assert result.exit_code == 3, result.output
    assert "GitLab GraphQL refused issues of group/incidents: Internal server error" in (
        result.stderr + result.stdout
    )
    assert "Traceback" not in result.output
    assert len(fake_gitlab.requests_to("/links")) == 0  # no fallback to REST


def test_task_lists_naming_many_projects_stay_within_the_complexity_limit(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """130 referenced issues in nine projects: a hundred issues and six projects a query, so
    GitLab never refuses one for its complexity, and each issue is read once."""
    fake_gitlab.world.token(TOKEN, username="deploybot")
    fake_gitlab.world.project("group/shop").deployment(status="failed", created_at=at(30))
    keys = []
    for number in range(9):
        project = fake_gitlab.world.project(f"group/team{number}")
        for _ in range(14):
            issue = project.issue("An action item")
            keys.append(f"group/team{number}#{issue.iid}")
    keys += [f"group/team{number}#999" for number in range(4)]  # gone: left out
    fake_gitlab.world.project("group/incidents").issue(
        "Checkout returned 500s",
        "\n".join(f"- [ ] {key}" for key in keys),
        labels=["postmortem"],
        created_at=at(29),
    )
    result = run_check(fake_gitlab, tmp_path)
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    items = {f["action_item"]["id"] for f in report["findings"] if f["action_item"]}
    assert items == set(keys[:-4])
    lookups = [r for r in fake_gitlab.requests_to("/api/graphql") if b"query Issues" in r.body]
    assert len(lookups) == 2  # 130 issues in 9 projects: six projects, then three
    for request in lookups:
        assert request.body.count(b"project(fullPath") <= 6
        assert b"complexity" not in request.response_body


def test_the_deployment_pages_after_the_first_are_asked_for_side_by_side(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Page 1 says there are four (X-Total-Pages): pages 2 to 4 are independent, so they are
    in flight together, and every deployment is read once. Each of them waits at a barrier
    for the other two: asked for one after the other, they would break it."""
    build_year(fake_gitlab)
    shop = fake_gitlab.world.project("group/shop")
    for number in range(300):
        shop.deployment(created_at=at(80 - number * 0.25, 3))
    together = threading.Barrier(3, timeout=10)
    answer = fake_gitlab.answer

    def meet_then_answer(record: Any) -> Any:
        if record.path.endswith("/deployments") and record.query.get("page") in {"2", "3", "4"}:
            together.wait()
        return answer(record)

    fake_gitlab.answer = meet_then_answer  # type: ignore[method-assign]
    result = run_check(fake_gitlab, tmp_path)
    assert result.exit_code == 1, result.output
    pages = sorted(r.query.get("page", "1") for r in fake_gitlab.requests_to("/deployments"))
    assert pages == ["1", "2", "3", "4"]
    assert not together.broken


@pytest.mark.parametrize("lacks", [frozenset(), OLDER_GITLAB], ids=["graphql", "rest"])
def test_a_check_reads_gitlab_without_python_gitlab(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    lacks: frozenset[str],
) -> None:
    """The source only reads, through our HTTP client: importing python-gitlab would cost a
    check about a tenth of a second before its first request (benchmarks/run.py); nor does
    a check that names no local store load the local source's Markdown and git readers."""
    build_year(fake_gitlab)
    fake_gitlab.graphql_lacks = set(lacks)
    config = write_config(tmp_path)
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['deploygate', 'check', '--config', sys.argv[1], '--service', 'checkout',"
        f" '--now', {NOW.isoformat()!r}]\n"
        "try:\n"
        "    runpy.run_module('deploygate', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    print('exit', exit.code, 'gitlab' in sys.modules,"
        " 'deploygate.sources.local.source' in sys.modules, file=sys.stderr)\n"
    )
    environment = fake_gitlab.ci_env(JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": TOKEN}
    result = subprocess.run(
        [sys.executable, "-c", probe, str(config)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **environment},
    )
    assert result.stderr.strip().splitlines()[-1] == "exit 1 False False", result.stderr
    assert "verdict: block" in result.stdout
    assert fake_gitlab.requests, "the check read nothing from the fake"
