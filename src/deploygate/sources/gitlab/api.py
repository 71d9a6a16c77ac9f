"""GitLab's REST API for the GitLab source: the only code that sees HTTP.

Every request goes through our :class:`HttpClient` (timeouts, bounded
retries, one deadline, redaction, and no request to any other host), with
the token in GitLab's ``PRIVATE-TOKEN`` header. The source only reads, so it
needs none of python-gitlab's objects: building the URL and saying what a
status means is all a GET needs, and not importing python-gitlab keeps
about a tenth of a second off every check (the platform's writes, the
sticky note and the report issue, still go through python-gitlab).
See https://docs.gitlab.com/api/rest/

This layer hands back JSON objects, and a listing hands each one to the
caller's decoder (:mod:`deploygate.sources.gitlab.records`).
"""

from __future__ import annotations

import re
import threading
import urllib.parse
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import requests

from deploygate.errors import SourceError
from deploygate.http import MAX_IN_FLIGHT, HttpClient, decoded
from deploygate.model import Usage
from deploygate.sources.gitlab.settings import SCOPES, SOURCE_NAME

PER_PAGE = 100
API_PATH = "/api/v4"
Record = TypeVar("Record")


class GitLabApi:
    """GETs of one GitLab server's REST API, with its token, on deploygate's HttpClient."""

    def __init__(self, url: str, token: str, deadline: float) -> None:
        self.url = url.rstrip("/")
        """The server's URL as configured, without a trailing slash (python-gitlab's rule)."""
        self.session = HttpClient(
            SOURCE_NAME,
            headers={"User-Agent": "deploygate", "PRIVATE-TOKEN": token},
            secrets=(token,),
            deadline=deadline,
            allowed_origin=url,
        )

    def fail(self, problem: str) -> SourceError:
        """The source's error, with the token taken out of ``problem``."""
        return self.session.fail(problem)

    def usage(self) -> Usage | None:
        """The requests sent so far and the rate limit the API reported."""
        return self.session.stats.usage()

    def project_path(self, project: str | int) -> str:
        """A project's API path (``/projects/group%2Fshop``): a path is one URL segment,
        its slashes encoded. See https://docs.gitlab.com/api/rest/#namespaced-paths"""
        return f"/projects/{urllib.parse.quote(str(project), safe='')}"

    def get(self, path: str, what: str, **params: Any) -> requests.Response:
        """One GET of ``path`` (under the API URL, or a whole URL on it) with the query
        ``params`` added to the path's own (which they replace); any status but 2xx becomes
        one SourceError line that says why."""
        url = path if path.startswith(("http://", "https://")) else self.url + API_PATH + path
        parsed = urllib.parse.urlsplit(url)
        query: dict[str, Any] = dict(urllib.parse.parse_qs(parsed.query))
        query.update(params)
        response = self.session.get(parsed._replace(query="").geturl(), params=query)
        if not 200 <= response.status_code < 300:
            raise self.fail(status_problem(what, response.status_code))
        return response

    def record(
        self, path: str, what: str, *, params: Mapping[str, str] | None = None
    ) -> dict[str, Any]:
        """The object GitLab answers for ``path`` with the query ``params`` (encoded here, so
        a value can never add a parameter); anything else fails the source."""
        found = self._json(self.get(path, what, **(params or {})), what)
        if not isinstance(found, dict):
            raise self.fail(f"GitLab answered {what} with {found!r:.40}, not an object")
        return found

    def listing(
        self,
        path: str,
        what: str,
        decode: Callable[[dict[str, Any]], Record],
        *,
        filters: Mapping[str, Any] | None = None,
        past: Callable[[Record], bool] | None = None,
    ) -> list[Record]:
        """Every item of the listing at ``path``, a hundred a page, each as ``decode`` reads
        it; with ``past``, up to the first item it is true of. ``filters`` are query
        parameters, spelt as GitLab does.

        Pages follow the ``Link`` header's next URL, on the configured URL
        (a GitLab behind a proxy may name its own). A proxy that strips
        ``Link`` would end the listing after page one, so a page
        ``X-Next-Page`` names that ``Link`` did not is asked for by number,
        once. Without ``past``, when the first page says how many there are
        (``X-Total-Pages``), the others are asked for by number, side by
        side, eight at a time; a listing that grew in the meantime goes on
        from the last one by its links.
        See https://docs.gitlab.com/api/rest/#other-pagination-headers
        """
        params = {**(filters or {}), "per_page": PER_PAGE}
        response = self.get(path, what, **params)
        found: list[Record] = []
        asked: set[int] = set()
        total = self._total_pages(response) if past is None else None
        if total is not None and total > 2:
            # Every page is wanted and GitLab said how many there are: pages 2 to the last
            # are independent requests, asked for side by side.
            found, response = self._side_by_side(path, what, decode, params, response, total)
            asked = set(range(2, total + 1))
        return found + self._pages_from(response, path, what, decode, params, past, asked)

    def _side_by_side(
        self,
        path: str,
        what: str,
        decode: Callable[[dict[str, Any]], Record],
        params: Mapping[str, Any],
        first: requests.Response,
        total: int,
    ) -> tuple[list[Record], requests.Response]:
        """The items of pages 1 to ``total - 1`` and the last page's answer (read with the
        pages that follow it, if the listing grew meanwhile), pages 2 to ``total`` asked for
        eight at a time.

        Each page is decoded by the worker that fetched it, as it comes, and page 1 once
        page 2 is in (by then the first wave of requests is out): decoding fills the wait
        for the others instead of following the last answer, and never holds up a request
        still to be sent. Once a page fails, no page not yet asked for is asked for: an
        outage would otherwise cost every queued page its retries before the source fails.
        """
        failed = threading.Event()

        def items(page: requests.Response) -> list[Record]:
            return [decode(item) for item in self._objects(page, what)]

        def fetched(number: int) -> tuple[requests.Response, list[Record]]:
            if failed.is_set():
                # Never read: a page asked for earlier failed, and its error is raised first.
                raise _NotAsked
            try:
                page = self.get(path, what, **params, page=number)
                return page, [] if number == total else items(page)
            except BaseException:
                failed.set()
                raise

        numbers = range(2, total + 1)
        with ThreadPoolExecutor(max_workers=min(MAX_IN_FLIGHT, len(numbers))) as pool:
            later = [pool.submit(fetched, number) for number in numbers]
            try:
                second = later[0].result()[1]
                found = items(first) + second
                for pending in later[1:-1]:
                    found += pending.result()[1]
                return found, later[-1].result()[0]
            except BaseException:
                failed.set()
                raise

    def _pages_from(
        self,
        response: requests.Response,
        path: str,
        what: str,
        decode: Callable[[dict[str, Any]], Record],
        params: Mapping[str, Any],
        past: Callable[[Record], bool] | None,
        asked: set[int],
    ) -> list[Record]:
        """The items of ``response`` and of the pages that follow it, one after the other."""
        found: list[Record] = []
        with ThreadPoolExecutor(max_workers=1) as ahead:
            while True:
                page_path = self._following(response, path, what, asked)
                # Without ``past`` every page is read: the next one is asked for before this
                # one is decoded, so decoding costs no time between round trips.
                pending = (
                    ahead.submit(self.get, page_path, what, **params)
                    if page_path is not None and past is None
                    else None
                )
                for item in self._objects(response, what):
                    record = decode(item)
                    if past is not None and past(record):
                        return found
                    found.append(record)
                if page_path is None:
                    return found
                response = pending.result() if pending else self.get(page_path, what, **params)

    def _total_pages(self, response: requests.Response) -> int | None:
        """``X-Total-Pages`` of a first page; None when GitLab leaves it out (past 10,000
        items) or it cannot be read: the pages are then followed one by one."""
        total = response.headers.get("X-Total-Pages", "")
        return int(total) if total.isdigit() and response.headers.get("X-Page") == "1" else None

    def _following(
        self, response: requests.Response, path: str, what: str, asked: set[int]
    ) -> str | None:
        """The next page's path: the ``Link`` header's next URL, else the ``X-Next-Page``
        number (once each), else None on the last page."""
        link = response.links.get("next", {}).get("url")
        if link:
            return _on_base(link, self.url)
        following = self._next_page(response, what)
        if following is None or following in asked:
            return None
        asked.add(following)
        return f"{path}?page={following}"

    def _json(self, response: requests.Response, what: str) -> object:
        try:
            return decoded(response)
        except ValueError:
            raise self.fail(
                f"GitLab answered {what} with data that cannot be read (not JSON)"
            ) from None

    def _objects(self, response: requests.Response, what: str) -> list[dict[str, Any]]:
        """One listing page's items: a list of objects, or the source fails."""
        items = self._json(response, what)
        if not isinstance(items, list):
            raise self.fail(f"GitLab answered {what} with {items!r:.40}, not a list")
        for item in items:
            if not isinstance(item, dict):
                raise self.fail(f"GitLab answered {what} with the item {item!r:.40}")
        return items

    def _next_page(self, response: requests.Response, what: str) -> int | None:
        """The page ``X-Next-Page`` names, None on the last page (GitLab sends it empty)."""
        following = response.headers.get("X-Next-Page")
        if not following:
            return None
        try:
            return int(following)
        except ValueError:
            raise self.fail(
                f"GitLab answered {what} with the X-Next-Page {following!r:.20}"
            ) from None


class _NotAsked(Exception):
    """A page of a listing left unasked because an earlier page failed."""


def status_problem(what: str, code: int) -> str:
    """What GitLab's status ``code`` while reading ``what`` means, for the person at the
    terminal, whichever API answered it (REST, or GraphQL for a 401 or a 403). See https://docs.gitlab.com/api/rest/troubleshooting/#status-codes"""
    if code == 401:
        return f"GitLab rejected the token (401) while reading {what}; it must be {SCOPES}"
    if code == 403:
        return f"the token may not read {what} (403); it must be {SCOPES}"
    if code == 404:
        return f"{what}: not found, or the token cannot see it (404)"
    return f"GitLab answered {code} while reading {what}"


def _on_base(url: str, base: str) -> str:
    """A next-page URL moved onto the configured ``base`` (a GitLab behind a proxy may name
    its own host in ``Link``): a URL with ``/api`` in it keeps what follows its host.
    Any other URL stays as it is, and the session refuses it if it names another host."""
    if url.startswith(base):
        return url
    match = re.match(r"(^.*?)/api", url)
    return base + url[len(match.group(1)) :] if match else url
