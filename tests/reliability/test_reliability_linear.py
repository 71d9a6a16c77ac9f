"""The reliability cases for the Linear source: storms, limits, hung servers, bad data, leaks.

The local store supplies one failed deployment; Linear (the fake, or a
misbehaving server) supplies the postmortem that reviews it and its one
overdue item. Each case asserts the documented outcome: an exit code from
the table, one clear error naming Linear, no traceback, and no spelling of
the Linear key in any output or in any request but its ``Authorization``.

- case 1 (injection) -> test_hostile_linear_titles_never_become_runner_commands
- case 3 (Markdown) -> test_a_markdown_linear_title_is_inert
- case 5 (size) -> test_two_thousand_items_are_read_and_the_outputs_stay_bounded
- case 7 (5xx storm) -> test_a_5xx_storm_is_bounded_and_not_verified
- case 8 (rate limits) -> test_a_429_with_retry_after_is_waited_out,
  test_ratelimited_an_hour_away_fails_at_once_naming_the_reset
- case 9 (Retry-After junk) -> test_junk_retry_after_never_crashes
- case 10 (hung and slow servers) -> test_a_hung_or_dripping_linear_stops_at_the_deadline
- case 11 (redirects) -> test_a_redirect_to_another_host_is_refused
- case 12 (malformed payloads) -> test_malformed_answers_fail_linear_with_one_clear_line
- case 13 (canaries) -> test_the_linear_key_never_leaks,
  test_a_key_pasted_into_a_linear_issue_is_not_repeated, and assert_no_linear_leak on every run
- case 14 (unreachable) -> test_an_unreachable_linear_is_not_verified
- a bug in the source is exit 4, not 3 -> test_a_bug_in_the_linear_source_is_exit_4
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.linear import FakeLinear
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
    raw_body,
    redirect,
    runner_views,
    source_status,
)

LINEAR_KEY = 'lin_api_CANARYlinear+9Kq/"w4=Zc62abcdefghijklmn'
LINEAR_SECRETS = {**CANARIES, "LINEAR_API_KEY": LINEAR_KEY}
SHA = "5e1f0c2d3b4a59687766554433221100ffeeddcc"


def project(
    tmp_path: Path, api_url: str, *, deadline: str = DEADLINE, status: str = "failure"
) -> Path:
    """A local store with one failed deployment of checkout, reading Linear at ``api_url``;
    a successful one (``status``) leaves no local finding beside a NOT VERIFIED one."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "postmortems").mkdir(exist_ok=True)
    (tmp_path / "deployments.jsonl").write_text(
        json.dumps({"id": "d1", "service": "checkout", "environment": "production",
                    "status": status, "sha": SHA,
                    "created_at": at(21).strftime("%Y-%m-%dT%H:%M:%SZ")}) + "\n",
        encoding="utf-8",
    )  # fmt: skip
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["local", "linear"]\n[local]\npostmortems = "postmortems"\n'
        'history = "deployments.jsonl"\n'
        f'[linear]\nteams = ["OPS"]\napi-url = "{api_url}"\ndeadline = "{deadline}"\n',
        encoding="utf-8",
    )
    return config


def linear_env() -> dict[str, str | None]:
    return clean_env(LINEAR_API_KEY=LINEAR_KEY, GITHUB_TOKEN=CANARIES["GITHUB_TOKEN"])


def populate(fake: FakeLinear, title: str = "Alert on the error budget", items: int = 1) -> None:
    world = fake.world
    world.api_key(LINEAR_KEY)
    pm = world.issue("OPS", "Checkout 500s", created_at=at(20), description=f"Deploy {SHA[:12]}",
                     labels=["postmortem", "service:checkout"])  # fmt: skip
    for number in range(items):
        world.issue("OPS", title if items == 1 else f"{title} {number}", created_at=at(19),
                    parent=pm, due=at(5).date(), description=title)  # fmt: skip


def linear_status(run: Run) -> dict[str, Any]:
    return source_status(run, "linear")


def assert_no_linear_leak(run: Run, fake: FakeLinear | None = None) -> None:
    """No spelling of the key in any output; the fake got it only in the Authorization."""
    assert_secrets_kept(run, LINEAR_SECRETS, list(fake.requests) if fake else (), LINEAR_KEY)


def assert_one_clear_line(run: Run, *expected: str) -> str:
    return assert_source_failed(run, "linear", *expected)


@pytest.fixture
def linear() -> Iterator[FakeLinear]:
    fake = FakeLinear()
    with fake:
        yield fake
    fake.check()


def test_a_healthy_linear_gives_the_expected_findings_and_leaks_nothing(
    tmp_path: Path, linear: FakeLinear
) -> None:
    """The baseline the other cases break: the item overdue (exit 1), the failure reviewed."""
    populate(linear)
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    rules = sorted(f["rule"] for f in run.report()["findings"])
    assert rules == ["overdue-action-item", "reviewed-failure"]
    assert_no_linear_leak(run, linear)


def test_a_5xx_storm_is_bounded_and_not_verified(
    tmp_path: Path, linear: FakeLinear, fake_clock: FakeClock
) -> None:
    fake_clock.drive(linear)
    populate(linear)
    linear.faults.add(lambda r: len(linear.requests) % 2 == 1, status=502, times=None)
    linear.faults.add(None, status=503, times=None)
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    error = assert_one_clear_line(run, "/graphql answered 50")
    assert "tried 5 times" in error or "deadline" in error
    assert 1 < len(linear.requests) <= 5
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_linear_leak(run, linear)


@pytest.mark.parametrize("on_error", ["fail", "warn"])
def test_an_unreachable_linear_is_not_verified(
    tmp_path: Path, on_error: str, fake_clock: FakeClock
) -> None:
    with closed_port() as url:
        config = project(tmp_path, url, status="success")
        run = check(tmp_path, config, linear_env(), "--on-error", on_error)
    run.assert_clean()
    assert_not_verified(run, on_error)
    assert "the connection was refused" in str(linear_status(run)["error"])
    assert 0 < sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_linear_leak(run)


def test_a_429_with_retry_after_is_waited_out(
    tmp_path: Path, linear: FakeLinear, fake_clock: FakeClock
) -> None:
    fake_clock.drive(linear)
    populate(linear)
    linear.faults.add("/graphql", status=429, times=1, headers={"Retry-After": "1"})
    run = check(tmp_path, project(tmp_path, linear.api_url, deadline="10s"), linear_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert [r.status for r in linear.queries()][:2] == [429, 200]
    assert fake_clock.sleeps() == [2.0]
    assert_no_linear_leak(run, linear)


def test_ratelimited_an_hour_away_fails_at_once_naming_the_reset(
    tmp_path: Path, linear: FakeLinear, fake_clock: FakeClock
) -> None:
    fake_clock.drive(linear)
    populate(linear)
    body = {"errors": [{"message": "Rate limit exceeded", "extensions": {"code": "RATELIMITED"}}]}
    reset = str(int((fake_clock.time() + 3600) * 1000))
    linear.faults.add("/graphql", status=400, body=body, times=None,
                      headers={"X-RateLimit-Requests-Reset": reset})  # fmt: skip
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    assert_one_clear_line(run, "Linear's rate limit is exhausted until", "deadline")
    assert len(linear.queries()) == 1
    assert fake_clock.sleeps() == []
    assert_no_linear_leak(run, linear)


@pytest.mark.parametrize(
    ("retry_after", "exit_code"),
    [("soon", 1), ("-1", 1), ("\u00b2", 1), ("Wed, 99 Foo 2026 25:61:61 GMT", 1), ("9" * 40, 3)],
)
def test_junk_retry_after_never_crashes(
    tmp_path: Path, linear: FakeLinear, fake_clock: FakeClock, retry_after: str, exit_code: int
) -> None:
    """Junk is a 429 without a hint: backed off like any retry; a huge one fails at once."""
    fake_clock.drive(linear)
    populate(linear)
    linear.faults.add("/graphql", status=429, times=1, headers={"Retry-After": retry_after})
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    run.assert_clean()
    assert run.exit_code == exit_code, run.output
    assert sum(fake_clock.sleeps()) <= DEADLINE_SECONDS
    assert_no_linear_leak(run, linear)


@pytest.mark.parametrize("mode", ["hang", "drip", "drop"])
def test_a_hung_or_dripping_linear_stops_at_the_deadline(
    tmp_path: Path, fake_clock: FakeClock, mode: str
) -> None:
    if mode != "drop":
        fake_clock.patience = 0.3
    with RawServer(mode) as server:
        run = check(tmp_path, project(tmp_path, f"{server.url}/graphql"), linear_env())
    error = assert_one_clear_line(run, "/graphql")
    dropped = "failed: the connection closed before the answer was complete"
    assert ("timed out" if mode != "drop" else dropped) in error
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert_no_linear_leak(run)


def _issues(mutate: Callable[[dict[str, Any]], None]) -> Callable[[Response], None]:
    def apply(response: Response) -> None:
        for node in response.body["data"]["issues"]["nodes"]:
            mutate(node)

    return apply


def _same_page_again() -> Callable[[Response], None]:
    """Every page says more follows, after the first page's cursor: the same page for ever."""
    first: list[str] = []

    def apply(response: Response) -> None:
        info = response.body["data"]["issues"]["pageInfo"]
        first.append(first[0] if first else info["endCursor"])
        info.update(hasNextPage=True, endCursor=first[0])

    return apply


MALFORMED: dict[str, tuple[Callable[[Response], None], str]] = {
    "nodes not a list": (
        lambda r: r.body["data"]["issues"].update(nodes={"x": 1}),
        "whose nodes are not a list",
    ),
    "no pageInfo": (lambda r: r.body["data"]["issues"].pop("pageInfo"), "with the pageInfo"),
    "identifier a number": (_issues(lambda n: n.update(identifier=7)), "with the identifier 7"),
    "junk createdAt": (_issues(lambda n: n.update(createdAt="yesterday")), "with the createdAt"),
    "no state": (_issues(lambda n: n.update(state=None)), "with the state None"),
    "state type a number": (_issues(lambda n: n["state"].update(type=3)), "with the state"),
    "title not text": (_issues(lambda n: n.update(title=["x"])), "with the title"),
    "labels not a list": (_issues(lambda n: n["labels"].update(nodes="postmortem")), "labels"),
    "html login page": (raw_body(b"<html><body>Log in</body></html>"), "not JSON"),
    "truncated json": (raw_body(b'{"data": {"issues": {"nod'), "not JSON"),
    "a list, not an object": (raw_body(b"[]"), "not JSON"),
    "no data": (lambda r: r.body.pop("data"), "without data"),
    "repeated cursor": (_same_page_again(), "repeated cursor"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_answers_fail_linear_with_one_clear_line(
    tmp_path: Path, linear: FakeLinear, case: str
) -> None:
    populate(linear)
    mutate, expected = MALFORMED[case]
    mutate_answers(linear, lambda r: "DeploygatePostmortems" in r.body.decode(), mutate)
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    assert_one_clear_line(run, expected)
    assert_no_linear_leak(run, linear)


def test_malformed_items_fail_naming_the_issue(tmp_path: Path, linear: FakeLinear) -> None:
    populate(linear)
    mutate_answers(
        linear,
        lambda r: "DeploygateItems" in r.body.decode(),
        _issues(lambda n: n.update(dueDate="2026-02-31")),
    )
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    assert_one_clear_line(run, "issue OPS-2 (https://linear.app/acme/issue/OPS-2/", "dueDate")
    assert_no_linear_leak(run, linear)


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, "Linear rejected the API key"), (403, "the key needs the read scope"),
     (500, "/graphql answered 500")],
)  # fmt: skip
def test_the_linear_key_never_leaks(
    tmp_path: Path, linear: FakeLinear, fake_clock: FakeClock, status: int, expected: str
) -> None:
    """Refusals that echo what was sent must not carry the key into any output."""
    fake_clock.drive(linear)
    populate(linear)
    echo = {"errors": [{"message": f"bad key {LINEAR_KEY}\n::error::owned"}]}
    linear.faults.add("/graphql", status=status, times=None, body=echo)
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env(), debug=True)
    assert_one_clear_line(run, expected)
    assert_no_linear_leak(run, linear)
    assert all(form not in run.everything for form in canary_forms(LINEAR_KEY))
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []


def test_a_key_pasted_into_a_linear_issue_is_not_repeated(
    tmp_path: Path, linear: FakeLinear
) -> None:
    populate(linear, title=f"key was {LINEAR_KEY}")
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert "key was" in run.stdout
    assert_no_linear_leak(run, linear)


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
def test_hostile_linear_titles_never_become_runner_commands(
    tmp_path: Path, linear: FakeLinear, title: str
) -> None:
    populate(linear, title=title)
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    run.assert_clean()
    assert run.exit_code == 1
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []
    assert "\x1b" not in run.stderr
    assert "\x1b" not in run.files["report.text"]
    assert "<script>" not in run.files["summary"]
    assert_no_linear_leak(run, linear)


def test_a_markdown_linear_title_is_inert(tmp_path: Path, linear: FakeLinear) -> None:
    populate(linear, title=HOSTILE_MARKDOWN)
    # Linear writes the title's words into the URL's slug; a plain one keeps "evil" out of
    # the link target, which the check below would take for a link the title made.
    for issue in linear.world.issues:
        issue.slug = "alert"
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    assert_no_linear_leak(run, linear)


def test_two_thousand_items_are_read_and_the_outputs_stay_bounded(
    tmp_path: Path, linear: FakeLinear
) -> None:
    """2,000 overdue items with 1 KB titles under one postmortem: every one read, pages of
    50; the job summary stays under its 1 MiB, at most ten annotations a level."""
    populate(linear, title="é" * 500 + "x" * 500, items=2000)
    run = check(tmp_path, project(tmp_path, linear.api_url, deadline="60s"), linear_env())
    run.assert_clean()
    assert run.exit_code == 1, run.output
    overdue = [f for f in run.report()["findings"] if f["rule"] == "overdue-action-item"]
    assert len(overdue) == 2000
    assert len(run.files["summary"].encode()) <= 1024 * 1024
    assert sum(1 for c in run.commands() if c.name == "error") <= 10
    assert_no_linear_leak(run, linear)


def test_a_redirect_to_another_host_is_refused(tmp_path: Path, linear: FakeLinear) -> None:
    populate(linear)
    with other_host(b'{"data": {"issues": {"nodes": []}}}') as other:
        redirect(linear, lambda r: r.path == "/graphql", other.url, status=307)
        run = check(tmp_path, project(tmp_path, linear.api_url), linear_env())
    assert_one_clear_line(run, f"was redirected (307) to {other.url}; refused")
    assert other.requests == []
    assert_no_linear_leak(run, linear)


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_a_bug_in_the_linear_source_is_exit_4(
    tmp_path: Path, linear: FakeLinear, monkeypatch: pytest.MonkeyPatch, debug: bool
) -> None:
    populate(linear)
    held = [LINEAR_KEY, CANARIES["GITHUB_TOKEN"]]
    plant_bug(monkeypatch, held, target="deploygate.sources.linear.source.action_item",
              error=KeyError)  # fmt: skip
    run = check(tmp_path, project(tmp_path, linear.api_url), linear_env(), debug=debug)
    assert_internal_error(run, debug=debug, error=KeyError)
    assert "NOT VERIFIED" not in run.output
    assert_no_linear_leak(run, linear)
