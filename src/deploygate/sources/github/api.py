"""GitHub's APIs over deploygate's HttpClient: the only GitHub code that sees HTTP.

It sends the GraphQL queries (:mod:`.queries`) and the REST listings, follows
their pages, waits out a GraphQL rate limit once, and says what an HTTP error
(401, 403, 404, any other) means for the person at the terminal. Each answer
is decoded by :mod:`.records` as it arrives, so what leaves this module is
typed records, and a malformed answer fails the source (exit 3) naming the
record and the field.

Requests: one per 100 deployments in the lookback window, one per 50
postmortems, and one per 100 task-list references outside the sub-issues.
Workflow runs add one query per 50 runs that did not succeed (and a
follow-up for a run with more than 25 jobs or a job with more than 50
steps); the default branch comes with the first postmortems page. Failed
deployments whose log URL is an Actions run add one query per 50 such runs.
An older Enterprise Server that refuses the first postmortems query adds two
(that query and one introspection of ``Issue``), once per run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from deploygate.dates import format_instant, parse_instant
from deploygate.errors import SourceError
from deploygate.http import HttpClient, decoded
from deploygate.model import Usage
from deploygate.sources.github import queries, records
from deploygate.sources.github.queries import IssueSchema
from deploygate.sources.github.records import (
    CheckRun,
    DeploymentRecord,
    IssueKey,
    IssueRecord,
    Job,
    Malformed,
    PostmortemRecord,
    WorkflowRun,
)
from deploygate.sources.github.settings import SOURCE_NAME, GitHubSettings, split_repository

PERMISSIONS = "contents: read, issues: read and deployments: read"
ACTIONS_PERMISSION = "actions: read"
"""What listing a workflow's runs needs beyond the rest."""
CHECKS_PERMISSION = "checks: read"
"""What reading a run's jobs (the check runs of its check suite) needs beyond the rest."""
RUNS_PER_PAGE = 100
SEARCH_LIMIT = 1000
"""GitHub lists at most this many runs for a filtered listing (branch, created), so a
longer history is read as several listings, each ending where the last one stopped."""
_REFUSALS = frozenset({"FORBIDDEN", "INSUFFICIENT_SCOPES"})

Decoded = TypeVar("Decoded")


class Refused(Exception):
    """GraphQL refused a query that only adds to the history, for want of a permission."""


class DocumentRefused(SourceError):
    """GraphQL answered a query with errors and no data: it did not run the document at all,
    as a server does with a field or an argument its schema lacks."""


class GitHubApi:
    """One repository's GitHub, read through GraphQL and REST, answered in records."""

    def __init__(self, settings: GitHubSettings, client: HttpClient | None = None) -> None:
        self.settings = settings
        self.issue_schema: IssueSchema | None = None
        """What this GitHub's ``Issue`` offers, once a server refused github.com's queries."""
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

    def usage(self) -> Usage | None:
        """The requests sent so far and the rate limit the API reported."""
        return self.client.stats.usage()

    def fail(self, problem: str) -> SourceError:
        """The source's error (exit 3), with the token taken out of ``problem``."""
        return self.client.fail(problem)

    def decoded(self, decode: Callable[..., Decoded], *answer: Any) -> Decoded:
        """``decode(*answer)``; a malformed answer fails the source, naming record and field."""
        try:
            return decode(*answer)
        except Malformed as malformed:
            raise self.fail(str(malformed)) from None

    # -- Transport -------------------------------------------------------------------

    def graphql(
        self,
        document: str,
        variables: Mapping[str, Any],
        *,
        missing_ok: bool = False,
        overflow_ok: bool = False,
        permissions: str = PERMISSIONS,
        optional: bool = False,
    ) -> dict[str, Any]:
        """Run one query; any error GitHub reports becomes a SourceError that says what to fix.

        With ``missing_ok``, NOT_FOUND errors are expected (a task list may
        name an issue that was deleted or that the token cannot see) and the
        data that did come back is used. With ``overflow_ok``, an error on a
        ``databaseId`` is expected (a number past GraphQL's 32-bit ``Int``,
        answered as null: :func:`.records.deployment_number` reads it from the
        node id instead). ``permissions`` is what a refusal
        says the token needs. With ``optional``, a refusal raises
        :class:`Refused` instead: the query only adds detail, and a token
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
            raise self.fail(refused)
        if response.status_code != 200:
            raise self.fail(f"GitHub GraphQL answered {response.status_code}")
        try:
            payload = decoded(response)
        except ValueError:
            raise self.fail("GitHub GraphQL answered with something that is not JSON") from None
        if not isinstance(payload, dict):
            raise self.fail("GitHub GraphQL answered with an unexpected shape")
        errors = payload.get("errors") or []
        if not isinstance(errors, list):
            raise self.fail(f"GitHub GraphQL answered the errors {errors!r:.60}")
        if missing_ok:
            errors = [
                e for e in errors if not (isinstance(e, dict) and e.get("type") == "NOT_FOUND")
            ]
        if overflow_ok:
            errors = [e for e in errors if not _on_database_id(e)]
        if errors and optional and all(_refusal(error) for error in errors):
            raise Refused(permissions)
        if errors and payload.get("data") is None:
            problem = self.fail(_graphql_error(errors, permissions)).problem
            raise DocumentRefused(SOURCE_NAME, problem)
        if errors:
            raise self.fail(_graphql_error(errors, permissions))
        data = payload.get("data")
        if not isinstance(data, dict):
            raise self.fail("GitHub GraphQL answered without data")
        return data

    def issue_query(
        self,
        document: Callable[[IssueSchema], str],
        variables: Mapping[str, Any],
        *,
        missing_ok: bool = False,
    ) -> dict[str, Any]:
        """Run the issue query ``document`` writes for what this GitHub's ``Issue`` offers.

        The queries ask for github.com's schema first, so a check against
        github.com or a recent Enterprise Server costs no request more. An
        older Enterprise Server refuses such a document whole (errors, no
        data: a field or an argument it lacks); it is then asked, once per
        run, what ``Issue`` offers (:data:`.queries.ISSUE_SCHEMA`), and the
        query goes again without what is missing. Every later query is
        written for what was learnt. Where nothing is missing, or the server
        will not say, the refusal stands: it was about something else.
        """
        schema = self.issue_schema or queries.CURRENT
        try:
            return self.graphql(document(schema), variables, missing_ok=missing_ok)
        except DocumentRefused as refusal:
            if self.issue_schema is not None:
                raise
            try:
                answer = self.graphql(queries.ISSUE_SCHEMA, {})
            except SourceError:
                raise refusal from None
            self.issue_schema = self.decoded(records.issue_schema, answer)
            if self.issue_schema == queries.CURRENT:
                raise
        return self.graphql(document(self.issue_schema), variables, missing_ok=missing_ok)

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
                raise self.fail(refused)
            if response.status_code == 404:
                raise self.fail(not_found)
            if response.status_code != 200:
                raise self.fail(f"GitHub answered {response.status_code} to listing {what}")
            try:
                yield decoded(response)
            except ValueError:
                raise self.fail(
                    f"GitHub answered with something that is not JSON when listing {what}"
                ) from None
            next_url = response.links.get("next", {}).get("url")
            next_params = None  # the link carries the query

    def _connection(self, data: Mapping[str, Any], repository: str, key: str) -> Mapping[str, Any]:
        """The ``key`` of ``repository`` in a query's answer: its deployments, issues or issue."""
        found = data.get("repository")
        if not isinstance(found, dict):
            raise self.fail(
                f"repository {repository} not found, or the token cannot read it "
                f"(it needs {PERMISSIONS})"
            )
        return self.decoded(records.part, found, key, f"repository {repository}")

    # -- Deployments -------------------------------------------------------------------

    def deployments(
        self, environments: list[str] | None, since: datetime
    ) -> list[DeploymentRecord]:
        """The repository's deployments, newest first, a hundred a page, back to ``since``.

        The last page may reach past ``since``; the caller keeps what it wants.
        """
        owner, name = split_repository(self.settings.repository)
        variables: dict[str, Any] = {
            "owner": owner,
            "name": name,
            "environments": environments,
            "after": None,
        }
        found: list[DeploymentRecord] = []

        def page_after(cursor: str | None) -> dict[str, Any]:
            return self.graphql(
                queries.DEPLOYMENTS, {**variables, "after": cursor}, overflow_ok=True
            )

        data = page_after(None)
        with ThreadPoolExecutor(max_workers=1) as ahead:
            while True:
                connection = self._connection(data, self.settings.repository, "deployments")
                # The next page is asked for before this one is decoded, when the raw page
                # already shows it is needed: decoding then costs no time between round trips.
                ahead_cursor = _inside_window_cursor(connection, since)
                pending = ahead.submit(page_after, ahead_cursor) if ahead_cursor else None
                page = self.decoded(records.deployments_page, connection)
                found += page.records
                # An empty page is no proof of the end: follow the cursor while GitHub has one.
                past_window = bool(page.records) and page.records[-1].created_at < since
                if page.next_cursor is None or past_window:
                    return found
                same = pending is not None and ahead_cursor == page.next_cursor
                data = pending.result() if pending and same else page_after(page.next_cursor)

    def deployment_environments(self, since: datetime) -> list[str]:
        """The environments of the repository's newest hundred deployments back to ``since``:
        one request, asked only when the environment checked had none."""
        owner, name = split_repository(self.settings.repository)
        variables = {"owner": owner, "name": name, "environments": None, "after": None}
        data = self.graphql(queries.DEPLOYMENTS, variables, overflow_ok=True)
        connection = self._connection(data, self.settings.repository, "deployments")
        page = self.decoded(records.deployments_page, connection)
        return sorted(
            {
                record.environment
                for record in page.records
                if record.environment and record.created_at >= since
            }
        )

    def jobs_by_url(self, urls: Sequence[str]) -> dict[str, list[Job]]:
        """The jobs of each run's latest attempt, by the run's web URL, fifty runs a query.

        A URL that names no run the token can see (deleted, or not a run
        after all) is left out: GitHub answers null for it, or NOT_FOUND.
        Raises :class:`Refused` for a token without ``checks: read``.
        """
        found: dict[str, list[Job]] = {}
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
                        raise self.fail(f"GitHub answered {what} with the id {node_id!r:.40}")
                    found[url] = self._jobs(node, node_id, what)
        return found

    # -- Postmortems -------------------------------------------------------------------

    def _postmortem_variables(self) -> dict[str, Any]:
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
        variables = self._postmortem_variables() | {
            "withDefaultBranch": True,
            "deployingOwner": owner,
            "deployingName": name,
        }
        first_page = self.issue_query(queries.postmortems, variables)
        branch = records.default_branch(first_page)
        if branch is None:
            raise self.fail(
                f"repository {self.settings.repository} has no default branch; "
                "name the deploy branch in [services.NAME] branch"
            )
        return branch, first_page

    def postmortems(self, first_page: Mapping[str, Any] | None = None) -> list[PostmortemRecord]:
        """Every issue with a postmortem label, fifty a page, with all its sub-issues.

        ``first_page`` is the answer to the first page when it was read already.
        """
        variables = self._postmortem_variables()
        found: list[PostmortemRecord] = []
        data = first_page
        while True:
            if data is None:
                data = self.issue_query(queries.postmortems, variables)
            connection = self._connection(data, self.settings.postmortem_repository, "issues")
            page = self.decoded(records.postmortems_page, connection)
            found += (self._with_every_sub_issue(postmortem) for postmortem in page.records)
            if page.next_cursor is None:
                return found
            variables["after"] = page.next_cursor
            data = None

    def _with_every_sub_issue(self, postmortem: PostmortemRecord) -> PostmortemRecord:
        """The postmortem, its sub-issues read again in full when the page held only some."""
        if postmortem.sub_issues_complete:
            return postmortem
        owner, name = split_repository(self.settings.postmortem_repository)
        variables = {"owner": owner, "name": name, "number": postmortem.number}
        data = self.issue_query(queries.all_sub_issues, variables)
        issue = self._connection(data, self.settings.postmortem_repository, "issue")
        connection = self.decoded(records.part, issue, "subIssues", postmortem.name)
        every = self.decoded(records.sub_issues, connection)
        return replace(postmortem, sub_issues=every, sub_issues_complete=True)

    def issues(self, references: Sequence[IssueKey]) -> dict[IssueKey, IssueRecord]:
        """Issues named by task lists, a hundred per request; missing ones are left out."""
        found: dict[IssueKey, IssueRecord] = {}
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
            lookup = partial(queries.issue_lookup, len(chunk))
            data = self.issue_query(lookup, variables, missing_ok=True)
            for index, key in enumerate(chunk):
                issue = self.decoded(records.looked_up_issue, data.get(f"issue{index}"), key)
                if issue is not None:
                    found[key] = issue
        return found

    # -- Workflow runs -------------------------------------------------------------------

    def contains_all(
        self, pairs: Sequence[tuple[str, str, datetime]]
    ) -> dict[tuple[str, str], bool]:
        """Whether each head holds each commit (committed at the given time), a hundred
        pairs a query (:func:`.queries.contains`); a pair whose commit or head GitHub does
        not hold is left out, for :meth:`contains` to ask and say why."""
        owner, name = split_repository(self.settings.repository)
        answers: dict[tuple[str, str], bool] = {}
        for start in range(0, len(pairs), queries.CONTAINS_PER_QUERY):
            chunk = pairs[start : start + queries.CONTAINS_PER_QUERY]
            variables: dict[str, Any] = {"owner": owner, "name": name}
            for i, (commit, head, at) in enumerate(chunk):
                variables |= {f"commit{i}": commit, f"head{i}": head}
                variables[f"at{i}"] = format_instant(at)
            data = self.graphql(queries.contains(len(chunk)), variables, missing_ok=True)
            repository = data.get("repository")
            if not isinstance(repository, dict):
                raise self.fail(f"repository {self.settings.repository} not found")
            for i, (commit, head, _at) in enumerate(chunk):
                what = f"whether {head[:12]} holds {commit[:12]}"
                held = repository.get(f"commit{i}") is not None
                alias = repository.get(f"pair{i}") if held else None
                found = self.decoded(records.contained, alias, commit, what)
                if found is not None:
                    answers[(commit, head)] = found
        return answers

    def contains(self, commit: str, head: str) -> bool:
        """Whether ``head`` holds ``commit``: the compare of ``head...commit`` says ``behind``
        (commit is an ancestor of head) or ``identical``. ``per_page=1`` keeps the answer
        small: only its status is read, never its commit list.
        See https://docs.github.com/en/rest/commits/commits#compare-two-commits"""
        repository = self.settings.repository
        url = f"{self.settings.api_url}/repos/{repository}/compare/{quote(head)}...{quote(commit)}"
        response = self.client.request("GET", url, params={"per_page": "1"})
        if refused := _access_problem(response, "to compare commits", PERMISSIONS):
            raise self.fail(refused)
        if response.status_code == 404:
            raise self.fail(f"{repository} has no commit {commit[:12]} or {head[:12]} to compare")
        if response.status_code != 200:
            raise self.fail(f"GitHub answered {response.status_code} to comparing commits")
        try:
            status = self.decoded(records.comparison, decoded(response))
        except ValueError:
            raise self.fail("GitHub answered a compare with something that is not JSON") from None
        return status in ("behind", "identical")

    def workflow_runs(
        self, file: str, branch: str, since: datetime, service: str
    ) -> list[WorkflowRun]:
        """Every run of ``file`` on ``branch`` created since ``since``, newest first.

        GitHub stops a filtered listing at 1,000 runs; when one ends there,
        the next listing asks for the runs created up to the oldest one seen.
        ``service`` names the service whose workflow is missing, if it is.
        """
        repository = self.settings.repository
        url = f"{self.settings.api_url}/repos/{repository}/actions/workflows/{quote(file)}/runs"
        start = format_instant(since)
        found: dict[int, WorkflowRun] = {}
        created = f">={start}"
        what = f"the runs of workflow {file} in {repository}"
        not_found = (
            f"workflow {file} not found in {repository} (looked for "
            f".github/workflows/{file}; check [services.{service}] workflow)"
        )
        while True:
            params = {
                "branch": branch,
                "created": created,
                "per_page": str(RUNS_PER_PAGE),
                "exclude_pull_requests": "true",
            }
            listed = [
                self.decoded(records.workflow_run, run)
                for page in self.rest_pages(url, params, what=what, not_found=not_found)
                for run in self.decoded(records.listing, page, "workflow_runs", what)
            ]
            fresh = [run for run in listed if run.id not in found]
            found.update((run.id, run) for run in fresh)
            if len(listed) < SEARCH_LIMIT or not fresh:
                return sorted(found.values(), key=_run_order, reverse=True)
            created = f"{start}..{listed[-1].created_at}"

    def run_jobs(self, listed: Sequence[WorkflowRun]) -> dict[int, list[Job]]:
        """The jobs of each run's latest attempt, by run id, fifty runs a query.

        The queries go one after another: there is rarely more than one, and
        GitHub's secondary limits punish concurrent GraphQL requests.
        """
        found: dict[int, list[Job]] = {}
        size = queries.RUNS_PER_JOB_LOOKUP
        for start in range(0, len(listed), size):
            chunk = listed[start : start + size]
            data = self.graphql(
                queries.RUN_JOBS,
                {"ids": [run.node_id for run in chunk]},
                permissions=CHECKS_PERMISSION,
            )
            nodes = data.get("nodes")
            if not isinstance(nodes, list) or len(nodes) != len(chunk):
                raise self.fail(
                    f"GitHub answered the jobs of {len(chunk)} workflow run(s) with the nodes "
                    f"{nodes!r:.60}"
                )
            # GitHub answers nodes(ids:) in the order of the ids.
            for run, node in zip(chunk, nodes, strict=True):
                what = f"workflow run {run.html_url}"
                if not isinstance(node, dict):
                    raise self.fail(f"GitHub answered the jobs of {what} with {node!r:.40}")
                found[run.id] = self._jobs(node, run.node_id, what)
        return found

    def _jobs(self, run: Mapping[str, Any], node_id: str, what: str) -> list[Job]:
        """A WorkflowRun node's jobs: its check suite's check runs, every page of them."""
        page = self.decoded(records.run_check_runs, run, what)
        check_runs = list(page.records)
        while page.next_cursor is not None:
            variables = {"id": node_id, "after": page.next_cursor}
            data = self.graphql(queries.MORE_CHECK_RUNS, variables, permissions=CHECKS_PERMISSION)
            page = self.decoded(records.more_check_runs, data, what)
            check_runs += page.records
        return [self._with_every_step(check_run) for check_run in check_runs]

    def _with_every_step(self, check_run: CheckRun) -> Job:
        """The job a check run reports, every step read: the failed one may be on a later page."""
        more: tuple[records.NumberedStep, ...] = ()
        cursor = check_run.steps.next_cursor
        while cursor is not None:
            variables = {"id": check_run.id, "after": cursor}
            data = self.graphql(queries.MORE_STEPS, variables, permissions=CHECKS_PERMISSION)
            page = self.decoded(records.more_steps, data, check_run.label)
            more += page.records
            cursor = page.next_cursor
        return records.job(check_run, more)


def _inside_window_cursor(connection: Mapping[str, Any], since: datetime) -> str | None:
    """The next page's cursor when the raw page says there is one and its last deployment is
    still inside the window; None when that is not plain (the decoded page then decides)."""
    page = connection.get("pageInfo")
    nodes = connection.get("nodes")
    if not isinstance(page, dict) or page.get("hasNextPage") is not True:
        return None
    cursor = page.get("endCursor")
    last = nodes[-1] if isinstance(nodes, list) and nodes else None
    created = last.get("createdAt") if isinstance(last, dict) else None
    if not isinstance(cursor, str) or not cursor or not isinstance(created, str):
        return None
    try:
        inside = parse_instant(created) >= since
    except ValueError:
        return None
    return cursor if inside else None


def _run_order(run: WorkflowRun) -> tuple[str, int]:
    return (run.created_at, run.id)


def _rate_limited(response: requests.Response) -> bool:
    """GraphQL's primary rate limit: HTTP 200 with a RATE_LIMITED error."""
    try:
        payload = decoded(response)
    except ValueError:
        return False
    errors = payload.get("errors") if isinstance(payload, dict) else None
    return isinstance(errors, list) and any(
        isinstance(error, dict) and error.get("type") == "RATE_LIMITED" for error in errors
    )


def _on_database_id(error: object) -> bool:
    """An error on a ``databaseId`` field, as a spec-conforming server answers a number
    past 2**31 ("Int cannot represent non 32-bit signed integer value"): the field is
    null, and the rest of the answer stands (https://spec.graphql.org/October2021/#sec-Int)."""
    path = error.get("path") if isinstance(error, dict) else None
    return isinstance(path, list) and bool(path) and path[-1] == "databaseId"


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
        payload = decoded(response)
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
