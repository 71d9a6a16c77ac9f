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
    assert sorted(int(d.id) for d in deployments) == list(range(1, WRITERS + 1))
    assert seen_counts == sorted(seen_counts)
    lines = (project / "deployments.jsonl").read_text().splitlines()
    assert all(json.loads(line)["service"] == "checkout" for line in lines)


def test_record_never_glues_onto_a_hand_edited_line_without_newline(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    path.write_text(
        '{"id":"1","service":"checkout","environment":"production","status":"success",'
        '"created_at":"2026-11-01T00:00:00Z"}'
    )
    store = HistoryStore(path)
    added = store.record(
        service="checkout",
        environment="production",
        status=DeploymentStatus.FAILURE,
        created_at=NOW,
    )
    assert added.id == "2"
    assert [d.id for d in store.read("checkout")] == ["1", "2"]


def test_missing_history_is_empty(tmp_path: Path) -> None:
    assert HistoryStore(tmp_path / "absent.jsonl").read("checkout") == ()
