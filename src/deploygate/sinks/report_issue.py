"""The learning-loop report as one sticky issue, where people already look.

``report --publish`` creates the issue once and edits it on every later run.
It is found again by a hidden marker AND by its author being the token's own
identity, so a person's issue that quotes the marker is never edited. Only
*open* issues are looked at: closing the report issue retires it (a team
that reads each week's report and closes it gets a fresh one next run), and
deploygate never reopens what a person closed.

Unlike the PR comment, publishing is the job here: every failure is a
:class:`PublishError` (exit 3) with one line saying what to do.
A POST that failed may have landed, so it is never repeated: the issues are
listed again and ours, if it is there, is edited.
See https://docs.github.com/en/rest/issues/issues and
https://docs.gitlab.com/api/issues/
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deploygate.errors import PublishError
from deploygate.platform_clients import (
    github_login,
    github_on_session,
    gitlab_client,
    gitlab_username,
)
from deploygate.redaction import redact
from deploygate.sinks.sticky import sticky_body

TITLE = "Learning loop report"
MARKER = "<!-- deploygate:learning-loop-report -->"
"""Hidden in the issue body; with the author, it finds the report issue again."""
GITHUB_BODY_LIMIT = 65_536
"""Characters GitHub accepts in an issue body."""
GITLAB_DESCRIPTION_LIMIT = 1_000_000
"""Characters GitLab accepts in an issue description."""
_WHERE_THE_REST_IS = "the job log of the run that published it"
_FORBIDDEN = (401, 403, 404)


@dataclass(frozen=True, slots=True)
class GitHubTarget:
    """The repository whose issues carry the report, and how to reach it."""

    api_url: str
    repository: str
    token: str
    in_actions: bool


@dataclass(frozen=True, slots=True)
class GitLabTarget:
    """The project whose issues carry the report, and how to reach it."""

    url: str
    project: str
    token: str


def _body(markdown: str, limit: int) -> str:
    return sticky_body(markdown, limit, _WHERE_THE_REST_IS, marker=MARKER, kind="issue")


def _our_github_issue(repo: Any, login: str) -> Any | None:
    # ``creator`` narrows the listing to the token's own issues; the author is checked
    # again here because the marker alone proves nothing. Pull requests are listed too,
    # but deploygate writes no pull request body, so none of them carries the marker
    # (asking each item whether it is one would cost a request per item).
    for issue in repo.get_issues(state="open", creator=login):
        author = issue.user.login if issue.user is not None else None
        if author == login and MARKER in (issue.body or ""):
            return issue
    return None


def publish_github(target: GitHubTarget, markdown: str) -> str:
    """Create or update the report issue; returns its URL."""
    body = _body(markdown, GITHUB_BODY_LIMIT)
    with github_on_session(target.api_url, target.token) as client:
        return _publish_github(client, target, body)


def _publish_github(client: Any, target: GitHubTarget, body: str) -> str:
    from github import GithubException
    from requests import RequestException

    from deploygate.errors import SourceError

    where = target.repository
    try:
        login = github_login(client, target.in_actions)
        if login is None:
            raise PublishError(
                f"cannot tell which user the token is, so the report issue in {where} "
                "cannot be found again; use a token that may read /user, or GITHUB_TOKEN"
            )
        repo = client.get_repo(where)
        existing = _our_github_issue(repo, login)
        if existing is not None:
            existing.edit(body=body)
            return str(existing.html_url)
        try:
            created = repo.create_issue(title=TITLE, body=body)
        except (GithubException, SourceError) as error:
            if isinstance(error, GithubException) and error.status in _FORBIDDEN:
                raise
            landed = _our_github_issue(repo, login)  # it may have landed: look, never POST twice
            if landed is None:
                raise
            landed.edit(body=body)
            return str(landed.html_url)
        return str(created.html_url)
    except GithubException as error:
        if error.status in _FORBIDDEN:
            raise PublishError(
                f"the token cannot write issues in {where} ({error.status}); it needs issues: write"
            ) from None
        raise PublishError(
            redact(f"could not publish the report issue in {where}: {error.status}", [target.token])
        ) from None
    except SourceError as error:
        raise PublishError(
            f"could not reach GitHub to publish the report in {where}: {error.problem}"
        ) from None
    except RequestException as error:
        raise PublishError(
            redact(
                f"could not reach GitHub to publish the report in {where}: {type(error).__name__}",
                [target.token],
            )
        ) from None


def _our_gitlab_issue(project: Any, user_id: int, username: str) -> Any | None:
    for issue in project.issues.list(
        state="opened", author_id=user_id, iterator=True, obey_rate_limit=False
    ):
        author = (issue.attributes.get("author") or {}).get("username")
        if author == username and MARKER in (issue.attributes.get("description") or ""):
            return issue
    return None


def publish_gitlab(target: GitLabTarget, markdown: str) -> str:
    """Create or update the report issue; returns its URL."""
    import gitlab

    from deploygate.errors import SourceError

    body = _body(markdown, GITLAB_DESCRIPTION_LIMIT)
    client = gitlab_client(target.url, target.token)
    where = target.project
    try:
        username = gitlab_username(client)
        user_id = int(client.user.id)
        project = client.projects.get(where, lazy=True)
        existing = _our_gitlab_issue(project, user_id, username)
        if existing is not None:
            existing.description = body
            existing.save()
            return str(existing.attributes["web_url"])
        try:
            created = project.issues.create({"title": TITLE, "description": body})
        except (gitlab.GitlabError, SourceError) as error:
            if getattr(error, "response_code", None) in _FORBIDDEN:
                raise
            landed = _our_gitlab_issue(project, user_id, username)
            if landed is None:
                raise
            landed.description = body
            landed.save()
            return str(landed.attributes["web_url"])
        return str(created.attributes["web_url"])
    except gitlab.GitlabError as error:
        if error.response_code in _FORBIDDEN:
            raise PublishError(
                f"the token cannot write issues in {where} ({error.response_code}); "
                "it needs the api scope and at least the Planner or Reporter role"
            ) from None
        raise PublishError(
            redact(
                f"could not publish the report issue in {where}: {error.response_code}",
                [target.token],
            )
        ) from None
    except SourceError as error:
        raise PublishError(
            f"could not reach GitLab to publish the report in {where}: {error.problem}"
        ) from None
