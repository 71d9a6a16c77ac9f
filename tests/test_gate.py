"""Several sources in one check: each adds, trackers complete, one failing makes it unknown."""

from __future__ import annotations

from dataclasses import replace

from conftest import NOW, ago, deployment, item, postmortem

from deploygate.errors import SourceError
from deploygate.gate import check
from deploygate.model import History, Query, RuleId, Verdict
from deploygate.rules import Policy


class Memory:
    """A source that answers from memory, or fails like an unreachable backend."""

    def __init__(self, name: str, history: History, *, fail: bool = False) -> None:
        self.name = name
        self.history = history
        self.fail = fail

    def collect(self, query: Query) -> History:
        if self.fail:
            raise SourceError(self.name, "connection refused")
        return self.history

    def usage(self) -> None:
        return None


class Tracker:
    """A tracker that adds one item to every postmortem it is given, and records what it saw."""

    def __init__(self, *, fail: bool = False) -> None:
        self.name = "tracker"
        self.fail = fail
        self.seen: History | None = None

    def enrich(self, query: Query, history: History) -> History:
        self.seen = history
        if self.fail:
            raise SourceError(self.name, "401 Unauthorized")
        return replace(
            history,
            postmortems=tuple(
                replace(pm, action_items=(*pm.action_items, item("Tracked elsewhere")))
                for pm in history.postmortems
            ),
        )

    def usage(self) -> None:
        return None


def _query() -> Query:
    return Query("checkout", None, NOW, Policy().lookback)


def test_deployments_from_one_source_and_postmortems_from_another_are_linked() -> None:
    failure = deployment("7", at=ago(days=10))
    review = postmortem("pm-1", at=ago(days=9), body="Reviews deployment 7.")
    tracker = Tracker()
    report = check(
        [
            tracker,  # named first, still runs after the sources
            Memory("deployments", History(deployments=(failure,))),
            Memory("postmortems", History(postmortems=(review,))),
        ],
        _query(),
        Policy(),
    )
    assert tracker.seen is not None
    assert [d.id for d in tracker.seen.deployments] == ["7"]
    assert [f.rule for f in report.findings] == [
        RuleId.OPEN_ACTION_ITEM,
        RuleId.REVIEWED_FAILURE,
    ]
    assert report.verdict is Verdict.WARN
    assert [s.name for s in report.sources] == ["tracker", "deployments", "postmortems"]


def test_a_failing_tracker_makes_the_verdict_unknown_and_is_named() -> None:
    report = check(
        [Memory("github", History(deployments=(deployment("7"),))), Tracker(fail=True)],
        _query(),
        Policy(),
    )
    assert report.verdict is Verdict.UNKNOWN
    [failed] = report.failed_sources
    assert (failed.name, failed.error) == ("tracker", "401 Unauthorized")
    # What the working source said is still reported.
    assert [f.rule for f in report.findings] == [RuleId.UNREVIEWED_FAILURE]


def test_a_failing_source_still_lets_the_tracker_complete_the_others() -> None:
    tracker = Tracker()
    report = check(
        [
            Memory("github", History(), fail=True),
            Memory("local", History(postmortems=(postmortem("pm-1"),))),
            tracker,
        ],
        _query(),
        Policy(),
    )
    assert report.verdict is Verdict.UNKNOWN
    assert [s.name for s in report.failed_sources] == ["github"]
    assert [f.action_item.title for f in report.findings if f.action_item] == ["Tracked elsewhere"]


def test_a_holder_of_tracker_items_is_debt_but_reviews_no_failure() -> None:
    holder = replace(
        postmortem("jira:checkout", at=ago(days=9), items=(item("Orphan lesson"),)),
        reviews_failures=False,
    )
    report = check(
        [
            Memory(
                "all",
                History(deployments=(deployment("7", at=ago(days=10)),), postmortems=(holder,)),
            )
        ],
        _query(),
        Policy(),
    )
    rules = sorted(f.rule.value for f in report.findings)
    assert rules == ["open-action-item", "unreviewed-failure"]
    assert report.summary.postmortems == 0
    assert report.summary.open_action_items == 1
    assert report.postmortems == ()  # not in the lessons digest


def test_what_a_source_left_out_is_said_in_every_format_and_escaped() -> None:
    from actions_runner import parse_line

    from deploygate.formats import FORMATS, RenderOptions

    hostile = "OPS-9 \x1b[2J\n::error::owned <img src=x>, named by postmortem pm-1, left out"
    history = History(deployments=(deployment("7"),), notices=(hostile,))
    report = check([Memory("jira-like", history)], _query(), Policy())
    [status] = report.sources
    assert status.notices == (hostile,)
    options = RenderOptions()
    text = FORMATS["text"](report, options)
    assert "note: jira-like: OPS-9 \\x1b[2J" in text
    assert "\x1b" not in text
    markdown = FORMATS["markdown"](report, options)
    assert "> jira-like: OPS-9" in markdown
    assert "<img" not in markdown
    commands = [parse_line(line) for line in FORMATS["github"](report, options).splitlines()]
    notices = [c for c in commands if c and c.properties.get("title") == "deploygate: source"]
    assert [c.name for c in notices] == ["notice"]
    assert all(c is None or c.name != "error" or "owned" not in c.message for c in commands)
