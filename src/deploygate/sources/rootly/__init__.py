"""Rootly as a source of postmortems and action items: its table, settings and source.

Rootly holds incidents, their retrospectives and action items, never
deployments, so it is named with a source that holds them
(``source = ["github", "rootly"]``). Registering it imports only the table
and the settings; its ``connect`` imports the source when a check runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.sources.interface import Registration, connects_to
from deploygate.sources.rootly.config import RootlyConfig
from deploygate.sources.rootly.settings import (
    SCOPES,
    SOURCE_NAME,
    RootlySettings,
    resolve,
    with_credentials,
)


def explain(settings: RootlySettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the Rootly source."""
    return [
        ("rootly api", settings.url),
        (
            "rootly match",
            f"an incident's Rootly service whose {settings.service_match} is the service",
        ),
        ("rootly cause", f"the incident label {settings.cause_label}"),
        ("rootly token", f"{settings.token_env} ({SCOPES})"),
    ]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=RootlyConfig,
    resolve=resolve,
    credentials=with_credentials,
    connect=connects_to("deploygate.sources.rootly.source:RootlySource"),
    explain=explain,
    secrets=lambda settings: (settings.token,),
    holds_deployments=False,
)
