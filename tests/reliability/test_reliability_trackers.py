"""The hostile cases every tracker must survive, written once and run on Jira, incident.io,
Rootly and Linear (the adapters are tests/fakes/trackers.py).

The local store supplies the failed deployment ``d1``; the tracker (its fake, or a
misbehaving server) supplies what reviews it and the items. Each case asserts the
documented outcome: an exit code from the table, one clear error naming the source, no
traceback, and no spelling of the tracker's token in any output nor in any request but its
Authorization header. The cases that only make sense for one vendor are in its own file
(test_reliability_jira.py, test_reliability_incidentio.py, test_reliability_rootly.py,
test_reliability_linear.py); the case map is in test_reliability_map.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.trackers import TRACKERS, Tracker, running
from reliability.helpers import (
    CANARIES,
    DEADLINE_SECONDS,
    HOSTILE_MARKDOWN,
    HOSTILE_TEXTS,
    RawServer,
    Run,
    assert_inert_markdown,
    assert_internal_error,
    assert_no_hostile_text_reached_the_runner,
    assert_not_verified,
    assert_source_failed,
    canary_forms,
    check,
    closed_port,
    foreign_commands,
    leaks,
    mutate_answers,
    other_host,
    plant_bug,
    redirect,
    runner_views,
    source_status,
)


@pytest.fixture(params=TRACKERS, ids=repr)
def tracker(request: pytest.FixtureRequest) -> Tracker:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def fake(tracker: Tracker) -> Iterator[Any]:
    yield from running(tracker)


def run_check(
    tmp_path: Path, tracker: Tracker, fake: Any, *args: str, debug: bool = False, **project: Any
) -> Run:
    """The real CLI against ``fake``, with the tracker's token in the environment."""
    config = tracker.project(tmp_path, tracker.api_url(fake), **project)
    return check(tmp_path, config, tracker.env(), *args, debug=debug)


def assert_no_runner_command(run: Run) -> None:
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []


def assert_one_clear_line(run: Run, tracker: Tracker, *expected: str) -> str:
    return assert_source_failed(run, tracker.name, *expected)


def status(run: Run, tracker: Tracker) -> dict[str, Any]:
    return source_status(run, tracker.name)


def add_5xx_storm(fake: Any) -> None:
    """Every request answered 502 and 503 in turn."""
    fake.faults.add(lambda r: len(fake.requests) % 2 == 1, status=502, times=None)
    fake.faults.add(None, status=503, times=None)


def test_a_healthy_tracker_gives_the_expected_findings_and_leaks_nothing(
    tmp_path: Path, tracker: Tracker, fake: Any
) -> None:
    """The baseline the other cases break: the item overdue (exit 1), d1 reviewed."""
    tracker.populate(fake)
    run = run_check(tmp_path, tracker, fake)
    run.assert_clean()
    assert run.exit_code == 1, run.output
    found = [(f["rule"], (f["action_item"] or {}).get(tracker.item_key))
             for f in run.report()["findings"]]  # fmt: skip
    assert found == [("overdue-action-item", tracker.overdue), ("reviewed-failure", None)]
    tracker.assert_no_leak(run, fake)


def test_a_5xx_storm_is_bounded_and_not_verified(
    tmp_path: Path, tracker: Tracker, fake: Any, fake_clock: FakeClock
) -> None:
    """Every request answered 502/503: at most five attempts, each retry after one backoff,
    inside the deadline, then exit 3 naming the first request."""
    fake_clock.drive(fake)
    tracker.populate(fake)
    add_5xx_storm(fake)
    run = run_check(tmp_path, tracker, fake)
    error = assert_one_clear_line(run, tracker, f"{tracker.first_path} answered 50")
    assert "tried 5 times" in error or "deadline" in error
    assert 1 < len(fake.requests) <= 5
    assert len(fake_clock.sleeps()) == len(fake.requests) - 1
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    tracker.assert_no_leak(run, fake)


@pytest.mark.parametrize("alone", [True, False], ids=["alone", "beside-the-local-store"])
def test_a_5xx_storm_under_on_error_warn_exits_0_not_verified(
    tmp_path: Path, tracker: Tracker, fake: Any, fake_clock: FakeClock, alone: bool
) -> None:
    """The same storm with --on-error warn: exit 0 and NOT VERIFIED, also beside what the
    local store has to say; with nothing else to report, one warning and NOT VERIFIED
    everywhere."""
    fake_clock.drive(fake)
    tracker.populate(fake)
    add_5xx_storm(fake)
    run = run_check(tmp_path, tracker, fake, "--on-error", "warn", quiet=alone)
    run.assert_clean()
    assert run.exit_code == 0, run.output
    assert "NOT VERIFIED" in run.stderr
    if alone:
        assert_not_verified(run, "warn")
    assert status(run, tracker)["ok"] is False
    assert f"{tracker.first_path} answered 50" in str(status(run, tracker)["error"])
    assert 1 < len(fake.requests) <= 5
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    tracker.assert_no_leak(run, fake)


def test_a_rate_limit_is_waited_out(
    tmp_path: Path, tracker: Tracker, fake: Any, fake_clock: FakeClock
) -> None:
    """A 429 as the vendor sends it, asking for ``retry_after`` seconds: waited out, with
    the second the client adds, then decided (exit 1)."""
    fake_clock.drive(fake)
    tracker.populate(fake)
    headers = tracker.rate_limit(fake_clock, tracker.retry_after)
    fake.faults.add(tracker.listing, status=429, times=1, headers=headers)
    run = run_check(tmp_path, tracker, fake, deadline="10s")
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in tracker.listed(fake)] == [429] + [200] * tracker.listings
    assert fake_clock.sleeps() == [tracker.retry_after + 1.0]
    assert status(run, tracker)["ok"] is True
    tracker.assert_no_leak(run, fake)


def test_a_rate_limit_an_hour_away_fails_at_once(
    tmp_path: Path, tracker: Tracker, fake: Any, fake_clock: FakeClock
) -> None:
    """A limit that resets past the deadline is not waited for: one listing, no wait, exit
    3 with a line naming the limit and the deadline (or the reset)."""
    fake_clock.drive(fake)
    tracker.populate(fake)
    expected = tracker.exhaust(fake, fake_clock)
    run = run_check(tmp_path, tracker, fake)
    assert_one_clear_line(run, tracker, *expected)
    assert len(tracker.listed(fake)) == 1
    assert len(fake.requests) == tracker.before_listing + 1
    assert fake_clock.waits == []
    tracker.assert_no_leak(run, fake)


JUNK = [
    pytest.param(tracker, retry_after, exit_code, id=f"{tracker!r}-{retry_after[:12]!r}")
    for tracker in TRACKERS
    for retry_after, exit_code in tracker.junk.items()
]


@pytest.mark.parametrize(("tracker", "retry_after", "exit_code"), JUNK)
def test_junk_retry_after_never_crashes(
    tmp_path: Path,
    tracker: Tracker,
    fake: Any,
    fake_clock: FakeClock,
    retry_after: str,
    exit_code: int,
) -> None:
    """Junk is no hint: the 429 is waited out once, inside the deadline (where the vendor
    has another way of saying when, by that); a wait past the deadline fails at once."""
    fake_clock.drive(fake)
    tracker.populate(fake)
    headers = {**tracker.junk_headers, "Retry-After": retry_after}
    fake.faults.add(tracker.junk_path, status=429, times=1, headers=headers,
                    body=tracker.junk_body)  # fmt: skip
    run = run_check(tmp_path, tracker, fake)
    run.assert_clean()
    assert run.exit_code == exit_code, run.output
    if exit_code == 3:
        assert "deadline" in str(status(run, tracker)["error"])
        assert fake_clock.sleeps() == []
    else:
        assert len(fake_clock.sleeps()) == 1
        if tracker.junk_wait is not None:
            assert fake_clock.sleeps() == [tracker.junk_wait]
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    tracker.assert_no_leak(run, fake)


@pytest.mark.parametrize("mode", ["hang", "drip", "drop"])
def test_a_hung_or_dripping_tracker_stops_at_the_deadline(
    tmp_path: Path, tracker: Tracker, fake_clock: FakeClock, mode: str
) -> None:
    """A tracker that never answers, drips a byte a second, or drops mid-body: exit 3 by
    the deadline, naming the request and why. On virtual time an attempt at a server that
    never finishes its answer (hang, drip) has used up the deadline once it has run 0.3
    real seconds; the wall-clock canary is in test_reliability_jira.py. A dropped answer
    ends by itself, so it gets the default patience."""
    if mode != "drop":
        fake_clock.patience = 0.3
    with RawServer(mode) as server:
        config = tracker.project(tmp_path, tracker.at_server(server.url))
        run = check(tmp_path, config, tracker.env())
    error = assert_one_clear_line(run, tracker, tracker.first_path)
    dropped = "failed: the connection closed before the answer was complete"
    assert ("timed out" if mode != "drop" else dropped) in error
    assert "waiting 0 s" not in error
    assert fake_clock.longest() <= DEADLINE_SECONDS
    tracker.assert_no_leak(run)
    for request in server.requests:
        assert not leaks(request.decode("latin-1").split("\r\nauthorization:", 1)[0].lower())


@pytest.mark.parametrize("on_error", ["fail", "warn"])
def test_an_unreachable_tracker_is_not_verified(
    tmp_path: Path, tracker: Tracker, on_error: str, fake_clock: FakeClock
) -> None:
    """Connection refused on every attempt: exit 3, one error annotation and a summary saying
    the gate could not decide; under --on-error warn exit 0, one warning, NOT VERIFIED."""
    with closed_port() as url:
        config = tracker.project(tmp_path, tracker.at_server(url), quiet=True)
        run = check(tmp_path, config, tracker.env(), "--on-error", on_error)
    run.assert_clean()
    assert_not_verified(run, on_error)
    error = str(status(run, tracker)["error"])
    assert "failed: the connection was refused (nothing listens at that address)" in error
    assert "NOT VERIFIED" in run.files["report.markdown"]
    assert 0 < sum(fake_clock.sleeps()) <= DEADLINE_SECONDS  # it backed off, inside the deadline
    tracker.assert_no_leak(run)


@pytest.mark.parametrize(
    ("debug", "on_error"), [(True, "fail"), (False, "fail"), (False, "warn")],
    ids=["debug", "no-debug", "on-error-warn"],
)  # fmt: skip
def test_a_bug_in_the_source_is_exit_4(
    tmp_path: Path,
    tracker: Tracker,
    fake: Any,
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
    on_error: str,
) -> None:
    """A KeyError raised while mapping an item is a bug, not a failed tracker: exit 4 with
    the one-line internal error (the traceback, into the source, under --debug), also under
    --on-error warn."""
    tracker.populate(fake)
    held = [*tracker.own_secrets.values(), CANARIES["GITHUB_TOKEN"]]
    plant_bug(monkeypatch, held, target=tracker.bug_target, error=KeyError)
    run = run_check(tmp_path, tracker, fake, "--on-error", on_error, debug=debug)
    assert_internal_error(run, debug=debug, error=KeyError)
    if debug:
        module = tracker.bug_target.rsplit(".", 1)[0].replace(".", "/")
        assert f"{module}.py" in run.stderr, run.stderr
    assert "NOT VERIFIED" not in run.output
    tracker.assert_no_leak(run, fake)


MALFORMED = [
    pytest.param(tracker, case, id=f"{tracker!r}-{case}")
    for tracker in TRACKERS
    for case in sorted(tracker.malformed)
]


@pytest.mark.parametrize(("tracker", "case"), MALFORMED)
def test_malformed_answers_fail_with_one_clear_line(
    tmp_path: Path, tracker: Tracker, fake: Any, case: str
) -> None:
    """An answer of the vendor's shape, spoiled one way (a field of the wrong type, a login
    page, cut-short JSON, a page that leads back to itself): exit 3 with one line saying
    what was wrong."""
    tracker.populate(fake)
    applies, mutate, expected = tracker.malformed[case]
    mutate_answers(fake, applies, mutate)
    run = run_check(tmp_path, tracker, fake)
    assert_one_clear_line(run, tracker, expected)
    tracker.assert_no_leak(run, fake)


REFUSALS = [
    pytest.param(tracker, code, expected, id=f"{tracker!r}-{code}")
    for tracker in TRACKERS
    for code, expected in tracker.refusals
]


@pytest.mark.parametrize(("tracker", "code", "expected"), REFUSALS)
def test_the_token_never_leaks(
    tmp_path: Path, tracker: Tracker, fake: Any, fake_clock: FakeClock, code: int, expected: str
) -> None:
    """Refusals whose body echoes the token (and a runner command) carry neither into any
    output, under --debug too."""
    fake_clock.drive(fake)
    tracker.populate(fake)
    fake.faults.add(tracker.first_path, status=code, times=None, body=tracker.echo(code))
    run = run_check(tmp_path, tracker, fake, debug=True)
    assert_one_clear_line(run, tracker, expected)
    tracker.assert_no_leak(run, fake)
    assert all(form not in run.everything for form in canary_forms(tracker.token))
    assert_no_runner_command(run)


def test_a_token_pasted_into_an_item_is_not_repeated(
    tmp_path: Path, tracker: Tracker, fake: Any
) -> None:
    """Someone pasted the token (and for Jira email:token) into the overdue item and what
    holds it: the item is shown with them taken out, in every output."""
    tracker.populate(fake, "token was " + " or ".join(tracker.own_secrets.values()))
    run = run_check(tmp_path, tracker, fake)
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert "token was" in run.stdout
    tracker.assert_no_leak(run, fake)
    assert_no_runner_command(run)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_titles_never_become_runner_commands(
    tmp_path: Path, tracker: Tracker, fake: Any, text: str
) -> None:
    """Titles that would be runner commands, terminal escapes or live HTML if printed as they
    are: none reaches the runner, the terminal (stdout included) or the summary."""
    tracker.populate(fake, text)
    run = run_check(tmp_path, tracker, fake)
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert_no_hostile_text_reached_the_runner(run)
    assert "\x1b" not in run.stdout
    tracker.assert_no_leak(run, fake)


def test_a_markdown_title_is_inert(tmp_path: Path, tracker: Tracker, fake: Any) -> None:
    """A title that would ping, embed and link: shown as text in the job summary and the
    Markdown report, live in neither."""
    tracker.populate(fake, HOSTILE_MARKDOWN)
    tracker.markdown_ready(fake)
    run = run_check(tmp_path, tracker, fake)
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    tracker.assert_no_leak(run, fake)


def test_a_redirect_to_another_host_is_refused(tmp_path: Path, tracker: Tracker, fake: Any) -> None:
    """A listing answers a redirect to 127.0.0.2, whose empty answer would leave the item
    unread: that host receives nothing and the tracker fails (exit 3) naming the refusal."""
    tracker.populate(fake)
    with other_host(tracker.empty_page) as other:
        redirect(fake, lambda r: tracker.listing in r.path, other.url,
                 status=tracker.redirect_status)  # fmt: skip
        run = run_check(tmp_path, tracker, fake)
    refusal = f"was redirected ({tracker.redirect_status}) to {other.url}; refused"
    assert_one_clear_line(run, tracker, refusal)
    assert other.requests == []
    tracker.assert_no_leak(run, fake)
