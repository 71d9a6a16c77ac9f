"""Rollbacks on GitLab: the source reads every deployment, so the core sees an older version
replace a newer one, or a deployment whose commit says it reverts."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import json_report, loop_report, run_cli
from fakes.gitlab import FakeGitLab, Project, fake_gitlab  # noqa: F401

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TOKEN = "glpat-CANARY-rollbacks-0123"
OLD, NEW, OTHER = "a" * 40, "b" * 40, "c" * 40


def at(days_ago: float, hour: int) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)


def shop(fake: FakeGitLab) -> Project:
    fake.world.token(TOKEN, username="deploybot")
    return fake.world.project("group/shop")


def run(fake: FakeGitLab, tmp_path: Path, extra: str = "") -> Result:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = "gitlab"\n{extra}[gitlab]\nurl = "{fake.url}"\nproject = "group/shop"\n'
        '[services.checkout]\nenvironments = ["production"]\n',
        encoding="utf-8",
    )
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json",
        env={"GITLAB_TOKEN": TOKEN, "CI": "", "CI_PROJECT_PATH": ""},
    )  # fmt: skip


def rolled_back(result: Result) -> list[dict[str, Any]]:
    """The deployments the report names as rolled back."""
    report = json_report(result.stdout)
    return [
        finding["deployment"]
        for finding in report["findings"]
        if finding["deployment"] and finding["deployment"]["status"] == "rolled-back"
    ]


def test_an_older_version_two_hours_later_is_a_rollback_with_its_evidence(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    project = shop(fake_gitlab)
    project.deployment(sha=OLD, created_at=at(10, 8))
    new = project.deployment(sha=NEW, created_at=at(10, 10))
    back = project.deployment(sha=OLD, created_at=at(10, 12))
    result = run(fake_gitlab, tmp_path)
    assert result.exit_code in (0, 1), result.output
    [found] = rolled_back(result)
    assert (found["id"], found["sha"]) == (str(new.id), NEW)
    assert found["rollback"] == (
        f"deployment {back.id} shipped aaaaaaa, a version live before it, 2h later"
    )
    assert json_report(result.stdout)["summary"]["failed_deployments"] == 1


def test_a_revert_commit_title_marks_the_deployment_before_it(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The deployable's commit title (GitLab's ``deployable.commit.title``) is read."""
    project = shop(fake_gitlab)
    shipped = project.deployment(sha=NEW, created_at=at(5, 9), commit_title="Cache carts")
    revert = project.deployment(
        sha=OTHER, created_at=at(5, 10), commit_title='Revert "Cache carts"'
    )
    result = run(fake_gitlab, tmp_path)
    [found] = rolled_back(result)
    assert found["id"] == str(shipped.id)
    assert found["rollback"] == f'deployment {revert.id} 1h later says “Revert "Cache carts"”'


@pytest.mark.parametrize(
    ("later", "why"),
    [
        ({"sha": NEW, "created_at": at(10, 12)}, "a redeploy of the same version"),
        ({"sha": OLD, "created_at": at(9, 11)}, "an older version, but 25 h later"),
        ({"sha": OTHER, "created_at": at(10, 12)}, "a newer version: rolled forward"),
        (
            {"sha": OTHER, "created_at": at(10, 12), "commit_title": "Add a rollback button"},
            "a newer version whose title mentions a rollback",
        ),
        (
            {
                "sha": OTHER,
                "created_at": at(10, 12),
                "commit_title": "Roll forward; revert not needed",
            },
            "a newer version whose title mentions a revert",
        ),
        (
            {"sha": OTHER, "created_at": at(10, 12), "commit_title": "Rollback retry"},
            "a newer version whose title names the rollback feature",
        ),
    ],
)
def test_near_misses_are_not_rollbacks(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    later: dict[str, Any],
    why: str,
) -> None:
    """Each near miss differs from a rollback (OLD, NEW, then OLD 2 h later) in one way."""
    project = shop(fake_gitlab)
    project.deployment(sha=OLD, created_at=at(10, 8))
    project.deployment(sha=NEW, created_at=at(10, 10))
    project.deployment(**later)
    result = run(fake_gitlab, tmp_path)
    assert result.exit_code == 0, result.output
    assert rolled_back(result) == [], why
    assert json_report(result.stdout)["summary"]["failed_deployments"] == 0, why


def test_with_detection_off_only_failed_deployments_are_read(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """[rollbacks] detect = false: the rollback above is not one, and the listing asks for
    status=failed, so a team without detection keeps requests that follow failures."""
    project = shop(fake_gitlab)
    project.deployment(sha=OLD, created_at=at(10, 8))
    project.deployment(sha=NEW, created_at=at(10, 10))
    project.deployment(sha=OLD, created_at=at(10, 12))
    project.deployment(status="failed", created_at=at(4, 10), failure_reason="script_failure")
    result = run(fake_gitlab, tmp_path, extra="[rollbacks]\ndetect = false\n")
    assert rolled_back(result) == []
    assert json_report(result.stdout)["summary"]["failed_deployments"] == 1
    [listing] = fake_gitlab.requests_to("/deployments")
    assert listing.query["status"] == "failed"
    assert json_report(run(fake_gitlab, tmp_path).stdout)["summary"]["failed_deployments"] == 2


def test_a_report_on_gitlab_reads_every_deployment_even_with_detection_off(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The change failure rate needs the successes too, whatever [rollbacks] says."""
    project = shop(fake_gitlab)
    for day in (12, 9, 6):
        project.deployment(sha=OLD, created_at=at(day, 8))
    project.deployment(status="failed", created_at=at(4, 10), failure_reason="script_failure")
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = "gitlab"\n[rollbacks]\ndetect = false\n[gitlab]\nurl = "{fake_gitlab.url}"\n'
        'project = "group/shop"\n[services.checkout]\nenvironments = ["production"]\n',
        encoding="utf-8",
    )
    result = run_cli(
        "report", "--config", str(config), "--now", NOW.isoformat(), "--since", "30d",
        "--format", "json",
        env={"GITLAB_TOKEN": TOKEN, "CI": "", "CI_PROJECT_PATH": ""},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [service] = loop_report(result.stdout)["services"]
    assert (service["deployments"], service["failed_deployments"]) == (4, 1)
    assert service["change_failure_rate"] == 0.25
    [listing] = fake_gitlab.requests_to("/deployments")
    assert "status" not in listing.query
