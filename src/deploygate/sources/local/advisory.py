"""The local log of advisory runs that would have blocked: one JSON line each, beside the history.

A team rolls the gate out in advisory mode first (``check --advisory`` or
``mode = "advisory"``): every check exits 0, and the question before
enforcing is how often it would have stopped a deploy. So an advisory check
whose verdict is ``block``, with the local source among its sources, appends
one line to ``advisory.jsonl`` in the history file's folder (beside
``overrides.jsonl``, and for the same reasons: a fixed sibling needs no
setting, and the log travels with the history). ``report`` counts the lines per
service in its period: "would have blocked N deploys".

Each line holds ``service``, ``environment`` (null without --environment),
``created_at`` (the check's time) and ``run_url`` (null outside CI). It is
appended and read as the history is, under its own lock
(:func:`deploygate.sources.local.store.append_line`): a torn last line is left
out when read and cut off by the next append; any other line that cannot be
read stops the report (exit 2) naming the file and line, so a count is never
quietly short.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from deploygate.sources.local.events import EventLog

FILE_NAME = "advisory.jsonl"


def advisory_path(history: Path) -> Path:
    """Where the would-have-blocked runs of ``history`` are logged: ``advisory.jsonl`` beside it."""
    return history.with_name(FILE_NAME)


class AdvisoryLog(EventLog):
    """Append-only log of advisory checks that would have blocked, in a JSON Lines file."""

    def record(
        self, *, service: str, environment: str | None, created_at: datetime, run_url: str | None
    ) -> None:
        """Append one advisory check that would have blocked."""
        self.append(
            service=service, environment=environment, created_at=created_at, run_url=run_url
        )
