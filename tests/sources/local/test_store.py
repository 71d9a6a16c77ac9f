"""The embedded history under concurrent writers and readers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import NOW, loop_report

from deploygate.model import DeploymentStatus
from deploygate.sources.local import HistoryStore

WRITERS = 20
SCRIPT = str(Path(sys.executable).parent / "deploygate")


def _writer(project: Path, n: int) -> subprocess.Popen[str]:
    """``deploygate record`` of one success, started and left running."""
    return subprocess.Popen(
        [
            SCRIPT,
            "record",
            "--config",
            str(project / "deploygate.toml"),
            "--service",
            "checkout",
            "--environment",
            "production",
            "--status",
            "success",
            "--description",
            f"writer {n}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_count(project: Path) -> int:
    """How many deployments a ``deploygate report`` process reads in the history."""
    config = str(project / "deploygate.toml")
    result = subprocess.run(
        [SCRIPT, "report", "--config", config, "--service", "checkout", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [service] = loop_report(result.stdout)["services"]
    count: int = service["deployments"]
    return count


def _finish(writers: list[subprocess.Popen[str]]) -> None:
    outputs = [writer.communicate() for writer in writers]
    assert [writer.returncode for writer in writers] == [0] * len(writers), outputs


def test_twenty_concurrent_record_processes_lose_nothing(project: Path) -> None:
    """Twenty ``deploygate record`` processes, and ``deploygate report`` processes reading
    the history again and again while they write: nothing lost, no id twice, every read
    whole and never fewer than the one before.

    That some read falls between the first record and the last is made certain, not left
    to the scheduler: after the first ten writers, the test holds the shared lock that
    readers take, so the last ten wait at their exclusive lock, still running, while a
    reader process reads exactly ten. Then the lock goes, and the readers keep reading
    while those ten write.
    """
    fcntl = pytest.importorskip("fcntl")
    half = WRITERS // 2
    counts: list[int] = []
    first = [_writer(project, n) for n in range(half)]
    while any(writer.poll() is None for writer in first):
        counts.append(_read_count(project))
    _finish(first)
    with (project / "deployments.jsonl").open("rb") as history:
        fcntl.flock(history.fileno(), fcntl.LOCK_SH)
        second = [_writer(project, n) for n in range(half, WRITERS)]
        counts.append(_read_count(project))
        waiting = [writer.poll() for writer in second]
        fcntl.flock(history.fileno(), fcntl.LOCK_UN)
    assert waiting == [None] * half, "a writer ended while the readers' lock was held"
    assert counts[-1] == half
    while any(writer.poll() is None for writer in second):
        counts.append(_read_count(project))
    _finish(second)
    counts.append(_read_count(project))

    assert counts == sorted(counts)
    assert counts[-1] == WRITERS
    deployments = HistoryStore(project / "deployments.jsonl").read("checkout").deployments
    assert sorted(d.description or "" for d in deployments) == sorted(
        f"writer {n}" for n in range(WRITERS)
    )
    assert sorted(d.id for d in deployments) == sorted(
        f"checkout-{n}" for n in range(1, WRITERS + 1)
    )
    lines = (project / "deployments.jsonl").read_text().splitlines()
    assert all(json.loads(line)["service"] == "checkout" for line in lines)


def test_record_never_glues_onto_a_hand_edited_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"id":"checkout-1","service":"checkout","environment":"production","status":"success",'
        '"created_at":"2026-11-01T00:00:00Z"}'
    )
    store = HistoryStore(path)
    added = store.record(
        service="checkout",
        environment="production",
        status=DeploymentStatus.FAILURE,
        created_at=NOW,
    )
    assert added.id == "checkout-2"
    assert [d.id for d in store.read("checkout").deployments] == ["checkout-1", "checkout-2"]


def test_missing_history_is_empty(tmp_path: Path) -> None:
    assert HistoryStore(tmp_path / "absent.jsonl").read("checkout").deployments == ()


def record(store: HistoryStore, service: str) -> str:
    return store.record(
        service=service, environment="production", status=DeploymentStatus.SUCCESS, created_at=NOW
    ).id


def test_ids_are_per_service_and_survive_a_deleted_line(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    store = HistoryStore(path)
    assert [record(store, "checkout"), record(store, "search"), record(store, "checkout")] == [
        "checkout-1",
        "search-1",
        "checkout-2",
    ]
    lines = path.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[2] + "\n")  # someone deleted search-1
    assert record(store, "checkout") == "checkout-3"
    assert record(store, "search") == "search-1"
    assert [d.id for d in store.read("checkout").deployments] == [
        "checkout-1",
        "checkout-2",
        "checkout-3",
    ]


def test_a_service_named_beyond_ascii_gets_its_next_id(tmp_path: Path) -> None:
    """The ids are found in the file as it is written (UTF-8 kept, not \\u escapes), so a
    second record of 'café' is café-2, not a second café-1 that breaks every read."""
    store = HistoryStore(tmp_path / "deployments.jsonl")
    assert [record(store, "café"), record(store, "café")] == ["café-1", "café-2"]
    assert [d.id for d in store.read("café").deployments] == ["café-1", "café-2"]
