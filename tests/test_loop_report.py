"""The learning-loop report: its metrics on small hand-built histories, and its three formats."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
from conftest import (
    LOOP_REPORT_SCHEMA,
    NOW,
    REPO_ROOT,
    ago,
    deployment,
    item,
    loop_report,
    postmortem,
)

from deploygate import toml
from deploygate.dora import DEFINITIONS, DORA_GUIDE, NO_DORA, Dora, Durations, Rate
from deploygate.formats import loop_html, loop_json, loop_markdown
from deploygate.formats.loop_markdown import dora_definitions
from deploygate.linking import link_failures
from deploygate.loop import (
    LoopReport,
    ServiceLoop,
    Week,
    learning_loop,
    team_credits,
    with_overrides,
    with_would_have_blocked,
)
from deploygate.model import ActionItemState, Deployment, DeploymentStatus, Postmortem
from deploygate.rules import Policy

POLICY = Policy()
SINCE = ago(days=28)  # Friday 2026-10-23 12:00; its week starts on Monday 2026-10-19
HOSTILE = "<img src=x onerror=alert(1)>"

DONE = ActionItemState.DONE
DECLINED = ActionItemState.DECLINED
SUCCESS = DeploymentStatus.SUCCESS


def history() -> tuple[list[Deployment], list[Postmortem]]:
    """Four weeks of checkout: 10 finished deployments, 4 failures, 2 of them reviewed."""
    f1 = deployment("f1", at=ago(days=20))  # Sat 31 Oct: week of Oct 26
    f2 = deployment("f2", at=ago(days=13), status=DeploymentStatus.ERROR)  # Sat 7 Nov
    f3 = deployment("f3", at=ago(days=12))  # Sun 8 Nov: the same week as f2
    f4 = deployment("f4", at=ago(days=1))  # Thu 19 Nov: the last week
    successes = [
        deployment(f"s{days}", status=SUCCESS, at=ago(days=days)) for days in (27, 25, 18, 14, 7)
    ]
    ignored = [
        deployment("s-at-since", status=SUCCESS, at=SINCE),  # the period includes its start
        deployment("running", status=DeploymentStatus.IN_PROGRESS, at=ago(days=1)),
        deployment("cancelled", status=DeploymentStatus.CANCELLED, at=ago(days=2)),
        deployment("f-old", at=ago(days=40)),  # before the period
        deployment("cart-1", at=ago(days=5), service="cart"),  # another service
    ]
    # An older postmortem, outside the period, whose lessons are still in play.
    pm0 = postmortem(
        "pm-0",
        at=ago(days=61),
        items=(
            # Created before the period and closed in it (Nov 15): 55 days.
            item(
                "Old lesson", state=DONE, created=ago(days=60), team="checkout", closed=ago(days=5)
            ),
            # Closed before the period (Oct 11): neither credited nor debt in it.
            item(
                "Ancient lesson",
                state=DONE,
                created=ago(days=80),
                team="checkout",
                closed=ago(days=40),
            ),
        ),
    )
    pm1 = postmortem(
        "pm-1",
        at=f1.created_at + timedelta(hours=10),
        refs=("f1",),
        items=(
            item("Alert on burn rate", created=ago(days=19), due="2026-11-01", team="payments"),
            item(  # closed Nov 5: 4 days
                "Validate config in CI",
                state=DONE,
                created=ago(days=19),
                team="payments",
                closed=ago(days=15),
            ),
            item(  # declined Nov 3
                "Rewrite the client",
                state=DECLINED,
                created=ago(days=19),
                team="payments",
                closed=ago(days=17),
            ),
        ),
    )
    pm2 = postmortem(
        "pm-2",
        at=f2.created_at + timedelta(hours=30),
        refs=("f2",),
        items=(
            item("Load test", created=ago(days=10), team="checkout"),
            # Done, but its source gives no closing time: closed at an unknown time.
            item("Property tests", state=DONE, created=ago(days=11), team="payments"),
            item(  # closed Nov 18: 10 days
                "Contract test",
                state=DONE,
                created=ago(days=12),
                team="payments",
                closed=ago(days=2),
            ),
        ),
    )
    other = postmortem("pm-cart", service="cart", items=(item("Cart lesson", team="cart"),))
    deployments = [f1, f2, f3, f4, *successes, *ignored]
    return deployments, [pm0, pm1, pm2, other]


def without_closing_times(postmortems: list[Postmortem]) -> list[Postmortem]:
    """The same postmortems from a source that never says when an item was closed."""
    return [
        replace(pm, action_items=tuple(replace(item, closed_at=None) for item in pm.action_items))
        for pm in postmortems
    ]


def checkout_loop(*, closing_times: bool = True, **kwargs: Any) -> ServiceLoop:
    deployments, postmortems = history()
    if not closing_times:
        postmortems = without_closing_times(postmortems)
    failures = [d for d in deployments if d.status.failed and SINCE <= d.created_at <= NOW]
    own = [pm for pm in postmortems if pm.covers("checkout")]
    reviews = link_failures(failures, own, POLICY.link_window)
    return learning_loop(
        "checkout",
        deployments,
        postmortems,
        reviews,
        since=SINCE,
        until=NOW,
        policy=POLICY,
        **kwargs,
    )


# --- metrics -------------------------------------------------------------------------------


def test_change_failure_rate_counts_finished_deployments_of_the_service_in_the_period() -> None:
    loop = checkout_loop()
    assert loop.service == "checkout"
    # 5 successes, the one at the very start of the period, 4 failures; not the running,
    # cancelled, older or other service's deployments.
    assert loop.deployments == 10
    assert loop.failed_deployments == 4
    assert loop.change_failure_rate == pytest.approx(0.4)


def test_coverage_and_median_time_to_postmortem() -> None:
    loop = checkout_loop()
    assert loop.reviewed_failures == 2  # f1 and f2; f3 and f4 have no postmortem
    assert loop.postmortem_coverage == pytest.approx(0.5)
    assert loop.median_hours_to_postmortem == pytest.approx(20.0)  # median of 10 h and 30 h


def test_action_item_counts() -> None:
    loop = checkout_loop()
    assert loop.open_action_items == 2  # the cart postmortem's item is not checkout's
    assert loop.overdue_action_items == 1  # due 2026-11-01; the other has no due date yet
    assert loop.declined_action_items == 1  # created and declined in the period
    # Done in the period: config in CI (4 days), contract test (10), old lesson (55); not
    # the ancient lesson (closed before the period) nor the property tests (unknown time).
    assert loop.median_days_to_close == pytest.approx(10.0)
    assert loop.closed_at_unknown == 1


def test_declined_items_count_by_when_they_were_declined_not_created() -> None:
    def declined(created: datetime, closed: datetime) -> int:
        rewrite = item("Rewrite", state=DECLINED, created=created, closed=closed)
        return learning_loop(
            "checkout",
            [],
            [postmortem(at=created, items=(rewrite,))],
            {},
            since=SINCE,
            until=NOW,
            policy=POLICY,
        ).declined_action_items

    assert declined(ago(days=19), ago(days=17)) == 1
    assert declined(ago(days=40), ago(days=17)) == 1  # created before the period
    assert declined(ago(days=40), ago(days=30)) == 0  # declined before it


def test_lesson_debt_and_failures_per_week() -> None:
    loop = checkout_loop()
    assert tuple(replace(week, dora=NO_DORA) for week in loop.weekly) == (
        Week(date(2026, 10, 19), failures=0, open_lesson_debt=1),  # "Old lesson" only
        # + burn rate, config in CI, the client rewrite (declined Nov 3, after Nov 2)
        Week(date(2026, 10, 26), failures=1, open_lesson_debt=4),
        # - rewrite declined Nov 3, config in CI closed Nov 5; + contract test created Nov 8
        Week(date(2026, 11, 2), failures=2, open_lesson_debt=3),
        # - old lesson closed Nov 15; + load test created Nov 10
        Week(date(2026, 11, 9), failures=0, open_lesson_debt=3),
        Week(date(2026, 11, 16), failures=1, open_lesson_debt=2),  # - contract test, Nov 18
    )


def test_items_without_closing_time_are_closed_at_an_unknown_time() -> None:
    loop = checkout_loop(closing_times=False)
    # Only the two items open now count, from their creation on: no closing is guessed.
    assert [week.open_lesson_debt for week in loop.weekly] == [0, 1, 1, 2, 2]
    assert loop.median_days_to_close is None
    assert loop.teams_closing == ()
    assert loop.declined_action_items == 0
    # Every done or declined item of checkout is counted as closed at an unknown time.
    assert loop.closed_at_unknown == 6


def test_teams_are_credited_for_items_closed_in_the_period_most_first() -> None:
    loop = checkout_loop()
    # payments: config in CI and contract test, closed in the period; checkout: the old
    # lesson, created before the period and closed in it. Not the ancient lesson (closed
    # before the period) nor the property tests (closed at an unknown time).
    assert loop.teams_closing == (("payments", 2), ("checkout", 1))


def test_teams_with_equal_counts_are_sorted_by_name() -> None:
    items = tuple(
        item(f"lesson {team}", state=DONE, created=ago(days=3), team=team, closed=ago(days=1))
        for team in ("zeta", "alpha", "mid")
    )
    loop = learning_loop(
        "checkout",
        [],
        [postmortem(items=items)],
        {},
        since=SINCE,
        until=NOW,
        policy=POLICY,
    )
    assert loop.teams_closing == (("alpha", 1), ("mid", 1), ("zeta", 1))


def test_items_without_a_team_are_not_credited_to_anyone() -> None:
    loop = learning_loop(
        "checkout",
        [],
        [postmortem(items=(item("no owner", state=DONE, created=ago(days=3), closed=NOW),))],
        {},
        since=SINCE,
        until=NOW,
        policy=POLICY,
    )
    assert loop.teams_closing == ()


def test_a_quiet_period_has_no_rates() -> None:
    loop = learning_loop("checkout", [], [], {}, since=SINCE, until=NOW, policy=POLICY)
    assert loop.deployments == 0
    assert loop.change_failure_rate is None
    assert loop.postmortem_coverage is None
    assert loop.median_hours_to_postmortem is None
    assert loop.median_days_to_close is None
    assert len(loop.weekly) == 5
    assert all(week.failures == 0 and week.open_lesson_debt == 0 for week in loop.weekly)


def test_successes_only_give_a_zero_rate_and_no_coverage() -> None:
    deployments = [deployment(f"s{n}", status=SUCCESS, at=ago(days=n)) for n in range(1, 5)]
    loop = learning_loop("checkout", deployments, [], {}, since=SINCE, until=NOW, policy=POLICY)
    assert loop.change_failure_rate == 0.0
    assert loop.postmortem_coverage is None


def test_a_postmortem_listed_before_the_failure_counts_as_zero_hours() -> None:
    failure = deployment("f1", at=ago(days=3))
    early = postmortem("pm-1", at=ago(days=3, hours=2), refs=("f1",))
    reviews = link_failures([failure], [early], POLICY.link_window)
    loop = learning_loop(
        "checkout", [failure], [early], reviews, since=SINCE, until=NOW, policy=POLICY
    )
    assert loop.reviewed_failures == 1
    assert loop.median_hours_to_postmortem == 0.0


def test_postmortems_for_every_service_count_and_shared_items_count_once() -> None:
    shared = item("Shared lesson", team="platform")
    everywhere = postmortem("pm-all", service=None, items=(shared,))
    again = postmortem("pm-again", items=(shared,))
    loop = learning_loop(
        "checkout", [], [everywhere, again], {}, since=SINCE, until=NOW, policy=POLICY
    )
    assert loop.open_action_items == 1


def test_repeat_failures_is_the_callers() -> None:
    assert checkout_loop().repeat_failures == 0
    assert checkout_loop(repeat_failures=2).repeat_failures == 2


def test_week_boundaries_follow_mondays_and_include_the_end() -> None:
    since = datetime.fromisoformat("2026-11-02T00:00:00+00:00")  # a Monday
    until = datetime.fromisoformat("2026-11-16T00:00:00+00:00")  # two weeks later
    at_end = deployment("f-end", at=until)
    loop = learning_loop("checkout", [at_end], [], {}, since=since, until=until, policy=POLICY)
    assert [week.start for week in loop.weekly] == [date(2026, 11, 2), date(2026, 11, 9)]
    assert [week.failures for week in loop.weekly] == [0, 1]


def test_an_empty_period_is_refused() -> None:
    with pytest.raises(ValueError, match="must end after it starts"):
        learning_loop("checkout", [], [], {}, since=NOW, until=NOW, policy=POLICY)


def test_team_credits_add_up_across_services() -> None:
    checkout = checkout_loop()
    cart = replace(checkout, service="cart", teams_closing=(("checkout", 2), ("cart", 1)))
    report = LoopReport(SINCE, NOW, (checkout, cart))
    credits = [(c.team, c.closed, c.services) for c in team_credits(report)]
    assert credits == [
        ("checkout", 3, (("cart", 2), ("checkout", 1))),
        ("payments", 2, (("checkout", 2),)),
        ("cart", 1, (("cart", 1),)),
    ]


# --- formats -------------------------------------------------------------------------------


def report(*loops: ServiceLoop, overrides: int = 2) -> LoopReport:
    return LoopReport(SINCE, NOW, loops or (checkout_loop(),), overrides=overrides)


def hostile_report() -> LoopReport:
    loop = replace(
        checkout_loop(),
        service='"><svg onload=alert(1)> @here',
        teams_closing=((HOSTILE, 4), ("@acme/sre", 1)),
    )
    return report(loop, checkout_loop())


MERMAID = re.compile(r"```mermaid\n(.*?)\n```", re.DOTALL)


def _values(text: str) -> list[str]:
    return [value.strip() for value in text.split(",")] if text.strip() else []


def test_markdown_table_and_sections() -> None:
    text = loop_markdown.render(report())
    assert text.startswith("### 🔁 deploygate: learning loop, 2026-10-23 to 2026-11-20\n")
    assert "| Service | Deployments | Failed | Change failure rate |" in text
    assert "| checkout | 10 | 4 | 40% | 2 | 50% | 20 h | 2 | 1 | 1 | 10.0 d | 0 |" in text
    assert "#### checkout" in text
    assert "#### Loops closed" in text
    assert "- team **payments** closed 2 action items\n" in text
    assert "- team **checkout** closed 1 action item\n" in text
    assert "**Declined:** 1 action item declined in the period" in text
    assert "**Emergency overrides:** 2 in the period." in text
    assert (
        "**Closed at an unknown time:** 1 action item of the whole history done or declined "
        "at a time no source gives: not credited, not counted as declined, and not in the "
        "median time to close or the lesson debt.\n"
    ) in text


def test_markdown_mermaid_blocks_are_valid_xycharts() -> None:
    loop = checkout_loop()
    text = loop_markdown.render(report(loop, replace(loop, service="cart")))
    blocks = MERMAID.findall(text)
    assert len(blocks) == 4  # two per service
    assert text.count("```mermaid") == 4
    kinds = []
    for block in blocks:
        lines = block.splitlines()
        assert lines[0] == "xychart-beta"
        assert re.fullmatch(r'    title "[^"]+"', lines[1])
        x_axis = re.fullmatch(r'    x-axis "[^"]+" \[(.*)\]', lines[2])
        assert x_axis is not None
        labels = re.findall(r'"([^"]*)"', x_axis.group(1))
        assert len(labels) == len(_values(x_axis.group(1))) == len(loop.weekly)
        y_axis = re.fullmatch(r'    y-axis "[^"]+" 0 --> (\d+)', lines[3])
        assert y_axis is not None
        series = re.fullmatch(r"    (bar|line) \[(.*)\]", lines[4])
        assert series is not None
        values = [int(value) for value in _values(series.group(2))]
        assert len(values) == len(labels)
        assert max(values) <= int(y_axis.group(1))
        assert len(lines) == 5
        kinds.append((series.group(1), values))
    assert kinds[0] == ("bar", [0, 1, 2, 0, 1])
    assert kinds[1] == ("line", [1, 4, 3, 3, 2])
    assert re.search(
        r'x-axis "Week starting" \["Oct 19", "Oct 26", "Nov 2", "Nov 9", "Nov 16"\]', text
    )


def test_markdown_axis_of_an_all_zero_series_is_not_empty() -> None:
    quiet = learning_loop("checkout", [], [], {}, since=SINCE, until=NOW, policy=POLICY)
    text = loop_markdown.render(report(quiet))
    assert text.count("0 --> 1\n") == 2
    assert "No team closed an action item in this period." in text
    assert "| checkout | 0 | 0 | n/a | 0 | n/a | n/a | 0 | 0 | 0 | n/a | 0 |" in text
    assert "unknown time" not in text  # said only when there are such items


def test_markdown_escapes_service_and_team_names() -> None:
    text = loop_markdown.render(hostile_report())
    assert "<img" not in text
    assert "<svg" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "@here" not in text  # no mention
    assert "@acme" not in text
    assert "- team **&lt;img src=x onerror=alert(1)&gt;** closed 4 action items (" in text
    for block in MERMAID.findall(text):
        assert "onload" not in block
        assert "<" not in block


def test_markdown_without_services() -> None:
    text = loop_markdown.render(LoopReport(SINCE, NOW, ()))
    assert "No services in this report." in text
    assert "```mermaid" not in text


def test_json_fields() -> None:
    document = loop_report(loop_json.render(report()))
    assert document["schema_version"] == 1
    assert document["kind"] == "learning-loop"
    assert document["period"] == {"start": "2026-10-23T12:00:00Z", "end": "2026-11-20T12:00:00Z"}
    assert document["overrides"] == 2
    [service] = document["services"]
    assert list(service) == [
        "service",
        "deployments",
        "failed_deployments",
        "change_failure_rate",
        "reviewed_failures",
        "postmortem_coverage",
        "median_hours_to_postmortem",
        "open_action_items",
        "overdue_action_items",
        "declined_action_items",
        "median_days_to_close",
        "closed_at_unknown",
        "repeat_failures",
        "related_failures",
        "overrides",
        "would_have_blocked",
        "weekly",
        "teams_closing",
        "dora",
    ]
    assert service["change_failure_rate"] == 0.4
    assert service["postmortem_coverage"] == 0.5
    assert {key: value for key, value in service["weekly"][0].items() if key != "dora"} == {
        "start": "2026-10-19",
        "failures": 0,
        "open_lesson_debt": 1,
    }
    assert service["median_days_to_close"] == 10.0
    assert service["closed_at_unknown"] == 1
    assert service["teams_closing"] == [
        {"team": "payments", "closed": 2},
        {"team": "checkout", "closed": 1},
    ]


def test_json_nulls_when_unknown() -> None:
    quiet = learning_loop("checkout", [], [], {}, since=SINCE, until=NOW, policy=POLICY)
    [service] = loop_report(loop_json.render(report(quiet)))["services"]
    for key in (
        "change_failure_rate",
        "postmortem_coverage",
        "median_hours_to_postmortem",
        "median_days_to_close",
    ):
        assert service[key] is None


def _dora_from_json(measures: dict[str, Any]) -> Dora:
    def rate(measure: dict[str, Any]) -> Rate:
        assert measure["value"] == Rate(measure["numerator"], measure["denominator"]).value
        return Rate(measure["numerator"], measure["denominator"])

    def durations(measure: dict[str, Any], unit: str) -> Durations:
        return Durations(
            measure["numerator"],
            measure["denominator"],
            measure[f"median_{unit}"],
            measure[f"p90_{unit}"],
        )

    return Dora(
        rate(measures["change_failure_rate"]),
        durations(measures["failed_deployment_recovery_time"], "hours"),
        rate(measures["deployment_rework_rate"]),
        durations(measures["lesson_lead_time"], "days"),
    )


def _from_json(document: dict[str, Any]) -> LoopReport:
    """Rebuild the report from its JSON: every field must survive the trip."""

    def instant(text: str) -> datetime:
        assert text.endswith("Z")
        return datetime.fromisoformat(text.replace("Z", "+00:00"))

    return LoopReport(
        period_start=instant(document["period"]["start"]),
        period_end=instant(document["period"]["end"]),
        services=tuple(
            ServiceLoop(
                **{
                    key: value
                    for key, value in service.items()
                    if key not in {"weekly", "teams_closing", "dora"}
                },
                weekly=tuple(
                    Week(
                        date.fromisoformat(w["start"]),
                        w["failures"],
                        w["open_lesson_debt"],
                        _dora_from_json(w["dora"]),
                    )
                    for w in service["weekly"]
                ),
                dora=_dora_from_json(service["dora"]),
                teams_closing=tuple((t["team"], t["closed"]) for t in service["teams_closing"]),
            )
            for service in document["services"]
        ),
        overrides=document["overrides"],
    )


def test_json_round_trip() -> None:
    original = hostile_report()
    text = loop_json.render(original)
    assert text.endswith("}\n")
    assert _from_json(loop_report(text)) == original
    assert HOSTILE in text  # JSON carries data as it is; escaping is the reader's medium's job


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Elements:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser


ALLOWED_TAGS = {
    "html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "thead",
    "tbody", "tr", "th", "td", "section", "div", "ul", "li", "strong", "svg", "text", "line",
    "rect", "polyline", "circle",
}  # fmt: skip


def test_html_is_self_contained_and_runs_nothing() -> None:
    page = loop_html.render(hostile_report())
    assert page.startswith("<!DOCTYPE html>\n")
    assert "<script" not in page.lower()
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    assert "http://" not in page
    assert "https://" not in page
    assert (
        '<meta http-equiv="Content-Security-Policy" '
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">"
    ) in page
    # The policy comes before anything it governs.
    assert page.index("Content-Security-Policy") < page.index("<style>")
    elements = _parse(page)
    for tag, attrs in elements.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name)
            assert name not in {"src", "href", "xlink:href", "action", "srcset"}, (tag, name)
            assert "url(" not in (value or "")
    assert "url(" not in page
    assert "@import" not in page


def test_html_escapes_hostile_names() -> None:
    page = loop_html.render(hostile_report())
    assert "<img" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert (
        "<li>team <strong>&lt;img src=x onerror=alert(1)&gt;</strong> closed 4 action items" in page
    )
    assert '"><svg onload' not in page
    assert "&quot;&gt;&lt;svg onload=alert(1)&gt;" in page
    text = "".join(_parse(page).text)
    assert HOSTILE in text  # shown to the reader as the literal text
    assert "@here" not in page  # the @ is broken, so nothing reading the page pings


def test_html_charts() -> None:
    loop = checkout_loop()
    page = loop_html.render(report(loop))
    elements = _parse(page)
    svgs = [attrs for tag, attrs in elements.tags if tag == "svg"]
    assert len(svgs) == 6  # failures and debt, then the four DORA measures
    rects = [
        dict(attrs)
        for tag, attrs in elements.tags
        if tag == "rect" and ("fill", "#c2410c") in attrs
    ]
    assert len(rects) == sum(1 for week in loop.weekly if week.failures)  # one bar per failure week
    heights = [float(rect["height"] or 0) for rect in rects]
    assert heights[1] == pytest.approx(2 * heights[0])  # 2 failures vs 1
    [polyline] = [dict(attrs) for tag, attrs in elements.tags if tag == "polyline"]
    points = (polyline["points"] or "").split()
    assert len(points) == len(loop.weekly)
    ys = [float(point.split(",")[1]) for point in points]
    assert ys[0] > ys[1] < ys[2] == ys[3] < ys[4]  # debt 1, 4, 3, 3, 2: higher is smaller y
    labels = "".join(elements.text)
    for label in ("Oct 19", "Oct 26", "Nov 2", "Nov 9", "Nov 16"):
        assert label in labels
    assert "Loops closed" in labels
    assert "Emergency overrides:" in labels
    assert "Closed at an unknown time:" in labels


def test_html_without_services_or_weeks() -> None:
    assert "No services in this report." in loop_html.render(LoopReport(SINCE, NOW, ()))
    empty = replace(checkout_loop(), weekly=())
    page = loop_html.render(report(empty))
    assert "<svg" not in page
    assert "No weeks in the period." in page


def test_with_overrides_sets_each_service_and_the_sum() -> None:
    search = replace(checkout_loop(), service="search")
    counted = with_overrides(report(checkout_loop(), search, overrides=0), {"checkout": 3})
    assert [(loop.service, loop.overrides) for loop in counted.services] == [
        ("checkout", 3),
        ("search", 0),
    ]
    assert counted.overrides == 3
    text = loop_markdown.render(counted)
    assert "| Repeat failures | Related failures | Overrides |" in text
    assert "**Emergency overrides:** 3 in the period." in text
    assert [s["overrides"] for s in loop_report(loop_json.render(counted))["services"]] == [3, 0]
    assert "<th>Overrides</th>" in loop_html.render(counted)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("kind",), "gate"),
        (("services", 0, "postmortem_coverage"), 1.5),
        (("services", 0, "open_action_items"), -1),
        (("services", 0, "weekly", 0, "start"), "2026-W44"),
        (("period", "end"), "2026-11-20T12:00:00+01:00"),
    ],
    ids=["kind", "coverage-over-1", "negative-count", "week-not-a-date", "not-utc"],
)
def test_the_loop_schema_rejects_a_document_outside_the_contract(
    path: tuple[str | int, ...], value: object
) -> None:
    """The validation every loop JSON of the tests goes through can fail."""
    document = loop_report(loop_json.render(report()))
    target: Any = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, LOOP_REPORT_SCHEMA)


def test_the_loop_schema_ships_in_the_package() -> None:
    """Package data is a glob in pyproject; the schema's name must match it."""
    pyproject = toml.loads((REPO_ROOT / "pyproject.toml").read_text("utf-8"))
    globs = pyproject["tool"]["setuptools"]["package-data"]["deploygate"]
    shipped = f"formats/{loop_json.SCHEMA_RESOURCE}"
    assert any(fnmatch.fnmatchcase(shipped, glob) for glob in globs), globs
    assert (REPO_ROOT / "src" / "deploygate" / shipped).is_file()


def test_would_have_blocked_is_shown_per_service_in_every_format() -> None:
    search = replace(checkout_loop(), service="search")
    counted = with_would_have_blocked(report(checkout_loop(), search), {"checkout": 3})
    assert [(loop.service, loop.would_have_blocked) for loop in counted.services] == [
        ("checkout", 3),
        ("search", 0),
    ]
    text = loop_markdown.render(counted)
    assert "| Overrides | Would have blocked |" in text
    assert "**Advisory mode:** checkout would have blocked 3 deploys in the period." in text
    document = loop_report(loop_json.render(counted))
    assert [s["would_have_blocked"] for s in document["services"]] == [3, 0]
    page = loop_html.render(counted)
    assert "<th>Would have blocked</th>" in page
    assert "<strong>Advisory mode:</strong> checkout would have blocked 3 deploys" in page


def test_without_advisory_blocks_the_report_says_nothing_of_advisory_mode() -> None:
    text = loop_markdown.render(report())
    assert "Advisory mode" not in text
    assert "Advisory mode" not in loop_html.render(report())


def test_dora_measures_in_every_format() -> None:
    # checkout's failures recover at the next success: f1 (Oct 31) on Nov 2, 48 h; f2
    # (Nov 7) and f3 (Nov 8) on Nov 13, 144 h and 120 h; f4 (Nov 19) not by the end.
    # Done in the period: config in CI, contract test, old lesson; none has a fix.
    text = loop_markdown.render(report())
    assert (
        "| checkout | 40% (4 of 10 deployments) | median 120 h, p90 144 h (3 of 4 failures "
        "recovered) | 0% (0 of 10 deployments) | n/a (0 of 3 done items measured) |\n"
    ) in text
    for title, definition in dora_definitions():
        assert f"- **{title}:** {definition}\n" in text
    assert DORA_GUIDE in text
    [service] = loop_report(loop_json.render(report()))["services"]
    recovery = service["dora"]["failed_deployment_recovery_time"]
    assert recovery == {
        "numerator": 3,
        "denominator": 4,
        "median_hours": 120.0,
        "p90_hours": 144.0,
        "definition": DEFINITIONS["failed_deployment_recovery_time"],
    }
    assert service["dora"]["deployment_rework_rate"]["window_hours"] == 24
    page = loop_html.render(report())
    assert '<td class="number">median 120 h, p90 144 h (3 of 4 failures recovered)</td>' in page
    titles = [text for text in _parse(page).text if text.endswith("per week (median)")]
    assert titles.count("Failed deployment recovery time per week (median)") == 2  # title, label
    assert "nothing to measure in the period" in page  # lesson lead time: no fix shipped
