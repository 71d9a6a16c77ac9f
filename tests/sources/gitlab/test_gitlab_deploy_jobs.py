"""A service that names its deploy job: that job's runs on the branch are its deployments.

The equivalence the issue asks for: on one fake GitLab, the deploy job's
history and the deployment records that the same runs made give the same
failures, the same findings and the same summary; only the ids differ (a
job's URL against a deployment's number).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from click.testing import Result
from conftest import json_report, run_cli
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TOKEN = "glpat-CANARY-jobs-0123456789"
REASONS = {40: "script_failure", 25: "api_failure", 12: "script_failure", 2: None}
"""Days ago of the failed deploys, and their failure reasons (None: unknown_failure)."""


def at(days_ago: float, hour: int = 10) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)


def build(fake: FakeGitLab) -> None:
    """Two months of deploys by job ``deploy`` on main, each a deployment record, among
    jobs that are not deploys of the service: tests, a deploy from a feature branch, a
    canceled deploy, and a year of deploys before the window."""
    fake.world.token(TOKEN, username="deploybot")
    shop = fake.world.project("group/shop")
    for day in range(400, 120, -1):  # before the lookback window: never judged
        shop.job("deploy", status="failed" if day % 9 == 0 else "success", created_at=at(day))
    for day in range(60, 0, -1):
        failed = day in REASONS
        shop.deployment(
            status="failed" if failed else "success",
            sha=f"{day:07x}" + "c" * 33,
            created_at=at(day),
            failure_reason=REASONS.get(day),
            commit_title=f"Ship change {day}",
        )
        shop.job("test", status="failed" if day % 5 == 0 else "success", created_at=at(day, 9))
        if day % 10 == 0:
            shop.job("deploy", status="failed", ref="feature", created_at=at(day, 11))
    shop.deployment(status="canceled", created_at=at(30, 15))
    postmortem = shop.issue(
        "Checkout down after the API change",
        "## What we learned\n- pin the client",
        labels=["postmortem", "service::checkout"],
        issue_type="incident",
        created_at=at(25) + timedelta(hours=20),
        state="closed",
    )
    postmortem.link(shop.issue("Pin the API client", created_at=at(24), state="closed"))


def run(
    fake: FakeGitLab,
    tmp_path: Path,
    service: str,
    env: dict[str, str] | None = None,
    environments: str = '["production"]',
) -> Result:
    config = tmp_path / f"{service.count('job')}.toml"
    config.write_text(
        f'source = "gitlab"\n[gitlab]\nurl = "{fake.url}"\nproject = "group/shop"\n'
        f"[services.checkout]\nenvironments = {environments}\n{service}",
        encoding="utf-8",
    )
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json",
        env={"GITLAB_TOKEN": TOKEN, "CI": "", "CI_PROJECT_PATH": "", **(env or {})},
    )  # fmt: skip


def judged(result: Result) -> tuple[Any, ...]:
    """What the gate said, without the ids: per finding its rule, level and deployment."""
    report = json_report(result.stdout)
    findings = sorted(
        (
            finding["rule"],
            finding["level"],
            tuple(
                (finding["deployment"] or {}).get(key)
                for key in ("sha", "status", "environment", "title")
            ),
            (finding["action_item"] or {}).get("title"),
            (finding["postmortem"] or {}).get("title"),
        )
        for finding in report["findings"]
    )
    return report["verdict"], report["summary"], findings


def test_the_deploy_jobs_runs_give_the_same_failures_as_the_deployment_records(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_gitlab)
    records = run(fake_gitlab, tmp_path, "")
    assert records.exit_code in (0, 1), records.output
    deployment_requests = len(fake_gitlab.requests_to("/deployments"))
    fake_gitlab.requests.clear()
    jobs = run(fake_gitlab, tmp_path, 'job = "deploy"\n')
    assert jobs.exit_code == records.exit_code, jobs.output

    assert judged(jobs) == judged(records)
    _, summary, findings = judged(jobs)
    assert summary["failed_deployments"] == len(REASONS)
    assert summary["reviewed_failures"] == 1
    shas = sorted(sha for _, _, (sha, *_), _, _ in findings if sha)
    assert shas == sorted({f"{day:07x}" + "c" * 33 for day in REASONS})
    titles = {title for _, _, (*_, title), _, _ in findings if title}
    assert titles == {"deploy: script_failure", "deploy: api_failure", "deploy: unknown_failure"}
    report = json_report(jobs.stdout)
    deployment = next(f["deployment"] for f in report["findings"] if f["deployment"])
    assert deployment["id"] == deployment["url"]
    assert deployment["url"].startswith(f"{fake_gitlab.url}/group/shop/-/jobs/")

    # The jobs listing, newest first, is read until a job older than the window; the
    # project is asked for its default branch; no deployment listing is sent.
    assert fake_gitlab.requests_to("/deployments") == []
    assert deployment_requests == 1
    in_window = 60 + 60 + 6  # deploys, tests and feature deploys of the last 60 days
    listed = fake_gitlab.requests_to("/jobs")
    assert len(listed) == math.ceil((in_window + 1) / 100)  # the page with the first older job
    assert all(r.query_pairs.count(("scope[]", "failed")) == 1 for r in listed)
    asked = [r for r in fake_gitlab.requests if r.path.endswith("/projects/group%2Fshop")]
    assert len(asked) == 1


def test_the_branch_is_the_configured_one_or_ci_default_branch(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``branch = "feature"`` reads the feature deploys only; in CI, CI_DEFAULT_BRANCH saves
    asking the project."""
    build(fake_gitlab)
    feature = run(fake_gitlab, tmp_path, 'job = "deploy"\nbranch = "feature"\n')
    assert feature.exit_code in (0, 1), feature.output
    assert json_report(feature.stdout)["summary"]["failed_deployments"] == 6
    fake_gitlab.requests.clear()
    in_ci = {"CI_PROJECT_PATH": "group/shop", "CI_DEFAULT_BRANCH": "feature"}
    result = run(fake_gitlab, tmp_path, 'job = "deploy"\n', env=in_ci)
    assert json_report(result.stdout)["summary"]["failed_deployments"] == 6
    assert [r for r in fake_gitlab.requests if r.path.endswith("/projects/group%2Fshop")] == []


def test_a_job_without_a_web_url_fails_the_source_naming_it(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A deploy run without its URL (its id) cannot be judged: exit 3, a line naming the job."""
    build(fake_gitlab)
    original = fake_gitlab.answer

    def answer(record: Any) -> Any:
        response = original(record)
        if record.path.endswith("/jobs"):
            deploy = next(job for job in response.body if job["name"] == "deploy")
            del deploy["web_url"]
        return response

    fake_gitlab.answer = answer  # type: ignore[method-assign]
    result = run(fake_gitlab, tmp_path, 'job = "deploy"\n')
    assert result.exit_code == 3, result.output
    error = json_report(result.stdout)["sources"][0]["error"]
    assert error.startswith("GitLab answered job ")
    assert error.endswith(" without a web_url")
    assert TOKEN not in result.output


def test_parallel_copies_of_the_deploy_job_are_its_runs_and_look_alikes_are_not(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``parallel: 2`` names copies "deploy 1/2", ``parallel: matrix`` "deploy: [eu]"."""
    fake_gitlab.world.token(TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/shop")
    deploys = ["deploy 1/2", "deploy 2/2", "deploy: [eu, blue]", "deploy"]
    look_alikes = ["deploy-eu", "deploy 2", "predeploy", "deploy: eu", "deploy [eu]"]
    for hours, name in enumerate(deploys + look_alikes):
        shop.job(name, status="failed", created_at=at(5) + timedelta(hours=hours))
    result = run(fake_gitlab, tmp_path, 'job = "deploy"\n')
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    assert report["summary"]["failed_deployments"] == len(deploys)


def test_a_deploy_job_of_a_service_with_several_environments_ships_to_the_first(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_gitlab.world.token(TOKEN, username="deploybot")
    fake_gitlab.world.project("group/shop").job("deploy", status="failed", created_at=at(5))
    result = run(
        fake_gitlab, tmp_path, 'job = "deploy"\n', environments='["eu-production", "staging"]'
    )
    [finding] = [f for f in json_report(result.stdout)["findings"] if f["deployment"]]
    assert finding["deployment"]["environment"] == "eu-production"


def test_two_copies_of_a_parallel_deploy_job_fail_in_the_same_job(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``deploy 1/2`` and ``deploy 2/2`` are one job; with the generic ``script_failure`` the
    same job is a related prior failure, not a repeat."""
    fake_gitlab.world.token(TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/shop")
    first = shop.job(
        "deploy 1/2", status="failed", failure_reason="script_failure", created_at=at(20)
    )
    shop.issue(
        "Deploy script broke on the new base image",
        f"Review of {fake_gitlab.url}/group/shop/-/jobs/{first.id}",
        labels=["postmortem", "service::checkout"],
        issue_type="incident",
        created_at=at(19),
        state="closed",
    )
    shop.job("deploy 2/2", status="failed", failure_reason="script_failure", created_at=at(5))
    result = run(fake_gitlab, tmp_path, 'job = "deploy"\n')
    [repeat] = [f for f in json_report(result.stdout)["findings"] if f["rule"] == "repeat-failure"]
    assert repeat["level"] == "notice"
    assert repeat["message"].startswith("Related prior failure:")
    assert "the same failing job (deploy: script_failure)" in repeat["message"]
