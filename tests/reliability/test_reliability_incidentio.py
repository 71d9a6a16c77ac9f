"""The reliability cases for the incident.io source: storms, junk headers, hung servers, bad
data, leaks, hostile text and size.

The local store supplies a failed deployment ``d1``; incident.io (the fake,
or a misbehaving server) supplies the incident that reviews it and its
follow-ups. Each case asserts the documented outcome: an exit code from the
table, one clear error naming incident.io, no traceback, and no spelling of
the API key in any output or in any request but its Authorization header.

- case 1 (injection) -> test_hostile_follow_up_titles_never_become_runner_commands
- case 3 (Markdown) -> test_a_markdown_incident_name_and_follow_up_title_are_inert
- case 5 (size) -> test_thousands_of_follow_ups_keep_the_summary_under_its_limit
- case 7 (5xx storm) -> test_a_5xx_storm_is_bounded_and_not_verified
- case 8 (rate limits) -> test_a_429_is_waited_out_for_its_retry_after,
  test_a_429_an_hour_away_fails_at_once
- case 9 (Retry-After junk) -> test_junk_retry_after_never_crashes
- case 10 (hung and slow servers) -> test_a_hung_or_dripping_incidentio_stops_at_the_deadline
- case 11 (pagination, redirects) -> test_a_redirect_to_another_host_is_refused, and the
  repeated cursor of test_malformed_answers_fail_with_one_clear_line
- case 12 (malformed payloads) -> test_malformed_answers_fail_with_one_clear_line
- case 13 (canaries) -> test_the_api_key_never_leaks,
  test_a_key_pasted_into_a_follow_up_is_not_repeated, and assert_no_key_leak on every run
- case 14 (unreachable) -> test_an_unreachable_incidentio_is_not_verified
- a bug in the source is exit 4, not 3 -> test_a_bug_in_the_source_is_exit_4
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.incidentio import FakeIncidentIo, IncidentIoWorld
from fakes.server import Response
from fakes.worlds import at
from reliability.helpers import (
    CANARIES,
    DEADLINE,
    DEADLINE_SECONDS,
    HOSTILE_MARKDOWN,
    RawServer,
    Run,
    assert_inert_markdown,
    assert_internal_error,
    assert_not_verified,
    assert_secrets_kept,
    assert_source_failed,
    canary_forms,
    check,
    clean_env,
    closed_port,
    foreign_commands,
    mutate_answers,
    other_host,
    plant_bug,
    redirect,
    runner_views,
    source_status,
)

KEY = 'inc_live_CANARYio+5Gh/"p8=Tq41'
SECRETS = {**CANARIES, "INCIDENT_IO_API_KEY": KEY}
OVERDUE = "Alert on the payment error budget burn"


def project(
    tmp_path: Path, url: str, *, deadline: str = DEADLINE, outcome: str = "failure"
) -> Path:
    """A local store holding the failed deployment d1, reading incident.io at ``url``; with
    ``outcome`` "success" nothing is left for the other source to say when incident.io
    fails."""
    (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)
    failed = at(36).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "deployments.jsonl").write_text(
        json.dumps(
            {
                "id": "d1",
                "service": "checkout",
                "environment": "production",
                "status": outcome,
                "created_at": failed,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["local", "incident-io"]\n[local]\npostmortems = "postmortems"\n'
        f'history = "deployments.jsonl"\n[incident-io]\nurl = "{url}"\ndeadline = "{deadline}"\n',
        encoding="utf-8",
    )
    return config


def env() -> dict[str, str | None]:
    return clean_env(INCIDENT_IO_API_KEY=KEY, GITHUB_TOKEN=CANARIES["GITHUB_TOKEN"])


def populate(world: IncidentIoWorld, title: str = OVERDUE, name: str = "Checkout 500s") -> None:
    world.api_key(KEY)
    checkout = world.services.entry("checkout")
    incident = world.incident(
        name,
        summary="Deployment d1 failed in production.",
        created_at=at(35),
        services=[checkout],
        postmortem=True,
    )
    incident.follow_up(title, created_at=at(35))
    incident.follow_up("Validate config", status="completed", created_at=at(35))


def status(run: Run) -> dict[str, Any]:
    return source_status(run, "incident-io")


def assert_no_key_leak(run: Run, fake: FakeIncidentIo | None = None) -> None:
    """No spelling of the key in any output; the fake got it only as the bearer token."""
    assert_secrets_kept(run, SECRETS, list(fake.requests) if fake else (), f"Bearer {KEY}")


def assert_one_clear_line(run: Run, *expected: str) -> str:
    return assert_source_failed(run, "incident-io", *expected)


@pytest.fixture
def fake() -> Iterator[FakeIncidentIo]:
    served = FakeIncidentIo()
    with served:
        yield served
    served.check()


def test_a_healthy_incidentio_gives_the_expected_findings_and_leaks_nothing(
    tmp_path: Path, fake: FakeIncidentIo
) -> None:
    """The baseline the other cases break: the item is overdue (exit 1), d1 reviewed."""
    populate(fake.world)
    run = check(tmp_path, project(tmp_path, fake.url), env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    rules = [(f["rule"], (f["action_item"] or {}).get("title")) for f in run.report()["findings"]]
    assert rules == [("overdue-action-item", OVERDUE), ("reviewed-failure", None)]
    assert_no_key_leak(run, fake)


def test_a_5xx_storm_is_bounded_and_not_verified(
    tmp_path: Path, fake: FakeIncidentIo, fake_clock: FakeClock
) -> None:
    fake_clock.drive(fake)
    populate(fake.world)
    fake.faults.add(lambda r: len(fake.requests) % 2 == 1, status=502, times=None)
    fake.faults.add(None, status=503, times=None)
    run = check(tmp_path, project(tmp_path, fake.url), env())
    error = assert_one_clear_line(run, "/v2/custom_fields answered 50")
    assert "tried 5 times" in error or "deadline" in error
    assert 1 < len(fake.requests) <= 5
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_key_leak(run, fake)


def test_a_429_is_waited_out_for_its_retry_after(
    tmp_path: Path, fake: FakeIncidentIo, fake_clock: FakeClock
) -> None:
    fake_clock.drive(fake)
    populate(fake.world)
    fake.faults.add("/v2/incidents", status=429, times=1)  # Retry-After: 1
    run = check(tmp_path, project(tmp_path, fake.url, deadline="10s"), env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in fake.requests_to("/v2/incidents")] == [429, 200]
    assert fake_clock.sleeps() == [2.0]
    assert_no_key_leak(run, fake)


def test_a_429_an_hour_away_fails_at_once(
    tmp_path: Path, fake: FakeIncidentIo, fake_clock: FakeClock
) -> None:
    fake_clock.drive(fake)
    populate(fake.world)
    fake.faults.add("/v2/incidents", status=429, times=None, headers={"Retry-After": "3600"})
    run = check(tmp_path, project(tmp_path, fake.url), env())
    assert_one_clear_line(run, "asked to retry after 3600 s", "would pass the 2 s deadline")
    assert len(fake.requests_to("/v2/incidents")) == 1
    assert fake_clock.waits == []
    assert_no_key_leak(run, fake)


@pytest.mark.parametrize(
    ("retry_after", "exit_code"),
    [
        ("soon", 1),
        ("-1", 1),
        ("\u00b2", 1),
        ("Wed, 99 Foo 2026 25:61:61 GMT", 1),
        ("0", 1),
        ("9" * 40, 3),
    ],
)
def test_junk_retry_after_never_crashes(
    tmp_path: Path, fake: FakeIncidentIo, fake_clock: FakeClock, retry_after: str, exit_code: int
) -> None:
    """Junk is no hint: the 429 is backed off like any retry; a huge wait fails at once."""
    fake_clock.drive(fake)
    populate(fake.world)
    fake.faults.add("/v3/follow_ups", status=429, times=1, headers={"Retry-After": retry_after})
    run = check(tmp_path, project(tmp_path, fake.url), env())
    run.assert_clean()
    assert run.exit_code == exit_code, run.output
    if exit_code == 3:
        assert "deadline" in str(status(run)["error"])
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_key_leak(run, fake)


@pytest.mark.parametrize("mode", ["hang", "drip", "drop"])
def test_a_hung_or_dripping_incidentio_stops_at_the_deadline(
    tmp_path: Path, fake_clock: FakeClock, mode: str
) -> None:
    if mode != "drop":
        fake_clock.patience = 0.3
    with RawServer(mode) as server:
        run = check(tmp_path, project(tmp_path, server.url), env())
    error = assert_one_clear_line(run, "/v2/custom_fields")
    dropped = "failed: the connection closed before the answer was complete"
    assert ("timed out" if mode != "drop" else dropped) in error
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert_no_key_leak(run)


@pytest.mark.parametrize("on_error", ["fail", "warn"])
def test_an_unreachable_incidentio_is_not_verified(
    tmp_path: Path, on_error: str, fake_clock: FakeClock
) -> None:
    with closed_port() as url:
        config = project(tmp_path, url, outcome="success")
        run = check(tmp_path, config, env(), "--on-error", on_error)
    run.assert_clean()
    assert_not_verified(run, on_error)
    assert "the connection was refused" in str(status(run)["error"])
    assert 0 < sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_key_leak(run)


@pytest.mark.parametrize(
    ("debug", "on_error"),
    [(True, "fail"), (False, "fail"), (False, "warn")],
    ids=["debug", "no-debug", "on-error-warn"],
)
def test_a_bug_in_the_source_is_exit_4(
    tmp_path: Path,
    fake: FakeIncidentIo,
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
    on_error: str,
) -> None:
    populate(fake.world)
    plant_bug(
        monkeypatch,
        [KEY, CANARIES["GITHUB_TOKEN"]],
        target="deploygate.sources.incidentio.source._team_label",
        error=KeyError,
    )
    run = check(tmp_path, project(tmp_path, fake.url), env(), "--on-error", on_error, debug=debug)
    assert_internal_error(run, debug=debug, error=KeyError)
    assert "NOT VERIFIED" not in run.output
    assert_no_key_leak(run, fake)


def _on_each(key: str, mutate: Callable[[dict[str, Any]], None]) -> Callable[[Response], None]:
    def apply(response: Response) -> None:
        for record in response.body[key]:
            mutate(record)

    return apply


def _raw(payload: bytes) -> Callable[[Response], None]:
    def apply(response: Response) -> None:
        response.raw = payload

    return apply


def _cursor_to_itself(response: Response) -> None:
    response.body["pagination_meta"]["after"] = "01JAAAAAAAAAAAAAAAAAAAAAAA"


MALFORMED: dict[str, tuple[str, Callable[[Response], None], str]] = {
    "incidents not a list": (
        "/v2/incidents",
        lambda r: r.body.update(incidents={}),
        "without a incidents list",
    ),
    "incident without a reference": (
        "/v2/incidents",
        _on_each("incidents", lambda i: i.pop("reference")),
        "with a bad reference",
    ),
    "junk created_at": (
        "/v2/incidents",
        _on_each("incidents", lambda i: i.update(created_at="yesterday")),
        "with a bad created_at",
    ),
    "created_at a number": (
        "/v2/incidents",
        _on_each("incidents", lambda i: i.update(created_at=20261021)),
        "with a bad created_at",
    ),
    "status without a category": (
        "/v2/incidents",
        _on_each("incidents", lambda i: i["incident_status"].pop("category")),
        "without a status category",
    ),
    "custom field values not a list": (
        "/v2/incidents",
        _on_each("incidents", lambda i: i["custom_field_entries"][0].update(values="checkout")),
        "without a list of values",
    ),
    "follow-up title not text": (
        "/v3/follow_ups",
        _on_each("follow_ups", lambda f: f.update(title=["x"])),
        "with a bad title",
    ),
    "follow-up status null": (
        "/v3/follow_ups",
        _on_each("follow_ups", lambda f: f.update(status=None)),
        "with a bad status",
    ),
    "junk completed_at": (
        "/v3/follow_ups",
        _on_each("follow_ups", lambda f: f.update(completed_at="soon")),
        "with a bad completed_at",
    ),
    "external issue without a name": (
        "/v3/follow_ups",
        _on_each("follow_ups", lambda f: f.update(external_issue_reference={"provider": "jira"})),
        "external issue with a bad issue_name",
    ),
    "html login page": ("/v2/custom_fields", _raw(b"<html><body>Log in</body></html>"), "not JSON"),
    "truncated json": ("/v2/incidents", _raw(b'{"incidents": [{"id": "01J'), "not JSON"),
    "a list, not an object": ("/v3/follow_ups", _raw(b"[]"), "unexpected shape"),
    "repeated cursor": ("/v3/follow_ups", _cursor_to_itself, "repeated cursor"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_answers_fail_with_one_clear_line(
    tmp_path: Path, fake: FakeIncidentIo, case: str
) -> None:
    populate(fake.world)
    path, mutate, expected = MALFORMED[case]
    mutate_answers(fake, lambda r: r.path == path, mutate)  # type: ignore[arg-type]
    run = check(tmp_path, project(tmp_path, fake.url), env())
    assert_one_clear_line(run, expected)
    assert_no_key_leak(run, fake)


@pytest.mark.parametrize(
    ("status_code", "expected"),
    [
        (401, "rejected the API key (401); check INCIDENT_IO_API_KEY"),
        (403, "(403: "),
        (404, "no such API at"),
    ],
)
def test_the_api_key_never_leaks(
    tmp_path: Path, fake: FakeIncidentIo, status_code: int, expected: str
) -> None:
    """Refusals that echo the key must not carry it into any output."""
    populate(fake.world)
    echo = {
        "type": "x",
        "status": status_code,
        "request_id": "r",
        "errors": [{"code": "x", "message": f"bad key {KEY}\n::error::owned"}],
    }
    fake.faults.add("/v2/custom_fields", status=status_code, times=None, body=echo)
    run = check(tmp_path, project(tmp_path, fake.url), env(), debug=True)
    assert_one_clear_line(run, expected)
    assert_no_key_leak(run, fake)
    assert all(form not in run.everything for form in canary_forms(KEY))
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []


@pytest.mark.parametrize(
    "title",
    [
        "x\n::error::owned",
        "::error::forged\n::stop-commands::x",
        "\x1b]8;;https://evil.test\x07click\x1b]8;;\x07",
        "##[error]legacy forged",
        "</details><script>alert(1)</script>",
    ],
)
def test_hostile_follow_up_titles_never_become_runner_commands(
    tmp_path: Path, fake: FakeIncidentIo, title: str
) -> None:
    populate(fake.world, title=title, name=title)
    run = check(tmp_path, project(tmp_path, fake.url), env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []
    assert "\x1b" not in run.stderr
    assert "\x1b" not in run.files["report.text"]
    assert "<script>" not in run.files["summary"]
    assert_no_key_leak(run, fake)


def test_a_markdown_incident_name_and_follow_up_title_are_inert(
    tmp_path: Path, fake: FakeIncidentIo
) -> None:
    populate(fake.world, title=HOSTILE_MARKDOWN, name=HOSTILE_MARKDOWN)
    run = check(tmp_path, project(tmp_path, fake.url), env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    assert_no_key_leak(run, fake)


def test_a_key_pasted_into_a_follow_up_is_not_repeated(
    tmp_path: Path, fake: FakeIncidentIo
) -> None:
    populate(fake.world, title=f"key was {KEY}", name=f"Checkout 500s, key {KEY}")
    run = check(tmp_path, project(tmp_path, fake.url), env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert "key was" in run.stdout
    assert_no_key_leak(run, fake)


def test_a_redirect_to_another_host_is_refused(tmp_path: Path, fake: FakeIncidentIo) -> None:
    populate(fake.world)
    with other_host(b'{"incidents": [], "pagination_meta": {"page_size": 250}}') as other:
        redirect(fake, lambda r: r.path == "/v2/incidents", other.url)
        run = check(tmp_path, project(tmp_path, fake.url), env())
    assert_one_clear_line(run, f"was redirected (302) to {other.url}; refused")
    assert other.requests == []
    assert_no_key_leak(run, fake)


def test_thousands_of_follow_ups_keep_the_summary_under_its_limit(
    tmp_path: Path, fake: FakeIncidentIo
) -> None:
    """2,000 open follow-ups with long titles, on 20 pages: every one read, and the job
    summary and the annotations stay within what GitHub accepts (1 MiB, 10 + 10)."""
    populate(fake.world)
    incident = fake.world.incidents[0]
    for n in range(2000):
        incident.follow_up(f"Lesson {n:04d} " + "x" * 500, created_at=at(35))
    run = check(tmp_path, project(tmp_path, fake.url, deadline="30s"), env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert run.report()["summary"]["open_action_items"] == 2001
    assert len(fake.requests_to("/v3/follow_ups")) == 21
    assert len(run.files["summary"].encode()) < 1024 * 1024
    assert_no_key_leak(run, fake)
