"""The ``[github]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from deploygate import tables
from deploygate.tables import Invalid, duration, setting, template, text, texts


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


def starter(repository: str | None, server: str | None) -> str:
    """The starter config's ``[github]`` table, for ``deploygate init`` in a GitHub repository.

    ``repository`` is what the git remote names (written when it is ``OWNER/NAME``),
    ``server`` the web address of a GitHub Enterprise Server (None for github.com).
    """
    try:
        found = tables.repository(repository) if repository else None
    except Invalid:
        found = None
    repository_line = (
        f'repository = "{found}"'
        if found
        else '# repository = "OWNER/NAME"                 # inside Actions: GITHUB_REPOSITORY'
    )
    api_line = (
        f'api-url = "{server}/api/v3"   # GitHub Enterprise Server'
        if server
        else "# api-url: inside Actions GITHUB_API_URL, else https://api.github.com"
    )
    return f"""
[github]
# The token comes from GITHUB_TOKEN (or `gh auth token` outside CI).
{repository_line}
{api_line}
# postmortem-repository = "OWNER/incidents"   # where postmortem issues live
postmortem-labels = ["postmortem"]
service-label = "service:{{service}}"          # a postmortem without one is for every service
team-label = "team:{{team}}"                   # the team that owns an action item
deadline = "60s"
"""
