"""no-evidence on GitLab, through the fake: the names a check of the wrong service must be
told, read from the ``service::NAME`` labels that come with the postmortems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import findings_by_rule, json_report, run_cli
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import GITLAB_JOB_TOKEN as JOB_TOKEN
from fakes.worlds import GITLAB_TOKEN as TOKEN
from fakes.worlds import NOW, at
from fakes.worlds import gitlab_year as build_year


def check(fake: FakeGitLab, tmp_path: Path, service: str, *args: str):
    path = tmp_path / "deploygate.toml"
    path.write_text('source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n')
    env = fake.ci_env(JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": TOKEN}
    return run_cli(
        "check", "--config", str(path), "--service", service, "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env,
    )  # fmt: skip


def no_evidence(report: dict[str, Any]) -> list[dict[str, Any]]:
    return findings_by_rule(report, "no-evidence")


def test_a_misspelt_service_is_named_with_the_labelled_one(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The project's deployments answer any service, so only the names can tell the typo.
    build_year(fake_gitlab)
    report = json_report(check(fake_gitlab, tmp_path, "chekout").stdout)
    [finding] = no_evidence(report)
    assert finding["level"] == "warning"
    assert "did you mean 'checkout'?" in finding["message"]
    assert no_evidence(json_report(check(fake_gitlab, tmp_path, "checkout").stdout)) == []


def test_a_service_label_in_another_case_is_named(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = fake_gitlab.world
    world.token(TOKEN, username="deploybot")
    world.project("group/shop").deployment(created_at=at(3), updated_at=at(3))
    world.project("group/incidents").issue(
        title="Checkout down", labels=["postmortem", "service::Checkout"], created_at=at(2)
    )
    result = check(fake_gitlab, tmp_path, "checkout")
    report = json_report(result.stdout)
    [finding] = no_evidence(report)
    assert "label service::Checkout" in finding["message"]
    assert "another case" in finding["message"]
    [source] = report["sources"]
    assert (source["coverage"]["deployments"], source["coverage"]["postmortems"]) == (1, 0)
    assert result.exit_code == 0


def test_an_environment_with_no_deployment_names_where_the_service_deploys(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    # GitLab is asked for the one environment; finding none there costs one more request.
    build_year(fake_gitlab)
    result = check(fake_gitlab, tmp_path, "checkout", "--environment", "prod")
    [finding] = no_evidence(json_report(result.stdout))
    assert "to environment 'prod'" in finding["message"]
    assert "it deploys to 'production', 'staging'" in finding["message"]
    assert "did you mean 'production'?" in finding["message"]
    listed = [r.query.get("environment") for r in fake_gitlab.requests_to("/deployments")]
    assert listed == ["prod", None]
    fake_gitlab.requests.clear()
    asked = check(fake_gitlab, tmp_path, "checkout", "--environment", "production")
    assert no_evidence(json_report(asked.stdout)) == []
    assert [r.query.get("environment") for r in fake_gitlab.requests_to("/deployments")] == [
        "production"
    ]
