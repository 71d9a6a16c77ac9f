"""The note left on a postmortem whose open action items an emergency override let through.

The learning loop should hear about an override where the lesson lives: on
the postmortem. Each note is an event, not a sticky comment: two overrides
are two notes. The hidden marker names the service so that ``report`` can
count overrides per service from the notes alone (they are the audit trail):
``<!-- deploygate:override service=NAME -->``, the name percent-encoded so
that no service name can close the comment.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, unquote

from deploygate.formats import escape
from deploygate.model import ActionItem, Postmortem, Report, RuleId, Verdict

MARKER_PREFIX = "<!-- deploygate:override"
"""Every override note starts with this; the service follows as ``service=NAME``."""
_MARKER = re.compile(r"<!-- deploygate:override service=(?P<service>[^\s>]+) -->")
_URL_SAFE = ":/?#[]@!$&'*+,;=%~"
"""Kept as they are in a link target; parentheses, spaces and the rest are percent-encoded."""
_ITEM_RULES = frozenset({RuleId.OPEN_ACTION_ITEM, RuleId.OVERDUE_ACTION_ITEM})


@dataclass(frozen=True, slots=True)
class Overridden:
    """One postmortem and the open or overdue items of it that the override let through."""

    postmortem: Postmortem
    items: tuple[ActionItem, ...]


def marker(service: str) -> str:
    """The hidden first line of a note about ``service``."""
    return f"{MARKER_PREFIX} service={quote(service, safe='')} -->"


def service_of(body: str) -> str | None:
    """The service a note is about, when ``body`` starts with an override marker."""
    match = _MARKER.match(body)
    return unquote(match.group("service")) if match else None


def overridden(report: Report) -> tuple[Overridden, ...]:
    """The postmortems whose open or overdue items were among the blocking findings.

    Only an ``override`` verdict overrides anything.
    """
    if report.verdict is not Verdict.OVERRIDE:
        return ()
    by_postmortem: dict[str, tuple[Postmortem, dict[str, ActionItem]]] = {}
    for finding in report.blocking:
        if finding.rule not in _ITEM_RULES:
            continue
        if finding.postmortem is None or finding.action_item is None:
            continue
        _, items = by_postmortem.setdefault(finding.postmortem.id, (finding.postmortem, {}))
        items.setdefault(finding.action_item.id, finding.action_item)
    return tuple(
        Overridden(postmortem, tuple(items.values()))
        for postmortem, items in by_postmortem.values()
    )


def render(report: Report, entry: Overridden, run_url: str | None) -> str:
    """The note: service, environment, the reason (escaped), the items, and the run."""
    environment = f" to **{escape.markdown(report.environment)}**" if report.environment else ""
    lines = [
        marker(report.service),
        f"### 🚨 deploygate: **{escape.markdown(report.service)}** was deployed{environment} "
        "by emergency override",
        "",
        f"**Reason:** {escape.markdown(report.override_reason or '')}",
        "",
        "Open action items of this postmortem that would have blocked the deploy:",
        "",
    ]
    lines += [_item(item) for item in entry.items]
    lines.append("")
    lines.append(f"[The run]({run_url})" if run_url else "The run left no link.")
    return "\n".join(lines) + "\n"


def _item(item: ActionItem) -> str:
    title = escape.markdown(item.title)
    due = f" (due {item.due.isoformat()})" if item.due else ""
    if item.url and item.url.startswith(("https://", "http://")):
        return f"- [{title}]({quote(item.url, safe=_URL_SAFE)}){due}"
    return f"- {title}{due}"


def notes(report: Report, *, run_url: str | None) -> Sequence[tuple[Postmortem, str]]:
    """Each overridden postmortem with the note for it."""
    return [(entry.postmortem, render(report, entry, run_url)) for entry in overridden(report)]
