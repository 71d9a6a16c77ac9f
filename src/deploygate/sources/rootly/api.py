"""Rootly's REST API for the Rootly source: the only code that sees HTTP.

Rootly speaks JSON:API (https://jsonapi.org): lists are paged with
``page[number]`` and ``page[size]``, and each page's ``links.next`` is the
next page's whole URL, null on the last. Every request goes through
deploygate's :class:`HttpClient` (timeouts, bounded retries honouring a 429's
``Retry-After``, one deadline, no other host), so a ``links.next`` that
points elsewhere is refused there. An HTTP error becomes one SourceError
line that says what to fix.
See https://docs.rootly.com/api-reference/overview (pagination, rate limits)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from deploygate.errors import SourceError
from deploygate.http import HttpClient, error_said
from deploygate.model import Usage
from deploygate.sources.answers import json_answer
from deploygate.sources.fields import shown
from deploygate.sources.rootly.settings import SCOPES, SOURCE_NAME, RootlySettings

PAGE_SIZE = 100
"""Resources asked for per page; paging follows ``links.next``, never this number."""
MAX_PAGES = 1000
"""More pages than any service's incidents fill: a server whose ``links.next`` never ends
fails the source instead of holding the deploy until the deadline."""
_MEDIA_TYPE = "application/vnd.api+json"


class Gone(Exception):
    """Rootly answered 404 for a resource that a listing had just named: it was deleted."""


class RootlyApi:
    """Listings of one Rootly organisation, with its API key, on deploygate's HttpClient."""

    def __init__(self, settings: RootlySettings, client: HttpClient | None = None) -> None:
        self.settings = settings
        self.client = client or HttpClient(
            SOURCE_NAME,
            headers={"Accept": _MEDIA_TYPE, "User-Agent": "deploygate"},
            secrets=(settings.token,),
            deadline=settings.deadline,
            allowed_origin=settings.url,
        )
        self.client.headers["Authorization"] = f"Bearer {settings.token}"

    def fail(self, problem: str) -> SourceError:
        """The source's error, with the token taken out of ``problem``."""
        return self.client.fail(problem)

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        return self.client.stats.usage()

    def incidents(self, filters: Mapping[str, str]) -> list[Any]:
        """Every incident the filters select, page after page, as raw JSON:API resources."""
        return list(self._listing("/v1/incidents", filters, "the incidents"))

    def action_items(self, incident_id: str) -> list[Any]:
        """Every action item of one incident; :class:`Gone` when the incident was deleted."""
        path = f"/v1/incidents/{quote(incident_id, safe='')}/action_items"
        return list(self._listing(path, {}, f"the action items of incident {incident_id}"))

    def _listing(self, path: str, filters: Mapping[str, str], what: str) -> Iterator[Any]:
        url: str | None = self.settings.url + path
        params: dict[str, Any] | None = {
            **filters,
            "page[number]": 1,
            "page[size]": PAGE_SIZE,
        }
        seen: set[str] = set()
        while url is not None:
            if len(seen) >= MAX_PAGES:
                raise self.fail(f"Rootly answered more than {MAX_PAGES} pages of {what}")
            page = self._get(url, params, what)
            data = page.get("data")
            if not isinstance(data, list):
                raise self.fail(f"Rootly answered a page of {what} without a data list")
            yield from data
            url = _next(page)
            if url is not None and url in seen:
                raise self.fail(f"Rootly answered a repeated links.next for {what}")
            if url is not None:
                seen.add(url)
            params = None  # links.next is the whole next URL, its parameters included

    def _get(self, url: str, params: Mapping[str, Any] | None, what: str) -> dict[str, Any]:
        response = self.client.request("GET", url, params=params)
        if response.status_code == 404 and "/action_items" in url:
            raise Gone(what)
        if response.status_code != 200:
            raise self.fail(_status_problem(self.settings, response, what))
        payload = json_answer(
            response,
            f"Rootly answered {what}",
            "is [rootly] url the API, https://api.rootly.com?",
            self.fail,
        )
        if not isinstance(payload, dict):
            raise self.fail(f"Rootly answered {what} with an unexpected shape ({shown(payload)})")
        return payload


def _next(page: Mapping[str, Any]) -> str | None:
    links = page.get("links")
    following = links.get("next") if isinstance(links, dict) else None
    return following if isinstance(following, str) and following else None


def _status_problem(settings: RootlySettings, response: requests.Response, what: str) -> str:
    """What an HTTP status other than 200 means, for the person at the terminal."""
    code = response.status_code
    detail = _error_detail(response)
    if code == 401:
        return f"Rootly rejected the token (401); check {settings.token_env}{detail}"
    if code == 403:
        return f"Rootly refused to list {what} (403); it needs {SCOPES}{detail}"
    if code == 404:
        return f"Rootly has no incidents API at {settings.url} (404); check [rootly] url"
    if code == 429:
        return f"Rootly kept answering 429 (rate limit) to a list of {what}"
    return f"Rootly answered {code} to a list of {what}{detail}"


def _error_detail(response: requests.Response) -> str:
    """JSON:API's ``errors[].detail`` (else ``title``), after a colon; empty when none."""
    said = error_said(response, _jsonapi_errors)
    return f": {said}" if said else ""


def _jsonapi_errors(payload: Any) -> list[object]:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    listed = errors if isinstance(errors, list) else []
    return [
        error.get("detail") or error.get("title") for error in listed if isinstance(error, dict)
    ]
