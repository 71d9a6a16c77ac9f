"""GitHub as a source: its table (``config.py``), settings, and the source in three layers.

``api.py`` sends the queries (``queries.py``) and sees HTTP, ``records.py``
decodes each answer once, ``source.py`` (with ``runs.py``) maps records to
the model.

Registering it imports only the table and the settings, so naming the
source (or reading its settings for a PR comment) does not load the HTTP
stack; its ``connect`` imports the source when a check runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.sources.github.config import GitHubConfig, starter
from deploygate.sources.github.settings import SOURCE_NAME, GitHubSettings, resolve, with_token
from deploygate.sources.interface import Registration, connects_to


def explain(settings: GitHubSettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the GitHub source."""
    return [
        ("repository", settings.repository),
        ("postmortems in", settings.postmortem_repository),
        (
            "labels",
            f"{', '.join(settings.postmortem_labels)}; {settings.service_label}; "
            f"{settings.team_label_prefix}{{team}}",
        ),
        ("token from", f"{settings.token_env} (or gh auth token outside CI)"),
    ]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=GitHubConfig,
    resolve=resolve,
    credentials=with_token,
    connect=connects_to("deploygate.sources.github.source:GitHubSource"),
    explain=explain,
    secrets=lambda settings: (settings.token,),
    starter=starter,
)
