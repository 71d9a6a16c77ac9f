"""The rules, each a pure function of the records and ``now``, and the policy that levels them.

A rule receives the evidence already linked (which failures each postmortem
reviews) and the policy, and yields findings. It never reads a clock or a
file: ``now`` is an argument, so a test can pin it and a user can replay a
past decision with ``--now``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal

from deploygate.dates import day_over, format_instant
from deploygate.errors import ConfigError, did_you_mean
from deploygate.model import (
    SHORT_FINGERPRINT,
    ActionItem,
    ActionItemState,
    Deployment,
    Finding,
    Fix,
    Level,
    LinkKind,
    Postmortem,
    Review,
    RuleId,
    ServiceSeen,
    Shipment,
    Verdict,
    Waiver,
)

PolicyOption = Literal["grace", "max_age"]


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """What one rule is, in one place: its level by default, what it says, what it takes."""

    id: RuleId
    level: Level | None
    """Its level when the config says nothing; None would mean off."""
    help: str
    """One line for ``deploygate config`` and the docs."""
    informational: bool = False
    """It reports what went right or was decided: a notice or off, never louder."""
    options: Mapping[str, PolicyOption] = field(default_factory=dict)
    """Its duration options: the config key, and the :class:`Policy` field it sets."""


SPECS: Mapping[RuleId, RuleSpec] = {
    spec.id: spec
    for spec in (
        RuleSpec(
            RuleId.UNREVIEWED_FAILURE,
            Level.WARNING,
            "a failed deployment in the lookback window that no postmortem reviews, once "
            "the grace period has passed (a notice inside it)",
            options={"grace": "grace"},
        ),
        RuleSpec(
            RuleId.REVIEWED_FAILURE,
            Level.NOTICE,
            "a failed deployment and the postmortem that reviews it, with how they were linked",
            informational=True,
        ),
        RuleSpec(
            RuleId.OPEN_ACTION_ITEM,
            Level.WARNING,
            "an open action item of a postmortem of this service",
        ),
        RuleSpec(
            RuleId.OVERDUE_ACTION_ITEM,
            Level.ERROR,
            "an open action item past its due date, or older than max-age when it has none",
            options={"max-age": "max_age"},
        ),
        RuleSpec(
            RuleId.DECLINED_ACTION_ITEM,
            Level.NOTICE,
            "an action item that was declined, with the reason",
            informational=True,
        ),
        RuleSpec(
            RuleId.REPEAT_FAILURE,
            Level.ERROR,
            "a failure that repeats one a postmortem already reviewed, on evidence (a shared "
            "cause label, the same specific error): the lesson did not stick; the same "
            "failing job alone is a related prior failure notice",
        ),
        RuleSpec(
            RuleId.UNSHIPPED_FIX,
            Level.WARNING,
            "a done action item whose fix (its pull or merge request, its commit) the "
            "environment's latest successful deployment does not contain: the lesson has not "
            "shipped (a notice when the sha being deployed ships it)",
        ),
        RuleSpec(
            RuleId.EXPIRED_WAIVER,
            Level.NOTICE,
            "a waiver that has expired, so its finding is back",
            informational=True,
        ),
        RuleSpec(
            RuleId.NO_EVIDENCE,
            Level.WARNING,
            "no source saw the service (or none saw it deploy to the environment, or only a "
            "label in another case): nothing was verified; error makes a strict gate",
        ),
        # A rule, not a report notice, so that a team can make a stale or mistyped waiver
        # fail a strict gate (warning or error), or silence it where one config serves
        # several services and each check sees the others' waivers unused (off).
        RuleSpec(
            RuleId.UNUSED_WAIVER,
            Level.NOTICE,
            "a waiver that matches no finding of the check: mistyped, or its finding is gone",
        ),
    )
}
"""Every rule's spec, by id; a test checks that every :class:`RuleId` has one."""

DEFAULT_LEVELS: Mapping[RuleId, Level | None] = {rule: spec.level for rule, spec in SPECS.items()}
"""Each rule's level when the config says nothing."""


@dataclass(frozen=True, slots=True)
class Policy:
    """Everything that decides how loud each finding is, after config and environment."""

    levels: Mapping[RuleId, Level | None] = field(default_factory=lambda: dict(DEFAULT_LEVELS))
    lookback: timedelta = timedelta(days=90)
    link_window: timedelta = timedelta(hours=72)
    grace: timedelta = timedelta(days=3)
    """How long after a failure a missing postmortem is only a notice."""
    max_age: timedelta = timedelta(days=30)
    """How old an open action item without a due date may get before it is overdue."""
    strict: bool = False
    """Whether warnings block too."""
    waivers: tuple[Waiver, ...] = ()
    """Accepted risks from the config's ``[[waivers]]``."""
    lessons_headings: tuple[str, ...] = (
        "Lessons",
        "Lessons learned",
        "What we learned",
        "What we learnt",
    )
    """The headings of a postmortem's lessons section, for the lessons digest."""
    rollback_window: timedelta | None = timedelta(hours=24)
    """How soon an older version must follow a deployment for it to count as rolled back;
    None turns rollback detection off."""


@dataclass(frozen=True, slots=True)
class Seen:
    """What the sources saw of the service and around it: what ``no-evidence`` judges.

    The defaults say "seen", so evidence built by hand for another rule's
    test does not trip this one.
    """

    service: bool = True
    """Whether any source gave a deployment, a postmortem or an action item of it."""
    in_environment: bool = True
    """Whether any deployment of it went to the requested environment (True without one)."""
    environments: tuple[str, ...] = ()
    """Where it deploys, in every source, sorted."""
    services: tuple[ServiceSeen, ...] = ()
    """Every service name the sources read and the config names."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """The linked history of one service that the rules judge."""

    failures: tuple[Deployment, ...]
    """Failed deployments inside the lookback window, oldest first."""
    reviews: Mapping[str, Review]
    """The review of each failure that has one, earlier ones included, by deployment id."""
    postmortems: tuple[Postmortem, ...]
    """The postmortems of this service, whatever their age or state."""
    earlier_failures: tuple[Deployment, ...] = ()
    """Failures from before the lookback window that the history holds, oldest first.

    They are never judged themselves; they are the earlier side of a repeat."""
    seen: Seen = field(default_factory=Seen)
    """What the sources saw of the service, for ``no-evidence``."""
    service: str = ""
    environment: str | None = None
    """The query's service and environment, for the messages of ``no-evidence``."""
    shipments: tuple[Shipment, ...] = ()
    """Each fix of a done item and whether the environment's latest successful deployment
    holds it at ``now`` (:mod:`deploygate.shipping`), for ``unshipped-fix``."""
    repeat_shipments: Mapping[str, tuple[Shipment, ...]] = field(default_factory=dict)
    """The earlier postmortem's fixes as they stood when a failure repeated, by the
    repeating deployment's id, for the evidence of ``repeat-failure``."""


SubjectKind = Literal["deployment", "action-item", "waiver", "service", "environment"]


def fingerprint(rule: RuleId, subject_kind: SubjectKind, subject_id: str) -> str:
    """An id for a finding that stays the same across runs while its subject does."""
    digest = hashlib.sha256(f"deploygate/1\0{rule.value}\0{subject_kind}\0{subject_id}".encode())
    return digest.hexdigest()[:32]


def _quote(title: str) -> str:
    """Quote a title for a message; formats escape it for their medium, so no repr here."""
    return f"“{title}”"


def _day(moment: datetime) -> str:
    return moment.date().isoformat()


def _failure_label(deployment: Deployment) -> str:
    parts = [deployment.environment]
    if deployment.sha:
        parts.append(deployment.sha[:7])
    parts.append(_day(deployment.created_at))
    if deployment.rollback:
        parts.append(f"rolled back: {deployment.rollback}")
    return f"deployment {deployment.id} ({', '.join(parts)})"


def _waive(finding_print: str) -> str:
    """The third way out of every finding, in the words a ``[[waivers]]`` entry takes."""
    return f'or waive it with finding = "{finding_print[:SHORT_FINGERPRINT]}"'


def _references(deployment: Deployment) -> str:
    """What a postmortem may name to review ``deployment``: its id, its URL, its sha."""
    names = ["its id"]
    if deployment.url:
        names.append("its URL")
    if deployment.sha:
        names.append(f"its sha {deployment.sha[:7]}")
    ways = ", ".join(names[:-1]) + " or " + names[-1] if len(names) > 1 else names[0]
    return f"deployment {deployment.id} by {ways}"


def _item_place(postmortem: Postmortem, item: ActionItem) -> str:
    """Where an item is done or declined: its line in a postmortem file, or its issue."""
    if item.line is not None:
        return f"{postmortem.id}:{item.line}"
    return item.url or postmortem.url or postmortem.id


def unreviewed_failures(evidence: Evidence, policy: Policy, now: datetime) -> Iterator[Finding]:
    """Failures that no postmortem reviews; only a notice while the grace period runs."""
    level = policy.levels[RuleId.UNREVIEWED_FAILURE]
    if level is None:
        return
    for deployment in evidence.failures:
        if deployment.id in evidence.reviews:
            continue
        age = now - deployment.created_at
        if age < policy.grace:
            finding_level = Level.NOTICE
            wait = "; still inside the grace period, a postmortem is due by " + format_instant(
                deployment.created_at + policy.grace
            )
        else:
            finding_level = level
            wait = ""
        finding_print = fingerprint(RuleId.UNREVIEWED_FAILURE, "deployment", deployment.id)
        yield Finding(
            rule=RuleId.UNREVIEWED_FAILURE,
            level=finding_level,
            message=f"Failed {_failure_label(deployment)} has no postmortem{wait}",
            fingerprint=finding_print,
            deployment=deployment,
            remedy=f"To clear: a postmortem that names {_references(deployment)}; "
            f"{_waive(finding_print)}",
        )


def reviewed_failures(evidence: Evidence, policy: Policy, now: datetime) -> Iterator[Finding]:
    """Failures that were reviewed, so the reader sees which postmortem and why."""
    level = policy.levels[RuleId.REVIEWED_FAILURE]
    if level is None:
        return
    for deployment in evidence.failures:
        review = evidence.reviews.get(deployment.id)
        if review is None:
            continue
        yield Finding(
            rule=RuleId.REVIEWED_FAILURE,
            level=level,
            message=(
                f"Failed {_failure_label(deployment)} is reviewed by postmortem "
                f"{_quote(review.postmortem.title)} "
                f"(linked by {review.link.value}: {review.evidence})"
            ),
            fingerprint=fingerprint(RuleId.REVIEWED_FAILURE, "deployment", deployment.id),
            deployment=deployment,
            postmortem=review.postmortem,
            link=review.link,
        )


def is_overdue(item: ActionItem, policy: Policy, now: datetime) -> bool:
    """Open and past its due date (the whole due day counts), or too old without one."""
    if item.state is not ActionItemState.OPEN:
        return False
    if item.due is not None:
        return day_over(item.due, now)
    return now - item.created_at > policy.max_age


def _item_detail(item: ActionItem, *, with_due: bool = True) -> str:
    parts = []
    if item.team:
        parts.append(f"owned by team {item.team}")
    if item.due and with_due:
        parts.append(f"due {item.due.isoformat()}")
    return f" ({', '.join(parts)})" if parts else ""


def action_items(evidence: Evidence, policy: Policy, now: datetime) -> Iterator[Finding]:
    """One finding per open or declined lesson: overdue wins over open, so none is counted twice."""
    for postmortem in evidence.postmortems:
        for item in postmortem.action_items:
            finding = _action_item_finding(postmortem, item, policy, now)
            if finding is not None:
                yield finding


def _action_item_finding(
    postmortem: Postmortem, item: ActionItem, policy: Policy, now: datetime
) -> Finding | None:
    source = f"from postmortem {_quote(postmortem.title)}"
    if item.state is ActionItemState.DECLINED:
        rule = RuleId.DECLINED_ACTION_ITEM
        reason = f": {item.reason}" if item.reason else ""
        message = f"Declined action item {_quote(item.title)} {source}{reason}"
    elif item.state is ActionItemState.DONE:
        return None
    elif is_overdue(item, policy, now) and policy.levels[RuleId.OVERDUE_ACTION_ITEM] is not None:
        rule = RuleId.OVERDUE_ACTION_ITEM
        why = (
            f"past its due date {item.due.isoformat()}"
            if item.due
            else f"open for {(now - item.created_at).days} days with no due date"
        )
        detail = _item_detail(item, with_due=False)
        message = f"Overdue action item {_quote(item.title)} {source}: {why}{detail}"
    else:
        rule = RuleId.OPEN_ACTION_ITEM
        message = f"Open action item {_quote(item.title)} {source}{_item_detail(item)}"
    level = policy.levels[rule]
    if level is None:
        return None
    finding_print = fingerprint(rule, "action-item", item.id)
    remedy = None
    if rule is not RuleId.DECLINED_ACTION_ITEM:
        remedy = (
            f"To clear: do it, or decline it with a reason, at {_item_place(postmortem, item)}; "
            f"{_waive(finding_print)}"
        )
    return Finding(
        rule=rule,
        level=level,
        message=message,
        fingerprint=finding_print,
        postmortem=postmortem,
        action_item=item,
        remedy=remedy,
    )


_VOLATILE = re.compile(
    r"[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}"  # uuids, before their parts look like words
    r"|\b[0-9a-f]{7,64}\b",  # shas and hashes, letters-only ones ("deadbeef") included
    re.IGNORECASE,
)
_WORD = re.compile(r"[^\W_]+")


def normalise_signature(text: str | None) -> str:
    """A failure's description without the parts that differ between runs of one failure.

    Hashes and uuids are dropped, then every word with a digit in it: numbers,
    ids, dates, times, durations and generated names such as a pod's
    ``7d9f8b6c5-x2k4p`` suffix. Case and punctuation fold, so
    "Timeout after 30s on pod web-7f9c2 at 2026-09-08T14:05Z" and
    "timeout after 45s on pod web-1a2b3 at 2026-11-05T09:00Z" are the same.
    """
    if not text:
        return ""
    stripped = _VOLATILE.sub(" ", text.lower())
    return " ".join(word for word in _WORD.findall(stripped) if not any(c.isdigit() for c in word))


GENERIC_FAILURE_MESSAGES: tuple[str, ...] = (
    # GitHub Actions' runner, under any step that exited non-zero, whatever the cause.
    "process completed with exit code",
    # @actions/exec, when a command an action ran exits non-zero: the command, not the cause.
    "the process .* failed with exit code",
    # The runner, on a cancelled job or one past its timeout-minutes.
    "the operation was canceled",
    ".*has exceeded the maximum execution time of minutes",
    "the runner has received a shutdown signal.*",
    # GitLab's failure reasons that name no cause: the script exited non-zero, or GitLab
    # does not know (https://docs.gitlab.com/ci/yaml/#retrywhen lists them all; the others,
    # such as runner_system_failure or missing_dependency_failure, say what failed).
    "script failure",
    "unknown failure",
    # What deploy tools and people write in a failed status when they say nothing more.
    "(the )?(deploy|deployment|job|build|release|step)?( has)? ?(failed|failure|error)",
)
"""Messages that say a step failed, not what failed: never evidence of a repeat.

Each is a regular expression that must match a whole message once normalised
(:func:`normalise_signature`: lower case, numbers, ids, hashes and times gone,
and a leading "error" word dropped)."""

_GENERIC = re.compile("|".join(f"(?:{message})" for message in GENERIC_FAILURE_MESSAGES))


def specific_messages(deployment: Deployment) -> tuple[str, ...]:
    """The deployment's failure messages that name the failure, normalised, without repeats.

    "Process completed with exit code 1" or GitLab's ``script_failure`` is
    what every failed deploy says: two failures that say only that failed
    alike by chance, so such a message is no evidence (see
    :data:`GENERIC_FAILURE_MESSAGES`).
    """
    found: dict[str, None] = {}
    for message in deployment.failure_messages:
        # "Error: x" (a workflow command's annotation) and "x" are one error.
        signature = normalise_signature(message).removeprefix("error ")
        if signature and not _GENERIC.fullmatch(signature):
            found[signature] = None
    return tuple(found)


def _description_key(deployment: Deployment) -> str | None:
    """The normalised description, when it says enough to compare: more than two words."""
    signature = normalise_signature(deployment.description)
    # Two words or fewer ("deploy failed") say nothing about how it failed.
    return signature if len(signature.split()) > 2 else None


KeyKind = Literal["cause", "error", "job", "description"]

EVIDENCE: frozenset[KeyKind] = frozenset({"cause", "error"})
"""What proves a repeat: what people said (a cause label on both postmortems), or the same
specific error. The same job and step, or a similar description, is only related."""


def _keys(deployment: Deployment, evidence: Evidence) -> list[tuple[KeyKind, str]]:
    """What a failure can be matched on, strongest first: cause, error, failing job, description."""
    keys: list[tuple[KeyKind, str]] = []
    review = evidence.reviews.get(deployment.id)
    if review is not None:
        keys += [("cause", cause) for cause in sorted(review.postmortem.causes)]
    keys += [("error", message) for message in specific_messages(deployment)]
    if deployment.failure_signature:
        keys.append(("job", deployment.failure_signature))
    description = _description_key(deployment)
    if description:
        keys.append(("description", description))
    return keys


def _shown(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _how(kind: KeyKind, value: str) -> str:
    """How two failures match, as the finding says it."""
    if kind == "cause":
        return f"the same cause ({value})"
    if kind == "error":
        return f"the same error ({_quote(_shown(value))})"
    if kind == "job":
        return f"the same failing job ({value})"
    return "a similar description"


@dataclass(frozen=True, slots=True)
class Repeat:
    """A failure that matches an earlier, already reviewed one, and how they match."""

    later: Deployment
    earlier: Deployment
    review: Review
    """The earlier failure's review: its postmortem is the lesson that did not stick."""
    key: tuple[KeyKind, str]
    """What matched, and its value."""

    @property
    def related(self) -> bool:
        """Matched by where it failed or by description only: related, not a proven repeat."""
        return self.key[0] not in EVIDENCE


def find_repeats(evidence: Evidence) -> Iterator[Repeat]:
    """Failures like an earlier one whose postmortem was written before they happened.

    The earlier side may be a failure from before the lookback window
    (``Evidence.earlier_failures``): a lesson that did not stick ninety-one
    days ago is still a lesson that did not stick. Reviewed failures are
    indexed by their keys once, so a check costs a dictionary lookup per
    failure and key: 100,000 deployments stay linear.
    """
    earlier_by_key: dict[tuple[KeyKind, str], list[Deployment]] = {}
    for failure in (*evidence.earlier_failures, *evidence.failures):  # oldest first
        if failure.id in evidence.reviews:
            for key in _keys(failure, evidence):
                earlier_by_key.setdefault(key, []).append(failure)
    for later in evidence.failures:
        repeat = _first_match(later, earlier_by_key, evidence)
        if repeat is not None:
            yield repeat


def _first_match(
    later: Deployment,
    earlier_by_key: Mapping[tuple[KeyKind, str], Sequence[Deployment]],
    evidence: Evidence,
) -> Repeat | None:
    """The strongest key's earliest reviewed failure that ``later`` repeats, if any."""
    later_review = evidence.reviews.get(later.id)
    for key in _keys(later, evidence):
        for earlier in earlier_by_key.get(key, ()):
            review = evidence.reviews[earlier.id]
            if earlier.created_at >= later.created_at:
                break  # the rest are later still
            if review.postmortem.created_at > later.created_at:
                continue  # no lesson could have been learned yet
            if key[0] == "cause" and later_review and later_review.postmortem is review.postmortem:
                continue  # one postmortem about both is not a repeat of itself
            return Repeat(later, earlier, review, key)
    return None


def repeat_failures(evidence: Evidence, policy: Policy, now: datetime) -> Iterator[Finding]:
    """Each repeat as a finding with its evidence.

    A repeat needs evidence that the failure is the same one: a cause label
    on both postmortems, or the same specific error (:func:`specific_messages`).
    It is a finding at the rule's level. The same failing job and step, or a
    similar description, is only a "related prior failure" notice: deploy
    jobs fail in the same step ("Deploy", ``script_failure``) whatever the
    cause, and a guess must not block.

    A repeat is cleared, and drops to a notice that says by what, once a
    postmortem of its own closes the loop again (:func:`clearing_review`).
    """
    level = policy.levels[RuleId.REPEAT_FAILURE]
    if level is None:
        return
    for repeat in find_repeats(evidence):
        kind_of_key, value = repeat.key
        postmortem = repeat.review.postmortem
        shipments = evidence.repeat_shipments.get(repeat.later.id, ())
        done = [_done_item(item, shipments, repeat.later) for item in postmortem.action_items
                if item.state is ActionItemState.DONE]  # fmt: skip
        lessons = f"; its done action items: {', '.join(done)}" if done else ""
        kind = "Related prior failure" if repeat.related else "Repeat failure"
        clearing = clearing_review(repeat, evidence)
        yield Finding(
            rule=RuleId.REPEAT_FAILURE,
            level=Level.NOTICE if repeat.related or clearing else level,
            message=(
                f"{kind}: {_failure_label(repeat.later)} failed with "
                f"{_how(kind_of_key, value)} as {_failure_label(repeat.earlier)}, "
                f"reviewed by postmortem {_quote(postmortem.title)}{lessons}{_cleared(clearing)}"
            ),
            fingerprint=fingerprint(RuleId.REPEAT_FAILURE, "deployment", repeat.later.id),
            deployment=repeat.later,
            postmortem=postmortem,
            remedy=None if clearing or repeat.related else _repeat_remedy(repeat, evidence),
            shipments=shipments,
        )


def _fix_name(fix: Fix) -> str:
    """``PR #123, merged 2026-11-10``: how a message names a fix."""
    merged = f", merged {_day(fix.merged_at)}" if fix.merged_at else ""
    return f"{fix.ref}{merged}"


def _done_item(item: ActionItem, shipments: Sequence[Shipment], later: Deployment) -> str:
    """A done item of a repeated postmortem, with what became of each of its fixes."""
    if not item.fixes:
        return f"{_quote(item.title)} (no linked change)"
    told = []
    for fix in item.fixes:
        found = next((each for each in shipments
                      if each.item.id == item.id and each.fix.sha == fix.sha), None)  # fmt: skip
        told.append(_fix_history(fix, found, later))
    return f"{_quote(item.title)} ({'; '.join(told)})"


def _fix_history(fix: Fix, found: Shipment | None, later: Deployment) -> str:
    """Had this fix shipped when the failure repeated, and so did the lesson not work?"""
    if fix.sha is None or found is None:
        return f"its fix {fix.ref} has no merge commit deploygate can follow"
    if not found.known:
        return f"its fix {fix.ref}: whether it had shipped could not be told"
    shipped = found.shipped_in
    if shipped is None and fix.merged_at is not None and fix.merged_at > later.created_at:
        return f"its fix {fix.ref} was merged only after the failure repeated"
    if shipped is None:
        return f"its fix {fix.ref} had not shipped when the failure repeated"
    return (
        f"its fix {fix.ref} shipped to {found.environment} in deployment {shipped.id} on "
        f"{_day(shipped.created_at)}, and the failure repeated on {_day(later.created_at)}: "
        "the lesson did not work"
    )


def unshipped_fixes(evidence: Evidence, policy: Policy, now: datetime) -> Iterator[Finding]:
    """Done items whose fix the environment's latest successful deployment does not hold.

    Done is not shipped: until the change is deployed the lesson protects
    nothing. When the sha being deployed contains the fix, this deploy ships
    it, and the finding is a notice that says so. A fix that no source could
    follow (no repository, an unknown commit) is no finding: the source says why.
    """
    level = policy.levels[RuleId.UNSHIPPED_FIX]
    if level is None:
        return
    postmortem_of = {item.id: pm for pm in evidence.postmortems for item in pm.action_items}
    for each in evidence.shipments:
        if not each.known or each.shipped_in is not None:
            continue
        environment, latest = each.environment, each.latest
        if latest is None:
            why = f"no successful {environment} deployment with a sha is in the history"
        else:
            why = (
                f"the latest {environment} deployment ({(latest.sha or '')[:7]}, "
                f"{_day(latest.created_at)}) does not contain it"
            )
        ships = "; this deploy ships it" if each.in_deploying else ""
        finding_print = fingerprint(
            RuleId.UNSHIPPED_FIX, "action-item", f"{each.item.id}\0{each.fix.sha}"
        )
        yield Finding(
            rule=RuleId.UNSHIPPED_FIX,
            level=Level.NOTICE if each.in_deploying else level,
            message=f"Action item {_quote(each.item.title)} is done, but its fix "
            f"({_fix_name(each.fix)}) has not reached {environment}: {why}{ships}",
            fingerprint=finding_print,
            postmortem=postmortem_of.get(each.item.id),
            action_item=each.item,
            remedy=f"To clear: deploy a version that contains {(each.fix.sha or '')[:7]} to "
            f"{environment}; {_waive(finding_print)}",
            shipments=(each,),
        )


def clearing_review(repeat: Repeat, evidence: Evidence) -> Review | None:
    """The review that clears a repeat: the loop closed again on the repeating failure.

    It is a postmortem other than the one whose lesson did not stick, that
    references the repeating failure (a time-window link is a guess, not a
    review of this failure), and has drawn at least one lesson and done or
    declined every one: a new postmortem with nothing learned, or with work
    still open, has not closed the loop.
    """
    review = _own_review(repeat, evidence)
    if review is None or not review.postmortem.action_items:
        return None
    if any(item.state is ActionItemState.OPEN for item in review.postmortem.action_items):
        return None
    return review


def _own_review(repeat: Repeat, evidence: Evidence) -> Review | None:
    """The repeating failure's review by reference, by a postmortem of its own."""
    review = evidence.reviews.get(repeat.later.id)
    if review is None or review.link is not LinkKind.REFERENCE:
        return None
    return None if review.postmortem is repeat.review.postmortem else review


def _cleared(clearing: Review | None) -> str:
    """The end of a cleared repeat's message: by which postmortem."""
    if clearing is None:
        return ""
    return (
        f"; cleared by postmortem {_quote(clearing.postmortem.title)}, which names it and has "
        "every action item done or declined"
    )


def _repeat_remedy(repeat: Repeat, evidence: Evidence) -> str:
    """What clears a repeat: the open items of its own postmortem, or that postmortem."""
    finding_print = fingerprint(RuleId.REPEAT_FAILURE, "deployment", repeat.later.id)
    review = _own_review(repeat, evidence)
    if review is not None and review.postmortem.action_items:
        postmortem = review.postmortem
        where = postmortem.url or postmortem.id
        return (
            f"To clear: do or decline with a reason every open action item of postmortem "
            f"{_quote(postmortem.title)} ({where}), which reviews it; {_waive(finding_print)}"
        )
    return (
        f"To clear: a postmortem that names {_references(repeat.later)}, with action items "
        f"all done or declined; {_waive(finding_print)}"
    )


MAX_NAMED = 10
"""At most this many known names in a no-evidence message; the rest are counted."""


def _listed(names: Iterable[str]) -> str:
    """``'a', 'b' and 3 more``: a label list can be long, a message must not be."""
    ordered = sorted(set(names))
    shown = ", ".join(map(repr, ordered[:MAX_NAMED]))
    more = len(ordered) - MAX_NAMED
    return f"{shown} and {more} more" if more > 0 else shown


def _closest(word: str, names: Sequence[str]) -> str:
    """``; did you mean 'x'?`` by spelling (as config's), else by the only name that starts
    with ``word``: ``prod`` is too short for difflib to call ``production`` close."""
    hint = did_you_mean(word, names)
    if hint:
        return hint
    starting = [name for name in names if name.casefold().startswith(word.casefold())]
    return f"; did you mean {starting[0]!r}?" if len(starting) == 1 and word else ""


def no_evidence(evidence: Evidence, policy: Policy, now: datetime) -> Iterator[Finding]:
    """A check that rests on nothing: never a quiet pass.

    Each way says what the sources do know. A service label (or any name a
    source read) that differs only in case is named as such, whether or not
    the service was seen otherwise: names are compared exactly, so what
    carries it was left out. A service nobody saw gets the names the sources
    and the config know, with the closest one. A service seen only through records of every
    service (on GitHub and GitLab a repository's deployments belong to any
    service asked for) that nothing names, while a close name is known, is a
    likely typo. A service that was seen, but never deploying to the
    requested environment, gets the environments it deploys to.
    """
    level = policy.levels[RuleId.NO_EVIDENCE]
    if level is None:
        return
    seen, service = evidence.seen, evidence.service
    exact = {known.name for known in seen.services}
    other_case = [
        known
        for known in seen.services
        if known.name != service and known.name.casefold() == service.casefold()
    ]
    subject = fingerprint(RuleId.NO_EVIDENCE, "service", service)
    if other_case:
        where = ", ".join(sorted({f"{known.name!r} in {known.where}" for known in other_case}))
        yield Finding(
            rule=RuleId.NO_EVIDENCE,
            level=level,
            message=f"Service {service!r} is named in another case ({where}): names are "
            "compared exactly, so what carries that name was not read for this service; "
            "use one spelling",
            fingerprint=subject,
            remedy=f"To clear: spell the service one way in labels, front matter and "
            f"--service; {_waive(subject)}",
        )
        return
    known = {name for name in exact if name != service}
    if not seen.service:
        hint = _closest(service, sorted(known))
        names = f" (the sources and the config know {_listed(known)})" if known else ""
        yield Finding(
            rule=RuleId.NO_EVIDENCE,
            level=level,
            message=f"No source has a deployment, postmortem or action item of service "
            f"{service!r}, so nothing was verified{names}{hint}",
            fingerprint=subject,
            remedy="To clear: correct the service name (--service, or the matrix or variable "
            "that sets it), or record its first deployment (deploygate record); " + _waive(subject),
        )
        return
    hint = _closest(service, sorted(known)) if service not in exact else ""
    if hint:
        yield Finding(
            rule=RuleId.NO_EVIDENCE,
            level=level,
            message=f"No source and no [services] table names service {service!r}, so only "
            f"records of every service were read for it (a repository's deployments, "
            f"postmortems without a service label){hint}",
            fingerprint=subject,
            remedy=f"To clear: correct the service name, or declare it with a "
            f"[services.{service}] table if it is meant; {_waive(subject)}",
        )
    if not seen.in_environment and seen.environments and evidence.environment is not None:
        hint = _closest(evidence.environment, seen.environments)
        subject = fingerprint(
            RuleId.NO_EVIDENCE, "environment", f"{service}\0{evidence.environment}"
        )
        yield Finding(
            rule=RuleId.NO_EVIDENCE,
            level=level,
            message=f"No source has a deployment of {service!r} to environment "
            f"{evidence.environment!r}, so its failures were not checked (it deploys to "
            f"{_listed(seen.environments)}){hint}",
            fingerprint=subject,
            remedy=f"To clear: name an environment the service deploys to in --environment; "
            f"{_waive(subject)}",
        )


Rule = Callable[[Evidence, Policy, datetime], Iterable[Finding]]

RULES: tuple[Rule, ...] = (
    unreviewed_failures,
    reviewed_failures,
    action_items,
    unshipped_fixes,
    repeat_failures,
    no_evidence,
)
"""Every rule function, in the order their findings are produced."""


def evaluate(evidence: Evidence, policy: Policy, now: datetime) -> tuple[Finding, ...]:
    """All findings, waivers applied, loudest first, then oldest subject first."""
    findings = [finding for rule in RULES for finding in rule(evidence, policy, now)]
    return apply_waivers(findings, policy, now)


def _finding_order(finding: Finding) -> tuple[int, str, str, str, str]:
    subject_time, subject_id = "", ""
    if finding.deployment is not None:
        subject_time = format_instant(finding.deployment.created_at)
        subject_id = finding.deployment.id
    elif finding.postmortem is not None:
        subject_time = format_instant(finding.postmortem.created_at)
    if finding.action_item is not None:
        subject_id = finding.action_item.id
    return (-finding.level, finding.rule.value, subject_time, subject_id, finding.fingerprint)


_ESCALATES_FROM: Mapping[RuleId, RuleId] = {
    RuleId.OVERDUE_ACTION_ITEM: RuleId.OPEN_ACTION_ITEM,
}
"""A subject's finding that became louder with time, and the finding it was before."""


def _names(finding: Finding) -> list[Finding]:
    """``finding``, and what it was before it escalated.

    A team that accepted the risk of an open item until a date accepted it
    for that item: its due date passing must not silently void the waiver.
    """
    names = [finding]
    before = _ESCALATES_FROM.get(finding.rule)
    if before is not None and finding.action_item is not None:
        earlier_fingerprint = fingerprint(before, "action-item", finding.action_item.id)
        names.append(replace(finding, rule=before, fingerprint=earlier_fingerprint))
    return names


def _matched(waiver: Waiver, named: Sequence[Sequence[Finding]]) -> list[int]:
    """The positions of the findings ``waiver`` names, in ``named``: each finding's
    :func:`_names`, the finding first. More than one is an ambiguous fingerprint prefix."""
    matched = [
        position
        for position, names in enumerate(named)
        if any(waiver.matches(name) for name in names)
    ]
    if len({named[position][0].fingerprint for position in matched}) > 1:
        listed = "; ".join(
            f"{_waived_subject(named[position][0])} ({named[position][0].fingerprint})"
            for position in matched
        )
        # Raised here, since only the findings say whether a prefix names one: exit 2
        # at the waiver's line, like every other mistake in the config.
        raise ConfigError(
            f"{waiver.names!r} names {len(matched)} findings: {listed}",
            path=waiver.path, line=waiver.line, field="waivers.finding",
            expected="enough of the fingerprint to name one finding",
        )  # fmt: skip
    return matched


def _unused(waiver: Waiver, level: Level) -> Finding:
    """The notice for a waiver that names nothing: a typo must not look like a waiver."""
    return Finding(
        rule=RuleId.UNUSED_WAIVER,
        level=level,
        message=f"The waiver at {waiver.where} for {waiver.names} (until "
        f"{waiver.expires.isoformat()}: {waiver.reason}) matches no finding of this service "
        "and environment",
        fingerprint=fingerprint(RuleId.UNUSED_WAIVER, "waiver", waiver.names),
        remedy=f"To clear: correct it to a fingerprint the report shows, or delete it "
        f"at {waiver.where}",
    )


def _waived_subject(finding: Finding) -> str:
    """What a waiver covered, in words: a fingerprint alone tells a reader nothing."""
    if finding.action_item is not None:
        return f"{finding.rule.value} of {_quote(finding.action_item.title)}"
    if finding.deployment is not None:
        return f"{finding.rule.value} of deployment {finding.deployment.id}"
    return finding.rule.value


def apply_waivers(
    findings: Iterable[Finding], policy: Policy, now: datetime
) -> tuple[Finding, ...]:
    """Waived findings drop to notices that say why and until when; expired waivers say so.

    A waiver holds through its last day. Once it has expired, its finding is
    back at its own level and a notice says the waiver ran out, so nobody
    mistakes the return of a finding for a new problem. A waiver that names
    no finding is an ``unused-waiver`` finding; one whose fingerprint prefix
    names several is a :class:`ConfigError`.
    """
    findings = tuple(findings)
    # Each finding's names are made once: a check may have thousands of findings.
    named = [_names(finding) for finding in findings] if policy.waivers else []
    unused_level = policy.levels[RuleId.UNUSED_WAIVER]
    result: list[Finding] = []
    waiver_at: dict[int, Waiver] = {}
    for listed in policy.waivers:
        matched = _matched(listed, named)
        for position in matched:
            # The waiver that holds longest: an expired one listed before its renewal
            # must not bring the finding back.
            held = waiver_at.get(position)
            if held is None or listed.expires > held.expires:
                waiver_at[position] = listed
        if not matched and unused_level is not None:
            result.append(_unused(listed, unused_level))
    for position, finding in enumerate(findings):
        waiver = waiver_at.get(position)
        if waiver is None:
            result.append(finding)
            continue
        if not day_over(waiver.expires, now):
            result.append(
                replace(
                    finding,
                    level=Level.NOTICE,
                    message=f"{finding.message} (waived until {waiver.expires.isoformat()}: "
                    f"{waiver.reason}; risk accepted by team {waiver.team})",
                )
            )
            continue
        result.append(finding)
        if expired_level := policy.levels[RuleId.EXPIRED_WAIVER]:
            result.append(
                Finding(
                    rule=RuleId.EXPIRED_WAIVER,
                    level=expired_level,
                    message=f"The waiver for {waiver.names} ({_waived_subject(finding)}) "
                    f"expired on {waiver.expires.isoformat()} ({waiver.reason}); "
                    "its finding is back",
                    fingerprint=fingerprint(RuleId.EXPIRED_WAIVER, "waiver", waiver.names),
                    deployment=finding.deployment,
                    postmortem=finding.postmortem,
                    action_item=finding.action_item,
                )
            )
    return tuple(sorted(result, key=_finding_order))


def blocking(findings: Iterable[Finding], *, strict: bool) -> tuple[Finding, ...]:
    """The findings that block a deploy: every error, and every warning under ``strict``."""
    levels = {Level.ERROR, Level.WARNING} if strict else {Level.ERROR}
    return tuple(finding for finding in findings if finding.level in levels)


def verdict(findings: Iterable[Finding], *, strict: bool) -> Verdict:
    """Block when a finding blocks (see :func:`blocking`); warn on a warning; else pass."""
    findings = tuple(findings)
    if blocking(findings, strict=strict):
        return Verdict.BLOCK
    if any(finding.level is Level.WARNING for finding in findings):
        return Verdict.WARN
    return Verdict.PASS
