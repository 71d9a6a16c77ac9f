"""DORA's delivery measures of one service, and lesson lead time, for the learning-loop report.

Pure, like :mod:`deploygate.loop`, which calls it: no I/O and no clock. Each
measure keeps what it counted and out of what (its numerator and
denominator), so a reader can check it by hand, and each follows a written
definition (:data:`DEFINITIONS`) that cites DORA's own
(https://dora.dev/guides/dora-metrics/):

- *change failure rate*: failed and rolled-back deployments ÷ finished
  deployments;
- *failed deployment recovery time*: from a failed deployment to the next
  successful deployment of its service and environment, up to the period's
  end; median and 90th percentile over the failures that recovered, with how
  many did not;
- *deployment rework rate*: deployments made in reaction to a failure ÷
  finished deployments (:func:`is_rework` is the rule);
- *lesson lead time*: from a postmortem to the last fix of one of its done
  action items reaching production (:attr:`Fix.shipped_at`); median. Done
  items without a fix, or with one that has not shipped, are not measured,
  and the counts say how many were.

A measure belongs to the week of its moment: a deployment's creation, a
failure's creation (its recovery may come later), a lesson's last fix
shipping (or, for one not measured, its closing).
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from deploygate.linking import MIN_SHA_PREFIX, same_commit
from deploygate.model import ActionItem, ActionItemState, Deployment, DeploymentStatus
from deploygate.rollbacks import says_rollback

DORA_GUIDE = "https://dora.dev/guides/dora-metrics/"
"""Where DORA defines its measures; every definition below follows one there."""

REWORK_WINDOW = timedelta(hours=24)
"""How soon after a failure a rollback or a fix counts as rework: a reaction within a day
is unplanned; a fix shipped later is the planned follow-up of a postmortem, measured by
lesson lead time instead."""

DEFINITIONS: Mapping[str, str] = {
    "change_failure_rate": (
        "Failed, errored and rolled-back deployments ÷ finished deployments (success, "
        "failure, error, rolled back) of the service in the period: DORA's change fail rate, "
        "the share of deployments that need immediate intervention such as a rollback or a "
        "hotfix."
    ),
    "failed_deployment_recovery_time": (
        "For each failed, errored or rolled-back deployment of the period: the time to the "
        "next successful deployment of the same service and environment, up to the period's "
        "end; median and 90th percentile (nearest rank) of the failures that recovered, "
        "counted out of all failures: DORA's failed deployment recovery time."
    ),
    "deployment_rework_rate": (
        "Finished deployments that follow a failed deployment of the same service and "
        "environment within 24 hours and roll back (they say so, or replace a rolled-back "
        "deployment) or ship a fix (an action item's fix, or a commit that says fix or "
        "hotfix) ÷ finished deployments of the period: DORA's deployment rework rate, the "
        "share of deployments that are unplanned and made because of an incident."
    ),
    "lesson_lead_time": (
        "For each done action item of the service: from its postmortem's creation to its "
        "last fix reaching production; the median over the items whose every fix has "
        "shipped, counted out of those and the items done in the period without a shipped "
        "fix. It extends DORA's lead time for changes from a commit to a lesson."
    ),
}
"""Each measure's definition, by its JSON name: the same words in every format and the docs."""

# A commit or deployment that says it fixes opens with it, as people and Conventional
# Commits write one: "Fix the payment timeout", "fix(api): ...", "Hotfix: ...",
# "bugfix/..."; leading "[tag]"s are skipped. "Fixture ..." and "Fixing docs" later in
# the line are not one.
_SAYS_FIX = re.compile(
    r"\s*(?:\[[^\]\n]*\][ \t]*)*(?:hot-?fix|bug-?fix|fix(?:e[sd])?)(?![\w-])",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Rate:
    """A share of deployments: how many were counted, out of how many."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        """``numerator / denominator``, 0 to 1; ``None`` without a denominator."""
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True, slots=True)
class Durations:
    """Durations measured on some of a whole: how many were measured, out of how many."""

    measured: int
    """The numerator: recovered failures, lessons whose fixes all shipped."""
    total: int
    """The denominator: every failure, every lesson that could have been measured."""
    median: float | None
    """``None`` when nothing was measured."""
    p90: float | None
    """The 90th percentile, nearest rank: a value that was measured, never interpolated."""


@dataclass(frozen=True, slots=True)
class Dora:
    """The four measures of one service over one stretch of time (the period, or a week)."""

    change_failure_rate: Rate
    recovery_hours: Durations
    rework_rate: Rate
    lesson_lead_days: Durations


def _durations(values: Sequence[float | None]) -> Durations:
    measured = sorted(value for value in values if value is not None)
    if not measured:
        return Durations(0, len(values), None, None)
    rank = math.ceil(0.9 * len(measured))
    return Durations(
        len(measured), len(values), float(statistics.median(measured)), measured[rank - 1]
    )


NO_DORA = Dora(Rate(0, 0), _durations(()), Rate(0, 0), _durations(()))
"""Nothing measured: what a week built by hand holds."""


def _between(
    times: Sequence[datetime], start: datetime, end: datetime, last: bool
) -> tuple[int, int]:
    """The slice of sorted ``times`` from ``start`` up to ``end`` (included when ``last``)."""
    high = bisect.bisect_right(times, end) if last else bisect.bisect_left(times, end)
    return bisect.bisect_left(times, start), high


@dataclass(frozen=True, slots=True)
class Facts:
    """What each measure is made of, measured once per deployment, failure and lesson, each at
    its moment and sorted by it; :meth:`between` adds them up for any stretch of time."""

    deployment_times: tuple[datetime, ...]
    deployments: tuple[tuple[bool, bool], ...]
    """``(failed, rework)`` of each finished deployment, at its creation."""
    failure_times: tuple[datetime, ...]
    recovery_hours: tuple[float | None, ...]
    """Hours from each failure to its recovery, or None, at the failure's creation."""
    lesson_times: tuple[datetime, ...]
    lesson_days: tuple[float | None, ...]
    """Days of lead time of each done lesson, or None when it is not measured."""

    def between(self, start: datetime, end: datetime, *, last: bool = False) -> Dora:
        """The measures of what happened from ``start`` up to ``end`` (``end`` included when
        ``last``): a week of the period, or the whole of it."""
        low, high = _between(self.deployment_times, start, end, last)
        deployments = self.deployments[low:high]
        recoveries = slice(*_between(self.failure_times, start, end, last))
        lessons = slice(*_between(self.lesson_times, start, end, last))
        return Dora(
            change_failure_rate=Rate(sum(failed for failed, _ in deployments), len(deployments)),
            recovery_hours=_durations(self.recovery_hours[recoveries]),
            rework_rate=Rate(sum(rework for _, rework in deployments), len(deployments)),
            lesson_lead_days=_durations(self.lesson_days[lessons]),
        )


def _streams(deployments: Iterable[Deployment]) -> list[list[Deployment]]:
    """The deployments of each service and environment, oldest first."""
    streams: dict[tuple[str, str], list[Deployment]] = defaultdict(list)
    for deployment in deployments:
        streams[(deployment.service, deployment.environment)].append(deployment)
    return [sorted(stream, key=lambda d: d.created_at) for stream in streams.values()]


def is_rework(
    deployment: Deployment,
    previous: Deployment | None,
    failures: Sequence[datetime],
    ships_fix: Callable[[Deployment], bool],
) -> bool:
    """Whether ``deployment`` is rework: the rule of the deployment rework rate.

    A finished deployment is rework when a failed, errored or rolled-back
    deployment of its service and environment (``failures``, their creation
    times, oldest first) came before it within :data:`REWORK_WINDOW`, and it
    either rolls back (it says so, like the rollback detection reads it, or
    ``previous``, the deployment of the stream that went out before it, was
    rolled back: it is what replaced it) or ships a fix (``ships_fix``: the
    fix of an action item, as sources record it; or its commit or description
    opens with fix, hotfix or bugfix, for histories that link no fixes).
    """
    after = bisect.bisect_left(failures, deployment.created_at)
    if not after or deployment.created_at - failures[after - 1] > REWORK_WINDOW:
        return False
    replaced_a_rollback = (
        previous is not None
        and previous.status is DeploymentStatus.ROLLED_BACK
        and deployment.status in (DeploymentStatus.SUCCESS, DeploymentStatus.ROLLED_BACK)
    )
    says_fix = any(
        text and _SAYS_FIX.match(text) for text in (deployment.commit_title, deployment.description)
    )
    return (
        says_rollback(deployment) is not None
        or replaced_a_rollback
        or ships_fix(deployment)
        or says_fix
    )


def _fix_shipper(items: Iterable[ActionItem]) -> Callable[[Deployment], bool]:
    """Whether a successful deployment is the first to ship an action item's fix: by the time
    the fix was found shipped, or by its commit. Shas are looked up by their first
    :data:`MIN_SHA_PREFIX` digits, which two shas of one commit share."""
    shipped_at: set[datetime] = set()
    shas: dict[str, list[str]] = defaultdict(list)
    for item in items:
        for fix in item.fixes:
            if fix.shipped_at is not None:
                shipped_at.add(fix.shipped_at)
            if fix.sha:
                shas[fix.sha[:MIN_SHA_PREFIX].lower()].append(fix.sha)

    def ships_fix(deployment: Deployment) -> bool:
        if deployment.status is not DeploymentStatus.SUCCESS:
            return False
        if deployment.created_at in shipped_at:
            return True
        sha = deployment.sha
        return sha is not None and any(
            same_commit(sha, fix) for fix in shas.get(sha[:MIN_SHA_PREFIX].lower(), ())
        )

    return ships_fix


def _lesson(
    item: ActionItem, postmortem_created: datetime, until: datetime
) -> tuple[datetime, float | None] | None:
    """``(moment, days)`` of a done lesson: days from its postmortem to its last fix shipping,
    when every fix shipped by ``until``, at that moment; else None days at its closing; None
    when it has neither (no fix shipped, closed at an unknown time)."""
    shipped = [fix.shipped_at for fix in item.fixes]
    if shipped and all(at is not None and at <= until for at in shipped):
        last = max(at for at in shipped if at is not None)
        return last, max(0.0, (last - postmortem_created).total_seconds()) / 86400
    if item.closed_at is None:
        return None
    return item.closed_at, None


def facts(
    deployments: Sequence[Deployment],
    items: Mapping[ActionItem, datetime],
    *,
    since: datetime,
    until: datetime,
) -> Facts:
    """What the measures of one service are made of, from ``since`` to ``until``.

    ``deployments`` are the service's finished deployments; those of the
    :data:`REWORK_WINDOW` before ``since`` are read too (a failure just before
    the period makes the first deployments of the period rework), none after
    ``until``. ``items`` are its action items, each with the creation of the
    earliest postmortem that lists it.
    """
    ships_fix = _fix_shipper(items)
    deployments = [d for d in deployments if since - REWORK_WINDOW <= d.created_at <= until]
    rows: list[tuple[datetime, bool, bool]] = []
    recoveries: list[tuple[datetime, float | None]] = []
    for stream in _streams(deployments):
        failed = [deployment.status.failed for deployment in stream]
        failures = [d.created_at for d, fails in zip(stream, failed, strict=True) if fails]
        recovered_at = _next_success(stream)
        previous: Deployment | None = None
        for deployment, fails, recovery in zip(stream, failed, recovered_at, strict=True):
            rework = is_rework(deployment, previous, failures, ships_fix)
            rows.append((deployment.created_at, fails, rework))
            if fails:
                hours = None
                if recovery is not None:
                    hours = (recovery - deployment.created_at).total_seconds() / 3600
                recoveries.append((deployment.created_at, hours))
            if deployment.status in (DeploymentStatus.SUCCESS, DeploymentStatus.ROLLED_BACK):
                previous = deployment
    lessons = [
        lesson
        for item, created in items.items()
        if item.state is ActionItemState.DONE
        and (lesson := _lesson(item, created, until)) is not None
    ]
    rows.sort(key=lambda row: row[0])
    recoveries.sort(key=lambda row: row[0])
    lessons.sort(key=lambda row: row[0])
    return Facts(
        deployment_times=tuple(at for at, _, _ in rows),
        deployments=tuple((fails, rework) for _, fails, rework in rows),
        failure_times=tuple(at for at, _ in recoveries),
        recovery_hours=tuple(hours for _, hours in recoveries),
        lesson_times=tuple(at for at, _ in lessons),
        lesson_days=tuple(days for _, days in lessons),
    )


def _next_success(stream: Sequence[Deployment]) -> list[datetime | None]:
    """For each deployment of a stream, the creation of the next successful deployment
    strictly after it (one at the same moment does not follow it), or None."""
    successes = sorted(d.created_at for d in stream if d.status is DeploymentStatus.SUCCESS)
    found: list[datetime | None] = []
    for deployment in stream:
        after = bisect.bisect_right(successes, deployment.created_at)
        found.append(successes[after] if after < len(successes) else None)
    return found
