"""Waivers (accepted risks with an expiry) and the emergency override, through the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT, findings_by_rule, json_report, run_cli

from deploygate.model import RuleId
from deploygate.rules import fingerprint

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
    assert findings_by_rule(report, "overdue-action-item")
    assert all(f["level"] == "notice" for f in findings_by_rule(report, "overdue-action-item"))


def test_an_expired_waiver_brings_the_finding_back_with_a_notice(quickstart: Path) -> None:
    expired = WAIVE_ALERT.replace("2026-12-31", "2026-11-19")
    report = json_report(check(quickstart, "--format", "json", waivers=expired).stdout)
    [finding] = [f for f in report["findings"] if f["fingerprint"] == ALERT]
    assert finding["level"] == "error"
    [notice] = findings_by_rule(report, "expired-waiver")
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
        (WAIVE_ALERT.replace(ALERT, ALERT[:7]), f"waivers.finding: '{ALERT[:7]}' is not a"),
        (WAIVE_ALERT.replace(ALERT, ALERT[:11] + "g"), "is not a fingerprint (expected 8 to 32"),
        (WAIVE_ALERT.replace(ALERT, ALERT + "0"), "is not a fingerprint"),
        (WAIVE_ALERT.replace(f'"{ALERT}"', "12345678"), "waivers.finding: 12345678 is not a"),
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
    [open_item] = [
        f for f in findings_by_rule(report, "open-action-item") if "Compare all" in f["message"]
    ]
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


def fingerprint_shown_for(text: str, title: str) -> str:
    """The fingerprint the text report prints under the finding about ``title``: on the first
    line after it that names one (the message may wrap over several)."""
    lines = text.splitlines()
    [at] = [n for n, line in enumerate(lines) if title in line and line.startswith("ERROR")]
    shown = next(line for line in lines[at + 1 :] if "fingerprint " in line)
    return shown.rsplit("fingerprint ", 1)[1]


def test_the_docs_waive_with_the_fingerprint_that_the_text_shows(quickstart: Path) -> None:
    shown = fingerprint_shown_for(check(quickstart).stdout, "Alert on the payment error budget")
    assert len(shown) == 12
    rules = (REPO_ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    example = rules.split("### Waivers and the emergency override", 1)[1]
    waiver = example.split("```toml\n", 1)[1].split("```", 1)[0]
    assert f'finding = "{shown}"' in waiver
    report = json_report(check(quickstart, "--format", "json", waivers=waiver).stdout)
    [waived] = [f for f in report["findings"] if f["fingerprint"].startswith(shown)]
    assert waived["level"] == "notice"
    assert not findings_by_rule(report, "unused-waiver")


@pytest.mark.parametrize("prefix", [ALERT[:8], ALERT[:20], ALERT[:12].upper(), ALERT])
def test_any_unique_prefix_of_eight_or_more_waives(quickstart: Path, prefix: str) -> None:
    report = json_report(
        check(quickstart, "--format", "json", waivers=WAIVE_ALERT.replace(ALERT, prefix)).stdout
    )
    [waived] = [f for f in report["findings"] if f["fingerprint"] == ALERT]
    assert waived["level"] == "notice"
    assert "waived until 2026-12-31" in waived["message"]


# Two explicit item ids whose open-action-item fingerprints share their first 8 hex
# characters: found once by search, checked by the test itself.
TWINS = ("lesson-43679", "lesson-65493")


def test_an_ambiguous_prefix_is_a_config_error_naming_the_findings(quickstart: Path) -> None:
    fingerprints = [fingerprint(RuleId.OPEN_ACTION_ITEM, "action-item", id) for id in TWINS]
    assert fingerprints[0][:8] == fingerprints[1][:8]
    assert fingerprints[0] != fingerprints[1]
    postmortem = quickstart.parent / "postmortems" / "2026-11-06-session-store.md"
    postmortem.write_text(
        postmortem.read_text()
        + "".join(f"- [ ] Twin lesson {id} (due: 2027-02-01, id: {id})\n" for id in TWINS)
    )
    waiver = WAIVE_ALERT.replace(ALERT, fingerprints[0][:8])
    unwaived = quickstart.read_text()
    config_lines = unwaived.count("\n") + 2  # the blank line, then [[waivers]]
    result = check(quickstart, waivers=waiver)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith(f"deploygate: error: {quickstart}:{config_lines}: waivers.finding: ")
    assert "names 2 findings" in line
    for id, whole in zip(TWINS, fingerprints, strict=True):
        assert f"“Twin lesson {id}”" in line
        assert whole in line
    assert result.stdout == ""
    quickstart.write_text(unwaived)
    longer = check(quickstart, waivers=waiver.replace(fingerprints[0][:8], fingerprints[0][:12]))
    assert longer.exit_code == 1, longer.output
    assert "waived until 2026-12-31" in " ".join(longer.stdout.split())  # wrapping aside


def test_a_mistyped_fingerprint_is_an_unused_waiver_naming_its_line_and_expiry(
    quickstart: Path,
) -> None:
    typo = "89a68594902c"  # the docs' prefix with its last character wrong
    assert not ALERT.startswith(typo)
    line = quickstart.read_text().count("\n") + 2
    result = check(quickstart, "--format", "json", waivers=WAIVE_ALERT.replace(ALERT, typo))
    report = json_report(result.stdout)
    [unused] = findings_by_rule(report, "unused-waiver")
    assert unused["level"] == "notice"
    assert f"The waiver at {quickstart}:{line} for {typo} (until 2026-12-31:" in unused["message"]
    assert unused["remedy"].endswith(f"or delete it at {quickstart}:{line}")
    [alert] = [f for f in report["findings"] if f["fingerprint"] == ALERT]
    assert alert["level"] == "error"  # nothing was waived
    text = " ".join(check(quickstart).stdout.split())  # wrapping aside
    assert f"NOTICE unused-waiver The waiver at {quickstart}:{line}" in text


def test_unused_waivers_block_where_the_config_says_so(quickstart: Path) -> None:
    strict = '[rules]\nunused-waiver = "error"\n'
    quickstart.write_text(quickstart.read_text().replace("[rules]\n", strict, 1))
    every_blocker = WAIVE_ALERT + WAIVE_CONTRACT + WAIVE_REPEAT
    assert check(quickstart, waivers=every_blocker).exit_code == 0
    stale = every_blocker + WAIVE_ALERT.replace(ALERT, "0123456789ab")
    result = check(quickstart, "--format", "json", waivers=stale)
    assert result.exit_code == 1
    [unused] = findings_by_rule(json_report(result.stdout), "unused-waiver")
    assert unused["level"] == "error"


def test_config_lists_the_waivers_with_the_days_left(quickstart: Path) -> None:
    quickstart.write_text(quickstart.read_text() + "\n" + WAIVE_ALERT + WAIVE_REPEAT)
    result = run_cli("config", "--config", str(quickstart), "--now", NOW)
    assert result.exit_code == 0, result.output
    listed = result.stdout.split("waivers:", 1)[1].splitlines()
    assert listed[0].strip() == "2"
    assert listed[1].startswith(f"  {ALERT} until 2026-12-31 (41 days left), team payments: ")
    assert listed[2].startswith(
        "  repeat-failure on checkout-9 until 2026-12-10 (20 days left), team platform: "
    )
    assert f"[{quickstart}:" in listed[1]
    last_day = run_cli("config", "--config", str(quickstart), "--now", "2026-12-10T23:00:00Z")
    assert "until 2026-12-10 (today is its last day)" in last_day.stdout
