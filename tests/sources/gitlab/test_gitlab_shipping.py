"""Did the lesson ship? The five cases on the fake GitLab, and the local store's answer.

A done item's fix is the merged merge request that closed it
(``GET .../issues/:iid/closed_by``, one request per done item); whether a
deployment holds it is the repository compare's answer (no commit of the fix
that the deployed commit lacks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import findings_by_rule, json_report, loop_report, run_cli
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.shipped import (
    NO_CHANGE,
    REVIEWS,
    UNSHIPPED,
    days_ago,
    gitlab_story,
    local_project,
    loop_numbers,
    shipping_findings,
)
from fakes.worlds import GITLAB_TOKEN, NOW


def check(fake: FakeGitLab, tmp_path: Path, *args: str, command: str = "check") -> dict[str, Any]:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    env = fake.ci_env("glcbt-CANARY-shipping-0123456789", "group/shop")
    result = run_cli(
        command, "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env | {"GITLAB_TOKEN": GITLAB_TOKEN},
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return loop_report(result.stdout) if command == "report" else json_report(result.stdout)


def local_check(tmp_path: Path, command: str = "check") -> dict[str, Any]:
    config = tmp_path / "local" / "deploygate.toml"
    if not config.exists():
        local_project(config.parent)
    result = run_cli(
        command, "--config", str(config), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", "json",
    )  # fmt: skip
    return loop_report(result.stdout) if command == "report" else json_report(result.stdout)


def test_the_five_cases_match_the_local_store(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    shas = gitlab_story(fake_gitlab)
    report = check(fake_gitlab, tmp_path)
    assert shipping_findings(report) == shipping_findings(local_check(tmp_path))
    assert loop_numbers(check(fake_gitlab, tmp_path, command="report")) == loop_numbers(
        local_check(tmp_path, "report")
    )
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["action_item"]["title"] == UNSHIPPED
    assert (
        f"its fix (!13, merged {days_ago(2).date()}) has not reached production"
        in (unshipped["message"])
    )
    repeats = {
        f["deployment"]["sha"]: f["message"] for f in findings_by_rule(report, "repeat-failure")
    }
    assert "its fix !11 shipped to production in deployment" in repeats[shas["D"]]
    assert f"“{NO_CHANGE}” (no linked change)" in repeats[shas["D"]]
    assert "its fix !12 had not shipped when the failure repeated" in repeats[shas["D'"]]


def test_closed_by_is_asked_only_where_a_merge_request_closed_the_item(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    shas = gitlab_story(fake_gitlab)
    world = fake_gitlab.world
    incident = next(iter(world.project("group/incidents").issues.values()))
    incident.link(world.project("group/shop").issue("Load test the cache", created_at=days_ago(40)))
    report = check(fake_gitlab, tmp_path, "--sha", shas["F"])
    [unshipped] = findings_by_rule(report, "unshipped-fix")
    assert unshipped["level"] == "notice"
    asked = sorted(record.path for record in fake_gitlab.requests if "/closed_by" in record.path)
    # Done items a merge request closed (merge_requests_count): not the runbook, closed by
    # hand, nor the open one.
    closed_by_requests = [item for review in REVIEWS for item in review.items if item.fix]
    assert len(asked) == len(closed_by_requests) == 3
    compares = [
        (record.query["from"], record.query["to"])
        for record in fake_gitlab.requests
        if record.path.endswith("/repository/compare")
    ]
    assert len(compares) == len(set(compares))
    [gitlab] = report["sources"]
    assert gitlab["requests"] == len(fake_gitlab.requests)
