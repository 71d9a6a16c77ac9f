"""Immutable records that every source produces and every format consumes.

No I/O happens here. Sources turn their backend's shapes into these records;
the core judges them; formats render the resulting :class:`Report`. Keeping
the records frozen means a rule cannot change what another rule sees.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path


class DeploymentStatus(enum.Enum):
    """The outcome of one deployment, in the vocabulary of GitHub's deployment states."""

    SUCCESS = "success"
    FAILURE = "failure"
    ERROR = "error"
    IN_PROGRESS = "in_progress"
    CANCELLED = "cancelled"
    ROLLED_BACK = "rolled-back"
    """It went out, and an older version replaced it soon after: the most common sign
    that a deploy went wrong even though its status said success."""

    @property
    def failed(self) -> bool:
        """Whether this deployment counts as a failure that deserves a postmortem."""
        return self in (
            DeploymentStatus.FAILURE,
            DeploymentStatus.ERROR,
            DeploymentStatus.ROLLED_BACK,
        )


class PostmortemState(enum.Enum):
    """Whether the postmortem document itself is still being written."""

    OPEN = "open"
    CLOSED = "closed"


class ActionItemState(enum.Enum):
    """Where a lesson stands. Declined items were decided against and are not debt."""

    OPEN = "open"
    DONE = "done"
    DECLINED = "declined"


class Level(enum.IntEnum):
    """How loud a finding is. Ordered, so the loudest sorts first when reversed."""

    NOTICE = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        """The lower-case name used in config files and every output."""
        return self.name.lower()


class LinkKind(enum.Enum):
    """How a failed deployment was tied to the postmortem that reviews it."""

    REFERENCE = "reference"
    TIME_WINDOW = "time-window"


class RuleId(enum.Enum):
    """Every rule's id, kebab-case, identical in config, output and docs."""

    UNREVIEWED_FAILURE = "unreviewed-failure"
    REVIEWED_FAILURE = "reviewed-failure"
    OPEN_ACTION_ITEM = "open-action-item"
    OVERDUE_ACTION_ITEM = "overdue-action-item"
    DECLINED_ACTION_ITEM = "declined-action-item"
    REPEAT_FAILURE = "repeat-failure"
    UNSHIPPED_FIX = "unshipped-fix"
    EXPIRED_WAIVER = "expired-waiver"
    NO_EVIDENCE = "no-evidence"
    UNUSED_WAIVER = "unused-waiver"


class Verdict(enum.Enum):
    """The gate's answer. ``unknown`` means a source failed and nothing was verified."""

    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"
    UNKNOWN = "unknown"
    OVERRIDE = "override"
    """It would have blocked, and someone let it through with a stated reason."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """One attempt to ship a service to an environment."""

    id: str
    service: str
    environment: str
    status: DeploymentStatus
    created_at: datetime
    sha: str | None = None
    url: str | None = None
    """Where it can be seen (its log, its job): a reference to it, so never the site it
    deployed to, which every deployment of the environment shares."""
    description: str | None = None
    other_urls: tuple[str, ...] = ()
    """More URLs that name this deployment (its API URL, its run's log), for linking; never
    the site either."""
    failure_signature: str | None = None
    """Where it failed, where the source knows it (GitLab: the deploying job and its failure
    reason; GitHub: the failed job and step): two failures with one signature failed in the
    same place, which deploy jobs do whatever the cause."""
    failure_messages: tuple[str, ...] = ()
    """What the failure said, in the source's words, where the source has it (GitHub: the
    error annotations of the failed job, then the failed status's description; GitLab: the
    failure reason). :func:`deploygate.rules.specific_messages` keeps the ones that name the
    failure, not generic runner words."""
    commit_title: str | None = None
    """The first line of the deployed commit's message, where the source knows it: a
    "Revert ..." commit says that the deployment before it was rolled back."""
    rollback: str | None = None
    """Why this deployment counts as rolled back (status ``rolled-back``): the evidence."""

    @property
    def title(self) -> str:
        """A short human name: the description when there is one."""
        return self.description or f"Deployment {self.id}"


@dataclass(frozen=True, slots=True)
class Fix:
    """The change that closed an action item: a lesson protects production only once it ships.

    Sources fill what they find (a pull request, a merge request, a commit);
    whether and when it reached an environment is decided from deployments.
    """

    ref: str
    """How a reader names it: ``PR #123``, ``!45``, or a short sha."""
    url: str | None = None
    sha: str | None = None
    """The merge commit, or the commit itself; None while it is unmerged or unknown."""
    merged_at: datetime | None = None
    shipped_at: datetime | None = None
    """When a successful deployment of the environment checked first contained it, where
    that is known; None when it has not shipped or nobody asked."""


@dataclass(frozen=True, slots=True)
class Shipment:
    """Where one fix of a done action item stood in one environment at one moment.

    The gate asks the sources (a compare, ``git merge-base``) before the rules
    run, so the rules read these answers and stay pure.
    """

    item: ActionItem
    fix: Fix
    environment: str
    at: datetime
    """The moment it is judged at: the check's ``now``, or the time of a repeat failure."""
    latest: Deployment | None
    """The environment's latest successful deployment with a sha up to ``at``."""
    shipped_in: Deployment | None
    """The first successful deployment of the environment that contained it, up to ``at``;
    None when the latest does not contain it."""
    known: bool = True
    """False when no source could tell (no repository, a commit it does not hold): no
    finding rests on an unknown answer."""
    in_deploying: bool | None = None
    """Whether the sha being deployed contains it; None when that sha is not known."""


@dataclass(frozen=True, slots=True)
class ActionItem:
    """One lesson of a postmortem, turned into work that a team owns."""

    id: str
    title: str
    state: ActionItemState
    created_at: datetime
    url: str | None = None
    due: date | None = None
    team: str | None = None
    reason: str | None = None
    """Why a declined item was declined, where the source says."""
    closed_at: datetime | None = None
    """When it was done or declined, where the source says (an issue's closing time, a
    ``closed:`` date in a local postmortem); ``None`` while open, or when the source does
    not say: the learning-loop report then counts it as closed at an unknown time rather
    than guess one."""
    line: int | None = None
    """Its line in its postmortem's file, where the source is a file (the local store):
    with the postmortem's path, where a reader goes to tick it off or decline it."""
    fixes: tuple[Fix, ...] = ()
    """The changes that closed it, where a source can tell; empty for an item closed with
    no change deploygate can find, which is never a finding by itself."""


@dataclass(frozen=True, slots=True)
class Postmortem:
    """A written review of one or more failures, and the lessons it drew."""

    id: str
    title: str
    state: PostmortemState
    created_at: datetime
    service: str | None
    """The service it belongs to; ``None`` means every service of its repository."""
    url: str | None = None
    deployment_refs: tuple[str, ...] = ()
    """Deployments it names explicitly (ids, URLs or shas), beyond its body text."""
    tracker_refs: tuple[str, ...] = ()
    """Tracker issues it names explicitly (Jira keys such as ``OPS-123``, GitHub issue URLs),
    beyond its body text: the local front matter's ``jira`` list, the issues a platform's
    items were exported to. A tracker (or a source that is an ``ExportTarget``) attaches
    them to it."""
    body: str = ""
    """The full text, searched for references to deployments."""
    lessons: str = ""
    """Its lessons section; the core reads it from ``body`` with the configured headings."""
    action_items: tuple[ActionItem, ...] = ()
    causes: tuple[str, ...] = ()
    """Cause labels (``cause:<x>``): two postmortems with one cause saw the same failure."""
    started_at: datetime | None = None
    """When the incident it reviews started, where the platform records it (Rootly,
    incident.io): a failure is linked by time window to the incident's start, not to when
    the review was written."""
    reviews_failures: bool = True
    """False for a holder of action items that a tracker (a Jira query) found without any
    postmortem naming them: they are lessons of the service and count as debt, but the
    holder reviews no failure and is not counted as a postmortem."""

    def covers(self, service: str) -> bool:
        """Whether this postmortem speaks for ``service``."""
        return self.service is None or self.service == service


@dataclass(frozen=True, slots=True)
class ServiceSeen:
    """A service name a source came across while reading, and where: so a check of a name
    nobody uses can say which names exist (``no-evidence``)."""

    name: str
    where: str
    """Where the name was seen, for the message: ``label service:Checkout``, ``the history``."""


@dataclass(frozen=True, slots=True)
class History:
    """What one source knows: deployments and postmortems with their action items."""

    deployments: tuple[Deployment, ...] = ()
    postmortems: tuple[Postmortem, ...] = ()
    notices: tuple[str, ...] = ()
    """What the source left out and why (a record it could not read, a key it could not
    find): said in the report, so nothing is dropped without a word."""
    services_seen: tuple[ServiceSeen, ...] = ()
    """Every service name the source read on its way, the query's and others' (the
    history's services, the postmortems' service labels): taken from what it reads
    anyway, never from extra requests."""
    environments_seen: tuple[str, ...] = ()
    """Environments the service deploys to that its deployments here do not show: a source
    asked for one environment that found nothing there says where the service does
    deploy (one more request, made only then)."""


@dataclass(frozen=True, slots=True)
class Query:
    """What the gate asks the sources for: one service, optionally one environment."""

    service: str
    environment: str | None
    now: datetime
    lookback: timedelta

    @property
    def since(self) -> datetime:
        """The oldest deployment time inside the lookback window."""
        return self.now - self.lookback


@dataclass(frozen=True, slots=True)
class Review:
    """The evidence that a postmortem reviews a failed deployment."""

    deployment: Deployment
    postmortem: Postmortem
    link: LinkKind
    evidence: str
    """A short phrase saying how the link was made, e.g. "mentions sha 1a2b3c4"."""


SHORT_FINGERPRINT = 12
"""How many hex characters of a fingerprint the reports show. A waiver names any prefix of
:data:`MIN_WAIVER_PREFIX` or more that only one finding has."""

MIN_WAIVER_PREFIX = 8
"""The shortest prefix a waiver may name: 8 hex characters are 4 billion values, so two
findings of one check rarely share one, and when they do the check says so (exit 2)."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the gate has to say, at one level, about one subject."""

    rule: RuleId
    level: Level
    message: str
    fingerprint: str
    deployment: Deployment | None = None
    postmortem: Postmortem | None = None
    action_item: ActionItem | None = None
    link: LinkKind | None = None
    remedy: str | None = None
    """What clears it, in one line: every finding that can warn or block has one."""
    shipments: tuple[Shipment, ...] = ()
    """The fixes it rests on and whether they had shipped (``unshipped-fix``, and the
    earlier postmortem's fixes of a ``repeat-failure``)."""

    @property
    def short_fingerprint(self) -> str:
        """The fingerprint's first :data:`SHORT_FINGERPRINT` characters: what the text
        shows, and what a waiver may name."""
        return self.fingerprint[:SHORT_FINGERPRINT]

    @property
    def url(self) -> str | None:
        """Where a reader goes to act on the finding: the most specific subject's URL."""
        for subject in (self.action_item, self.postmortem, self.deployment):
            if subject is not None and subject.url:
                return subject.url
        return None


@dataclass(frozen=True, slots=True)
class Waiver:
    """An accepted risk: one finding drops to a notice until a date, for a stated reason."""

    reason: str
    expires: date
    """The last day it holds."""
    team: str
    """The team that accepts the risk: a team, never a person."""
    fingerprint: str | None = None
    """A fingerprint, or a prefix of it (lower-case hex, at least :data:`MIN_WAIVER_PREFIX`
    characters) that names one finding."""
    rule: RuleId | None = None
    subject: str | None = None
    """A deployment id or an action item id, with ``rule``."""
    path: Path | None = None
    """The config file it is written in, for the messages that point at it."""
    line: int | None = None
    """Its ``[[waivers]]`` line in that file."""

    def matches(self, finding: Finding) -> bool:
        """Whether this waiver names ``finding``, by fingerprint prefix or by rule and subject."""
        if self.fingerprint is not None:
            return finding.fingerprint.startswith(self.fingerprint)
        subject = finding.action_item or finding.deployment
        return finding.rule is self.rule and subject is not None and subject.id == self.subject

    @property
    def names(self) -> str:
        """What it waives, for messages."""
        return self.fingerprint or f"{self.rule.value if self.rule else '?'} on {self.subject}"

    @property
    def where(self) -> str:
        """``deploygate.toml:12``: where a reader finds it to edit or delete it."""
        if self.path is None:
            return "the config"
        return f"{self.path}:{self.line}" if self.line is not None else str(self.path)


@dataclass(frozen=True, slots=True)
class Summary:
    """The counts that describe the health of the learning loop."""

    failed_deployments: int
    reviewed_failures: int
    postmortems: int
    open_action_items: int
    overdue_action_items: int


@dataclass(frozen=True, slots=True)
class Usage:
    """What one source's requests cost: for the report, the rate limit and the benchmark."""

    requests: int
    rate_limit_remaining: int | None = None
    rate_limit_limit: int | None = None

    @property
    def rate_limit_low(self) -> bool:
        """Fewer than 10% of the rate limit left: the next deploys may be refused."""
        if self.rate_limit_remaining is None or not self.rate_limit_limit:
            return False
        return self.rate_limit_remaining < self.rate_limit_limit / 10


@dataclass(frozen=True, slots=True)
class Coverage:
    """What one source gave the check about its service: what the verdict rests on."""

    deployments: int = 0
    """Deployments of the service read, in any environment, up to the time of the check."""
    environments: tuple[str, ...] = ()
    """The environments those deployments went to, sorted."""
    first_deployment: datetime | None = None
    last_deployment: datetime | None = None
    postmortems: int = 0
    """Postmortems that speak for the service (its own, and those of every service)."""
    action_items: int = 0
    """Action items read: on those postmortems, or attached by a tracker."""

    @property
    def empty(self) -> bool:
        """Nothing at all about the service."""
        return not (self.deployments or self.postmortems or self.action_items)


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """Whether one source answered; a failed source makes the verdict unknown."""

    name: str
    ok: bool
    error: str | None = None
    usage: Usage | None = None
    """None for a source that makes no requests (the local store)."""
    notices: tuple[str, ...] = ()
    """What the source left out and why, from :attr:`History.notices`."""
    coverage: Coverage | None = None
    """What it gave about the service; None when it failed."""


def saw_service(sources: Iterable[SourceStatus]) -> bool:
    """Whether any source's coverage holds anything of the service: the one test of "seen",
    for the verdict's words and for ``no-evidence`` alike."""
    return any(source.coverage is not None and not source.coverage.empty for source in sources)


@dataclass(frozen=True, slots=True)
class Report:
    """The gate's whole answer for one service, handed to formats and sinks."""

    service: str
    environment: str | None
    evaluated_at: datetime
    verdict: Verdict
    findings: tuple[Finding, ...]
    summary: Summary
    sources: tuple[SourceStatus, ...]
    postmortems: tuple[Postmortem, ...] = ()
    """The service's postmortems, newest first: the lessons the next deployer should read."""
    override_reason: str | None = None
    """Why a blocked deploy was let through (``--override``); the verdict is then override."""
    blocking: tuple[Finding, ...] = ()
    """The findings that decided a block (or that the override let through): every error,
    and every warning under ``strict``. Formats read it here, never re-deriving the rule."""
    enforced: bool = True
    """False in advisory mode: the verdict keeps its real value, the exit code is 0, and
    the formats say what it would do ("would block") rather than what it does."""

    def count(self, level: Level) -> int:
        """How many findings have exactly ``level``."""
        return sum(1 for finding in self.findings if finding.level is level)

    @property
    def service_seen(self) -> bool:
        """Whether any source gave anything about the service: without it, a pass means
        only that nothing was found."""
        return saw_service(self.sources)

    @property
    def failed_sources(self) -> tuple[SourceStatus, ...]:
        """The sources that did not answer."""
        return tuple(source for source in self.sources if not source.ok)
