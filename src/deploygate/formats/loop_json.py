"""The learning-loop report as JSON, schema_version 1 of kind ``learning-loop``.

The JSON Schema ships beside this module (``loop-report-v1.schema.json``) and
every learning-loop JSON the tests produce is validated against it. Like the
gate's JSON report it is an outside contract, serialised field by
field and never with ``asdict``: renaming a field of :mod:`deploygate.loop`
must not silently change what users' scripts read. Version 1 may gain
fields; none will be removed or change meaning without a new
``schema_version``.

```
{"schema_version": 1, "kind": "learning-loop",
 "period": {"start": ISO-8601, "end": ISO-8601},
 "services": [{"service": str, "deployments": int, "failed_deployments": int,
               "change_failure_rate": float|null, "reviewed_failures": int,
               "postmortem_coverage": float|null, "median_hours_to_postmortem": float|null,
               "open_action_items": int, "overdue_action_items": int,
               "declined_action_items": int, "median_days_to_close": float|null,
               "closed_at_unknown": int, "repeat_failures": int, "related_failures": int,
               "overrides": int, "would_have_blocked": int,
               "weekly": [{"start": YYYY-MM-DD, "failures": int, "open_lesson_debt": int,
                           "dora": DORA}],
               "teams_closing": [{"team": str, "closed": int}],
               "dora": DORA, each measure with its "definition": str}],
 "overrides": int}
```

Times are UTC, ``YYYY-MM-DDTHH:MM:SSZ``; week starts are dates (Mondays).
Rates and coverage are fractions from 0 to 1. Items count by when they were
closed: ``declined_action_items``, ``median_days_to_close`` (done items) and
``teams_closing`` take those closed in the period, whenever created, and
``open_lesson_debt`` counts an item from its creation until its closing.
``closed_at_unknown`` (added in version 1) counts the done or declined items
of the whole history up to the period's end whose source gives no closing
time, which are in none of those. ``repeat_failures`` counts the failures that
repeat an earlier reviewed one on evidence (a shared cause label, the same
specific error); ``related_failures`` (added in version 1) those only related to
one (the same failing job and step, a similar description), counted apart.
``would_have_blocked`` (added in version 1) counts the advisory checks
(``--advisory``, ``mode = "advisory"``) whose verdict was block, from the local
store's ``advisory.jsonl``; 0 for a service without any, and without the local
source.

``dora`` (added in version 1), per service over the period and per week,
holds DORA's measures and lesson lead time (:mod:`deploygate.dora`), each
with what it counted (``numerator``) out of what (``denominator``)::

    {"change_failure_rate": {"numerator": int, "denominator": int, "value": float|null},
     "failed_deployment_recovery_time": {"numerator": int, "denominator": int,
                                         "median_hours": float|null, "p90_hours": float|null},
     "deployment_rework_rate": {"numerator": int, "denominator": int, "value": float|null,
                                "window_hours": float},
     "lesson_lead_time": {"numerator": int, "denominator": int,
                          "median_days": float|null, "p90_days": float|null}}

The recovery time counts the failures that recovered out of all failures; the
lesson lead time the done items whose fixes all shipped out of those and the
items done without a shipped fix.
"""

from __future__ import annotations

import json
from typing import Any

from deploygate.dates import format_instant
from deploygate.dora import DEFINITIONS, REWORK_WINDOW, Dora, Durations, Rate
from deploygate.loop import LoopReport, ServiceLoop, Week
from deploygate.sanitize import inert_json

SCHEMA_VERSION = 1
KIND = "learning-loop"
SCHEMA_RESOURCE = "loop-report-v1.schema.json"
"""The JSON Schema of this document, shipped beside this module."""


def _rate(rate: Rate) -> dict[str, Any]:
    return {"numerator": rate.numerator, "denominator": rate.denominator, "value": rate.value}


def _durations(durations: Durations, unit: str) -> dict[str, Any]:
    return {
        "numerator": durations.measured,
        "denominator": durations.total,
        f"median_{unit}": durations.median,
        f"p90_{unit}": durations.p90,
    }


def _dora(dora: Dora, *, definitions: bool = False) -> dict[str, Any]:
    """The measures by their JSON names; with each one's definition for the period's."""
    measures = {
        "change_failure_rate": _rate(dora.change_failure_rate),
        "failed_deployment_recovery_time": _durations(dora.recovery_hours, "hours"),
        "deployment_rework_rate": {
            **_rate(dora.rework_rate),
            "window_hours": REWORK_WINDOW.total_seconds() / 3600,
        },
        "lesson_lead_time": _durations(dora.lesson_lead_days, "days"),
    }
    if definitions:
        for name, measure in measures.items():
            measure["definition"] = DEFINITIONS[name]
    return measures


def _week(week: Week) -> dict[str, Any]:
    return {
        "start": week.start.isoformat(),
        "failures": week.failures,
        "open_lesson_debt": week.open_lesson_debt,
        "dora": _dora(week.dora),
    }


def _service(loop: ServiceLoop) -> dict[str, Any]:
    return {
        "service": loop.service,
        "deployments": loop.deployments,
        "failed_deployments": loop.failed_deployments,
        "change_failure_rate": loop.change_failure_rate,
        "reviewed_failures": loop.reviewed_failures,
        "postmortem_coverage": loop.postmortem_coverage,
        "median_hours_to_postmortem": loop.median_hours_to_postmortem,
        "open_action_items": loop.open_action_items,
        "overdue_action_items": loop.overdue_action_items,
        "declined_action_items": loop.declined_action_items,
        "median_days_to_close": loop.median_days_to_close,
        "closed_at_unknown": loop.closed_at_unknown,
        "repeat_failures": loop.repeat_failures,
        "related_failures": loop.related_failures,
        "overrides": loop.overrides,
        "would_have_blocked": loop.would_have_blocked,
        "weekly": [_week(week) for week in loop.weekly],
        "teams_closing": [{"team": team, "closed": count} for team, count in loop.teams_closing],
        "dora": _dora(loop.dora, definitions=True),
    }


def document(report: LoopReport) -> dict[str, Any]:
    """The report as the JSON-ready structure of schema_version 1."""
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": KIND,
        "period": {
            "start": format_instant(report.period_start),
            "end": format_instant(report.period_end),
        },
        "services": [_service(loop) for loop in report.services],
        "overrides": report.overrides,
    }


def render(report: LoopReport) -> str:
    """The report as indented JSON with a trailing newline."""
    # inert_json: printed in a workflow's log, a "##[" in a title would be a command.
    return inert_json(json.dumps(document(report), indent=2, ensure_ascii=False)) + "\n"
