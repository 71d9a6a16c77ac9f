"""GitLab CI job log: the text report, its findings folded into a collapsible section.

GitLab folds the lines between ``section_start`` and ``section_end`` markers
(ANSI erase-line codes around a name and a Unix time). The time comes from
the report, not the clock, so the output is reproducible.
See https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deploygate.formats import text
from deploygate.formats.common import counts

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions
    from deploygate.model import Report

SECTION = "deploygate_findings"


def render(report: Report, options: RenderOptions) -> str:
    """The text report, with the findings in a section that opens collapsed when there are many."""
    stamp = int(report.evaluated_at.timestamp())
    collapsed = "true" if len(report.findings) > 10 else "false"
    lines = text.render(report, options).split("\n")
    # The header ends after the counts line and its blank line: the verdict may be followed by
    # NOT VERIFIED or OVERRIDDEN, and by the ADVISORY line, so its length varies.
    counts_at = next(
        (index for index, line in enumerate(lines) if line.startswith("findings: ")), 2
    )
    first_finding = min(counts_at + 2, len(lines))
    start = (
        f"\x1b[0Ksection_start:{stamp}:{SECTION}[collapsed={collapsed}]\r\x1b[0K"
        f"deploygate findings: {counts(report)}"
    )
    end = f"\x1b[0Ksection_end:{stamp}:{SECTION}\r\x1b[0K"
    summary_at = next(
        (index for index, line in enumerate(lines) if line.startswith("summary: ")), len(lines)
    )
    body = lines[first_finding:summary_at]
    return "\n".join([*lines[:first_finding], start, *body, end, *lines[summary_at:]])
