"""`deploygate report` on the quickstart: Markdown with Mermaid, JSON, HTML, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from conftest import REPO_ROOT

from deploygate.cli import cli

CONFIG = str(REPO_ROOT / "examples" / "quickstart" / "deploygate.toml")
NOW = "2026-11-20T12:00:00Z"


def report(*args: str):
    return CliRunner().invoke(cli, ["report", "--config", CONFIG, "--now", NOW, *args])


def test_every_configured_service_with_charts_and_team_credit(tmp_path: Path) -> None:
    html = tmp_path / "loop.html"
    result = report("--output", f"html={html}", "--output", f"json={tmp_path / 'loop.json'}")
    assert result.exit_code == 0, result.output
    markdown = result.stdout
    assert markdown.count("```mermaid\nxychart-beta") == 4  # two charts for each service
    assert "| checkout | 11 | 4 | 36% | 3 | 75% | 22 h | 4 | 2 | 1 | n/a | 1 | 0 |" in markdown
    assert "- team **payments** closed 1 action item" in markdown
    assert "deploygate names no person" in markdown
    document = json.loads((tmp_path / "loop.json").read_text())
    assert document["schema_version"] == 1
    assert [service["service"] for service in document["services"]] == ["checkout", "search"]
    checkout = document["services"][0]
    assert (checkout["failed_deployments"], checkout["declined_action_items"]) == (4, 1)
    page = html.read_text()
    assert "<svg" in page
    assert "<script" not in page


def test_one_service_and_a_shorter_period() -> None:
    result = report("--service", "checkout", "--since", "30d", "--format", "json")
    document = json.loads(result.stdout)
    assert document["period"]["start"] == "2026-10-21T12:00:00Z"
    assert document["services"][0]["failed_deployments"] == 2


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = report("--since", "a while")
    assert result.exit_code == 2
    assert result.stderr.startswith("deploygate: error: --since: 'a while' is not a duration")
    empty = tmp_path / "deploygate.toml"
    empty.write_text("")
    result = CliRunner().invoke(cli, ["report", "--config", str(empty)])
    assert result.exit_code == 2
    assert "no service to report on" in result.stderr
    result = report("--since", "0d")
    assert result.exit_code == 2
    assert result.stderr == (
        "deploygate: error: --since: a report needs a period longer than zero "
        "(expected e.g. 90d or 12w)\n"
    )


def test_a_service_named_twice_is_reported_once() -> None:
    once = json.loads(report("--service", "checkout", "--format", "json").stdout)
    twice = json.loads(
        report("--service", "checkout", "--service", "checkout", "--format", "json").stdout
    )
    assert [service["service"] for service in twice["services"]] == ["checkout"]
    assert twice == once
