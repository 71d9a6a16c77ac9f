"""PyGithub and python-gitlab configured for a gate, and who the token is on each.

Shared by the sinks that write (the report issue, the override notes) and
the reader that counts override notes, so it sits beside both, not in either.

The sticky PR comment (:mod:`deploygate.sinks.github_comment`) and MR note
(:mod:`deploygate.sinks.gitlab_note`) set their clients up the same way;
the report issue and the override notes build theirs here. The reasons:
PyGithub's defaults retry POSTs, throttle every request by a quarter second
and can wait an hour for a rate limit, so all of that is off; python-gitlab
runs on deploygate's HttpClient session (timeouts, one deadline, redaction,
no token sent to another host) with its own retries off. A POST that failed
may have landed, so nothing here is retried blindly: callers look again.
Both libraries are imported inside the functions, to keep start-up light.
"""

from __future__ import annotations

from typing import Any

from deploygate.sinks.github_comment import ACTIONS_BOT, TIMEOUT_SECONDS

GITLAB_DEADLINE_SECONDS = 30.0


def github_client(api_url: str, token: str) -> Any:
    """A PyGithub client with no automatic retries, no throttling and a short timeout."""
    from github import Auth, Github

    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        timeout=TIMEOUT_SECONDS,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
        per_page=100,
        lazy=True,
    )


def github_login(client: Any, in_actions: bool) -> str | None:
    """The token's login, so only what it wrote is ever edited or counted.

    GITHUB_TOKEN may not read ``/user``; what it writes is authored by the
    Actions bot. Outside Actions, a token that cannot say who it is gives None.
    """
    from github import GithubException

    try:
        return str(client.get_user().login)
    except GithubException:
        return ACTIONS_BOT if in_actions else None


def gitlab_client(url: str, token: str) -> Any:
    """A python-gitlab client on deploygate's session: one deadline, no retries of its own."""
    import gitlab

    from deploygate.http import HttpClient

    session = HttpClient(
        "gitlab",
        headers={"User-Agent": "deploygate"},
        secrets=(token,),
        deadline=GITLAB_DEADLINE_SECONDS,
        allowed_origin=url,
    )
    return gitlab.Gitlab(
        url, private_token=token, session=session, keep_base_url=True, retry_transient_errors=False
    )


def gitlab_username(client: Any) -> str:
    """The token's username (``GET /user``), so only what it wrote is ever edited or counted."""
    client.auth()
    return str(client.user.username) if client.user else ""
