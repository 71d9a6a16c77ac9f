"""How a platform names the issue it exported an item to, for the source that hosts it.

An incident platform or Linear may move a follow-up to a Jira or GitHub
issue; that issue's state is the truth. The exporting source gives the item
the id its host gives the issue and names the issue in the postmortem's
``tracker_refs``; the Jira tracker, or the GitHub source
(:class:`~deploygate.sources.interface.ExportTarget`), then puts the issue in
the item's place. One pattern of a GitHub issue's page serves them all, so
what one exports the other recognises.
"""

from __future__ import annotations

import re

GITHUB_ISSUE = re.compile(
    r"(https?://[^\s/?#<>()\[\]]+)/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/([1-9][0-9]*)"
)
"""A GitHub issue's web page: its site, ``owner/repo`` and number (GitLab's have ``/-/``)."""


def github_issue(url: str) -> tuple[str, str] | None:
    """The GitHub issue at ``url`` as (the item id GitHub gives it, ``owner/repo#12``; how a
    postmortem names it, the URL); None for any other address."""
    match = GITHUB_ISSUE.fullmatch(url)
    return (f"{match[2]}#{match[3]}", url) if match else None
