"""Linear as a source of postmortems and action items: its table, settings, and the source.

``api.py`` sends the GraphQL documents of ``queries.py`` and sees HTTP,
``records.py`` decodes each answer once, ``source.py`` maps records to the
model. Linear holds no deployments, so it runs beside a source that does
(``source = ["github", "linear"]``). Registering it imports only the table
and the settings; its ``connect`` imports the source when a check runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.sources.interface import Registration, connects_to
from deploygate.sources.linear.config import LinearConfig
from deploygate.sources.linear.settings import SOURCE_NAME, LinearSettings, resolve, with_token


def explain(settings: LinearSettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the Linear source."""
    return [
        ("linear api", settings.api_url),
        ("linear teams", ", ".join(settings.teams)),
        (
            "linear labels",
            f"{settings.postmortem_label}; {settings.service_label}; "
            f"{settings.team_label_prefix}{{team}}",
        ),
        ("linear key", f"{settings.token_env} (read scope)"),
    ]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=LinearConfig,
    resolve=resolve,
    credentials=with_token,
    connect=connects_to("deploygate.sources.linear.source:LinearSource"),
    explain=explain,
    holds_deployments=False,
    secrets=lambda settings: (settings.token,),
)
