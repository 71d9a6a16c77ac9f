"""The learning-loop report: how a service's failures turned into lessons, week by week.

Pure, like the rules: no I/O and no clock. The period is an argument
(``since`` to ``until``, both included), so a report can be replayed for any
past quarter and a test can pin it.

What the model knows, and what it does not:

- *Closed* means an action item is done. Declined items are decisions, not
  debt, and are counted apart. Both are measured by when they were closed
  (:attr:`ActionItem.closed_at`): an item is lesson debt from its creation
  until its closing, and is credited (or counted as declined) in the period
  its closing falls in, whenever it was created.
- A done or declined item whose source gives no closing time (a local
  postmortem without ``closed:``) is counted as closed at an unknown time
  (:attr:`ServiceLoop.closed_at_unknown`): no date is guessed for it, so it
  is not credited, not counted as declined, not in the median and not debt
  in any week. Item states are read as of ``until``.
- DORA's measures (change failure rate, failed deployment recovery time,
  deployment rework rate) and lesson lead time are :mod:`deploygate.dora`'s,
  for the period and for each week.
- Recognition goes to the owning *team* of an action item, never to a person:
  the model has no field for one. Items without a team are not credited.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from deploygate.dates import start_of_day, to_utc
from deploygate.dora import NO_DORA, Dora, facts
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    Postmortem,
    Review,
)
from deploygate.rules import Policy, is_overdue

_WEEK = timedelta(days=7)
_FINISHED = frozenset(
    {
        DeploymentStatus.SUCCESS,
        DeploymentStatus.FAILURE,
        DeploymentStatus.ERROR,
        DeploymentStatus.ROLLED_BACK,
    }
)
"""Deployments that count towards the change failure rate: those that finished.

An ``in_progress`` deployment has no outcome yet and a ``cancelled`` one
never shipped; counting either would dilute the rate.
"""


@dataclass(frozen=True, slots=True)
class Week:
    """One calendar week (Monday to Sunday, UTC) of the period."""

    start: date
    """The Monday that starts the week; the first and last week may be cut by the period."""
    failures: int
    """Failed deployments during the part of the week inside the period."""
    open_lesson_debt: int
    """Action items open at the end of the week (or at the end of the period, if sooner)."""
    dora: Dora = NO_DORA
    """The DORA measures and lesson lead time of the part of the week inside the period."""


@dataclass(frozen=True, slots=True)
class ServiceLoop:
    """The learning loop of one service over one period."""

    service: str
    deployments: int
    """Finished deployments (success, failure, error) in the period."""
    failed_deployments: int
    change_failure_rate: float | None
    """``failed_deployments / deployments``, 0 to 1; ``None`` without deployments."""
    reviewed_failures: int
    """Failed deployments of the period that a postmortem reviews."""
    postmortem_coverage: float | None
    """``reviewed_failures / failed_deployments``, 0 to 1; ``None`` without failures."""
    median_hours_to_postmortem: float | None
    """Median hours from a reviewed failure to its postmortem's creation (never below 0)."""
    open_action_items: int
    overdue_action_items: int
    declined_action_items: int
    """Action items declined in the period, by their closing time."""
    median_days_to_close: float | None
    """Median days from creation to closing of the items done in the period; ``None`` when
    none was."""
    repeat_failures: int = 0
    """Given by the caller: failures that repeat an already reviewed one, on evidence (a
    shared cause label, the same specific error)."""
    related_failures: int = 0
    """Given by the caller: failures only related to an already reviewed one (the same
    failing job and step, a similar description), counted apart from the repeats."""
    weekly: tuple[Week, ...] = ()
    teams_closing: tuple[tuple[str, int], ...] = ()
    """``(team, items done in the period)``, most first, then by name. Teams, never people."""
    overrides: int = 0
    """Given by the caller: emergency overrides of this service's gate in the period, as
    counted from the override notes deploygate left (see :func:`with_overrides`)."""
    would_have_blocked: int = 0
    """Given by the caller: advisory checks of this service in the period whose verdict was
    block, from the local advisory log (see :func:`with_would_have_blocked`)."""
    closed_at_unknown: int = 0
    """Done or declined items, of the whole history up to the period's end, whose source
    gives no closing time: they may have closed in the period or long before, so they are
    left out of the counts above, which go by closing time; the number says what those
    do not show."""
    dora: Dora = NO_DORA
    """DORA's measures and lesson lead time over the period, each with what it counted and
    out of what (:mod:`deploygate.dora`); its change failure rate is the one above."""


@dataclass(frozen=True, slots=True)
class LoopReport:
    """The learning-loop report of one or more services, handed to the loop formats."""

    period_start: datetime
    period_end: datetime
    services: tuple[ServiceLoop, ...]
    overrides: int = 0
    """Given by the caller: emergency overrides of the gate during the period, every service."""


def _median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _unique_items(postmortems: Iterable[Postmortem]) -> list[ActionItem]:
    """Each action item once, even when two postmortems list it."""
    seen: dict[str, ActionItem] = {}
    for postmortem in postmortems:
        for item in postmortem.action_items:
            seen.setdefault(item.id, item)
    return list(seen.values())


def _week_starts(since: datetime, until: datetime) -> list[datetime]:
    """The Mondays (midnight UTC) of every week that overlaps the period."""
    first_day = since.date() - timedelta(days=since.date().weekday())
    starts = [start_of_day(first_day)]
    while starts[-1] + _WEEK < until:
        starts.append(starts[-1] + _WEEK)
    return starts


def _first_postmortems(postmortems: Iterable[Postmortem]) -> dict[str, datetime]:
    """When the earliest postmortem listing each action item was created, by item id: where
    its lesson's lead time starts."""
    first: dict[str, datetime] = {}
    for postmortem in postmortems:
        for item in postmortem.action_items:
            known = first.get(item.id)
            if known is None or postmortem.created_at < known:
                first[item.id] = postmortem.created_at
    return first


def _open_at(item: ActionItem, moment: datetime) -> bool:
    """Whether ``item`` was open at ``moment``: from its creation until its closing."""
    if item.created_at >= moment:
        return False
    if item.state is ActionItemState.OPEN:
        return True
    return item.closed_at is not None and item.closed_at > moment


def _closed_in_period(item: ActionItem, since: datetime, until: datetime) -> bool:
    """Whether a done or declined ``item`` was closed inside the period, by its closing time."""
    if item.state is ActionItemState.OPEN or item.closed_at is None:
        return False
    return since <= item.closed_at <= until


def learning_loop(
    service: str,
    deployments: Sequence[Deployment],
    postmortems: Sequence[Postmortem],
    reviews: Mapping[str, Review],
    *,
    since: datetime,
    until: datetime,
    policy: Policy,
    repeat_failures: int = 0,
    related_failures: int = 0,
) -> ServiceLoop:
    """The learning loop of ``service`` from ``since`` to ``until``, both included.

    ``deployments`` and ``postmortems`` may hold other services' records:
    only this service's deployments and the postmortems that cover it (and
    exist by ``until``) are used. ``reviews`` is the output of
    :func:`deploygate.linking.link_failures`, by deployment id, linked against
    this service's postmortems only (as :func:`deploygate.gate.build_evidence`
    does): another service's postmortem would review failures by time window.
    Overdue is :func:`deploygate.rules.is_overdue` at ``until``.
    """
    since, until = to_utc(since), to_utc(until)
    if since >= until:
        raise ValueError(f"the period must end after it starts: {since} to {until}")

    ran = [
        deployment
        for deployment in deployments
        if deployment.service == service
        and deployment.status in _FINISHED
        and since <= deployment.created_at <= until
    ]
    failures = sorted(
        (deployment for deployment in ran if deployment.status.failed),
        key=lambda deployment: deployment.created_at,
    )
    reviewed = [reviews[failure.id] for failure in failures if failure.id in reviews]
    hours_to_postmortem = [
        max(0.0, (review.postmortem.created_at - review.deployment.created_at).total_seconds())
        / 3600
        for review in reviewed
    ]

    own = [
        postmortem
        for postmortem in postmortems
        if postmortem.covers(service) and postmortem.created_at <= until
    ]
    items = [item for item in _unique_items(own) if item.created_at <= until]
    first_postmortem = _first_postmortems(own)
    measured = facts(
        [
            deployment
            for deployment in deployments
            if deployment.service == service and deployment.status in _FINISHED
        ],
        {item: first_postmortem[item.id] for item in items},
        since=since,
        until=until,
    )
    open_items = [item for item in items if item.state is ActionItemState.OPEN]
    closed = [item for item in items if _closed_in_period(item, since, until)]
    done = [item for item in closed if item.state is ActionItemState.DONE]
    declined = [item for item in closed if item.state is ActionItemState.DECLINED]
    days_to_close = [
        max(0.0, (item.closed_at - item.created_at).total_seconds()) / 86400
        for item in done
        if item.closed_at is not None
    ]
    teams = Counter(item.team for item in done if item.team)

    starts = _week_starts(since, until)
    week_failures = [0] * len(starts)
    for failure in failures:
        index = min((failure.created_at - starts[0]) // _WEEK, len(starts) - 1)
        week_failures[index] += 1
    weekly = tuple(
        Week(
            start=start.date(),
            failures=count,
            open_lesson_debt=sum(1 for item in items if _open_at(item, min(start + _WEEK, until))),
            dora=measured.between(
                max(start, since), min(start + _WEEK, until), last=start == starts[-1]
            ),
        )
        for start, count in zip(starts, week_failures, strict=True)
    )
    dora = measured.between(since, until, last=True)

    return ServiceLoop(
        service=service,
        deployments=len(ran),
        failed_deployments=len(failures),
        change_failure_rate=dora.change_failure_rate.value,
        reviewed_failures=len(reviewed),
        postmortem_coverage=_ratio(len(reviewed), len(failures)),
        median_hours_to_postmortem=_median(hours_to_postmortem),
        open_action_items=len(open_items),
        overdue_action_items=sum(1 for item in open_items if is_overdue(item, policy, until)),
        declined_action_items=len(declined),
        median_days_to_close=_median(days_to_close),
        repeat_failures=repeat_failures,
        related_failures=related_failures,
        weekly=weekly,
        teams_closing=tuple(sorted(teams.items(), key=lambda pair: (-pair[1], pair[0]))),
        closed_at_unknown=sum(
            1 for item in items if item.state is not ActionItemState.OPEN and item.closed_at is None
        ),
        dora=dora,
    )


@dataclass(frozen=True, slots=True)
class TeamCredit:
    """A team's closed loops across the services of a report: recognition, never ranking people."""

    team: str
    closed: int
    """Action items of the team done in the period, over every service."""
    services: tuple[tuple[str, int], ...]
    """``(service, items done)``, most first, then by name."""


def team_credits(report: LoopReport) -> tuple[TeamCredit, ...]:
    """Every team that closed action items in the period, most first, then by name."""
    by_team: dict[str, Counter[str]] = {}
    for loop in report.services:
        for team, count in loop.teams_closing:
            by_team.setdefault(team, Counter())[loop.service] += count
    credits = [
        TeamCredit(
            team=team,
            closed=sum(services.values()),
            services=tuple(sorted(services.items(), key=lambda pair: (-pair[1], pair[0]))),
        )
        for team, services in by_team.items()
    ]
    return tuple(sorted(credits, key=lambda credit: (-credit.closed, credit.team)))


def with_overrides(report: LoopReport, overrides: Mapping[str, int]) -> LoopReport:
    """``report`` with each service's override count, and their sum as the report's.

    The counts come from the audit trail (the override notes), which only a
    caller that can read a platform knows; a service without notes had none.
    """
    services = tuple(
        replace(loop, overrides=overrides.get(loop.service, 0)) for loop in report.services
    )
    return replace(report, services=services, overrides=sum(loop.overrides for loop in services))


def with_would_have_blocked(report: LoopReport, counts: Mapping[str, int]) -> LoopReport:
    """``report`` with each service's count of advisory checks that would have blocked: what a
    team reads before it turns advisory mode off. A service without any had none."""
    services = tuple(
        replace(loop, would_have_blocked=counts.get(loop.service, 0)) for loop in report.services
    )
    return replace(report, services=services)
