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

Requests: one per 100 deployments in the lookback window, one per 50
postmortems, and one per 100 task-list references outside the sub-issues.
Workflow runs add one query per 50 runs that did not succeed (and a
follow-up for a run with more than 25 jobs or a job with more than 50
steps); the default branch comes with the first postmortems page. Failed
deployments whose log URL is an Actions run add one query per 50 such runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

import requests

from deploygate.dates import format_instant, parse_api_instant, parse_instant
from deploygate.errors import SourceError
from deploygate.http import HttpClient
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    History,
    Postmortem,
    PostmortemState,
    Query,
    Usage,
)
from deploygate.sources.fields import NULL, FieldTypes, wrong_field
from deploygate.sources.github import queries, runs
from deploygate.sources.github.settings import (
    SOURCE_NAME,
    DeployWorkflow,
    GitHubSettings,
    split_repository,
)
from deploygate.sources.interface import DEFAULT_ENVIRONMENT
from deploygate.sources.markdown import task_references

PERMISSIONS = "contents: read, issues: read and deployments: read"
ACTIONS_PERMISSION = "actions: read"
"""What listing a workflow's runs needs beyond the rest."""
CHECKS_PERMISSION = "checks: read"
"""What reading a run's jobs (the check runs of its check suite) needs beyond the rest."""
RUNS_PER_PAGE = 100
SEARCH_LIMIT = 1000
"""GitHub lists at most this many runs for a filtered listing (branch, created), so a
longer history is read as several listings, each ending where the last one stopped."""

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
_REFUSALS = frozenset({"FORBIDDEN", "INSUFFICIENT_SCOPES"})


class _Refused(Exception):
    """GraphQL refused a query that only adds to the history, for want of a permission."""


_ISSUE_TYPES: FieldTypes = {
    "number": (int,),
    "title": (str,),
    "url": (str, NULL),
    "body": (str, NULL),
    "state": (str,),
    "stateReason": (str, NULL),
    "repository": (dict,),
    "milestone": (dict, NULL),
    "labels": (dict, NULL),
    "subIssues": (dict, NULL),
    "subIssuesSummary": (dict, NULL),
    "closedAt": (str, NULL),
}
"""The type of each issue field read (sub-issues and task-list look-ups have no
``subIssues`` or ``subIssuesSummary``); a missing one reads as null."""
_DEPLOYMENT_TYPES: FieldTypes = {
    "commitOid": (str, NULL),
    "environment": (str, NULL),
    "description": (str, NULL),
    "state": (str, NULL),
    "latestStatus": (dict, NULL),
    "commit": (dict, NULL),
}
_DEPLOYMENT_STATUS_TYPES: FieldTypes = {
    "description": (str, NULL),
    "logUrl": (str, NULL),
    "environmentUrl": (str, NULL),
}
_WORKFLOW_RUN_TYPES: FieldTypes = {
    "id": (int,),
    "node_id": (str,),
    "html_url": (str,),
    "created_at": (str,),
    "run_started_at": (str, NULL),
    "status": (str, NULL),
    "conclusion": (str, NULL),
    "head_sha": (str, NULL),
    "head_commit": (dict, NULL),
    "display_title": (str, NULL),
    "url": (str, NULL),
}
"""The fields of a REST workflow run that are read
(https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow)."""
_CHECK_RUN_TYPES: FieldTypes = {"id": (str,), "name": (str,), "conclusion": (str, NULL)}
_STEP_TYPES: FieldTypes = {"number": (int,), "name": (str,), "conclusion": (str, NULL)}


class GitHubSource:
    """Reads one repository's deployments and postmortems through GraphQL."""

    name = SOURCE_NAME

    def __init__(self, settings: GitHubSettings, client: HttpClient | None = None) -> None:
        self.settings = settings
        self.client = client or HttpClient(
            SOURCE_NAME,
            headers={
                "Authorization": f"bearer {settings.token}",
                "Accept": "application/vnd.github+json",
                "User-Agent": "deploygate",
            },
            secrets=(settings.token,),
            deadline=settings.deadline,
            allowed_origin=settings.graphql_url,
        )

    # -- GraphQL -----------------------------------------------------------

    def graphql(
        self,
        document: str,
        variables: Mapping[str, Any],
        *,
        missing_ok: bool = False,
        permissions: str = PERMISSIONS,
        optional: bool = False,
    ) -> dict[str, Any]:
        """Run one query; any error GitHub reports becomes a SourceError that says what to fix.

        With ``missing_ok``, NOT_FOUND errors are expected (a task list may
        name an issue that was deleted or that the token cannot see) and the
        data that did come back is used. ``permissions`` is what a refusal
        says the token needs. With ``optional``, a refusal raises
        :class:`_Refused` instead: the query only adds detail, and a token
        without that permission should still be able to judge the deploy.
        """
        for _ in range(2):  # a RATE_LIMITED answer is waited out once, when its reset is near
            response = self.client.request(
                "POST",
                self.settings.graphql_url,
                json={"query": document, "variables": variables},
                idempotent=True,
            )
            if not _rate_limited(response):
                break
            self.client.wait_for_reset(response, "GitHub GraphQL rate limit exhausted")
        if refused := _access_problem(response, "the request", permissions):
            raise self.client.fail(refused)
        if response.status_code != 200:
            raise self.client.fail(f"GitHub GraphQL answered {response.status_code}")
        try:
            payload = response.json()
        except ValueError:
            raise self.client.fail(
                "GitHub GraphQL answered with something that is not JSON"
            ) from None
        if not isinstance(payload, dict):
            raise self.client.fail("GitHub GraphQL answered with an unexpected shape")
        errors = payload.get("errors") or []
        if not isinstance(errors, list):
            raise self.client.fail(f"GitHub GraphQL answered the errors {errors!r:.60}")
        if missing_ok:
            errors = [
                e for e in errors if not (isinstance(e, dict) and e.get("type") == "NOT_FOUND")
            ]
        if errors and optional and all(_refusal(error) for error in errors):
            raise _Refused(permissions)
        if errors:
            raise self.client.fail(_graphql_error(errors, permissions))
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self.client.fail("GitHub GraphQL answered without data")
        return data

    def _repository(self, data: Mapping[str, Any], repository: str) -> dict[str, Any]:
        found = data.get("repository")
        if not isinstance(found, dict):
            raise self.client.fail(
                f"repository {repository} not found, or the token cannot read it "
                f"(it needs {PERMISSIONS})"
            )
        return found

    def _connection(self, data: Mapping[str, Any], repository: str, key: str) -> Mapping[str, Any]:
        """The ``key`` of ``repository`` in a query's answer: its deployments, issues or issue."""
        return self._object(self._repository(data, repository), key, f"repository {repository}")

    def _object(self, parent: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
        """``parent[key]``, an object the query asked for; anything else is a malformed answer."""
        found = parent.get(key)
        if not isinstance(found, dict):
            raise self.client.fail(f"GitHub answered {what} with the {key} {found!r:.40}")
        return found

    # -- Deployments -------------------------------------------------------

    def environments(self, query: Query) -> list[str] | None:
        """The environments to read: --environment, else the service's, else all."""
        if query.environment:
            return [query.environment]
        configured = (self.settings.environments or {}).get(query.service)
        return list(configured) if configured else None

    def deployments(
        self, query: Query, workflow: DeployWorkflow | None
    ) -> tuple[list[Deployment], tuple[str, ...]]:
        """Deployments inside the lookback window, newest first, a hundred a page; notices.

        A service that names its deploy workflow is read from its runs instead.
        """
        if workflow is not None:
            return self.workflow_deployments(query, workflow), ()
        owner, name = split_repository(self.settings.repository)
        variables: dict[str, Any] = {
            "owner": owner,
            "name": name,
            "environments": self.environments(query),
            "after": None,
        }
        found: list[Deployment] = []
        while True:
            data = self.graphql(queries.DEPLOYMENTS, variables)
            connection = self._connection(data, self.settings.repository, "deployments")
            nodes = self._nodes(connection, "a deployments page")
            for node in nodes:
                deployment = self._deployment(node, query.service)
                if deployment is not None and deployment.created_at >= query.since:
                    found.append(deployment)
            page = self._page_info(connection, "a deployments page")
            # An empty page is no proof of the end: follow the cursor while GitHub has one.
            past_window = bool(nodes) and self._created_at(nodes[-1]) < query.since
            if not page["hasNextPage"] or past_window:
                return self.with_failure_signatures(found)
            variables["after"] = page["endCursor"]

    def with_failure_signatures(
        self, found: list[Deployment]
    ) -> tuple[list[Deployment], tuple[str, ...]]:
        """``found``, each failed deployment whose run is known signed by its failed step; notices.

        Only failed deployments whose log (or environment) URL is an Actions
        run on this GitHub cost a request, fifty runs a query. A token
        without ``checks: read`` leaves them unsigned, with a notice: the
        deploy can still be judged, by cause labels.
        """
        run_urls = {
            deployment.id: url
            for deployment in found
            if deployment.status.failed and (url := self._actions_run(deployment)) is not None
        }
        try:
            jobs = self.run_jobs_by_url(sorted(set(run_urls.values())))
        except _Refused as refused:
            notice = (
                f"which step failed was not read from the workflow runs of {len(run_urls)} "
                f"failed deployment(s) (the token needs {refused}): they repeat by cause "
                "label only"
            )
            return found, (notice,)
        signed = []
        for deployment in found:
            failed_job = runs.first_failed(jobs.get(run_urls.get(deployment.id, ""), ()))
            signature = runs.failure_signature(failed_job)
            signed.append(
                replace(deployment, failure_signature=signature) if signature else deployment
            )
        return signed, ()

    def _actions_run(self, deployment: Deployment) -> str | None:
        """The web URL of the Actions run behind ``deployment``'s status, on this GitHub only."""
        for url in (deployment.url, *deployment.other_urls):
            match = _ACTIONS_RUN_URL.fullmatch(url or "")
            if match and match[1].lower() == self.settings.web_url.rstrip("/").lower():
                return f"{self.settings.web_url.rstrip('/')}/{match[2]}/actions/runs/{match[3]}"
        return None

    def run_jobs_by_url(self, urls: list[str]) -> dict[str, list[runs.Job]]:
        """The jobs of each run's latest attempt, by the run's web URL, fifty runs a query.

        A URL that names no run the token can see (deleted, or not a run
        after all) is left out: GitHub answers null for it, or NOT_FOUND.
        Raises :class:`_Refused` for a token without ``checks: read``.
        """
        found: dict[str, list[runs.Job]] = {}
        size = queries.RUNS_PER_JOB_LOOKUP
        for start in range(0, len(urls), size):
            chunk = urls[start : start + size]
            data = self.graphql(
                queries.run_jobs_by_url(len(chunk)),
                {f"url{index}": url for index, url in enumerate(chunk)},
                missing_ok=True,
                permissions=CHECKS_PERMISSION,
                optional=True,
            )
            for index, url in enumerate(chunk):
                node = data.get(f"run{index}")
                if isinstance(node, dict) and node.get("checkSuite"):
                    what, node_id = f"workflow run {url}", node.get("id")
                    if not isinstance(node_id, str):
                        raise self.client.fail(
                            f"GitHub answered {what} with the id {node_id!r:.40}"
                        )
                    found[url] = self._jobs(node, node_id, what)
        return found

    # -- Workflow runs -------------------------------------------------------

    def workflow_deployments(self, query: Query, workflow: DeployWorkflow) -> list[Deployment]:
        """The workflow's runs on its branch in the lookback window, as deployments.

        ``workflow.branch`` is known by now: named, or the default branch.
        The jobs of the runs that did not succeed are read once the runs are known.
        """
        if workflow.branch is None:
            raise ValueError("the deploy branch is resolved before the runs are listed")
        listed = self.workflow_runs(workflow.file, workflow.branch, query)
        jobs = self.run_jobs([run for run in listed if runs.needs_jobs(run, workflow.job)])
        environment = self.run_environment(query)
        found = []
        for run in listed:
            deployment = runs.deployment(
                run,
                jobs.get(run["id"]),
                job=workflow.job,
                service=query.service,
                environment=environment,
            )
            if deployment is not None and deployment.created_at >= query.since:
                found.append(deployment)
        return found

    def run_environment(self, query: Query) -> str:
        """A run names no environment: --environment, else the service's first, else production."""
        if query.environment:
            return query.environment
        configured = (self.settings.environments or {}).get(query.service)
        return configured[0] if configured else DEFAULT_ENVIRONMENT

    def workflow_runs(self, file: str, branch: str, query: Query) -> list[dict[str, Any]]:
        """Every run of ``file`` on ``branch`` created in the lookback window, newest first.

        GitHub stops a filtered listing at 1,000 runs; when one ends there,
        the next listing asks for the runs created up to the oldest one seen.
        """
        repository = self.settings.repository
        url = f"{self.settings.api_url}/repos/{repository}/actions/workflows/{quote(file)}/runs"
        since = format_instant(query.since)
        found: dict[int, dict[str, Any]] = {}
        created = f">={since}"
        while True:
            params = {
                "branch": branch,
                "created": created,
                "per_page": str(RUNS_PER_PAGE),
                "exclude_pull_requests": "true",
            }
            what = f"the runs of workflow {file} in {repository}"
            listed = [
                self._workflow_run(run)
                for page in self.rest_pages(
                    url,
                    params,
                    what=what,
                    not_found=f"workflow {file} not found in {repository} (looked for "
                    f".github/workflows/{file}; check [services.{query.service}] workflow)",
                )
                for run in self._items(page, "workflow_runs", what)
            ]
            fresh = [run for run in listed if run["id"] not in found]
            found.update((run["id"], run) for run in fresh)
            if len(listed) < SEARCH_LIMIT or not fresh:
                return sorted(found.values(), key=_run_order, reverse=True)
            created = f"{since}..{listed[-1]['created_at']}"

    def run_jobs(self, listed: list[dict[str, Any]]) -> dict[int, list[runs.Job]]:
        """The jobs of each run's latest attempt, by run id, fifty runs a query.

        The queries go one after another: there is rarely more than one, and
        GitHub's secondary limits punish concurrent GraphQL requests.
        """
        found: dict[int, list[runs.Job]] = {}
        size = queries.RUNS_PER_JOB_LOOKUP
        for start in range(0, len(listed), size):
            chunk = listed[start : start + size]
            data = self.graphql(
                queries.RUN_JOBS,
                {"ids": [run["node_id"] for run in chunk]},
                permissions=CHECKS_PERMISSION,
            )
            nodes = data.get("nodes")
            if not isinstance(nodes, list) or len(nodes) != len(chunk):
                raise self.client.fail(
                    f"GitHub answered the jobs of {len(chunk)} workflow run(s) with the nodes "
                    f"{nodes!r:.60}"
                )
            # GitHub answers nodes(ids:) in the order of the ids.
            for run, node in zip(chunk, nodes, strict=True):
                what = f"workflow run {run['html_url']}"
                if not isinstance(node, dict):
                    raise self.client.fail(f"GitHub answered the jobs of {what} with {node!r:.40}")
                found[run["id"]] = self._jobs(node, run["node_id"], what)
        return found

    def _jobs(self, run: Mapping[str, Any], node_id: str, what: str) -> list[runs.Job]:
        """A WorkflowRun node's jobs: its check suite's check runs, every page of them."""
        suite = self._object(run, "checkSuite", what)
        check_runs = self._every_check_run(self._object(suite, "checkRuns", what), node_id, what)
        return [runs.job_from_check_run(check_run) for check_run in check_runs]

    def _every_check_run(
        self, connection: Mapping[str, Any], node_id: str, what: str
    ) -> list[dict[str, Any]]:
        """A run's check runs with all their steps, read on where a page held only some."""
        page_of = f"the jobs of {what}"
        check_runs = self._nodes(connection, page_of)
        page = self._page_info(connection, page_of)
        while page["hasNextPage"]:
            variables = {"id": node_id, "after": page["endCursor"]}
            data = self.graphql(queries.MORE_CHECK_RUNS, variables, permissions=CHECKS_PERMISSION)
            suite = self._object(self._object(data, "node", what), "checkSuite", what)
            more = self._object(suite, "checkRuns", what)
            check_runs += self._nodes(more, page_of)
            page = self._page_info(more, page_of)
        return [self._with_every_step(check_run, what) for check_run in check_runs]

    def _with_every_step(self, check_run: dict[str, Any], what: str) -> dict[str, Any]:
        """The check run (a job of ``what``) with all its steps, once it has GitHub's types.

        The failed step may lie past the first page.
        """
        job = f"job {check_run.get('name')!r:.40} of {what}"
        self._check_fields(check_run, _CHECK_RUN_TYPES, job)
        self._check_conclusion(check_run, job)
        steps = self._object(check_run, "steps", job)
        nodes = self._steps(steps, job)
        page = self._page_info(steps, f"the steps of {job}")
        while page["hasNextPage"]:
            variables = {"id": check_run["id"], "after": page["endCursor"]}
            data = self.graphql(queries.MORE_STEPS, variables, permissions=CHECKS_PERMISSION)
            more = self._object(self._object(data, "node", job), "steps", job)
            nodes += self._steps(more, job)
            page = self._page_info(more, f"the steps of {job}")
        return {**check_run, "steps": {"nodes": nodes}}

    def _steps(self, connection: Mapping[str, Any], job: str) -> list[dict[str, Any]]:
        """The steps of one page of ``job``'s steps, each with GitHub's types."""
        nodes = connection.get("nodes")
        if not isinstance(nodes, (list, NULL)):
            raise self.client.fail(f"GitHub answered {job} with the steps {nodes!r:.40}")
        steps = []
        for step in nodes or ():
            if step is None:
                continue
            if not isinstance(step, dict):
                raise self.client.fail(f"GitHub answered {job} with the step {step!r:.40}")
            name = f"step {step.get('number')!r:.20} of {job}"
            self._check_fields(step, _STEP_TYPES, name)
            self._check_conclusion(step, name)
            steps.append(step)
        return steps

    def _check_conclusion(self, record: Mapping[str, Any], name: str) -> None:
        """Refuse a job's or a step's conclusion that CheckConclusionState does not have."""
        conclusion = record.get("conclusion")
        if conclusion is not None and conclusion not in runs.CHECK_CONCLUSIONS:
            raise self.client.fail(
                f"GitHub answered {name} with the conclusion {conclusion!r:.40}, "
                "which GitHub does not document"
            )

    def _items(self, page: object, key: str, what: str) -> list[dict[str, Any]]:
        """The records of one REST listing page (``{"total_count": n, key: [...]}``)."""
        items = page.get(key) if isinstance(page, dict) else None
        if not isinstance(items, list):
            raise self.client.fail(f"GitHub answered the listing of {what} without {key}")
        return [item for item in items if isinstance(item, dict)]

    def _workflow_run(self, run: dict[str, Any]) -> dict[str, Any]:
        """``run`` itself, once every field read from it has the type GitHub documents."""
        name = _run_name(run)
        self._check_fields(run, _WORKFLOW_RUN_TYPES, name)
        if not run["html_url"]:
            raise self.client.fail(f"GitHub answered {name} without an html_url")
        # runs.deployment reads run_started_at when it is set, else created_at.
        instants = {
            "created_at": run["created_at"],
            "run_started_at": run.get("run_started_at") or None,
        }
        for key, value in instants.items():
            try:
                parse_api_instant(value)
            except ValueError:
                raise self.client.fail(
                    f"GitHub answered {name} with the {key} {value!r:.40}"
                ) from None
        return run

    def rest_pages(
        self, url: str, params: Mapping[str, str], *, what: str, not_found: str
    ) -> Iterator[Any]:
        """Each page of a REST listing, following its Link header; errors say what to fix.

        The next page's URL comes from GitHub, and the client refuses any
        origin but the configured one, so the token never follows a link away.
        """
        next_url: str | None = url
        next_params: Mapping[str, str] | None = params
        while next_url:
            response = self.client.request("GET", next_url, params=next_params)
            if refused := _access_problem(response, f"to list {what}", ACTIONS_PERMISSION):
                raise self.client.fail(refused)
            if response.status_code == 404:
                raise self.client.fail(not_found)
            if response.status_code != 200:
                raise self.client.fail(f"GitHub answered {response.status_code} to listing {what}")
            try:
                yield response.json()
            except ValueError:
                raise self.client.fail(
                    f"GitHub answered with something that is not JSON when listing {what}"
                ) from None
            next_url = response.links.get("next", {}).get("url")
            next_params = None  # the link carries the query

    def _nodes(self, connection: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
        """A connection's records; ``nodes`` that is not a list would read as "none" and pass."""
        nodes = connection.get("nodes")
        if nodes is None:
            return []
        if not isinstance(nodes, list):
            raise self.client.fail(f"GitHub answered {what} whose nodes are not a list")
        return [node for node in nodes if isinstance(node, dict)]

    def _page_info(self, connection: Mapping[str, Any], what: str) -> Mapping[str, Any]:
        """A connection's pageInfo; without one, where the listing ends is unknown.

        A page that says more follows carries the cursor to ask for it.
        """
        page = connection.get("pageInfo")
        if (
            not isinstance(page, dict)
            or not isinstance(page.get("hasNextPage"), bool)
            or (page["hasNextPage"] and not isinstance(page.get("endCursor"), str))
        ):
            raise self.client.fail(f"GitHub answered {what} with the pageInfo {page!r:.60}")
        return page

    def _check_types(self, node: Mapping[str, Any], types: FieldTypes) -> None:
        """Refuse a field of a deployment or an issue of the wrong type, naming both."""
        self._check_fields(node, types, _record_name(node))

    def _check_part(self, node: Mapping[str, Any], part: str, types: FieldTypes) -> None:
        """Refuse a field of ``node[part]`` (an object, or null) of the wrong type."""
        if wrong := wrong_field(node.get(part) or {}, types):
            field, value = wrong
            raise self.client.fail(
                f"GitHub answered {_record_name(node)} with the {part}.{field} {value!r:.40}"
            )

    def _check_fields(self, record: Mapping[str, Any], types: FieldTypes, name: str) -> None:
        """Refuse a field of the wrong type, naming the record (as ``name``) and the field."""
        if wrong := wrong_field(record, types):
            field, value = wrong
            raise self.client.fail(f"GitHub answered {name} with the {field} {value!r:.40}")

    def _check_issue(self, node: dict[str, Any]) -> dict[str, Any]:
        """``node`` itself, once it and its sub-issues have the types GitHub's schema gives."""
        self._check_types(node, _ISSUE_TYPES)
        self._check_part(node, "repository", {"nameWithOwner": (str, NULL)})
        self._check_part(node, "subIssuesSummary", {"total": (int, NULL)})
        labels = (node.get("labels") or {}).get("nodes")
        if not isinstance(labels, (list, NULL)) or not all(
            isinstance(label, dict) and isinstance(label.get("name"), str) for label in labels or ()
        ):
            raise self.client.fail(
                f"GitHub answered {_record_name(node)} with the labels {labels!r:.40}"
            )
        try:
            parse_api_instant(node.get("closedAt"))
        except ValueError:
            raise self.client.fail(
                f"GitHub answered {_record_name(node)} with the closedAt "
                f"{node.get('closedAt')!r:.40}"
            ) from None
        for sub_issue in self._nodes(node.get("subIssues") or {}, "sub-issues"):
            self._check_issue(sub_issue)
        return node

    def _url(self, node: Mapping[str, Any]) -> str | None:
        """A record's web URL; anything but a string is a malformed answer."""
        url = node.get("url")
        if url is None or isinstance(url, str):
            return url
        raise self.client.fail(
            f"GitHub answered issue {_repository_of(node)}#{node.get('number')} with the url "
            f"{url!r:.40}"
        )

    def _created_at(self, node: Mapping[str, Any]) -> datetime:
        """A record's creation time; a record without one cannot be judged, so the source fails."""
        try:
            return parse_instant(str(node.get("createdAt")))
        except ValueError:
            raise self.client.fail(
                f"GitHub answered {_record_name(node)} without a valid createdAt "
                f"({node.get('createdAt')!r:.40})"
            ) from None

    def _deployment(self, node: Mapping[str, Any], service: str) -> Deployment | None:
        created_at = self._created_at(node)
        identifier = node.get("databaseId")
        if not isinstance(identifier, int):
            raise self.client.fail(
                f"GitHub answered a deployment without a databaseId ({node!r:.80})"
            )
        self._check_types(node, _DEPLOYMENT_TYPES)
        self._check_part(node, "latestStatus", _DEPLOYMENT_STATUS_TYPES)
        status = node.get("latestStatus") or {}
        log_url, environment_url = status.get("logUrl"), status.get("environmentUrl")
        api_url = (
            f"{self.settings.api_url}/repos/{self.settings.repository}/deployments/{identifier}"
        )
        return Deployment(
            id=str(identifier),
            service=service,
            environment=str(node.get("environment") or ""),
            status=_STATES.get(str(node.get("state")), DeploymentStatus.IN_PROGRESS),
            created_at=created_at,
            sha=node.get("commitOid"),
            url=log_url or environment_url or api_url,
            description=status.get("description") or node.get("description"),
            other_urls=tuple(url for url in (api_url, log_url, environment_url) if url),
            commit_title=runs.first_line((node.get("commit") or {}).get("messageHeadline")),
        )

    # -- Postmortems -------------------------------------------------------

    def postmortem_variables(self) -> dict[str, Any]:
        """The first postmortems page's variables; ``after`` moves on page by page."""
        owner, name = split_repository(self.settings.postmortem_repository)
        return {
            "owner": owner,
            "name": name,
            "labels": list(self.settings.postmortem_labels),
            "after": None,
        }

    def default_branch_and_postmortems(self) -> tuple[str, dict[str, Any]]:
        """The deploying repository's default branch, and the first postmortems page with it.

        The runs listing needs the branch before it starts, and the first
        postmortems page is asked for anyway: one request carries both.
        """
        owner, name = split_repository(self.settings.repository)
        variables = self.postmortem_variables() | {
            "withDefaultBranch": True,
            "deployingOwner": owner,
            "deployingName": name,
        }
        first_page = self.graphql(queries.POSTMORTEMS, variables)
        deploying = first_page.get("deploying")
        branch = deploying.get("defaultBranchRef") if isinstance(deploying, dict) else None
        if not isinstance(branch, dict) or not branch.get("name"):
            raise self.client.fail(
                f"repository {self.settings.repository} has no default branch; "
                "name the deploy branch in [services.NAME] branch"
            )
        return str(branch["name"]), first_page

    def postmortem_nodes(self, first_page: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every issue with a postmortem label, fifty a page, with its sub-issues.

        ``first_page`` is the answer to the first page when it was read already.
        """
        owner, name = split_repository(self.settings.postmortem_repository)
        variables = self.postmortem_variables()
        nodes: list[dict[str, Any]] = []
        data = first_page
        while True:
            if data is None:
                data = self.graphql(queries.POSTMORTEMS, variables)
            connection = self._connection(data, self.settings.postmortem_repository, "issues")
            for node in self._nodes(connection, "a postmortems page"):
                nodes.append(self._with_every_sub_issue(self._check_issue(node), owner, name))
            page = self._page_info(connection, "a postmortems page")
            if not page["hasNextPage"]:
                return nodes
            variables["after"] = page["endCursor"]
            data = None

    def _with_every_sub_issue(self, node: dict[str, Any], owner: str, name: str) -> dict[str, Any]:
        """The postmortem, its sub-issues read again in full when the page held only some."""
        total = (node.get("subIssuesSummary") or {}).get("total") or 0
        if total <= len((node.get("subIssues") or {}).get("nodes") or ()):
            return node
        variables = {"owner": owner, "name": name, "number": node["number"]}
        data = self.graphql(queries.ALL_SUB_ISSUES, variables)
        issue = self._connection(data, self.settings.postmortem_repository, "issue")
        sub_issues = self._object(issue, "subIssues", _record_name(node))
        return self._check_issue({**node, "subIssues": sub_issues})

    def lookup(self, references: list[tuple[str, int]]) -> dict[tuple[str, int], dict[str, Any]]:
        """Issues named by task lists, a hundred per request; missing ones are left out."""
        found: dict[tuple[str, int], dict[str, Any]] = {}
        for start in range(0, len(references), queries.ISSUES_PER_LOOKUP):
            chunk = references[start : start + queries.ISSUES_PER_LOOKUP]
            variables: dict[str, Any] = {}
            for index, (repository, number) in enumerate(chunk):
                owner, name = split_repository(repository)
                variables |= {
                    f"owner{index}": owner,
                    f"name{index}": name,
                    f"number{index}": number,
                }
            data = self.graphql(queries.issue_lookup(len(chunk)), variables, missing_ok=True)
            for index, key in enumerate(chunk):
                alias = data.get(f"issue{index}")
                issue = alias.get("issue") if isinstance(alias, dict) else alias
                if issue is not None and not isinstance(issue, dict):
                    raise self.client.fail(
                        f"GitHub answered the look-up of issue {key[0]}#{key[1]} with {alias!r:.40}"
                    )
                if isinstance(issue, dict):
                    found[key] = self._check_issue(issue)
        return found

    def references(self, node: Mapping[str, Any]) -> list[tuple[str, int]]:
        """The issues a postmortem's task list points at, in order, without repeats."""
        home = _repository_of(node) or self.settings.postmortem_repository
        body = str(node.get("body") or "")
        return task_references(body, home, self.settings.web_url, _REPO, "issues")

    def usage(self) -> Usage | None:
        """The requests sent so far and the rate limit the API reported."""
        return self.client.stats.usage()

    def collect(self, query: Query) -> History:
        """Deployments of the service's environments and postmortems with their lessons.

        The deployment pages and the postmortem pages do not depend on each
        other, so they are fetched side by side; the task-list lookup needs
        the postmortems and follows them. A deploy workflow without a named
        branch first needs the default branch, which the first postmortems
        page brings along, so that page is read before the runs are listed.

        Every answer is checked as it is read, so a malformed one fails the
        source (exit 3) naming the record and the field; any other exception
        is a bug in deploygate, and goes up as one (exit 4).
        """
        workflow = (self.settings.workflows or {}).get(query.service)
        first_page = None
        if workflow is not None and workflow.branch is None:
            branch, first_page = self.default_branch_and_postmortems()
            workflow = replace(workflow, branch=branch)
        with ThreadPoolExecutor(max_workers=2) as pool:
            pending_deployments = pool.submit(self.deployments, query, workflow)
            try:
                nodes = self.postmortem_nodes(first_page)
            except SourceError:
                # The deploying repository's error, if any, is the one to report; a bug
                # on either side goes up as it is.
                pending_deployments.result()
                raise
            deployments, notices = pending_deployments.result()
        referenced = {
            key
            for node in nodes
            for key in self.references(node)
            if key not in _sub_issue_keys(node)
        }
        looked_up = self.lookup(sorted(referenced))
        postmortems = [
            postmortem
            for node in nodes
            if (postmortem := self._postmortem(node, looked_up, query.service)) is not None
        ]
        return History(
            deployments=tuple(deployments), postmortems=tuple(postmortems), notices=notices
        )

    def _postmortem(
        self,
        node: Mapping[str, Any],
        looked_up: Mapping[tuple[str, int], dict[str, Any]],
        service: str,
    ) -> Postmortem | None:
        created_at = self._created_at(node)
        labels = _labels(node)
        services = [
            label.removeprefix(self.settings.service_label_prefix)
            for label in labels
            if label.startswith(self.settings.service_label_prefix)
        ]
        if services and self.settings.service_label.format(service=service) not in labels:
            return None
        items: dict[tuple[str, int], ActionItem] = {}
        sub_issues = (node.get("subIssues") or {}).get("nodes") or []
        for issue in [*sub_issues, *(looked_up.get(key) for key in self.references(node))]:
            if isinstance(issue, dict):
                item = self._action_item(issue)
                key = (_repository_of(issue) or "", int(issue.get("number") or 0))
                if item is not None and key not in items:
                    items[key] = item
        body = str(node.get("body") or "")
        return Postmortem(
            id=f"{_repository_of(node)}#{node.get('number')}",
            title=str(node.get("title") or ""),
            state=PostmortemState.OPEN if node.get("state") == "OPEN" else PostmortemState.CLOSED,
            created_at=created_at,
            service=service if services else None,
            url=self._url(node),
            body=body,
            action_items=tuple(items.values()),
            causes=tuple(
                label.removeprefix(self.settings.cause_label_prefix)
                for label in labels
                if label.startswith(self.settings.cause_label_prefix)
            ),
        )

    def _action_item(self, issue: Mapping[str, Any]) -> ActionItem | None:
        created_at = self._created_at(issue)
        if issue.get("state") not in ("OPEN", "CLOSED"):
            raise self.client.fail(
                f"GitHub answered issue {issue.get('url')} with the state {issue.get('state')!r}"
            )
        reason = _DECLINED_REASONS.get(str(issue.get("stateReason")))
        if issue.get("state") == "OPEN":
            state = ActionItemState.OPEN
        else:
            state = ActionItemState.DECLINED if reason else ActionItemState.DONE
        teams = [
            label.removeprefix(self.settings.team_label_prefix)
            for label in _labels(issue)
            if label.startswith(self.settings.team_label_prefix)
        ]
        return ActionItem(
            id=f"{_repository_of(issue)}#{issue.get('number')}",
            title=str(issue.get("title") or ""),
            state=state,
            created_at=created_at,
            url=self._url(issue),
            due=_due(issue),
            team=teams[0] if teams else None,
            reason=reason if state is ActionItemState.DECLINED else None,
            closed_at=_closed_at(issue) if state is not ActionItemState.OPEN else None,
        )


def _run_order(run: Mapping[str, Any]) -> tuple[str, int]:
    return (str(run.get("created_at")), int(run["id"]))


def _labels(node: Mapping[str, Any]) -> list[str]:
    return [
        str(label.get("name"))
        for label in ((node.get("labels") or {}).get("nodes") or ())
        if isinstance(label, dict)
    ]


def _repository_of(node: Mapping[str, Any]) -> str | None:
    repository = node.get("repository") or {}
    return repository.get("nameWithOwner") if isinstance(repository, dict) else None


def _record_name(node: Mapping[str, Any]) -> str:
    """How a message names a deployment or an issue, so that a person can go and look at it."""
    if "databaseId" in node:
        return f"deployment {node.get('databaseId')!r:.40}"
    url = node.get("url")
    name = f"issue {_repository_of(node)}#{node.get('number')!r:.20}"
    return f"{name} ({url})" if isinstance(url, str) else name


def _run_name(run: Mapping[str, Any]) -> str:
    """How a message names a workflow run: by its web page, else by its id."""
    url = run.get("html_url")
    return f"workflow run {url if isinstance(url, str) and url else repr(run.get('id'))[:40]}"


def _sub_issue_keys(node: Mapping[str, Any]) -> set[tuple[str, int]]:
    return {
        (_repository_of(issue) or "", int(issue.get("number") or 0))
        for issue in ((node.get("subIssues") or {}).get("nodes") or ())
        if isinstance(issue, dict)
    }


def _due(issue: Mapping[str, Any]) -> date | None:
    """The milestone's due date, else a ``Due: YYYY-MM-DD`` line in the body."""
    milestone = issue.get("milestone")
    due_on = milestone.get("dueOn") if isinstance(milestone, dict) else None
    if due_on:
        try:
            return parse_instant(str(due_on)).date()
        except ValueError:
            pass
    match = _DUE_LINE.search(str(issue.get("body") or ""))
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            return None
    return None


def _closed_at(issue: Mapping[str, Any]) -> datetime | None:
    """When a closed issue was closed, as :meth:`GitHubSource._check_issue` let it through.

    ``closedAt`` is the last closing (a reopened and closed issue counts from then on).
    See https://docs.github.com/en/graphql/reference/objects#issue
    """
    return parse_api_instant(issue.get("closedAt"))


def _rate_limited(response: requests.Response) -> bool:
    """GraphQL's primary rate limit: HTTP 200 with a RATE_LIMITED error."""
    try:
        payload = response.json()
    except ValueError:
        return False
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return isinstance(errors, list) and any(
        isinstance(error, dict) and error.get("type") == "RATE_LIMITED" for error in errors
    )


def _refusal(error: object) -> bool:
    return isinstance(error, dict) and error.get("type") in _REFUSALS


def _access_problem(response: requests.Response, refused: str, permissions: str) -> str | None:
    """What a 401 or a 403 means, for the person at the terminal; None for any other status.

    ``refused`` is what GitHub refused ("the request", "to list ..."), and
    ``permissions`` what the token needs for it.
    """
    if response.status_code == 401:
        return "GitHub rejected the token (401 Bad credentials); check GITHUB_TOKEN"
    if response.status_code == 403:
        return (
            f"GitHub refused {refused} (403: {_message(response)}); the token needs {permissions}"
        )
    return None


def _message(response: requests.Response) -> str:
    """The ``message`` of GitHub's error answer, or nothing when it sent none."""
    try:
        payload = response.json()
    except ValueError:
        return ""
    return str(payload.get("message", ""))[:200] if isinstance(payload, dict) else ""


def _graphql_error(errors: list[Any], permissions: str) -> str:
    first = errors[0] if isinstance(errors[0], dict) else {}
    kind = first.get("type")
    message = str(first.get("message", "unknown error"))[:300]
    if kind == "NOT_FOUND":
        return f"{message} (not found, or the token cannot read it; it needs {permissions})"
    if kind in _REFUSALS:
        return f"{message} (the token needs {permissions})"
    return f"GitHub GraphQL error: {message}"
