"""The reliability cases for the Rootly source: storms, rate limits, hung servers, bad data,
hostile text, size and leaks.

The local store supplies the deployments (d1 failed 21 days ago); Rootly
(the fake, or a misbehaving server) supplies an incident naming d1 with an
overdue follow-up. Each case asserts the documented outcome: an exit code
from the table, one clear error naming Rootly, no traceback, and no spelling
of the Rootly API key in any output nor anywhere but the Authorization
header of what was sent.

- case 1 (command injection) -> test_hostile_rootly_text_never_becomes_runner_commands
- case 3 (Markdown) -> test_a_markdown_rootly_title_is_inert
- case 5 (size) -> test_a_thousand_one_kilobyte_items_fit_every_limit
- case 7 (5xx storm) -> test_a_5xx_storm_is_bounded_and_not_verified
- case 8 (rate limits) -> test_a_429_with_retry_after_is_waited_out,
  test_a_429_an_hour_away_fails_at_once
- case 9 (Retry-After junk) -> test_junk_retry_after_never_crashes
- case 10 (hung and slow servers) -> test_a_hung_or_dripping_rootly_stops_at_the_deadline
- case 11 (pagination and redirects) -> test_a_next_page_on_another_host_is_never_sent_the_token,
  test_a_redirect_to_another_host_is_refused
- case 12 (malformed payloads) -> test_malformed_answers_fail_rootly_with_one_clear_line
- case 13 (canaries) -> test_the_rootly_token_never_leaks,
  test_a_token_pasted_into_a_rootly_item_is_not_repeated, and assert_no_rootly_leak on every run
- case 14 (unreachable) -> test_an_unreachable_rootly_is_not_verified
- a bug in the source is exit 4, not 3 -> test_a_bug_in_the_rootly_source_is_exit_4
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.rootly import FakeRootly, rate_limit_headers
from fakes.server import Response
from fakes.worlds import NOW, at
from reliability.helpers import (
    CANARIES,
    DEADLINE,
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
    clean_env,
    closed_port,
    foreign_commands,
    leaks,
    mutate_answers,
    other_host,
    plant_bug,
    redirect,
    runner_commands,
    runner_views,
    source_status,
)

ROOTLY_TOKEN = 'rootly_CANARY+9Kq/"w4=Zc62rootly'
ROOTLY_SECRETS = {**CANARIES, "ROOTLY_API_TOKEN": ROOTLY_TOKEN}
OVERDUE = "Alert on the payment error budget burn rate"
LISTING = "/v1/incidents"


def project(
    tmp_path: Path, rootly_url: str, *, deadline: str = DEADLINE, status: str = "failure"
) -> Path:
    """A local store with one deployment, d1, failed unless ``status`` says otherwise (a
    success leaves no local finding beside a failed Rootly's NOT VERIFIED); the postmortems
    are Rootly's."""
    (tmp_path / "postmortems").mkdir(parents=True, exist_ok=True)
    failed = at(21).strftime("%Y-%m-%dT%H:%M:%SZ")
    (tmp_path / "deployments.jsonl").write_text(
        json.dumps({"id": "d1", "service": "checkout", "environment": "production",
                    "status": status, "created_at": failed}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["local", "rootly"]\n[local]\npostmortems = "postmortems"\n'
        f'history = "deployments.jsonl"\n[rootly]\nurl = "{rootly_url}"\n'
        f'deadline = "{deadline}"\n',
        encoding="utf-8",
    )
    return config


def rootly_env() -> dict[str, str | None]:
    return clean_env(ROOTLY_API_TOKEN=ROOTLY_TOKEN, GITHUB_TOKEN=CANARIES["GITHUB_TOKEN"])


def populate(fake: FakeRootly, title: str = "Checkout 500s", item: str = OVERDUE) -> None:
    world = fake.world
    world.api_key(ROOTLY_TOKEN)
    checkout = world.service("checkout", "Checkout")
    incident = world.incident(title, services=[checkout], summary=f"{title}: d1 failed.",
                              created_at=at(20))  # fmt: skip
    incident.action_item(item, description=item, due_date=at(5).date(), created_at=at(20),
                         teams=[world.team("payments")])  # fmt: skip
    incident.action_item("Validate config", status="done", created_at=at(20))


def rootly_status(run: Run) -> dict[str, Any]:
    return source_status(run, "rootly")


def assert_no_rootly_leak(run: Run, fake: FakeRootly | None = None) -> None:
    """No spelling of the Rootly key in any output; the fake received it only as a bearer."""
    found = leaks(run.everything, ROOTLY_SECRETS)
    assert not found, f"secrets in the output: {found}"
    for request in list(fake.requests) if fake else ():
        sent = f"{request.path}?{request.query}\n" + request.body.decode("utf-8", "replace")
        assert not leaks(sent, ROOTLY_SECRETS), sent
        assert request.headers.get("authorization") == f"Bearer {ROOTLY_TOKEN}"


def assert_one_clear_line(run: Run, *expected: str) -> str:
    return assert_source_failed(run, "rootly", *expected)


@pytest.fixture
def rootly() -> Iterator[FakeRootly]:
    fake = FakeRootly()
    fake.world.clock = lambda: NOW
    with fake:
        yield fake
    fake.check()


def test_a_healthy_rootly_gives_the_expected_findings_and_leaks_nothing(
    tmp_path: Path, rootly: FakeRootly
) -> None:
    """The baseline the other cases break: the follow-up overdue (exit 1), d1 reviewed."""
    populate(rootly)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    rules = [(f["rule"], (f["action_item"] or {}).get("title")) for f in run.report()["findings"]]
    assert rules == [("overdue-action-item", OVERDUE), ("reviewed-failure", None)]
    assert_no_rootly_leak(run, rootly)


def test_a_5xx_storm_is_bounded_and_not_verified(
    tmp_path: Path, rootly: FakeRootly, fake_clock: FakeClock
) -> None:
    """Every listing answered 502/503: at most five attempts inside the deadline, then exit 3."""
    fake_clock.drive(rootly)
    populate(rootly)
    rootly.faults.add(lambda r: len(rootly.requests) % 2 == 1, status=502, times=None)
    rootly.faults.add(None, status=503, times=None)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    error = assert_one_clear_line(run, f"{LISTING} answered 50")
    assert "tried 5 times" in error or "deadline" in error
    assert 1 < len(rootly.requests) <= 5
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_rootly_leak(run, rootly)


def test_a_429_with_retry_after_is_waited_out(
    tmp_path: Path, rootly: FakeRootly, fake_clock: FakeClock
) -> None:
    """A 429 with Retry-After 2 and no budget left: waited out, with the second the client
    adds to an exhausted budget's wait (3 s), then decided (exit 1)."""
    fake_clock.drive(rootly)
    populate(rootly)
    rootly.faults.add(LISTING, status=429, times=1, headers=rate_limit_headers(2))
    run = check(tmp_path, project(tmp_path, rootly.url, deadline="10s"), rootly_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in rootly.requests_to(LISTING)][:2] == [429, 200]
    assert fake_clock.sleeps() == [3.0]
    assert rootly_status(run)["ok"] is True
    assert_no_rootly_leak(run, rootly)


def test_a_429_an_hour_away_fails_at_once(
    tmp_path: Path, rootly: FakeRootly, fake_clock: FakeClock
) -> None:
    fake_clock.drive(rootly)
    populate(rootly)
    rootly.faults.add(LISTING, status=429, times=None, headers=rate_limit_headers(3600))
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    assert_one_clear_line(run, "rate limit exhausted until", "deadline")
    assert len(rootly.requests) == 1
    assert fake_clock.sleeps() == []
    assert_no_rootly_leak(run, rootly)


@pytest.mark.parametrize("retry_after", ["soon", "-1", "\u00b2", "Wed, 99 Foo 2026 25:61:61 GMT"])
def test_junk_retry_after_never_crashes(
    tmp_path: Path, rootly: FakeRootly, fake_clock: FakeClock, retry_after: str
) -> None:
    """A 429 whose Retry-After is junk (and no reset header) backs off like any retry and
    decides (exit 1), inside the deadline."""
    fake_clock.drive(rootly)
    populate(rootly)
    headers = {"Retry-After": retry_after, "X-RateLimit-Remaining": "5"}
    rootly.faults.add(LISTING, status=429, times=1, headers=headers)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert len(fake_clock.sleeps()) == 1
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_rootly_leak(run, rootly)


def test_a_5xx_storm_under_on_error_warn_exits_0_not_verified(
    tmp_path: Path, rootly: FakeRootly, fake_clock: FakeClock
) -> None:
    fake_clock.drive(rootly)
    populate(rootly)
    rootly.faults.add(None, status=503, times=None)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env(), "--on-error", "warn")
    run.assert_clean()
    assert run.exit_code == 0, run.output
    assert "NOT VERIFIED" in run.stderr
    assert rootly_status(run)["ok"] is False
    assert_no_rootly_leak(run, rootly)


@pytest.mark.parametrize("on_error", ["fail", "warn"])
def test_an_unreachable_rootly_is_not_verified(
    tmp_path: Path, on_error: str, fake_clock: FakeClock
) -> None:
    with closed_port() as url:
        config = project(tmp_path, url, status="success")
        run = check(tmp_path, config, rootly_env(), "--on-error", on_error)
    run.assert_clean()
    assert_not_verified(run, on_error)
    assert "the connection was refused" in str(rootly_status(run)["error"])
    assert 0 < sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_rootly_leak(run)


@pytest.mark.parametrize("mode", ["hang", "drip", "drop"])
def test_a_hung_or_dripping_rootly_stops_at_the_deadline(
    tmp_path: Path, fake_clock: FakeClock, mode: str
) -> None:
    """On virtual time an attempt at a server that never finishes (hang, drip) has used up
    the deadline once it has run 0.3 real seconds; a dropped answer ends by itself."""
    if mode != "drop":
        fake_clock.patience = 0.3
    with RawServer(mode) as server:
        run = check(tmp_path, project(tmp_path, server.url), rootly_env())
    error = assert_one_clear_line(run, LISTING)
    dropped = "failed: the connection closed before the answer was complete"
    assert ("timed out" if mode != "drop" else dropped) in error
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert_no_rootly_leak(run)


@pytest.mark.parametrize(("debug", "on_error"), [(True, "fail"), (False, "warn")])
def test_a_bug_in_the_rootly_source_is_exit_4(
    tmp_path: Path, rootly: FakeRootly, monkeypatch: pytest.MonkeyPatch, debug: bool, on_error: str
) -> None:
    populate(rootly)
    plant_bug(monkeypatch, [ROOTLY_TOKEN, CANARIES["GITHUB_TOKEN"]],
              target="deploygate.sources.rootly.source.to_action_item", error=KeyError)  # fmt: skip
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env(), "--on-error", on_error,
                debug=debug)  # fmt: skip
    assert_internal_error(run, debug=debug, error=KeyError)
    assert "NOT VERIFIED" not in run.output
    assert_no_rootly_leak(run, rootly)


def _attributes(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Response], None]:
    def apply(response: Response) -> None:
        for resource in response.body["data"]:
            mutate(resource["attributes"])

    return apply


def _raw(payload: bytes) -> Callable[[Response], None]:
    def apply(response: Response) -> None:
        response.raw = payload

    return apply


def _same_page_again(response: Response) -> None:
    response.body["links"]["next"] = response.body["links"]["self"]


def _incidents(record: Any) -> bool:
    return bool(record.path == LISTING)


def _items(record: Any) -> bool:
    return bool(record.path.endswith("/action_items"))


MALFORMED: dict[str, tuple[Callable[[Any], bool], Callable[[Response], None], str]] = {
    "data not a list": (_incidents, lambda r: r.body.update(data={}), "without a data list"),
    "incident not an object": (_incidents, lambda r: r.body.update(data=[7]), "not an object"),
    "incident without id": (
        _incidents, lambda r: r.body["data"][0].pop("id"), "without an id or attributes"
    ),
    "incident of another type": (
        _incidents, lambda r: r.body["data"][0].update(type="alerts"), "not incidents"
    ),
    "title not text": (_incidents, _attributes(lambda a: a.update(title=["x"])), "bad title"),
    "junk created_at": (
        _incidents, _attributes(lambda a: a.update(created_at="yesterday")), "bad created_at"
    ),
    "services not a list": (
        _incidents, _attributes(lambda a: a.update(services="checkout")), "bad services"
    ),
    "service without data": (
        _incidents, _attributes(lambda a: a.update(services=[{"slug": "checkout"}])),
        "bad entry in services",
    ),
    "item status a number": (_items, _attributes(lambda a: a.update(status=3)), "bad status"),
    "item junk due date": (
        _items, _attributes(lambda a: a.update(due_date="2026-02-31")), "not a date"
    ),
    "item due date a number": (
        _items, _attributes(lambda a: a.update(due_date=20261021)), "not a date"
    ),
    "item groups not text": (
        _items, _attributes(lambda a: a.update(assigned_to_group_ids=[1])),
        "bad assigned_to_group_ids",
    ),
    "html login page": (_incidents, _raw(b"<html><body>Log in</body></html>"), "not JSON"),
    "truncated json": (_incidents, _raw(b'{"data": [{"id": "1", "attr'), "not JSON"),
    "a list, not an object": (_incidents, _raw(b"[]"), "unexpected shape"),
    "repeated next link": (_incidents, _same_page_again, "repeated links.next"),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_answers_fail_rootly_with_one_clear_line(
    tmp_path: Path, rootly: FakeRootly, case: str
) -> None:
    populate(rootly)
    applies, mutate, expected = MALFORMED[case]
    mutate_answers(rootly, applies, mutate)  # type: ignore[arg-type]
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    assert_one_clear_line(run, expected)
    assert_no_rootly_leak(run, rootly)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (401, "Rootly rejected the token (401)"),
        (403, "(403); it needs an API key that can read incidents"),
        (404, "no incidents API at"),
    ],
)
def test_the_rootly_token_never_leaks(
    tmp_path: Path, rootly: FakeRootly, status: int, expected: str
) -> None:
    """Refusals whose body echoes the key (JSON:API errors and plain text alike) must not
    carry it into any output, under --debug too."""
    populate(rootly)
    echo = {"errors": [{"title": f"bad key {ROOTLY_TOKEN}", "status": str(status),
                        "detail": f"Bearer {ROOTLY_TOKEN}\n::error::owned"}]}  # fmt: skip
    rootly.faults.add(LISTING, status=status, times=None, body=echo)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env(), debug=True)
    assert_one_clear_line(run, expected)
    assert_no_rootly_leak(run, rootly)
    assert all(form not in run.everything for form in canary_forms(ROOTLY_TOKEN))
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []


def test_a_token_pasted_into_a_rootly_item_is_not_repeated(
    tmp_path: Path, rootly: FakeRootly
) -> None:
    populate(rootly, item=f"rotate the key, it was {ROOTLY_TOKEN}")
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert "rotate the key, it was" in run.stdout
    assert_no_rootly_leak(run, rootly)


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_rootly_text_never_becomes_runner_commands(
    tmp_path: Path, rootly: FakeRootly, text: str
) -> None:
    populate(rootly, title=text, item=text)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    run.assert_clean()
    assert run.exit_code == 1
    assert_no_hostile_text_reached_the_runner(run)
    assert_no_rootly_leak(run, rootly)


def test_a_markdown_rootly_title_is_inert(tmp_path: Path, rootly: FakeRootly) -> None:
    populate(rootly, title=HOSTILE_MARKDOWN, item=HOSTILE_MARKDOWN)
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    assert_no_rootly_leak(run, rootly)


def test_a_next_page_on_another_host_is_never_sent_the_token(
    tmp_path: Path, rootly: FakeRootly
) -> None:
    """links.next points to 127.0.0.2, whose empty page would hide the rest: refused before
    anything is sent there, and Rootly fails (exit 3)."""
    populate(rootly)
    with other_host(b'{"data": [], "links": {"next": null}}') as other:

        def elsewhere(response: Response) -> None:
            response.body["links"]["next"] = f"{other.url}{LISTING}?page%5Bnumber%5D=2"

        mutate_answers(rootly, _incidents, elsewhere)  # type: ignore[arg-type]
        run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    assert_one_clear_line(run, f"refusing to send the token to {other.url}")
    assert other.requests == []
    assert_no_rootly_leak(run, rootly)


def test_a_redirect_to_another_host_is_refused(tmp_path: Path, rootly: FakeRootly) -> None:
    populate(rootly)
    with other_host(b'{"data": [], "links": {"next": null}}') as other:
        redirect(rootly, _incidents, other.url)
        run = check(tmp_path, project(tmp_path, rootly.url), rootly_env())
    assert_one_clear_line(run, f"was redirected (302) to {other.url}; refused")
    assert other.requests == []
    assert_no_rootly_leak(run, rootly)


ITEMS = 1000
SUMMARY_LIMIT = 1024 * 1024


def test_a_thousand_one_kilobyte_items_fit_every_limit(tmp_path: Path, rootly: FakeRootly) -> None:
    """1,000 follow-ups with ~1 KB titles (ASCII and 'é') on 10 incidents, half overdue: every
    item is read (two pages of items per incident), the job summary stays under 1 MiB, and
    at most ten annotations a level are written."""
    world = rootly.world
    world.api_key(ROOTLY_TOKEN)
    checkout = world.service("checkout")
    for postmortem in range(10):
        incident = world.incident(f"Postmortem {postmortem}", services=[checkout],
                                  created_at=at(60, hour=postmortem))  # fmt: skip
        for number in range(postmortem * 100, (postmortem + 1) * 100):
            due = at(30).date() if number % 2 == 0 else at(-30).date()
            title = f"Lesson {number:04d}: " + ("répéter la leçon " * 64)[:1000]
            incident.action_item(title, due_date=due, created_at=at(60))
    run = check(tmp_path, project(tmp_path, rootly.url, deadline="60s"), rootly_env())
    assert run.exit_code == 1, run.stderr
    report = run.report()
    assert report["summary"]["open_action_items"] == ITEMS
    assert report["summary"]["overdue_action_items"] == ITEMS // 2
    assert len(run.files["summary"].encode()) <= SUMMARY_LIMIT
    per_level = Counter(c.name for c in runner_commands(run.stdout + "\n" + run.stderr))
    assert per_level["error"] == per_level["warning"] == 10, per_level
    assert_no_rootly_leak(run, rootly)


@pytest.mark.parametrize("padding", ["\n", "\r\n", "  ", "\t\n "], ids=repr)
def test_a_rootly_key_pasted_with_its_line_end_is_stripped_and_works(
    tmp_path: Path, rootly: FakeRootly, padding: str
) -> None:
    populate(rootly)
    env = rootly_env() | {"ROOTLY_API_TOKEN": ROOTLY_TOKEN + padding}
    run = check(tmp_path, project(tmp_path, rootly.url), env)
    assert run.exit_code == 1, run.output
    assert "NOT VERIFIED" not in run.output
    assert_no_rootly_leak(run, rootly)


@pytest.mark.parametrize("inside", [" ", "\n", "\x1b", "\u200b"], ids=repr)
def test_a_rootly_key_with_whitespace_or_a_control_character_inside_is_refused_at_once(
    tmp_path: Path, rootly: FakeRootly, inside: str
) -> None:
    """Exit 2 naming the variable, before any request: a refusal would quote the key."""
    populate(rootly)
    key = ROOTLY_TOKEN[:10] + inside + ROOTLY_TOKEN[10:]
    run = check(tmp_path, project(tmp_path, rootly.url), rootly_env() | {"ROOTLY_API_TOKEN": key})
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("deploygate: error: ROOTLY_API_TOKEN: the token holds whitespace")
    assert list(rootly.requests) == []
    for part in (key[:10], key[11:]):
        assert part not in run.everything
