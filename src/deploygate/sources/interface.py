"""The contract of a backend: what it reads (:class:`Source`, :class:`Tracker`) and how it
is registered (:class:`Registration`: its table, how to check it, how to connect it).

A :class:`Source` knows deployments and postmortems; a :class:`Tracker`
(Jira) knows only action items and adds them to the postmortems the sources
found, so it runs after them. A registration imports its backend's client
code only when it connects, so ``deploygate --help`` never pays for a
platform client it does not use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from deploygate.config import Config
from deploygate.errors import SourceError
from deploygate.model import History, Query, Usage
from deploygate.registry import imported

TableT = TypeVar("TableT")
SettingsT = TypeVar("SettingsT")

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


@runtime_checkable
class ExportTarget(Protocol):
    """A source whose issues another platform's action items may be exported to (a Linear
    item linked to a GitHub issue): that issue's state is the truth, as for the source's
    own items.

    The exporting source keeps such an item, under the id this source gives the issue,
    and names the issue's URL in the postmortem's
    :attr:`~deploygate.model.Postmortem.tracker_refs`. ``attach_exported`` returns
    ``history`` with each such issue on its host read and put in the item's place (added
    when no item has its id), and a notice for each it cannot see, whose item then
    stands; it raises :class:`deploygate.errors.SourceError` like a source. It runs after
    every source has answered, before the trackers, as the Jira tracker does the same
    for Jira keys.
    """

    @property
    def name(self) -> str:
        """The source's name as shown in reports."""
        ...

    def attach_exported(self, query: Query, history: History) -> History:
        """``history`` with the issues its postmortems export to this source attached."""
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


class Api(Protocol):
    """A backend's HTTP layer (its ``api.py``), which counts the requests it sends."""

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        ...


ApiT = TypeVar("ApiT", bound=Api)


class ApiBacked(Generic[SettingsT, ApiT]):
    """What every backend that reads an HTTP API shares: its settings, its ``api``, and the
    cost of the requests that ``api`` sent. A backend subclasses it, names itself
    (``name = SOURCE_NAME``) and builds its api in its own ``__init__``."""

    def __init__(self, settings: SettingsT, api: ApiT) -> None:
        self.settings = settings
        self.api = api

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        return self.api.usage()


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


def connects_to(place: str) -> Callable[[Any], Backend]:
    """A registration's ``connect``: the backend class at ``place`` (``"module:Class"``),
    imported when a check first connects to it and built from the settings, so that naming a
    backend never loads its client code."""

    def connect(settings: Any) -> Backend:
        backend: Backend = imported(place)(settings)
        return backend

    return connect


def _token_env(table: Any) -> tuple[str, ...]:
    """The variable a table's ``token_env`` key names: where a backend's one token is read."""
    return (table.token_env,)


@dataclass(frozen=True, slots=True)
class Registration(Generic[TableT, SettingsT]):
    """One backend as the rest of deploygate sees it: its name, its table, and its steps.

    ``resolve`` turns the table, the shared config and the context into the
    backend's settings, and raises :class:`~deploygate.errors.ConfigError`
    (exit 2) for what is wrong before anything is sent; ``deploygate config``
    runs it too, so it and ``check`` agree on every file. ``credentials``
    reads the token; a missing one is a :class:`~deploygate.errors.SourceError`,
    which fails like an unreachable backend. ``connect`` builds the backend.
    """

    name: str
    table: type[TableT]
    """The frozen dataclass of its ``[NAME]`` table (see :mod:`deploygate.tables`)."""
    resolve: Callable[[TableT, Config, SourceContext], SettingsT]
    credentials: Callable[[SettingsT, Mapping[str, str]], SettingsT]
    """The settings with the token (and whatever else secret) read from the environment;
    a :class:`~deploygate.errors.SourceError` saying what to set when it is missing."""
    connect: Callable[[SettingsT], Backend]
    """The backend for settings that hold their credentials; imports its client code."""
    explain: Callable[[SettingsT], Sequence[tuple[str, str]]]
    """What ``deploygate config`` says of it, as (name, value) lines."""
    secrets: Callable[[SettingsT], tuple[str, ...]]
    """The secrets that settings with their credentials hold (none for the local store).
    Each output is cleaned of them, as of the token variables: a token may come from
    elsewhere than the environment (``gh auth token`` on a laptop)."""
    token_variables: Callable[[TableT], tuple[str, ...]] = _token_env
    """The environment variables its secrets come from, so that every output is cleaned
    of them: by default the one its table's ``token_env`` names, which is where every
    backend with a token reads it."""
    holds_deployments: bool = True
    """False for a tracker."""
    starter: Callable[[str | None, str | None], str] | None = None
    """Its commented table for ``deploygate init`` when it is the source chosen, given the
    repository's path that the git remote names and the web address of a self-hosted
    server (None for the public one); each may be None when nothing was detected."""

    def settings(self, config: Config, context: SourceContext) -> SettingsT:
        """Its settings for one run; a ConfigError if its table or the context is wrong."""
        return self.resolve(config.table(self.name, self.table), config, context)

    def open(self, settings: SettingsT, env: Mapping[str, str]) -> tuple[Backend, tuple[str, ...]]:
        """The backend, connected, and the secrets it holds; one that has no credentials
        fails when it is read."""
        try:
            credentialed = self.credentials(settings, env)
            return self.connect(credentialed), self.secrets(credentialed)
        except SourceError as error:
            return UnavailableSource(self.name, error), ()
