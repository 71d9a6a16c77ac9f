"""Advisory mode in every format: the verdict keeps its real value, and is shown as what it
would do ("would block", "would warn"), so a team rolling the gate out reads the same report
an enforcing gate would print, without being stopped by it."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources

import jsonschema
from actions_runner import commands
from conftest import NOW, MemorySource, ago, deployment, item, postmortem

from deploygate.formats import FORMATS, RenderOptions
from deploygate.formats.common import ADVISORY
from deploygate.formats.github import outputs
from deploygate.formats.json import SCHEMA_RESOURCE
from deploygate.gate import check
from deploygate.model import History, Query, Report, SourceStatus, Verdict
from deploygate.rules import Policy


def blocked(*, enforced: bool) -> Report:
    """A report whose overdue action item blocks: errors and a warning."""
    failure = deployment("9", at=ago(days=10))
    pm = postmortem(at=ago(days=40), items=(item(due="2026-01-01"),))
    policy = Policy()
    return check(
        [MemorySource(History(deployments=(failure,), postmortems=(pm,)))],
        Query("checkout", "production", NOW, policy.lookback),
        policy,
        enforced=enforced,
    )


def schema() -> dict[str, object]:
    text = resources.files("deploygate.formats").joinpath(SCHEMA_RESOURCE).read_text()
    return json.loads(text)


def test_the_core_keeps_the_real_verdict_and_says_it_is_not_enforced() -> None:
    advisory, enforcing = blocked(enforced=False), blocked(enforced=True)
    assert advisory.verdict is enforcing.verdict is Verdict.BLOCK
    assert advisory.findings == enforcing.findings
    assert (advisory.enforced, enforcing.enforced) == (False, True)


def test_text_shows_would_block_and_the_advisory_line() -> None:
    text = FORMATS["text"](blocked(enforced=False), RenderOptions())
    lines = text.splitlines()
    assert lines[1].startswith("verdict: would block: lessons of past failures")
    assert lines[2] == ADVISORY
    enforced = FORMATS["text"](blocked(enforced=True), RenderOptions())
    assert enforced.splitlines()[1].startswith("verdict: block: ")
    assert "would" not in enforced
    assert "ADVISORY" not in enforced


def test_a_warning_would_warn_and_a_pass_stays_a_pass() -> None:
    warned = replace(blocked(enforced=False), verdict=Verdict.WARN)
    text = FORMATS["text"](warned, RenderOptions())
    assert "verdict: would warn: the deploy may go ahead" in text
    assert "deploygate: would warn for **checkout**" in FORMATS["markdown"](warned, RenderOptions())
    passed = replace(blocked(enforced=False), verdict=Verdict.PASS, findings=())
    text = FORMATS["text"](passed, RenderOptions())
    assert "verdict: pass: " in text
    assert "would" not in text
    assert ADVISORY in text


def test_markdown_heading_says_would_block_with_an_advisory_note() -> None:
    markdown = FORMATS["markdown"](blocked(enforced=False), RenderOptions())
    assert markdown.startswith("### ⛔ deploygate: would block for **checkout** to **production**")
    assert "**would block: lessons of past failures" in markdown
    assert "> [!NOTE]\n> ADVISORY: not enforced" in markdown


def test_annotations_say_would_block_and_advisory_in_every_title() -> None:
    rendered = FORMATS["github"](blocked(enforced=False), RenderOptions())
    assert rendered.splitlines()[0].startswith("deploygate: would block for checkout (production)")
    found = commands(rendered)
    assert found[0].name == "notice"
    assert found[0].properties["title"] == "deploygate: ADVISORY"
    findings = found[1:]
    assert findings
    assert all(c.properties["title"].endswith(" (advisory)") for c in findings)
    enforced = commands(FORMATS["github"](blocked(enforced=True), RenderOptions()))
    assert not any("advisory" in c.properties["title"].lower() for c in enforced)


def test_json_adds_enforced_and_keeps_the_verdict() -> None:
    for enforced in (False, True):
        document = json.loads(FORMATS["json"](blocked(enforced=enforced), RenderOptions()))
        jsonschema.validate(document, schema())
        assert (document["verdict"], document["enforced"]) == ("block", enforced)


def test_the_outputs_say_enforced_next_to_the_verdict() -> None:
    assert outputs(blocked(enforced=False))["enforced"] == "false"
    assert outputs(blocked(enforced=True))["enforced"] == "true"
    dotenv = FORMATS["dotenv"](blocked(enforced=False), RenderOptions()).splitlines()
    assert dotenv[:3] == [
        "DEPLOYGATE_VERDICT=block",
        "DEPLOYGATE_ENFORCED=false",
        "DEPLOYGATE_BLOCKING=true",
    ]


def test_the_gitlab_log_keeps_the_advisory_and_warning_lines_above_the_folded_findings() -> None:
    unverified = replace(blocked(enforced=False), verdict=Verdict.UNKNOWN)
    unverified = replace(unverified, sources=(SourceStatus("gitlab", False, "down"),))
    for report in (blocked(enforced=False), unverified):
        header = FORMATS["gitlab"](report, RenderOptions()).split("\x1b[0Ksection_start", 1)[0]
        assert ADVISORY in header
        assert header.splitlines()[-2].startswith("findings: ")
    header = FORMATS["gitlab"](unverified, RenderOptions()).split("\x1b[0Ksection_start", 1)[0]
    assert "NOT VERIFIED: source 'gitlab' failed: down" in header
