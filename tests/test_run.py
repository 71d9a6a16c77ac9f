"""run.py: a check, decided without click, from a config, an environment and a time.

These call :func:`deploygate.run.check` as the CLI does, with the real
quickstart and the real local source; what the CLI prints is in test_cli.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta
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


def advisory_quickstart(tmp_path: Path, *, mode: str | None = None) -> Path:
    """A copy of the quickstart, so the advisory log is written beside a throwaway history."""
    copy = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART.parent, copy)
    config = copy / "deploygate.toml"
    if mode is not None:
        config.write_text(f'mode = "{mode}"\n' + config.read_text())
    return config


def advisory_check(config_path: Path, request: run.CheckRequest, now: datetime = NOW):
    return run.check(load(config_path, config_path.parent, REGISTRY), request, OFFLINE, now)


def test_advisory_exits_0_keeps_the_block_and_logs_it(tmp_path: Path) -> None:
    config = advisory_quickstart(tmp_path)
    outcome = advisory_check(config, run.CheckRequest("checkout", advisory=True))
    assert outcome.exit_code is ExitCode.OK
    assert outcome.report.verdict is Verdict.BLOCK
    assert outcome.report.enforced is False
    assert outcome.report.blocking  # what would have blocked is still named
    log = config.parent / "advisory.jsonl"
    assert outcome.notices == ["would have blocked: logged in advisory.jsonl"]  # outside the cwd
    [line] = log.read_text().splitlines()
    assert json.loads(line) == {
        "service": "checkout",
        "environment": None,
        "created_at": "2026-11-20T12:00:00Z",
        "run_url": None,
    }


def test_mode_advisory_in_the_config_is_advisory_and_enforce_is_the_default(
    tmp_path: Path,
) -> None:
    advisory = advisory_check(
        advisory_quickstart(tmp_path / "a", mode="advisory"), run.CheckRequest("checkout")
    )
    assert (advisory.exit_code, advisory.report.enforced) == (ExitCode.OK, False)
    enforce = advisory_check(
        advisory_quickstart(tmp_path / "e", mode="enforce"), run.CheckRequest("checkout")
    )
    default = advisory_check(advisory_quickstart(tmp_path / "d"), run.CheckRequest("checkout"))
    for enforced in (enforce, default):
        assert (enforced.exit_code, enforced.report.enforced) == (ExitCode.BLOCKED, True)
    assert not (tmp_path / "e" / "quickstart" / "advisory.jsonl").exists()


def test_an_advisory_run_that_would_not_block_logs_nothing(tmp_path: Path) -> None:
    config = advisory_quickstart(tmp_path)
    request = run.CheckRequest("checkout", run.Selection(environment="staging"), advisory=True)
    outcome = advisory_check(config, request)
    assert (outcome.exit_code, outcome.report.verdict) == (ExitCode.OK, Verdict.WARN)
    assert outcome.notices == []
    assert not (config.parent / "advisory.jsonl").exists()


def test_a_failed_source_under_advisory_exits_0_and_still_says_not_verified(
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "deploygate.toml"
    config_path.write_text('source = ["local", "github"]\nmode = "advisory"\n')
    config = load(config_path, tmp_path, REGISTRY)
    env = {"CI": "true", "GITHUB_REPOSITORY": "acme/shop"}  # and no GITHUB_TOKEN
    outcome = run.check(config, run.CheckRequest("checkout"), env, NOW)
    assert outcome.exit_code is ExitCode.OK
    assert outcome.report.verdict is Verdict.UNKNOWN
    assert outcome.warning is not None
    assert outcome.warning.startswith("NOT VERIFIED: source 'github' failed")
    assert outcome.warning.endswith("Exiting 0 because the gate is advisory.")


def test_report_counts_the_advisory_blocks_of_its_period_per_service(tmp_path: Path) -> None:
    config_path = advisory_quickstart(tmp_path)
    for days_ago in (1, 2, 200):
        request = run.CheckRequest("checkout", advisory=True)
        advisory_check(config_path, request, NOW - timedelta(days=days_ago))
    config = load(config_path, config_path.parent, REGISTRY)
    request = run.ReportRequest(services=(), period=timedelta(days=90))
    loop = run.report(config, request, OFFLINE, NOW)
    assert {s.service: s.would_have_blocked for s in loop.services} == {"checkout": 2, "search": 0}
