"""The reliability cases only Linear has: two thousand sub-issues on its pages of 50, and a
malformed item named by its issue.

The cases every tracker shares (storms, rate limits, junk Retry-After, hung servers,
malformed answers, leaks, a planted bug, hostile text) run on Linear in
test_reliability_trackers.py; the world, the project and the key are the adapter's
(tests/fakes/trackers.py, ``LINEAR``).

- case 5 (size) -> test_two_thousand_items_are_read_and_the_outputs_stay_bounded
- case 12 (malformed payloads) -> test_malformed_items_fail_naming_the_issue
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.linear import FakeLinear
from fakes.trackers import LINEAR, linear_issues, running
from reliability.helpers import assert_source_failed, check, mutate_answers


@pytest.fixture
def linear() -> Iterator[FakeLinear]:
    yield from running(LINEAR)


def test_malformed_items_fail_naming_the_issue(tmp_path: Path, linear: FakeLinear) -> None:
    """A bad due date on a sub-issue: the one line names the issue and its link."""
    LINEAR.populate(linear)
    mutate_answers(
        linear,
        lambda r: "DeploygateItems" in r.body.decode(),
        linear_issues(lambda n: n.update(dueDate="2026-02-31")),
    )
    run = check(tmp_path, LINEAR.project(tmp_path, linear.api_url), LINEAR.env())
    assert_source_failed(
        run, "linear", "issue OPS-2 (https://linear.app/acme/issue/OPS-2/", "dueDate"
    )
    LINEAR.assert_no_leak(run, linear)


def test_two_thousand_items_are_read_and_the_outputs_stay_bounded(
    tmp_path: Path, linear: FakeLinear
) -> None:
    """2,000 overdue items with 1 KB titles under one postmortem: every one read, pages of
    50; the job summary stays under its 1 MiB, at most ten annotations a level."""
    LINEAR.populate(linear, "é" * 500 + "x" * 500, items=2000)
    config = LINEAR.project(tmp_path, linear.api_url, deadline="60s")
    run = check(tmp_path, config, LINEAR.env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    overdue = [f for f in run.report()["findings"] if f["rule"] == "overdue-action-item"]
    assert len(overdue) == 2000
    assert len(run.files["summary"].encode()) <= 1024 * 1024
    assert sum(1 for c in run.commands() if c.name == "error") <= 10
    LINEAR.assert_no_leak(run, linear)
