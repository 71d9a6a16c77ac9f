"""Did the lesson ship? The five cases on the fake GitLab, and the local store's answer.

A done item's fix is the merged merge request that closed it
(``GET .../issues/:iid/closed_by``, one request per done item); whether a
deployment holds it is the repository compare's answer (no commit of the fix
that the deployed commit lacks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
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


def test_a_compare_gitlab_timed_out_on_is_unknown_never_shipped(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A compare that times out answers ``commits: []`` with ``compare_timeout``: an empty
    list that says nothing, so the fix is unknown with a notice, not shipped."""
    gitlab_story(fake_gitlab)
    fake_gitlab.faults.add(
        "/repository/compare",
        status=200,
        times=None,
        body={"commit": None, "commits": [], "diffs": [], "compare_timeout": True,
              "compare_same_ref": False, "web_url": "http://gitlab.invalid/-/compare"},
    )  # fmt: skip
    report = check(fake_gitlab, tmp_path)
    shipments = [shipment for finding in report["findings"] for shipment in finding["fixes"]]
    # Only a deployment of the fix's own commit holds it without a compare.
    assert [s for s in shipments if s["shipped"] is False] == []
    shipped = [s for s in shipments if s["shipped"]]
    assert all(s["shipped_in"]["sha"] == s["fix"]["sha"] for s in shipped)
    assert any(s["shipped"] is None for s in shipments)
    [gitlab] = report["sources"]
    assert any("GitLab timed out on the compare of" in notice for notice in gitlab["notices"])


def test_a_sha_goes_into_the_compare_as_one_parameter(
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    """A recorded sha is data: escaped into ``to``, it can add no ``straight=true``."""
    from deploygate.shipping import ContainmentUnknown
    from deploygate.sources.gitlab.settings import GitLabSettings
    from deploygate.sources.gitlab.source import GitLabSource

    shas = gitlab_story(fake_gitlab)
    source = GitLabSource(
        GitLabSettings(url=fake_gitlab.url, project="group/shop",
                       postmortem_project="group/incidents", token=GITLAB_TOKEN)
    )  # fmt: skip
    hostile = shas["F"][:7] + "&straight=true"
    with pytest.raises(ContainmentUnknown):
        source.contains(hostile, shas["I"])
    [compare] = [r for r in fake_gitlab.requests if r.path.endswith("/repository/compare")]
    assert compare.query == {"from": shas["I"], "to": hostile}
