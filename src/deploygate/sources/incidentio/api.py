"""incident.io's REST API for the incident.io source: the only code that sees HTTP.

Every request goes through deploygate's :class:`HttpClient` (timeouts,
bounded retries honouring the ``Retry-After`` of a 429, one deadline, no
other host, redaction). Listings follow incident.io's documented cursor:
each page's ``pagination_meta.after`` is sent back as ``after`` until a page
has none (https://api-docs.incident.io/#section/Making-requests/Pagination).
A repeated cursor fails the source instead of looping. An HTTP error
becomes one SourceError line that says what to fix.

Endpoints: ``GET /v2/custom_fields``, ``GET /v3/catalog_entries``,
``GET /v2/incidents`` and ``GET /v3/follow_ups``. Follow-ups are read
through v3, not v2: v2's list has no ``after`` cursor and is deprecated, to
be removed on 31 December 2026 (the SDK's ``follow_ups_v2_list``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

import requests

from deploygate.http import HttpClient, error_said
from deploygate.model import Usage
from deploygate.sanitize import terminal
from deploygate.sources.answers import json_answer
from deploygate.sources.fields import shown
from deploygate.sources.incidentio import records
from deploygate.sources.incidentio.settings import PERMISSIONS, SOURCE_NAME, IncidentIoSettings

INCIDENTS_PAGE = 250
"""The most incidents ``GET /v2/incidents`` returns a page (its documented maximum)."""
FOLLOW_UPS_PAGE = 100
"""Follow-ups asked for a page: one page holds every follow-up of almost any incident."""
CATALOG_PAGE = 25

Record = TypeVar("Record")


class IncidentIoApi:
    """Listings of one incident.io organisation, with its API key, on deploygate's HttpClient."""

    def __init__(self, settings: IncidentIoSettings, client: HttpClient | None = None) -> None:
        self.settings = settings
        self.client = client or HttpClient(
            SOURCE_NAME,
            headers={
                "Accept": "application/json",
                "User-Agent": "deploygate",
                "Authorization": f"Bearer {settings.token}",
            },
            secrets=(settings.token,),
            deadline=settings.deadline,
            allowed_origin=settings.url,
        )

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        return self.client.stats.usage()

    def custom_fields(self) -> list[records.CustomField]:
        """Every incident custom field of the organisation (one answer, no pages)."""
        answer = self._get("/v2/custom_fields", {}, "the custom fields")
        return [records.decode_custom_field(raw) for raw in _listed(self, answer, "custom_fields")]

    def catalog_entries(self, catalog_type_id: str, identifier: str) -> list[records.FieldValue]:
        """The entries of a catalog type that answer to ``identifier`` (name, external id or
        alias, as incident.io matches it)."""
        params = {"catalog_type_id": catalog_type_id, "identifier": identifier,
                  "page_size": CATALOG_PAGE}  # fmt: skip
        return list(
            self._pages(
                "/v3/catalog_entries",
                params,
                "catalog_entries",
                records.decode_catalog_entry,
                "catalog entries",
            )
        )

    def incidents(self, field_id: str | None, value_ids: tuple[str, ...]) -> list[records.Incident]:
        """Every incident, or those whose field ``field_id`` holds one of ``value_ids``."""
        params: dict[str, Any] = {"page_size": INCIDENTS_PAGE}
        if field_id is not None:
            params[f"custom_field[{field_id}][one_of]"] = list(value_ids)
        return list(
            self._pages(
                "/v2/incidents", params, "incidents", records.decode_incident, "the incidents"
            )
        )

    def follow_ups(self, incident: records.Incident) -> list[records.FollowUp]:
        """Every follow-up of ``incident``, deleted and not-doing ones included."""
        params = {"incident_id": incident.id, "page_size": FOLLOW_UPS_PAGE}
        return list(
            self._pages(
                "/v3/follow_ups",
                params,
                "follow_ups",
                records.decode_follow_up,
                f"the follow-ups of {terminal(incident.reference)[:40]}",
            )
        )

    def _pages(
        self,
        path: str,
        params: Mapping[str, Any],
        key: str,
        decode: Callable[[object], Record],
        what: str,
    ) -> Iterator[Record]:
        seen: set[str] = set()
        after: str | None = None
        while True:
            page = self._get(path, {**params, **({"after": after} if after else {})}, what)
            for raw in _listed(self, page, key):
                yield decode(raw)
            meta = page.get("pagination_meta")
            after = meta.get("after") if isinstance(meta, dict) else None
            if not after:
                return
            if not isinstance(after, str) or after in seen:
                raise self.client.fail(
                    f"incident.io answered {what} with a bad or repeated cursor ({shown(after)})"
                )
            seen.add(after)

    def _get(self, path: str, params: Mapping[str, Any], what: str) -> dict[str, Any]:
        response = self.client.request("GET", self.settings.url + path, params=params)
        if response.status_code != 200:
            raise self.client.fail(_status_problem(self.settings, response, what))
        payload = json_answer(
            response,
            f"incident.io answered {what}",
            "is [incident-io] url the API itself?",
            self.client.fail,
        )
        if not isinstance(payload, dict):
            raise self.client.fail(f"incident.io answered {what} with an unexpected shape")
        return payload


def _listed(api: IncidentIoApi, page: Mapping[str, Any], key: str) -> list[Any]:
    found = page.get(key)
    if not isinstance(found, list):
        raise api.client.fail(f"incident.io answered a page without a {key} list")
    return found


def _status_problem(settings: IncidentIoSettings, response: requests.Response, what: str) -> str:
    """What an HTTP status other than 200 means, for the person at the terminal."""
    code = response.status_code
    said = _error_messages(response)
    if code == 401:
        return f"incident.io rejected the API key (401); check {settings.token_env}"
    if code == 403:
        return f"incident.io refused to list {what} (403: {said}); the key needs {PERMISSIONS}"
    if code == 404:
        return f"incident.io has no such API at {settings.url} (404); check [incident-io] url"
    return f"incident.io answered {code} to a request for {what} ({said})"


def _error_messages(response: requests.Response) -> str:
    """The messages of incident.io's ErrorResponse."""
    return error_said(response, _messages) or "no error message"


def _messages(payload: Any) -> list[object]:
    errors = payload.get("errors") if isinstance(payload, dict) else None
    listed = errors if isinstance(errors, list) else []
    return [error.get("message") for error in listed if isinstance(error, dict)]
