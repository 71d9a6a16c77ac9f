"""GitHub as a platform: the sticky PR comment, override notes, the report issue, the count.

Every write goes through PyGithub on deploygate's HttpClient
(:mod:`deploygate.platforms.github.client`). The sticky things are found
again by a hidden marker AND by their author being the token's own
identity, so a person's comment or issue quoting the marker is never
edited. The PR comment and the override notes are courtesies: when the
token cannot write (pull requests from forks get a read-only token) the
result is a notice and the gate goes on. Publishing the report is the job
of ``report --publish``, so there every failure is a :class:`PublishError`.
Only *open* report issues are looked at: closing the report issue retires
it, and deploygate never reopens what a person closed.
See https://docs.github.com/en/rest/issues/comments and
https://docs.github.com/en/rest/issues/issues
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from deploygate.dates import to_utc
from deploygate.errors import PublishError, SourceError
from deploygate.platforms import sticky
from deploygate.platforms.github.client import github_login, github_on_session
from deploygate.platforms.interface import OverrideNote, Target, no_review, pull_request_number
from deploygate.platforms.overrides import per_run, platform_issue
from deploygate.redaction import redact

COMMENT_LIMIT = 65_536
"""Characters GitHub accepts in one comment body."""
BODY_LIMIT = 65_536
"""Characters GitHub accepts in an issue body."""
READ_DEADLINE_SECONDS = 60.0
"""The deadline of the comments listing: the GitHub source's default."""
_FORBIDDEN = (401, 403, 404)


def _forbidden(error: Exception) -> bool:
    from github import GithubException

    return isinstance(error, GithubException) and error.status in _FORBIDDEN


class GitHubPlatform:
    """The :class:`~deploygate.platforms.Platform` of a GitHub repository."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.in_actions = target.env.get("GITHUB_ACTIONS") == "true"

    def comment(self, markdown: str) -> str:
        """The sticky comment on this run's pull request (see the module)."""
        number = pull_request_number(self.target.env)
        if number is None:
            return no_review("github", self.target.env) or ""
        body = sticky.sticky_body(markdown, COMMENT_LIMIT, "the job summary")
        with github_on_session(self.target.url, self.target.token) as client:
            return self._comment(client, number, body)

    def _comment(self, client: Any, number: int, body: str) -> str:
        from github import GithubException
        from requests import RequestException

        try:
            login = github_login(client, self.in_actions)
            if login is None:
                return "cannot tell which user the token is, so no comment was written"
            issue = client.get_repo(self.target.project).get_issue(number)
            try:
                _, created = sticky.upsert(
                    lambda: _our_comment(issue, login),
                    lambda: issue.create_comment(body),
                    lambda comment: comment.edit(body),
                    errors=(GithubException, SourceError),
                    final=_forbidden,
                )
            except sticky.NotLanded as failed:
                cause = failed.cause
                why = cause.status if isinstance(cause, GithubException) else failed.problem
                return f"the comment on pull request #{number} failed ({why}); not retried"
            if created:
                return f"commented on pull request #{number}"
            return f"updated the deploygate comment on pull request #{number}"
        except GithubException as error:
            if error.status in _FORBIDDEN:
                return (
                    f"the token cannot comment on pull request #{number} ({error.status}); "
                    "pull requests from forks get a read-only token. The annotations stand."
                )
            return self._redact(f"could not comment on pull request #{number}: {error.status}")
        except SourceError as error:
            return f"could not reach GitHub to comment on pull request #{number}: {error.problem}"
        except RequestException as error:
            return self._redact(
                f"could not reach GitHub to comment on pull request #{number}: "
                f"{type(error).__name__}"
            )

    def note_overrides(self, notes: Sequence[OverrideNote]) -> list[str]:
        """A comment on each GitHub postmortem issue; local postmortems are the caller's."""
        with github_on_session(self.target.url, self.target.token) as client:
            return [
                self._note_override(client, *issue, note.body)
                for note in notes
                if (issue := platform_issue(note.postmortem_id)) is not None
            ]

    def _note_override(self, client: Any, where: str, number: int, body: str) -> str:
        from github import GithubException
        from requests import RequestException

        try:
            client.get_repo(where).get_issue(number).create_comment(body)
        except GithubException as error:
            hint = "; it needs issues: write" if error.status in _FORBIDDEN else ""
            return f"no override note on postmortem {where}#{number} ({error.status}){hint}"
        except SourceError as error:
            return f"no override note on postmortem {where}#{number}: {error.problem}"
        except RequestException as error:
            return self._redact(
                f"no override note on postmortem {where}#{number}: {type(error).__name__}"
            )
        return f"noted the override on postmortem {where}#{number}"

    def publish_report(self, markdown: str) -> str:
        """Create or update the report issue; returns its URL."""
        body = sticky.report_body(markdown, BODY_LIMIT)
        with github_on_session(self.target.url, self.target.token) as client:
            return self._publish(client, body)

    def _publish(self, client: Any, body: str) -> str:
        from github import GithubException
        from requests import RequestException

        where = self.target.project
        try:
            login = github_login(client, self.in_actions)
            if login is None:
                raise PublishError(
                    f"cannot tell which user the token is, so the report issue in {where} "
                    "cannot be found again; use a token that may read /user, or GITHUB_TOKEN"
                )
            repo = client.get_repo(where)
            issue, _ = sticky.upsert(
                lambda: _our_report_issue(repo, login),
                lambda: repo.create_issue(title=sticky.REPORT_TITLE, body=body),
                lambda issue: issue.edit(body=body),
                errors=(GithubException, SourceError),
                final=_forbidden,
            )
            return str(issue.html_url)
        except sticky.NotLanded as failed:
            error: Exception = failed.cause
        except (GithubException, SourceError, RequestException) as caught:
            error = caught
        if isinstance(error, GithubException):
            if error.status in _FORBIDDEN:
                raise PublishError(
                    f"the token cannot write issues in {where} ({error.status}); "
                    "it needs issues: write"
                ) from None
            raise PublishError(
                self._redact(f"could not publish the report issue in {where}: {error.status}")
            ) from None
        if isinstance(error, SourceError):
            raise PublishError(
                f"could not reach GitHub to publish the report in {where}: {error.problem}"
            ) from None
        raise PublishError(
            self._redact(
                f"could not reach GitHub to publish the report in {where}: {type(error).__name__}"
            )
        ) from None

    def count_overrides(self, since: datetime, until: datetime) -> Counter[str]:
        """Overrides per service in the postmortem repository's comments of the period.

        One paginated listing of the repository's issue comments updated since
        the period began (``GET /repos/{owner}/{repo}/issues/comments?since=``,
        100 a page), so the requests grow with the comments of the period, never
        with the history.
        See https://docs.github.com/en/rest/issues/comments#list-issue-comments-for-a-repository
        """
        from github import GithubException
        from requests import RequestException

        repository = self.target.postmortem_project
        counted: list[tuple[str, str]] = []
        with github_on_session(self.target.url, self.target.token, READ_DEADLINE_SECONDS) as client:
            try:
                login = github_login(client, self.in_actions)
                if login is None:
                    raise SourceError(
                        "github",
                        "cannot tell which user the token is, so its override notes cannot be "
                        "told apart",
                    )
                for comment in client.get_repo(repository).get_issues_comments(since=since):
                    author = comment.user.login if comment.user is not None else None
                    if author == login and since <= to_utc(comment.created_at) <= until:
                        counted.append((str(comment.id), comment.body or ""))
            except GithubException as error:
                raise SourceError(
                    "github", f"cannot read the override notes in {repository} ({error.status})"
                ) from None
            except RequestException as error:
                raise SourceError(
                    "github",
                    self._redact(
                        f"cannot read the override notes in {repository}: {type(error).__name__}"
                    ),
                ) from None
        return per_run(counted)

    def _redact(self, text: str) -> str:
        return redact(text, [self.target.token])


def _our_comment(issue: Any, login: str) -> Any | None:
    for comment in issue.get_comments():
        author = comment.user.login if comment.user is not None else None
        if sticky.MARKER in (comment.body or "") and author == login:
            return comment
    return None


def _our_report_issue(repo: Any, login: str) -> Any | None:
    # ``creator`` narrows the listing to the token's own issues; the author is checked
    # again here because the marker alone proves nothing. Pull requests are listed too,
    # but deploygate writes no pull request body, so none of them carries the marker
    # (asking each item whether it is one would cost a request per item).
    for issue in repo.get_issues(state="open", creator=login):
        author = issue.user.login if issue.user is not None else None
        if author == login and sticky.REPORT_MARKER in (issue.body or ""):
            return issue
    return None
