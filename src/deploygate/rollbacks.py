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

_HEX = re.compile(r"[0-9a-f]+")

# Saying a rollback is opening with it, as the tools that make one do: git's
# 'Revert "<subject>"' (and GitHub's and GitLab's revert buttons), Conventional
# Commits' "revert:" / "revert(scope):", Heroku's and Helm's "Rollback to v41",
# or a person's "Roll back checkout to v41", "Rolled back ...", "Reverting ...".
# The noun "rollback" opens a rollback only when a preposition, punctuation or
# nothing follows it: "Rollback retry" and "Rollback button" name a feature.
# A mention later in the line ("Add a rollback button", "revert not needed")
# is not one. Leading "[tag]"s are skipped.
_SAYS_ROLLBACK = re.compile(
    r"""(?:\[[^\]]*\]\s*)*
    (?:
        (?:revert(?:s|ed|ing)?|roll(?:s|ed|ing)?\s+back)(?![\w-])
      | roll-?back(?=
            \s*(?:$|[:;,.!(\["'“\u2018—\u2013])
          | \s+(?:-|(?:to|of|from|after|because|due|per)\b)
        )
    )""",
    re.IGNORECASE | re.VERBOSE,
)


def says_rollback(deployment: Deployment) -> str | None:
    """The first line in which ``deployment`` says it rolls back or reverts, if it does."""
    for text in (deployment.commit_title, deployment.description):
        line = text.strip().partition("\n")[0].rstrip() if text else ""
        if line and _SAYS_ROLLBACK.match(line):
            return line
    return None


def _short(sha: str) -> str:
    return sha[:7]


def _versions(shas: Iterable[str]) -> dict[str, str]:
    """Each sha of one stream and the version it names, compared as git compares them.

    Git reads object names without case, and a prefix of at least
    ``MIN_SHA_PREFIX`` hex digits names the one commit it abbreviates, so a
    deployment recorded with ``1a2b3c4`` ships the same version as one recorded
    with the full sha, either way round. A prefix that two longer shas of the
    stream share is ambiguous, as git says, and names neither. Anything that is
    not hex is compared as written.
    """
    distinct = set(shas)
    by_prefix: dict[str, set[str]] = defaultdict(set)
    versions: dict[str, str] = {}
    for sha in distinct:
        lowered = sha.lower()
        if len(lowered) >= MIN_SHA_PREFIX and _HEX.fullmatch(lowered):
            by_prefix[lowered[:MIN_SHA_PREFIX]].add(lowered)
        else:
            versions[sha] = sha
    for sha in distinct - versions.keys():
        lowered = sha.lower()
        longer = {
            known for known in by_prefix[lowered[:MIN_SHA_PREFIX]] if known.startswith(lowered)
        }
        longest = {
            known
            for known in longer
            if not any(other.startswith(known) for other in longer - {known})
        }
        versions[sha] = longest.pop() if len(longest) == 1 else lowered
    return versions


def _after(earlier: Deployment, later: Deployment) -> str:
    """How long after, rounded for a person: "2h later"."""
    span = later.created_at - earlier.created_at
    rounded = timedelta(minutes=max(1, round(span.total_seconds() / 60)))
    return f"{format_duration(rounded)} later"


def _evidence(
    deployment: Deployment,
    successor: Deployment,
    versions: dict[str, str],
    first_live: dict[str, int],
) -> str | None:
    """Why ``successor`` rolls ``deployment`` back, or None when it does not.

    ``versions`` names the version of each sha (see :func:`_versions`);
    ``first_live`` holds, for each version live so far, the position at which it
    first went live; ``deployment``'s own version is in it.
    """
    version = versions[deployment.sha] if deployment.sha else None
    successor_version = versions[successor.sha] if successor.sha else None
    if (
        successor.sha
        and successor_version
        and version
        and successor_version != version
        and successor_version in first_live
        and first_live[successor_version] < first_live[version]
    ):
        return (
            f"deployment {successor.id} shipped {_short(successor.sha)}, a version live before "
            f"it, {_after(deployment, successor)}"
        )
    said = says_rollback(successor)
    if said is not None and successor_version != version:
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
            if deployment.sha:
                first_live.setdefault(versions[deployment.sha], position)
            if position + 1 < len(indices):
                successor = deployments[indices[position + 1]]
                if successor.created_at - deployment.created_at <= window:
                    evidence = _evidence(deployment, successor, versions, first_live)
                    if evidence is not None:
                        marked[index] = replace(
                            deployment, status=DeploymentStatus.ROLLED_BACK, rollback=evidence
                        )
    return tuple(marked)
