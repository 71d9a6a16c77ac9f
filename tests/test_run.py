"""run.py: a check, decided without click, from a config, an environment and a time.

These call :func:`deploygate.run.check` as the CLI does, with the real
quickstart and the real local source; what the CLI prints is in test_cli.
"""

from __future__ import annotations

from pathlib import Path

from conftest import NOW, REPO_ROOT

from deploygate import run
from deploygate.config import load
from deploygate.errors import ExitCode, OnError
from deploygate.model import Level, Verdict
from deploygate.sources import REGISTRY

QUICKSTART = REPO_ROOT / "examples" / "quickstart" / "deploygate.toml"
OFFLINE = {"CI": "true"}
"""No CI platform, no token: what a laptop without gh looks like."""


def quickstart_check(**selection: object) -> run.CheckOutcome:
    config = load(QUICKSTART, REPO_ROOT, REGISTRY)
    request = run.CheckRequest("checkout", run.Selection(**selection))  # type: ignore[arg-type]
    return run.check(config, request, OFFLINE, NOW)


def test_the_quickstart_blocks_on_the_errors_it_names() -> None:
    outcome = quickstart_check()
    assert outcome.exit_code is ExitCode.BLOCKED
    assert outcome.report.verdict is Verdict.BLOCK
    assert outcome.report.blocking
    assert {finding.level for finding in outcome.report.blocking} == {Level.ERROR}
    errors = [f for f in outcome.report.findings if f.level is Level.ERROR]
    assert list(outcome.report.blocking) == errors
    assert (outcome.notices, outcome.warning) == ([], None)


def test_under_strict_the_warnings_block_too() -> None:
    outcome = quickstart_check(strict=True)
    levels = {finding.level for finding in outcome.report.blocking}
    assert levels == {Level.ERROR, Level.WARNING}


def test_staging_passes_with_nothing_blocking() -> None:
    outcome = quickstart_check(environment="staging")
    assert outcome.exit_code is ExitCode.OK
    assert outcome.report.verdict is Verdict.WARN
    assert outcome.report.blocking == ()


def test_a_source_that_cannot_connect_is_not_verified_and_warn_exits_0(tmp_path: Path) -> None:
    config_path = tmp_path / "deploygate.toml"
    config_path.write_text('source = ["local", "github"]\n')
    config = load(config_path, tmp_path, REGISTRY)
    env = {"CI": "true", "GITHUB_REPOSITORY": "acme/shop"}  # and no GITHUB_TOKEN
    failing = run.check(config, run.CheckRequest("checkout"), env, NOW)
    assert failing.exit_code is ExitCode.UNDECIDED
    assert failing.warning is not None
    assert "GITHUB_TOKEN" in failing.warning
    warned = run.check(
        config, run.CheckRequest("checkout", run.Selection(on_error=OnError.WARN)), env, NOW
    )
    assert warned.exit_code is ExitCode.OK
    assert warned.warning is not None
    assert warned.warning.endswith("Exiting 0 because of --on-error warn.")


def test_a_comment_with_no_platform_to_write_to_says_so() -> None:
    config = load(QUICKSTART, REPO_ROOT, REGISTRY)
    outcome = run.check(config, run.CheckRequest("checkout", comment=True), OFFLINE, NOW)
    assert outcome.notices == [
        "no comment written: neither GitHub nor GitLab is a source or the CI"
    ]
    assert outcome.exit_code is ExitCode.BLOCKED  # a courtesy never changes the verdict


def test_outside_a_pull_request_the_comment_is_skipped_before_any_token_is_read() -> None:
    config = load(QUICKSTART, REPO_ROOT, REGISTRY)
    env = OFFLINE | {"GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": "push"}
    outcome = run.check(config, run.CheckRequest("checkout", comment=True), env, NOW)
    assert outcome.notices == ["not a pull request event (push); no comment written"]
