"""Jira's search API for the Jira tracker: the only code that sees HTTP.

Jira Cloud is REST v3 (``/search/jql``, nextPageToken paging); Data Center
is REST v2 (``/search``, startAt/total paging). Every request goes through
deploygate's :class:`HttpClient` (timeouts, bounded retries, one deadline,
no other host). A search hands each issue to the caller's decoder
(:mod:`deploygate.sources.jira.records`); an HTTP error becomes one
SourceError line that says what to fix, except a 400, which is
:class:`Refused` so that the caller can decide what the refusal means.
See https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
and https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import requests

from deploygate.errors import SourceError
from deploygate.http import HttpClient, error_said
from deploygate.model import Usage
from deploygate.sources.answers import json_answer
from deploygate.sources.fields import shown
from deploygate.sources.jira.settings import PERMISSIONS, SOURCE_NAME, Flavour, JiraSettings

PAGE_SIZE = {Flavour.CLOUD: 100, Flavour.DATA_CENTER: 1000}
"""The most Jira returns a page when fields are asked for: Cloud caps at 100 (5000 for
ids only); Data Center at ``jira.search.views.default.max``, 1000 by default. Jira may
return fewer; paging follows what it returned, never what was asked."""
_SEARCH_PATH = {Flavour.CLOUD: "/rest/api/3/search/jql", Flavour.DATA_CENTER: "/rest/api/2/search"}
_BASE_FIELDS = (
    "summary",
    "status",
    "resolution",
    "resolutiondate",
    "created",
    "duedate",
    "description",
)

Record = TypeVar("Record")


class Refused(Exception):
    """Jira answered 400: the query is wrong, or names keys it does not know."""

    def __init__(self, messages: str) -> None:
        super().__init__(messages)
        self.messages = messages


class JiraApi:
    """Searches of one Jira site, with its credentials, on deploygate's HttpClient."""

    def __init__(self, settings: JiraSettings, client: HttpClient | None = None) -> None:
        self.settings = settings
        self.client = client or HttpClient(
            SOURCE_NAME,
            headers={"Accept": "application/json", "User-Agent": "deploygate"},
            secrets=settings.secrets,
            deadline=settings.deadline,
            allowed_origin=settings.url,
        )
        if settings.email:
            self.client.auth = (settings.email, settings.token)
        else:
            self.client.headers["Authorization"] = f"Bearer {settings.token}"

    def fail(self, problem: str) -> SourceError:
        """The tracker's error, with the credentials taken out of ``problem``."""
        return self.client.fail(problem)

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        return self.client.stats.usage()

    def search(self, jql: str, decode: Callable[[dict[str, Any]], Record]) -> list[Record]:
        """Every issue ``jql`` finds, page after page, each as ``decode`` reads it.
        Raises :class:`Refused` when Jira refuses the query (400)."""
        if self.settings.flavour is Flavour.CLOUD:
            return [decode(issue) for issue in self._search_cloud(jql)]
        return [decode(issue) for issue in self._search_data_center(jql)]

    def _params(self, jql: str) -> dict[str, Any]:
        fields = list(_BASE_FIELDS)
        fields.append(self.settings.team_field)
        return {
            "jql": jql,
            "fields": ",".join(dict.fromkeys(fields)),
            "maxResults": PAGE_SIZE[self.settings.flavour],
        }

    def _search_cloud(self, jql: str) -> Iterator[dict[str, Any]]:
        # https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/#api-rest-api-3-search-jql-get
        params = self._params(jql)
        seen_tokens: set[str] = set()
        while True:
            page = self._get(params)
            yield from self._issues(page)
            token = page.get("nextPageToken")
            if page.get("isLast") is True or not token:
                return
            if not isinstance(token, str) or token in seen_tokens:
                raise self.fail(f"Jira answered a bad or repeated nextPageToken {token!r:.60}")
            seen_tokens.add(token)
            params = {**params, "nextPageToken": token}

    def _search_data_center(self, jql: str) -> Iterator[dict[str, Any]]:
        # https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search-search
        start_at = 0
        while True:
            page = self._get({**self._params(jql), "startAt": start_at})
            issues = self._issues(page)
            total = page.get("total")
            if not isinstance(total, int) or isinstance(total, bool) or total < 0:
                raise self.fail(f"Jira answered a search page without a total ({total!r:.40})")
            yield from issues
            start_at += len(issues)
            if not issues or start_at >= total:
                return

    def _issues(self, page: Mapping[str, Any]) -> list[dict[str, Any]]:
        """A page's issues: a list of objects, or the tracker fails."""
        issues = page.get("issues")
        if not isinstance(issues, list):
            raise self.fail("Jira answered a search page without an issues list")
        for issue in issues:
            if not isinstance(issue, dict):
                raise self.fail(f"Jira answered an issue without fields ({shown(issue)})")
        return issues

    def _get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        url = self.settings.url + _SEARCH_PATH[self.settings.flavour]
        response = self.client.request("GET", url, params=params)
        if response.status_code == 400:
            raise Refused(_error_messages(response))
        if response.status_code != 200:
            raise self.fail(_status_problem(self.settings, response.status_code))
        payload = json_answer(
            response,
            "Jira answered a search",
            "is [jira] url the site itself, not a login page or proxy?",
            self.fail,
        )
        if not isinstance(payload, dict):
            raise self.fail("Jira answered a search with an unexpected shape")
        return payload


def _status_problem(settings: JiraSettings, code: int) -> str:
    """What an HTTP status other than 200 and 400 means, for the person at the terminal."""
    if code == 401:
        if settings.flavour is Flavour.CLOUD:
            return (
                f"Jira rejected the credentials (401); check {settings.email_env} and "
                f"{settings.token_env} (an API token of that Atlassian account)"
            )
        return (
            f"Jira rejected the token (401); check {settings.token_env} (a personal access "
            f"token), or set {settings.email_env} too if the site is Jira Cloud"
        )
    if code == 403:
        return f"Jira refused the search (403); the account needs {PERMISSIONS}"
    if code in (404, 410):
        return (
            f"Jira has no search API at {settings.url} ({code}); check [jira] url "
            f"(Jira Cloud needs {settings.email_env} set, Data Center must not)"
        )
    return f"Jira answered {code} to a search"


def _error_messages(response: requests.Response) -> str:
    """Jira's ``errorMessages`` and ``errors``."""
    return error_said(response, _jira_messages, limit=500) or "no error message"


def _jira_messages(payload: Any) -> list[object]:
    if not isinstance(payload, dict):
        return []
    listed = payload.get("errorMessages")
    errors = payload.get("errors")
    messages: list[object] = list(listed) if isinstance(listed, list) else []
    if isinstance(errors, dict):
        messages += [f"{field}: {message}" for field, message in errors.items()]
    return messages
