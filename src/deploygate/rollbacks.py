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
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from deploygate.dates import format_duration
from deploygate.model import Deployment, DeploymentStatus

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


def _after(earlier: Deployment, later: Deployment) -> str:
    """How long after, rounded for a person: "2h later"."""
    span = later.created_at - earlier.created_at
    rounded = timedelta(minutes=max(1, round(span.total_seconds() / 60)))
    return f"{format_duration(rounded)} later"


def _evidence(
    deployment: Deployment, successor: Deployment, first_live: dict[str, int]
) -> str | None:
    """Why ``successor`` rolls ``deployment`` back, or None when it does not.

    ``first_live`` holds, for each sha live so far, the position at which it
    first went live; ``deployment``'s own sha is in it.
    """
    if (
        successor.sha
        and deployment.sha
        and successor.sha != deployment.sha
        and successor.sha in first_live
        and first_live[successor.sha] < first_live[deployment.sha]
    ):
        return (
            f"deployment {successor.id} shipped {_short(successor.sha)}, a version live before "
            f"it, {_after(deployment, successor)}"
        )
    said = says_rollback(successor)
    if said is not None and successor.sha != deployment.sha:
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
        first_live: dict[str, int] = {}
        for position, index in enumerate(indices):
            deployment = deployments[index]
            if deployment.sha:
                first_live.setdefault(deployment.sha, position)
            if position + 1 < len(indices):
                successor = deployments[indices[position + 1]]
                if successor.created_at - deployment.created_at <= window:
                    evidence = _evidence(deployment, successor, first_live)
                    if evidence is not None:
                        marked[index] = replace(
                            deployment, status=DeploymentStatus.ROLLED_BACK, rollback=evidence
                        )
    return tuple(marked)
