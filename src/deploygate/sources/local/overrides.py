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
CI). It is appended and read as the history is, under its own lock
(:func:`deploygate.sources.local.store.append_line`), so overrides recorded
at once lose nothing. ``report`` counts the lines per service in its period;
a line that cannot be read stops the report (exit 2) naming the file and line.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from deploygate.sources.local.events import EventLog

FILE_NAME = "overrides.jsonl"


def overrides_path(history: Path) -> Path:
    """Where the overrides of ``history`` are logged: ``overrides.jsonl`` beside it."""
    return history.with_name(FILE_NAME)


class OverrideLog(EventLog):
    """Append-only log of emergency overrides in a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, texts=("reason",))

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
        self.append(
            service=service,
            environment=environment,
            created_at=created_at,
            run_url=run_url,
            reason=reason,
        )
