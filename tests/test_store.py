"""The embedded history under concurrent writers and readers."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from conftest import NOW

from deploygate.model import DeploymentStatus
from deploygate.sources.local import HistoryStore

WRITERS = 20


def test_twenty_concurrent_record_processes_lose_nothing(project: Path) -> None:
    script = str(Path(sys.executable).parent / "deploygate")
    config = str(project / "deploygate.toml")
    history = HistoryStore(project / "deployments.jsonl")
    writers = [
        subprocess.Popen(
            [
                script,
                "record",
                "--config",
                config,
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
        for n in range(WRITERS)
    ]
    # Read while the writers run: every read sees whole records only.
    seen_counts = []
    while any(writer.poll() is None for writer in writers):
        seen_counts.append(len(history.read("checkout")))
        time.sleep(0.005)
    outputs = [writer.communicate() for writer in writers]
    assert [writer.returncode for writer in writers] == [0] * WRITERS, outputs

    deployments = history.read("checkout")
    assert sorted(d.description or "" for d in deployments) == sorted(
        f"writer {n}" for n in range(WRITERS)
    )
    assert sorted(d.id for d in deployments) == sorted(
        f"checkout-{n}" for n in range(1, WRITERS + 1)
    )
    assert seen_counts == sorted(seen_counts)
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
    assert [d.id for d in store.read("checkout")] == ["checkout-1", "checkout-2"]


def test_missing_history_is_empty(tmp_path: Path) -> None:
    assert HistoryStore(tmp_path / "absent.jsonl").read("checkout") == ()


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
    assert [d.id for d in store.read("checkout")] == ["checkout-1", "checkout-2", "checkout-3"]
