"""Collect from the sources, link, evaluate, and build the report. No click, no print.

A source that fails does not stop the check: the others still answer, the
report names the failed source, and the verdict becomes ``unknown``,
because a gate that silently passes on missing history would lie.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from deploygate.errors import ExitCode, OnError, SourceError
from deploygate.linking import ReferenceIndex, link_failures
from deploygate.model import (
    ActionItemState,
    Coverage,
    Deployment,
    DeploymentStatus,
    History,
    Postmortem,
    Query,
    Report,
    ServiceSeen,
    Shipment,
    SourceStatus,
    Summary,
    Verdict,
    saw_service,
)
from deploygate.rollbacks import mark_rollbacks
from deploygate.rules import (
    Evidence,
    Policy,
    Seen,
    blocking,
    evaluate,
    find_repeats,
    is_overdue,
    verdict,
)
from deploygate.shipping import (
    Prober,
    Repository,
    done_fixes,
    first_questions,
    shipment,
    successes,
    with_shipped_at,
)
from deploygate.sources import Backend, ExportTarget, Tracker
from deploygate.sources.interface import DEFAULT_ENVIRONMENT
from deploygate.sources.markdown import lessons

if TYPE_CHECKING:
    from deploygate.loop import LoopReport


def collect(
    backends: Sequence[Backend], query: Query, policy: Policy
) -> tuple[History, tuple[SourceStatus, ...]]:
    """Ask every source, then every tracker, keeping what worked and why the rest failed.

    Trackers run last because they attach action items to the postmortems
    the sources found. Rolled-back deployments are marked on the whole
    history, so the report's change failure rate sees them too.
    """
    deployments: list[Deployment] = []
    postmortems: list[Postmortem] = []
    services_seen: list[ServiceSeen] = []
    environments_seen: set[str] = set()
    statuses: dict[int, SourceStatus] = {}
    trackers: list[tuple[int, Tracker]] = []
    for position, backend in enumerate(backends):
        if isinstance(backend, Tracker):
            trackers.append((position, backend))
            continue
        try:
            found = backend.collect(query)
        except SourceError as error:
            statuses[position] = _failed(backend, error)
            continue
        deployments.extend(found.deployments)
        postmortems.extend(found.postmortems)
        services_seen.extend(found.services_seen)
        environments_seen.update(found.environments_seen)
        statuses[position] = SourceStatus(
            backend.name,
            ok=True,
            usage=backend.usage(),
            notices=found.notices,
            coverage=coverage(found, query),
        )
    history = History(
        mark_rollbacks(deployments, policy.rollback_window),
        tuple(postmortems),
        services_seen=tuple(services_seen),
        environments_seen=tuple(sorted(environments_seen)),
    )
    history = _attach_exported(backends, statuses, query, history)
    for position, tracker in trackers:
        try:
            enriched = tracker.enrich(query, history)
        except SourceError as error:
            statuses[position] = _failed(tracker, error)
            continue
        attached = _action_items(enriched, query) - _action_items(history, query)
        history, notices = _own_notices(history, enriched)
        statuses[position] = SourceStatus(
            tracker.name,
            ok=True,
            usage=tracker.usage(),
            notices=notices,
            coverage=Coverage(action_items=attached),
        )
    return history, tuple(statuses[position] for position in sorted(statuses))


def _attach_exported(
    backends: Sequence[Backend],
    statuses: dict[int, SourceStatus],
    query: Query,
    history: History,
) -> History:
    """Items exported from one platform to another source's issues (a Linear item linked to
    a GitHub issue), attached by that source with its issue's state; its notices join its
    status, and its failure fails it like any other."""
    for position, backend in enumerate(backends):
        status = statuses.get(position)
        if not isinstance(backend, ExportTarget) or status is None or not status.ok:
            continue
        try:
            attached = backend.attach_exported(query, history)
        except SourceError as error:
            statuses[position] = _failed(backend, error)
            continue
        history, notices = _own_notices(history, attached)
        statuses[position] = replace(
            status, usage=backend.usage(), notices=(*status.notices, *notices)
        )
    return history


def _own_notices(before: History, after: History) -> tuple[History, tuple[str, ...]]:
    """``after`` with ``before``'s notices, and the notices a step added: a tracker, or a
    source attaching exported items, appends its notices to the history's, and the new ones
    are its own, for its status."""
    return replace(after, notices=before.notices), after.notices[len(before.notices) :]


def _speaking_for(history: History, query: Query) -> list[Postmortem]:
    """The postmortems of ``history`` that speak for the query's service, up to its time."""
    return [
        postmortem
        for postmortem in history.postmortems
        if postmortem.covers(query.service) and postmortem.created_at <= query.now
    ]


def _action_items(history: History, query: Query) -> int:
    return sum(len(postmortem.action_items) for postmortem in _speaking_for(history, query))


def coverage(found: History, query: Query) -> Coverage:
    """What one source gave about the query's service: counted here, once, for every source.

    Every deployment of the service it read counts, whatever the environment
    (a source that was asked for one environment read only that one), up to
    the time of the check.
    """
    deployments = [
        deployment
        for deployment in found.deployments
        if deployment.service == query.service and deployment.created_at <= query.now
    ]
    times = [deployment.created_at for deployment in deployments]
    postmortems = [
        postmortem for postmortem in _speaking_for(found, query) if postmortem.reviews_failures
    ]
    return Coverage(
        deployments=len(deployments),
        environments=tuple(sorted({deployment.environment for deployment in deployments})),
        first_deployment=min(times, default=None),
        last_deployment=max(times, default=None),
        postmortems=len(postmortems),
        action_items=_action_items(found, query),
    )


def seen(
    history: History,
    statuses: Sequence[SourceStatus],
    query: Query,
    configured_services: Sequence[str] = (),
) -> Seen:
    """What the sources saw of the service and around it, for ``no-evidence``.

    When a source failed, it may hold what the others lack: the verdict is
    unknown then, and nothing is claimed unseen.
    """
    if any(not status.ok for status in statuses):
        return Seen()
    covered = [status.coverage for status in statuses if status.coverage is not None]
    deployed_to = {name for each in covered for name in each.environments}
    environments = sorted(deployed_to.union(history.environments_seen))
    return Seen(
        service=saw_service(statuses),
        in_environment=query.environment is None or query.environment in deployed_to,
        environments=tuple(environments),
        services=(
            *history.services_seen,
            *(ServiceSeen(name, f"[services.{name}]") for name in configured_services),
        ),
    )


def _failed(backend: Backend, error: SourceError) -> SourceStatus:
    return SourceStatus(backend.name, ok=False, error=error.problem, usage=backend.usage())


def build_evidence(
    history: History, query: Query, policy: Policy, sightings: Seen | None = None
) -> Evidence:
    """Keep the failures and postmortems this query is about, and link them.

    Failures from before the lookback window are linked too, when the
    history holds them, so a repeat can name the reviewed failure it repeats
    however long ago that was. They are linked apart from the window's, so
    that how much history a source holds never changes which postmortem
    reviews a failure the gate judges.
    """
    failures = sorted(
        (
            deployment
            for deployment in history.deployments
            if deployment.status.failed
            and deployment.service == query.service
            and (query.environment is None or deployment.environment == query.environment)
            and deployment.created_at <= query.now
        ),
        key=lambda deployment: deployment.created_at,
    )
    postmortems = tuple(
        postmortem
        for postmortem in history.postmortems
        if postmortem.covers(query.service) and postmortem.created_at <= query.now
    )
    first_in_window = bisect.bisect_left(
        failures, query.since, key=lambda deployment: deployment.created_at
    )
    earlier, judged = tuple(failures[:first_in_window]), tuple(failures[first_in_window:])
    reviewing = tuple(postmortem for postmortem in postmortems if postmortem.reviews_failures)
    index = ReferenceIndex(reviewing)
    reviews = {
        **link_failures(earlier, reviewing, policy.link_window, index),
        **link_failures(judged, reviewing, policy.link_window, index),
    }
    return Evidence(
        failures=judged,
        reviews=reviews,
        postmortems=postmortems,
        earlier_failures=earlier,
        seen=sightings or Seen(),
        service=query.service,
        environment=query.environment,
    )


def summarise(evidence: Evidence, policy: Policy, query: Query) -> Summary:
    """The learning-loop counts, independent of which rules are switched on."""
    open_items = [
        item
        for postmortem in evidence.postmortems
        for item in postmortem.action_items
        if item.state is ActionItemState.OPEN
    ]
    return Summary(
        failed_deployments=len(evidence.failures),
        reviewed_failures=sum(1 for failure in evidence.failures if failure.id in evidence.reviews),
        postmortems=sum(1 for postmortem in evidence.postmortems if postmortem.reviews_failures),
        open_action_items=len(open_items),
        overdue_action_items=sum(1 for item in open_items if is_overdue(item, policy, query.now)),
    )


def check(
    sources: Sequence[Backend],
    query: Query,
    policy: Policy,
    *,
    override: str | None = None,
    configured_services: Sequence[str] = (),
    enforced: bool = True,
    deploying: str | None = None,
) -> Report:
    """Run the whole gate for one service and return its report.

    ``override`` is an emergency override's reason: a deploy that would be
    blocked passes, never silently, with the verdict ``override``.
    ``configured_services`` are the config's ``[services.NAME]``, names that
    ``no-evidence`` suggests besides those the sources saw. ``enforced`` False is
    advisory mode: the verdict is decided all the same, and the report says it is not
    enforced. ``deploying`` is the sha being deployed, where known: an unshipped fix that
    it contains is shipped by this deploy.
    """
    history, statuses = collect(sources, query, policy)
    prober = prober_of(sources)
    shipments = ship(prober, history, query, deploying)
    history = with_shipped_at(history, shipments)
    sightings = seen(history, statuses, query, configured_services)
    evidence = build_evidence(history, query, policy, sightings)
    evidence = replace(
        evidence,
        shipments=shipments,
        repeat_shipments=repeat_shipments(prober, history, evidence),
    )
    statuses = with_shipping(statuses, sources, prober)
    findings = evaluate(evidence, policy, query.now)
    decided = verdict(findings, strict=policy.strict)
    if any(not status.ok for status in statuses):
        decided = Verdict.UNKNOWN
    elif decided is Verdict.BLOCK and override:
        decided = Verdict.OVERRIDE
    return Report(
        service=query.service,
        environment=query.environment,
        evaluated_at=query.now,
        verdict=decided,
        findings=findings,
        summary=summarise(evidence, policy, query),
        sources=statuses,
        postmortems=_with_lessons(evidence.postmortems, policy.lessons_headings),
        override_reason=override if decided is Verdict.OVERRIDE else None,
        blocking=blocking(findings, strict=policy.strict),
        enforced=enforced,
    )


def prober_of(sources: Sequence[Backend]) -> Prober:
    """One check's or report's prober: the sources that can follow a commit, each pair
    asked once."""
    return Prober([source for source in sources if isinstance(source, Repository)])


def ship(
    prober: Prober, history: History, query: Query, deploying: str | None = None
) -> tuple[Shipment, ...]:
    """Where each fix of the service's done items stands at ``now`` in the query's
    environment, and in the sha being deployed.

    Without an environment, production's: a fix protects users once it reaches them. A
    service with no successful production deployment names its own (``prod``, ``live``), so
    its fixes are not followed, with one notice that says how to name it, rather than a
    warning for every fix that "has not reached production"."""
    environment = query.environment or DEFAULT_ENVIRONMENT
    deployed = successes(history.deployments, query.service, environment)
    fixes = list(done_fixes(_speaking_for(history, query)))
    if fixes and not deployed and query.environment is None:
        prober.note(_unnamed_environment(history, query.service))
        return ()
    prober.prefetch(
        pair
        for _item, fix in fixes
        for pair in [
            *first_questions(fix, deployed, query.now),
            *([(fix.sha or "", deploying)] if deploying else []),
        ]
    )
    found = []
    for item, fix in fixes:
        each = shipment(prober, item, fix, deployed, environment, query.now)
        if deploying and fix.sha and each.known and each.shipped_in is None:
            each = replace(each, in_deploying=prober.contains(fix.sha, deploying))
        found.append(each)
    return tuple(found)


def _unnamed_environment(history: History, service: str) -> str:
    """The notice for a check that names no environment, of a service that has no successful
    production deployment, with the environments it does deploy to."""
    others = sorted(
        {
            deployment.environment
            for deployment in history.deployments
            if deployment.service == service and deployment.status is DeploymentStatus.SUCCESS
        }
    )
    deploys_to = f" ({service} deploys to {', '.join(others)})" if others else ""
    return (
        f"whether each done item's fix has shipped was not checked: {service} has no "
        f"successful {DEFAULT_ENVIRONMENT} deployment and no environment was named; name the "
        f"one its fixes must reach with --environment{deploys_to}"
    )


def repeat_shipments(
    prober: Prober, history: History, evidence: Evidence
) -> dict[str, tuple[Shipment, ...]]:
    """For each repeat, the earlier postmortem's fixes as they stood when it repeated.

    The successful deployments of each place (service, environment) are gathered once: a
    long history holds hundreds of repeats, and gathering them again for each one made a
    100,000-deployment check spend seconds re-reading the same list."""
    places: dict[tuple[str, str], list[Deployment]] = {}

    def deployed(later: Deployment) -> list[Deployment]:
        place = (later.service, later.environment)
        if place not in places:
            places[place] = successes(history.deployments, *place)
        return places[place]

    asked = []
    for repeat in find_repeats(evidence):
        fixes = list(done_fixes([repeat.review.postmortem]))
        asked.append((repeat.later, fixes, deployed(repeat.later) if fixes else []))
    prober.prefetch(
        pair
        for later, fixes, deployed in asked
        for _item, fix in fixes
        for pair in first_questions(fix, deployed, later.created_at)
    )
    return {
        later.id: tuple(
            shipment(prober, item, fix, deployed, later.environment, later.created_at)
            for item, fix in fixes
        )
        for later, fixes, deployed in asked
    }


def with_shipping(
    statuses: Sequence[SourceStatus], sources: Sequence[Backend], prober: Prober
) -> tuple[SourceStatus, ...]:
    """Each source's status (one per source, in order) with why it could not follow a fix,
    where it could not, and its usage counting the questions it was asked."""
    return tuple(
        replace(
            status,
            notices=(*status.notices, *prober.notices.get(status.name, ())),
            usage=source.usage() if status.usage is not None else None,
        )
        for status, source in zip(statuses, sources, strict=True)
    )


def _with_lessons(
    postmortems: Sequence[Postmortem], headings: Sequence[str]
) -> tuple[Postmortem, ...]:
    """The postmortems for the digest, newest first, each with its lessons: the section of
    its body under one of the configured ``headings``, read here, once per report."""
    return tuple(
        replace(postmortem, lessons=lessons(postmortem.body, headings))
        for postmortem in sorted(
            (postmortem for postmortem in postmortems if postmortem.reviews_failures),
            key=lambda postmortem: postmortem.created_at,
            reverse=True,
        )
    )


def exit_code(report: Report, on_error: OnError) -> ExitCode:
    """The process exit status for a report, per the documented table: 0 for any verdict of
    an advisory run, a failed source included."""
    if not report.enforced:
        return ExitCode.OK
    if report.verdict is Verdict.BLOCK:
        return ExitCode.BLOCKED
    if report.verdict is Verdict.UNKNOWN and on_error is OnError.FAIL:
        return ExitCode.UNDECIDED
    return ExitCode.OK


def learning_report(
    sources: Sequence[Backend],
    services: Sequence[str],
    policy: Policy,
    *,
    now: datetime,
    period: timedelta,
) -> LoopReport:
    """The learning-loop report of ``services`` over the ``period`` before ``now``.

    Each service is collected, linked and judged as a check would (so its
    repeat failures are the check's), then measured by :mod:`deploygate.loop`.
    A failed source is a SourceError here: a report on partial history
    would understate the debt.
    """
    from deploygate.loop import LoopReport, learning_loop  # a check does not measure the loop

    loops = []
    prober = prober_of(sources)  # one for every service: each pair is asked once per report
    for service in services:
        query = Query(service=service, environment=None, now=now, lookback=period)
        history, statuses = collect(sources, query, policy)
        failed = [status for status in statuses if not status.ok]
        if failed:
            raise SourceError(failed[0].name, failed[0].error or "failed")
        # Each fix's shipped_at, for the lesson lead time: when production first held it.
        history = with_shipped_at(history, ship(prober, history, query))
        evidence = build_evidence(history, query, policy)
        found = list(find_repeats(evidence))
        related = sum(1 for repeat in found if repeat.related)
        loops.append(
            learning_loop(
                service,
                history.deployments,
                evidence.postmortems,
                evidence.reviews,
                since=query.since,
                until=now,
                policy=policy,
                repeat_failures=len(found) - related,
                related_failures=related,
            )
        )
    return LoopReport(period_start=now - period, period_end=now, services=tuple(loops))
