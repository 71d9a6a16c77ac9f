"""Where and how to reach incident.io: the ``[incident-io]`` table and an API key.

incident.io authenticates every request with an API key as a bearer token
(https://api-docs.incident.io/#section/Making-requests/Authentication); a key
is created under Settings → API keys with the permissions named in
:data:`PERMISSIONS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deploygate.config import Config
from deploygate.credentials import required_token
from deploygate.sources.incidentio.config import IncidentIoConfig

if TYPE_CHECKING:
    from deploygate.sources.interface import SourceContext

SOURCE_NAME = "incident-io"
PERMISSIONS = (
    'an API key with "View data, like public incidents and organisation settings" '
    '(incidents, follow-ups, custom fields) and "View catalog types and entries"'
)


@dataclass(frozen=True, slots=True)
class IncidentIoSettings:
    """Where and how to read incident.io for one check."""

    url: str
    """The API's base URL without a trailing slash: https://api.incident.io."""
    service_field: str = "Affected services"
    cause_field: str | None = None
    started_timestamp: str = "Impact started"
    deadline: float = 60.0
    token_env: str = "INCIDENT_IO_API_KEY"
    token: str = ""


def resolve(table: IncidentIoConfig, config: Config, context: SourceContext) -> IncidentIoSettings:
    """What to read, without the key: a bad ``[incident-io]`` table is exit 2."""
    parts = urlsplit(table.url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise config.error(
            (SOURCE_NAME,), "url", f"{table.url!r} is not an API base URL",
            "the API's base URL, e.g. https://api.incident.io",
        )  # fmt: skip
    return IncidentIoSettings(
        url=f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/"),
        service_field=table.service_field,
        cause_field=table.cause_field,
        started_timestamp=table.started_timestamp,
        deadline=table.deadline.total_seconds(),
        token_env=table.token_env,
    )


def with_credentials(settings: IncidentIoSettings, env: Mapping[str, str]) -> IncidentIoSettings:
    """``settings`` with the API key; a missing one is a SourceError (exit 3) saying what to set."""
    missing = f"no incident.io API key: set {settings.token_env} to {PERMISSIONS}"
    return replace(settings, token=required_token(env, settings.token_env, SOURCE_NAME, missing))
