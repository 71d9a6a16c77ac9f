"""Linear as a source of postmortems and action items; it holds no deployments.

- Postmortems are the issues of the configured teams that carry the
  postmortem label. A ``service:<name>`` label (or a label ``<name>`` in a
  label group ``service``) gives one to a service; one without any service
  label belongs to every service, as on GitHub. ``cause:<x>`` labels are its
  causes. An issue in the trash (deleted) is no postmortem.
- Action items are a postmortem's sub-issues and the issues it links as
  ``related`` or ``blocks`` (either way round). The workflow state's type is
  the truth: ``completed`` is done, ``canceled`` is declined; triage,
  backlog, unstarted and started are open. A type Linear adds later is
  counted open, with a notice naming it, never silently. An item in the
  trash was deleted, which declines it. An item belongs to one postmortem:
  its parent, else the earliest postmortem that links it.
- Exported items: an item with a Jira issue attached by Linear's Jira
  integration (the attachment's ``sourceType``) takes the Jira key as its
  id, and the postmortem names the key in ``tracker_refs``; one with a
  GitHub (or GitLab) issue attached by the GitHub (or GitLab) integration
  takes the issue's ``owner/repo#12`` (``group/project#12``) and names its
  URL. A plain link attachment is anyone's
  words and exports nothing; nor does an export to the key of another item
  of the same postmortem (a team and a Jira project sharing a key). When
  Jira (the tracker) or GitHub or GitLab (an
  :class:`~deploygate.sources.interface.ExportTarget`) is a source of the
  run, it puts its issue, with its state, in the item's place, so the item
  is counted once; otherwise, or when it cannot see the issue, the Linear
  issue's own state stands (Linear keeps the two in sync).
- Issues other platforms exported to: Linear is an
  :class:`~deploygate.sources.interface.ExportTarget`. An item that incident.io
  exported to a Linear issue names its page in its postmortem's
  ``tracker_refs``; that issue, read here by its identifier, takes the
  item's place with Linear's state, mapped as Linear's own items are.
- The owning team is a ``team:<name>`` label, else the issue's Linear team;
  never the assignee, whose name is a person's.

This module maps :mod:`.records` to the model with pure functions;
:class:`LinearSource` asks :mod:`.api` for the records and hands them over.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

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
from deploygate.sources.exports import (
    github_issue,
    gitlab_issue,
    in_place,
    jira_issue,
    linear_issue,
)
from deploygate.sources.interface import ApiBacked
from deploygate.sources.labels import services_seen, suffixes
from deploygate.sources.linear.api import LinearApi
from deploygate.sources.linear.records import ItemRecord, PostmortemRecord
from deploygate.sources.linear.settings import SOURCE_NAME, LinearSettings

OPEN_STATE_TYPES = frozenset({"triage", "backlog", "unstarted", "started"})
"""The workflow state types Linear documents besides completed and canceled
(https://linear.app/docs/configuring-workflows)."""
_CLOSED = {"completed": ActionItemState.DONE, "canceled": ActionItemState.DECLINED}
JIRA_ATTACHMENT = "jira"
GITHUB_ATTACHMENTS = frozenset({"github", "githubEnterpriseServer"})
GITLAB_ATTACHMENT = "gitlab"
"""The ``sourceType`` of an attachment Linear's Jira (resp. GitHub, GitHub Enterprise
Server, GitLab) integration made: the integration's ``IntegrationService`` name in Linear's schema.
A link anyone attaches has another (``unknown`` when it has no source), and may name any
issue, an old closed one too: it never makes an item exported."""


class LinearSource(ApiBacked[LinearSettings, LinearApi]):
    """Reads the postmortems of the configured teams: api, then records, then the model."""

    name = SOURCE_NAME

    def __init__(self, settings: LinearSettings, client: HttpClient | None = None) -> None:
        super().__init__(settings, LinearApi(settings, client))

    def attach_exported(self, query: Query, history: History) -> History:
        """``history`` with the Linear issues other platforms' items were exported to (a
        postmortem's ``tracker_refs`` naming an issue's page) in those items' place, with
        Linear's state as for its own items: one query per
        :data:`~.queries.EXPORTED_PER_LISTING` issues, none when no postmortem exports any.
        An issue the key cannot see leaves the exporting platform's item as it was, with a
        notice. Linear's own postmortems name no Linear issue, so theirs are never asked
        for again."""
        wanted = {
            postmortem.id: identifiers
            for postmortem in history.postmortems
            if (identifiers := exported_issues(postmortem.tracker_refs))
        }
        if not wanted:
            return history
        looked_up = self.api.exported(sorted({i for ids in wanted.values() for i in ids}))
        mapped = {key: action_item(found, self.settings) for key, found in looked_up.items()}
        unknown = tuple(notice for _, notice in mapped.values() if notice)
        return in_place(
            replace(history, notices=(*history.notices, *unknown)),
            wanted,
            {key: item for key, (item, _) in mapped.items()},
            lambda identifier, postmortem_id: (
                f"{identifier}, named by postmortem {postmortem_id}, is not in Linear or not "
                "visible to the key; its item stands as exported"
            ),
        )

    def collect(self, query: Query) -> History:
        """The service's postmortems with their action items; no deployments.

        Items are asked for only for the postmortems that speak for the
        service, so the requests grow with its postmortems. A malformed
        answer fails the source (exit 3) naming the issue and the field; any
        other exception is a bug in deploygate (exit 4).
        """
        every = self.api.postmortems()
        listed = [record for record in every if not record.trashed]
        covering = sorted(
            (record for record in listed if _covers(record, query.service, self.settings)),
            key=lambda record: record.created_at,
        )
        items = self.api.items(covering) if covering else []
        owned = owners(covering, items, {record.id for record in every})
        notices: list[str] = []
        postmortems = []
        for record in covering:
            mapped = map_postmortem(record, owned.get(record.id, []), query.service, self.settings)
            postmortems.append(mapped.postmortem)
            notices += mapped.notices
        return History(
            postmortems=tuple(postmortems),
            notices=tuple(notices),
            services_seen=services_seen(
                (label for record in listed for label in record.labels),
                self.settings.service_label_prefix,
                "Linear label",
            ),
        )


# -- records to the model ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mapped:
    """A postmortem, and what its mapping left out or could not read, in words."""

    postmortem: Postmortem
    notices: tuple[str, ...]


def owners(
    postmortems: Sequence[PostmortemRecord],
    items: Sequence[ItemRecord],
    labelled: set[str],
) -> dict[str, list[ItemRecord]]:
    """Each postmortem's items, by the postmortem's id: an item goes to its parent when that
    is a postmortem, else to the earliest postmortem (``postmortems`` is in time order) that
    links it. An issue with the postmortem label (``labelled``: the ids of all, whatever
    their service, deleted ones too) is never an item: one postmortem may link another."""
    postmortem_ids = {record.id for record in postmortems}
    by_id = {found.id: found for found in items if found.id not in labelled}
    owned: dict[str, list[ItemRecord]] = {}
    placed: set[str] = set()
    for found in by_id.values():
        if found.parent_id in postmortem_ids:
            owned.setdefault(found.parent_id, []).append(found)
            placed.add(found.id)
    for record in postmortems:
        for linked in record.relations.linked:
            if linked in by_id and linked not in placed:
                owned.setdefault(record.id, []).append(by_id[linked])
                placed.add(linked)
    return owned


def map_postmortem(
    record: PostmortemRecord, items: Sequence[ItemRecord], service: str, settings: LinearSettings
) -> Mapped:
    """One postmortem issue with its items, in the model's words."""
    action_items: list[ActionItem] = []
    exported: list[str] = []
    notices: list[str] = []
    identifiers = {found.identifier for found in items}
    for found in sorted(items, key=lambda found: (found.created_at, found.identifier)):
        item, notice = action_item(found, settings)
        elsewhere = exported_to(found)
        if elsewhere is not None and elsewhere[0] in identifiers:
            # A Jira project and a Linear team may share a key: were the Jira issue to take
            # the id of another of this postmortem's items, the tracker could not tell the
            # two apart. Linear keeps the exported item's state in step, so it stands.
            notices.append(
                f"{found.identifier} is exported to {elsewhere[0]}, the id of another item "
                "of the postmortem in Linear; it is judged by its Linear state"
            )
            elsewhere = None
        if elsewhere is not None:
            external_id, reference = elsewhere
            item = replace(item, id=external_id)
            exported.append(reference)
        action_items.append(item)
        notices += [notice] if notice else []
    services = suffixes(record.labels, settings.service_label_prefix)
    postmortem = Postmortem(
        id=record.identifier,
        title=record.title,
        state=PostmortemState.CLOSED if record.state_type in _CLOSED else PostmortemState.OPEN,
        created_at=record.created_at,
        service=service if services else None,
        url=record.url,
        tracker_refs=tuple(dict.fromkeys(exported)),
        body=record.description,
        action_items=tuple(action_items),
        causes=tuple(suffixes(record.labels, settings.cause_label_prefix)),
    )
    return Mapped(postmortem, tuple(notices))


def action_item(found: ItemRecord, settings: LinearSettings) -> tuple[ActionItem, str | None]:
    """An issue as an action item, and a notice when its state type is one Linear added
    after deploygate knew it: that item counts as open, and the report says so."""
    notice = None
    reason = None
    if found.trashed:
        state, reason = ActionItemState.DECLINED, "deleted in Linear"
    elif found.state_type in _CLOSED:
        state = _CLOSED[found.state_type]
        reason = (
            f"canceled in Linear ({found.state_name})"
            if state is ActionItemState.DECLINED
            else None
        )
    else:
        state = ActionItemState.OPEN
        if found.state_type not in OPEN_STATE_TYPES:
            notice = (
                f"{found.identifier} is in the Linear state {terminal(found.state_name)[:60]!r} "
                f"of type {terminal(found.state_type)[:40]!r}, which deploygate does not know; "
                "it is counted as open"
            )
    teams = suffixes(found.labels, settings.team_label_prefix)
    closed_at = found.completed_at if state is ActionItemState.DONE else found.canceled_at
    return (
        ActionItem(
            id=found.identifier,
            title=found.title,
            state=state,
            created_at=found.created_at,
            url=found.url,
            due=found.due,
            team=teams[0] if teams else found.team,
            reason=reason,
            closed_at=closed_at if state is not ActionItemState.OPEN else None,
        ),
        notice,
    )


def exported_to(found: ItemRecord) -> tuple[str, str] | None:
    """The issue ``found`` was exported to, as the id its tracker gives it and how the
    postmortem names it: a Jira key (both), or a GitHub issue's ``owner/repo#12`` or a
    GitLab issue's ``group/project#12``, and its URL, as the integration attached it
    (:data:`JIRA_ATTACHMENT`, :data:`GITHUB_ATTACHMENTS`, :data:`GITLAB_ATTACHMENT`);
    None for an item that lives in Linear only."""
    for url, source in found.attachments:
        exported = (
            jira_issue(url)
            if source == JIRA_ATTACHMENT
            else github_issue(url)
            if source in GITHUB_ATTACHMENTS
            else gitlab_issue(url)
            if source == GITLAB_ATTACHMENT
            else None
        )
        if exported is not None:
            return exported
    return None


def exported_issues(refs: Sequence[str]) -> list[str]:
    """The identifiers of the Linear issues that ``refs`` name by their page, in order."""
    found = [exported[0] for ref in refs if (exported := linear_issue(ref)) is not None]
    return list(dict.fromkeys(found))


def _covers(record: PostmortemRecord, service: str, settings: LinearSettings) -> bool:
    """Whether a postmortem speaks for ``service``: its service label, or none at all."""
    services = suffixes(record.labels, settings.service_label_prefix)
    return not services or settings.service_label.format(service=service) in record.labels
