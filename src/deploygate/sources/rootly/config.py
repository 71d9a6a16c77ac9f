"""The ``[rootly]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deploygate import tables
from deploygate.tables import choice, duration, setting, text

DEFAULT_URL = "https://api.rootly.com"
SERVICE_MATCHES = ("slug", "name")
"""How a deploygate service names a Rootly service: by the service's slug, or its name."""


@dataclass(frozen=True, slots=True)
class RootlyConfig:
    """The ``[rootly]`` table: where incidents and their action items live in Rootly.

    An incident belongs to a deploygate service when one of its Rootly
    services has the service's name as its slug (``service-match = "slug"``,
    the default) or as its name (``"name"``).
    """

    url: str = setting(DEFAULT_URL, tables.url("the API's base URL, e.g. https://api.rootly.com"))
    """The API's base URL; a Rootly that is not the public one sets it."""
    service_match: str = setting("slug", choice({name: name for name in SERVICE_MATCHES}))
    cause_label: str = setting("cause", text("a label key, e.g. cause"))
    """The incident label whose value is the failure's cause (``cause: config-drift``):
    two incidents with one cause saw the same failure."""
    token_env: str = setting("ROOTLY_API_TOKEN", text("a variable name"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)
