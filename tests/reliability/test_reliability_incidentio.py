"""The reliability case only incident.io has: thousands of follow-ups on its pages of 100.

The cases every tracker shares (storms, rate limits, junk Retry-After, hung servers,
malformed answers and a repeated cursor, leaks, a planted bug, hostile text) run on
incident.io in test_reliability_trackers.py; the world, the project and the key are the
adapter's (tests/fakes/trackers.py, ``INCIDENT_IO``).

- case 5 (size) -> test_thousands_of_follow_ups_keep_the_summary_under_its_limit
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.incidentio import FakeIncidentIo
from fakes.trackers import INCIDENT_IO, running
from fakes.worlds import at
from reliability.helpers import check


@pytest.fixture
def fake() -> Iterator[FakeIncidentIo]:
    yield from running(INCIDENT_IO)


def test_thousands_of_follow_ups_keep_the_summary_under_its_limit(
    tmp_path: Path, fake: FakeIncidentIo
) -> None:
    """2,000 open follow-ups with long titles, on 20 pages: every one read, and the job
    summary and the annotations stay within what GitHub accepts (1 MiB, 10 + 10)."""
    INCIDENT_IO.populate(fake)
    incident = fake.world.incidents[0]
    for n in range(2000):
        incident.follow_up(f"Lesson {n:04d} " + "x" * 500, created_at=at(35))
    config = INCIDENT_IO.project(tmp_path, fake.url, deadline="30s")
    run = check(tmp_path, config, INCIDENT_IO.env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert run.report()["summary"]["open_action_items"] == 2001
    assert len(fake.requests_to("/v3/follow_ups")) == 21
    assert len(run.files["summary"].encode()) < 1024 * 1024
    INCIDENT_IO.assert_no_leak(run, fake)
