"""The learning-loop report as one self-contained HTML page with inline SVG charts.

The page can be opened from disk, attached to a CI run or served as an
artifact: it loads nothing (no script, no font, no image, no stylesheet from
elsewhere; its Content-Security-Policy forbids all of it but inline style),
and every service and team name, which come from config files and labels,
is escaped with :func:`escape.plain` before it reaches the markup.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from deploygate.dates import format_instant
from deploygate.dora import DORA_GUIDE, Dora, Rate
from deploygate.formats import escape
from deploygate.formats.common import plural
from deploygate.formats.loop_markdown import (
    COLUMNS,
    DEBT_TITLE,
    DORA_MEASURES,
    FAILURES_TITLE,
    by_service,
    closed_at_unknown,
    days,
    dora_cells,
    dora_definitions,
    hours,
    metric_cells,
    percent,
    period,
    week_label,
    would_have_blocked,
)
from deploygate.loop import LoopReport, ServiceLoop, Week, team_credits

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'"

_WIDTH, _HEIGHT = 540, 270
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 16, 36, 58
_PLOT_WIDTH = _WIDTH - _LEFT - _RIGHT
_PLOT_HEIGHT = _HEIGHT - _TOP - _BOTTOM
_MAX_LABELS = 8
_BAR_COLOUR = "#c2410c"
_DORA_COLOUR = "#0f766e"
"""The DORA charts' bars: apart from the failure bars, so each chart reads on its own."""
_LINE_COLOUR = "#1d4ed8"
_GRID_COLOUR = "#e5e7eb"
_AXIS_COLOUR = "#374151"

_STYLE = """
body { font-family: "DejaVu Sans", system-ui, sans-serif; color: #111827; background: #fff;
       margin: 24px auto; max-width: 1140px; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; }
h2 { font-size: 19px; margin-top: 28px; border-bottom: 1px solid #e5e7eb; padding-bottom: 4px; }
.period { color: #4b5563; margin-top: 0; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border: 1px solid #d1d5db; padding: 4px 8px; }
th { background: #f3f4f6; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
svg { background: #fff; border: 1px solid #e5e7eb; }
svg text { font-family: "DejaVu Sans", system-ui, sans-serif; fill: #111827; }
.note { color: #4b5563; font-size: 13px; }
"""


def _h(text: str) -> str:
    """Untrusted text for an HTML text node or a quoted attribute value."""
    return escape.plain(text).replace('"', "&quot;").replace("'", "&#x27;")


def _number(value: float) -> str:
    """A coordinate with at most one decimal, without a trailing ``.0``."""
    return f"{value:.1f}".removesuffix(".0")


def _axis(values: Sequence[float | None]) -> tuple[int, int]:
    """The top of the y axis and the step between its ticks: at most five ticks, whole units."""
    peak = max([1, *(math.ceil(value) for value in values if value is not None)])
    step = max(1, math.ceil(peak / 5))
    return step * math.ceil(peak / step), step


def _chart(
    title: str,
    y_title: str,
    weeks: Sequence[Week],
    values: Sequence[float | None],
    kind: str,
    *,
    label: Callable[[float], str] = str,
    colour: str = _BAR_COLOUR,
) -> str:
    """A weekly bar or line chart; a week without a value (``None``) has no bar, and a chart
    without any says so rather than look like a run of zeros."""
    top, step = _axis(values)
    slot = _PLOT_WIDTH / max(1, len(values))
    bottom = _TOP + _PLOT_HEIGHT

    def y(value: float) -> float:
        return bottom - value / top * _PLOT_HEIGHT

    parts = [
        f'<svg class="chart {kind}" width="{_WIDTH}" height="{_HEIGHT}" '
        f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img">',
        f"<title>{_h(title)}</title>",
        f'<text x="{_WIDTH / 2}" y="20" text-anchor="middle" font-size="14" '
        f'font-weight="bold">{_h(title)}</text>',
    ]
    for tick in range(0, top + 1, step):
        parts.append(
            f'<line x1="{_LEFT}" y1="{_number(y(tick))}" x2="{_LEFT + _PLOT_WIDTH}" '
            f'y2="{_number(y(tick))}" stroke="{_GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{_number(y(tick) + 4)}" text-anchor="end" '
            f'font-size="11">{tick}</text>'
        )
    every = math.ceil(len(weeks) / _MAX_LABELS) if weeks else 1
    for index, week in enumerate(weeks):
        if index % every == 0:
            centre = _LEFT + (index + 0.5) * slot
            parts.append(
                f'<text x="{_number(centre)}" y="{bottom + 16}" text-anchor="middle" '
                f'font-size="10">{_h(week_label(week))}</text>'
            )
    if all(value is None for value in values):
        parts.append(
            f'<text x="{_LEFT + _PLOT_WIDTH / 2}" y="{_TOP + _PLOT_HEIGHT / 2}" '
            'text-anchor="middle" font-size="12">nothing to measure in the period</text>'
        )
    if kind == "bar":
        for index, value in enumerate(values):
            if not value:
                continue
            x = _LEFT + index * slot + slot * 0.18
            parts.append(
                f'<rect x="{_number(x)}" y="{_number(y(value))}" width="{_number(slot * 0.64)}" '
                f'height="{_number(bottom - y(value))}" fill="{colour}"/>'
                f'<text x="{_number(x + slot * 0.32)}" y="{_number(y(value) - 4)}" '
                f'text-anchor="middle" font-size="10">{_h(label(value))}</text>'
            )
    else:
        points = [
            (_LEFT + (index + 0.5) * slot, y(value))
            for index, value in enumerate(values)
            if value is not None
        ]
        parts.append(
            '<polyline fill="none" stroke-width="2.5" stroke-linejoin="round" '
            f'stroke="{_LINE_COLOUR}" points="'
            + " ".join(f"{_number(px)},{_number(py)}" for px, py in points)
            + '"/>'
        )
        parts += [
            f'<circle cx="{_number(px)}" cy="{_number(py)}" r="3.5" fill="{_LINE_COLOUR}"/>'
            for px, py in points
        ]
    parts += [
        f'<line x1="{_LEFT}" y1="{_TOP}" x2="{_LEFT}" y2="{bottom}" '
        f'stroke="{_AXIS_COLOUR}" stroke-width="1.5"/>',
        f'<line x1="{_LEFT}" y1="{bottom}" x2="{_LEFT + _PLOT_WIDTH}" y2="{bottom}" '
        f'stroke="{_AXIS_COLOUR}" stroke-width="1.5"/>',
        f'<text x="{_LEFT + _PLOT_WIDTH / 2}" y="{_HEIGHT - 12}" text-anchor="middle" '
        'font-size="11">week starting (Monday, UTC)</text>',
        f'<text transform="translate(14 {_TOP + _PLOT_HEIGHT / 2}) rotate(-90)" '
        f'text-anchor="middle" font-size="11">{_h(y_title)}</text>',
        "</svg>",
    ]
    return "\n".join(parts)


def _services_table(
    report: LoopReport, columns: Sequence[str], cells: Callable[[ServiceLoop], Sequence[str]]
) -> list[str]:
    """One row per service: its name, then ``cells``, under ``columns``."""
    lines = [
        "<table>",
        "<thead><tr>" + "".join(f"<th>{_h(column)}</th>" for column in columns) + "</tr></thead>",
        "<tbody>",
    ]
    lines += [
        f"<tr><th>{_h(loop.service)}</th>"
        + "".join(f'<td class="number">{_h(cell)}</td>' for cell in cells(loop))
        + "</tr>"
        for loop in report.services
    ]
    return [*lines, "</tbody>", "</table>"]


def _table(report: LoopReport) -> list[str]:
    if not report.services:
        return ["<p>No services in this report.</p>"]
    return _services_table(report, COLUMNS, metric_cells)


def _dora_table(report: LoopReport) -> list[str]:
    if not report.services:
        return []
    columns = ("Service", *(title for _, title in DORA_MEASURES))
    return [
        '<section class="dora">',
        "<h2>DORA measures</h2>",
        *_services_table(report, columns, dora_cells),
        "<ul>",
        *(
            f"<li><strong>{_h(title)}:</strong> {_h(definition)}</li>"
            for title, definition in dora_definitions()
        ),
        "</ul>",
        f'<p class="note">Definitions after DORA\'s: {_h(DORA_GUIDE)}</p>',
        "</section>",
    ]


def _percent(rate: Rate) -> float | None:
    return None if rate.value is None else rate.value * 100


def _percent_label(value: float) -> str:
    return percent(value / 100)


def _dora_charts(weeks: Sequence[Week]) -> list[str]:
    """One weekly chart per DORA measure, in the order of the table."""
    per_week, median = "per week", "per week (median)"
    charts: tuple[tuple[str, str, Callable[[Dora], float | None], Callable[[float], str]], ...]
    charts = (
        (per_week, "% of deployments", lambda d: _percent(d.change_failure_rate), _percent_label),
        (median, "hours", lambda d: d.recovery_hours.median, hours),
        (per_week, "% of deployments", lambda d: _percent(d.rework_rate), _percent_label),
        (median, "days", lambda d: d.lesson_lead_days.median, days),
    )
    return [
        '<div class="charts dora">',
        *(
            _chart(
                f"{title} {when}",
                y_title,
                weeks,
                [measure(week.dora) for week in weeks],
                "bar",
                label=label,
                colour=_DORA_COLOUR,
            )
            for (_, title), (when, y_title, measure, label) in zip(
                DORA_MEASURES, charts, strict=True
            )
        ),
        "</div>",
    ]


def _service(loop: ServiceLoop) -> list[str]:
    lines = [
        f'<section class="service" aria-label="{_h(loop.service)}">',
        f"<h2>{_h(loop.service)}</h2>",
    ]
    if not loop.weekly:
        return [*lines, "<p>No weeks in the period.</p>", "</section>"]
    failures = [week.failures for week in loop.weekly]
    debt = [week.open_lesson_debt for week in loop.weekly]
    return [
        *lines,
        '<div class="charts">',
        _chart(FAILURES_TITLE, "failed deployments", loop.weekly, failures, "bar"),
        _chart(DEBT_TITLE, "open action items", loop.weekly, debt, "line"),
        "</div>",
        *_dora_charts(loop.weekly),
        "</section>",
    ]


def _loops_closed(report: LoopReport) -> list[str]:
    lines = ['<section class="loops-closed">', "<h2>Loops closed</h2>"]
    credits = team_credits(report)
    if credits:
        lines.append("<ul>")
        for credit in credits:
            lines.append(
                f"<li>team <strong>{_h(credit.team)}</strong> closed "
                f"{plural(credit.closed, 'action item')}{by_service(report, credit, _h)}</li>"
            )
        lines.append("</ul>")
    else:
        lines.append("<p>No team closed an action item in this period.</p>")
    declined = sum(loop.declined_action_items for loop in report.services)
    lines += [
        f"<p><strong>Declined:</strong> {plural(declined, 'action item')} declined in the "
        "period: decisions taken, not debt.</p>",
        f"<p><strong>Emergency overrides:</strong> {report.overrides} in the period.</p>",
    ]
    advisory = would_have_blocked(report)
    if advisory:
        lines.append(
            "<p><strong>Advisory mode:</strong> "
            + "; ".join(_h(line) for line in advisory)
            + " in the period.</p>"
        )
    unknown = closed_at_unknown(report)
    if unknown:
        lines.append(f"<p><strong>Closed at an unknown time:</strong> {_h(unknown)}</p>")
    return [
        *lines,
        '<p class="note">Credit goes to the teams that own action items; '
        "deploygate names no person.</p>",
        "</section>",
    ]


def render(report: LoopReport) -> str:
    """The learning-loop report as one HTML page that fetches nothing and runs nothing."""
    title = f"deploygate: learning loop, {period(report)}"
    lines = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
        '<meta name="referrer" content="no-referrer">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_h(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_h(title)}</h1>",
        f'<p class="period">from {format_instant(report.period_start)} '
        f"to {format_instant(report.period_end)}</p>",
        *_table(report),
        *_dora_table(report),
    ]
    for loop in report.services:
        lines += _service(loop)
    lines += [*_loops_closed(report), "</body>", "</html>"]
    return "\n".join(lines) + "\n"
