"""DORA's measures and lesson lead time on small hand-made histories, with exact numbers.

Each case is one thing the definitions in docs/report.md decide: ties, no
deployments, no failures, a failure not recovered in the period, what is and
is not rework, which lessons count towards lesson lead time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from conftest import NOW, REPO_ROOT, ago, deployment, item, loop_report, postmortem, run_cli

from deploygate.dora import DEFINITIONS, DORA_GUIDE, REWORK_WINDOW, Dora, Durations, Rate
from deploygate.loop import learning_loop
from deploygate.model import ActionItem, ActionItemState, Deployment, DeploymentStatus, Fix
from deploygate.rules import Policy

SINCE = ago(days=28)
SUCCESS = DeploymentStatus.SUCCESS
FAILURE = DeploymentStatus.FAILURE
DONE = ActionItemState.DONE


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def ok(id: str, at: datetime, **fields: str) -> Deployment:
    """A successful production deployment of checkout, with a description or commit title."""
    return replace(deployment(id, status=SUCCESS, at=at, sha=None), **fields)


def failed(id: str, at: datetime, **fields: str) -> Deployment:
    return replace(deployment(id, status=FAILURE, at=at, sha=None), **fields)


def measures(
    deployments: list[Deployment], items: tuple[ActionItem, ...] = (), pm_at: datetime = SINCE
) -> Dora:
    postmortems = [postmortem("pm-1", at=pm_at, items=items)] if items else []
    return learning_loop(
        "checkout", deployments, postmortems, {}, since=SINCE, until=NOW, policy=Policy()
    ).dora


def test_recovery_time_median_and_p90_with_a_tie_and_an_unrecovered_failure() -> None:
    dora = measures(
        [
            failed("f1", hours_ago(100)),
            ok("tie", hours_ago(100)),  # at the same moment: it does not follow f1
            ok("s1", hours_ago(90)),  # f1 recovered after 10 h
            failed("f2", hours_ago(50)),  # 5 h
            failed("f3", hours_ago(49)),  # 4 h: each failure counts from its own deploy
            ok("s3", hours_ago(45)),
            failed("f4", hours_ago(20)),  # 2 h
            ok("s4", hours_ago(18)),
            failed("f5", hours_ago(5)),  # not recovered by the end of the period
            ok("after", NOW + timedelta(hours=1)),  # after the period: neither counted nor used
        ]
    )
    assert dora.change_failure_rate == Rate(5, 9)
    # Recovered: 10, 5, 4, 2 h. Median of four: (4 + 5) / 2. p90, nearest rank:
    # ceil(0.9 * 4) = the 4th smallest, 10 h.
    assert dora.recovery_hours == Durations(measured=4, total=5, median=4.5, p90=10.0)
    assert dora.rework_rate == Rate(0, 9)  # no deployment says it rolls back or fixes


def test_recovery_looks_at_the_same_service_and_environment_only() -> None:
    dora = measures(
        [
            failed("f1", hours_ago(30)),
            replace(ok("staging", hours_ago(29)), environment="staging"),
            replace(ok("cart", hours_ago(28)), service="cart"),  # not checkout: not counted
            ok("s1", hours_ago(24)),
        ]
    )
    assert dora.recovery_hours == Durations(measured=1, total=1, median=6.0, p90=6.0)
    assert dora.change_failure_rate == Rate(1, 3)


def test_no_deployments_gives_no_values() -> None:
    dora = measures([])
    assert dora.change_failure_rate == Rate(0, 0)
    assert dora.change_failure_rate.value is None
    assert dora.recovery_hours == Durations(0, 0, None, None)
    assert dora.rework_rate.value is None
    assert dora.lesson_lead_days == Durations(0, 0, None, None)


def test_no_failures_gives_a_zero_rate_and_no_recovery_time() -> None:
    dora = measures([ok(f"s{n}", hours_ago(n * 10)) for n in range(1, 5)])
    assert dora.change_failure_rate == Rate(0, 4)
    assert dora.change_failure_rate.value == 0.0
    assert dora.recovery_hours == Durations(0, 0, None, None)
    assert dora.rework_rate == Rate(0, 4)


def test_a_failure_never_recovered_in_the_period_is_counted_but_not_measured() -> None:
    dora = measures([ok("s0", hours_ago(200)), failed("f1", hours_ago(100))])
    assert dora.recovery_hours == Durations(measured=0, total=1, median=None, p90=None)
    assert dora.change_failure_rate == Rate(1, 2)


def test_rework_is_a_rollback_or_a_fix_within_a_day_of_a_failure() -> None:
    assert timedelta(hours=24) == REWORK_WINDOW
    dora = measures(
        [
            failed("f1", hours_ago(100)),
            ok("revert", hours_ago(99), commit_title='Revert "Cache the cart"'),  # rework
            ok("plain", hours_ago(98), description="Checkout build 7"),  # no evidence
            ok("fixture", hours_ago(97), commit_title="Fixture update for tests"),  # not a fix
            ok("fix", hours_ago(80), description="fix(payments): retry the timeout"),  # rework
            ok("late", hours_ago(75), commit_title="Hotfix: the retry"),  # 25 h: too late
            # A failure elsewhere makes nothing of checkout's production rework.
            replace(failed("staging", hours_ago(60)), environment="staging"),
            ok("prod-fix", hours_ago(59), commit_title="Fix the coupon rounding"),
        ]
    )
    assert dora.rework_rate == Rate(2, 8)


def test_the_deployment_that_replaced_a_rolled_back_one_is_rework() -> None:
    rolled_back = ok("v41", hours_ago(50), description="Checkout v41")
    rolled_back = replace(rolled_back, status=DeploymentStatus.ROLLED_BACK)
    dora = measures(
        [
            ok("v40", hours_ago(60), description="Checkout v40"),
            rolled_back,  # a failure: replaced by v40 again, as rollbacks.py marks it
            failed("v42-failed", hours_ago(49)),  # failed: it did not replace v41
            ok("v40-again", hours_ago(48), description="Checkout v40"),  # rework: the rollback
            ok("v43", hours_ago(47), description="Checkout v43"),  # not: v40-again went first
        ]
    )
    assert dora.rework_rate == Rate(1, 5)
    assert dora.change_failure_rate == Rate(2, 5)


def test_a_deployment_that_ships_an_action_items_fix_is_rework_after_a_failure() -> None:
    sha = "5f2c1e9a0b7d4c3e8f6a1b2c3d4e5f6a7b8c9d0e"
    shipped = ok("ships-by-time", hours_ago(90), description="Checkout build 8")
    by_sha = replace(ok("ships-by-sha", hours_ago(80)), sha=sha[:10].upper())
    fixes = (
        Fix("PR #12", shipped_at=shipped.created_at),
        Fix("PR #13", sha=sha, shipped_at=by_sha.created_at + timedelta(minutes=5)),
        Fix("PR #14", sha="0123456789abcdef", shipped_at=hours_ago(10)),  # no failure before
    )
    lesson = replace(item("Retry the provider", state=DONE, closed=hours_ago(1)), fixes=fixes)
    later = ok("ships-late", hours_ago(10), description="Checkout build 10")
    dora = measures(
        [failed("f1", hours_ago(95)), shipped, by_sha, later],
        (lesson,),
        pm_at=hours_ago(94),
    )
    assert dora.rework_rate == Rate(2, 4)


def test_lesson_lead_time_counts_done_items_whose_fixes_all_shipped() -> None:
    def done(title: str, closed: datetime, *shipped: datetime | None) -> ActionItem:
        fixes = tuple(Fix(f"PR #{n}", shipped_at=at) for n, at in enumerate(shipped))
        return replace(item(title, state=DONE, closed=closed), fixes=fixes)

    pm_at = ago(days=20)
    both = done("two fixes", ago(days=5), ago(days=15), ago(days=12))  # last: 8 days
    unshipped = done("unshipped", ago(days=3), None)  # counted, not measured
    no_fix = done("no fix", ago(days=2))  # counted, not measured
    shipped_later = done("ships after the period", ago(days=1), NOW + timedelta(days=1))
    old = done("old", ago(days=40))  # closed before the period: not counted
    still_open = replace(item("open"), fixes=(Fix("PR #9", shipped_at=ago(days=4)),))
    shared = done("on two postmortems", ago(days=1), ago(days=10))
    earlier = postmortem("pm-0", at=ago(days=60), items=(old, shared))
    later = postmortem(
        "pm-1", at=pm_at, items=(both, unshipped, no_fix, shipped_later, still_open, shared)
    )
    loop = learning_loop(
        "checkout", [], [later, earlier], {}, since=SINCE, until=NOW, policy=Policy()
    )
    # Measured: "two fixes" 20 - 12 = 8 days; the shared item from the earlier postmortem,
    # 60 - 10 = 50 days. Median (8 + 50) / 2, p90 the 2nd of 2.
    assert loop.dora.lesson_lead_days == Durations(measured=2, total=5, median=29.0, p90=50.0)


def test_each_measure_belongs_to_the_week_of_its_moment() -> None:
    sunday = datetime.fromisoformat("2026-11-15T22:00:00+00:00")  # the week of Nov 9
    loop = learning_loop(
        "checkout",
        [
            failed("f1", sunday),
            ok("s1", sunday + timedelta(hours=10), commit_title="Revert the cache"),  # Monday
        ],
        [],
        {},
        since=SINCE,
        until=NOW,
        policy=Policy(),
    )
    weeks = {week.start: week.dora for week in loop.weekly}
    # The failure and its 10 h recovery count in its week; the rollback in the next.
    assert weeks[date(2026, 11, 9)].recovery_hours == Durations(1, 1, 10.0, 10.0)
    assert weeks[date(2026, 11, 9)].change_failure_rate == Rate(1, 1)
    assert weeks[date(2026, 11, 16)].recovery_hours == Durations(0, 0, None, None)
    assert weeks[date(2026, 11, 16)].rework_rate == Rate(1, 1)
    assert weeks[date(2026, 10, 19)].change_failure_rate == Rate(0, 0)
    assert loop.dora.rework_rate == Rate(1, 2)


@pytest.mark.parametrize(
    ("title", "fix"),
    [
        ("Fix the payment timeout", True),
        ("fix(api): retry", True),
        ("[checkout] Hotfix: coupons", True),
        ("bugfix/coupons", True),
        ("Fixes #12", True),
        ("Fixture update", False),
        ("Add a fix for later", False),
        ("fix-up the docs", False),
    ],
)
def test_what_a_commit_that_says_fix_is(title: str, fix: bool) -> None:
    dora = measures([failed("f1", hours_ago(10)), ok("s1", hours_ago(9), commit_title=title)])
    assert dora.rework_rate == Rate(int(fix), 2)


def test_each_definition_is_written_in_the_docs() -> None:
    """The reports print DEFINITIONS; the docs page on the report says the same words."""
    page = " ".join((REPO_ROOT / "docs" / "report.md").read_text("utf-8").split())
    for name, definition in DEFINITIONS.items():
        assert " ".join(definition.split()) in page, name
    assert DORA_GUIDE in page


def test_the_quickstart_reports_its_rollbacks_as_rework_and_their_recovery() -> None:
    """End to end on the quickstart's checkout: two failures rolled back within half an hour
    ("Roll back to v2.10", "Roll back to v2.12"), one fixed the next morning by v2.14.1,
    whose description says nothing of a fix, and one not recovered yet."""
    result = run_cli(
        "report",
        "--config",
        str(REPO_ROOT / "examples" / "quickstart" / "deploygate.toml"),
        "--now",
        "2026-11-20T12:00:00Z",
        "--service",
        "checkout",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    [checkout] = loop_report(result.stdout)["services"]
    dora = checkout["dora"]
    assert (dora["change_failure_rate"]["numerator"], checkout["deployments"]) == (4, 11)
    assert dora["deployment_rework_rate"]["numerator"] == 2
    recovery = dora["failed_deployment_recovery_time"]
    # Sep 8 14:05 to 14:31 (26 min), Oct 14 10:40 to 11:02 (22 min), Nov 5 16:20 to
    # Nov 6 10:15 (17 h 55 min); Nov 19 08:00 not recovered by Nov 20 12:00.
    assert (recovery["numerator"], recovery["denominator"]) == (3, 4)
    assert recovery["median_hours"] == pytest.approx(26 / 60)
    assert recovery["p90_hours"] == pytest.approx(17 + 55 / 60)
