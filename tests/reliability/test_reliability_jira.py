"""The reliability cases only Jira has: Atlassian's reset written to the minute, Data Center's
missing total, a 400 that quotes the query, a same-host redirect, and the wall-clock canary.

The cases every tracker shares (storms, rate limits, junk Retry-After, hung servers,
malformed answers, leaks, a planted bug, hostile text) run on Jira in
test_reliability_trackers.py; the world, the project and the token are the adapter's
(tests/fakes/trackers.py, ``JIRA``).

- case 8 (rate limits) -> test_a_reset_in_the_last_second_of_a_minute_is_waited_out
- case 10 (hung and slow servers), on the wall clock ->
  test_canary_a_real_run_against_a_dripping_jira_ends_by_itself
- case 11 (redirects) -> test_a_redirect_on_the_same_host_is_followed
- case 12 (malformed payloads) -> test_data_center_without_a_total_fails_clearly
- case 13 (canaries) -> test_a_400_that_echoes_the_token_is_redacted
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakes.clock import FakeClock
from fakes.jira import FakeJira
from fakes.trackers import JIRA, running
from reliability.helpers import (
    Launch,
    RawServer,
    assert_secrets_kept,
    assert_source_failed,
    check,
    foreign_commands,
    mutate_answers,
    redirect,
    runner_views,
)


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    yield from running(JIRA)


def test_a_reset_in_the_last_second_of_a_minute_is_waited_out(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock
) -> None:
    """The 429 comes at 12:00:59.5 with junk Retry-After: the reset, written to the minute,
    is 12:01, so the wait is half a second more than usual (1.5 s), and it still fits the 2 s
    deadline (exit 1). On the wall clock this was the rarer half of a flake of the junk
    Retry-After case."""
    fake_clock.start = datetime(2026, 11, 20, 12, 0, 59, 500000, tzinfo=timezone.utc)
    fake_clock.drive(jira)
    JIRA.populate(jira)
    jira.faults.add("/search", status=429, times=1, headers={"Retry-After": "soon"})
    run = check(tmp_path, JIRA.project(tmp_path, jira.url), JIRA.env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.response_headers.get("X-RateLimit-Reset") for r in jira.searches()][:1] == [
        "2026-11-20T12:01Z"
    ]
    assert fake_clock.sleeps() == [1.5]
    JIRA.assert_no_leak(run, jira)


def test_canary_a_real_run_against_a_dripping_jira_ends_by_itself(tmp_path: Path) -> None:
    """Wall-clock canary: ``python -m deploygate`` against a Jira that drips a byte a second
    ends by itself at its 2 s deadline (the attempt's thread is abandoned, and does not
    keep the process alive), with exit 3. The 60 s kill is a hang detector, not a timing
    assertion."""
    with RawServer("drip") as server:
        launch = Launch(tmp_path, JIRA.project(tmp_path, server.url), JIRA.env(), limit=60.0)
        run = launch.wait()
    assert run.exit_code == 3, (run.exit_code, run.output)
    assert "timed out" in assert_source_failed(run, "jira", "/rest/api/3/search/jql")
    JIRA.assert_no_leak(run)


def test_data_center_without_a_total_fails_clearly(tmp_path: Path) -> None:
    """Data Center pages by startAt and total: an answer without its total fails Jira with
    one line, and the personal access token is not repeated."""
    fake = FakeJira(flavour="data-center")
    fake.world.personal_token(JIRA.token)
    fake.world.project("OPS", components=["checkout"])
    with fake:
        mutate_answers(fake, lambda r: True, lambda r: r.body.pop("total"))
        env = JIRA.env() | {"JIRA_EMAIL": None}
        run = check(tmp_path, JIRA.project(tmp_path, fake.url), env)
    assert_source_failed(run, "jira", "without a total")
    assert_secrets_kept(run, JIRA.secrets, list(fake.requests), f"Bearer {JIRA.token}")


def test_a_400_that_echoes_the_token_is_redacted(tmp_path: Path, jira: FakeJira) -> None:
    """Jira quotes a bad JQL query back: the refusal is shown, the token taken out and the
    line break escaped, so no runner command rides in on it."""
    JIRA.populate(jira)
    echo = {"errorMessages": [f"bad query near {JIRA.token}\n::error::owned"], "errors": {}}
    jira.faults.add("/search", status=400, times=None, body=echo)
    run = check(tmp_path, JIRA.project(tmp_path, jira.url), JIRA.env())
    error = assert_source_failed(run, "jira", "Jira refused the [jira] jql query")
    assert "\\x0a::error::owned" in error
    JIRA.assert_no_leak(run, jira)
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []


def test_a_redirect_on_the_same_host_is_followed(tmp_path: Path, jira: FakeJira) -> None:
    """A 301 to the same origin (a moved site) is followed, and the check decides."""
    JIRA.populate(jira)
    redirect(jira, lambda r: "/search" in r.path, jira.url, status=301)
    run = check(tmp_path, JIRA.project(tmp_path, jira.url), JIRA.env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in jira.searches()][:2] == [301, 200]
    JIRA.assert_no_leak(run, jira)
