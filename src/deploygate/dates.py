"""Parsing of instants, dates and durations written by people.

Every time inside deploygate is an aware UTC datetime. A value without an
offset is read as UTC, because CI logs and ``date -u`` speak UTC and a gate
must not change its answer with the laptop's time zone.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

UTC = timezone.utc

INSTANT_FORM = "an ISO 8601 time such as 2026-09-14T10:20:00Z or a date such as 2026-09-14"
DATE_FORM = "a date such as 2026-09-14"
DURATION_FORM = "a duration such as 90d, 72h, 30m or 2w"

_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def to_utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime; naive values are taken as UTC."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def parse_instant(text: str) -> datetime:
    """Read an ISO 8601 instant or date. Raises ValueError with the expected form."""
    cleaned = text.strip()
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        return to_utc(datetime.fromisoformat(cleaned))
    except ValueError:
        pass
    try:
        return start_of_day(date.fromisoformat(cleaned))
    except ValueError:
        raise ValueError(f"{text!r} is not a time; expected {INSTANT_FORM}") from None


def parse_date(text: str) -> date:
    """Read a calendar date. Raises ValueError with the expected form."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date; expected {DATE_FORM}") from None


def parse_duration(text: str) -> timedelta:
    """Read a duration like ``90d``. Raises ValueError with the expected form."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration; expected {DURATION_FORM}")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


def format_duration(span: timedelta) -> str:
    """The shortest exact spelling of ``span`` in the form :func:`parse_duration` reads."""
    seconds = int(span.total_seconds())
    for unit in ("w", "d", "h", "m"):
        if seconds and seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


def format_instant(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``, to the second: the form every output uses."""
    return to_utc(moment).replace(microsecond=0).isoformat().replace("+00:00", "Z")
