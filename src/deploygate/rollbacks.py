"""Rollbacks as failures: a deployment replaced soon after by an older version went wrong.

A status says success when the deploy itself ran; a rollback says the
version did not hold. Two signs are read, per service and environment:

- the next successful deployment, within the window, ships an older version:
  a sha first live there before this deployment's sha was (a redeploy of the
  same sha is not a rollback, nor is going forward again to a version that
  was itself rolled back);
- the next successful deployment, within the window, says it is a rollback
  or a revert: its description, or its commit's first line, starts so.

The deployment so replaced becomes ``rolled-back``, with the evidence. Pure:
no clock, no I/O, linear in the number of deployments after one sort.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta

from deploygate.dates import format_duration
from deploygate.linking import MIN_SHA_PREFIX
from deploygate.model import Deployment, DeploymentStatus

_HEX_DIGITS = "0123456789abcdef"

# Saying a rollback is opening with it, as the tools that make one do: git's
# 'Revert "<subject>"' (and GitHub's and GitLab's revert buttons), Conventional
# Commits' "revert:" / "revert(scope):", Heroku's and Helm's "Rollback to v41",
# or a person's "Roll back checkout to v41", "Rolled back ...", "Reverting ...".
# The noun "rollback" opens a rollback only when a preposition, punctuation or
# nothing follows it: "Rollback retry" and "Rollback button" name a feature.
# A mention later in the line ("Add a rollback button", "revert not needed")
# is not one. Leading "[tag]"s are skipped.
_SAYS_ROLLBACK = re.compile(
    r"""\s*(?:\[[^\]\n]*\][ \t]*)*
    (?:
        (?:revert(?:s|ed|ing)?|roll(?:s|ed|ing)?[ \t]+back)(?![\w-])
      | roll-?back(?=
            [ \t]*(?:$|[:;,.!(\["'“\u2018—\u2013])
          | [ \t]+(?:-|(?:to|of|from|after|because|due|per)\b)
        )
    )""",
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)
"""Matched at the start of the text, within its first non-blank line."""


def says_rollback(deployment: Deployment) -> str | None:
    """The first line in which ``deployment`` says it rolls back or reverts, if it does."""
    for text in (deployment.commit_title, deployment.description):
        if text and _SAYS_ROLLBACK.match(text):
            return text.strip().partition("\n")[0].rstrip()
    return None


def _short(sha: str) -> str:
    return sha[:7]


def _versions(shas: Iterable[str]) -> dict[str, str]:
    """The shas of one stream that name a version written otherwise too, and that version.

    Git reads object names without case, and a prefix of at least
    ``MIN_SHA_PREFIX`` hex digits names the one commit it abbreviates, so a
    deployment recorded with ``1a2b3c4`` ships the same version as one recorded
    with the full sha, either way round. A prefix that two longer shas of the
    stream share is ambiguous, as git says, and names neither. Anything that is
    not hex is compared as written. A sha left out is its own version: only
    shas that share their first digits with another (a few among 100,000) are
    compared, which keeps a large history inside its time budget.
    """
    first_with: dict[str, str] = {}
    shared: dict[str, set[str]] = {}  # the rare prefixes more than one sha starts with
    for sha in shas:
        prefix = sha[:MIN_SHA_PREFIX].lower()
        first = first_with.setdefault(prefix, sha)
        if first != sha:
            shared.setdefault(prefix, {first}).add(sha)
    versions: dict[str, str] = {}
    for group in shared.values():
        known = {
            lowered
            for sha in group
            if len(lowered := sha.lower()) >= MIN_SHA_PREFIX and not lowered.strip(_HEX_DIGITS)
        }
        for sha in group:
            lowered = sha.lower()
            if lowered not in known:
                continue
            longer = {other for other in known if other.startswith(lowered)}
            longest = [
                other
                for other in longer
                if not any(more != other and more.startswith(other) for more in longer)
            ]
            version = longest[0] if len(longest) == 1 else lowered
            if version != sha:
                versions[sha] = version
    return versions


def _after(earlier: Deployment, later: Deployment) -> str:
    """How long after, rounded for a person: "2h later"."""
    span = later.created_at - earlier.created_at
    rounded = timedelta(minutes=max(1, round(span.total_seconds() / 60)))
    return f"{format_duration(rounded)} later"


def _evidence(
    deployment: Deployment,
    successor: Deployment,
    version: str | None,
    successor_version: str | None,
    first_live: dict[str, int],
) -> str | None:
    """Why ``successor`` rolls ``deployment`` back, or None when it does not.

    ``version`` and ``successor_version`` are the versions the two shipped
    (see :func:`_versions`); ``first_live`` holds, for each version live so
    far, the position at which it first went live; ``version`` is in it.
    """
    if successor_version == version:
        return None
    if (
        successor.sha
        and successor_version
        and version
        and successor_version in first_live
        and first_live[successor_version] < first_live[version]
    ):
        return (
            f"deployment {successor.id} shipped {_short(successor.sha)}, a version live before "
            f"it, {_after(deployment, successor)}"
        )
    said = says_rollback(successor)
    if said is not None:
        return f"deployment {successor.id} {_after(deployment, successor)} says “{said}”"
    return None


def mark_rollbacks(
    deployments: Sequence[Deployment], window: timedelta | None
) -> tuple[Deployment, ...]:
    """``deployments`` with each rolled-back one marked ``rolled-back``; order kept.

    ``window`` None turns detection off and returns the deployments as they were.
    """
    if window is None:
        return tuple(deployments)
    streams: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, deployment in enumerate(deployments):
        if deployment.status is DeploymentStatus.SUCCESS:
            streams[(deployment.service, deployment.environment)].append(index)
    marked = list(deployments)
    for indices in streams.values():
        indices.sort(key=lambda index: deployments[index].created_at)
        versions = _versions(sha for index in indices if (sha := deployments[index].sha))
        first_live: dict[str, int] = {}
        for position, index in enumerate(indices):
            deployment = deployments[index]
            version = versions.get(deployment.sha or "", deployment.sha)
            if version:
                first_live.setdefault(version, position)
            if position + 1 < len(indices):
                successor = deployments[indices[position + 1]]
                successor_version = versions.get(successor.sha or "", successor.sha)
                if successor.created_at - deployment.created_at <= window:
                    evidence = _evidence(
                        deployment, successor, version, successor_version, first_live
                    )
                    if evidence is not None:
                        marked[index] = replace(
                            deployment, status=DeploymentStatus.ROLLED_BACK, rollback=evidence
                        )
    return tuple(marked)
