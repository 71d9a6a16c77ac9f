"""The local audit trail of emergency overrides: one JSON line per override, beside the history.

On GitHub and GitLab the override notes on postmortems are the audit trail;
a team on the embedded store has no platform to note an override on, so
``check --override`` appends one line to ``overrides.jsonl`` in the history
file's folder (``.deploygate/deployments.jsonl`` gives
``.deploygate/overrides.jsonl``). A fixed sibling needs no setting, and the
log travels with the history it belongs to. Only a run whose verdict is
``override`` writes a line: an override of a passing deploy overrode nothing.

Each line holds ``service``, ``environment`` (null without --environment),
``created_at`` (the check's time), ``reason`` and ``run_url`` (null outside
CI). It is appended and read under the history's lock
(:func:`deploygate.sources.local.store.append_line`), so overrides recorded
at once lose nothing. ``report`` counts the lines per service in its period;
a line that cannot be read stops the report (exit 2) naming the file and line.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from pathlib import Path

from deploygate.dates import format_instant
from deploygate.sources.local.store import (
    append_line,
    created_at_of,
    encode,
    known_fields,
    optional_text,
    parse_line,
    read_lines,
    required_text,
)

FILE_NAME = "overrides.jsonl"
_FIELDS = ("service", "environment", "created_at", "reason", "run_url")


def overrides_path(history: Path) -> Path:
    """Where the overrides of ``history`` are logged: ``overrides.jsonl`` beside it."""
    return history.with_name(FILE_NAME)


class OverrideLog:
    """Append-only log of emergency overrides in a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(
        self,
        *,
        service: str,
        environment: str | None,
        created_at: datetime,
        reason: str,
        run_url: str | None,
    ) -> None:
        """Append one override."""
        line = encode(
            {
                "service": service,
                "environment": environment,
                "created_at": format_instant(created_at),
                "reason": reason,
                "run_url": run_url,
            }
        )
        append_line(self.path, lambda existing: line)

    def count(self, *, since: datetime, until: datetime) -> Counter[str]:
        """Overrides per service from ``since`` to ``until``, both included.

        Every line is read and checked, whichever services are reported on:
        a broken line is reported rather than skipped, so a count is never
        quietly short.
        """
        counts: Counter[str] = Counter()
        for number, raw in read_lines(self.path).lines:
            record = parse_line(raw, self.path, number)
            known_fields(record, _FIELDS, self.path, number)
            service = required_text(record, "service", self.path, number)
            moment = created_at_of(record, self.path, number)
            required_text(record, "reason", self.path, number)
            for key in ("environment", "run_url"):
                optional_text(record, key, self.path, number)
            if since <= moment <= until:
                counts[service] += 1
        return counts
