"""no-evidence and coverage on GitHub, through the fake: the names a check of the wrong
service must be told, read from the service labels that come with the postmortems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import findings_by_rule, json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.worlds import GITHUB_TOKEN as TOKEN
from fakes.worlds import NOW, at
from fakes.worlds import github_year as build_year


def check(fake: FakeGitHub, tmp_path: Path, service: str, config: str = "", *args: str):
    path = tmp_path / "deploygate.toml"
    path.write_text(
        'source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n' + config
    )
    env = fake.actions_env(TOKEN, "acme/shop") | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    return run_cli(
        "check", "--config", str(path), "--service", service, "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env,
    )  # fmt: skip


def no_evidence(report: dict[str, Any]) -> list[dict[str, Any]]:
    return findings_by_rule(report, "no-evidence")


def test_a_misspelt_service_is_named_with_the_labelled_one(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    # The repository's deployments answer any service, so only the names can tell the typo.
    build_year(fake_github)
    report = json_report(check(fake_github, tmp_path, "chekout").stdout)
    [finding] = no_evidence(report)
    assert finding["level"] == "warning"
    assert "did you mean 'checkout'?" in finding["message"]
    # The correct name, asked the same way, is named by a label: no finding.
    assert no_evidence(json_report(check(fake_github, tmp_path, "checkout").stdout)) == []


def test_a_service_label_in_another_case_is_named(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    fake_github.world.repo("acme/shop").deployment(created_at=at(3))
    fake_github.world.repo("acme/incidents").issue(
        title="Checkout down", labels=["postmortem", "service:Checkout"], created_at=at(2)
    )
    result = check(fake_github, tmp_path, "checkout", "[services.checkout]\n")
    report = json_report(result.stdout)
    [finding] = no_evidence(report)
    assert "label service:Checkout" in finding["message"]
    assert "another case" in finding["message"]
    # The postmortem was left out, and the coverage says so.
    [source] = report["sources"]
    assert source["coverage"]["postmortems"] == 0
    assert source["coverage"]["deployments"] == 1
    assert result.exit_code == 0


def test_coverage_counts_what_github_gave_for_the_service(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    shop = fake_github.world.repo("acme/shop")
    shop.deployment(created_at=at(30), environment="staging")
    shop.deployment(created_at=at(3))
    pm = fake_github.world.repo("acme/incidents").issue(
        title="Checkout down", labels=["postmortem", "service:checkout"], created_at=at(2)
    )
    pm.add_sub_issue(shop.issue(title="Add an alert", created_at=at(2)))
    result = check(fake_github, tmp_path, "checkout")
    report = json_report(result.stdout)
    [source] = report["sources"]
    assert source["ok"], result.output
    assert source["coverage"] == {
        "deployments": 2,
        "environments": ["production", "staging"],
        "first_deployment": at(30).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last_deployment": at(3).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "postmortems": 1,
        "action_items": 1,
    }
    assert no_evidence(report) == []


def deployment_queries(fake: FakeGitHub) -> list[object]:
    """The environments filter of each deployments query sent so far."""
    return [
        request.json()["variables"]["environments"]
        for request in fake.requests
        if request.path.endswith("/graphql") and "query Deployments(" in request.json()["query"]
    ]


def test_an_environment_with_no_deployment_names_where_the_service_deploys(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    # GitHub is asked for the one environment; finding none there costs one more request.
    build_year(fake_github)
    result = check(fake_github, tmp_path, "checkout", "", "--environment", "prod")
    [finding] = no_evidence(json_report(result.stdout))
    assert "to environment 'prod'" in finding["message"]
    assert "it deploys to 'production', 'staging'" in finding["message"]
    assert "did you mean 'production'?" in finding["message"]
    assert deployment_queries(fake_github) == [["prod"], None]
    fake_github.requests.clear()
    asked = check(fake_github, tmp_path, "checkout", "", "--environment", "production")
    assert no_evidence(json_report(asked.stdout)) == []
    assert deployment_queries(fake_github) == [["production"]]  # found some: no more
