"""GitHub Actions workflow commands: one annotation per finding, escaped as the runner expects.

The escaping is byte-for-byte that of ``@actions/core`` (``escapeData`` for
the message, ``escapeProperty`` for properties), which the tests use as the
oracle. Untrusted text is therefore always data inside a command that
deploygate wrote, and can never start a command of its own: it cannot contain
a raw line break, and it only ever appears after our own ``::name ...::``.

The runner shows at most ten annotations of each level per step, so the
loudest findings go first and a final plain line says how many were left out.
See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from deploygate.errors import OnError
from deploygate.formats.common import (
    advisory,
    counts,
    not_verified,
    overridden,
    plural,
    rate_limit_notices,
    scope,
    source_notices,
    verdict_label,
)
from deploygate.model import Level, Report, Verdict
from deploygate.sanitize import terminal

if TYPE_CHECKING:
    from deploygate.formats.common import RenderOptions

ANNOTATIONS_PER_LEVEL = 10
"""The runner's limit per level and step; more are dropped without a word."""

_COMMANDS = {Level.ERROR: "error", Level.WARNING: "warning", Level.NOTICE: "notice"}


def escape_data(text: str) -> str:
    """``@actions/core``'s escapeData: the message part of a workflow command."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """``@actions/core``'s escapeProperty: a ``key=value`` property of a workflow command."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def command(name: str, properties: Mapping[str, str], message: str) -> str:
    """One workflow command line, built exactly as ``@actions/core``'s Command.toString.

    Like the toolkit, a non-empty property mapping adds a space after the name
    even when every value is empty, and empty values are left out.
    """
    line = f"::{name}"
    if properties:
        line += " " + ",".join(
            f"{key}={escape_property(value)}" for key, value in properties.items() if value
        )
    return f"{line}::{escape_data(message)}"


def render(report: Report, options: RenderOptions) -> str:
    """Annotations for the findings, loudest first, then a plain summary line.

    deploygate's own annotations (NOT VERIFIED, OVERRIDDEN, a low rate limit)
    come first and count against the runner's ten per level, so no finding
    is dropped by the runner without the count line saying so.
    """
    lines = [terminal(f"deploygate: {verdict_label(report)} for {scope(report)}: {counts(report)}")]
    own: list[tuple[str, str, str]] = []
    warning = not_verified(report)
    if warning:
        loudness = "warning" if options.on_error is OnError.WARN else "error"
        own.append((loudness, "deploygate: NOT VERIFIED", warning))
    override = overridden(report)
    if override:
        own.append(("warning", "deploygate: OVERRIDDEN", override))
    note = advisory(report)
    if note:
        own.append(("notice", "deploygate: ADVISORY", note))
    own += [("notice", "deploygate: source", notice) for notice in source_notices(report)]
    own += [("notice", "deploygate: rate limit", notice) for notice in rate_limit_notices(report)]
    # Messages carry untrusted text: control characters are made visible before
    # escaping, since the runner prints an annotation's message to the log as is.
    lines += [command(name, {"title": title}, terminal(message)) for name, title, message in own]
    left_out: list[str] = []
    for level in sorted(Level, reverse=True):
        room = ANNOTATIONS_PER_LEVEL - sum(1 for name, _, _ in own if name == _COMMANDS[level])
        findings = [finding for finding in report.findings if finding.level is level]
        for finding in findings[: max(0, room)]:
            message = terminal(finding.message + (f" ({finding.url})" if finding.url else ""))
            # The runner shows an annotation's line breaks: what clears it (which names the
            # fingerprint to waive it with), or the bare fingerprint, is a line of its own.
            message += "\n" + terminal(finding.remedy or f"fingerprint {finding.short_fingerprint}")
            # Advisory: the title says the finding stops nothing, whatever its level.
            title = f"deploygate {finding.rule.value}" + ("" if report.enforced else " (advisory)")
            lines.append(command(_COMMANDS[level], {"title": title}, message))
        if len(findings) > room:
            left_out.append(plural(len(findings) - max(0, room), level.label))
    if left_out:
        lines.append(
            terminal(
                f"deploygate: {', '.join(left_out)} more than the runner shows as annotations; "
                "the job summary lists every finding."
            )
        )
    return "\n".join(lines) + "\n"


def outputs(report: Report) -> dict[str, str]:
    """The step outputs: ``verdict`` (its real value, advisory or not), ``enforced`` (false
    in advisory mode), ``findings`` (a count) and ``blocking``."""
    return {
        "verdict": report.verdict.value,
        "enforced": "true" if report.enforced else "false",
        "findings": str(len(report.findings)),
        "blocking": "true" if report.verdict is Verdict.BLOCK else "false",
    }
