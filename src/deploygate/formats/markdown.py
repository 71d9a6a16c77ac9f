"""The Markdown report: the body of the job summary and the sticky PR/MR comment.

Everything from a source goes through :func:`escape.markdown`, so a
postmortem title cannot ping, link, inject HTML or break the table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

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
    source_notices,
    summary_sentence,
    verdict_label,
    verdict_meaning,
)
from deploygate.model import Finding, Level, Report, Verdict

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions

_VERDICT_ICONS = {
    Verdict.PASS: "✅",
    Verdict.WARN: "⚠️",
    Verdict.BLOCK: "⛔",
    Verdict.UNKNOWN: "❓",
    Verdict.OVERRIDE: "🚨",
}
_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"
_LEVEL_ICONS = {Level.ERROR: "🔴", Level.WARNING: "🟠", Level.NOTICE: "🔵"}


def _where(finding: Finding) -> str:
    target = locator(finding)
    if target is None:
        return ""
    if target.startswith(("https://", "http://")):
        # Percent-encode what could end the link destination or open markup.
        return f"[link]({quote(target, safe=_URL_SAFE)})"
    return escape.markdown(target)


DIGEST_POSTMORTEMS = 3
DIGEST_LINES = 3
DIGEST_CHARACTERS = 400


def _lesson_lines(lessons: str) -> list[str]:
    """The first few lines of a lessons section, as inert single-line quotes."""
    lines = [line.strip().lstrip("-*+ ").strip() for line in lessons.splitlines()]
    kept = [line for line in lines if line][:DIGEST_LINES]
    text = " · ".join(kept)
    if len(text) > DIGEST_CHARACTERS:
        text = text[: DIGEST_CHARACTERS - 1] + "…"
    return [escape.markdown(text)] if text else []


def digest(report: Report) -> list[str]:
    """ "Lessons from past failures": the newest postmortems and what they learned.

    It is there on a passing run too: the point is that the next deployer
    reads it.
    """
    if not report.postmortems:
        return []
    lines = [f"#### Lessons from past failures of {escape.markdown(report.service)}", ""]
    for postmortem in report.postmortems[:DIGEST_POSTMORTEMS]:
        title = escape.markdown(postmortem.title)
        if postmortem.url and postmortem.url.startswith(("https://", "http://")):
            title = f"[{title}]({quote(postmortem.url, safe=_URL_SAFE)})"
        lines.append(f"- **{title}** ({postmortem.created_at.date().isoformat()})")
        lines += [f"  > {line}" for line in _lesson_lines(postmortem.lessons)]
    more = len(report.postmortems) - DIGEST_POSTMORTEMS
    if more > 0:
        lines.append(f"- and {more} older postmortem{'s' if more != 1 else ''}")
    return [*lines, ""]


def render(report: Report, options: RenderOptions) -> str:
    """The report as GitHub- and GitLab-flavoured Markdown."""
    environment = f" to **{escape.markdown(report.environment)}**" if report.environment else ""
    lines = [
        f"### {_VERDICT_ICONS[report.verdict]} deploygate: {verdict_label(report)} "
        f"for **{escape.markdown(report.service)}**{environment}",
        "",
        f"**{verdict_meaning(report)}**",
        "",
    ]
    warning = not_verified(report) or overridden(report)
    if warning:
        lines += [f"> [!WARNING]\n> {escape.markdown(warning)}", ""]
    note = advisory(report)
    if note:
        lines += [f"> [!NOTE]\n> {escape.markdown(note)}", ""]
    if report.findings:
        lines += ["| Level | Rule | Finding | Where |", "| --- | --- | --- | --- |"]
        for finding in report.findings:
            remedy = f"<br>{escape.markdown(finding.remedy)}" if finding.remedy else ""
            lines.append(
                f"| {_LEVEL_ICONS[finding.level]} {finding.level.label} | `{finding.rule.value}` "
                f"<br>`{finding.short_fingerprint}` "
                f"| {escape.markdown(finding.message)}{remedy} | {_where(finding)} |"
            )
        lines.append("")
    lines += digest(report)
    lines += [
        f"**Learning loop:** {summary_sentence(report)}.",
        "",
        *(f"**Read from** {escape.markdown(line)}  " for line in coverage_lines(report)),
        "",
        f"<sub>{counts(report)} · evaluated at {evaluated(report)} · sources: "
        + ", ".join(
            f"{escape.markdown(source.name)} {'✓' if source.ok else '✗'}"
            for source in report.sources
        )
        + "</sub>",
    ]
    lines += [
        f"\n> [!NOTE]\n> {escape.markdown(notice)}"
        for notice in source_notices(report) + rate_limit_notices(report)
    ]
    return "\n".join(lines) + "\n"
