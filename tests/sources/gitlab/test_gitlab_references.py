"""The references people paste, end to end through the fake GitLab.

A GitLab deployment is run by a job of a pipeline, and its environment has
an external URL: the site. People paste a page of the job or the pipeline.
Each postmortem is written long after the link window, so a review here is
the reference's doing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, run_cli
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import GITLAB_JOB_TOKEN as JOB_TOKEN
from fakes.worlds import GITLAB_TOKEN as TOKEN
from fakes.worlds import NOW, at

SITE = "https://shop.example.com"


def failed_deployment(fake: FakeGitLab) -> tuple[str, str]:
    """A failed deployment of group/shop 30 days ago; its job's and pipeline's URLs."""
    fake.world.token(TOKEN, username="deploybot")
    job, pipeline = f"{fake.url}/group/shop/-/jobs/4242", f"{fake.url}/group/shop/-/pipelines/777"
    fake.world.project("group/shop").deployment(
        status="failed",
        created_at=at(30),
        failure_reason="script_failure",
        job_web_url=job,
        pipeline_web_url=pipeline,
        environment_url=SITE,
    )
    return job, pipeline


def failure_findings(fake: FakeGitLab, tmp_path: Path, postmortem: str) -> list[dict[str, Any]]:
    fake.world.project("group/incidents").issue(
        title="Checkout returned 500s",
        description=postmortem,
        labels=["postmortem", "service::checkout"],
        issue_type="incident",
        created_at=at(20),
        state="closed",
    )
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    env = fake.ci_env(JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": TOKEN}
    result = run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json",
        env=env,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    return [finding for finding in report["findings"] if finding["rule"].endswith("-failure")]


@pytest.mark.parametrize(
    ("page", "evidence"),
    [
        ("{job}/raw", "links its job 4242"),
        ("{job}#L120", "links its job 4242"),
        ("{pipeline}/failures", "links its pipeline 777"),
        ("{pipeline}?tab=jobs", "links its pipeline 777"),
    ],
)
def test_a_page_of_its_job_or_pipeline_reviews_the_failure(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    page: str,
    evidence: str,
) -> None:
    job, pipeline = failed_deployment(fake_gitlab)
    pasted = page.format(job=job, pipeline=pipeline)
    [finding] = failure_findings(fake_gitlab, tmp_path, f"The deploy failed: {pasted}")
    assert (finding["rule"], finding["link"]) == ("reviewed-failure", "reference")
    assert f"(linked by reference: {evidence})" in finding["message"]


def test_a_postmortem_naming_only_the_site_reviews_nothing(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    failed_deployment(fake_gitlab)
    [finding] = failure_findings(fake_gitlab, tmp_path, f"{SITE} returned 500s for an hour.")
    assert (finding["rule"], finding["link"]) == ("unreviewed-failure", None)
