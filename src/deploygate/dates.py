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

_DURATION = re.compile(r"^\s*(\d{1,9})\s*([smhdw])\s*$")
_API_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = timedelta(days=3650)
"""Ten years: longer windows are typos, and would overflow date arithmetic."""
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)
"""Instants outside these bounds are typos, and would overflow date arithmetic."""


def to_utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime; naive values are taken as UTC.

    Raises ValueError for instants outside 1970 to 9000, so that no later
    subtraction of a lookback window can overflow.
    """
    try:
        utc = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except OverflowError:
        utc = EARLIEST - timedelta(days=1)
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"{moment.isoformat()} is out of range; expected a time from 1970 to 8999")
    return utc


def start_of_day(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return to_utc(datetime(day.year, day.month, day.day))


def day_over(day: date, now: datetime) -> bool:
    """Whether all of ``day`` (UTC) has passed at ``now``: a due date or a waiver's last day
    still holds through the day itself."""
    return now >= start_of_day(day) + timedelta(days=1)


def parse_instant(text: str) -> datetime:
    """Read an ISO 8601 instant or date. Raises ValueError with the expected form."""
    cleaned = text.strip()
    if cleaned.endswith(("z", "Z")):
        cleaned = cleaned[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        try:
            moment = datetime.combine(date.fromisoformat(cleaned), datetime.min.time())
        except ValueError:
            raise ValueError(f"{text!r} is not a time; expected {INSTANT_FORM}") from None
    return to_utc(moment)


def check_date(day: date) -> date:
    """``day`` itself, or ValueError when it lies outside the range of :func:`to_utc`."""
    start_of_day(day)
    return day


def parse_date(text: str) -> date:
    """Read a calendar date. Raises ValueError with the expected form."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{text!r} is not a date; expected {DATE_FORM}") from None
    return check_date(day)


def parse_api_date(value: object) -> date | None:
    """An API's due date: null, or a ``YYYY-MM-DD`` string. Raises ValueError on anything else.

    ``date.fromisoformat`` also takes ``20261021`` (3.11+), and ``str()`` of the number
    20261021 is that: a due date of the wrong type would pass as a date.
    """
    if value is None:
        return None
    if not isinstance(value, str) or not _API_DATE.fullmatch(value):
        raise ValueError(f"{value!r:.40} is not a date; expected {DATE_FORM}")
    return parse_date(value)


def parse_api_instant(value: object) -> datetime | None:
    """An API's timestamp: null, or an ISO 8601 string. Raises ValueError on anything else,
    a number included, for the same reason as :func:`parse_api_date`."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{value!r:.40} is not a time; expected an ISO 8601 string")
    return parse_instant(value)


def parse_duration(text: str) -> timedelta:
    """Read a duration like ``90d``. Raises ValueError with the expected form."""
    match = _DURATION.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration; expected {DURATION_FORM}")
    span = timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    if span > MAX_DURATION:
        raise ValueError(f"{text!r} is longer than ten years; expected {DURATION_FORM}")
    return span


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
