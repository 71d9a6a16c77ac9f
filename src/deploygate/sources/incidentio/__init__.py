"""incident.io as a source of postmortems and follow-ups: its table, settings and source.

incident.io holds incidents and their follow-ups, never deployments, so it
is named beside a source that does (``source = ["github", "incident-io"]``).
``api.py`` sends the requests and sees HTTP, ``records.py`` decodes each
answer once, ``source.py`` maps records to the model. Registering it imports
only the table and the settings; its ``connect`` imports the source when a
check runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.sources.incidentio.config import IncidentIoConfig
from deploygate.sources.incidentio.settings import (
    PERMISSIONS,
    SOURCE_NAME,
    IncidentIoSettings,
    resolve,
    with_credentials,
)
from deploygate.sources.interface import Registration, connects_to


def explain(settings: IncidentIoSettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the incident.io source."""
    return [
        ("incident.io", settings.url),
        ("incident field", settings.service_field),
        ("incident cause", settings.cause_field or "none"),
        ("incident start", f"the incident timestamp {settings.started_timestamp!r}"),
        ("incident key", f"{settings.token_env} ({PERMISSIONS})"),
    ]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=IncidentIoConfig,
    resolve=resolve,
    credentials=with_credentials,
    connect=connects_to("deploygate.sources.incidentio.source:IncidentIoSource"),
    explain=explain,
    secrets=lambda settings: (settings.token,),
    holds_deployments=False,
)
