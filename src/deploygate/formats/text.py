"""The terminal report: readable at a glance, colour only when asked for.

Colour is decided by the caller (a TTY and no NO_COLOR); this module only
renders. Every untrusted string goes through :func:`escape.terminal`.
"""

from __future__ import annotations

import functools
import textwrap
from typing import TYPE_CHECKING

from deploygate.formats import escape
from deploygate.formats.common import (
    advisory,
    counts,
    coverage_lines,
    evaluated,
    locator,
    not_verified,
    overridden,
    rate_limit_notices,
    scope,
    source_notices,
    summary_sentence,
    verdict_meaning,
)
from deploygate.model import Level, Report, Verdict

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions

_LEVEL_COLOURS = {Level.ERROR: "31", Level.WARNING: "33", Level.NOTICE: "36"}
_ADVISORY_COLOUR = "36"
_VERDICT_COLOURS = {
    Verdict.PASS: "32",
    Verdict.WARN: "33",
    Verdict.BLOCK: "31",
    Verdict.UNKNOWN: "35",
    Verdict.OVERRIDE: "35",
}


_INDENT = " " * 31
"""Where a finding's text starts: after the level (8), the rule (21) and their spaces."""
_NARROWEST = 40
"""Columns of text a finding keeps however narrow the terminal: below that, wrapping would
put a word or two on each line, and a wide line reads better."""


_GLUE = "\x00"
"""A space that wrapping never breaks at: escaped text cannot hold a NUL (it is shown as
``\\x00``), so every one in a line is ours, and each becomes a space once wrapped."""
_WAIVER_KEY = f'finding{_GLUE}={_GLUE}"'
"""``finding = "…"`` kept on one line: it is copied into a waiver as it stands."""


def _hanging(text: str, *, width: int, first: str = "") -> list[str]:
    """``text`` in lines of at most ``width`` columns, every line after the first (and the
    first too, when ``first`` is given) indented under the finding's text. Words are never
    cut, at a hyphen or anywhere: a title, a path or a URL stays whole and can be copied."""
    lines = textwrap.wrap(
        text,
        width=max(width - len(_INDENT), _NARROWEST),
        break_long_words=False,
        break_on_hyphens=False,
    ) or [""]
    return [
        (first + lines[0]).replace(_GLUE, " "),
        *(_INDENT + line.replace(_GLUE, " ") for line in lines[1:]),
    ]


def _paint(text: str, colour: str, enabled: bool) -> str:
    return f"\x1b[{colour}m{text}\x1b[0m" if enabled else text


def render(report: Report, options: RenderOptions) -> str:
    """The report as plain lines for a terminal or a CI log."""
    colour = options.color
    lines = [
        f"deploygate: {escape.terminal(scope(report))} at {evaluated(report)}",
        "verdict: " + _paint(verdict_meaning(report), _VERDICT_COLOURS[report.verdict], colour),
    ]
    warning = not_verified(report) or overridden(report)
    if warning:
        lines.append(_paint(escape.terminal(warning), _VERDICT_COLOURS[Verdict.UNKNOWN], colour))
    if not report.enforced:
        lines.append(_paint(advisory(report) or "", _ADVISORY_COLOUR, colour))
    lines += [f"findings: {counts(report)}", ""]
    wrap = functools.partial(_hanging, width=options.width)
    for finding in report.findings:
        label = _paint(f"{finding.level.label.upper():<8}", _LEVEL_COLOURS[finding.level], colour)
        head, *rest = wrap(escape.terminal(finding.message))
        lines += [f"{label} {finding.rule.value:<21} {head}", *rest]
        where = locator(finding)
        place = f"{escape.terminal(where)} · " if where else ""
        lines += wrap(f"{place}fingerprint{_GLUE}{finding.short_fingerprint}", first=_INDENT)
        if finding.remedy:
            remedy = escape.terminal(finding.remedy).replace('finding = "', _WAIVER_KEY)
            lines += wrap(remedy, first=_INDENT)
    if report.findings:
        lines.append("")
    lines.append(f"summary: {summary_sentence(report)}")
    sources = ", ".join(
        f"{source.name} {'ok' if source.ok else 'FAILED'}" for source in report.sources
    )
    lines.append(f"sources: {escape.terminal(sources)}")
    lines += [f"read: {escape.terminal(line)}" for line in coverage_lines(report)]
    lines += [
        f"note: {escape.terminal(notice)}"
        for notice in source_notices(report) + rate_limit_notices(report)
    ]
    return "\n".join(lines) + "\n"
