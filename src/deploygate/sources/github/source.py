"""GitHub as a source: deployments, postmortem issues and their action items.

- Deployments come from GraphQL, whose ``Deployment.state`` survives after
  REST has deleted a deployment's statuses (90 days). Failed means FAILURE
  or ERROR. Each carries its commit's first line, so a "Revert ..." is seen.
- A service that names its deploy workflow is read from that workflow's runs
  instead (REST listings; the jobs of the runs that did not succeed through
  GraphQL, fifty runs a query; ``runs.py`` says what a run means).
- A failed deployment whose status' log URL is an Actions run's is signed
  with that run's failed job and step, as a failed run is, so two
  deployments that failed at the same step are alike for repeat-failure.
- Postmortems are issues with a postmortem label, in the service's
  repository or a central one; a ``service:<name>`` label assigns one to a
  service, and one without any service label belongs to every service.
- Action items are a postmortem's sub-issues and the issues its task list
  references (``#12``, ``owner/repo#12``, issue URLs). The issue's own state
  is the truth, not the checkbox; closed as not planned or as a duplicate
  means declined.
- An older GitHub Enterprise Server without sub-issues or the duplicate
  close reason is read without them, with a notice (:func:`schema_notices`).

This module maps :mod:`.records` to the model with pure functions;
:class:`GitHubSource` asks :mod:`.api` for the records and hands them over.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime

from deploygate.dates import parse_instant
from deploygate.errors import SourceError
from deploygate.http import HttpClient
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    Fix,
    History,
    Postmortem,
    PostmortemState,
    Query,
)
from deploygate.shipping import ContainmentUnknown
from deploygate.sources.exports import GITHUB_ISSUE, exported_issues, in_place
from deploygate.sources.github import runs
from deploygate.sources.github.api import GitHubApi, Refused
from deploygate.sources.github.queries import IssueSchema
from deploygate.sources.github.records import (
    ChangeRecord,
    DeploymentRecord,
    IssueKey,
    IssueRecord,
    Job,
    PostmortemRecord,
)
from deploygate.sources.github.settings import SOURCE_NAME, DeployWorkflow, GitHubSettings
from deploygate.sources.interface import DEFAULT_ENVIRONMENT, ApiBacked
from deploygate.sources.labels import services_seen, suffixes
from deploygate.sources.markdown import task_references

_STATES = {
    "FAILURE": DeploymentStatus.FAILURE,
    "ERROR": DeploymentStatus.ERROR,
    "SUCCESS": DeploymentStatus.SUCCESS,
    "ACTIVE": DeploymentStatus.SUCCESS,
    "INACTIVE": DeploymentStatus.SUCCESS,
    "DESTROYED": DeploymentStatus.SUCCESS,
    "ABANDONED": DeploymentStatus.CANCELLED,
}
"""GitHub's DeploymentState to ours; the rest (PENDING, QUEUED, ...) is in progress."""

_DECLINED_REASONS = {"NOT_PLANNED": "closed as not planned", "DUPLICATE": "closed as a duplicate"}
_DUE_LINE = re.compile(r"^\s*due\s*:\s*(\d{4}-\d{2}-\d{2})\s*$", re.IGNORECASE | re.MULTILINE)
_REPO = r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+"
_ACTIONS_RUN_URL = re.compile(
    r"(https?://[^/?#]+)/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/actions/runs/(\d+)"
    r"(?:/job/\d+)?/?(?:[?#].*)?",
    re.IGNORECASE,
)
"""A workflow run's or one of its jobs' web page, as actions write a deployment's log URL."""
_FULL_SHA = re.compile(r"[0-9a-f]{40}")
"""What GraphQL's GitObjectID takes: a whole sha, never a short one."""


class GitHubSource(ApiBacked[GitHubSettings, GitHubApi]):
    """Reads one repository's deployments and postmortems: api, then records, then the model."""

    name = SOURCE_NAME

    def __init__(self, settings: GitHubSettings, client: HttpClient | None = None) -> None:
        super().__init__(settings, GitHubApi(settings, client))
        self.commit_dates: dict[str, datetime] = {}
        """The committed date of each fix's commit read, by sha, for :meth:`contains_all`."""

    @property
    def client(self) -> HttpClient:
        """The HTTP client every request goes through (its deadline, its counts)."""
        return self.api.client

    def contains_all(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        """Many pairs in GraphQL batches, where the commit's date is known (a fix read with
        its item) and both are full shas; GitHub's refusal leaves them all to
        :meth:`contains`, which says why."""
        dated = [
            (commit, head, self.commit_dates[commit])
            for commit, head in pairs
            if commit in self.commit_dates and all(map(_FULL_SHA.fullmatch, (commit, head)))
        ]
        try:
            return self.api.contains_all(dated)
        except SourceError:
            return {}

    def contains(self, commit: str, head: str) -> bool:
        """Whether the deployed ``head`` holds ``commit``, by the deploying repository's
        compare API; :class:`ContainmentUnknown` when GitHub cannot say (an unknown commit,
        a refusal): a fix that cannot be followed must not fail the check."""
        try:
            return self.api.contains(commit, head)
        except SourceError as error:
            raise ContainmentUnknown(
                f"whether a fix has shipped was not checked: {error.problem}"
            ) from None

    def collect(self, query: Query) -> History:
        """Deployments of the service's environments and postmortems with their lessons.

        The deployment pages and the postmortem pages do not depend on each
        other, so they are fetched side by side; the task-list lookup needs
        the postmortems only, and follows them while the deployments go on.
        A deploy workflow without a named branch first needs the default
        branch, which the first postmortems page brings along, so that page is
        read before the runs are listed.

        Every answer is decoded as it is read, so a malformed one fails the
        source (exit 3) naming the record and the field; any other exception
        is a bug in deploygate, and goes up as one (exit 4).
        """
        workflow = (self.settings.workflows or {}).get(query.service)
        first_page = None
        if workflow is not None and workflow.branch is None:
            branch, first_page = self.api.default_branch_and_postmortems()
            workflow = replace(workflow, branch=branch)
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending_deployments = pool.submit(self.deployments, query, workflow)
            try:
                postmortems = self.api.postmortems(first_page)
                # The task lists' issues need only the postmortems: asked for while the
                # deployment pages are still coming.
                referenced = {
                    key
                    for record in postmortems
                    for key in references(record, self.settings)
                    if key not in {issue.key for issue in record.sub_issues}
                }
                looked_up = self.api.issues(sorted(referenced))
            except SourceError:
                # The deploying repository's error, if any, is the one to report; a bug
                # on either side goes up as it is.
                pending_deployments.result()
                raise
            deployments, notices = pending_deployments.result()
        self.commit_dates.update(
            (change.sha, change.committed_at)
            for issue in [*looked_up.values(), *(i for pm in postmortems for i in pm.sub_issues)]
            for change in issue.changes
            if change.sha and change.committed_at
        )
        mapped = [
            postmortem
            for record in postmortems
            if (postmortem := _postmortem(record, looked_up, query.service, self.settings))
            is not None
        ]
        notices += schema_notices(self.api.issue_schema)
        return History(
            deployments=tuple(deployments),
            postmortems=tuple(mapped),
            notices=notices,
            services_seen=services_seen(
                (label for record in postmortems for label in record.labels),
                self.settings.service_label_prefix,
            ),
            environments_seen=self.other_environments(query, workflow, deployments),
        )

    def attach_exported(self, query: Query, history: History) -> History:
        """``history`` with the issues of this GitHub that other platforms' items were
        exported to (a postmortem's ``tracker_refs`` naming an issue URL) in those items'
        place, with GitHub's state: one lookup per hundred issues, none when no postmortem
        exports any. An issue GitHub does not show leaves the exporting platform's item as
        it was, with a notice; a URL of another host is not this source's."""
        wanted = {
            postmortem.id: keys
            for postmortem in history.postmortems
            if (
                keys := exported_issues(
                    postmortem.tracker_refs, GITHUB_ISSUE, self.settings.web_url
                )
            )
        }
        if not wanted:
            return history
        looked_up = self.api.issues(sorted({key for keys in wanted.values() for key in keys}))
        found = {key: _action_item(issue, self.settings) for key, issue in looked_up.items()}
        return in_place(
            history,
            wanted,
            found,
            lambda key, postmortem_id: (
                f"{key[0]}#{key[1]}, named by postmortem {postmortem_id}, "
                "is not on GitHub or not visible to the token; its item stands as exported"
            ),
        )

    def other_environments(
        self, query: Query, workflow: DeployWorkflow | None, deployments: Sequence[Deployment]
    ) -> tuple[str, ...]:
        """Where the repository deploys, when ``--environment`` named one with no deployment:
        one more request, only then, so ``no-evidence`` can name the real ones. A deploy
        workflow's runs carry no environment of GitHub's, so there is nothing to ask."""
        if query.environment is None or deployments or workflow is not None:
            return ()
        return tuple(self.api.deployment_environments(query.since))

    def deployments(
        self, query: Query, workflow: DeployWorkflow | None
    ) -> tuple[list[Deployment], tuple[str, ...]]:
        """Deployments inside the lookback window, newest first; notices.

        A service that names its deploy workflow is read from its runs instead.
        """
        if workflow is not None:
            return self.workflow_deployments(query, workflow), ()
        records = self.api.deployments(environments(query, self.settings), query.since)
        found = [
            deployment
            for record in records
            if (deployment := _deployment(record, query.service, self.settings)).created_at
            >= query.since
        ]
        return self.with_failure_signatures(found)

    def with_failure_signatures(
        self, found: list[Deployment]
    ) -> tuple[list[Deployment], tuple[str, ...]]:
        """``found``, each failed deployment whose run is known signed by its failed step and
        that job's errors; notices.

        Only failed deployments whose log (or environment) URL is an Actions
        run on this GitHub cost a request, fifty runs a query. A token
        without ``checks: read`` leaves them unsigned, with a notice: the
        deploy can still be judged, by cause labels and status descriptions.
        """
        run_urls = {
            deployment.id: url
            for deployment in found
            if deployment.status.failed
            and (url := actions_run(deployment, self.settings.web_url)) is not None
        }
        try:
            jobs = self.api.jobs_by_url(sorted(set(run_urls.values())))
        except Refused as refused:
            notice = (
                f"which step failed, and its errors, were not read from the workflow runs of "
                f"{len(run_urls)} failed deployment(s) (the token needs {refused}): they repeat "
                "by cause label or status description only"
            )
            return found, (notice,)
        return [
            _signed(deployment, jobs.get(run_urls.get(deployment.id, ""), ()))
            for deployment in found
        ], ()

    def workflow_deployments(self, query: Query, workflow: DeployWorkflow) -> list[Deployment]:
        """The workflow's runs on its branch in the lookback window, as deployments.

        ``workflow.branch`` is known by now: named, or the default branch.
        The jobs of the runs that did not succeed are read once the runs are known.
        """
        if workflow.branch is None:
            raise ValueError("the deploy branch is resolved before the runs are listed")
        listed = self.api.workflow_runs(workflow.file, workflow.branch, query.since, query.service)
        jobs = self.api.run_jobs([run for run in listed if runs.needs_jobs(run, workflow.job)])
        environment = run_environment(query, self.settings)
        found = []
        for run in listed:
            deployment = runs.deployment(
                run,
                jobs.get(run.id),
                job=workflow.job,
                service=query.service,
                environment=environment,
            )
            if deployment is not None and deployment.created_at >= query.since:
                found.append(deployment)
        return found


# -- Deployments ---------------------------------------------------------------------


def environments(query: Query, settings: GitHubSettings) -> list[str] | None:
    """The environments to read: --environment, else the service's, else all."""
    if query.environment:
        return [query.environment]
    configured = (settings.environments or {}).get(query.service)
    return list(configured) if configured else None


def run_environment(query: Query, settings: GitHubSettings) -> str:
    """A run names no environment: --environment, else the service's first, else production."""
    if query.environment:
        return query.environment
    configured = (settings.environments or {}).get(query.service)
    return configured[0] if configured else DEFAULT_ENVIRONMENT


def _deployment(record: DeploymentRecord, service: str, settings: GitHubSettings) -> Deployment:
    """A GitHub deployment as ours: its status' log URL first, else its API URL.

    The status' environment URL (the site) is not read: it is the same for
    every deployment of the environment, so it names none of them, and a
    postmortem that names the site must not review one (see linking). A
    failed deployment's status description is what the deploy said when it
    failed: a failure message (the rules drop a generic "Deployment failed").
    """
    api_url = f"{settings.api_url}/repos/{settings.repository}/deployments/{record.database_id}"
    log_url = record.log_url
    status = _STATES.get(str(record.state), DeploymentStatus.IN_PROGRESS)
    said = record.status_description if status.failed else None
    return Deployment(
        id=str(record.database_id),
        service=service,
        environment=record.environment or "",
        status=status,
        created_at=record.created_at,
        sha=record.commit_oid,
        url=log_url or api_url,
        description=record.status_description or record.description,
        other_urls=tuple(url for url in (api_url, log_url) if url),
        failure_messages=(said,) if said else (),
        commit_title=runs.first_line(record.commit_headline),
    )


def actions_run(deployment: Deployment, web_url: str) -> str | None:
    """The web URL of the Actions run behind ``deployment``'s status, on this GitHub only."""
    home = web_url.rstrip("/")
    for url in (deployment.url, *deployment.other_urls):
        match = _ACTIONS_RUN_URL.fullmatch(url or "")
        if match and match[1].lower() == home.lower():
            return f"{home}/{match[2]}/actions/runs/{match[3]}"
    return None


def _signed(deployment: Deployment, jobs: Sequence[Job]) -> Deployment:
    """``deployment``, signed by the failed job and step of its run when they are known,
    and with that job's errors before its status' description."""
    failed = runs.first_failed(jobs)
    signature = runs.failure_signature(failed)
    if not signature:
        return deployment
    messages = (*runs.failure_messages(failed), *deployment.failure_messages)
    return replace(deployment, failure_signature=signature, failure_messages=messages)


# -- Postmortems ---------------------------------------------------------------------


def schema_notices(schema: IssueSchema | None) -> tuple[str, ...]:
    """What an older GitHub (Enterprise Server) lacks, and how the check reads on without it."""
    if schema is None:
        return ()
    notices = []
    if not schema.sub_issues:
        notices.append(
            "this GitHub has no sub-issues (Issue.subIssues): action items are read from "
            "the postmortems' task lists only"
        )
    if not schema.duplicate_reason:
        notices.append(
            "this GitHub does not tell a duplicate from not planned "
            "(stateReason(enableDuplicate:)): an issue closed as a duplicate reads as not "
            "planned, and is declined all the same"
        )
    return tuple(notices)


def references(postmortem: PostmortemRecord, settings: GitHubSettings) -> list[IssueKey]:
    """The issues a postmortem's task list points at, in order, without repeats."""
    home = postmortem.repository or settings.postmortem_repository
    body = postmortem.body or ""
    return task_references(body, home, settings.web_url, _REPO, "issues")


def _postmortem(
    record: PostmortemRecord,
    looked_up: Mapping[IssueKey, IssueRecord],
    service: str,
    settings: GitHubSettings,
) -> Postmortem | None:
    """The postmortem, or None when its service labels name other services only."""
    labels = record.labels
    services = suffixes(labels, settings.service_label_prefix)
    if services and settings.service_label.format(service=service) not in labels:
        return None
    items: dict[IssueKey, ActionItem] = {}
    referenced = (looked_up.get(key) for key in references(record, settings))
    for issue in [*record.sub_issues, *referenced]:
        if issue is not None and issue.key not in items:
            items[issue.key] = _action_item(issue, settings)
    return Postmortem(
        id=f"{record.repository}#{record.number}",
        title=record.title,
        state=PostmortemState.OPEN if record.state == "OPEN" else PostmortemState.CLOSED,
        created_at=record.created_at,
        service=service if services else None,
        url=record.url,
        body=record.body or "",
        action_items=tuple(items.values()),
        causes=tuple(suffixes(labels, settings.cause_label_prefix)),
    )


def _action_item(issue: IssueRecord, settings: GitHubSettings) -> ActionItem:
    """An issue as an action item: closed as not planned or as a duplicate means declined."""
    reason = _DECLINED_REASONS.get(str(issue.state_reason))
    if issue.state == "OPEN":
        state = ActionItemState.OPEN
    else:
        state = ActionItemState.DECLINED if reason else ActionItemState.DONE
    teams = suffixes(issue.labels, settings.team_label_prefix)
    return ActionItem(
        id=f"{issue.repository}#{issue.number}",
        title=issue.title,
        state=state,
        created_at=issue.created_at,
        url=issue.url,
        due=_due(issue),
        team=teams[0] if teams else None,
        reason=reason if state is ActionItemState.DECLINED else None,
        closed_at=issue.closed_at if state is not ActionItemState.OPEN else None,
        fixes=tuple(map(_fix, issue.changes)) if state is ActionItemState.DONE else (),
    )


def _fix(change: ChangeRecord) -> Fix:
    """A change that closed an item: ``PR #12``, or the commit's short sha."""
    ref = f"PR #{change.number}" if change.number is not None else (change.sha or "")[:7]
    return Fix(ref=ref, url=change.url, sha=change.sha, merged_at=change.merged_at)


def _due(issue: IssueRecord) -> date | None:
    """The milestone's due date, else a ``Due: YYYY-MM-DD`` line in the body."""
    if issue.milestone_due_on:
        try:
            return parse_instant(issue.milestone_due_on).date()
        except ValueError:
            pass
    match = _DUE_LINE.search(issue.body or "")
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None
    return None
