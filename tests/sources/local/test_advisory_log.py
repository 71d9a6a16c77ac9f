"""The local log of advisory checks that would have blocked: appended and counted like the
override log, so a roll-out's "would have blocked N deploys" is never quietly short."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW

from deploygate.errors import InputError
from deploygate.sources.local import AdvisoryLog, advisory_path

PERIOD_START = NOW - timedelta(days=90)


def record(log: AdvisoryLog, service: str, days_ago: float) -> None:
    log.record(
        service=service, environment="production", created_at=NOW - timedelta(days=days_ago),
        run_url="https://ci.example/runs/7",
    )  # fmt: skip


def test_it_sits_beside_the_history() -> None:
    history = Path(".deploygate", "deployments.jsonl")
    assert advisory_path(history) == Path(".deploygate", "advisory.jsonl")


def test_counts_per_service_inside_the_period_both_ends_included(tmp_path: Path) -> None:
    log = AdvisoryLog(tmp_path / "advisory.jsonl")
    for service, days_ago in [("checkout", 0), ("checkout", 90), ("search", 3),
                              ("checkout", 90.01), ("checkout", -1)]:  # fmt: skip
        record(log, service, days_ago)
    assert log.count(since=PERIOD_START, until=NOW) == {"checkout": 2, "search": 1}
    first = json.loads(log.path.read_text().splitlines()[0])
    assert first == {
        "service": "checkout",
        "environment": "production",
        "created_at": "2026-11-20T12:00:00Z",
        "run_url": "https://ci.example/runs/7",
    }


def test_an_absent_log_counts_nothing(tmp_path: Path) -> None:
    assert AdvisoryLog(tmp_path / "advisory.jsonl").count(since=PERIOD_START, until=NOW) == {}


def test_a_torn_last_line_is_left_out_then_cut_off_by_the_next_append(tmp_path: Path) -> None:
    log = AdvisoryLog(tmp_path / "advisory.jsonl")
    record(log, "checkout", 1)
    with log.path.open("ab") as handle:
        handle.write(b'{"service":"checkout","created_at":"2026-11-')  # a crash mid-append
    assert log.count(since=PERIOD_START, until=NOW) == {"checkout": 1}
    record(log, "checkout", 2)
    lines = log.path.read_text().splitlines()
    assert len(lines) == 2
    assert all(json.loads(line)["service"] == "checkout" for line in lines)
    assert log.count(since=PERIOD_START, until=NOW) == {"checkout": 2}


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('{"service":"checkout","created_at":"yesterday"}', "created_at:"),
        ('{"created_at":"2026-11-19T00:00:00Z"}', "service:"),
        ('{"service":"checkout","created_at":"2026-11-19T00:00:00Z","blocked":1}', "blocked:"),
    ],
    ids=["not-json", "bad-time", "no-service", "unknown-field"],
)
def test_a_broken_line_is_one_error_naming_file_and_line(
    tmp_path: Path, line: str, problem: str
) -> None:
    log = AdvisoryLog(tmp_path / "advisory.jsonl")
    good = '{"service":"search","created_at":"2026-11-19T00:00:00Z"}'
    log.path.write_text(f"{good}\n{line}\n{good}\n")
    with pytest.raises(InputError) as raised:
        log.count(since=PERIOD_START, until=NOW)
    assert f"{log.path}:2" in str(raised.value)
    assert problem in str(raised.value)
