"""incident.io as a source: a service's incidents with a postmortem, and their follow-ups.

An incident belongs to the service when its ``[incident-io] service-field``
custom field holds the service: a catalog entry whose name, external id or
alias is the service's name (a catalog field, filtered by incident.io
itself), or an option or text equal to it (any other field, filtered here).
It is a postmortem when it has a postmortem document or is in the
post-incident flow (status category ``learning``); declined, merged and
cancelled incidents are not.

Follow-ups map as incident.io means them: ``completed`` is done,
``not_doing`` and ``deleted`` are declined, ``outstanding`` is open; a status
incident.io adds later is counted open, with a notice naming it. A follow-up
exported to Jira, Linear, GitHub or GitLab carries the id that tracker gives
the issue and names the issue in the postmortem's ``tracker_refs``
(:mod:`deploygate.sources.exports`): when the Jira tracker, or the Linear,
GitHub or GitLab source, is configured, it replaces the follow-up with its issue, whose state
wins; when it is not, incident.io's status of the follow-up stands
(incident.io keeps it in sync with the exported issue).

Requests grow with postmortems, not deployments: one for the custom fields,
one for the service's catalog entry, a page per 250 incidents, and one
follow-up listing per postmortem, at most :data:`~deploygate.http.MAX_IN_FLIGHT` at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from deploygate.errors import SourceError
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
from deploygate.sources.exports import github_issue, gitlab_issue, jira_key, linear_issue
from deploygate.sources.incidentio.api import IncidentIoApi
from deploygate.sources.incidentio.records import CustomField, FollowUp, Incident
from deploygate.sources.incidentio.settings import SOURCE_NAME, IncidentIoSettings
from deploygate.sources.interface import ApiBacked

OPEN_CATEGORIES = frozenset({"triage", "live", "paused", "learning"})
CLOSED_CATEGORIES = frozenset({"closed"})
NOT_INCIDENTS = frozenset({"declined", "merged", "canceled"})
"""Status categories of incidents that were never reviewed as such: no postmortem."""
FOLLOW_UP_STATES = {
    "outstanding": ActionItemState.OPEN,
    "completed": ActionItemState.DONE,
    "not_doing": ActionItemState.DECLINED,
    "deleted": ActionItemState.DECLINED,
}
DECLINED_REASONS = {
    "not_doing": "marked not doing in incident.io",
    "deleted": "deleted in incident.io",
}
JIRA_PROVIDERS = frozenset({"jira", "jira_server"})
GITHUB_PROVIDER = "github"
LINEAR_PROVIDER = "linear"
GITLAB_PROVIDER = "gitlab"
TEAM_LABEL = "team:"


class IncidentIoSource(ApiBacked[IncidentIoSettings, IncidentIoApi]):
    """Reads one incident.io organisation's postmortems and follow-ups for a service."""

    name = SOURCE_NAME

    def __init__(self, settings: IncidentIoSettings, client: HttpClient | None = None) -> None:
        super().__init__(settings, IncidentIoApi(settings, client))

    def collect(self, query: Query) -> History:
        """The service's postmortems with their follow-ups, and what was left out and why."""
        fields = self.api.custom_fields()
        service_field = self._field(fields, "service-field", self.settings.service_field)
        cause_field = self.settings.cause_field
        if cause_field is not None:
            self._field(fields, "cause-field", cause_field)
        value_ids: tuple[str, ...] = ()
        if service_field.catalog_type_id is not None:
            entries = self.api.catalog_entries(service_field.catalog_type_id, query.service)
            value_ids = tuple(
                entry.entry_id
                for entry in entries
                if entry.entry_id and _names(query.service, entry.names)
            )
            if not value_ids:
                return History(
                    notices=(
                        f"no catalog entry answers to {query.service!r} in the catalog of the "
                        f"{service_field.name!r} field; no incidents read",
                    )
                )
        incidents = self.api.incidents(service_field.id if value_ids else None, value_ids)
        return self._history(query, incidents)

    def _field(self, fields: Sequence[CustomField], key: str, wanted: str) -> CustomField:
        for field in fields:
            if field.name.lower() == wanted.lower():
                return field
        known = ", ".join(repr(field.name) for field in fields[:10]) or "none"
        raise SourceError(
            SOURCE_NAME,
            f"incident.io has no incident custom field named {terminal(wanted)!r} "
            f"([incident-io] {key}); its fields: {terminal(known)[:300]}",
        )

    def _history(self, query: Query, incidents: Sequence[Incident]) -> History:
        field_name = self.settings.service_field
        field = field_name.lower()
        seen: dict[str, ServiceSeen] = {}
        notices: list[str] = []
        reviewed: list[Incident] = []
        for incident in incidents:
            values = incident.fields.get(field, ())
            for value in values:
                seen.setdefault(
                    value.label,
                    ServiceSeen(value.label, f"{incident.reference}'s {field_name}"),
                )
            if not any(_names(query.service, value.names) for value in values):
                continue
            category = incident.status_category
            if category in NOT_INCIDENTS:
                continue
            if category not in OPEN_CATEGORIES | CLOSED_CATEGORIES:
                notices.append(
                    f"incident {terminal(incident.reference)} has the status category "
                    f"{terminal(category)!r}, which deploygate does not know; read as open"
                )
            if incident.has_postmortem or category == "learning":
                reviewed.append(incident)
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            follow_ups = list(pool.map(self.api.follow_ups, reviewed))
        postmortems = []
        for incident, listed in zip(reviewed, follow_ups, strict=True):
            items = [self._action_item(follow_up, incident, notices) for follow_up in listed]
            postmortems.append(self._postmortem(query.service, incident, listed, items))
        return History(
            postmortems=tuple(postmortems),
            notices=tuple(notices),
            services_seen=tuple(seen.values()),
        )

    def _postmortem(
        self,
        service: str,
        incident: Incident,
        follow_ups: Sequence[FollowUp],
        items: Sequence[ActionItem],
    ) -> Postmortem:
        causes: tuple[str, ...] = ()
        if self.settings.cause_field is not None:
            values = incident.fields.get(self.settings.cause_field.lower(), ())
            causes = tuple(value.label for value in values)
        return Postmortem(
            id=incident.reference,
            title=incident.name,
            state=PostmortemState.CLOSED
            if incident.status_category in CLOSED_CATEGORIES
            else PostmortemState.OPEN,
            created_at=incident.created_at,
            service=service,
            url=incident.postmortem_url or incident.permalink,
            tracker_refs=tuple(
                dict.fromkeys(
                    exported[1] for follow_up in follow_ups if (exported := _exported(follow_up))
                )
            ),
            body=incident.summary,
            action_items=tuple(items),
            causes=causes,
            started_at=incident.timestamps.get(self.settings.started_timestamp.lower()),
        )

    def _action_item(
        self, follow_up: FollowUp, incident: Incident, notices: list[str]
    ) -> ActionItem:
        state = FOLLOW_UP_STATES.get(follow_up.status)
        if state is None:
            notices.append(
                f"follow-up {terminal(follow_up.title)[:80]!r} of {terminal(incident.reference)} "
                f"has the status {terminal(follow_up.status)!r}, which deploygate does not know; "
                "counted as open"
            )
            state = ActionItemState.OPEN
        external = follow_up.external
        exported = _exported(follow_up)
        return ActionItem(
            id=exported[0] if exported else follow_up.id,
            title=follow_up.title,
            state=state,
            created_at=follow_up.created_at,
            url=external.url if external is not None else incident.permalink,
            team=follow_up.team or _team_label(follow_up.labels),
            reason=DECLINED_REASONS.get(follow_up.status),
            closed_at=follow_up.completed_at if state is not ActionItemState.OPEN else None,
        )


def _exported(follow_up: FollowUp) -> tuple[str, str] | None:
    """Where a follow-up was exported, as the id its tracker gives the issue and how the
    postmortem names it: a Jira key (both), a Linear issue's identifier ``OPS-12``, a GitHub
    issue's ``owner/repo#12`` or a GitLab issue's ``group/project#12``, and its URL;
    None for one that lives in incident.io only, or in a tracker deploygate does not read."""
    external = follow_up.external
    if external is None:
        return None
    if external.provider in JIRA_PROVIDERS:
        return jira_key(external.name)
    if external.provider == LINEAR_PROVIDER:
        return linear_issue(external.url)
    if external.provider == GITLAB_PROVIDER:
        return gitlab_issue(external.url)
    return github_issue(external.url) if external.provider == GITHUB_PROVIDER else None


def _names(service: str, names: Sequence[str]) -> bool:
    """Whether one of ``names`` is the service's name, whatever the case."""
    return any(name.lower() == service.lower() for name in names)


def _team_label(labels: Sequence[str]) -> str | None:
    """The team of a ``team:NAME`` label, when the follow-up has no assignee's team."""
    for label in labels:
        if label.lower().startswith(TEAM_LABEL) and label[len(TEAM_LABEL) :].strip():
            return label[len(TEAM_LABEL) :].strip()
    return None
