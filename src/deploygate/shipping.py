"""Has a lesson shipped? Each done item's fix, followed to the environment's deployments.

A lesson protects production only once the change behind it is deployed. For
every fix with a commit, the gate asks a source that knows the repository
(GitHub's GraphQL or its compare API, GitLab's compare, ``git merge-base``
for the local store)
whether a deployment's sha contains it, and hands the answers to the rules
as :class:`~deploygate.model.Shipment` records, so the rules stay pure.

What it costs: one question for the environment's latest successful
deployment, and, when that one contains the fix, a bisection over the
successful deployments since the fix was merged for the first one that did
(a first probe of the oldest of them settles the usual case, a fix that
shipped in the next deploy). Those first two questions of every fix are
asked together first (:meth:`Prober.prefetch`), of a source that can batch
them (GitHub: a hundred a request); the rest, one at a time. A commit is
never in a deployment made before it was merged, and a deployment is
assumed to contain whatever an earlier one of the environment did, which
holds while deploys go forward. Each distinct pair is asked once per check,
or per learning-loop report across all its services (one :class:`Prober`);
nothing is kept across runs. So the cost grows with the done items that
have a fix, not with the deployments.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol, runtime_checkable

from deploygate.linking import COMMIT_NAME, same_commit
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    Fix,
    History,
    Postmortem,
    Shipment,
)


class ContainmentUnknown(Exception):
    """A source cannot say whether a commit is in another's history, and why (for a notice)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@runtime_checkable
class Repository(Protocol):
    """A source that can tell whether one commit is in the history of another."""

    @property
    def name(self) -> str:
        """The source's name as shown in reports."""
        ...

    def contains(self, commit: str, head: str) -> bool:
        """Whether ``commit`` is ``head`` or one of its ancestors; :class:`ContainmentUnknown`
        when the source cannot tell."""
        ...


@runtime_checkable
class BatchRepository(Protocol):
    """A source that can answer many containment questions in one request."""

    def contains_all(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        """The answer to each ``(commit, head)`` pair it can tell; the rest are left out, and
        asked one by one."""
        ...


@dataclass
class Prober:
    """Asks the repositories, each distinct pair once; remembers why an answer was unknown."""

    repositories: Sequence[Repository]
    answers: dict[tuple[str, str], bool | None] = field(default_factory=dict)
    notices: dict[str, list[str]] = field(default_factory=dict)
    """Why a source could not tell, by source name, each reason once."""

    def prefetch(self, pairs: Iterable[tuple[str, str]]) -> None:
        """Ask the pairs not yet answered together, of each repository that can batch them:
        the questions the next steps will ask for certain, in one round trip or a few."""
        wanted = [
            pair
            for pair in dict.fromkeys(pairs)
            if pair not in self.answers
            and not same_commit(*pair)
            and all(COMMIT_NAME.fullmatch(sha) for sha in pair)
        ]
        for repository in self.repositories:
            if wanted and isinstance(repository, BatchRepository):
                answered = repository.contains_all(wanted)
                self.answers.update(answered)
                wanted = [pair for pair in wanted if pair not in answered]

    def contains(self, commit: str, head: str) -> bool | None:
        """Whether ``head`` contains ``commit``; None when no repository could tell, or when
        either is no commit sha (a history line may say ``HEAD`` or ``main``, which git and
        the APIs would read as whatever that names today)."""
        if not (COMMIT_NAME.fullmatch(commit) and COMMIT_NAME.fullmatch(head)):
            return None
        if same_commit(commit, head):
            return True
        pair = (commit, head)
        if pair not in self.answers:
            self.answers[pair] = self._ask(commit, head)
        return self.answers[pair]

    def note(self, reason: str) -> None:
        """Why no fix was followed at all, said once, by the first source that could have."""
        if self.repositories:
            self._note(self.repositories[0].name, reason)

    def _ask(self, commit: str, head: str) -> bool | None:
        for repository in self.repositories:
            try:
                return repository.contains(commit, head)
            except ContainmentUnknown as unknown:
                self._note(repository.name, unknown.reason)
        return None

    def _note(self, name: str, reason: str) -> None:
        said = self.notices.setdefault(name, [])
        if reason not in said:
            said.append(reason)


def successes(
    deployments: Iterable[Deployment], service: str, environment: str
) -> list[Deployment]:
    """The service's successful deployments to ``environment`` that name a sha, oldest first."""
    return sorted(
        (
            deployment
            for deployment in deployments
            if deployment.service == service
            and deployment.environment == environment
            and deployment.status is DeploymentStatus.SUCCESS
            and deployment.sha
        ),
        key=lambda deployment: deployment.created_at,
    )


def shipment(
    prober: Prober,
    item: ActionItem,
    fix: Fix,
    deployed: Sequence[Deployment],
    environment: str,
    at: datetime,
) -> Shipment:
    """Where ``fix`` stood at ``at`` among ``deployed`` (from :func:`successes`)."""
    made = _made_by(deployed, at)
    latest = deployed[made - 1] if made else None
    found = Shipment(item, fix, environment, at, latest=latest, shipped_in=None)
    if fix.sha is None:
        return replace(found, known=False)
    if latest is None or latest.sha is None:
        return found
    contained = prober.contains(fix.sha, latest.sha)
    if contained is None:
        return replace(found, known=False)
    if not contained:
        return found
    first = _first_containing(prober, fix.sha, deployed, _candidates(deployed, fix, made))
    if first is None:
        return replace(found, known=False)
    return replace(found, fix=replace(fix, shipped_at=first.created_at), shipped_in=first)


def _created(deployment: Deployment) -> datetime:
    return deployment.created_at


def _made_by(deployed: Sequence[Deployment], at: datetime) -> int:
    """How many of ``deployed`` (oldest first) were made by ``at``: found by bisection, so a
    fix costs no pass over a long history."""
    return bisect_right(deployed, at, key=_created)


def _candidates(deployed: Sequence[Deployment], fix: Fix, made: int) -> range:
    """The places in ``deployed`` of the first ``made`` deployments that may be the first to
    hold ``fix``: none before its merge could; the last one when none came after it."""
    start = (
        0 if fix.merged_at is None else bisect_left(deployed, fix.merged_at, 0, made, key=_created)
    )
    return range(min(start, made - 1), made)


def first_questions(
    fix: Fix, deployed: Sequence[Deployment], at: datetime
) -> list[tuple[str, str]]:
    """What :func:`shipment` will ask first about ``fix``: the latest deployment up to ``at``,
    and the oldest since its merge (which settles the usual case), for a prefetch."""
    made = _made_by(deployed, at)
    if fix.sha is None or not made:
        return []
    first, latest = deployed[_candidates(deployed, fix, made)[0]], deployed[made - 1]
    return [(fix.sha, deployment.sha or "") for deployment in (latest, first)]


def _first_containing(
    prober: Prober, sha: str, deployed: Sequence[Deployment], candidates: range
) -> Deployment | None:
    """The first of ``candidates`` (places in ``deployed``) that contains ``sha``, knowing the
    last one does; None when an answer on the way is unknown. Reading unknown as "not
    contained" would move the first deployment later, and with it the fix's ``shipped_at``
    and the lesson's lead time."""
    low, high = 0, len(candidates) - 1  # deployed[candidates[high]] contains it
    first = prober.contains(sha, deployed[candidates[low]].sha or "")
    if first is not False:
        return deployed[candidates[low]] if first else None
    while high - low > 1:  # deployed[candidates[low]] does not contain it
        middle = (low + high) // 2
        contained = prober.contains(sha, deployed[candidates[middle]].sha or "")
        if contained is None:
            return None
        if contained:
            high = middle
        else:
            low = middle
    return deployed[candidates[high]]


def done_fixes(postmortems: Iterable[Postmortem]) -> Iterable[tuple[ActionItem, Fix]]:
    """Each fix with a commit of each done item, in order."""
    for postmortem in postmortems:
        for item in postmortem.action_items:
            if item.state is ActionItemState.DONE:
                yield from ((item, fix) for fix in item.fixes if fix.sha)


def with_shipped_at(
    history: History,
    shipments: Iterable[Shipment],
) -> History:
    """``history`` with each fix's ``shipped_at`` set where a shipment found its deployment."""
    shipped = {
        (each.item.id, each.fix.sha): each.shipped_in.created_at
        for each in shipments
        if each.shipped_in is not None
    }
    if not shipped:
        return history

    def item_with(item: ActionItem) -> ActionItem:
        fixes = tuple(
            replace(fix, shipped_at=shipped.get((item.id, fix.sha), fix.shipped_at))
            for fix in item.fixes
        )
        return replace(item, fixes=fixes) if fixes != item.fixes else item

    postmortems = tuple(
        replace(postmortem, action_items=tuple(map(item_with, postmortem.action_items)))
        for postmortem in history.postmortems
    )
    return replace(history, postmortems=postmortems)
