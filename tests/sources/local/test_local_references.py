"""The references people paste, end to end on a history written by ``deploygate record --url``.

Each postmortem is written long after the link window, so only a reference
can review the failure: a review here is the reference's doing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, run_cli

RUN = "https://github.com/acme/shop/actions/runs/987654321"
GL_JOB = "https://gitlab.example.com/acme/shop/-/jobs/4242"
SITE = "https://shop.example.com"
NOW = "2026-11-20T12:00:00Z"


def record_failure(proj: Path, url: str) -> None:
    result = run_cli(
        "record", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--environment", "production", "--status", "failure", "--url", url,
        "--sha", "9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90", "--time", "2026-11-01T10:00:00Z",
    )  # fmt: skip
    assert result.exit_code == 0, result.output


def postmortem_saying(proj: Path, text: str) -> None:
    (proj / "postmortems" / "pm.md").write_text(
        f'+++\nservice = "checkout"\ndate = 2026-11-10\n+++\n# Checkout down\n{text}\n'
    )


def failure_findings(proj: Path) -> list[tuple[str, str, Any]]:
    result = run_cli(
        "check", "--config", str(proj / "deploygate.toml"), "--service", "checkout",
        "--now", NOW, "--format", "json",
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    return [
        (finding["rule"], finding["message"], finding["link"])
        for finding in json_report(result.stdout)["findings"]
        if finding["rule"].endswith("-failure")
    ]


@pytest.mark.parametrize(
    ("recorded", "pasted", "evidence"),
    [
        (f"{RUN}/job/123456789", RUN, "links run 987654321 of its log URL"),
        (f"{RUN}/job/123456789", f"{RUN}/attempts/2?pr=7", "links run 987654321 of its log URL"),
        (RUN, f"{RUN}/jobs/555#step:3:9", "links run 987654321 of its log URL"),
        (GL_JOB, f"{GL_JOB}/raw", "links its job 4242"),
        (
            GL_JOB,
            "https://gitlab.example.com/acme/shop/-/commit/9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90",
            "links commit 9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90",
        ),
    ],
)
def test_a_pasted_page_of_the_recorded_run_reviews_the_failure(
    proj: Path, recorded: str, pasted: str, evidence: str
) -> None:
    record_failure(proj, recorded)
    postmortem_saying(proj, f"The deploy failed: {pasted}")
    [(rule, message, link)] = failure_findings(proj)
    assert (rule, link) == ("reviewed-failure", "reference")
    assert f"(linked by reference: {evidence})" in message


def test_a_postmortem_naming_only_the_site_reviews_nothing(proj: Path) -> None:
    record_failure(proj, f"{RUN}/job/123456789")
    postmortem_saying(proj, f"{SITE} returned 500s; {SITE}/cart was empty.")
    [(rule, _, link)] = failure_findings(proj)
    assert (rule, link) == ("unreviewed-failure", None)
