"""Dates and instants: the one rule of when a day is over, which due dates and waivers share."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from deploygate.dates import day_over

DUE = date(2026, 11, 20)


@pytest.mark.parametrize(
    ("now", "over"),
    [
        (datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc), False),
        (datetime(2026, 11, 20, 23, 59, 59, tzinfo=timezone.utc), False),
        (datetime(2026, 11, 21, 0, 0, tzinfo=timezone.utc), True),
        # 23:30 on the 20th in New York is already the 21st in UTC: days are UTC days.
        (datetime(2026, 11, 20, 23, 30, tzinfo=timezone(timedelta(hours=-5))), True),
    ],
    ids=["its-first-second", "its-last-second", "the-next-day", "another-zone"],
)
def test_a_day_holds_through_its_last_second_in_utc(now: datetime, over: bool) -> None:
    assert day_over(DUE, now) is over
