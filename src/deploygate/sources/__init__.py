"""Where history comes from: one module per backend behind the :class:`Source` interface.

The registry maps each ``--source`` name to a factory that imports its
backend only when it is chosen, so ``deploygate --help`` never pays for a
platform client it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from deploygate.errors import SourceError
from deploygate.model import History, Query, Usage

if TYPE_CHECKING:
    from deploygate.config import Config


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


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source may need beyond the config file: the environment and the command line."""

    env: Mapping[str, str] = field(default_factory=dict)
    repository: str | None = None
    """``--repo``: the GitHub repository to read, overriding the config."""
    project: str | None = None
    """``--project``: the GitLab project to read, overriding the config."""


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


SOURCES: Mapping[str, Callable[[Config, SourceContext], Source]] = {
    "local": _local,
    "github": _github,
    "gitlab": _gitlab,
}
"""Every source by its ``--source`` name."""


class UnavailableSource:
    """A source that could not even be set up (no token, say): it fails like an unreachable one.

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


def build_source(name: str, config: Config, context: SourceContext) -> Source:
    """The source called ``name``, configured from ``config`` and ``context``."""
    try:
        return SOURCES[name](config, context)
    except SourceError as error:
        return UnavailableSource(name, error)
