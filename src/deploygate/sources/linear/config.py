"""The ``[linear]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deploygate import tables
from deploygate.tables import duration, setting, template, text, texts

PUBLIC_API = "https://api.linear.app/graphql"
"""Linear's one GraphQL endpoint (https://linear.app/developers/graphql)."""


@dataclass(frozen=True, slots=True)
class LinearConfig:
    """The ``[linear]`` table: which teams hold postmortems, and how their labels read."""

    teams: tuple[str, ...] = setting((), texts)
    """The keys of the teams whose issues are read (``OPS`` of ``OPS-123``)."""
    postmortem_label: str = setting("postmortem", text("a label name, e.g. 'postmortem'"))
    service_label: str = setting("service:{service}", template("service"))
    team_label: str = setting("team:{team}", template("team"))
    cause_label: str = setting("cause:{cause}", template("cause"))
    token_env: str = setting("LINEAR_API_KEY", text("a variable name"))
    api_url: str = setting(PUBLIC_API, tables.url("a URL"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)
