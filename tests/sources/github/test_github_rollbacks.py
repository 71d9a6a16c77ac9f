"""Rollbacks found in GitHub history: deployment records and workflow runs, through the CLI.

The core marks rolled-back deployments (deploygate.rollbacks); these tests
prove that the GitHub source gives it what it needs, both ways a team may
record deploys: each deployment's sha and time, and its commit's first line
(GraphQL's messageHeadline for a deployment, head_commit.message for a run).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TOKEN = "ghs_CANARY_rollbacks_0123456789"
V1, V2, V3 = "1" * 40, "2" * 40, "3" * 40
RECORDS, RUNS = "records", "runs"


def deploy(
    fake: FakeGitHub, shape: str, sha: str, hours_ago: float, message: str = "", **run: Any
) -> str:
    """A successful deploy of ``sha``; its id as the report shows it."""
    repo = fake.world.repo("acme/shop")
    moment = NOW - timedelta(hours=hours_ago)
    if shape == RECORDS:
        made = repo.deployment(sha=sha, created_at=moment, message=message or None)
        return str(made.database_id)
    created = repo.workflow_run(head_sha=sha, created_at=moment, message=message or None, **run)
    return f"https://github.com/acme/shop/actions/runs/{created.id}"


def check(fake: FakeGitHub, tmp_path: Path, shape: str, extra: str = "") -> dict[str, Any]:
    fake.world.clock = lambda: NOW
    fake.world.token(TOKEN, login="github-actions[bot]")
    fake.world.repo("acme/incidents")
    workflow = 'workflow = "deploy.yml"\n' if shape == RUNS else ""
    path = tmp_path / "deploygate.toml"
    path.write_text(
        'source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n' + workflow + extra
    )
    env = fake.actions_env(TOKEN, "acme/shop") | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    result = run_cli(
        "check", "--config", str(path), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json",
        env=env,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    assert TOKEN not in result.output
    report: dict[str, Any] = json_report(result.stdout)
    assert report["sources"][0]["ok"], report["sources"]
    return report


def rolled_back(report: dict[str, Any]) -> dict[str, str]:
    """Each rolled-back deployment's id and the evidence the report gives for it."""
    return {
        f["deployment"]["id"]: f["deployment"]["rollback"]
        for f in report["findings"]
        if f["deployment"] and f["deployment"]["status"] == "rolled-back"
    }


@pytest.mark.parametrize("shape", [RECORDS, RUNS])
def test_an_older_version_within_a_day_rolls_the_previous_deployment_back(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    shape: str,
) -> None:
    deploy(fake_github, shape, V1, 50)
    bad = deploy(fake_github, shape, V2, 10)
    back = deploy(fake_github, shape, V1, 7)
    report = check(fake_github, tmp_path, shape)
    assert rolled_back(report) == {
        bad: f"deployment {back} shipped 1111111, a version live before it, 3h later"
    }
    [finding] = [f for f in report["findings"] if f["deployment"]]
    assert finding["rule"] == "unreviewed-failure"
    assert "rolled back: deployment" in finding["message"]
    assert report["summary"]["failed_deployments"] == 1


@pytest.mark.parametrize("shape", [RECORDS, RUNS])
@pytest.mark.parametrize(
    ("later", "extra", "why"),
    [
        ((V2, 7), "", "a redeploy of the same sha"),
        ((V1, -20), "", "the older version came 30 h later, outside the window"),
        ((V3, 7), "", "a newer version: rolled forward"),
        ((V1, 7), "[rollbacks]\ndetect = false\n", "detection is off"),
    ],
)
def test_near_misses_roll_nothing_back(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    shape: str,
    later: tuple[str, float],
    extra: str,
    why: str,
) -> None:
    deploy(fake_github, shape, V1, 50)
    deploy(fake_github, shape, V2, 10)
    sha, hours_ago = later
    if hours_ago < 0:  # after the window: move the whole story back instead of into the future
        fake_github.world.repo("acme/shop").deployments.clear()
        fake_github.world.repo("acme/shop").runs.clear()
        deploy(fake_github, shape, V1, 80)
        deploy(fake_github, shape, V2, 40)
        hours_ago = 10
    deploy(fake_github, shape, sha, hours_ago)
    report = check(fake_github, tmp_path, shape, extra)
    assert rolled_back(report) == {}, why
    assert report["summary"]["failed_deployments"] == 0, why


@pytest.mark.parametrize("shape", [RECORDS, RUNS])
def test_a_revert_commit_rolls_the_previous_deployment_back(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    shape: str,
) -> None:
    deploy(fake_github, shape, V1, 50, "Add the new checkout flow")
    bad = deploy(fake_github, shape, V2, 10, "Cache cart totals\n\nFaster.")
    revert = deploy(fake_github, shape, V3, 9, 'Revert "Cache cart totals"\n\nThis reverts 2222.')
    report = check(fake_github, tmp_path, shape)
    assert rolled_back(report) == {
        bad: f'deployment {revert} 1h later says “Revert "Cache cart totals"”'
    }


@pytest.mark.parametrize("shape", [RECORDS, RUNS])
@pytest.mark.parametrize(
    "message",
    [
        "Speed up checkout\n\nWe may revert this if it misbehaves.",
        "Add rollback button to UI",
        "Roll forward; revert not needed",
        "Rollback retry",
    ],
)
def test_a_commit_that_mentions_a_revert_or_rollback_is_not_one(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    shape: str,
    message: str,
) -> None:
    """A newer version 1 h later: only its message could make it a rollback."""
    deploy(fake_github, shape, V1, 50)
    deploy(fake_github, shape, V2, 10, "Cache cart totals")
    deploy(fake_github, shape, V3, 9, message)
    assert rolled_back(check(fake_github, tmp_path, shape)) == {}


def test_a_run_named_as_a_rollback_rolls_the_previous_deployment_back(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A dispatched rollback workflow's run-name ("Roll back to v41") is its description."""
    deploy(fake_github, RUNS, V1, 50)
    bad = deploy(fake_github, RUNS, V2, 10, "Cache cart totals")
    back = deploy(
        fake_github, RUNS, V3, 9, "Bump version", event="workflow_dispatch",
        display_title="Roll back checkout to v41",
    )  # fmt: skip
    report = check(fake_github, tmp_path, RUNS)
    assert rolled_back(report) == {
        bad: f"deployment {back} 1h later says “Roll back checkout to v41”"
    }
