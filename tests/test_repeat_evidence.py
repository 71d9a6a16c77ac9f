"""repeat-failure on evidence only, on GitHub and GitLab alike, through the fakes.

Deploy jobs fail in the same step ("Deploy", ``script_failure``) whatever the
cause. A history where every failure does that, each reviewed and each for
another cause, has no repeat: at most "related prior failure" notices. A
shared cause label, or the same specific error, is a repeat, with its
evidence; the same step with another error is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    NOW,
    SAME_STEP_CAUSES,
    github_same_step,
    gitlab_same_step,
)

BACKENDS = ["github", "gitlab"]


@pytest.fixture
def fakes(fake_github: FakeGitHub, fake_gitlab: FakeGitLab) -> dict[str, Any]:  # noqa: F811
    return {"github": fake_github, "gitlab": fake_gitlab}


def check(
    backend: str, fake: Any, tmp_path: Path, *args: str, command: str = "check"
) -> dict[str, Any]:
    """``deploygate check`` (or ``report``) of checkout against ``fake``; the JSON report."""
    config = tmp_path / "deploygate.toml"
    if backend == "github":
        table = '[github]\npostmortem-repository = "acme/incidents"\n'
        env = fake.actions_env(GITHUB_TOKEN, "acme/shop") | {
            "GITHUB_STEP_SUMMARY": "",
            "GITHUB_OUTPUT": "",
        }
    else:
        table = '[gitlab]\npostmortem-project = "group/incidents"\n'
        env = fake.ci_env("glcbt-CANARY-repeats-0123456789", "group/shop") | {
            "GITLAB_TOKEN": GITLAB_TOKEN
        }
    config.write_text(
        f'source = "{backend}"\n{table}[services.checkout]\nenvironments = ["production"]\n'
    )
    result = run_cli(
        command, "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return json_report(result.stdout) if command == "check" else json.loads(result.stdout)


def build(backend: str, fake: Any, *, true_repeats: bool) -> dict[str, str]:
    builder = github_same_step if backend == "github" else gitlab_same_step
    return builder(fake, true_repeats=true_repeats)


def repeat_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule"] == "repeat-failure"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_failures_in_the_same_step_for_different_causes_are_never_a_repeat(
    backend: str, fakes: dict[str, Any], tmp_path: Path
) -> None:
    """Every failure after the first reviewed one is related, none blocks as a repeat."""
    ids = build(backend, fakes[backend], true_repeats=False)
    report = check(backend, fakes[backend], tmp_path)
    findings = repeat_findings(report)
    assert [f["level"] for f in findings] == ["notice"] * (len(SAME_STEP_CAUSES) - 1)
    assert {f["deployment"]["id"] for f in findings} == set(ids.values()) - {ids["generic-0"]}
    for finding in findings:
        assert finding["message"].startswith("Related prior failure:")
        assert "the same failing job (deploy: " in finding["message"]
    assert report["verdict"] == "pass"


@pytest.mark.parametrize("backend", BACKENDS)
def test_true_repeats_are_found_with_their_evidence_and_near_misses_are_not(
    backend: str, fakes: dict[str, Any], tmp_path: Path
) -> None:
    ids = build(backend, fakes[backend], true_repeats=True)
    report = check(backend, fakes[backend], tmp_path)
    findings = repeat_findings(report)
    errors = {f["deployment"]["id"]: f["message"] for f in findings if f["level"] == "error"}
    assert set(errors) == {ids["cause-repeat"], ids["error-repeat"]}
    assert (
        f"the same cause ({SAME_STEP_CAUSES[0]}) as deployment {ids['generic-0']}"
        in (errors[ids["cause-repeat"]])
    )
    same_error = (
        "the same error (“relation orders is locked by migration”)"
        if backend == "github"
        else "the same error (“runner system failure”)"
    )
    assert f"{same_error} as deployment {ids['specific-earlier']}" in errors[ids["error-repeat"]]
    assert all(f["level"] == "notice" for f in findings if f["deployment"]["id"] not in errors)
    assert ids["near-miss"] not in errors
    assert report["verdict"] == "block"


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_learning_loop_report_counts_repeats_and_related_failures_apart(
    backend: str, fakes: dict[str, Any], tmp_path: Path
) -> None:
    """The same split as the check's: the report's repeats are the check's errors."""
    build(backend, fakes[backend], true_repeats=True)
    findings = repeat_findings(check(backend, fakes[backend], tmp_path))
    loop = check(backend, fakes[backend], tmp_path, "--since", "90d", command="report")
    [service] = loop["services"]
    levels = [f["level"] for f in findings]
    assert (service["repeat_failures"], service["related_failures"]) == (
        levels.count("error"),
        levels.count("notice"),
    )
    assert service["repeat_failures"] == 2
