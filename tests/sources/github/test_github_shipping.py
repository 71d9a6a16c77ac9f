"""Did the lesson ship? The five cases on the fake GitHub, and the local store's answer.

The fixes come with the items, in the query that reads them: a merged
pull request that closed the item (``closedByPullRequestsReferences``), or
the commit its ClosedEvent names. Whether a deployment holds a fix is the
compare API's answer (``behind`` or ``identical``), each pair asked once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import findings_by_rule, json_report, loop_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.github_openapi import assert_rest_traffic_matches_openapi
from fakes.shipped import (
    CLOSED_BY_COMMIT,
    NO_CHANGE,
    UNSHIPPED,
    days_ago,
    github_story,
    local_project,
    loop_numbers,
    shipping_findings,
)
from fakes.worlds import GITHUB_TOKEN, NOW

CONFIG = (
    '[github]\npostmortem-repository = "acme/incidents"\n'
    '[services.checkout]\nenvironments = ["production"]\n'
)


def check(fake: FakeGitHub, tmp_path: Path, *args: str, command: str = "check") -> dict[str, Any]:
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "github"\n' + CONFIG)
    result = run_cli(
        command, "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=fake.actions_env(GITHUB_TOKEN, "acme/shop") | {"GITHUB_STEP_SUMMARY": "",
                                                           "GITHUB_OUTPUT": ""},
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return loop_report(result.stdout) if command == "report" else json_report(result.stdout)


def compares(fake: FakeGitHub) -> list[str]:
    return [record.path for record in fake.requests if "/compare/" in record.path]


@pytest.fixture
def shas(fake_github: FakeGitHub) -> dict[str, str]:  # noqa: F811
    return github_story(fake_github)


def test_the_five_cases_match_the_local_store(
    fake_github: FakeGitHub,  # noqa: F811
    shas: dict[str, str],
    tmp_path: Path,
) -> None:
    """The same story gives the same shipping findings on GitHub as on the local store with
    its git repository, level by level and day by day."""
    github = check(fake_github, tmp_path)
    result = run_cli(
        "check", "--config", str(local_project(tmp_path / "local")), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", "json",
    )  # fmt: skip
    local = json_report(result.stdout)
    assert shipping_findings(github) == shipping_findings(local)
    assert len(shipping_findings(github)) == 3  # one unshipped fix, two repeats
    report = run_cli(
        "report", "--config", str(tmp_path / "local" / "deploygate.toml"), "--service",
        "checkout", "--now", NOW.isoformat(), "--format", "json",
    )  # fmt: skip
    github_loop = check(fake_github, tmp_path, command="report")
    assert loop_numbers(github_loop) == loop_numbers(loop_report(report.stdout))
    assert_rest_traffic_matches_openapi(fake_github)


def test_a_pull_request_merged_after_the_last_deploy_is_unshipped(
    fake_github: FakeGitHub,  # noqa: F811
    shas: dict[str, str],
    tmp_path: Path,
) -> None:
    report = check(fake_github, tmp_path)
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["level"] == "warning"
    assert unshipped["action_item"]["title"] == UNSHIPPED
    assert (
        f"its fix (PR #13, merged {days_ago(2).date()}) has not reached production: the latest "
        f"production deployment ({shas['I'][:7]}, {days_ago(5).date()}) does not contain it"
        in unshipped["message"]
    )
    [fix] = unshipped["action_item"]["fixes"]
    assert fix["url"] == "https://github.com/acme/shop/pull/13"
    assert fix["sha"] == shas["F"]


def test_repeats_say_whether_the_fix_had_shipped(
    fake_github: FakeGitHub,  # noqa: F811
    shas: dict[str, str],
    tmp_path: Path,
) -> None:
    report = check(fake_github, tmp_path)
    repeats = {f["deployment"]["sha"]: f for f in findings_by_rule(report, "repeat-failure")}
    after = repeats[shas["D"]]["message"]
    assert "its fix PR #11 shipped to production in deployment" in after
    assert f"and the failure repeated on {days_ago(30).date()}: the lesson did not work" in after
    assert f"“{NO_CHANGE}” (no linked change)" in after
    before = repeats[shas["D'"]]["message"]
    commit_fix = shas[CLOSED_BY_COMMIT][:7]
    assert f"its fix {commit_fix} had not shipped when the failure repeated" in before


def test_fixes_are_followed_in_batches_and_the_deploying_sha_ships_the_fix(
    fake_github: FakeGitHub,  # noqa: F811
    shas: dict[str, str],
    tmp_path: Path,
) -> None:
    """Every fix's first questions go in one GraphQL query, and the repeats' in one more:
    no compare is needed when each fix shipped in the first deploy after its merge.
    GITHUB_SHA (here --sha) that holds the unshipped fix makes its finding a notice."""
    report = check(fake_github, tmp_path, "--sha", shas["F"])
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["level"] == "notice"
    assert unshipped["message"].endswith("; this deploy ships it")
    batches = [r for r in fake_github.graphql_requests if b"query Contains(" in r.body]
    assert len(batches) == 2  # at the check's time, and at the repeats'
    assert compares(fake_github) == []
    [github] = report["sources"]
    assert github["requests"] == len(fake_github.requests)


def test_a_fix_that_shipped_late_is_found_by_compares(
    fake_github: FakeGitHub,  # noqa: F811
    shas: dict[str, str],
    tmp_path: Path,
) -> None:
    """A fix that missed deploys after its merge (an old branch went out) is bisected with
    the compare API, each pair once."""
    shop = fake_github.world.repo("acme/shop")
    for day in (24, 22, 20, 18):  # the old branch, deployed again after E's merge on day 28
        shop.deployment(sha=shas["D'"], state="ACTIVE", created_at=days_ago(day))
    report = check(fake_github, tmp_path)
    asked = compares(fake_github)
    assert len(asked) == len(set(asked)) == 1  # E against H: the old branch's pair is known
    repeat = next(f for f in findings_by_rule(report, "repeat-failure")
                  if f["deployment"]["sha"] == shas["D'"])  # fmt: skip
    shipped_at = {s["fix"]["sha"]: s["fix"]["shipped_at"] for s in repeat["fixes"]}
    assert shipped_at[shas["E"]] == days_ago(15).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert assert_rest_traffic_matches_openapi(fake_github) == 1  # the compare, as documented


def test_a_fix_the_deploying_repository_lacks_is_a_notice_not_a_failure(
    fake_github: FakeGitHub,  # noqa: F811
    shas: dict[str, str],
    tmp_path: Path,
) -> None:
    """A fix merged in another repository (a library, say) is no commit of the deploying
    one: the compare answers 404, the source says so, and the check goes on."""
    world = fake_github.world
    library, incidents = world.repo("acme/client"), world.repo("acme/incidents")
    merged = library.commit("c0ffee" * 6 + "abcd", "Retry the client", at=days_ago(20))
    item = world.repo("acme/shop").issue(title="Retry in the client", created_at=days_ago(37))
    postmortem = next(issue for issue in incidents.issues.values() if issue.sub_issues)
    postmortem.add_sub_issue(item)
    library.pull_request(number=7, created_at=days_ago(21)).merge(merged, closes=[item])
    report = check(fake_github, tmp_path)
    assert report["verdict"] != "unknown"
    assert [f["action_item"]["title"] for f in findings_by_rule(report, "unshipped-fix")] == [
        UNSHIPPED
    ]
    [github] = report["sources"]
    assert any("acme/shop has no commit c0ffeec0ffee" in notice for notice in github["notices"]), (
        github["notices"]
    )
    assert assert_rest_traffic_matches_openapi(fake_github) >= 1  # the 404 too
