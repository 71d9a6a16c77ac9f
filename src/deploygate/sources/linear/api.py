"""Linear's GraphQL API over deploygate's HttpClient: the only Linear code that sees HTTP.

It sends the documents of :mod:`.queries`, follows Relay cursors
(``pageInfo { hasNextPage endCursor }``, https://linear.app/developers/pagination),
waits out a ``RATELIMITED`` answer once when its reset is near
(https://linear.app/developers/rate-limiting), and says what an error means
for the person at the terminal: a key Linear rejects, or one without the
``read`` scope, is one line naming what to fix (exit 3). Each answer is
decoded by :mod:`.records` as it arrives, so a malformed one fails the
source naming the issue and the field.

Requests: one per 20 postmortems, one per 50 action items of each 50
postmortems (those listings go side by side, at most 8 at a time), and one
more per postmortem that links more than 50 issues; when another platform's items were
exported to Linear, one per 50 of those issues. Deployments cost none:
Linear holds none.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any, TypeVar

import requests

from deploygate.errors import SourceError
from deploygate.http import MAX_IN_FLIGHT, HttpClient, decoded
from deploygate.model import Usage
from deploygate.sanitize import terminal
from deploygate.sources.fields import shown
from deploygate.sources.linear import queries, records
from deploygate.sources.linear.records import ItemRecord, Malformed, PostmortemRecord
from deploygate.sources.linear.settings import SCOPE, SOURCE_NAME, LinearSettings

_REFUSED = frozenset({"FORBIDDEN", "INVALID_SCOPE"})

Decoded = TypeVar("Decoded")


class LinearApi:
    """One Linear workspace, read through its GraphQL API, answered in records."""

    def __init__(self, settings: LinearSettings, client: HttpClient | None = None) -> None:
        self.settings = settings
        self.client = client or HttpClient(
            SOURCE_NAME,
            headers={
                "Authorization": settings.authorization,
                "Content-Type": "application/json",
                "User-Agent": "deploygate",
            },
            secrets=(settings.token,),
            deadline=settings.deadline,
            allowed_origin=settings.origin,
        )

    def fail(self, problem: str) -> SourceError:
        """The source's error, with the key taken out of ``problem``."""
        return self.client.fail(problem)

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        return self.client.stats.usage()

    def decoded(self, decode: Callable[..., Decoded], *args: Any) -> Decoded:
        """``decode(*args)``; a malformed answer fails the source (exit 3) naming it."""
        try:
            return decode(*args)
        except Malformed as malformed:
            raise self.fail(str(malformed)) from None

    # -- Transport -------------------------------------------------------------------

    def graphql(self, document: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run one query; any error Linear reports becomes a SourceError saying what to fix."""
        for _ in range(2):  # a RATELIMITED answer is waited out once, when its reset is near
            response = self.client.request(
                "POST",
                self.settings.api_url,
                json={"query": document, "variables": variables},
                idempotent=True,
            )
            payload = _payload(response)
            if "RATELIMITED" not in _codes(payload):
                break
            self.client.wait_for_reset(
                response, "Linear's rate limit is exhausted", "X-RateLimit-Requests-Reset"
            )
        if payload is None:
            if response.status_code != 200:
                raise self.fail(f"Linear answered {response.status_code} to a query")
            raise self.fail("Linear answered a query with something that is not JSON")
        errors = payload.get("errors") or []
        if not isinstance(errors, list):
            raise self.fail(f"Linear answered the errors {shown(errors)}")
        if errors or response.status_code != 200:
            raise self.fail(self._problem(errors, response.status_code))
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self.fail("Linear answered a query without data")
        return data

    def _problem(self, errors: list[Any], status: int) -> str:
        """What Linear's first error means, for the person at the terminal."""
        first = errors[0] if errors and isinstance(errors[0], dict) else {}
        message = terminal(str(first.get("message", "no message")))[:300]
        code = _code(first)
        if code == "AUTHENTICATION_ERROR" or status == 401:
            return f"Linear rejected the API key ({message}); check {self.settings.token_env}"
        if code in _REFUSED or status == 403:
            return f"Linear refused the query ({message}); the key needs the {SCOPE} scope"
        if code == "RATELIMITED":
            return f"Linear's rate limit is exhausted ({message})"
        if not errors:
            return f"Linear answered {status} to a query"
        return f"Linear GraphQL error: {message}"

    def _pages(self, document: str, variables: dict[str, Any], what: str) -> list[dict[str, Any]]:
        """Every node of the ``issues`` listing ``document`` asks for, page after page."""
        found: list[dict[str, Any]] = []
        seen: set[str] = set()
        while True:
            data = self.graphql(document, variables)
            nodes, cursor = self.decoded(records.page, data.get("issues"), what)
            found += nodes
            if cursor is None:
                return found
            if cursor in seen:
                raise self.fail(f"Linear answered {what} with a repeated cursor")
            seen.add(cursor)
            variables = {**variables, "after": cursor}

    # -- Postmortems and their items ---------------------------------------------------

    def postmortems(self) -> list[PostmortemRecord]:
        """Every issue of the configured teams with the postmortem label, every relation read."""
        variables: dict[str, Any] = {
            "filter": queries.postmortem_filter(self.settings.teams, self.settings.postmortem_label)
        }
        nodes = self._pages(queries.POSTMORTEMS, variables, "the postmortems listing")
        found = [self.decoded(records.postmortem, node) for node in nodes]
        partial = [record for record in found if _more_relations(record)]
        if not partial:
            return found
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            completed = dict(zip(partial, pool.map(self._every_relation, partial), strict=True))
        return [completed.get(record, record) for record in found]

    def _every_relation(self, record: PostmortemRecord) -> PostmortemRecord:
        """``record`` with every page of its relations read."""
        linked = list(record.relations.linked)
        relations = record.relations
        while _more_relations(replace(record, relations=relations)):
            variables = {
                "id": record.id,
                "relationsAfter": relations.relations_cursor,
                "inverseAfter": relations.inverse_cursor,
            }
            data = self.graphql(queries.MORE_RELATIONS, variables)
            issue = data.get("issue")
            if not isinstance(issue, dict):
                raise self.fail(f"Linear answered the relations of {record.identifier} without it")
            more = self.decoded(records.relations, issue, record.identifier)
            # A side already read to its end is asked for again from its start; skip it.
            relations = replace(
                more,
                relations_cursor=more.relations_cursor if relations.relations_cursor else None,
                inverse_cursor=more.inverse_cursor if relations.inverse_cursor else None,
            )
            linked += more.linked
        every = records.Relations(tuple(dict.fromkeys(linked)), None, None)
        return replace(record, relations=every)

    def items(self, postmortems: Sequence[PostmortemRecord]) -> list[ItemRecord]:
        """The sub-issues of ``postmortems`` and the issues they link, side by side."""
        size = queries.POSTMORTEMS_PER_ITEM_LISTING
        chunks = [postmortems[start : start + size] for start in range(0, len(postmortems), size)]
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            listed = list(pool.map(self._items_of, chunks))
        unique: dict[str, ItemRecord] = {}
        for chunk in listed:
            for found in chunk:
                unique.setdefault(found.id, found)
        return list(unique.values())

    def _items_of(self, postmortems: Sequence[PostmortemRecord]) -> list[ItemRecord]:
        parents = [record.id for record in postmortems]
        linked = list(dict.fromkeys(i for record in postmortems for i in record.relations.linked))
        variables: dict[str, Any] = {"filter": queries.items_filter(parents, linked)}
        nodes = self._pages(queries.ITEMS, variables, "the action items listing")
        return [self.decoded(records.item, node) for node in nodes]

    def exported(self, identifiers: Sequence[str]) -> dict[str, ItemRecord]:
        """The issues of ``identifiers`` (``OPS-12``) that the key can see, by identifier:
        one listing per :data:`~.queries.EXPORTED_PER_LISTING`, side by side."""
        size = queries.EXPORTED_PER_LISTING
        chunks = [list(identifiers[at : at + size]) for at in range(0, len(identifiers), size)]
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            listed = list(pool.map(self._exported_of, chunks))
        wanted = {identifier.upper() for identifier in identifiers}
        return {
            found.identifier.upper(): found
            for chunk in listed
            for found in chunk
            if found.identifier.upper() in wanted
        }

    def _exported_of(self, identifiers: list[str]) -> list[ItemRecord]:
        variables: dict[str, Any] = {"filter": queries.identifiers_filter(identifiers)}
        nodes = self._pages(queries.ITEMS, variables, "the exported issues listing")
        return [self.decoded(records.item, node) for node in nodes]


def _more_relations(record: PostmortemRecord) -> bool:
    relations = record.relations
    return relations.relations_cursor is not None or relations.inverse_cursor is not None


def _payload(response: requests.Response) -> dict[str, Any] | None:
    try:
        payload = decoded(response)
    except ValueError:
        return None
    return payload if isinstance(payload, dict) else None


def _code(error: Mapping[str, Any]) -> str | None:
    extensions = error.get("extensions")
    code = extensions.get("code") if isinstance(extensions, dict) else None
    return code if isinstance(code, str) else None


def _codes(payload: Mapping[str, Any] | None) -> set[str | None]:
    errors = payload.get("errors") if payload else None
    if not isinstance(errors, list):
        return set()
    return {_code(error) for error in errors if isinstance(error, dict)}
