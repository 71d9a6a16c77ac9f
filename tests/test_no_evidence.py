"""A check that saw nothing says so: the no-evidence rule, coverage per source, and the
history paths that do not exist, on the local store through the CLI."""

from __future__ import annotations

from pathlib import Path

from conftest import NOW, json_report, run_cli

WHEN = NOW.isoformat()


def check(config: Path, service: str, *args: str):
    return run_cli(
        "check", "--config", str(config), "--service", service, "--now", WHEN, *args
    )  # fmt: skip


def record(config: Path, service: str, environment: str, status: str, days_ago: int) -> None:
    result = run_cli(
        "record", "--config", str(config), "--service", service, "--environment", environment,
        "--status", status, "--time", f"2026-11-{20 - days_ago:02d}T10:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def test_an_explicit_history_that_does_not_exist_is_exit_2_at_its_line(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text('lookback = "30d"\n\n[local]\nhistory = "deploys.jsonl"\n')
    result = check(config, "checkout")
    assert result.exit_code == 2
    assert f"{config}:4: local.history: file {tmp_path / 'deploys.jsonl'} does not exist" in (
        result.stderr
    )
    assert result.stdout == ""
    # record creates it; from then on the check reads it.
    record(config, "checkout", "production", "success", 1)
    assert check(config, "checkout").exit_code == 0


def test_the_default_history_missing_is_a_notice_saying_how_to_start(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    result = check(config, "checkout", "--format", "json")
    assert result.exit_code == 0
    [source] = json_report(result.stdout)["sources"]
    [notice] = source["notices"]
    assert notice.startswith("no deployment history at .deploygate/deployments.jsonl yet")
    assert "deploygate record --service checkout --environment production" in notice


def test_coverage_in_text_and_markdown_counts_what_the_source_gave(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    record(config, "checkout", "staging", "success", 9)
    record(config, "checkout", "production", "failure", 3)
    record(config, "search", "production", "success", 2)
    text = check(config, "checkout").stdout
    assert (
        "read: local: 2 deployments to production, staging (2026-11-11 to 2026-11-17); "
        "0 postmortems; 0 action items"
    ) in text
    markdown = check(config, "checkout", "--format", "markdown").stdout
    assert "**Read from** local: 2 deployments to production, staging" in markdown
    assert "notice" not in text.split("read:", 1)[1]  # the history exists: no first-run notice


def test_the_loop_is_called_closed_only_when_the_service_was_seen(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text('[rules]\nno-evidence = "off"\n')
    record(config, "checkout", "production", "success", 1)
    seen = check(config, "checkout").stdout
    assert "verdict: pass: the learning loop is closed for this service" in seen
    unseen = check(config, "search").stdout  # off: a pass, but not a closed loop
    assert "verdict: pass: no source saw this service, so nothing was verified" in unseen
    assert "closed" not in unseen


def test_a_service_nobody_knows_names_those_the_sources_and_config_know(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("[services.payments]\n")
    record(config, "checkout", "production", "success", 1)
    result = check(config, "checkuot", "--format", "json")
    [finding] = json_report(result.stdout)["findings"]
    assert finding["rule"] == "no-evidence"
    assert "the sources and the config know 'checkout', 'payments'" in finding["message"]
    assert finding["message"].endswith("did you mean 'checkout'?")
    # Nothing close: the names, no guess.
    [far] = json_report(check(config, "ledger", "--format", "json").stdout)["findings"]
    assert "did you mean" not in far["message"]


def test_a_service_in_another_case_is_named_as_such(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "pm.md").write_text(
        '+++\nservice = "Checkout"\ndate = 2026-11-10T10:00:00Z\n+++\n# Checkout down\n'
    )
    record(config, "checkout", "production", "failure", 12)
    [finding] = [
        f
        for f in json_report(check(config, "checkout", "--format", "json").stdout)["findings"]
        if f["rule"] == "no-evidence"
    ]
    assert (
        "'checkout' is named in another case ('Checkout' in postmortem front matter)"
        in finding["message"]
    )


def test_a_seen_service_and_environment_give_no_finding(tmp_path: Path) -> None:
    config = tmp_path / "deploygate.toml"
    config.write_text("")
    record(config, "checkout", "production", "success", 1)
    result = check(config, "checkout", "--environment", "production", "--format", "json")
    assert json_report(result.stdout)["findings"] == []
