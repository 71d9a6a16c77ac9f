"""Append-only logs of one kind of event per service, beside the history: overrides, and
advisory checks that would have blocked.

Each line is one JSON object with ``service``, ``environment`` (null without
--environment), ``created_at`` (the check's time) and ``run_url`` (null
outside CI), plus the fields of its kind (an override's ``reason``). Lines
are appended and read as the history is, each file under its own ``flock``
(:func:`deploygate.sources.local.store.append_line`), so events recorded at
once lose nothing, and a torn last line is left out when read and cut off by
the next append. ``report`` counts the lines per service in its period; any
other line that cannot be read stops it (exit 2) naming the file and line, so
a count is never quietly short.
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

_COMMON = ("service", "environment", "created_at", "run_url")


class EventLog:
    """One event log: a JSON Lines file whose lines carry ``texts`` besides the common fields."""

    def __init__(self, path: Path, texts: tuple[str, ...] = ()) -> None:
        self.path = path
        self.texts = texts
        """The fields of this kind of event: required, non-empty strings."""

    def append(
        self,
        *,
        service: str,
        environment: str | None,
        created_at: datetime,
        run_url: str | None,
        **texts: str,
    ) -> None:
        """Append one event."""
        line = encode(
            {
                "service": service,
                "environment": environment,
                "created_at": format_instant(created_at),
                **texts,
                "run_url": run_url,
            }
        )
        append_line(self.path, lambda existing: line)

    def count(self, *, since: datetime, until: datetime) -> Counter[str]:
        """Events per service from ``since`` to ``until``, both included.

        Every line is read and checked, whichever services are reported on:
        a broken line is reported rather than skipped.
        """
        counts: Counter[str] = Counter()
        fields = (*_COMMON, *self.texts)
        for number, raw in read_lines(self.path).lines:
            record = parse_line(raw, self.path, number)
            known_fields(record, fields, self.path, number)
            service = required_text(record, "service", self.path, number)
            moment = created_at_of(record, self.path, number)
            for key in self.texts:
                required_text(record, key, self.path, number)
            for key in ("environment", "run_url"):
                optional_text(record, key, self.path, number)
            if since <= moment <= until:
                counts[service] += 1
        return counts
