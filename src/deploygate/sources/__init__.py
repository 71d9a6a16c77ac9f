"""Where history comes from: one module per backend behind the :class:`Source` interface.

The registry maps each ``--source`` name to a factory that imports its
backend only when it is chosen, so ``deploygate --help`` never pays for a
platform client it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from deploygate.model import History, Query

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


def _local(config: Config) -> Source:
    from deploygate.sources.local import LocalSource

    return LocalSource(config.local)


SOURCES: Mapping[str, Callable[[Config], Source]] = {"local": _local}
"""Every source by its ``--source`` name."""


def build_source(name: str, config: Config) -> Source:
    """The source called ``name``, configured from ``config``."""
    return SOURCES[name](config)
