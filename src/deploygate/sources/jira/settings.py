"""Where and how to reach Jira: the ``[jira]`` table and two environment variables.

Which Jira it is follows from the credentials, because that is what differs
for a user: Jira Cloud takes an Atlassian account's email and an API token
as basic auth; Jira Data Center takes a personal access token as a bearer
token and has no email in its auth at all.
See https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/
and https://confluence.atlassian.com/enterprise/using-personal-access-tokens-1026032365.html
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deploygate.config import Config
from deploygate.credentials import required_token
from deploygate.errors import ConfigError
from deploygate.sources.jira.config import JiraConfig

if TYPE_CHECKING:
    from deploygate.sources.interface import SourceContext

SOURCE_NAME = "jira"
PERMISSIONS = "Browse projects on the configured projects"


class Flavour(enum.Enum):
    """Which Jira answers, and so which API version, auth, paging and description format."""

    CLOUD = "cloud"
    """REST v3: basic auth, ``/search/jql`` with nextPageToken, descriptions in ADF."""
    DATA_CENTER = "data-center"
    """REST v2: bearer PAT, ``/search`` with startAt/total, descriptions as wiki text."""


@dataclass(frozen=True, slots=True)
class JiraSettings:
    """Where and how to read Jira for one check."""

    url: str
    """The site without a trailing slash, e.g. https://acme.atlassian.net (a Data Center
    context path such as https://jira.example.com/jira is kept)."""
    browse_url: str
    """Where an issue's page is, ``BROWSE_URL/browse/KEY``: the site itself, unless the
    API goes through Atlassian's gateway."""
    projects: tuple[str, ...]
    jql: str
    postmortem_label: str = "postmortem"
    team_field: str = "components"
    declined_resolutions: tuple[str, ...] = ("won't do", "won't fix", "duplicate", "declined")
    deadline: float = 60.0
    email_env: str = "JIRA_EMAIL"
    token_env: str = "JIRA_API_TOKEN"
    flavour: Flavour = Flavour.DATA_CENTER
    """Follows from the credentials (see :func:`with_credentials`)."""
    token: str = ""
    email: str | None = None
    """Set for Jira Cloud only."""

    @property
    def secrets(self) -> tuple[str, ...]:
        """What must never be shown: the token, and email:token whose base64 is the header."""
        return (self.token, f"{self.email}:{self.token}") if self.email else (self.token,)


def site_url(config: Config, key: str, value: str | None) -> str:
    """``[jira] url`` or ``browse-url`` as a base for API paths; anything else is exit 2.

    Credentials in the URL are refused rather than stripped: they would be
    sent, and shown in errors, beside the token deploygate already sends.
    """
    expected = "the site URL, e.g. https://acme.atlassian.net"

    def wrong(problem: str, expected: str = expected) -> ConfigError:
        return config.error(("jira",), key, problem, expected)

    if not value:
        raise wrong("no Jira site")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise wrong(f"{value!r} is not an http(s) URL")
    if parts.username or parts.password:
        raise wrong("the URL holds credentials", f"{expected}, with the token in JIRA_API_TOKEN")
    if parts.query or parts.fragment or re.search(r"/rest(/|$)", parts.path):
        raise wrong(f"{value!r} is not a site's base URL")
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def credentials(env: Mapping[str, str], email_env: str, token_env: str) -> tuple[str, str | None]:
    """The token and, for Jira Cloud, the email; a SourceError naming both variables if absent."""
    missing = (
        f"no Jira token: set {token_env} to an API token and {email_env} to its account's "
        f"email (Jira Cloud), or {token_env} alone to a personal access token "
        f"(Jira Data Center); it needs {PERMISSIONS}"
    )
    token = required_token(env, token_env, SOURCE_NAME, missing)
    return token, env.get(email_env, "").strip() or None


def resolve(jira: JiraConfig, config: Config, context: SourceContext) -> JiraSettings:
    """Where and what to read, without the credentials: a bad ``[jira]`` table is exit 2."""
    url = site_url(config, "url", jira.url)
    if not jira.projects:
        raise config.error(
            ("jira",),
            "projects",
            "no Jira projects",
            'the keys of the projects that hold action items, e.g. ["OPS"]',
        )
    return JiraSettings(
        url=url,
        browse_url=site_url(config, "browse-url", jira.browse_url) if jira.browse_url else url,
        projects=jira.projects,
        jql=jira.jql,
        postmortem_label=jira.postmortem_label,
        team_field=jira.team_field,
        declined_resolutions=jira.declined_resolutions,
        deadline=jira.deadline.total_seconds(),
        email_env=jira.email_env,
        token_env=jira.token_env,
    )


def with_credentials(settings: JiraSettings, env: Mapping[str, str]) -> JiraSettings:
    """``settings`` with the token, the email and so the flavour; a missing token is exit 3."""
    token, email = credentials(env, settings.email_env, settings.token_env)
    flavour = Flavour.CLOUD if email else Flavour.DATA_CENTER
    return replace(settings, token=token, email=email, flavour=flavour)
