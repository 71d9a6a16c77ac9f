"""The sticky pull-request comment: one comment per PR, created once and then edited.

It is found again by a hidden marker AND by its author being the token's own
identity, so a person's comment that quotes the marker is never edited. The
comment is a courtesy, never part of the verdict: when the token cannot
write (pull requests from forks get a read-only token), the result is a
notice and the gate goes on.

PyGithub's defaults are unsuited to a gate (they retry POSTs, throttle every
request by a quarter second, and can wait an hour for a rate limit), and its
timeout bounds each read of the socket, so an API that drips a byte a second
holds it for ever. So its requests go through deploygate's HttpClient (see
:func:`deploygate.platform_clients.github_on_session`): one deadline for the whole comment, every
attempt bounded body included, reads retried, writes sent once, the token
sent to the API's host only. A POST that failed may still have landed, so
it is never repeated: the comments are listed again and ours, if it is
there, is edited.
See https://docs.github.com/en/rest/issues/comments
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deploygate.errors import SourceError
from deploygate.platform_clients import github_login, github_on_session
from deploygate.redaction import redact
from deploygate.sinks.sticky import MARKER, sticky_body

COMMENT_LIMIT = 65_536
"""Characters GitHub accepts in one comment body."""


@dataclass(frozen=True, slots=True)
class PullRequest:
    """Which pull request to comment on, and how to reach it."""

    api_url: str
    repository: str
    number: int
    token: str
    in_actions: bool


def _ours(issue: Any, login: str) -> Any | None:
    for comment in issue.get_comments():
        author = comment.user.login if comment.user is not None else None
        if MARKER in (comment.body or "") and author == login:
            return comment
    return None


def publish(pull_request: PullRequest, markdown: str) -> str:
    """Create or update the sticky comment; returns what happened, in one line."""
    body = sticky_body(markdown, COMMENT_LIMIT, "the job summary")
    with github_on_session(pull_request.api_url, pull_request.token) as client:
        return _publish(client, pull_request, body)


def _publish(client: Any, pull_request: PullRequest, body: str) -> str:
    from github import GithubException
    from requests import RequestException

    number = pull_request.number
    try:
        login = github_login(client, pull_request.in_actions)
        if login is None:
            return "cannot tell which user the token is, so no comment was written"
        issue = client.get_repo(pull_request.repository).get_issue(number)
        existing = _ours(issue, login)
        if existing is not None:
            existing.edit(body)
            return f"updated the deploygate comment on pull request #{number}"
        try:
            issue.create_comment(body)
        except (GithubException, SourceError) as error:
            if isinstance(error, GithubException) and error.status in (401, 403, 404):
                raise
            # It may have landed: look before anything else, and never POST twice.
            landed = _ours(issue, login)
            if landed is None:
                why = error.status if isinstance(error, GithubException) else error.problem
                return f"the comment on pull request #{number} failed ({why}); not retried"
            landed.edit(body)
            return f"updated the deploygate comment on pull request #{number}"
        return f"commented on pull request #{number}"
    except GithubException as error:
        if error.status in (401, 403, 404):
            return (
                f"the token cannot comment on pull request #{number} ({error.status}); "
                "pull requests from forks get a read-only token. The annotations stand."
            )
        return redact(
            f"could not comment on pull request #{number}: {error.status}", [pull_request.token]
        )
    except SourceError as error:
        return f"could not reach GitHub to comment on pull request #{number}: {error.problem}"
    except RequestException as error:
        return redact(
            f"could not reach GitHub to comment on pull request #{number}: {type(error).__name__}",
            [pull_request.token],
        )


def pull_request_number(event: Mapping[str, Any], event_name: str | None) -> int | None:
    """The PR number of a pull_request or pull_request_target event, else None."""
    if event_name not in ("pull_request", "pull_request_target"):
        return None
    pull_request = event.get("pull_request")
    number = pull_request.get("number") if isinstance(pull_request, dict) else None
    return number if isinstance(number, int) else None
