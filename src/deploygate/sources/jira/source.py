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
item whose id is a key stands for that issue only when the postmortem
names it in ``tracker_refs`` (its platform exported it to Jira): Linear's
``OPS-2`` is not Jira's ``OPS-2`` because both number a project OPS. An
item only the JQL found belongs to the postmortem its description names (by
URL or id), else to one holder per service that reviews no failure.

Three layers: :mod:`~deploygate.sources.jira.api` sends the searches,
:mod:`~deploygate.sources.jira.records` decodes each issue once (a
malformed one fails the tracker, exit 3, naming it), and the pure functions
here map the issues to the model; :class:`JiraTracker` runs the three in
turn. Any other exception is a bug in deploygate (exit 4).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import partial
from urllib.parse import quote

from deploygate.errors import SourceError
from deploygate.http import HttpClient
from deploygate.model import (
    ActionItem,
    ActionItemState,
    History,
    Postmortem,
    PostmortemState,
    Query,
)
from deploygate.sanitize import terminal
from deploygate.sources.interface import ApiBacked
from deploygate.sources.jira.api import JiraApi, Refused
from deploygate.sources.jira.config import DEFAULT_JQL, DEFAULT_JQL_BY_LABEL
from deploygate.sources.jira.records import ISSUE_KEY, JiraIssue, decode_issue
from deploygate.sources.jira.settings import SOURCE_NAME, JiraSettings

KEYS_PER_LOOKUP = 100
"""Keys per ``key in (...)`` search: short enough for any proxy's URL limit."""
_MISSING_KEY = re.compile(rf"'({ISSUE_KEY.pattern})'")
"""The key in Jira's answer to ``key in (...)`` naming an issue that does not exist or
that the account cannot see: "An issue with key 'OPS-9' does not exist for field 'key'."."""
_NO_COMPONENT = re.compile(r"does not exist for the field 'component'", re.IGNORECASE)
"""Jira's refusal of a query naming a component the project does not have."""


class JiraTracker(ApiBacked[JiraSettings, JiraApi]):
    """Reads action items from one Jira site and attaches them to the service's postmortems."""

    name = SOURCE_NAME

    def __init__(self, settings: JiraSettings, client: HttpClient | None = None) -> None:
        super().__init__(settings, JiraApi(settings, client))
        projects = "|".join(re.escape(project) for project in settings.projects)
        self._key = re.compile(rf"(?<![A-Za-z0-9_-])(?:{projects})-[1-9][0-9]*(?![A-Za-z0-9_-])")

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

    def search(self, jql: str) -> list[JiraIssue]:
        """Every issue ``jql`` finds, decoded; :class:`Refused` when Jira refuses it."""
        return self.api.search(jql, partial(decode_issue, team_field=self.settings.team_field))

    # -- attaching ----------------------------------------------------------------

    def enrich(self, query: Query, history: History) -> History:
        """``history`` with the service's Jira items on the postmortems that name them."""
        covering = sorted(
            (pm for pm in history.postmortems if pm.covers(query.service)),
            key=lambda pm: pm.created_at,
        )
        named = self._named_keys(covering)
        issues, jql, changed = self._search_configured(query.service)
        found = {issue.key: issue for issue in issues}
        wanted = [key for key in named if key not in found]
        found |= self._look_up(wanted)
        items = {key: action_item(issue, self.settings) for key, issue in found.items()}
        owners: dict[str, list[str]] = {}
        for key, postmortem_id in named.items():
            if key in items:
                owners.setdefault(postmortem_id, []).append(key)
        unnamed = [key for key in found if key not in named]
        orphans: list[ActionItem] = []
        for key in unnamed:
            mentioned = _mentioned(found[key].description, covering)
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

    def _search_configured(self, service: str) -> tuple[list[JiraIssue], str, str | None]:
        """The issues the configured query finds, the query used, and a notice if it changed.

        With the default query, a project without a component named after the
        service makes Jira refuse the whole query; the label half still means
        something, so it is sent alone and the report says so. A query the
        team wrote is sent as written, and its refusal is an error.
        """
        jql = self.jql(service)
        try:
            return self.search(jql), jql, None
        except Refused as refused:
            if self.settings.jql == DEFAULT_JQL and _NO_COMPONENT.search(refused.messages):
                by_label = self.jql(service, DEFAULT_JQL_BY_LABEL)
                notice = (
                    f"no Jira component {service!r} in {', '.join(self.settings.projects)}; "
                    f"items matched by the service:{service} label only"
                )
                return self._search_configured_as(by_label), by_label, notice
            raise self._refused(jql, refused) from None

    def _search_configured_as(self, jql: str) -> list[JiraIssue]:
        try:
            return self.search(jql)
        except Refused as refused:
            raise self._refused(jql, refused) from None

    def _refused(self, jql: str, refused: Refused) -> SourceError:
        return self.api.fail(
            f"Jira refused the [jira] jql query ({refused.messages}); the query sent was "
            f"{terminal(jql)[:300]}"
        )

    def _look_up(self, keys: Sequence[str]) -> dict[str, JiraIssue]:
        """Issues by key, a hundred a search; a key Jira does not know is left out with a notice.

        Jira refuses ``key in (...)`` (400) when any key does not exist or is
        hidden from the account, and names it; those keys are dropped and the
        search is sent again, so one stale reference never fails the check.
        """
        found: dict[str, JiraIssue] = {}
        for start in range(0, len(keys), KEYS_PER_LOOKUP):
            remaining = list(keys[start : start + KEYS_PER_LOOKUP])
            while remaining:
                jql = "key in (" + ", ".join(f'"{key}"' for key in remaining) + ")"
                try:
                    issues = self.search(jql)
                except Refused as refused:
                    missing = set(_MISSING_KEY.findall(refused.messages)) & set(remaining)
                    if not missing:
                        raise self.api.fail(
                            f"Jira refused a lookup of referenced keys ({refused.messages})"
                        ) from None
                    remaining = [key for key in remaining if key not in missing]
                    continue
                found |= {issue.key: issue for issue in issues if issue.key in remaining}
                break
        return found

    def _with_items(
        self, postmortem: Postmortem, items: Sequence[ActionItem], jira_keys: set[str]
    ) -> Postmortem:
        """``postmortem`` with its Jira items in place of the task-list lines naming their keys.

        A line naming a key that another postmortem holds is dropped too:
        Jira's state is the truth, and an item is counted once. An item is
        taken for a Jira issue by its id only when the postmortem names that
        id in ``tracker_refs`` (an item its platform exported to Jira): a
        Linear issue ``OPS-2`` is not Jira's ``OPS-2`` because the two
        projects share a key.
        """
        own = {item.id: item for item in items}
        exported = set(postmortem.tracker_refs)
        placed: set[str] = set()
        kept: list[ActionItem] = []
        for existing in postmortem.action_items:
            by_id = [existing.id] if existing.id in exported else []
            named = [k for k in [*by_id, *self.keys_in(existing.title)] if k in jira_keys]
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


# -- records to the model ----------------------------------------------------------


def action_item(issue: JiraIssue, settings: JiraSettings) -> ActionItem:
    """One issue as an action item: done by status category, declined when its
    resolution is one the config names; closed when resolved."""
    state, reason = _state(issue, settings)
    return ActionItem(
        id=issue.key,
        title=issue.summary,
        state=state,
        created_at=issue.created_at,
        url=f"{settings.browse_url}/browse/{issue.key}",
        due=issue.due,
        team=issue.team,
        reason=reason,
        closed_at=issue.resolved_at if state is not ActionItemState.OPEN else None,
    )


def _state(issue: JiraIssue, settings: JiraSettings) -> tuple[ActionItemState, str | None]:
    if issue.status_category != "done":
        return ActionItemState.OPEN, None
    name = issue.resolution
    if name is not None and name.lower() in settings.declined_resolutions:
        return ActionItemState.DECLINED, f"resolved as {name}"
    return ActionItemState.DONE, None


def _escape(value: str) -> str:
    """``value`` for use inside a double-quoted JQL string."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _mentioned(text: str, postmortems: Iterable[Postmortem]) -> Postmortem | None:
    """The first postmortem whose URL or id ``text`` names, whole (``#3`` is not ``#30``)."""
    if not text:
        return None
    for postmortem in postmortems:
        for name in (postmortem.url, postmortem.id):
            if name and re.search(rf"(?<![\w/.-]){re.escape(name)}(?![\w-])", text):
                return postmortem
    return None
