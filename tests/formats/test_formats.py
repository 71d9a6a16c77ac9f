"""Formats: the JSON contract against its schema, and untrusted text made inert."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from conftest import NOW, MemorySource, ago, deployment, item, postmortem, run_cli

from deploygate.formats import FORMATS, SHOWS_NOT_VERIFIED, RenderOptions, escape
from deploygate.formats.json import SCHEMA_RESOURCE
from deploygate.gate import check
from deploygate.model import History, Query, SourceStatus, Verdict
from deploygate.rules import Policy

HOSTILE = (
    "@octocat <img src=x onerror=alert(1)> [Approve](http://evil.invalid) | `code` "
    "\x1b[2J\r::error::owned\u202e"
)


def report_with_hostile_titles():
    failure = deployment("9", at=ago(days=10), url="https://ci.example/runs/9?a=(b)")
    pm = replace(
        postmortem(at=ago(days=400), items=(replace(item(due="2026-01-01"), title=HOSTILE),)),
        title=HOSTILE,
    )
    policy = Policy()
    return check(
        [MemorySource(History(deployments=(failure,), postmortems=(pm,)))],
        Query("checkout", "production", NOW, policy.lookback),
        policy,
    )


def schema() -> dict[str, object]:
    text = resources.files("deploygate.formats").joinpath(SCHEMA_RESOURCE).read_text()
    return json.loads(text)


def test_json_validates_against_the_shipped_schema() -> None:
    report = report_with_hostile_titles()
    document = json.loads(FORMATS["json"](report, RenderOptions()))
    jsonschema.validate(document, schema())
    assert document["schema_version"] == 1
    assert document["findings"][0]["url"] is None or isinstance(document["findings"][0]["url"], str)


def test_unknown_verdict_validates_too() -> None:
    report = replace(report_with_hostile_titles(), verdict=Verdict.UNKNOWN)
    jsonschema.validate(json.loads(FORMATS["json"](report, RenderOptions())), schema())


def test_schema_rejects_a_wrong_document() -> None:
    document = json.loads(FORMATS["json"](report_with_hostile_titles(), RenderOptions()))
    document["verdict"] = "maybe"
    try:
        jsonschema.validate(document, schema())
    except jsonschema.ValidationError:
        return
    raise AssertionError("a verdict outside the contract must not validate")


def test_text_shows_no_control_characters_from_untrusted_text() -> None:
    text = FORMATS["text"](report_with_hostile_titles(), RenderOptions())
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\u202e" not in text
    assert "\\x1b[2J\\x0d::error::owned\\u202e" in text


def test_colour_only_when_asked() -> None:
    report = report_with_hostile_titles()
    assert "\x1b[" not in FORMATS["text"](report, RenderOptions(color=False))
    assert "\x1b[31m" in FORMATS["text"](report, RenderOptions(color=True))


def test_markdown_neutralises_mentions_html_links_and_table_breaks() -> None:
    markdown = FORMATS["markdown"](report_with_hostile_titles(), RenderOptions())
    assert "@octocat" not in markdown
    assert "<img" not in markdown
    assert "](http://evil" not in markdown
    assert "http://evil" not in markdown
    for line in markdown.splitlines():
        if line.startswith("| "):
            # Escaped pipes are text; each row keeps exactly its four cells.
            assert line.replace("\\|", "").count("|") == 5, line


def test_markdown_links_subjects_with_encoded_urls() -> None:
    markdown = FORMATS["markdown"](report_with_hostile_titles(), RenderOptions())
    assert "[link](https://ci.example/runs/9?a=%28b%29)" in markdown


def test_escape_markdown_is_literal_text() -> None:
    assert escape.markdown("a_b *c* [d](e)") == "a\\_b \\*c\\* \\[d\\](e)"
    assert escape.markdown("x\ny") == "x y"


def test_shows_not_verified_names_the_formats_that_print_the_line_in_full() -> None:
    """The CLI says a failure once: in full on stderr only after a format outside this set."""
    failed = SourceStatus("github", ok=False, error="the token is missing")
    report = replace(report_with_hostile_titles(), verdict=Verdict.UNKNOWN, sources=(failed,))
    showing = {
        name
        for name, render in FORMATS.items()
        if "NOT VERIFIED" in (shown := render(report, RenderOptions()))
        and "the token is missing" in shown
    }
    assert showing == SHOWS_NOT_VERIFIED


LONG_TITLE = (
    "Contract test against the provider's sandbox for every currency we sell in, "
    "https://wiki.example.com/a/very/long/path/that/is/one/word/and/must/stay/whole/for/copying "
    "and a hyphenated-word-that-must-not-break"
)


@pytest.mark.parametrize("width", [80, 100, 132])
def test_text_wraps_findings_with_a_hanging_indent_and_never_cuts_a_word(width: int) -> None:
    pm = postmortem(at=ago(days=60), items=(replace(item(due="2026-01-01"), title=LONG_TITLE),))
    policy = Policy()
    report = check(
        [MemorySource(History(postmortems=(pm,)))],
        Query("checkout", "production", NOW, policy.lookback),
        policy,
    )
    text = FORMATS["text"](report, RenderOptions(width=width))
    lines = text.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("ERROR"))
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" " * 31))
    block = lines[start:end]
    assert len(block) > 3  # the message, the locator and the remedy, wrapped
    for line in block:
        words = line.split()
        assert len(line) <= width or len(words[-1]) > width - 31, (width, line)
    assert all(line.startswith(" " * 31) and line[31] != " " for line in block[1:])
    assert LONG_TITLE in " ".join(line.strip() for line in block)  # no word cut or lost


def test_the_cli_wraps_to_columns_or_to_100_on_a_pipe(proj: Path) -> None:
    (proj / "postmortems" / "pm.md").write_text(
        f'+++\nservice = "checkout"\ndate = 2026-10-01\n+++\n# Outage\n- [ ] {LONG_TITLE} '
        "(due: 2026-10-15)\n"
    )
    config = str(proj / "deploygate.toml")
    piped = run_cli(
        "check", "--config", config, "--service", "checkout", "--now", "2026-11-20T12:00:00Z"
    )
    narrow = run_cli(
        "check",
        "--config",
        config,
        "--service",
        "checkout",
        "--now",
        "2026-11-20T12:00:00Z",
        env={"COLUMNS": "72"},
    )

    def finding_lines(text: str) -> list[str]:
        lines = text.split("\n")
        return [
            line for line in lines if line.startswith(("ERROR", " " * 31)) and "wiki" not in line
        ]

    assert max(map(len, finding_lines(piped.stdout))) <= 100
    assert max(map(len, finding_lines(piped.stdout))) > 72
    assert max(map(len, finding_lines(narrow.stdout))) <= 72
