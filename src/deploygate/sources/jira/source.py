"""Jira as a tracker: the action items of a service's postmortems, with Jira's state.

Items are found two ways, because teams work both ways:

- by the configured JQL (default: a postmortem label and the service's
  component or ``service:NAME`` label), one paged search;
- by keys a postmortem names (``OPS-123`` in a GitHub issue body, a GitLab
  description or a local file, or the local front matter's ``jira`` list)
  that the JQL did not return: ``key in (...)``, a hundred keys a request.
  Only keys of ``[jira] projects`` count, so ``SHA-256`` is never an item.

An item a postmortem names belongs to it (the earliest such postmortem, so
an item is counted once), replacing any task-list line of that postmortem
that names the same key: Jira's state is the truth, not the checkbox. An
item only the JQL found belongs to the postmortem its description names (by
URL or id), else to one holder per service that reviews no failure.

Jira Cloud is REST v3 (``/search/jql``, nextPageToken paging, ADF
descriptions); Data Center is REST v2 (``/search``, startAt/total paging,
plain descriptions). See
https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issue-search/
and https://docs.atlassian.com/software/jira/docs/api/REST/9.12.0/#api/2/search
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import requests

from deploygate.dates import parse_api_date, parse_api_instant, parse_instant
from deploygate.errors import SourceError
from deploygate.http import HttpClient
from deploygate.model import (
    ActionItem,
    ActionItemState,
    History,
    Postmortem,
    PostmortemState,
    Query,
    Usage,
)
from deploygate.sanitize import terminal
from deploygate.sources.jira import adf
from deploygate.sources.jira.config import DEFAULT_JQL, DEFAULT_JQL_BY_LABEL
from deploygate.sources.jira.settings import PERMISSIONS, SOURCE_NAME, Flavour, JiraSettings

KEYS_PER_LOOKUP = 100
"""Keys per ``key in (...)`` search: short enough for any proxy's URL limit."""
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
_ISSUE_KEY = re.compile(r"[A-Z][A-Z0-9_]+-[0-9]+")
_MISSING_KEY = re.compile(rf"'({_ISSUE_KEY.pattern})'")
"""The key in Jira's answer to ``key in (...)`` naming an issue that does not exist or
that the account cannot see: "An issue with key 'OPS-9' does not exist for field 'key'."."""
_NO_COMPONENT = re.compile(r"does not exist for the field 'component'", re.IGNORECASE)
"""Jira's refusal of a query naming a component the project does not have."""


class JiraTracker:
    """Reads action items from one Jira site and attaches them to the service's postmortems."""

    name = SOURCE_NAME

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
        projects = "|".join(re.escape(project) for project in settings.projects)
        self._key = re.compile(rf"(?<![A-Za-z0-9_-])(?:{projects})-[1-9][0-9]*(?![A-Za-z0-9_-])")

    def usage(self) -> Usage | None:
        """The requests sent so far."""
        return self.client.stats.usage()

    # -- the query -------------------------------------------------------------

    def jql(self, service: str, template: str | None = None) -> str:
        """The configured JQL for ``service``; placeholders are escaped for a quoted string."""
        return (template or self.settings.jql).format(
            projects=", ".join(f'"{project}"' for project in self.settings.projects),
            postmortem_label=_escape(self.settings.postmortem_label),
            service=_escape(service),
        )

    def search_url(self, jql: str) -> str:
        """Where a person sees the same issues in Jira's issue navigator."""
        return f"{self.settings.url}/issues/?jql={quote(jql, safe='')}"

    def keys_in(self, text: str) -> list[str]:
        """Keys of the configured projects in ``text``, in order, each once."""
        return list(dict.fromkeys(self._key.findall(text)))

    # -- requests --------------------------------------------------------------

    def search(self, jql: str) -> list[dict[str, Any]]:
        """Every issue ``jql`` finds, page after page."""
        if self.settings.flavour is Flavour.CLOUD:
            return list(self._search_cloud(jql))
        return list(self._search_data_center(jql))

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
                raise self.client.fail(
                    f"Jira answered a bad or repeated nextPageToken {token!r:.60}"
                )
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
                raise self.client.fail(
                    f"Jira answered a search page without a total ({total!r:.40})"
                )
            yield from issues
            start_at += len(issues)
            if not issues or start_at >= total:
                return

    def _issues(self, page: Mapping[str, Any]) -> list[dict[str, Any]]:
        issues = page.get("issues")
        if not isinstance(issues, list):
            raise self.client.fail("Jira answered a search page without an issues list")
        for issue in issues:
            if not isinstance(issue, dict) or not isinstance(issue.get("fields"), dict):
                raise self.client.fail(f"Jira answered an issue without fields ({_shown(issue)})")
            if not isinstance(issue.get("key"), str) or not _ISSUE_KEY.fullmatch(issue["key"]):
                raise self.client.fail(f"Jira answered an issue without a key ({_shown(issue)})")
        return issues

    def _get(self, params: Mapping[str, Any]) -> dict[str, Any]:
        url = self.settings.url + _SEARCH_PATH[self.settings.flavour]
        response = self.client.request("GET", url, params=params)
        if response.status_code == 400:
            raise _Refused(_error_messages(response))
        if response.status_code != 200:
            raise self.client.fail(self._status_problem(response))
        try:
            payload = response.json()
        except ValueError:
            kind = response.headers.get("Content-Type", "no content type")
            raise self.client.fail(
                f"Jira answered a search with something that is not JSON ({terminal(kind)[:60]}); "
                "is [jira] url the site itself, not a login page or proxy?"
            ) from None
        if not isinstance(payload, dict):
            raise self.client.fail("Jira answered a search with an unexpected shape")
        return payload

    def _status_problem(self, response: requests.Response) -> str:
        settings, code = self.settings, response.status_code
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

    # -- reading issues ----------------------------------------------------------

    def action_item(self, issue: Mapping[str, Any]) -> ActionItem:
        """One issue as an action item; a field of the wrong shape fails the source (exit 3)."""
        key, fields = str(issue["key"]), issue["fields"]
        summary = fields.get("summary")
        if not isinstance(summary, str):
            raise self.client.fail(f"Jira answered {key} without a summary")
        try:
            created_at = parse_instant(str(fields.get("created")))
        except ValueError:
            raise self.client.fail(
                f"Jira answered {key} with a bad created time ({_shown(fields.get('created'))})"
            ) from None
        state, reason = self._state(key, fields)
        resolved_at = self._resolved_at(key, fields.get("resolutiondate"))
        closed_at = resolved_at if state is not ActionItemState.OPEN else None
        return ActionItem(
            id=key,
            title=summary,
            state=state,
            created_at=created_at,
            url=f"{self.settings.browse_url}/browse/{key}",
            due=self._due(key, fields.get("duedate")),
            team=self._team(fields),
            reason=reason,
            closed_at=closed_at,
        )

    def _state(self, key: str, fields: Mapping[str, Any]) -> tuple[ActionItemState, str | None]:
        """Done by status category; declined when its resolution is one the config names."""
        status = fields.get("status")
        category = status.get("statusCategory") if isinstance(status, dict) else None
        category_key = category.get("key") if isinstance(category, dict) else None
        if not isinstance(category_key, str):
            raise self.client.fail(f"Jira answered {key} without a status category")
        if category_key != "done":
            return ActionItemState.OPEN, None
        resolution = fields.get("resolution")
        name = resolution.get("name") if isinstance(resolution, dict) else None
        if isinstance(name, str) and name.lower() in self.settings.declined_resolutions:
            return ActionItemState.DECLINED, f"resolved as {name}"
        return ActionItemState.DONE, None

    def _due(self, key: str, value: Any) -> date | None:
        try:
            return parse_api_date(value)
        except ValueError:
            raise self.client.fail(
                f"Jira answered {key} with a due date that is not a date ({_shown(value)})"
            ) from None

    def _resolved_at(self, key: str, value: Any) -> datetime | None:
        """When a done item was resolved (the "Resolved" field, set with the resolution).

        A done status that a workflow reached without setting a resolution has
        none: the item is then closed at an unknown time, never dated by guess.
        """
        try:
            return parse_api_instant(value)
        except ValueError:
            raise self.client.fail(
                f"Jira answered {key} with a bad resolution time ({_shown(value)})"
            ) from None

    def _team(self, fields: Mapping[str, Any]) -> str | None:
        """The first component's name, or the team field: a team, a select, text, or a list."""
        value = fields.get(self.settings.team_field)
        if isinstance(value, list):
            value = value[0] if value else None
        if isinstance(value, dict):
            value = value.get("name") or value.get("value") or value.get("title")
        return value.strip() or None if isinstance(value, str) else None

    # -- attaching ----------------------------------------------------------------

    def enrich(self, query: Query, history: History) -> History:
        """``history`` with the service's Jira items on the postmortems that name them."""
        covering = sorted(
            (pm for pm in history.postmortems if pm.covers(query.service)),
            key=lambda pm: pm.created_at,
        )
        named = self._named_keys(covering)
        issues, jql, changed = self._search_configured(query.service)
        found = {issue["key"]: issue for issue in issues}
        wanted = [key for key in named if key not in found]
        found |= self._look_up(wanted, named)
        items = {key: self.action_item(issue) for key, issue in found.items()}
        owners: dict[str, list[str]] = {}
        for key, postmortem_id in named.items():
            if key in items:
                owners.setdefault(postmortem_id, []).append(key)
        unnamed = [key for key in found if key not in named]
        orphans: list[ActionItem] = []
        for key in unnamed:
            description = adf.to_text(found[key]["fields"].get("description"))
            mentioned = _mentioned(description, covering)
            if mentioned is None:
                orphans.append(items[key])
            else:
                owners.setdefault(mentioned.id, []).append(key)
        attached = {
            pm.id: self._with_items(pm, [items[key] for key in owners.get(pm.id, [])], set(items))
            for pm in covering
        }
        postmortems = [attached.get(pm.id, pm) for pm in history.postmortems]
        if orphans:
            postmortems.append(self._holder(query.service, jql, orphans))
        missing = tuple(
            f"{key}, named by postmortem {named[key]}, is not in Jira or not visible to the "
            "account; it is left out"
            for key in wanted
            if key not in found
        )
        if changed is not None:
            missing = (changed, *missing)
        return replace(
            history, postmortems=tuple(postmortems), notices=(*history.notices, *missing)
        )

    def _named_keys(self, postmortems: Sequence[Postmortem]) -> dict[str, str]:
        """Each key a postmortem names, with the earliest postmortem naming it."""
        named: dict[str, str] = {}
        for postmortem in postmortems:
            text = "\n".join([*postmortem.tracker_refs, postmortem.body])
            for key in self.keys_in(text):
                named.setdefault(key, postmortem.id)
        return named

    def _search_configured(self, service: str) -> tuple[list[dict[str, Any]], str, str | None]:
        """The issues the configured query finds, the query used, and a notice if it changed.

        With the default query, a project without a component named after the
        service makes Jira refuse the whole query; the label half still means
        something, so it is sent alone and the report says so. A query the
        team wrote is sent as written, and its refusal is an error.
        """
        jql = self.jql(service)
        try:
            return self.search(jql), jql, None
        except _Refused as refused:
            if self.settings.jql == DEFAULT_JQL and _NO_COMPONENT.search(refused.messages):
                by_label = self.jql(service, DEFAULT_JQL_BY_LABEL)
                notice = (
                    f"no Jira component {service!r} in {', '.join(self.settings.projects)}; "
                    f"items matched by the service:{service} label only"
                )
                return self._search_configured_as(by_label), by_label, notice
            raise self._refused(jql, refused) from None

    def _search_configured_as(self, jql: str) -> list[dict[str, Any]]:
        try:
            return self.search(jql)
        except _Refused as refused:
            raise self._refused(jql, refused) from None

    def _refused(self, jql: str, refused: _Refused) -> SourceError:
        return self.client.fail(
            f"Jira refused the [jira] jql query ({refused.messages}); the query sent was "
            f"{terminal(jql)[:300]}"
        )

    def _look_up(self, keys: Sequence[str], named: Mapping[str, str]) -> dict[str, dict[str, Any]]:
        """Issues by key, a hundred a search; a key Jira does not know is left out with a notice.

        Jira refuses ``key in (...)`` (400) when any key does not exist or is
        hidden from the account, and names it; those keys are dropped and the
        search is sent again, so one stale reference never fails the check.
        """
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(keys), KEYS_PER_LOOKUP):
            remaining = list(keys[start : start + KEYS_PER_LOOKUP])
            while remaining:
                jql = "key in (" + ", ".join(f'"{key}"' for key in remaining) + ")"
                try:
                    issues = self.search(jql)
                except _Refused as refused:
                    missing = set(_MISSING_KEY.findall(refused.messages)) & set(remaining)
                    if not missing:
                        raise self.client.fail(
                            f"Jira refused a lookup of referenced keys ({refused.messages})"
                        ) from None
                    remaining = [key for key in remaining if key not in missing]
                    continue
                found |= {issue["key"]: issue for issue in issues if issue["key"] in remaining}
                break
        return found

    def _with_items(
        self, postmortem: Postmortem, items: Sequence[ActionItem], jira_keys: set[str]
    ) -> Postmortem:
        """``postmortem`` with its Jira items in place of the task-list lines naming their keys.

        A line naming a key that another postmortem holds is dropped too:
        Jira's state is the truth, and an item is counted once.
        """
        own = {item.id: item for item in items}
        placed: set[str] = set()
        kept: list[ActionItem] = []
        for existing in postmortem.action_items:
            named = [k for k in [existing.id, *self.keys_in(existing.title)] if k in jira_keys]
            if not named:
                kept.append(existing)
                continue
            key = next((k for k in named if k in own), None)
            if key is not None and key not in placed:
                kept.append(own[key])
                placed.add(key)
        kept += [item for item in items if item.id not in placed]
        if kept == list(postmortem.action_items):
            return postmortem
        return replace(postmortem, action_items=tuple(kept))

    def _holder(self, service: str, jql: str, items: Sequence[ActionItem]) -> Postmortem:
        """Where items go that no postmortem names: debt of the service, reviewing no failure."""
        return Postmortem(
            id=f"jira:{service}",
            title=f"Jira action items for {service} that no postmortem names",
            state=PostmortemState.OPEN,
            created_at=min(item.created_at for item in items),
            service=service,
            url=self.search_url(jql),
            action_items=tuple(items),
            reviews_failures=False,
        )


class _Refused(Exception):
    """Jira answered 400: the query is wrong, or names keys it does not know."""

    def __init__(self, messages: str) -> None:
        super().__init__(messages)
        self.messages = messages


def _escape(value: str) -> str:
    """``value`` for use inside a double-quoted JQL string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _error_messages(response: requests.Response) -> str:
    """Jira's ``errorMessages`` and ``errors``, on one escaped line of bounded length."""
    try:
        payload = response.json()
    except ValueError:
        return "no error message"
    messages: list[str] = []
    if isinstance(payload, dict):
        listed = payload.get("errorMessages")
        messages += [str(m) for m in listed] if isinstance(listed, list) else []
        errors = payload.get("errors")
        if isinstance(errors, dict):
            messages += [f"{field}: {message}" for field, message in errors.items()]
    return terminal("; ".join(messages) or "no error message")[:500]


def _mentioned(text: str, postmortems: Iterable[Postmortem]) -> Postmortem | None:
    """The first postmortem whose URL or id ``text`` names, whole (``#3`` is not ``#30``)."""
    if not text:
        return None
    for postmortem in postmortems:
        for name in (postmortem.url, postmortem.id):
            if name and re.search(rf"(?<![\w/.-]){re.escape(name)}(?![\w-])", text):
                return postmortem
    return None


def _shown(value: Any) -> str:
    """A short, escaped excerpt of something Jira sent, for an error message."""
    return terminal(repr(value))[:80]
