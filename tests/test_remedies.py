"""How to unblock: every finding that can warn or block says what clears it, in every format,
and a repeat failure is cleared by a postmortem of its own whose lessons are all decided."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from actions_runner import commands
from conftest import NOW, REPO_ROOT, MemorySource, ago, deployment, item, json_report, postmortem
from conftest import run_cli as cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import GITHUB_TOKEN, GITLAB_JOB_TOKEN, GITLAB_TOKEN, github_year, gitlab_year
from fakes.worlds import NOW as WORLD_NOW

from deploygate.formats import FORMATS, RenderOptions, escape
from deploygate.gate import check
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    Finding,
    History,
    Level,
    Postmortem,
    Query,
    Report,
    RuleId,
)
from deploygate.rules import SPECS, Policy

QUICKSTART = REPO_ROOT / "examples" / "quickstart"


def judge(*records: Deployment | Postmortem) -> Report:
    history = History(
        deployments=tuple(r for r in records if isinstance(r, Deployment)),
        postmortems=tuple(r for r in records if isinstance(r, Postmortem)),
    )
    policy = Policy()
    return check(
        [MemorySource(history)], Query("checkout", "production", NOW, policy.lookback), policy
    )


def only(report: Report, rule: RuleId) -> Finding:
    [finding] = [finding for finding in report.findings if finding.rule is rule]
    return finding


def test_every_quickstart_finding_that_warns_or_blocks_says_what_clears_it() -> None:
    result = cli(
        "check", "--config", str(QUICKSTART / "deploygate.toml"), "--service", "checkout",
        "--format", "json", "--now", "2026-11-20T12:00:00Z",
    )  # fmt: skip
    findings = json_report(result.stdout)["findings"]
    loud = [f for f in findings if f["level"] in ("warning", "error")]
    assert len(loud) == 5
    for finding in loud:
        assert finding["remedy"].startswith("To clear: "), finding
        assert f'or waive it with finding = "{finding["fingerprint"][:12]}"' in finding["remedy"]
    informational = {rule.value for rule, spec in SPECS.items() if spec.informational}
    assert all(f["remedy"] is None for f in findings if f["rule"] in informational)


def test_a_local_item_is_cleared_at_its_file_and_line() -> None:
    result = cli(
        "check", "--config", str(QUICKSTART / "deploygate.toml"), "--service", "checkout",
        "--format", "json", "--now", "2026-11-20T12:00:00Z",
    )  # fmt: skip
    for finding in json_report(result.stdout)["findings"]:
        if finding["rule"] not in ("open-action-item", "overdue-action-item"):
            continue
        path, line = finding["remedy"].split(" at ", 1)[1].split(";", 1)[0].rsplit(":", 1)
        assert path == finding["postmortem"]["id"]
        lines = (QUICKSTART / path).read_text(encoding="utf-8").splitlines()
        assert finding["action_item"]["title"] in lines[int(line) - 1]


def test_an_item_of_an_issue_is_cleared_at_its_url() -> None:
    url = "https://github.com/acme/shop/issues/77"
    lesson = replace(item("Alert on burn rate", due="2026-10-01"), url=url)
    finding = only(judge(postmortem(items=(lesson,))), RuleId.OVERDUE_ACTION_ITEM)
    assert finding.remedy == (
        f"To clear: do it, or decline it with a reason, at {url}; "
        f'or waive it with finding = "{finding.short_fingerprint}"'
    )


@pytest.mark.parametrize(
    ("url", "sha", "ways"),
    [
        ("https://ci.example/runs/7", "9b2e7d41c6a8", "its id, its URL or its sha 9b2e7d4"),
        (None, "9b2e7d41c6a8", "its id or its sha 9b2e7d4"),
        (None, None, "its id"),
    ],
)
def test_an_unreviewed_failure_is_cleared_by_a_postmortem_that_names_it(
    url: str | None, sha: str | None, ways: str
) -> None:
    failure = deployment("7", at=ago(days=10), url=url, sha=sha)
    finding = only(judge(failure), RuleId.UNREVIEWED_FAILURE)
    assert finding.level is Level.WARNING
    assert finding.remedy == (
        f"To clear: a postmortem that names deployment 7 by {ways}; "
        f'or waive it with finding = "{finding.short_fingerprint}"'
    )


def test_every_format_carries_the_remedy_and_the_fingerprint() -> None:
    lesson = item("Alert on burn rate", due="2026-10-01")
    declined = item("Rewrite the client", state=ActionItemState.DECLINED)
    report = judge(
        deployment("7", at=ago(days=10)), postmortem(at=ago(days=30), items=(lesson, declined))
    )
    loud = [finding for finding in report.findings if finding.level > Level.NOTICE]
    assert {finding.rule for finding in loud} == {
        RuleId.OVERDUE_ACTION_ITEM,
        RuleId.UNREVIEWED_FAILURE,
    }
    options = RenderOptions()
    text = FORMATS["text"](report, RenderOptions(width=10_000))  # each remedy on one line
    markdown = FORMATS["markdown"](report, options)
    annotations = commands(FORMATS["github"](report, options))
    quality = json.loads(FORMATS["codequality"](report, options))
    document = json.loads(FORMATS["json"](report, options))
    for finding in loud:
        assert finding.remedy
        assert f"fingerprint {finding.short_fingerprint}" in text
        # Wrapped to the text's width with a hanging indent: compared with the breaks folded.
        assert f"\n{'':<30} To clear: " in text
        assert " ".join(escape.terminal(finding.remedy).split()) in " ".join(text.split())
        assert f"`{finding.short_fingerprint}`" in markdown
        assert f"<br>{escape.markdown(finding.remedy)} |" in markdown
        [annotation] = [a for a in annotations if a.data.startswith(finding.message)]
        assert annotation.data.split("\n")[1] == finding.remedy
        [issue] = [i for i in quality if i["fingerprint"] == finding.fingerprint]
        assert issue["description"].endswith(escape.plain(finding.remedy))
        [entry] = [f for f in document["findings"] if f["fingerprint"] == finding.fingerprint]
        assert entry["remedy"] == finding.remedy
    # A notice's annotation still names its fingerprint, on a line of its own.
    notices = [a for a in annotations if a.name == "notice"]
    assert notices
    assert all(a.data.split("\n")[1].startswith("fingerprint ") for a in notices)


def lessons(*states: ActionItemState) -> tuple[ActionItem, ...]:
    return tuple(
        replace(item(f"Lesson {n}", state=state), id=f"pm-2#{n}") for n, state in enumerate(states)
    )


def repeat_history(
    items: tuple[ActionItem, ...], *, names_it: bool = True
) -> tuple[Deployment | Postmortem, ...]:
    """A failure whose cause came back: the second postmortem shares the first's cause label,
    and references the repeat (or is only written within the link window after it)."""
    first = deployment("1", at=ago(days=40), sha="aaaaaaa1")
    again = deployment("2", at=ago(days=10), sha="bbbbbbb2")
    earlier = replace(
        postmortem("pm-1", at=ago(days=39), refs=("1",), items=(item("Validate config"),)),
        causes=("config-drift",),
    )
    earlier = replace(
        earlier,
        action_items=(replace(earlier.action_items[0], state=ActionItemState.DONE),),
    )
    own = replace(
        postmortem("pm-2", at=ago(days=9, hours=12), refs=("2",) if names_it else (), items=items),
        causes=("config-drift",),
    )
    return first, again, earlier, own


DONE, DECLINED, OPEN = ActionItemState.DONE, ActionItemState.DECLINED, ActionItemState.OPEN


@pytest.mark.parametrize("states", [(DONE,), (DONE, DECLINED), (DECLINED,)])
def test_a_repeat_is_cleared_by_its_own_postmortem_with_every_item_decided(
    states: tuple[ActionItemState, ...],
) -> None:
    report = judge(*repeat_history(lessons(*states)))
    repeat = only(report, RuleId.REPEAT_FAILURE)
    assert repeat.level is Level.NOTICE
    assert repeat.message.startswith("Repeat failure: deployment 2 ")
    assert repeat.message.endswith(
        "; cleared by postmortem “Postmortem pm-2”, which names it and has every action item "
        "done or declined"
    )
    assert repeat.remedy is None
    assert report.verdict.value == "pass"


def test_a_repeat_whose_own_postmortem_has_open_items_names_them_as_the_way_out() -> None:
    report = judge(*repeat_history(lessons(DONE, OPEN)))
    repeat = only(report, RuleId.REPEAT_FAILURE)
    assert repeat.level is Level.ERROR
    assert "cleared" not in repeat.message
    assert repeat.remedy == (
        "To clear: do or decline with a reason every open action item of postmortem "
        "“Postmortem pm-2” (pm-2), which reviews it; "
        f'or waive it with finding = "{repeat.short_fingerprint}"'
    )
    assert report.verdict.value == "block"


@pytest.mark.parametrize(
    ("items", "names_it"),
    [((), True), (lessons(DONE), False)],
    ids=["a postmortem with no lesson", "a postmortem linked by time alone"],
)
def test_a_repeat_stays_an_error_without_a_postmortem_that_names_it_and_decided_lessons(
    items: tuple[ActionItem, ...], names_it: bool
) -> None:
    report = judge(*repeat_history(items, names_it=names_it))
    repeat = only(report, RuleId.REPEAT_FAILURE)
    assert repeat.level is Level.ERROR
    assert repeat.remedy == (
        "To clear: a postmortem that names deployment 2 by its id or its sha bbbbbbb, with "
        "action items all done or declined; "
        f'or waive it with finding = "{repeat.short_fingerprint}"'
    )


def assert_every_loud_finding_says_where_to_clear_it(report: dict[str, Any]) -> None:
    """Items are cleared at their issue's URL, failures by naming their deployment."""
    loud = [f for f in report["findings"] if f["level"] in ("warning", "error")]
    assert {f["rule"] for f in loud} >= {"open-action-item", "unreviewed-failure"}
    for finding in loud:
        assert finding["remedy"].endswith(
            f'or waive it with finding = "{finding["fingerprint"][:12]}"'
        )
        if finding["action_item"]:
            assert finding["action_item"]["url"].startswith("http")
            assert f" at {finding['action_item']['url']};" in finding["remedy"]
        if finding["rule"] == "unreviewed-failure":
            assert f"names deployment {finding['deployment']['id']} by its id" in finding["remedy"]


def test_github_findings_say_where_to_clear_them(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    github_year(fake_github)
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    result = cli(
        "check", "--config", str(config), "--service", "checkout", "--now", WORLD_NOW.isoformat(),
        "--format", "json",
        env=fake_github.actions_env(GITHUB_TOKEN, "acme/shop")
        | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""},
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert_every_loud_finding_says_where_to_clear_it(json_report(result.stdout))


def test_gitlab_findings_say_where_to_clear_them(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    gitlab_year(fake_gitlab)
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    env = fake_gitlab.ci_env(GITLAB_JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": GITLAB_TOKEN}
    result = cli(
        "check", "--config", str(config), "--service", "checkout", "--now", WORLD_NOW.isoformat(),
        "--format", "json", env=env,
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert_every_loud_finding_says_where_to_clear_it(json_report(result.stdout))
