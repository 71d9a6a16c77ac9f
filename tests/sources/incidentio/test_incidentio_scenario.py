"""One scenario, two places: the benchmark's year of history in the local store and in incident.io.

``benchmarks/history.py`` writes a service's deployments, failures,
postmortems and action items into the local store; the fake incident.io's
``write_history`` writes the same postmortems and items as incidents and
follow-ups. Checked with the local store's deployments, incident.io must
give the findings the local store gives on its own: the same rules and
levels on the same deployments (by sha and time), postmortems (by title)
and items (by title). Only ids and URLs may differ, and the comparison key
leaves them out. incident.io has no due dates, so the history's items carry
none in both places; the reduced history (300 deployments, 20 postmortems)
keeps the test to a few seconds.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO_ROOT, json_report, run_cli
from fakes.incidentio import FakeIncidentIo, IncidentIoWorld, write_history

KEY = "inc_live_CANARY_scenario_0123456789"


def benchmark_module(name: str) -> ModuleType:
    """A module of benchmarks/ by its file, without putting benchmarks/ on sys.path."""
    spec = importlib.util.spec_from_file_location(
        f"benchmark_{name}", REPO_ROOT / "benchmarks" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


history_module = benchmark_module("history")
finding_key = benchmark_module("obvious_rules").key


def small_history() -> Any:
    """The benchmark's history at the size of its ``--quick`` run, without due dates."""
    size = history_module.Size(deployments=300, failures=24, postmortems=20, unrelated_issues=0)
    history = history_module.make_history(size)
    for item in history.items:
        item.due = None
    return history


def findings(config: Path, env: dict[str, str] | None = None) -> list[list[Any]]:
    result = run_cli(
        "check",
        "--config",
        str(config),
        "--service",
        history_module.SERVICE,
        "--now",
        history_module.NOW.isoformat(),
        "--format",
        "json",
        env=env,
    )
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    assert all(source["ok"] for source in report["sources"]), report["sources"]
    return sorted((finding_key(f) for f in report["findings"]), key=repr)


@pytest.fixture
def fake() -> Any:
    fake = FakeIncidentIo(IncidentIoWorld(history_module.NOW))
    with fake:
        yield fake
    fake.check()


def test_incidentio_gives_the_local_stores_findings_for_the_same_history(
    fake: FakeIncidentIo, tmp_path: Path
) -> None:
    history = small_history()
    local = history_module.write_local(tmp_path / "local", history)
    expected = findings(local)

    fake.world.api_key(KEY)
    write_history(fake.world, history)
    config = history_module.write_local(tmp_path / "incidentio", history)
    shutil.rmtree(config.parent / "postmortems")  # the postmortems live in incident.io now
    (config.parent / "postmortems").mkdir()
    config.write_text(
        config.read_text().replace('source = "local"', 'source = ["local", "incident-io"]')
        + f'\n[incident-io]\nurl = "{fake.url}"\ncause-field = "Cause"\n'
    )
    observed = findings(config, env={"INCIDENT_IO_API_KEY": KEY})

    assert observed == expected
    rules = {key[0] for key in expected}
    assert {
        "repeat-failure",
        "reviewed-failure",
        "overdue-action-item",
        "declined-action-item",
        "unreviewed-failure",
    } <= rules
    assert len(fake.requests_to("/v3/follow_ups")) == len(history.postmortems)
