"""Where history comes from: one module per backend behind the :class:`Source` interface.

A :class:`Source` knows deployments and postmortems; a :class:`Tracker`
(Jira) knows only action items and adds them to the postmortems the sources
found, so it runs after them. The registry maps each ``--source`` name to a
factory that imports its backend only when it is chosen, so ``deploygate
--help`` never pays for a platform client it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from deploygate.errors import SourceError
from deploygate.model import History, Query, Usage

if TYPE_CHECKING:
    from deploygate.config import Config

DEFAULT_ENVIRONMENT = "production"
"""Where a deploy with no environment of its own (a workflow run, a deploy job) went when
neither --environment nor the service's ``environments`` says."""


class Source(Protocol):
    """A backend that knows deployments, postmortems and action items.

    ``collect`` returns what the backend holds for the query and raises
    :class:`deploygate.errors.SourceError` when the backend cannot answer
    (unreachable, unauthorised, broken), or
    :class:`deploygate.errors.InputError` when what a person wrote into it
    (a postmortem file, say) is malformed and needs fixing.
    """

    @property
    def name(self) -> str:
        """The source's name as shown in reports."""
        ...

    def collect(self, query: Query) -> History:
        """Everything the backend knows that may matter for ``query``."""
        ...

    def usage(self) -> Usage | None:
        """What the requests so far cost, or None for a source that makes none."""
        ...


@runtime_checkable
class Tracker(Protocol):
    """A backend that holds action items only: it completes the postmortems others found.

    ``enrich`` returns ``history`` with the tracker's items attached to the
    postmortems that name them (and any it finds for the service that no
    postmortem names, on a holder with ``reviews_failures=False``), with its
    own notices appended to the history's; it raises
    :class:`deploygate.errors.SourceError` like a source.
    """

    @property
    def name(self) -> str:
        """The tracker's name as shown in reports."""
        ...

    def enrich(self, query: Query, history: History) -> History:
        """``history`` with this tracker's action items for ``query`` added."""
        ...

    def usage(self) -> Usage | None:
        """What the requests so far cost."""
        ...


Backend = Source | Tracker


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source may need beyond the config file: the environment and the command line."""

    env: Mapping[str, str] = field(default_factory=dict)
    repository: str | None = None
    """``--repo``: the GitHub repository to read, overriding the config."""
    project: str | None = None
    """``--project``: the GitLab project to read, overriding the config."""
    every_deployment: bool = False
    """Read successful deployments too even where the check would not need them: a report
    measures the change failure rate, whatever ``[rollbacks]`` says."""


def _local(config: Config, context: SourceContext) -> Source:
    from deploygate.sources.local import LocalSource

    return LocalSource(config.local)


def _github(config: Config, context: SourceContext) -> Source:
    from deploygate.sources.github.settings import resolve
    from deploygate.sources.github.source import GitHubSource

    return GitHubSource(resolve(config, context))


def _gitlab(config: Config, context: SourceContext) -> Source:
    from deploygate.sources.gitlab.settings import resolve
    from deploygate.sources.gitlab.source import GitLabSource

    return GitLabSource(resolve(config, context))


def _jira(config: Config, context: SourceContext) -> Tracker:
    from deploygate.sources.jira.settings import resolve
    from deploygate.sources.jira.source import JiraTracker

    return JiraTracker(resolve(config, context))


SOURCES: Mapping[str, Callable[[Config, SourceContext], Backend]] = {
    "local": _local,
    "github": _github,
    "gitlab": _gitlab,
    "jira": _jira,
}
"""Every source and tracker by its ``--source`` name."""

TRACKERS = frozenset({"jira"})
"""The names in :data:`SOURCES` that hold action items only."""


class UnavailableSource:
    """A backend that could not even be set up (no token, say): it fails like an unreachable one.

    It is a :class:`Source` even in a tracker's place: it has nothing to
    attach, and failing early is all it does.

    So ``--on-error warn`` and the NOT VERIFIED report treat a missing token
    exactly as they treat a backend that does not answer.
    """

    def __init__(self, name: str, error: SourceError) -> None:
        self.name = name
        self.error = error

    def collect(self, query: Query) -> History:
        """Raise the error the setup met."""
        raise self.error

    def usage(self) -> Usage | None:
        """It sent nothing."""
        return None


def build_sources(
    names: Sequence[str], config: Config, context: SourceContext
) -> tuple[Backend, ...]:
    """The sources and trackers called ``names``, configured from ``config`` and ``context``.

    One that cannot be set up becomes an :class:`UnavailableSource` in its
    place, so the others still answer and the report names it.
    """
    backends: list[Backend] = []
    for name in names:
        try:
            backends.append(SOURCES[name](config, context))
        except SourceError as error:
            backends.append(UnavailableSource(name, error))
    return tuple(backends)
