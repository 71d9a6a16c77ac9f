"""Reading the audit trail of emergency overrides: the override notes deploygate left.

``report`` counts a service's overrides from the notes that ``check
--override --comment`` left on postmortems: a note counts when it starts
with the override marker naming the service AND its author is the token's
own identity (a person quoting the marker counts for nothing), and it was
created inside the period.

GitHub: one paginated listing of the postmortem repository's issue comments
updated since the period began (``GET /repos/{owner}/{repo}/issues/comments
?since=``, 100 a page), so the requests grow with the comments of the
period, never with the history.
See https://docs.github.com/en/rest/issues/comments#list-issue-comments-for-a-repository
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from deploygate.dates import to_utc
from deploygate.errors import SourceError
from deploygate.formats.override_note import service_of
from deploygate.platform_clients import github_client, github_login
from deploygate.redaction import redact


def count_github(
    api_url: str,
    repository: str,
    token: str,
    *,
    in_actions: bool,
    since: datetime,
    until: datetime,
) -> Counter[str]:
    """Override notes per service in ``repository``'s comments from ``since`` to ``until``."""
    from github import GithubException
    from requests import RequestException

    client = github_client(api_url, token)
    counts: Counter[str] = Counter()
    try:
        login = github_login(client, in_actions)
        if login is None:
            raise SourceError(
                "github",
                "cannot tell which user the token is, so its override notes cannot be told apart",
            )
        for comment in client.get_repo(repository).get_issues_comments(since=since):
            author = comment.user.login if comment.user is not None else None
            service = service_of(comment.body or "")
            if service and author == login and since <= to_utc(comment.created_at) <= until:
                counts[service] += 1
    except GithubException as error:
        raise SourceError(
            "github", f"cannot read the override notes in {repository} ({error.status})"
        ) from None
    except RequestException as error:
        raise SourceError(
            "github",
            redact(
                f"cannot read the override notes in {repository}: {type(error).__name__}", [token]
            ),
        ) from None
    return counts
