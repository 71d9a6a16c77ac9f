"""Rules and policy with a fixed clock: each rule, the grace period, levels and the verdict."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from conftest import NOW, ago, deployment, item, postmortem

from deploygate.errors import ExitCode, OnError, SourceError
from deploygate.gate import build_evidence, check, exit_code
from deploygate.model import (
    ActionItemState,
    DeploymentStatus,
    Finding,
    History,
    Level,
    Query,
    RuleId,
    Verdict,
)
from deploygate.rules import DEFAULT_LEVELS, SPECS, Policy, evaluate, fingerprint, verdict


class FakeSource:
    """A source that answers from memory, or fails like an unreachable backend."""

    def __init__(self, history: History, *, fail: bool = False, name: str = "memory") -> None:
        self.history = history
        self.fail = fail
        self.name = name

    def collect(self, query: Query) -> History:
        if self.fail:
            raise SourceError(self.name, "connection refused")
        return self.history

    def usage(self) -> None:
        return None


def run(history: History, policy: Policy | None = None, environment: str | None = None):
    policy = policy or Policy()
    query = Query("checkout", environment, NOW, policy.lookback)
    return check([FakeSource(history)], query, policy)


def findings_of(report, rule: RuleId):
    return [finding for finding in report.findings if finding.rule is rule]


def test_unreviewed_failure_after_grace_is_a_warning() -> None:
    report = run(History(deployments=(deployment("1", at=ago(days=4)),)))
    [finding] = findings_of(report, RuleId.UNREVIEWED_FAILURE)
    assert finding.level is Level.WARNING
    assert report.verdict is Verdict.WARN


def test_unreviewed_failure_inside_grace_is_a_notice_even_when_configured_as_error() -> None:
    levels = dict(DEFAULT_LEVELS) | {RuleId.UNREVIEWED_FAILURE: Level.ERROR}
    report = run(History(deployments=(deployment("1", at=ago(days=2)),)), Policy(levels=levels))
    [finding] = findings_of(report, RuleId.UNREVIEWED_FAILURE)
    assert finding.level is Level.NOTICE
    assert "grace period" in finding.message
    assert report.verdict is Verdict.PASS


def test_failures_outside_lookback_successes_and_other_services_are_ignored() -> None:
    history = History(
        deployments=(
            deployment("old", at=ago(days=91)),
            deployment("ok", status=DeploymentStatus.SUCCESS),
            deployment("other", service="search"),
            deployment("future", at=NOW + timedelta(hours=1)),
        )
    )
    report = run(history)
    assert report.findings == ()
    assert report.summary.failed_deployments == 0


def test_environment_filters_deployments() -> None:
    history = History(deployments=(deployment("1", environment="staging", at=ago(days=10)),))
    assert run(history, environment="production").summary.failed_deployments == 0
    assert run(history, environment="staging").summary.failed_deployments == 1


def test_open_item_counts_whatever_the_postmortem_age_or_state() -> None:
    pm = postmortem(at=ago(days=400), items=(item(due="2027-01-31"),))
    report = run(History(postmortems=(pm,)))
    [finding] = findings_of(report, RuleId.OPEN_ACTION_ITEM)
    assert finding.level is Level.WARNING
    assert report.summary.open_action_items == 1


@pytest.mark.parametrize(
    ("due", "created_days_ago", "overdue"),
    [
        ("2026-11-19", 1, True),  # due yesterday
        ("2026-11-20", 1, False),  # due today: the whole day counts
        (None, 31, True),  # no due date, older than 30 days
        (None, 29, False),
    ],
)
def test_overdue_by_due_date_or_max_age(due, created_days_ago, overdue) -> None:
    pm = postmortem(items=(item(due=due, created=ago(days=created_days_ago)),))
    report = run(History(postmortems=(pm,)))
    rules = [finding.rule for finding in report.findings]
    expected = RuleId.OVERDUE_ACTION_ITEM if overdue else RuleId.OPEN_ACTION_ITEM
    assert rules == [expected]
    assert report.summary.overdue_action_items == int(overdue)
    assert report.verdict is (Verdict.BLOCK if overdue else Verdict.WARN)


def test_max_age_is_configurable() -> None:
    pm = postmortem(items=(item(created=ago(days=10)),))
    report = run(History(postmortems=(pm,)), Policy(max_age=timedelta(days=7)))
    assert [finding.rule for finding in report.findings] == [RuleId.OVERDUE_ACTION_ITEM]


def test_overdue_off_falls_back_to_open() -> None:
    levels = dict(DEFAULT_LEVELS) | {RuleId.OVERDUE_ACTION_ITEM: None}
    pm = postmortem(items=(item(due="2026-01-01"),))
    report = run(History(postmortems=(pm,)), Policy(levels=levels))
    assert [finding.rule for finding in report.findings] == [RuleId.OPEN_ACTION_ITEM]
    assert report.summary.overdue_action_items == 1


def test_done_items_are_silent_and_declined_items_are_notices_with_reason() -> None:
    declined = replace(item("Rewrite in Rust", state=ActionItemState.DECLINED), reason="won't do")
    pm = postmortem(items=(item("Done", state=ActionItemState.DONE), declined))
    report = run(History(postmortems=(pm,)))
    [finding] = report.findings
    assert (finding.rule, finding.level) == (RuleId.DECLINED_ACTION_ITEM, Level.NOTICE)
    assert finding.message.endswith(": won't do")
    assert report.verdict is Verdict.PASS


def test_reviewed_failure_is_a_notice_that_shows_the_link() -> None:
    failure = deployment("4711", at=ago(days=10))
    pm = postmortem(at=ago(days=9), body="deployment 4711")
    report = run(History(deployments=(failure,), postmortems=(pm,)))
    [finding] = report.findings
    assert finding.rule is RuleId.REVIEWED_FAILURE
    assert finding.link is not None
    assert finding.link.value == "reference"
    assert "linked by reference" in finding.message
    assert report.summary.reviewed_failures == 1


def test_rule_off_produces_nothing() -> None:
    levels = dict(DEFAULT_LEVELS) | {RuleId.UNREVIEWED_FAILURE: None}
    report = run(History(deployments=(deployment(at=ago(days=10)),)), Policy(levels=levels))
    assert report.findings == ()
    assert report.summary.failed_deployments == 1


@pytest.mark.parametrize(
    ("levels", "strict", "expected"),
    [
        ([], False, Verdict.PASS),
        ([Level.NOTICE], False, Verdict.PASS),
        ([Level.NOTICE, Level.WARNING], False, Verdict.WARN),
        ([Level.WARNING], True, Verdict.BLOCK),
        ([Level.ERROR, Level.NOTICE], False, Verdict.BLOCK),
    ],
)
def test_verdict(levels, strict, expected) -> None:
    findings = [
        Finding(
            RuleId.OPEN_ACTION_ITEM, level, "m", fingerprint(RuleId.OPEN_ACTION_ITEM, "x", str(n))
        )
        for n, level in enumerate(levels)
    ]
    assert verdict(findings, strict=strict) is expected


def test_failed_source_makes_the_verdict_unknown_and_names_the_source() -> None:
    policy = Policy()
    query = Query("checkout", None, NOW, policy.lookback)
    pm = postmortem(items=(item(due="2026-01-01"),))
    report = check(
        [FakeSource(History(postmortems=(pm,))), FakeSource(History(), fail=True, name="github")],
        query,
        policy,
    )
    assert report.verdict is Verdict.UNKNOWN
    assert [(s.name, s.ok, s.error) for s in report.sources] == [
        ("memory", True, None),
        ("github", False, "connection refused"),
    ]
    assert exit_code(report, OnError.FAIL) is ExitCode.UNDECIDED
    assert exit_code(report, OnError.WARN) is ExitCode.OK


def test_findings_are_ordered_loudest_first_and_fingerprints_are_stable() -> None:
    history = History(
        deployments=(deployment("1", at=ago(days=10)), deployment("2", at=ago(days=1))),
        postmortems=(postmortem(at=ago(days=300), items=(item(due="2026-01-01"),)),),
    )
    first, second = run(history), run(history)
    assert [f.level for f in first.findings] == sorted(
        (f.level for f in first.findings), reverse=True
    )
    assert [f.fingerprint for f in first.findings] == [f.fingerprint for f in second.findings]
    assert len({f.fingerprint for f in first.findings}) == len(first.findings)


def test_evaluate_never_reads_the_clock() -> None:
    history = History(deployments=(deployment("1", at=ago(days=2)),))
    policy = Policy()
    query = Query("checkout", None, NOW, policy.lookback)
    evidence = build_evidence(history, query, policy)
    later = evaluate(evidence, policy, NOW + timedelta(days=2))
    assert [f.level for f in later] == [Level.WARNING]
    assert [f.level for f in evaluate(evidence, policy, NOW)] == [Level.NOTICE]


def test_fingerprints_are_pinned_so_a_change_is_a_decision() -> None:
    # Users store fingerprints (waivers, Code Quality history): changing the
    # recipe silently would make every finding look new.
    assert fingerprint(RuleId.OPEN_ACTION_ITEM, "action-item", "pm.md#add-an-alert") == (
        "df74273edcb578c38139c487dcea71c8"
    )


@pytest.mark.parametrize("rule", list(RuleId))
def test_every_rule_has_one_spec_under_its_own_id(rule: RuleId) -> None:
    spec = SPECS[rule]
    assert spec.id is rule
    assert spec.help
    assert not spec.informational or spec.level in (None, Level.NOTICE)


def test_a_renewed_waiver_listed_after_its_expired_one_still_holds() -> None:
    """The waiver that holds longest wins: an expired entry left above its renewal must not
    bring the finding back, nor make the renewal look unused."""
    from deploygate.model import RuleId, Waiver
    from deploygate.rules import apply_waivers

    policy = Policy()
    history = History(deployments=(deployment("7", at=ago(days=10)),))
    evidence = build_evidence(history, Query("checkout", None, NOW, policy.lookback), policy)
    [finding] = [f for f in evaluate(evidence, policy, NOW) if f.rule is RuleId.UNREVIEWED_FAILURE]
    entries = [
        Waiver(reason="old", expires=(NOW - timedelta(days=2)).date(), team="t",
               fingerprint=finding.fingerprint[:12]),
        Waiver(reason="renewed", expires=(NOW + timedelta(days=20)).date(), team="t",
               fingerprint=finding.fingerprint[:12]),
    ]  # fmt: skip
    [waived] = [f for f in apply_waivers([finding], Policy(waivers=tuple(entries)), NOW)
                if f.rule is RuleId.UNREVIEWED_FAILURE]  # fmt: skip
    assert waived.level is Level.NOTICE
    assert "renewed" in waived.message
