"""Jira as a tracker: its table (``config.py``), settings, ADF as text, and the tracker.

Jira holds action items only, so it completes the postmortems that the
other sources found. Registering it imports only the table and the
settings; its ``connect`` imports the tracker when a check runs.
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.sources.interface import Registration, connects_to
from deploygate.sources.jira.config import JiraConfig
from deploygate.sources.jira.settings import SOURCE_NAME, JiraSettings, resolve, with_credentials


def explain(settings: JiraSettings) -> Sequence[tuple[str, str]]:
    """What ``deploygate config`` says of the Jira tracker."""
    return [
        ("jira site", settings.url),
        ("jira projects", ", ".join(settings.projects)),
        ("jira query", settings.jql),
        (
            "jira auth",
            f"{settings.email_env} and {settings.token_env} (Cloud), or {settings.token_env} "
            "alone (Data Center)",
        ),
    ]


BACKEND = Registration(
    name=SOURCE_NAME,
    table=JiraConfig,
    resolve=resolve,
    credentials=with_credentials,
    connect=connects_to("deploygate.sources.jira.source:JiraTracker"),
    explain=explain,
    secrets=lambda settings: settings.secrets,
    holds_deployments=False,
)
