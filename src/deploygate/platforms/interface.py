"""The contract of a platform: what deploygate writes back (:class:`Platform`), where
(:class:`Target`), and which pull request or merge request a run is for."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from deploygate import ci

PlatformName = ci.Platform
PLATFORMS: tuple[PlatformName, ...] = ("github", "gitlab")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a platform writes, and with what token: built from the source of the same name."""

    url: str
    """GitHub's REST base (https://api.github.com), or the GitLab server (no /api/v4)."""
    project: str
    """The repository (owner/name) or project (group/name, or an id) that deploys."""
    postmortem_project: str
    """Where postmortems live, so where override notes are counted."""
    token: str
    env: Mapping[str, str]
    """The CI environment: which pull request or merge request this run is for."""


@dataclass(frozen=True, slots=True)
class OverrideNote:
    """One note to leave: the postmortem's id as the source gave it, and the Markdown."""

    postmortem_id: str
    body: str


class Platform(Protocol):
    """What deploygate writes to a platform, and the one thing it reads back."""

    def comment(self, markdown: str) -> str:
        """Create or update the sticky PR comment or MR note; what happened, in one line.

        A courtesy: no outcome raises, so the verdict stands whatever happens.
        """
        ...

    def note_overrides(self, notes: Sequence[OverrideNote]) -> list[str]:
        """Leave one note on each overridden postmortem; one line per note, never raises."""
        ...

    def publish_report(self, markdown: str) -> str:
        """Create or update the report issue and return its URL; a PublishError if not."""
        ...

    def count_overrides(self, since: datetime, until: datetime) -> Counter[str]:
        """Overrides per service from the notes the token left; a SourceError if unreadable."""
        ...


def pull_request_number(env: Mapping[str, str]) -> int | None:
    """The PR number of a pull_request or pull_request_target event, else None."""
    event_name, event = ci.github_event(env)
    if event_name not in ("pull_request", "pull_request_target"):
        return None
    pull_request = event.get("pull_request")
    number = pull_request.get("number") if isinstance(pull_request, dict) else None
    return number if isinstance(number, int) else None


def merge_request_iid(env: Mapping[str, str]) -> int | None:
    """The MR of a merge-request pipeline, else None."""
    value = env.get("CI_MERGE_REQUEST_IID", "")
    return int(value) if value.isdigit() else None


def no_review(name: PlatformName | None, env: Mapping[str, str]) -> str | None:
    """Why this run has no pull request or merge request to comment on; None if it has one."""
    if name == "github" and pull_request_number(env) is None:
        event_name, _ = ci.github_event(env)
        return f"not a pull request event ({event_name or 'none'}); no comment written"
    if name == "gitlab" and merge_request_iid(env) is None:
        return "not a merge request pipeline (no CI_MERGE_REQUEST_IID); no note written"
    return None
