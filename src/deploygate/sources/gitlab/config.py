"""The ``[gitlab]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from deploygate import tables
from deploygate.tables import boolean, duration, lower_texts, setting, template, text, texts

_PROJECT = text("GROUP/NAME or a numeric id")
_PROJECT_PATH = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+-]*(/[A-Za-z0-9_][A-Za-z0-9_.+-]*)+")
"""A project's full path (GitLab's own path rules, subgroups included); nothing to escape."""


@dataclass(frozen=True, slots=True)
class GitLabConfig:
    """The ``[gitlab]`` table. Unset values fall back to the GitLab CI variables."""

    url: str | None = setting(None, tables.url("the server URL, e.g. https://gitlab.example.com"))
    project: str | None = setting(None, _PROJECT)
    postmortem_project: str | None = setting(None, _PROJECT)
    postmortem_labels: tuple[str, ...] = setting(("postmortem",), texts)
    incidents: bool = setting(True, boolean)
    service_label: str = setting("service::{service}", template("service"))
    team_label: str = setting("team::{team}", template("team"))
    cause_label: str = setting("cause::{cause}", template("cause"))
    declined_labels: tuple[str, ...] = setting(
        ("wontfix", "won't do", "duplicate", "declined"), lower_texts
    )
    token_env: str = setting("GITLAB_TOKEN", text("a variable name"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)


def starter(project: str | None, server: str | None) -> str:
    """The starter config's ``[gitlab]`` table, for ``deploygate init`` in a GitLab project.

    ``project`` is the path the git remote names (subgroups included), ``server``
    the web address of a self-managed GitLab (None for gitlab.com).
    """
    project_line = (
        f'project = "{project}"'
        if project and _PROJECT_PATH.fullmatch(project)
        else '# project = "GROUP/NAME"              # inside GitLab CI: CI_PROJECT_PATH'
    )
    url_line = (
        f'url = "{server}"   # self-managed GitLab'
        if server
        else "# url: inside GitLab CI the server's, else https://gitlab.com"
    )
    return f"""
[gitlab]
# The token comes from GITLAB_TOKEN: a token with the read_api scope.
{project_line}
{url_line}
# postmortem-project = "GROUP/incidents"   # where postmortem issues live
postmortem-labels = ["postmortem"]         # incidents count too
service-label = "service::{{service}}"       # a postmortem without one is for every service
team-label = "team::{{team}}"                # the team that owns an action item
deadline = "60s"
"""
