"""The references people paste, end to end through the fake GitHub.

A deployment made by Actions has a status whose log URL is the page of the
job that deployed (``…/actions/runs/R/job/J``), and often an environment
URL: the site. People paste the run's page. Each postmortem is written long
after the link window, so a review here is the reference's doing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.worlds import GITHUB_TOKEN as TOKEN
from fakes.worlds import NOW, RUN, at

SITE = "https://shop.example.com"


def failed_deployment(fake: FakeGitHub, **urls: str | None) -> str:
    """A failed deployment of acme/shop 30 days ago, with ``log_url``/``environment_url``."""
    fake.world.token(TOKEN, login="github-actions[bot]")
    shop = fake.world.repo("acme/shop")
    deployment = shop.deployment(
        environment="production", state="FAILURE", created_at=at(30), **urls
    )
    return str(deployment.database_id)


def postmortem_saying(fake: FakeGitHub, body: str) -> None:
    fake.world.repo("acme/incidents").issue(
        title="Checkout returned 500s",
        labels=["postmortem", "service:checkout"],
        body=body,
        created_at=at(20),
        state="CLOSED",
    )


def failure_findings(fake: FakeGitHub, tmp_path: Path, service: str = "") -> list[dict[str, Any]]:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n' + service
    )
    env = fake.actions_env(TOKEN, "acme/shop") | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    result = run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json",
        env=env,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    return [finding for finding in report["findings"] if finding["rule"].endswith("-failure")]


def test_a_postmortem_pasting_the_run_reviews_the_failure_logged_at_a_job_of_it(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    run = RUN.format(987654321)
    deployment_id = failed_deployment(
        fake_github, log_url=f"{run}/job/123456789", environment_url=SITE
    )
    postmortem_saying(fake_github, f"The deploy {run}/attempts/1 failed on the payment config.")
    [finding] = failure_findings(fake_github, tmp_path)
    assert (finding["rule"], finding["link"], finding["deployment"]["id"]) == (
        "reviewed-failure",
        "reference",
        deployment_id,
    )
    assert "(linked by reference: links run 987654321 of its log URL)" in finding["message"]


def test_a_postmortem_naming_only_the_site_reviews_nothing(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    failed_deployment(fake_github, log_url=f"{RUN.format(987654321)}/job/1", environment_url=SITE)
    postmortem_saying(fake_github, f"{SITE} returned 500s for an hour.")
    [finding] = failure_findings(fake_github, tmp_path)
    assert (finding["rule"], finding["link"]) == ("unreviewed-failure", None)


def test_a_deployment_with_only_the_site_is_shown_by_its_own_api_url(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    # A deploy tool that sets no log URL: the site must not stand in for the deployment,
    # or the remedy "a postmortem that links its URL" would point at a link that never works.
    deployment_id = failed_deployment(fake_github, environment_url=SITE)
    postmortem_saying(fake_github, f"{SITE} was down.")
    [finding] = failure_findings(fake_github, tmp_path)
    assert finding["rule"] == "unreviewed-failure"
    own = f"{fake_github.api_url}/repos/acme/shop/deployments/{deployment_id}"
    assert finding["deployment"]["url"] == finding["url"] == own


def test_a_job_page_reviews_the_failed_workflow_run_it_ran_in(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The other way round: with workflow runs as the history, the deployment is the run,
    # and the postmortem pastes the page of its failed job.
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    run = fake_github.world.repo("acme/shop").workflow_run(conclusion="failure", created_at=at(30))
    job = run.job("deploy", "failure", steps=[("Apply", "failure")])
    page = f"https://{fake_github.world.web_host}/acme/shop/actions/runs/{run.id}/job/{job.id}"
    postmortem_saying(fake_github, f"The deploy failed at {page}?pr=12")
    [finding] = failure_findings(fake_github, tmp_path, 'workflow = "deploy.yml"\n')
    assert (finding["rule"], finding["link"]) == ("reviewed-failure", "reference")
    assert f"(linked by reference: links run {run.id} of its log URL)" in finding["message"]
