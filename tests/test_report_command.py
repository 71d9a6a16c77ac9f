"""`deploygate report` on the quickstart: Markdown with Mermaid, JSON, HTML, and bad input."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, loop_report, run_cli

CONFIG = str(REPO_ROOT / "examples" / "quickstart" / "deploygate.toml")
NOW = "2026-11-20T12:00:00Z"


def report(*args: str):
    return run_cli("report", "--config", CONFIG, "--now", NOW, *args)


def test_every_configured_service_with_charts_and_team_credit(tmp_path: Path) -> None:
    html = tmp_path / "loop.html"
    result = report("--output", f"html={html}", "--output", f"json={tmp_path / 'loop.json'}")
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    assert markdown.count("```mermaid\nxychart-beta") == 4  # two charts for each service
    # Median days to close, from the quickstart's closed: dates: 8.6 (payment config
    # validated Sep 18) and 14.6 (currency property tests Oct 30).
    assert "| checkout | 11 | 4 | 36% | 3 | 75% | 22 h | 4 | 2 | 1 | 11.6 d | 1 | 0 |" in markdown
    assert "- team **payments** closed 1 action item" in markdown
    assert "deploygate names no person" in markdown
    document = loop_report((tmp_path / "loop.json").read_text())
    assert document["schema_version"] == 1
    assert [service["service"] for service in document["services"]] == ["checkout", "search"]
    checkout = document["services"][0]
    assert (checkout["failed_deployments"], checkout["declined_action_items"]) == (4, 1)
    assert checkout["median_days_to_close"] == pytest.approx((8 + 14 / 24 + 14 + 15 / 24) / 2)
    assert checkout["closed_at_unknown"] == 0
    # The debt goes down the weeks items are closed: the rewrite declined Sep 11 and the
    # config validated Sep 18; the property tests done Oct 30.
    assert [week["open_lesson_debt"] for week in checkout["weekly"]] == [
        0, 0, 0, 3, 2, 2, 2, 2, 4, 4, 3, 4, 4, 4
    ]  # fmt: skip
    page = html.read_text()
    assert "<svg" in page
    assert "<script" not in page


def test_one_service_and_a_shorter_period() -> None:
    result = report("--service", "checkout", "--since", "30d", "--format", "json")
    document = loop_report(result.stdout)
    assert document["period"]["start"] == "2026-10-21T12:00:00Z"
    [checkout] = document["services"]
    assert checkout["failed_deployments"] == 2
    # Credit goes by closing date: the property tests, written Oct 15 (before the period)
    # and done Oct 30, count; the payment config check, done Sep 18, does not.
    assert checkout["teams_closing"] == [{"team": "checkout", "closed": 1}]
    assert checkout["median_days_to_close"] == pytest.approx(14 + 15 / 24)
    assert checkout["declined_action_items"] == 0  # declined Sep 11


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = report("--since", "a while")
    assert result.exit_code == 2
    assert result.stderr.startswith("deploygate: error: --since: 'a while' is not a duration")
    empty = tmp_path / "deploygate.toml"
    empty.write_text("")
    result = run_cli("report", "--config", str(empty))
    assert result.exit_code == 2
    assert "no service to report on" in result.stderr
    result = report("--since", "0d")
    assert result.exit_code == 2
    assert result.stderr == (
        "deploygate: error: --since: a report needs a period longer than zero "
        "(expected e.g. 90d or 12w)\n"
    )


def test_a_service_named_twice_is_reported_once() -> None:
    once = loop_report(report("--service", "checkout", "--format", "json").stdout)
    twice = loop_report(
        report("--service", "checkout", "--service", "checkout", "--format", "json").stdout
    )
    assert [service["service"] for service in twice["services"]] == ["checkout"]
    assert twice == once


def test_a_token_written_into_the_history_is_not_repeated_by_the_report(tmp_path: Path) -> None:
    """A team named by pasting the GitHub token: the report, which may be published as an
    issue, shows it masked, as a check would."""
    token = "ghpREPORTCANARY0123456789"  # no character Markdown escapes
    project = tmp_path / "quickstart"
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", project)
    postmortem = project / "postmortems" / "2026-09-08-payment-config-outage.md"
    text = postmortem.read_text(encoding="utf-8")
    postmortem.write_text(text.replace("team: payments, closed", f"team: {token}, closed"))
    result = run_cli(
        "report", "--config", str(project / "deploygate.toml"), "--now", NOW,
        env={"GITHUB_TOKEN": token},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "team **" in result.stdout
    assert token not in result.output
