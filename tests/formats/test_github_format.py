"""GitHub Actions: annotations escaped exactly as @actions/core does, and the step files."""

from __future__ import annotations

import json
import random
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from actions_runner import commands, parse_line, trimmed_end
from conftest import NOW, REPO_ROOT, MemorySource, ago, deployment, item, postmortem, run_cli

from deploygate.errors import OnError
from deploygate.formats import RenderOptions
from deploygate.formats.github import ANNOTATIONS_PER_LEVEL, command, escape_data, render
from deploygate.gate import check
from deploygate.model import History, Query, SourceStatus, Verdict
from deploygate.rules import Policy
from deploygate.sanitize import terminal
from deploygate.sinks.github import SUMMARY_LIMIT, TRUNCATION_NOTE, fit_summary

ORACLE = REPO_ROOT / "tests" / "oracle"

NASTY = [
    "",
    " ",
    "%",
    "%25",
    "%0A",
    "100%\n",
    "a\r\nb",
    "\r",
    "x\n::set-output name=verdict::pass",
    "x\r::error::owned",
    "  ::add-mask::deploy",
    "a ##[warning]b",
    "::stop-commands::abc",
    "title: with, commas: and colons",
    "k=v,k2=v2",
    "::",
    "tab\there",
    "emoji 🚀 and ünïcödé and 中文",
    "\x00\x1b[31mred\x1b[0m\x7f",
    "trailing spaces   ",
]
_ALPHABET = [
    *"abc XYZ09%:,=;\r\n\t#[]@<>`\\/",
    "::",
    "##[",
    "%0A",
    "%25",
    "é",
    "🚀",
    "\u2028",
]


def generated(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not secrets
    return ["".join(rng.choices(_ALPHABET, k=rng.randint(0, 40))) for _ in range(count)]


def oracle(requests: list[dict[str, object]]) -> list[str]:
    """Each request issued through the real @actions/core, one stdout line each."""
    result = subprocess.run(
        ["node", str(ORACLE / "actions_core_oracle.mjs")],
        input=json.dumps(requests),
        capture_output=True,
        text=True,
        check=True,
        cwd=ORACLE,
    )
    return result.stdout.split("\n")[:-1]


def test_workflow_commands_are_byte_identical_to_actions_core() -> None:
    """Message, title and file each get every nasty and generated string (a file is a path
    from the repository, which anyone with a pull request can name)."""
    strings = [*NASTY, "postmortems/a,b:c.md", *generated(3000, seed=20261125)]
    files = strings[len(strings) // 3 :] + strings[: len(strings) // 3]
    triples = list(zip(strings, reversed(strings), files, strict=True))
    requests = [
        {"command": name, "message": message, "properties": {"title": title, "file": file}}
        for (message, title, file), name in zip(
            triples, ["error", "warning", "notice"] * len(triples), strict=False
        )
    ]
    expected = oracle(requests)
    ours = [
        command(r["command"], r["properties"], r["message"])  # type: ignore[arg-type]
        for r in requests
    ]
    assert len(expected) == len(ours) == len(requests)
    mismatches = [(r, e, o) for r, e, o in zip(requests, expected, ours, strict=True) if e != o]
    assert mismatches == []


def test_no_property_object_matches_too() -> None:
    expected = oracle([{"command": "notice", "message": "m:%", "properties": {}}])
    assert expected == [command("notice", {}, "m:%")]


@pytest.mark.parametrize("text", NASTY + generated(500, seed=7))
def test_each_line_decodes_to_exactly_one_command_with_the_original_text(text: str) -> None:
    line = command("warning", {"title": text, "file": text}, text)
    assert "\n" not in line
    assert "\r" not in line
    parsed = parse_line(line)
    assert parsed is not None
    assert parsed.name == "warning"
    # The runner trims the line's raw trailing whitespace; escaped \r and \n survive it.
    escaped = escape_data(text)
    assert parsed.data == text[: len(text) - (len(escaped) - len(trimmed_end(escaped)))]
    if text:
        assert parsed.properties == {"title": text, "file": text}


def report_with(failures: int = 0, overdue: int = 0, titles: str = "Lesson"):
    history = History(
        deployments=tuple(
            deployment(str(n), at=ago(days=10, minutes=n), sha=None) for n in range(failures)
        ),
        postmortems=(
            postmortem(
                at=ago(days=400),
                items=tuple(
                    replace(item(due="2026-01-01"), id=f"i{n}", title=f"{titles} {n}")
                    for n in range(overdue)
                ),
            ),
        ),
    )
    policy = Policy()
    return check(
        [MemorySource(history)], Query("checkout", "production", NOW, policy.lookback), policy
    )


def test_at_most_ten_annotations_per_level_and_a_count_of_the_rest() -> None:
    report = report_with(failures=13, overdue=12)
    lines = render(report, RenderOptions()).splitlines()
    found = commands("\n".join(lines))
    assert [c.name for c in found] == ["error"] * ANNOTATIONS_PER_LEVEL + [
        "warning"
    ] * ANNOTATIONS_PER_LEVEL
    assert lines[-1] == (
        "deploygate: 2 errors, 3 warnings more than the runner shows as annotations; "
        "the job summary lists every finding."
    )
    assert all(c.properties["title"].startswith("deploygate ") for c in found)


def test_hostile_titles_produce_no_command_of_their_own() -> None:
    hostile = "x\n::set-output name=verdict::pass\r::error::owned ##[warning]b ::stop-commands::z"
    report = report_with(overdue=1, titles=hostile)
    found = commands(render(report, RenderOptions()))
    (finding,) = report.findings
    assert [(c.name, c.properties) for c in found] == [
        ("error", {"title": "deploygate overdue-action-item"})
    ]
    # The title is data, shown whole, with its control characters made visible; the only
    # line break is deploygate's own, before the remedy.
    message, remedy = found[0].data.split("\n")
    assert terminal(hostile) in message
    assert remedy == terminal(finding.remedy or "")
    assert "\r" not in found[0].data


def test_not_verified_is_an_error_or_under_on_error_warn_a_warning() -> None:
    report = replace(
        report_with(), verdict=Verdict.UNKNOWN, sources=(SourceStatus("x", False, "down"),)
    )
    failing = commands(render(report, RenderOptions()))
    warned = commands(render(report, RenderOptions(on_error=OnError.WARN)))
    assert [(c.name, c.properties["title"]) for c in failing] == [
        ("error", "deploygate: NOT VERIFIED")
    ]
    assert [c.name for c in warned] == ["warning"]
    assert "source 'x' failed: down" in warned[0].data


def test_summary_is_cut_under_the_limit_with_a_note() -> None:
    long = "".join(f"| row {n} | {'x' * 100} |\n" for n in range(12000))
    cut = fit_summary(long)
    assert len(cut.encode()) <= SUMMARY_LIMIT
    assert cut.endswith(TRUNCATION_NOTE)
    assert fit_summary("short\n") == "short\n"


def test_check_in_github_actions_writes_annotations_summary_and_outputs(tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    args = ["check", "--config", str(REPO_ROOT / "examples/quickstart/deploygate.toml")]
    result = run_cli(*args, "--service", "checkout", "--now", "2026-11-20T12:00:00Z", env=env)
    assert result.exit_code == 1
    found = commands(result.stdout)
    assert [c.name for c in found] == ["error"] * 3 + ["warning"] * 2 + ["notice"] * 5
    assert commands(result.stderr) == []
    assert summary.read_text().startswith("earlier step\n### ⛔ deploygate: block for **checkout**")
    text = output.read_text()
    values = {}
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if "<<" in line:
            name, delimiter = line.split("<<")
            assert delimiter.startswith("ghadelimiter_")
            assert lines[index + 2] == delimiter
            values[name] = lines[index + 1]
    assert values == {"verdict": "block", "enforced": "true", "findings": "10", "blocking": "true"}
