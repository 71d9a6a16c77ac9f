"""Where deploygate writes back: GitHub and GitLab behind one small :class:`Platform` protocol.

A platform posts the sticky pull-request comment or merge-request note,
leaves override notes on postmortems, publishes the learning-loop report
issue, and counts the override notes it left. Which platform a run writes
to is picked once (:func:`pick`): the platform the sources read, else the
CI it runs in. A platform is handed a :class:`Target` (where, and the
token); it never reads a source's settings itself. Each platform's client
library is imported only when it is connected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from deploygate import ci
from deploygate.platforms.interface import (
    PLATFORMS,
    OverrideNote,
    Platform,
    PlatformName,
    Target,
    no_review,
)

__all__ = [
    "PLATFORMS",
    "OverrideNote",
    "Platform",
    "PlatformName",
    "Target",
    "connect",
    "no_review",
    "pick",
]


def pick(sources: Sequence[str], env: Mapping[str, str]) -> PlatformName | None:
    """Where to write: the platform the sources read, else the CI it runs in, else nowhere."""
    for platform in PLATFORMS:
        if platform in sources:
            return platform
    guess = ci.guess_platform(env, None)
    return guess.platform if guess else None


def connect(name: PlatformName, target: Target) -> Platform:
    """The platform called ``name``, writing to ``target``."""
    if name == "github":
        from deploygate.platforms.github import GitHubPlatform

        return GitHubPlatform(target)
    from deploygate.platforms.gitlab import GitLabPlatform

    return GitLabPlatform(target)
