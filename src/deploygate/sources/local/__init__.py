"""The embedded source: postmortems as Markdown files and a JSON Lines deployment history.

It needs no token and no server, which is why it is the default and what the
quickstart runs on. Registering it imports the table, the store and the logs (``record``
and the override and advisory logs use them); its ``connect`` imports the source, which
reads Markdown and asks git, when a check reads the local store.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.config import Config
from deploygate.sources.interface import Registration, SourceContext, connects_to
from deploygate.sources.local.advisory import AdvisoryLog, advisory_path
from deploygate.sources.local.config import (
    DEFAULT_HISTORY,
    DEFAULT_POSTMORTEMS,
    LocalConfig,
    LocalSettings,
)
from deploygate.sources.local.overrides import OverrideLog, overrides_path
from deploygate.sources.local.store import SOURCE_NAME, HistoryStore

__all__ = [
    "BACKEND",
    "AdvisoryLog",
    "HistoryStore",
    "LocalSettings",
    "OverrideLog",
    "advisory_path",
    "overrides_path",
    "resolve",
]


def resolve(
    local: LocalConfig, config: Config, context: SourceContext | None = None
) -> LocalSettings:
    """Both paths resolved against the config's folder, for a check: each one the config
    names must exist (a typo in a path would otherwise read as an empty history)."""
    located = _located(local, config)
    if local.history is not None and not located.history.exists():
        raise config.error(
            ("local",),
            "history",
            f"file {located.history} does not exist",
            "the JSON Lines file that 'deploygate record' writes, relative to the config; "
            "record a deployment first, or remove the key to use the default",
        )
    return located


def _located(local: LocalConfig, config: Config) -> LocalSettings:
    """Both paths resolved; a postmortem folder named must exist, a history may be new."""
    postmortems = config.root / (local.postmortems or DEFAULT_POSTMORTEMS)
    if local.postmortems is not None and not postmortems.is_dir():
        raise config.error(
            ("local",),
            "postmortems",
            f"folder {postmortems} does not exist",
            "a folder of postmortem Markdown files, relative to the config",
        )
    return LocalSettings(
        postmortems=postmortems,
        history=config.root / (local.history or DEFAULT_HISTORY),
        root=config.root,
    )


def settings(config: Config) -> LocalSettings:
    """Where the local history and postmortems are, for ``record`` and the override and
    advisory logs: ``record`` creates the history, so it need not exist yet."""
    return _located(config.table(SOURCE_NAME, LocalConfig), config)


def explain(settings: LocalSettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the local source."""
    return [("postmortems", str(settings.postmortems)), ("history", str(settings.history))]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=LocalConfig,
    resolve=resolve,
    credentials=lambda settings, env: settings,
    connect=connects_to("deploygate.sources.local.source:LocalSource"),
    token_variables=lambda table: (),
    explain=explain,
    secrets=lambda settings: (),
)
