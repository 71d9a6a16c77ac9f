"""The reliability cases only Rootly has: its links.next to another host, a thousand items on
its pages of action items, and its key pasted with whitespace.

The cases every tracker shares (storms, rate limits, junk Retry-After, hung servers,
malformed answers, leaks, a planted bug, hostile text) run on Rootly in
test_reliability_trackers.py; the world, the project and the key are the adapter's
(tests/fakes/trackers.py, ``ROOTLY``).

- case 5 (size) -> test_a_thousand_one_kilobyte_items_fit_every_limit
- case 11 (pagination) -> test_a_next_page_on_another_host_is_never_sent_the_token
- round two, case 1 (a key with whitespace) ->
  test_a_rootly_key_pasted_with_its_line_end_is_stripped_and_works,
  test_a_rootly_key_with_whitespace_or_a_control_character_inside_is_refused_at_once
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakes.rootly import FakeRootly
from fakes.server import Response
from fakes.trackers import ROOTLY, ROOTLY_LISTING, running
from fakes.worlds import at
from reliability.helpers import (
    assert_source_failed,
    check,
    mutate_answers,
    other_host,
    runner_commands,
)

SUMMARY_LIMIT = 1024 * 1024


@pytest.fixture
def rootly() -> Iterator[FakeRootly]:
    yield from running(ROOTLY)


def test_a_next_page_on_another_host_is_never_sent_the_token(
    tmp_path: Path, rootly: FakeRootly
) -> None:
    """links.next points to 127.0.0.2, whose empty page would hide the rest: refused before
    anything is sent there, and Rootly fails (exit 3)."""
    ROOTLY.populate(rootly)
    with other_host(ROOTLY.empty_page) as other:

        def elsewhere(response: Response) -> None:
            response.body["links"]["next"] = f"{other.url}{ROOTLY_LISTING}?page%5Bnumber%5D=2"

        mutate_answers(rootly, lambda r: r.path == ROOTLY_LISTING, elsewhere)
        run = check(tmp_path, ROOTLY.project(tmp_path, rootly.url), ROOTLY.env())
    assert_source_failed(run, "rootly", f"refusing to send the token to {other.url}")
    assert other.requests == []
    ROOTLY.assert_no_leak(run, rootly)


def test_a_thousand_one_kilobyte_items_fit_every_limit(tmp_path: Path, rootly: FakeRootly) -> None:
    """1,000 follow-ups with ~1 KB titles (ASCII and 'é') on 10 incidents, half overdue: every
    item is read (two pages of items per incident), the job summary stays under 1 MiB, and
    at most ten annotations a level are written."""
    world = rootly.world
    world.api_key(ROOTLY.token)
    checkout = world.service("checkout")
    for postmortem in range(10):
        incident = world.incident(f"Postmortem {postmortem}", services=[checkout],
                                  created_at=at(60, hour=postmortem))  # fmt: skip
        for number in range(postmortem * 100, (postmortem + 1) * 100):
            due = at(30).date() if number % 2 == 0 else at(-30).date()
            title = f"Lesson {number:04d}: " + ("répéter la leçon " * 64)[:1000]
            incident.action_item(title, due_date=due, created_at=at(60))
    run = check(tmp_path, ROOTLY.project(tmp_path, rootly.url, deadline="60s"), ROOTLY.env())
    assert run.exit_code == 1, run.stderr
    report = run.report()
    assert report["summary"]["open_action_items"] == 1000
    assert report["summary"]["overdue_action_items"] == 500
    assert len(run.files["summary"].encode()) <= SUMMARY_LIMIT
    per_level = Counter(c.name for c in runner_commands(run.stdout + "\n" + run.stderr))
    assert per_level["error"] == per_level["warning"] == 10, per_level
    ROOTLY.assert_no_leak(run, rootly)


@pytest.mark.parametrize("padding", ["\n", "\r\n", "  ", "\t\n "], ids=repr)
def test_a_rootly_key_pasted_with_its_line_end_is_stripped_and_works(
    tmp_path: Path, rootly: FakeRootly, padding: str
) -> None:
    ROOTLY.populate(rootly)
    env = ROOTLY.env() | {"ROOTLY_API_TOKEN": ROOTLY.token + padding}
    run = check(tmp_path, ROOTLY.project(tmp_path, rootly.url), env)
    assert run.exit_code == 1, run.output
    assert "NOT VERIFIED" not in run.output
    ROOTLY.assert_no_leak(run, rootly)


@pytest.mark.parametrize("inside", [" ", "\n", "\x1b", "\u200b"], ids=repr)
def test_a_rootly_key_with_whitespace_or_a_control_character_inside_is_refused_at_once(
    tmp_path: Path, rootly: FakeRootly, inside: str
) -> None:
    """Exit 2 naming the variable, before any request: a refusal would quote the key."""
    ROOTLY.populate(rootly)
    key = ROOTLY.token[:10] + inside + ROOTLY.token[10:]
    env = ROOTLY.env() | {"ROOTLY_API_TOKEN": key}
    run = check(tmp_path, ROOTLY.project(tmp_path, rootly.url), env)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith("deploygate: error: ROOTLY_API_TOKEN: the token holds whitespace")
    assert list(rootly.requests) == []
    for part in (key[:10], key[11:]):
        assert part not in run.everything
