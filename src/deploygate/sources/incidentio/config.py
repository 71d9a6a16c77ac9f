"""The ``[incident-io]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deploygate.tables import duration, setting, text, url

PUBLIC_API = "https://api.incident.io"


@dataclass(frozen=True, slots=True)
class IncidentIoConfig:
    """The ``[incident-io]`` table: where postmortems and follow-ups live when a team runs
    its incidents in incident.io.

    An incident belongs to a service through one of its custom fields, usually a
    catalog field such as "Affected services": the service is a catalog entry
    whose name, external id or alias is the service's name.
    """

    url: str = setting(PUBLIC_API, url("the API's base URL, e.g. https://api.incident.io"))
    service_field: str = setting("Affected services", text("the name of an incident custom field"))
    """The incident custom field that names the services an incident affected."""
    cause_field: str | None = setting(None, text("the name of an incident custom field"))
    """An incident custom field whose values are the failure's causes (the ``cause:``
    labels elsewhere); none by default."""
    started_timestamp: str = setting("Impact started", text("the name of an incident timestamp"))
    """The incident timestamp that says when it started: a failure links to an incident
    started within the link window after it."""
    token_env: str = setting("INCIDENT_IO_API_KEY", text("a variable name"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)
