"""Waivers (accepted risks with an expiry) and the emergency override, through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, json_report, run_cli

NOW = "2026-11-20T12:00:00Z"
ALERT = "89a68594902bf970e1ba2af1aa928792"  # overdue "Alert on the payment error budget..."


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", tmp_path / "q")
    return tmp_path / "q" / "deploygate.toml"


def check(config: Path, *args: str, waivers: str = ""):
    if waivers:
        config.write_text(config.read_text() + "\n" + waivers)
    return run_cli("check", "--config", str(config), "--service", "checkout", "--now", NOW, *args)


def by_rule(report: dict, rule: str) -> list[dict]:
    return [finding for finding in report["findings"] if finding["rule"] == rule]


WAIVE_ALERT = f"""[[waivers]]
finding = "{ALERT}"
reason = "Alerting moves to the new platform in December"
expires = 2026-12-31
team = "payments"
"""
CONTRACT = (
    "postmortems/2026-10-14-currency-rounding.md"
    "#contract-test-against-the-provider-s-sandbox-for-every-curre"
)
WAIVE_CONTRACT = f"""[[waivers]]
rule = "overdue-action-item"
subject = "{CONTRACT}"
reason = "Sandbox access arrives in January"
expires = 2027-01-15
team = "checkout"
"""


def test_a_waived_finding_drops_to_a_notice_that_says_why(quickstart: Path) -> None:
    result = check(quickstart, "--format", "json", waivers=WAIVE_ALERT)
    report = json_report(result.stdout)
    [waived] = [f for f in report["findings"] if f["fingerprint"] == ALERT]
    assert waived["level"] == "notice"
    assert waived["message"].endswith(
        "(waived until 2026-12-31: Alerting moves to the new platform in December; "
        "risk accepted by team payments)"
    )
    assert result.exit_code == 1  # the other overdue item still blocks


WAIVE_REPEAT = """[[waivers]]
rule = "repeat-failure"
subject = "checkout-9"
reason = "The config comparison lands next sprint"
expires = 2026-12-10
team = "platform"
"""


def test_waiving_every_blocker_by_fingerprint_and_by_rule_and_subject(quickstart: Path) -> None:
    waivers = WAIVE_ALERT + WAIVE_CONTRACT + WAIVE_REPEAT
    result = check(quickstart, "--format", "json", waivers=waivers)
    assert result.exit_code == 0, result.output
    report = json_report(result.stdout)
    assert report["verdict"] == "warn"
    assert by_rule(report, "overdue-action-item")
    assert all(f["level"] == "notice" for f in by_rule(report, "overdue-action-item"))


def test_an_expired_waiver_brings_the_finding_back_with_a_notice(quickstart: Path) -> None:
    expired = WAIVE_ALERT.replace("2026-12-31", "2026-11-19")
    report = json_report(check(quickstart, "--format", "json", waivers=expired).stdout)
    [finding] = [f for f in report["findings"] if f["fingerprint"] == ALERT]
    assert finding["level"] == "error"
    [notice] = by_rule(report, "expired-waiver")
    assert notice["level"] == "notice"
    assert notice["message"].startswith(
        f"The waiver for {ALERT} (overdue-action-item of “Alert on the payment error budget "
        "burn rate”) expired on 2026-11-19 (Alerting moves to the new platform in December)"
    )


def test_the_last_day_still_holds(quickstart: Path) -> None:
    today = WAIVE_ALERT.replace("2026-12-31", "2026-11-20")
    report = json_report(check(quickstart, "--format", "json", waivers=today).stdout)
    [finding] = [f for f in report["findings"] if f["fingerprint"] == ALERT]
    assert finding["level"] == "notice"


@pytest.mark.parametrize(
    ("waiver", "message"),
    [
        (
            WAIVE_ALERT.replace("2026-12-31", "2027-03-01"),
            "waivers.expires: expires 2027-03-01, more than 90 days ahead "
            "(expected a date no later than 2027-02-18)",
        ),
        (
            WAIVE_ALERT.replace('reason = "Alerting moves to the new platform in December"\n', ""),
            "waivers.reason: a waiver needs reason",
        ),
        (WAIVE_ALERT.replace("expires = 2026-12-31", 'expires = "soon"'), "is not a date"),
        (
            WAIVE_ALERT.replace("expires = 2026-12-31", "expires = 2026-12-01T10:00:00Z"),
            "waivers.expires: 2026-12-01T10:00:00+00:00 is not a date (a waiver holds through",
        ),
        (WAIVE_ALERT.replace('team = "payments"', 'owner = "bob"'), "unknown key"),
        (WAIVE_CONTRACT.replace('subject = "', 'finding = "x"\nsubject = "'), "name one finding"),
    ],
)
def test_bad_waivers_are_config_errors_naming_the_line(
    quickstart: Path, waiver: str, message: str
) -> None:
    result = check(quickstart, waivers=waiver)
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(f"deploygate: error: {quickstart}:")
    assert message in line


def test_an_override_lets_a_blocked_deploy_through_loudly(quickstart: Path) -> None:
    reason = "hotfix for the checkout outage, incident 42"
    result = check(quickstart, "--format", "json", "--override", reason)
    assert result.exit_code == 0
    report = json_report(result.stdout)
    assert (report["verdict"], report["override_reason"]) == ("override", reason)
    text = check(quickstart, "--override", reason).stdout
    assert f"OVERRIDDEN: the gate would block; let through because: {reason}" in text
    markdown = check(quickstart, "--format", "markdown", "--override", reason).stdout
    assert markdown.startswith("### 🚨 deploygate: override for **checkout**")


def test_an_override_on_a_passing_run_changes_nothing(tmp_path: Path) -> None:
    # No history at all passes only with no-evidence off.
    (tmp_path / "deploygate.toml").write_text('[rules]\nno-evidence = "off"\n')
    result = run_cli(
        "check", "--config", str(tmp_path / "deploygate.toml"), "--service", "x", "--format",
        "json", "--override", "just in case",
    )  # fmt: skip
    report = json_report(result.stdout)
    assert (report["verdict"], report["override_reason"]) == ("pass", None)


@pytest.mark.parametrize("named_by", ["fingerprint", "rule and subject"])
def test_a_waiver_of_an_open_item_still_holds_once_the_item_is_overdue(
    quickstart: Path, named_by: str
) -> None:
    # "Compare all service configs..." is open at NOW and due 2026-12-15.
    report = json_report(check(quickstart, "--format", "json").stdout)
    [open_item] = [f for f in by_rule(report, "open-action-item") if "Compare all" in f["message"]]
    if named_by == "fingerprint":
        names = f'finding = "{open_item["fingerprint"]}"'
    else:
        names = f'rule = "open-action-item"\nsubject = "{open_item["action_item"]["id"]}"'
    waiver = f"""[[waivers]]
{names}
reason = "The config diff job lands with the CI migration"
expires = 2027-01-15
team = "platform"
"""
    config = quickstart.read_text() + "\n" + waiver
    quickstart.write_text(config)
    later = run_cli(
        "check", "--config", str(quickstart), "--service", "checkout", "--format", "json",
        "--now", "2026-12-20T12:00:00Z",
    )  # fmt: skip
    [overdue] = [f for f in json_report(later.stdout)["findings"] if "Compare all" in f["message"]]
    assert overdue["rule"] == "overdue-action-item"
    assert overdue["level"] == "notice"
    assert "(waived until 2027-01-15: The config diff job lands" in overdue["message"]


def test_config_and_report_refuse_the_waivers_that_check_refuses(quickstart: Path) -> None:
    far = WAIVE_ALERT.replace("expires = 2026-12-31", "expires = 2027-03-01")
    quickstart.write_text(quickstart.read_text() + "\n" + far)
    for command in (["config"], ["report", "--service", "checkout"]):
        result = run_cli(*command, "--config", str(quickstart), "--now", NOW)
        assert result.exit_code == 2, command
        assert "more than 90 days ahead" in result.stderr


@pytest.mark.parametrize("reason", ["", "   "])
def test_an_override_without_a_reason_is_refused(quickstart: Path, reason: str) -> None:
    result = check(quickstart, "--override", reason)
    assert result.exit_code == 2
    assert result.stderr.startswith("deploygate: error: --override: an override needs a reason")
    assert result.stdout == ""
