"""The ``[jira]`` table: its keys, defaults and checks, read by :mod:`deploygate.tables`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from deploygate.tables import Invalid, duration, lower_texts, setting, text, texts

DEFAULT_JQL = (
    'project in ({projects}) AND labels = "{postmortem_label}" '
    'AND (component = "{service}" OR labels = "service:{service}")'
)
"""The Jira query for a service's action items; ``{projects}``, ``{postmortem_label}``
and ``{service}`` are filled in (quoted for JQL) before it is sent."""
DEFAULT_JQL_BY_LABEL = (
    'project in ({projects}) AND labels = "{postmortem_label}" AND labels = "service:{service}"'
)
"""The default query without its component clause: Jira refuses a whole query that names
a component the project does not have, so a team without one still gets its items."""
_JQL_FIELDS = ("projects", "postmortem_label", "service")
_SITE = text("the site URL, e.g. https://acme.atlassian.net")


def _projects(value: Any) -> tuple[str, ...]:
    """Jira project keys such as ``OPS``."""
    keys = texts(value)
    for key in keys:
        if not re.fullmatch(r"[A-Z][A-Z0-9_]+", key):
            raise Invalid(f"{key!r} is not a Jira project key", "e.g. OPS")
    return keys


def _jql(value: Any) -> str:
    """A JQL query that names ``{service}``, with only the placeholders deploygate fills."""
    query = text("a JQL query with {service}")(value)
    try:
        query.format_map(dict.fromkeys(_JQL_FIELDS, ""))
    except (KeyError, ValueError, IndexError) as error:
        among = "{" + "}, {".join(_JQL_FIELDS) + "}"
        raise Invalid(
            f"bad placeholder {error}", f"placeholders among {among}; double braces for a literal"
        ) from None
    if "{service}" not in query:
        raise Invalid("the query never names {service}", "a JQL query with {service}")
    return query


@dataclass(frozen=True, slots=True)
class JiraConfig:
    """The ``[jira]`` table: where action items live when a team tracks them in Jira.

    Jira Cloud authenticates with an account's email and an API token (basic
    auth); Jira Data Center with a personal access token (bearer). Which one
    is used follows from whether the email variable is set.
    """

    url: str | None = setting(None, _SITE)
    """The site, e.g. https://acme.atlassian.net; required when the jira source is used."""
    browse_url: str | None = setting(None, _SITE)
    """Where people open issues, when ``url`` is not it: Atlassian's API gateway
    (https://api.atlassian.com/ex/jira/CLOUD_ID, for scoped API tokens) serves the API
    but no issue pages. Default: ``url``."""
    projects: tuple[str, ...] = setting((), _projects)
    """Project keys (``OPS``): only keys of these projects in a postmortem are Jira items,
    so ``SHA-256`` or ``UTF-8`` in prose is never taken for one."""
    jql: str = setting(DEFAULT_JQL, _jql)
    postmortem_label: str = setting("postmortem", text("a label"))
    team_field: str = setting("components", text("components, or a field id"))
    """Where an item's owning team is: ``components`` (the first component's name), or a
    field id such as ``customfield_10001`` (a team, select, or text field)."""
    declined_resolutions: tuple[str, ...] = setting(
        ("won't do", "won't fix", "duplicate", "declined"), lower_texts
    )
    """Resolutions (lower case) that mark a done item as decided against, not done."""
    email_env: str = setting("JIRA_EMAIL", text("a variable name"))
    token_env: str = setting("JIRA_API_TOKEN", text("a variable name"))
    deadline: timedelta = setting(timedelta(seconds=60), duration)
