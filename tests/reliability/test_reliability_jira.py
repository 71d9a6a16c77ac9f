"""The reliability cases for the Jira tracker: storms, junk headers, hung servers, bad data, leaks.

The local store supplies the deployments and a postmortem naming ``OPS-1``;
Jira (the fake, or a misbehaving server) supplies the items. Each case
asserts the documented outcome: an exit code from the table, one clear
error naming Jira, no traceback, and no spelling of the Jira token (or of
``email:token``, whose base64 is the Basic auth header) in any output.

- case 7 (5xx storm) -> test_a_5xx_storm_is_bounded_and_not_verified,
  test_a_5xx_storm_under_on_error_warn_exits_0_not_verified
- case 8 (rate limits) -> test_a_rate_limit_with_atlassians_headers_is_waited_out,
  test_a_rate_limit_an_hour_away_fails_at_once_naming_the_reset
- case 9 (Retry-After junk) -> test_junk_retry_after_never_crashes
- case 10 (hung and slow servers) -> test_a_hung_or_dripping_jira_stops_at_the_deadline, and
  on the wall clock test_canary_a_real_run_against_a_dripping_jira_ends_by_itself
- case 12 (malformed payloads) -> test_malformed_answers_fail_jira_with_one_clear_line
- case 13 (canaries) -> test_the_jira_token_never_leaks, and assert_no_jira_leak on every run
- case 14 (unreachable) -> test_an_unreachable_jira_is_not_verified
- a bug in the tracker is exit 4, not 3 -> test_a_bug_in_the_tracker_is_exit_4
- untrusted text -> test_hostile_jira_summaries_never_become_runner_commands,
  test_a_markdown_jira_summary_is_inert, test_a_token_pasted_into_a_jira_issue_is_not_repeated
- redirects -> test_a_redirect_to_another_host_is_refused,
  test_a_redirect_on_the_same_host_is_followed
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.github import Response
from fakes.jira import FakeJira, _make_token, rate_limit_headers
from fakes.worlds import at
from reliability.helpers import (
    CANARIES,
    DEADLINE,
    DEADLINE_SECONDS,
    HOSTILE_MARKDOWN,
    HOSTILE_TEXTS,
    Launch,
    RawServer,
    Run,
    assert_inert_markdown,
    assert_internal_error,
    assert_no_hostile_text_reached_the_runner,
    assert_not_verified,
    assert_secrets_kept,
    assert_source_failed,
    canary_forms,
    check,
    clean_env,
    closed_port,
    foreign_commands,
    leaks,
    mutate_answers,
    other_host,
    plant_bug,
    raw_body,
    redirect,
    runner_views,
    source_status,
)

JIRA_EMAIL = "sre+canary@acme.test"
JIRA_TOKEN = 'ATATT3x-CANARYjira+9Kq/"w4=Zc62'
JIRA_SECRETS = {
    **CANARIES,
    "JIRA_API_TOKEN": JIRA_TOKEN,
    "email:token": f"{JIRA_EMAIL}:{JIRA_TOKEN}",
}
POSTMORTEM = (
    '+++\nservice = "checkout"\ndate = {date}\ndeployments = ["d1"]\njira = ["OPS-1"]\n+++\n'
    "# Checkout 500s\n\n## Action items\n- [ ] OPS-2 validate config\n"
)
ONLY_JIRA_ITEMS = POSTMORTEM.split("## Action items")[0]
"""The same postmortem without its task list: every item comes from Jira, so a Jira that
fails leaves no local finding beside the NOT VERIFIED annotation."""


def project(
    tmp_path: Path, jira_url: str, *, deadline: str = DEADLINE, postmortem: str = POSTMORTEM
) -> Path:
    """A local project whose postmortem names OPS-1 and OPS-2, reading Jira at ``jira_url``."""
    (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)
    written = at(20).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "postmortems" / "checkout.md").write_text(
        postmortem.format(date=written), encoding="utf-8"
    )
    failed = at(21).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "deployments.jsonl").write_text(
        json.dumps({"id": "d1", "service": "checkout", "environment": "production",
                    "status": "failure", "created_at": failed}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["local", "jira"]\n[local]\npostmortems = "postmortems"\n'
        'history = "deployments.jsonl"\n'
        f'[jira]\nurl = "{jira_url}"\nprojects = ["OPS"]\ndeadline = "{deadline}"\n',
        encoding="utf-8",
    )
    return config


def jira_env() -> dict[str, str | None]:
    return clean_env(
        JIRA_EMAIL=JIRA_EMAIL, JIRA_API_TOKEN=JIRA_TOKEN, GITHUB_TOKEN=CANARIES["GITHUB_TOKEN"]
    )


def populate(
    fake: FakeJira, summary: str = "Alert on the error budget burn", description: str | None = None
) -> None:
    fake.world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    ops = fake.world.project("OPS", components=["checkout"])
    ops.issue(summary, created=at(19), duedate=at(5).date(), labels=["postmortem"],
              components=["checkout"], description=description)  # fmt: skip
    ops.issue("Validate config", created=at(19), status="Done")


def jira_status(run: Run) -> dict[str, Any]:
    return source_status(run, "jira")


def assert_no_jira_leak(run: Run, fake: FakeJira | None = None) -> None:
    """No spelling of the Jira token, of email:token or of its base64, in any output; and
    the fake received the token only in the Authorization header."""
    header = base64.b64encode(f"{JIRA_EMAIL}:{JIRA_TOKEN}".encode()).decode()
    assert header not in run.everything
    assert_secrets_kept(run, JIRA_SECRETS, list(fake.requests) if fake else (), f"Basic {header}")


def assert_one_clear_line(run: Run, *expected: str) -> str:
    return assert_source_failed(run, "jira", *expected)


@pytest.fixture
def jira() -> Iterator[FakeJira]:
    fake = FakeJira()
    with fake:
        yield fake
    fake.check()


def test_a_healthy_jira_gives_the_expected_findings_and_leaks_nothing(
    tmp_path: Path, jira: FakeJira
) -> None:
    """The baseline the other cases break: OPS-1 overdue (exit 1), OPS-2 done in Jira."""
    populate(jira)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    rules = [(f["rule"], (f["action_item"] or {}).get("id")) for f in run.report()["findings"]]
    assert rules == [("overdue-action-item", "OPS-1"), ("reviewed-failure", None)]
    assert_no_jira_leak(run, jira)


def test_a_5xx_storm_is_bounded_and_not_verified(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock
) -> None:
    """Every search answered 502/503: at most five attempts inside the deadline, then exit 3."""
    fake_clock.drive(jira)
    populate(jira)
    jira.faults.add(lambda r: len(jira.requests) % 2 == 1, status=502, times=None)
    jira.faults.add(None, status=503, times=None)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    error = assert_one_clear_line(run, "/rest/api/3/search/jql answered 50")
    assert "tried 5 times" in error or "deadline" in error
    assert 1 < len(jira.requests) <= 5
    assert len(fake_clock.sleeps()) == len(jira.requests) - 1
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_jira_leak(run, jira)


def test_a_rate_limit_with_atlassians_headers_is_waited_out(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock
) -> None:
    """A 429 as Jira Cloud sends it (Retry-After 2, X-RateLimit-Reset to the minute in ISO
    8601, X-RateLimit-Remaining 0): the explicit Retry-After is waited out (and a second
    more) and the check decides (exit 1)."""
    fake_clock.drive(jira)
    populate(jira)
    headers = rate_limit_headers(2, fake_clock.latest_datetime())
    jira.faults.add("/search", status=429, times=1, headers=headers)
    run = check(tmp_path, project(tmp_path, jira.url, deadline="10s"), jira_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in jira.searches()][:2] == [429, 200]
    assert fake_clock.sleeps() == [3.0]
    assert jira_status(run)["ok"] is True
    assert_no_jira_leak(run, jira)


def test_a_rate_limit_an_hour_away_fails_at_once_naming_the_reset(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock
) -> None:
    fake_clock.drive(jira)
    populate(jira)
    headers = rate_limit_headers(3600, fake_clock.latest_datetime())
    jira.faults.add("/search", status=429, times=None, headers=headers)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    reset = datetime.strptime(headers["X-RateLimit-Reset"], "%Y-%m-%dT%H:%MZ")
    assert_one_clear_line(run, f"rate limit exhausted until {reset:%Y-%m-%d %H:%M:%S} UTC")
    assert len(jira.searches()) == 1
    assert fake_clock.waits == []
    assert_no_jira_leak(run, jira)


def test_a_5xx_storm_under_on_error_warn_exits_0_not_verified(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock
) -> None:
    """The same storm with --on-error warn: exit 0, one warning, NOT VERIFIED everywhere."""
    fake_clock.drive(jira)
    populate(jira)
    jira.faults.add(lambda r: len(jira.requests) % 2 == 1, status=502, times=None)
    jira.faults.add(None, status=503, times=None)
    config = project(tmp_path, jira.url, postmortem=ONLY_JIRA_ITEMS)
    run = check(tmp_path, config, jira_env(), "--on-error", "warn")
    run.assert_clean()
    assert_not_verified(run, "warn")
    assert "/rest/api/3/search/jql answered 50" in str(jira_status(run)["error"])
    assert 1 < len(jira.requests) <= 5
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_jira_leak(run, jira)


@pytest.mark.parametrize("on_error", ["fail", "warn"])
def test_an_unreachable_jira_is_not_verified(
    tmp_path: Path, on_error: str, fake_clock: FakeClock
) -> None:
    """Connection refused on every attempt: exit 3, one error annotation and a summary saying
    the gate could not decide; under --on-error warn exit 0, one warning, NOT VERIFIED."""
    with closed_port() as url:
        config = project(tmp_path, url, postmortem=ONLY_JIRA_ITEMS)
        run = check(tmp_path, config, jira_env(), "--on-error", on_error)
    run.assert_clean()
    assert_not_verified(run, on_error)
    error = str(jira_status(run)["error"])
    assert "failed: the connection was refused (nothing listens at that address)" in error
    assert "NOT VERIFIED" in run.files["report.markdown"]
    assert 0 < sum(fake_clock.sleeps()) <= DEADLINE_SECONDS  # it backed off, inside the deadline
    assert_no_jira_leak(run)


@pytest.mark.parametrize(
    ("debug", "on_error"), [(True, "fail"), (False, "fail"), (False, "warn")],
    ids=["debug", "no-debug", "on-error-warn"],
)  # fmt: skip
def test_a_bug_in_the_tracker_is_exit_4(
    tmp_path: Path, jira: FakeJira, monkeypatch: pytest.MonkeyPatch, debug: bool, on_error: str
) -> None:
    """A KeyError raised while reading an item is a bug, not a failed tracker: exit 4 with
    the one-line internal error (the traceback under --debug), also under --on-error warn."""
    populate(jira)
    target = "deploygate.sources.jira.source.action_item"
    held = [JIRA_TOKEN, f"{JIRA_EMAIL}:{JIRA_TOKEN}", CANARIES["GITHUB_TOKEN"]]  # jira_env's
    plant_bug(monkeypatch, held, target=target, error=KeyError)
    config = project(tmp_path, jira.url)
    run = check(tmp_path, config, jira_env(), "--on-error", on_error, debug=debug)
    assert_internal_error(run, debug=debug, error=KeyError)
    if debug:
        assert "deploygate/sources/jira/source.py" in run.stderr, run.stderr
    assert "NOT VERIFIED" not in run.output
    assert_no_jira_leak(run, jira)


@pytest.mark.parametrize(
    ("retry_after", "exit_code"),
    [
        ("soon", 1),
        ("-1", 1),
        ("\u00b2", 1),
        ("Wed, 99 Foo 2026 25:61:61 GMT", 1),
        ("0", 1),
        ("9" * 40, 3),  # a wait past the deadline: refused at once, naming it
    ],
)
def test_junk_retry_after_never_crashes(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock, retry_after: str, exit_code: int
) -> None:
    """A 429 whose Retry-After is junk falls back on Atlassian's X-RateLimit-Reset, which the
    fake writes to the minute (now + 1 s at 12:00:00 is 12:00, already past), and waits the
    extra second; a Retry-After of 0 waits that second too; a huge one fails at once.

    On the wall clock this once exited 3: the second's wait must fit in what is left of
    the 2 s deadline counted from when the tracker was built, and on a busy machine the
    first answer came more than a second later."""
    fake_clock.drive(jira)
    populate(jira)
    jira.faults.add("/search", status=429, times=1, headers={"Retry-After": retry_after},
                    body={"errorMessages": ["Rate limit exceeded."]})  # fmt: skip
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == exit_code, run.output
    if exit_code == 3:
        assert "deadline" in str(jira_status(run)["error"])
    assert fake_clock.sleeps() == ([1.0] if exit_code == 1 else [])
    assert_no_jira_leak(run, jira)


def test_a_reset_in_the_last_second_of_a_minute_is_waited_out(
    tmp_path: Path, jira: FakeJira, fake_clock: FakeClock
) -> None:
    """The 429 comes at 12:00:59.5 with junk Retry-After: the reset, written to the minute,
    is 12:01, so the wait is half a second more than usual (1.5 s), and it still fits the 2 s
    deadline (exit 1). On the wall clock this was the rarer half of the flake above."""
    fake_clock.start = datetime(2026, 11, 20, 12, 0, 59, 500000, tzinfo=timezone.utc)
    fake_clock.drive(jira)
    populate(jira)
    jira.faults.add("/search", status=429, times=1, headers={"Retry-After": "soon"})
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.response_headers.get("X-RateLimit-Reset") for r in jira.searches()][:1] == [
        "2026-11-20T12:01Z"
    ]
    assert fake_clock.sleeps() == [1.5]
    assert_no_jira_leak(run, jira)


@pytest.mark.parametrize("mode", ["hang", "drip", "drop"])
def test_a_hung_or_dripping_jira_stops_at_the_deadline(
    tmp_path: Path, fake_clock: FakeClock, mode: str
) -> None:
    """A Jira that never answers, drips a byte a second, or drops mid-body: exit 3 by the
    deadline, naming the request and why. On virtual time an attempt at a server that never
    finishes its answer (hang, drip) has used up the deadline once it has run 0.3 real
    seconds; the canary below waits for real. A dropped answer ends by itself, so it gets
    the default patience."""
    if mode != "drop":
        fake_clock.patience = 0.3
    with RawServer(mode) as server:
        run = check(tmp_path, project(tmp_path, server.url), jira_env())
    error = assert_one_clear_line(run, "/rest/api/3/search/jql")
    dropped = "failed: the connection closed before the answer was complete"
    assert ("timed out" if mode != "drop" else dropped) in error
    assert "waiting 0 s" not in error
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert_no_jira_leak(run)
    for request in server.requests:
        assert not leaks(request.decode("latin-1").split("\r\nauthorization:", 1)[0].lower())


def test_canary_a_real_run_against_a_dripping_jira_ends_by_itself(tmp_path: Path) -> None:
    """Wall-clock canary: ``python -m deploygate`` against a Jira that drips a byte a second
    ends by itself at its 2 s deadline (the attempt's thread is abandoned, and does not
    keep the process alive), with exit 3. The 60 s kill is a hang detector, not a timing
    assertion."""
    with RawServer("drip") as server:
        launch = Launch(tmp_path, project(tmp_path, server.url), jira_env(), limit=60.0)
        run = launch.wait()
    assert run.exit_code == 3, (run.exit_code, run.output)
    assert "timed out" in assert_one_clear_line(run, "/rest/api/3/search/jql")
    assert_no_jira_leak(run)


def _set_fields(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Response], None]:
    def apply(response: Response) -> None:
        for issue in response.body["issues"]:
            mutate(issue["fields"])

    return apply


def _same_page_again(response: Response) -> None:
    """A token that the fake accepts and that leads back to the first page, for ever."""
    response.body.update(isLast=False, nextPageToken=_make_token(0, _DEFAULT_QUERY))


_DEFAULT_QUERY = (
    'project in ("OPS") AND labels = "postmortem" '
    'AND (component = "checkout" OR labels = "service:checkout")'
)

MALFORMED: dict[str, tuple[Callable[[Response], None], str]] = {
    "issues not a list": (lambda r: r.body.update(issues={"OPS-1": {}}), "without an issues list"),
    "issue without fields": (lambda r: r.body["issues"][0].pop("fields"), "without fields"),
    "issue without key": (lambda r: r.body["issues"][0].update(key=None), "without a key"),
    "junk created": (_set_fields(lambda f: f.update(created="yesterday")), "bad created time"),
    "no status category": (
        _set_fields(lambda f: f["status"].pop("statusCategory")),
        "without a status category",
    ),
    "junk due date": (_set_fields(lambda f: f.update(duedate="2026-02-31")), "not a date"),
    "due date a number": (_set_fields(lambda f: f.update(duedate=20261021)), "not a date"),
    "resolution time a number": (
        _set_fields(lambda f: f.update(resolutiondate=20261021)),
        "bad resolution time",
    ),
    "summary not text": (_set_fields(lambda f: f.update(summary=["x"])), "without a summary"),
    "html login page": (raw_body(b"<html><body>Log in</body></html>"), "not JSON"),
    "truncated json": (raw_body(b'{"issues": [{"key": "OPS-1", "fie'), "not JSON"),
    "a list, not an object": (raw_body(b"[]"), "unexpected shape"),
    "repeated page token": (_same_page_again, "repeated nextPageToken"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_answers_fail_jira_with_one_clear_line(
    tmp_path: Path, jira: FakeJira, case: str
) -> None:
    populate(jira)
    mutate, expected = MALFORMED[case]
    mutate_answers(jira, lambda r: "project in" in r.query.get("jql", ""), mutate)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    assert_one_clear_line(run, expected)
    assert_no_jira_leak(run, jira)


def test_data_center_without_a_total_fails_clearly(tmp_path: Path) -> None:
    fake = FakeJira(flavour="data-center")
    pat = JIRA_TOKEN
    fake.world.personal_token(pat)
    fake.world.project("OPS", components=["checkout"])
    with fake:
        mutate_answers(fake, lambda r: True, lambda r: r.body.pop("total"))
        env = jira_env() | {"JIRA_EMAIL": None}
        run = check(tmp_path, project(tmp_path, fake.url), env)
    assert_one_clear_line(run, "without a total")
    assert not leaks(run.everything, JIRA_SECRETS)


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, b"Client must be authenticated", "Jira rejected the credentials (401)"),
        (403, None, "(403); the account needs Browse projects"),
        (404, b"<html>nope</html>", "no search API at"),
    ],
)
def test_the_jira_token_never_leaks(
    tmp_path: Path, jira: FakeJira, status: int, body: bytes | None, expected: str
) -> None:
    """Refusals that echo what was sent must not carry the token into any output."""
    populate(jira)
    echo = f"{JIRA_TOKEN} {JIRA_EMAIL}:{JIRA_TOKEN} ".encode() + (body or b"")
    jira.faults.add("/search", status=status, times=None, body=echo)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env(), debug=True)
    assert_one_clear_line(run, expected)
    assert_no_jira_leak(run, jira)
    assert all(form not in run.everything for form in canary_forms(JIRA_TOKEN))


def test_a_400_that_echoes_the_token_is_redacted(tmp_path: Path, jira: FakeJira) -> None:
    populate(jira)
    echo = {"errorMessages": [f"bad query near {JIRA_TOKEN}\n::error::owned"], "errors": {}}
    jira.faults.add("/search", status=400, times=None, body=echo)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    error = assert_one_clear_line(run, "Jira refused the [jira] jql query")
    assert "\\x0a::error::owned" in error
    assert_no_jira_leak(run, jira)
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []


@pytest.mark.parametrize("summary", HOSTILE_TEXTS)
def test_hostile_jira_summaries_never_become_runner_commands(
    tmp_path: Path, jira: FakeJira, summary: str
) -> None:
    populate(jira, summary=summary, description=summary)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == 1
    assert_no_hostile_text_reached_the_runner(run)
    assert_no_jira_leak(run, jira)


def test_hostile_jira_summaries_reach_no_annotation_raw(tmp_path: Path, jira: FakeJira) -> None:
    populate(jira, summary="\x1b]8;;https://evil.test\x07click\x1b]8;;\x07")
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    assert run.exit_code == 1
    assert "\x1b" not in run.stdout


def test_a_redirect_to_another_host_is_refused(tmp_path: Path, jira: FakeJira) -> None:
    """The search answers 302 to 127.0.0.2, whose empty answer would leave OPS-1 unread: that
    host receives nothing and Jira fails (exit 3) naming the refusal."""
    populate(jira)
    with other_host(b'{"issues": [], "isLast": true}') as other:
        redirect(jira, lambda r: "/search" in r.path, other.url)
        run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    assert_one_clear_line(run, f"was redirected (302) to {other.url}; refused")
    assert other.requests == []
    assert_no_jira_leak(run, jira)


def test_a_redirect_on_the_same_host_is_followed(tmp_path: Path, jira: FakeJira) -> None:
    populate(jira)
    redirect(jira, lambda r: "/search" in r.path, jira.url, status=301)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in jira.searches()][:2] == [301, 200]
    assert_no_jira_leak(run, jira)


def test_a_markdown_jira_summary_is_inert(tmp_path: Path, jira: FakeJira) -> None:
    """A summary that would ping, embed and link: shown as text in the job summary and the
    Markdown report, live in neither."""
    populate(jira, summary=HOSTILE_MARKDOWN, description=HOSTILE_MARKDOWN)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    assert_no_jira_leak(run, jira)


def test_a_token_pasted_into_a_jira_issue_is_not_repeated(tmp_path: Path, jira: FakeJira) -> None:
    """Someone pasted the Jira token, and email:token, into the overdue item's summary and
    description: the item is shown with them taken out, in every output."""
    pasted = f"token was {JIRA_TOKEN} or {JIRA_EMAIL}:{JIRA_TOKEN}"
    populate(jira, summary=pasted, description=pasted)
    run = check(tmp_path, project(tmp_path, jira.url), jira_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert "token was" in run.stdout
    assert_no_jira_leak(run, jira)
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []
