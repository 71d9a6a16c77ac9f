"""GitLab as a source: deployments or a deploy job's runs, incidents and postmortem issues,
and their linked issues.

- Deployments: every deployment of the lookback window (``updated_after``,
  newest first: GitLab's default order is ascending), so that the core can
  find rollbacks and a report can measure the change failure rate. That is
  one request per 100 deployments of each environment, as on GitHub. With
  ``[rollbacks] detect = false`` a check needs no successful deployment and
  asks for the failed ones only (``status=failed``): requests then follow
  failures, not deployments.
- Deploy jobs: a service that names a job (``[services.NAME] job``) deploys
  by that job of the project's pipelines; its runs on the deploy branch are
  the deployments, a failed run a failure. See :meth:`GitLabSource.job_runs`
  for the listing chosen.
- Postmortems: issues of type incident, and issues with a postmortem label,
  in the project or a central one; a ``service::NAME`` scoped label assigns
  one to a service, and one without belongs to every service.
- Action items: each postmortem's linked issues (any link type, any
  project) and the issues its task list references. GitLab needs one
  request per postmortem for its links; they are sent eight at a time.
- The deployments and the postmortems do not depend on each other and are
  read side by side.

Three layers: :mod:`~deploygate.sources.gitlab.api` sends the requests,
:mod:`~deploygate.sources.gitlab.records` decodes each answer once (a
malformed one fails the source, exit 3, naming the record), and the pure
functions here map the records to the model; :class:`GitLabSource` runs the
three in turn. Any other exception is a bug in deploygate (exit 4).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

from deploygate.dates import format_instant
from deploygate.errors import SourceError
from deploygate.http import MAX_IN_FLIGHT
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
from deploygate.sources.exports import GITLAB_ISSUE, exported_issues, in_place
from deploygate.sources.gitlab.api import PER_PAGE, GitLabApi
from deploygate.sources.gitlab.graphql import (
    OLDEST_VERSION,
    GitLabGraphQL,
    Listing,
    Unsupported,
    lookups,
)
from deploygate.sources.gitlab.records import (
    JOB_STATES,
    DeploymentRecord,
    DeploymentState,
    DeployRun,
    IssueRecord,
    JobRecord,
    JobState,
    RunsWanted,
    decode_action_item,
    decode_closing_merge_request,
    decode_comparison,
    decode_default_branch,
    decode_deployment,
    decode_job,
    decode_postmortem,
    decode_username,
)
from deploygate.sources.gitlab.settings import SOURCE_NAME, DeployJob, GitLabSettings
from deploygate.sources.interface import DEFAULT_ENVIRONMENT, ApiBacked
from deploygate.sources.labels import services_seen, suffixes
from deploygate.sources.markdown import task_references

_PATH = r"[A-Za-z0-9_.][A-Za-z0-9_./-]*[A-Za-z0-9_]"

DEPLOYMENT_STATUSES: Mapping[DeploymentState, DeploymentStatus] = {
    "success": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
    "canceled": DeploymentStatus.CANCELLED,
    "skipped": DeploymentStatus.CANCELLED,
    "created": DeploymentStatus.IN_PROGRESS,
    "running": DeploymentStatus.IN_PROGRESS,
    "blocked": DeploymentStatus.IN_PROGRESS,
}
"""A GitLab deployment's status to ours."""
JOB_STATUSES: Mapping[JobState, DeploymentStatus] = {
    "success": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
}
"""A deploy job's outcome to ours."""
_SHARD = re.compile(r" \d+/\d+$")
"""A ``parallel: N`` copy's number: copies of one job fail alike, so a signature drops it
(a matrix variant keeps its values: another region is another deploy, as on GitHub)."""

IssueKey = tuple[str, int]
_log = logging.getLogger(__name__)


class GitLabSource(ApiBacked[GitLabSettings, GitLabApi]):
    """Reads one project's deployments and its postmortems."""

    name = SOURCE_NAME

    def __init__(self, settings: GitLabSettings) -> None:
        super().__init__(settings, GitLabApi(settings.url, settings.token, settings.deadline))
        self.graphql = GitLabGraphQL(self.api.session, settings.url, settings.token)
        self.use_graphql = True
        """False once this GitLab's GraphQL proved unable to answer: REST for the rest."""
        self.notices: list[str] = []

    # -- deployments -----------------------------------------------------------

    def environments(self, query: Query) -> list[str | None]:
        """--environment, else the service's environments, else every environment."""
        if query.environment:
            return [query.environment]
        configured = (self.settings.environments or {}).get(query.service)
        return list(configured) if configured else [None]

    def deployments(self, query: Query) -> list[Deployment]:
        """The deploy job's runs, else each environment's deployments, of the lookback window."""
        job = (self.settings.deploy_jobs or {}).get(query.service)
        if job is not None:
            return self.job_runs(query, job)
        return [
            found
            for environment in self.environments(query)
            for found in self.environment_deployments(query, environment)
        ]

    def environment_deployments(self, query: Query, environment: str | None) -> list[Deployment]:
        """One environment's deployments of the window (failed ones only with ``failed_only``).

        GitLab refuses ``updated_after`` without ``order_by=updated_at`` (16.0+):
        https://docs.gitlab.com/api/deployments/#list-project-deployments
        """
        filters: dict[str, str] = {
            "updated_after": format_instant(query.since),
            "order_by": "updated_at",
            "sort": "desc",
        }
        if self.settings.failed_only:
            filters["status"] = "failed"
        if environment:
            filters["environment"] = environment
        records = self.api.listing(
            f"{self.api.project_path(self.settings.project)}/deployments",
            f"deployments of {self.settings.project}",
            decode_deployment,
            filters=filters,
        )
        return [
            deployment(record, query.service)
            for record in records
            if record.created_at >= query.since
        ]

    def other_environments(
        self, query: Query, deployments: Sequence[Deployment]
    ) -> tuple[str, ...]:
        """Where the project deploys, when ``--environment`` named one with no deployment:
        the environments of its newest hundred deployments of the window, one more request,
        made only then, so ``no-evidence`` can name the real ones. A deploy job's runs name
        no environment of GitLab's, so there is nothing to ask."""
        if query.environment is None or deployments:
            return ()
        if query.service in (self.settings.deploy_jobs or {}):
            return ()
        read = 0

        def past(record: DeploymentRecord) -> bool:
            nonlocal read
            read += 1  # the first page's last item ends the listing before a second page
            return read >= PER_PAGE or record.created_at < query.since

        records = self.api.listing(
            f"{self.api.project_path(self.settings.project)}/deployments",
            f"deployments of {self.settings.project}",
            decode_deployment,
            filters={
                "updated_after": format_instant(query.since),
                "order_by": "updated_at",
                "sort": "desc",
            },
            past=past,
        )
        return tuple(sorted({record.environment for record in records if record.environment}))

    def job_runs(self, query: Query, job: DeployJob) -> list[Deployment]:
        """The deploy job's finished runs on its branch inside the window, as deployments.

        The listing is the project's jobs, ``scope[]=success&scope[]=failed``,
        newest first, read until a job older than the window: one request per
        100 jobs of the window, whatever their name or branch (GitLab's jobs
        API has no name or ref filter). The alternatives cost more or hold
        less: pipelines on the branch and then each pipeline's jobs is one
        request per pipeline; GraphQL's ``Project.jobs(name:)`` is an
        experiment behind feature flags on self-managed GitLab.
        See https://docs.gitlab.com/api/jobs/#list-project-jobs
        """
        project = self.api.project_path(self.settings.project)
        branch = job.branch or self.settings.default_branch or self._default_branch(project)
        wanted = RunsWanted(job=job.name, branch=branch, since=query.since)

        def past(record: JobRecord) -> bool:
            return record.created_at < query.since

        jobs = self.api.listing(
            f"{project}/jobs",
            f"jobs of {self.settings.project}",
            partial(decode_job, wanted=wanted),
            filters={"scope[]": list(JOB_STATES)},
            past=past,
        )
        environment = job_environment(query, self.settings)
        return [
            job_deployment(record.run, query.service, environment)
            for record in jobs
            if record.run is not None
        ]

    def _default_branch(self, project_path: str) -> str:
        what = f"project {self.settings.project}"
        return decode_default_branch(self.api.record(project_path, what), what)

    # -- postmortems -----------------------------------------------------------

    def postmortem_issues(self) -> list[IssueRecord]:
        """Incidents and postmortem-labelled issues, each once, newest first."""
        path = f"{self.api.project_path(self.settings.postmortem_project)}/issues"
        where = f"issues of {self.settings.postmortem_project}"
        listing = {"state": "all", "order_by": "created_at", "sort": "desc"}
        batches = [
            self.api.listing(path, where, decode_postmortem, filters={"labels": label, **listing})
            for label in self.settings.postmortem_labels
        ]
        if self.settings.incidents:
            batches.append(
                self.api.listing(
                    path, where, decode_postmortem, filters={"issue_type": "incident", **listing}
                )
            )
        found: dict[int | None, IssueRecord] = {}
        for batch in batches:
            for issue in batch:
                found.setdefault(issue.id, issue)
        return sorted(found.values(), key=lambda issue: issue.created_at, reverse=True)

    def linked(self, issue: IssueRecord) -> list[IssueRecord]:
        """The issues linked to one postmortem, in any project."""
        path = f"{self.api.project_path(issue.project_id)}/issues/{issue.iid}/links"
        return self.api.listing(path, f"the links of issue {issue.reference}", decode_action_item)

    def lookup(self, key: IssueKey) -> IssueRecord:
        """One referenced issue."""
        path, iid = key
        what = f"issue {path}#{iid}"
        return decode_action_item(
            self.api.record(f"{self.api.project_path(path)}/issues/{iid}", what)
        )

    def closed_by(self, key: IssueKey) -> tuple[Fix, ...]:
        """The merged merge requests that closed a done item: one request per done item.
        See https://docs.gitlab.com/api/issues/#list-merge-requests-that-close-a-particular-issue-on-merge
        """
        path, iid = key
        return tuple(
            Fix(ref=f"!{found.iid}", url=found.web_url, sha=found.sha, merged_at=found.merged_at)
            for found in self.api.listing(
                f"{self.api.project_path(path)}/issues/{iid}/closed_by",
                f"the merge requests that closed {path}#{iid}",
                decode_closing_merge_request,
            )
            if found is not None
        )

    def contains(self, commit: str, head: str) -> bool:
        """Whether the deployed ``head`` holds ``commit``: the deploying project's compare
        from ``head`` to ``commit`` lists no commit. A fix GitLab cannot follow (a commit
        the project lacks, a compare GitLab timed out on) is :class:`ContainmentUnknown`,
        never a failed source.
        See https://docs.gitlab.com/api/repositories/#compare-branches-tags-or-commits"""
        what = f"the compare of {head[:12]} with {commit[:12]}"
        path = f"{self.api.project_path(self.settings.project)}/repository/compare"
        try:
            answer = self.api.record(path, what, params={"from": head, "to": commit})
            contained = decode_comparison(answer, what)
        except SourceError as error:
            raise ContainmentUnknown(
                f"whether a fix has shipped was not checked: {error.problem}"
            ) from None
        if contained is None:
            raise ContainmentUnknown(
                f"whether a fix has shipped was not checked: GitLab timed out on {what}"
            )
        return contained

    def collect(self, query: Query) -> History:
        """Deployments and postmortems side by side, then the issues the task lists reference.

        The deployment listings (REST) and the postmortem listings do not
        depend on each other. Postmortems come through GraphQL with their
        linked items, each listing a hundred a page and the listings side by
        side; on a GitLab whose GraphQL cannot answer (:class:`Unsupported`,
        found once, on the first queries) through REST, as before, with a
        notice. A malformed answer fails the source (exit 3) naming the
        listing or the record; any other exception is a bug in deploygate,
        and goes up as one (exit 4).
        """
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            pending_deployments = pool.submit(self.deployments, query)
            try:
                read = self._read_graphql(pool) or self._read_rest(pool, query.service)
            except SourceError:
                # The deploying project's error, if any, is the one to report; a bug on
                # either side goes up as it is.
                pending_deployments.result()
                raise
            every_issue, links = read
            covered = [
                (issue, linked)
                for issue, linked in zip(every_issue, links, strict=True)
                if covers(issue, query.service, self.settings)
            ]
            wanted = {
                key
                for issue, linked in covered
                for key in references(issue, self.settings)
                if key not in {item.key for item in linked}
            }
            looked_up = self._look_up(pool, sorted(wanted))
            fixes = self._fixes(
                pool, [*(each for _, linked in covered for each in linked), *looked_up.values()]
            )
            deployments = pending_deployments.result()
        postmortems = [
            postmortem(issue, linked, looked_up, query.service, self.settings, fixes)
            for issue, linked in covered
        ]
        return History(
            deployments=tuple(deployments),
            postmortems=tuple(postmortems),
            services_seen=services_seen(
                (label for issue in every_issue for label in issue.labels),
                self.settings.service_label_prefix,
            ),
            environments_seen=self.other_environments(query, deployments),
            notices=tuple(self.notices),
        )

    def attach_exported(self, query: Query, history: History) -> History:
        """``history`` with the issues of this GitLab that other platforms' items were
        exported to (a postmortem's ``tracker_refs`` naming an issue's page) in those
        items' place, with GitLab's state: looked up as task lists' issues are (a hundred,
        in six projects, a GraphQL query; else one REST request each, eight at a time),
        none when no postmortem exports any. An issue GitLab does not show leaves the
        exporting platform's item as it was, with a notice; a page on another host is not
        this source's. ``query`` is the ExportTarget's; every postmortem here is already
        the query's."""
        wanted = {
            postmortem.id: keys
            for postmortem in history.postmortems
            if (keys := exported_issues(postmortem.tracker_refs, GITLAB_ISSUE, self.settings.url))
        }
        if not wanted:
            return history
        with ThreadPoolExecutor(max_workers=MAX_IN_FLIGHT) as pool:
            looked_up = self._look_up(pool, sorted({k for keys in wanted.values() for k in keys}))
            fixes = self._fixes(pool, looked_up.values())
        found = {
            key: replace(action_item(record, self.settings), fixes=fixes.get(record.key, ()))
            for key, record in looked_up.items()
            if record is not None
        }
        return in_place(
            history,
            wanted,
            found,
            lambda key, postmortem_id: (
                f"{key[0]}#{key[1]}, named by postmortem {postmortem_id}, is not on GitLab or "
                "not visible to the token; its item stands as exported"
            ),
        )

    def _fixes(
        self, pool: ThreadPoolExecutor, items: Iterable[IssueRecord | None]
    ) -> dict[IssueKey, tuple[Fix, ...]]:
        """The merge requests that closed each done item of ``items``. Only a done item
        that a merge request closes can have a fix: GitLab counts them on the issue
        (merge_requests_count), so an item closed by hand costs no request."""
        done = sorted({
            item.key
            for item in items
            if item is not None and is_done(item, self.settings)
            and item.merge_requests_count != 0
        })  # fmt: skip
        return dict(zip(done, pool.map(self.closed_by, done), strict=True))

    def _read_graphql(
        self, pool: ThreadPoolExecutor
    ) -> tuple[list[IssueRecord], list[list[IssueRecord]]] | None:
        """Every postmortem with its linked items through GraphQL, newest first; None on a
        GitLab whose GraphQL cannot answer (decided once: later reads use REST)."""
        if not self.use_graphql:
            return None
        listings = [Listing(labels=(label,)) for label in self.settings.postmortem_labels]
        if self.settings.incidents:
            listings.append(Listing(incidents=True))
        project = self.settings.postmortem_project
        pending = [pool.submit(self.graphql.with_links, project, listing) for listing in listings]
        # Every listing is waited for, so that the outcome does not depend on which answered
        # first: any other error fails the source; a refused schema alone means REST.
        errors = [error for future in pending if (error := future.exception()) is not None]
        if failures := [error for error in errors if not isinstance(error, Unsupported)]:
            raise failures[0]
        if refusals := [error.why for error in errors if isinstance(error, Unsupported)]:
            self.use_graphql = False
            self.notices.append(
                f"GitLab's GraphQL cannot read postmortems with their linked items (it needs "
                f"GitLab {OLDEST_VERSION} or later: {refusals[0]}); read through REST, "
                "one request more per postmortem"
            )
            _log.debug("gitlab: postmortems through REST: %s", refusals[0])
            return None
        _log.debug("gitlab: postmortems and their linked items through GraphQL")
        found: dict[int | None, tuple[IssueRecord, list[IssueRecord]]] = {}
        for batch in (future.result() for future in pending):
            for issue, linked in batch:
                found.setdefault(issue.id, (issue, linked))
        ordered = sorted(found.values(), key=lambda pair: pair[0].created_at, reverse=True)
        return [issue for issue, _ in ordered], [linked for _, linked in ordered]

    def _read_rest(
        self, pool: ThreadPoolExecutor, service: str
    ) -> tuple[list[IssueRecord], list[list[IssueRecord]]]:
        """Every postmortem through REST, newest first, and the links (a request each) of
        those about ``service``."""
        every_issue = self.postmortem_issues()

        def links(issue: IssueRecord) -> list[IssueRecord]:
            return self.linked(issue) if covers(issue, service, self.settings) else []

        return every_issue, list(pool.map(links, every_issue))

    def _look_up(
        self, pool: ThreadPoolExecutor, keys: Sequence[IssueKey]
    ) -> dict[IssueKey, IssueRecord | None]:
        """Referenced issues: a hundred (in six projects) a GraphQL query, else one REST
        request each; None for one that is gone or hidden (a task list may be stale)."""
        if not self.use_graphql:
            return dict(zip(keys, pool.map(self._lookup_quietly, keys), strict=True))
        found: dict[IssueKey, IssueRecord] = {}
        try:
            for answer in pool.map(self.graphql.issues, lookups(keys)):
                found.update(answer)
        except Unsupported as unsupported:
            raise self.api.fail(
                f"GitLab's GraphQL refused the referenced issues: {unsupported.why}"
            ) from None
        return {key: found.get(key) for key in keys}

    def _lookup_quietly(self, key: IssueKey) -> IssueRecord | None:
        """A referenced issue, or None when it is gone or hidden (a task list may be stale)."""
        try:
            return self.lookup(key)
        except SourceError as error:
            if "(404)" in error.problem:
                return None
            raise


def username(api: GitLabApi) -> str:
    """The token's username (``GET /user``); empty when GitLab names none."""
    return decode_username(api.record("/user", "the token's user"))


# -- records to the model ----------------------------------------------------------


def deployment(record: DeploymentRecord, service: str) -> Deployment:
    """A deployment of an environment, linked to the job and pipeline that ran it.

    Its failure reason is both where it failed (with the job's name) and what
    it said: the rules count ``runner_system_failure`` as evidence of a
    repeat, never the generic ``script_failure``.
    """
    job_name, reason = record.job_name, record.failure_reason
    return Deployment(
        id=str(record.id),
        service=service,
        environment=record.environment or "",
        status=DEPLOYMENT_STATUSES[record.status],
        created_at=record.created_at,
        sha=record.sha,
        url=record.job_url or record.pipeline_url,
        description=": ".join(part for part in (job_name, reason) if part) or None,
        other_urls=tuple(url for url in (record.job_url, record.pipeline_url) if url),
        failure_signature=f"{job_name}: {reason}" if job_name and reason else None,
        failure_messages=(reason,) if reason else (),
        commit_title=record.commit_title,
    )


def job_deployment(run: DeployRun, service: str, environment: str) -> Deployment:
    """A deploy job's run as a deployment to ``environment``."""
    name, reason = run.name, run.failure_reason
    return Deployment(
        id=run.url,
        service=service,
        environment=environment,
        status=JOB_STATUSES[run.status],
        created_at=run.created_at,
        sha=run.sha,
        url=run.url,
        description=": ".join(part for part in (name, reason) if part) or None,
        other_urls=tuple(u for u in (run.url, run.pipeline_url) if u),
        failure_signature=f"{_SHARD.sub('', name)}: {reason}" if name and reason else None,
        failure_messages=(reason,) if reason else (),
        commit_title=run.commit_title,
    )


def job_environment(query: Query, settings: GitLabSettings) -> str:
    """The environment a deploy job ships to (the jobs API names none).

    --environment, else the service's first configured one, else
    production: the same fallback as GitHub's workflow runs.
    """
    configured = (settings.environments or {}).get(query.service) or ()
    return query.environment or (configured[0] if configured else DEFAULT_ENVIRONMENT)


def service_labels(issue: IssueRecord, settings: GitLabSettings) -> list[str]:
    """The services an issue's ``service::NAME`` labels assign it to."""
    return suffixes(issue.labels, settings.service_label_prefix)


def covers(issue: IssueRecord, service: str, settings: GitLabSettings) -> bool:
    """Whether a postmortem issue is about ``service``: one with no service label is."""
    services = service_labels(issue, settings)
    return not services or service in services


def references(issue: IssueRecord, settings: GitLabSettings) -> list[IssueKey]:
    """Issues a description's task list points at: #12, group/project#12, or a URL."""
    home = issue.project_path or settings.postmortem_project
    return task_references(issue.description, home, settings.url, _PATH, "-/issues")


def postmortem(
    issue: IssueRecord,
    linked: Iterable[IssueRecord],
    looked_up: Mapping[IssueKey, IssueRecord | None],
    service: str,
    settings: GitLabSettings,
    fixes: Mapping[IssueKey, tuple[Fix, ...]] | None = None,
) -> Postmortem:
    """A postmortem issue with its action items: its links, then its task list's issues,
    each done one with the ``fixes`` that closed it."""
    items: dict[IssueKey, ActionItem] = {}
    referenced = [looked_up.get(key) for key in references(issue, settings)]
    for candidate in [*linked, *referenced]:
        if candidate is not None and candidate.key not in items:
            item = action_item(candidate, settings)
            items[candidate.key] = replace(item, fixes=(fixes or {}).get(candidate.key, ()))
    return Postmortem(
        id=issue.reference,
        title=issue.title,
        state=PostmortemState.OPEN if issue.state == "opened" else PostmortemState.CLOSED,
        created_at=issue.created_at,
        service=service if service_labels(issue, settings) else None,
        url=issue.web_url,
        body=issue.description,
        action_items=tuple(items.values()),
        causes=tuple(suffixes(issue.labels, settings.cause_label_prefix)),
    )


def _declined(issue: IssueRecord, settings: GitLabSettings) -> list[str]:
    return [label for label in issue.labels if label.lower() in settings.declined_labels]


def is_done(issue: IssueRecord, settings: GitLabSettings) -> bool:
    """Closed, and not with a declined label: a lesson done, whose fix is worth asking for."""
    return issue.state != "opened" and not _declined(issue, settings)


def action_item(issue: IssueRecord, settings: GitLabSettings) -> ActionItem:
    """A linked or referenced issue as an action item; a declined label makes a closed
    one declined, and a ``team::NAME`` label names its team."""
    declined = _declined(issue, settings)
    if issue.state == "opened":
        state = ActionItemState.OPEN
    else:
        state = ActionItemState.DECLINED if declined else ActionItemState.DONE
    teams = suffixes(issue.labels, settings.team_label_prefix)
    return ActionItem(
        id=issue.reference,
        title=issue.title,
        state=state,
        created_at=issue.created_at,
        url=issue.web_url,
        due=issue.due_date,
        team=teams[0] if teams else None,
        reason=f"closed as {declined[0]}" if state is ActionItemState.DECLINED else None,
        # The issue's last closing; an unreadable one leaves it closed at an unknown time.
        closed_at=issue.closed_at if state is not ActionItemState.OPEN else None,
    )
