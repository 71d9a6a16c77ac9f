"""Wording shared by the human-readable formats, so text and Markdown say the same thing."""

from __future__ import annotations

from dataclasses import dataclass

from deploygate.dates import format_instant
from deploygate.errors import OnError
from deploygate.model import Coverage, Finding, Level, Report, Verdict

VERDICT_MEANING = {
    Verdict.PASS: "pass: the learning loop is closed for this service",
    Verdict.WARN: "warn: the deploy may go ahead, but lessons are waiting",
    Verdict.BLOCK: "block: lessons of past failures must be done or decided first",
    Verdict.UNKNOWN: "unknown: a source failed, so nothing was verified",
    Verdict.OVERRIDE: "override: it would block, and an emergency override let it through",
}


NOTHING_SEEN = "no source saw this service, so nothing was verified"
"""What a pass or a warning means when the sources gave nothing about the service: a
pass there is no closed loop, and a warning is not about waiting lessons."""


def verdict_label(report: Report) -> str:
    """The verdict as every format names it: ``block``, or ``would block`` (and ``would
    warn``) when the gate is advisory, whose block and warning do nothing."""
    if not report.enforced and report.verdict in (Verdict.BLOCK, Verdict.WARN):
        return f"would {report.verdict.value}"
    return report.verdict.value


def verdict_meaning(report: Report) -> str:
    """The verdict in words: "the learning loop is closed" only when a source saw the service."""
    if report.verdict in (Verdict.PASS, Verdict.WARN) and not report.service_seen:
        return f"{verdict_label(report)}: {NOTHING_SEEN}"
    meaning = VERDICT_MEANING[report.verdict].split(": ", 1)[1]
    return f"{verdict_label(report)}: {meaning}"


ADVISORY = 'ADVISORY: not enforced (--advisory or mode = "advisory"); exit 0 whatever the verdict'
"""The line every human-readable format shows for an advisory check."""


def advisory(report: Report) -> str | None:
    """:data:`ADVISORY` when the gate is not enforced, else None."""
    return None if report.enforced else ADVISORY


def plural(count: int, noun: str) -> str:
    """``1 error``, ``2 errors``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def counts(report: Report) -> str:
    """``1 error, 2 warnings, 0 notices``."""
    return ", ".join(plural(report.count(level), level.label) for level in reversed(Level))


def scope(report: Report) -> str:
    """The service and environment the report is about."""
    environment = report.environment or "all environments"
    return f"{report.service} ({environment})"


def summary_sentence(report: Report) -> str:
    """The learning-loop counts in one sentence."""
    summary = report.summary
    return (
        f"{plural(summary.failed_deployments, 'failed deployment')} in the lookback window, "
        f"{summary.reviewed_failures} reviewed; {plural(summary.postmortems, 'postmortem')}; "
        f"{plural(summary.open_action_items, 'open action item')}, "
        f"{summary.overdue_action_items} overdue"
    )


def not_verified(report: Report) -> str | None:
    """The loud warning for an unknown verdict, naming each source that failed."""
    if report.verdict is not Verdict.UNKNOWN:
        return None
    failed = "; ".join(
        f"source {source.name!r} failed: {source.error}" for source in report.failed_sources
    )
    return f"NOT VERIFIED: {failed}. The gate could not decide."


def locator(finding: Finding) -> str | None:
    """Where to look: the subject's URL, or the postmortem's id (its path) for local files,
    with the action item's line."""
    if finding.url:
        return finding.url
    if finding.postmortem is not None:
        item = finding.action_item
        line = f":{item.line}" if item is not None and item.line is not None else ""
        return finding.postmortem.id + line
    return None


def evaluated(report: Report) -> str:
    """The evaluation time as every format prints it."""
    return format_instant(report.evaluated_at)


def source_notices(report: Report) -> list[str]:
    """What each source left out, one sentence each naming the source.

    The text may hold untrusted data (a key, a title): every format escapes it.
    """
    return [f"{source.name}: {notice}" for source in report.sources for notice in source.notices]


def coverage_sentence(coverage: Coverage) -> str:
    """What one source gave: ``9 deployments to production, staging (2026-08-20 to
    2026-11-18); 4 postmortems; 6 action items``. Environments may be untrusted: escape."""
    if coverage.deployments and coverage.first_deployment and coverage.last_deployment:
        deployments = (
            f"{plural(coverage.deployments, 'deployment')} to "
            f"{', '.join(coverage.environments)} ({coverage.first_deployment.date().isoformat()}"
            f" to {coverage.last_deployment.date().isoformat()})"
        )
    else:
        deployments = "no deployments"
    return (
        f"{deployments}; {plural(coverage.postmortems, 'postmortem')}; "
        f"{plural(coverage.action_items, 'action item')}"
    )


def coverage_lines(report: Report) -> list[str]:
    """``SOURCE: what it gave`` for each source that answered, in source order."""
    return [
        f"{source.name}: {coverage_sentence(source.coverage)}"
        for source in report.sources
        if source.coverage is not None
    ]


def rate_limit_notices(report: Report) -> list[str]:
    """A sentence for each source with less than a tenth of its rate limit left."""
    return [
        f"{source.name} rate limit low: {source.usage.rate_limit_remaining} of "
        f"{source.usage.rate_limit_limit} left; later deploys may be refused"
        for source in report.sources
        if source.usage is not None and source.usage.rate_limit_low
    ]


def overridden(report: Report) -> str | None:
    """The loud line for an override, with its reason, or None."""
    if report.override_reason is None:
        return None
    return f"OVERRIDDEN: the gate would block; let through because: {report.override_reason}"


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How the medium behaves; formats that do not care ignore it."""

    color: bool = False
    on_error: OnError = OnError.FAIL
    """Whether a failed source fails the step, so NOT VERIFIED is an error or a warning."""
    config_path: str = "deploygate.toml"
    """The config file relative to the repository, where Code Quality points."""
    width: int = 100
    """Columns the text formats wrap findings to: the terminal's, or 100 for a pipe or a
    file, where a CI log or an editor shows long lines whole anyway."""
