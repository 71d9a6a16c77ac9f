"""Deployment ids of any size on the local store, in every format the report is printed in.

A history exported from a CI system carries its numeric ids, and GitHub's have
passed 2**31. Past 2**53 a reader that makes JSON numbers doubles rounds them
(9007199254740993 becomes ...992), so the report writes ids as strings and every
format must show the digits the history holds.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import NOW, json_report, run_cli

PAST_53_BITS = 2**53 + 1
PAST_64_BITS = 2**64 + 7
REVIEWED, UNREVIEWED = str(PAST_53_BITS), str(PAST_64_BITS)


def project(tmp_path: Path) -> Path:
    """A history whose two failed deployments have numeric ids past 2**53 and 2**64, one of
    them reviewed by a postmortem that names its id."""
    lines = [
        {"id": PAST_53_BITS, "created_at": "2026-11-10T10:00:00Z"},
        {"id": PAST_64_BITS, "created_at": "2026-11-12T10:00:00Z"},
    ]
    (tmp_path / "deployments.jsonl").write_text(
        "".join(
            json.dumps(
                line | {"service": "checkout", "environment": "production", "status": "failure"}
            )
            + "\n"
            for line in lines
        )
    )
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "outage.md").write_text(
        '+++\nservice = "checkout"\ndate = 2026-11-11T09:00:00Z\nstatus = "closed"\n+++\n'
        f"# Checkout failed to start\n\nDeployment {REVIEWED} failed: a typo in the config.\n"
    )
    config = tmp_path / "deploygate.toml"
    config.write_text('[local]\nhistory = "deployments.jsonl"\npostmortems = "postmortems"\n')
    return config


def check(config: Path, output: str) -> str:
    result = run_cli(
        "check", "--config", str(config), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", output,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return result.stdout


def test_numeric_ids_are_read_exactly_and_reported_as_strings(tmp_path: Path) -> None:
    report = json_report(check(project(tmp_path), "json"))
    deployments = {
        finding["deployment"]["id"]: finding["rule"]
        for finding in report["findings"]
        if finding["deployment"]
    }
    assert deployments == {REVIEWED: "reviewed-failure", UNREVIEWED: "unreviewed-failure"}


@pytest.mark.parametrize("output", ["text", "markdown", "github", "gitlab", "codequality"])
def test_every_format_shows_the_ids_digit_for_digit(tmp_path: Path, output: str) -> None:
    printed = check(project(tmp_path), output)
    assert UNREVIEWED in printed
    assert str(float(PAST_64_BITS)) not in printed  # 1.8446744073709552e+19
    assert str(int(float(PAST_64_BITS))) not in printed  # 18446744073709551616
