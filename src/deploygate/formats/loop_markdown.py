"""The learning-loop report as Markdown, with Mermaid charts: for a job summary or a wiki page.

Service and team names come from config files and labels, so they go
through :func:`escape.markdown` like every other untrusted string. The
Mermaid blocks hold only text written here (fixed titles, week dates and
numbers): Mermaid has no escaping for a ``"`` inside a label, so nothing
untrusted is ever put inside one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from deploygate.dates import format_instant
from deploygate.dora import DEFINITIONS, DORA_GUIDE, Durations, Rate
from deploygate.formats import escape
from deploygate.formats.common import plural
from deploygate.loop import LoopReport, ServiceLoop, TeamCredit, Week, team_credits

NOT_AVAILABLE = "n/a"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

COLUMNS = (
    "Service",
    "Deployments",
    "Failed",
    "Change failure rate",
    "Reviewed",
    "Postmortem coverage",
    "Median time to postmortem",
    "Open items",
    "Overdue",
    "Declined",
    "Median time to close",
    "Repeat failures",
    "Related failures",
    "Overrides",
    "Would have blocked",
)
"""The metrics table's header, shared with the HTML page."""

DORA_MEASURES = (
    ("change_failure_rate", "Change failure rate"),
    ("failed_deployment_recovery_time", "Failed deployment recovery time"),
    ("deployment_rework_rate", "Deployment rework rate"),
    ("lesson_lead_time", "Lesson lead time"),
)
"""The DORA table's measures, by their JSON names (the keys of the definitions) and titles,
shared with the HTML page."""

FAILURES_TITLE = "Failed deployments per week"
DEBT_TITLE = "Open lesson debt at the end of each week"


def percent(value: float | None) -> str:
    """``0.25`` as ``25%``; a share that rounds to nothing but is not nothing as ``<1%``."""
    if value is None:
        return NOT_AVAILABLE
    if 0 < value < 0.005:
        return "<1%"
    return f"{value * 100:.0f}%"


def hours(value: float | None) -> str:
    """``22 h``, or ``1.5 h`` below ten hours."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.0f} h" if value >= 10 else f"{value:.1f} h"


def days(value: float | None) -> str:
    """``12.5 d``."""
    if value is None:
        return NOT_AVAILABLE
    return f"{value:.1f} d"


def week_label(week: Week) -> str:
    """``Aug 24``: the Monday that starts the week, the same in every locale."""
    return f"{_MONTHS[week.start.month - 1]} {week.start.day}"


def period(report: LoopReport) -> str:
    """``2026-08-22 to 2026-11-20``."""
    return f"{report.period_start.date().isoformat()} to {report.period_end.date().isoformat()}"


def metric_cells(loop: ServiceLoop) -> tuple[str, ...]:
    """Every metric of one service as text, in the order of :data:`COLUMNS` (less the name)."""
    return (
        str(loop.deployments),
        str(loop.failed_deployments),
        percent(loop.change_failure_rate),
        str(loop.reviewed_failures),
        percent(loop.postmortem_coverage),
        hours(loop.median_hours_to_postmortem),
        str(loop.open_action_items),
        str(loop.overdue_action_items),
        str(loop.declined_action_items),
        days(loop.median_days_to_close),
        str(loop.repeat_failures),
        str(loop.related_failures),
        str(loop.overrides),
        str(loop.would_have_blocked),
    )


def _rate(rate: Rate, of: str) -> str:
    return f"{percent(rate.value)} ({rate.numerator} of {plural(rate.denominator, of)})"


def _durations(
    durations: Durations, show: Callable[[float | None], str], of: str, counted: str
) -> str:
    if not durations.total:
        return f"{NOT_AVAILABLE} (no {of}s)"
    out_of = f"{durations.measured} of {plural(durations.total, of)} {counted}"
    if durations.median is None:
        return f"{NOT_AVAILABLE} ({out_of})"
    return f"median {show(durations.median)}, p90 {show(durations.p90)} ({out_of})"


def dora_cells(loop: ServiceLoop) -> tuple[str, ...]:
    """Each DORA measure of one service with what it counted out of what, in the order of
    :data:`DORA_MEASURES`."""
    dora = loop.dora
    return (
        _rate(dora.change_failure_rate, "deployment"),
        _durations(dora.recovery_hours, hours, "failure", "recovered"),
        _rate(dora.rework_rate, "deployment"),
        _durations(dora.lesson_lead_days, days, "done item", "measured"),
    )


def dora_definitions() -> list[tuple[str, str]]:
    """``(title, definition)`` of each DORA measure, in table order."""
    return [(title, DEFINITIONS[name]) for name, title in DORA_MEASURES]


def closed_at_unknown(report: LoopReport) -> str | None:
    """The note on items closed at a time no source gives, or ``None`` when there are none.

    The counts go by closing time, so these items are in none of them; saying
    how many keeps the report from reading as complete when it is not.
    """
    unknown = sum(loop.closed_at_unknown for loop in report.services)
    if not unknown:
        return None
    return (
        f"{plural(unknown, 'action item')} of the whole history done or declined at a time "
        "no source gives: "
        "not credited, not counted as declined, and not in the median time to close or "
        "the lesson debt."
    )


def by_service(report: LoopReport, credit: TeamCredit, escaped: Callable[[str], str]) -> str:
    """`` (api 3, web 1)``: where a team's closed items were, when the report covers more
    than one service; empty when it covers one. ``escaped`` makes a name safe for the format."""
    if len(report.services) <= 1:
        return ""
    return " (" + ", ".join(f"{escaped(name)} {count}" for name, count in credit.services) + ")"


def would_have_blocked(report: LoopReport) -> list[str]:
    """``checkout would have blocked 3 deploys``, one per service that ran advisory checks
    that would have blocked: the number a team reads before it enforces the gate."""
    return [
        f"{loop.service} would have blocked {plural(loop.would_have_blocked, 'deploy')}"
        for loop in report.services
        if loop.would_have_blocked
    ]


def axis_max(values: Sequence[int]) -> int:
    """The top of a count axis: the largest value, and at least 1 so the range is not empty."""
    return max(1, *values) if values else 1


def _mermaid(title: str, y_title: str, weeks: Sequence[Week], kind: str, values: list[int]) -> str:
    labels = ", ".join(f'"{week_label(week)}"' for week in weeks)
    numbers = ", ".join(str(value) for value in values)
    return "\n".join(
        [
            "```mermaid",
            "xychart-beta",
            f'    title "{title}"',
            f'    x-axis "Week starting" [{labels}]',
            f'    y-axis "{y_title}" 0 --> {axis_max(values)}',
            f"    {kind} [{numbers}]",
            "```",
        ]
    )


def _service_section(loop: ServiceLoop) -> list[str]:
    lines = [f"#### {escape.markdown(loop.service)}", ""]
    if not loop.weekly:
        return [*lines, "No weeks in the period.", ""]
    return [
        *lines,
        _mermaid(
            FAILURES_TITLE,
            "Failed deployments",
            loop.weekly,
            "bar",
            [week.failures for week in loop.weekly],
        ),
        "",
        _mermaid(
            DEBT_TITLE,
            "Open action items",
            loop.weekly,
            "line",
            [week.open_lesson_debt for week in loop.weekly],
        ),
        "",
    ]


def _dora_section(report: LoopReport) -> list[str]:
    lines = [
        "#### DORA measures",
        "",
        "| Service | " + " | ".join(title for _, title in DORA_MEASURES) + " |",
        "| --- |" + " ---: |" * len(DORA_MEASURES),
    ]
    lines += [
        f"| {escape.markdown(loop.service)} | " + " | ".join(dora_cells(loop)) + " |"
        for loop in report.services
    ]
    lines.append("")
    lines += [f"- **{title}:** {definition}" for title, definition in dora_definitions()]
    return [*lines, "", f"<sub>Definitions after DORA's: {DORA_GUIDE}</sub>", ""]


def _loops_closed(report: LoopReport) -> list[str]:
    lines = ["#### Loops closed", ""]
    credits = team_credits(report)
    if not credits:
        lines.append("No team closed an action item in this period.")
    for credit in credits:
        lines.append(
            f"- team **{escape.markdown(credit.team)}** closed "
            f"{plural(credit.closed, 'action item')}{by_service(report, credit, escape.markdown)}"
        )
    declined = sum(loop.declined_action_items for loop in report.services)
    lines += [
        "",
        f"**Declined:** {plural(declined, 'action item')} declined in the period: "
        "decisions taken, not debt.",
        "",
        f"**Emergency overrides:** {report.overrides} in the period.",
        "",
    ]
    advisory = would_have_blocked(report)
    if advisory:
        lines += [
            "**Advisory mode:** "
            + "; ".join(escape.markdown(line) for line in advisory)
            + " in the period.",
            "",
        ]
    unknown = closed_at_unknown(report)
    if unknown:
        lines += [f"**Closed at an unknown time:** {unknown}", ""]
    lines.append(
        "<sub>Credit goes to the teams that own action items; deploygate names no person.</sub>"
    )
    return lines


def render(report: LoopReport) -> str:
    """The learning-loop report as GitHub- and GitLab-flavoured Markdown."""
    lines = [
        f"### 🔁 deploygate: learning loop, {period(report)}",
        "",
        f"<sub>from {format_instant(report.period_start)} "
        f"to {format_instant(report.period_end)}</sub>",
        "",
    ]
    if report.services:
        lines += [
            "| " + " | ".join(COLUMNS) + " |",
            "| --- |" + " ---: |" * (len(COLUMNS) - 1),
        ]
        lines += [
            f"| {escape.markdown(loop.service)} | " + " | ".join(metric_cells(loop)) + " |"
            for loop in report.services
        ]
        lines.append("")
        lines += _dora_section(report)
    else:
        lines += ["No services in this report.", ""]
    for loop in report.services:
        lines += _service_section(loop)
    lines += _loops_closed(report)
    return "\n".join(lines) + "\n"
