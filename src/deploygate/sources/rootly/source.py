"""Rootly as a source of postmortems: a service's incidents, their retrospectives and
action items, mapped to the model. It holds no deployments.

What is read, and how it maps (docs/sources/rootly.md says the same for users):

- The incidents of the service: ``GET /v1/incidents`` filtered by the Rootly
  service's slug (``filter[services]``) or name (``filter[service_names]``),
  paged. Each is checked to list that service too, so a server that ignores the
  filter never hands another service's incidents to the gate.
- An incident is a postmortem unless its retrospective was skipped or the
  incident was cancelled: it is closed once its retrospective is completed.
  Its summary is searched for deployment references, its ``cause`` label
  (``[rootly] cause-label``) names its cause, and its start time is what the
  time window is measured to.
- The action items of each incident, one paged list per incident, at most
  :data:`~deploygate.http.MAX_IN_FLIGHT` at a time: only follow-ups count (``kind =
  follow_up``), tasks are work during the incident. ``done`` is done,
  ``cancelled`` is declined, ``open`` and ``in_progress`` are open; any other
  status is open, with a notice naming it. An item exported to Jira carries
  its key as its id and on the postmortem's ``tracker_refs``, so a configured
  Jira tracker puts the issue, with Jira's state, in its place. Rootly's API
  has no field for a GitHub issue, and a GitHub address in a description is
  anyone's words ("same root cause as …/issues/1"), so no item is taken for
  a GitHub issue: it keeps Rootly's status.

Three layers, as every backend: :mod:`~deploygate.sources.rootly.api` sends
the requests, :mod:`~deploygate.sources.rootly.records` decodes each resource
once (a malformed one fails the source, exit 3, naming it), and the pure
functions here map the records to the model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from deploygate.http import MAX_IN_FLIGHT, HttpClient
from deploygate.model import (
    ActionItem,
    ActionItemState,
    History,
    Postmortem,
    PostmortemState,
    Query,
    ServiceSeen,
)
from deploygate.sanitize import terminal
from deploygate.sources.exports import jira_key
from deploygate.sources.interface import ApiBacked
from deploygate.sources.rootly.api import Gone, RootlyApi
from deploygate.sources.rootly.records import (
    Named,
    RootlyActionItem,
    RootlyIncident,
    decode_action_item,
    decode_incident,
)
from deploygate.sources.rootly.settings import SOURCE_NAME, RootlySettings

ITEM_STATES: Mapping[str, ActionItemState] = {
    "open": ActionItemState.OPEN,
    "in_progress": ActionItemState.OPEN,
    "done": ActionItemState.DONE,
    "cancelled": ActionItemState.DECLINED,
}
"""Rootly's action item statuses (the ``IncidentActionItem`` schema's enum)."""
RETROSPECTIVES = ("not_started", "active", "completed", "skipped")
"""Rootly's ``retrospective_progress_status`` values."""
NOT_REVIEWED = frozenset({"skipped"})
"""Retrospectives that mean the incident was not reviewed: no postmortem."""
CANCELLED_INCIDENT = "cancelled"
FOLLOW_UP = "follow_up"
DECLINED_REASON = "cancelled in Rootly"
"""Rootly keeps no reason with a cancelled action item; the report says where it was
decided, so a reader knows where to look."""


@dataclass(frozen=True, slots=True)
class Fetched:
    """One incident and its action items, as decoded; ``gone`` when it was deleted meanwhile."""

    incident: RootlyIncident
    items: tuple[RootlyActionItem, ...] = ()
    gone: bool = False


class RootlySource(ApiBacked[RootlySettings, RootlyApi]):
    """Reads one service's incidents and action items from Rootly."""

    name = SOURCE_NAME

    def __init__(self, settings: RootlySettings, client: HttpClient | None = None) -> None:
        super().__init__(settings, RootlyApi(settings, client))

    def collect(self, query: Query) -> History:
        """The service's incidents as postmortems, with their action items; no deployments."""
        key = (
            "filter[services]" if self.settings.service_match == "slug" else "filter[service_names]"
        )
        listed = [decode_incident(raw) for raw in self.api.incidents({key: query.service})]
        incidents = [incident for incident in listed if self._belongs(incident, query.service)]
        reviewed = [incident for incident in incidents if _reviewed(incident)]
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            fetched = list(pool.map(self._fetch, reviewed))
        notices: list[str] = []
        postmortems = []
        for each in fetched:
            if each.gone:
                notices.append(
                    f"incident {each.incident.reference} was deleted while it was read; "
                    "it is left out"
                )
                continue
            postmortem, said = to_postmortem(each, query.service, self.settings.cause_label)
            postmortems.append(postmortem)
            notices += said
        return History(
            postmortems=tuple(postmortems),
            notices=tuple(notices),
            services_seen=_services_seen(listed, self.settings.service_match),
        )

    def _belongs(self, incident: RootlyIncident, service: str) -> bool:
        match = self.settings.service_match
        return any(_matched_name(named, match) == service for named in incident.services)

    def _fetch(self, incident: RootlyIncident) -> Fetched:
        try:
            raw = self.api.action_items(incident.id)
        except Gone:
            return Fetched(incident, gone=True)
        items = tuple(decode_action_item(resource, incident.reference) for resource in raw)
        return Fetched(incident, items)


# -- records to the model ----------------------------------------------------------


def _reviewed(incident: RootlyIncident) -> bool:
    """Whether an incident is a postmortem: not cancelled, its retrospective not skipped."""
    return incident.status != CANCELLED_INCIDENT and incident.retrospective not in NOT_REVIEWED


def to_postmortem(fetched: Fetched, service: str, cause_label: str) -> tuple[Postmortem, list[str]]:
    """One incident and its follow-ups as a postmortem, and the notices the mapping raised."""
    incident = fetched.incident
    notices: list[str] = []
    if incident.retrospective is not None and incident.retrospective not in RETROSPECTIVES:
        notices.append(
            f"incident {incident.reference} has a retrospective status Rootly did not have "
            f"when deploygate was written ({terminal(incident.retrospective)[:40]!r}); "
            "its postmortem is counted as open"
        )
    teams = {group.id: group.name for group in incident.groups}
    items: list[ActionItem] = []
    exported: list[str] = []
    for record in fetched.items:
        if record.kind not in (None, FOLLOW_UP):
            continue
        item, notice = to_action_item(record, incident, teams)
        items.append(item)
        if notice:
            notices.append(notice)
        jira = jira_key(record.jira_key or "")
        if jira is not None:
            exported.append(jira[1])
    cause = incident.labels.get(cause_label)
    postmortem = Postmortem(
        id=incident.id,
        title=incident.title,
        state=PostmortemState.CLOSED
        if incident.retrospective == "completed"
        else PostmortemState.OPEN,
        created_at=incident.created_at,
        started_at=incident.started_at,
        service=service,
        url=incident.url,
        tracker_refs=tuple(dict.fromkeys(exported)),
        body=incident.summary,
        action_items=tuple(items),
        causes=(cause,) if cause else (),
    )
    return postmortem, notices


def to_action_item(
    record: RootlyActionItem, incident: RootlyIncident, teams: Mapping[str, str]
) -> tuple[ActionItem, str | None]:
    """One follow-up as an action item, and a notice when its status is one deploygate
    does not know (it is then open: an unknown state is debt until someone says)."""
    notice = None
    state = ITEM_STATES.get(record.status or "open")
    if state is None:
        notice = (
            f"action item {record.id} of incident {incident.reference} has the status "
            f"{terminal(record.status or '')[:40]!r}, which deploygate does not know; it is "
            "counted as open"
        )
        state = ActionItemState.OPEN
    jira = jira_key(record.jira_key or "")
    return (
        ActionItem(
            id=jira[0] if jira else record.id,
            title=record.summary,
            state=state,
            created_at=record.created_at,
            url=record.jira_url or incident.url,
            due=record.due,
            team=_team(record.group_ids, teams),
            reason=DECLINED_REASON if state is ActionItemState.DECLINED else None,
        ),
        notice,
    )


def _team(group_ids: Sequence[str], teams: Mapping[str, str]) -> str | None:
    """The first assigned team the incident names; never the assignee, who is a person."""
    return next((teams[group] for group in group_ids if group in teams), None)


def _matched_name(service: Named, match: str) -> str | None:
    """The name of a Rootly service that is compared with deploygate's: its slug or name."""
    return service.slug if match == "slug" else service.name


def _services_seen(incidents: Sequence[RootlyIncident], match: str) -> tuple[ServiceSeen, ...]:
    """Every Rootly service the incidents name, by the name that is compared (``match``):
    the other is for people, and a display name "Checkout" is no misspelt "checkout"."""
    seen: dict[str, ServiceSeen] = {}
    for incident in incidents:
        for named in incident.services:
            name = _matched_name(named, match)
            if name:
                seen.setdefault(name, ServiceSeen(name, f"Rootly service {named.name}"))
    return tuple(seen.values())
