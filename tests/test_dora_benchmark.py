"""The DORA numbers of the learning-loop report on the benchmark's history, against values
computed by hand from the raw history (benchmarks/history.py), never by the report's code.

Two runs. The history as the local store holds it, through ``deploygate report``:
change failure rate, recovery time and rework, end to end. Then the same
history with fixes given to its done action items (the benchmark's history
records none), through :func:`deploygate.loop.learning_loop`: rework by a fix and
lesson lead time.
"""

from __future__ import annotations

import importlib.util
import math
import statistics
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import REPO_ROOT, loop_report, run_cli

from deploygate.loop import learning_loop
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    Fix,
    Postmortem,
    PostmortemState,
)
from deploygate.rules import Policy

DAY = timedelta(days=1)
REWORK_WINDOW = timedelta(hours=24)  # the documented rule, written here again on purpose


def _load_history() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "benchmark_history", REPO_ROOT / "benchmarks" / "history.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


H = _load_history()
HISTORY = H.make_history()
NOW: datetime = H.NOW
SINCE = NOW - timedelta(days=90)


def in_period(moment: datetime) -> bool:
    return SINCE <= moment <= NOW


def nearest_rank(values: list[float], share: float) -> float:
    return sorted(values)[math.ceil(share * len(values)) - 1]


def hand_recovery_hours() -> list[float | None]:
    """Each failure of the period: hours to the next success after it, by the period's end."""
    hours: list[float | None] = []
    for d in HISTORY.deployments:
        if not d.failed or not in_period(d.created_at):
            continue
        later = [
            s.created_at
            for s in HISTORY.deployments
            if not s.failed and d.created_at < s.created_at <= NOW
        ]
        hours.append((min(later) - d.created_at).total_seconds() / 3600 if later else None)
    return hours


def test_the_report_on_the_benchmark_history_matches_the_hand_count(tmp_path: Path) -> None:
    config = H.write_local(tmp_path / "store", HISTORY)
    result = run_cli(
        "report",
        "--config",
        str(config),
        "--now",
        NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "--since",
        "90d",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    [service] = loop_report(result.stdout)["services"]
    dora = service["dora"]

    period = [d for d in HISTORY.deployments if in_period(d.created_at)]
    failures = [d for d in period if d.failed]
    assert len(failures) > 10  # enough to make a median and a p90 mean something
    assert dora["change_failure_rate"]["numerator"] == len(failures)
    assert dora["change_failure_rate"]["denominator"] == len(period)
    assert dora["change_failure_rate"]["value"] == pytest.approx(len(failures) / len(period))

    hours = hand_recovery_hours()
    recovered = [h for h in hours if h is not None]
    recovery = dora["failed_deployment_recovery_time"]
    assert (recovery["numerator"], recovery["denominator"]) == (len(recovered), len(hours))
    assert recovery["median_hours"] == pytest.approx(statistics.median(recovered))
    assert recovery["p90_hours"] == pytest.approx(nearest_rank(recovered, 0.9))

    # No deployment of the history rolls back or says it fixes: no rework.
    assert dora["deployment_rework_rate"]["numerator"] == 0
    assert dora["deployment_rework_rate"]["denominator"] == len(period)
    # The local store's items have no fixes and no closing times: nothing to measure.
    assert dora["lesson_lead_time"]["denominator"] == 0
    assert dora["lesson_lead_time"]["median_days"] is None

    weekly = [week["dora"]["change_failure_rate"] for week in service["weekly"]]
    assert sum(week["numerator"] for week in weekly) == len(failures)
    assert sum(week["denominator"] for week in weekly) == len(period)
    for name in dora:
        assert dora[name]["definition"]


# --- the same history with fixes --------------------------------------------------------


def first_success_after_a_failure(moment: datetime) -> datetime:
    """Where the fix of a first lesson ships: the success right after the first failure after
    ``moment`` (or the last success, when none fails after it)."""
    failure = next((d for d in HISTORY.deployments if d.failed and d.created_at > moment), None)
    after = failure.created_at if failure is not None else moment
    successes = [d.created_at for d in HISTORY.deployments if not d.failed and d.created_at > after]
    return (
        min(successes)
        if successes
        else max(d.created_at for d in HISTORY.deployments if not d.failed)
    )


def lesson_fixes(pm: Any, j: int, lesson: Any) -> tuple[Fix, ...]:
    """The first lesson's fix ships after the next failure; the third's has not shipped; the
    fourth was closed with no change."""
    if lesson.state != "done":
        return ()
    if j == 0:
        return (Fix(f"PR #{pm.number}", shipped_at=first_success_after_a_failure(pm.created_at)),)
    if j == 2:
        return (Fix(f"PR #{pm.number + 1000}"),)
    return ()


def closed_at(pm: Any) -> datetime:
    return min(pm.created_at + timedelta(days=10), NOW)


def model_history() -> tuple[list[Deployment], list[Postmortem]]:
    deployments = [
        Deployment(
            id=f"checkout-{d.index + 1}",
            service="checkout",
            environment="production",
            status=DeploymentStatus(d.status),  # the history writes the enum's values
            created_at=d.created_at,
            sha=d.sha,
            description=f"Checkout build {d.index}",
        )
        for d in HISTORY.deployments
    ]
    postmortems = [
        Postmortem(
            id=f"pm-{pm.number}",
            title=pm.title,
            state=PostmortemState.OPEN if pm.open else PostmortemState.CLOSED,
            created_at=pm.created_at,
            service="checkout",
            action_items=tuple(
                ActionItem(
                    id=f"pm-{pm.number}-{j}",
                    title=lesson.title,
                    state=ActionItemState(lesson.state),
                    created_at=pm.created_at,
                    closed_at=closed_at(pm) if lesson.state != "open" else None,
                    fixes=lesson_fixes(pm, j, lesson),
                )
                for j, lesson in enumerate(pm.items)
            ),
        )
        for pm in HISTORY.postmortems
    ]
    return deployments, postmortems


def test_rework_and_lesson_lead_time_on_the_benchmark_history_with_fixes() -> None:
    deployments, postmortems = model_history()
    loop = learning_loop(
        "checkout", deployments, postmortems, {}, since=SINCE, until=NOW, policy=Policy()
    )

    # By hand: a first lesson's fix ships right after a failure, within a day of it.
    shipped = {
        first_success_after_a_failure(pm.created_at)
        for pm in HISTORY.postmortems
        if pm.items[0].state == "done"
    }
    failed_at = [d.created_at for d in HISTORY.deployments if d.failed]
    rework = [
        d
        for d in HISTORY.deployments
        if in_period(d.created_at)
        and d.created_at in shipped
        and any(timedelta(0) < d.created_at - f <= REWORK_WINDOW for f in failed_at)
    ]
    period = [d for d in HISTORY.deployments if in_period(d.created_at)]
    assert len(rework) > 10
    assert (loop.dora.rework_rate.numerator, loop.dora.rework_rate.denominator) == (
        len(rework),
        len(period),
    )

    # Lesson lead time: postmortem to its first lesson's fix shipping, for those shipped in
    # the period; out of those and the lessons done in the period with an unshipped fix or
    # none (the third and fourth).
    lead_days = []
    unmeasured = 0
    for pm in HISTORY.postmortems:
        for j, lesson in enumerate(pm.items):
            if lesson.state != "done":
                continue
            if j == 0:
                ships = first_success_after_a_failure(pm.created_at)
                if in_period(ships):
                    lead_days.append((ships - pm.created_at) / DAY)
            elif in_period(closed_at(pm)):
                unmeasured += 1
    lead = loop.dora.lesson_lead_days
    assert lead.measured == len(lead_days) > 10
    assert lead.total == len(lead_days) + unmeasured
    assert lead.median == pytest.approx(statistics.median(lead_days))
    assert lead.p90 == pytest.approx(nearest_rank(lead_days, 0.9))
