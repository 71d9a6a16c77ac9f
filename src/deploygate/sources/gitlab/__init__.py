"""GitLab as a source: its table (``config.py``), settings and the source itself.

Registering it imports only the table and the settings; its ``connect``
imports the source when a check runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.sources.gitlab.config import GitLabConfig, starter
from deploygate.sources.gitlab.settings import SOURCE_NAME, GitLabSettings, resolve, with_token
from deploygate.sources.interface import Registration, connects_to


def explain(settings: GitLabSettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the GitLab source."""
    return [
        ("gitlab", settings.url),
        ("project", settings.project),
        ("postmortems in", settings.postmortem_project),
        ("token from", settings.token_env),
    ]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=GitLabConfig,
    resolve=resolve,
    credentials=with_token,
    connect=connects_to("deploygate.sources.gitlab.source:GitLabSource"),
    explain=explain,
    secrets=lambda settings: (settings.token,),
    starter=starter,
)
