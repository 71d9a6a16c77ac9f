"""The override notes both platforms leave and count: which issue, and one count per run.

``check --override --comment`` leaves a note on each postmortem it let
through; ``report`` counts a service's overrides from those notes. A note
counts when it starts with the override marker naming the service AND its
author is the token's own identity (a person quoting the marker counts for
nothing), and it was created inside the period. One override leaves a note
on *each* postmortem it let through, so the notes of one run (the same
service and the same run link) count once; a note without a run link (a run
outside CI) counts alone.

The platforms and the local log (:mod:`deploygate.sources.local.overrides`)
may record the same override twice (``check`` with ``github,local`` notes it
and logs it), so :func:`combined` takes the larger count of a service, never
the sum.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from deploygate.formats.override_note import service_of

_ISSUE_ID = re.compile(r"^(?P<where>[^#\s]+)#(?P<number>\d+)$")
"""How the GitHub and GitLab sources name a postmortem: ``owner/repo#12``, ``group/project#12``."""
_RUN_LINK = re.compile(r"^\[The run\]\((?P<url>[^)\s]+)\)$", re.MULTILINE)
"""The run's link as :func:`deploygate.formats.override_note.render` writes it."""


def platform_issue(postmortem_id: str) -> tuple[str, int] | None:
    """``(repository or project, number)`` of a platform postmortem; None for a local file."""
    match = _ISSUE_ID.match(postmortem_id)
    return (match.group("where"), int(match.group("number"))) if match else None


def combined(counts: Iterable[Counter[str]]) -> Counter[str]:
    """Per service, the largest of several counts of the same overrides (see the module)."""
    merged: Counter[str] = Counter()
    for count in counts:
        for service, overrides in count.items():
            merged[service] = max(merged[service], overrides)
    return merged


def per_run(notes: Iterable[tuple[str, str]]) -> Counter[str]:
    """Overrides per service from ``(note id, body)`` of counted notes: one per run."""
    seen: set[tuple[str, str]] = set()
    counts: Counter[str] = Counter()
    for note_id, body in notes:
        service = service_of(body)
        if service is None:
            continue
        link = _RUN_LINK.search(body)
        run = (service, f"run {link.group('url')}" if link else f"note {note_id}")
        if run not in seen:
            seen.add(run)
            counts[service] += 1
    return counts
