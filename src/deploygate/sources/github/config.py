"""The ``[github]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deploygate import tables
from deploygate.tables import duration, setting, template, text, texts


@dataclass(frozen=True, slots=True)
class GitHubConfig:
    """The ``[github]`` table. Unset values fall back to the Actions environment."""

    repository: str | None = setting(None, tables.repository)
    postmortem_repository: str | None = setting(None, tables.repository)
    postmortem_labels: tuple[str, ...] = setting(("postmortem",), texts)
    service_label: str = setting("service:{service}", template("service"))
    team_label: str = setting("team:{team}", template("team"))
    cause_label: str = setting("cause:{cause}", template("cause"))
    token_env: str = setting("GITHUB_TOKEN", text("a variable name"))
    api_url: str | None = setting(None, tables.url("a URL"))
    graphql_url: str | None = setting(None, tables.url("a URL"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)


STARTER = """
[github]
# Read by default from GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_GRAPHQL_URL
# inside Actions; the token comes from GITHUB_TOKEN (or `gh auth token`).
# repository = "OWNER/NAME"
# postmortem-repository = "OWNER/incidents"   # where postmortem issues live
postmortem-labels = ["postmortem"]
service-label = "service:{service}"          # a postmortem without one is for every service
team-label = "team:{team}"                   # the team that owns an action item
deadline = "60s"

# Each service's deployment environments; --environment picks one.
# [services.checkout]
# environments = ["production"]
"""
"""The starter config's ``[github]`` table, for ``deploygate init`` in a GitHub repository."""
