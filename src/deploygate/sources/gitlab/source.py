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
- A record that cannot be read (no id, no valid created_at, an unknown state)
  fails the source (exit 3) with a line naming it: skipping it would let the
  gate decide, silently, on what was left.

python-gitlab's defaults do not suit a gate: no timeout, unbounded waits on
429, the first page only, and pagination links followed to whatever host
they name. Here it gets our :class:`HttpClient` as its session (timeouts,
bounded retries, one deadline, and no request to any other host).
See https://python-gitlab.readthedocs.io/en/stable/api-usage-advanced.html

python-gitlab builds the URLs, sends the token and turns HTTP errors into
exceptions (:func:`_status_problem` says what they mean). Its objects are
not used to read answers: they raise TypeError or AttributeError from inside
python-gitlab on a record whose id is null, which only a blanket catch could
tell from a bug. Each answer is decoded here instead, so a malformed one
fails the source (exit 3) naming the listing or the record, and any other
exception is a bug in deploygate (exit 4).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import requests

from deploygate.dates import format_instant, parse_api_date, parse_api_instant, parse_instant
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
from deploygate.sources.gitlab.settings import SCOPES, SOURCE_NAME, DeployJob, GitLabSettings
from deploygate.sources.interface import DEFAULT_ENVIRONMENT
from deploygate.sources.markdown import task_references

LOOKUPS_IN_FLIGHT = 8
PER_PAGE = 100
_PATH = r"[A-Za-z0-9_.][A-Za-z0-9_./-]*[A-Za-z0-9_]"

_DEPLOYMENT_STATUSES = {
    "success": DeploymentStatus.SUCCESS,
    "failed": DeploymentStatus.FAILURE,
    "canceled": DeploymentStatus.CANCELLED,
    "skipped": DeploymentStatus.CANCELLED,
    "created": DeploymentStatus.IN_PROGRESS,
    "running": DeploymentStatus.IN_PROGRESS,
    "blocked": DeploymentStatus.IN_PROGRESS,
}
"""A GitLab deployment's status to ours (``Deployment.statuses`` in GitLab)."""

_JOB_STATUSES = {"success": DeploymentStatus.SUCCESS, "failed": DeploymentStatus.FAILURE}
"""The job statuses asked for (``scope[]``), each an outcome of a deploy."""
_PARALLEL_SUFFIX = re.compile(r" \d+/\d+|: \[[^\]]*\]")
"""What GitLab appends to a job's name for ``parallel: N`` ("deploy 2/3") and
``parallel: matrix`` ("deploy: [eu, blue]").
See https://docs.gitlab.com/ci/yaml/#parallel"""
_SHARD = re.compile(r" \d+/\d+$")
"""A ``parallel: N`` copy's number: copies of one job fail alike, so a signature drops it
(a matrix variant keeps its values: another region is another deploy, as on GitHub)."""

_ISSUE_TYPES: FieldTypes = {
    "iid": (int,),
    "project_id": (int,),
    "title": (str,),
    "state": (str,),
    "labels": (list,),
    "references": (dict, NULL),
    "description": (str, NULL),
    "web_url": (str, NULL),
    "closed_at": (str, NULL),
}
"""The type of each issue field read; a missing one reads as null."""
_DEPLOYMENT_TYPES: FieldTypes = {
    "environment": (dict,),
    "deployable": (dict, NULL),
    "sha": (str, NULL),
}

if TYPE_CHECKING:
    import gitlab


class GitLabSource:
    """Reads one project's deployments and its postmortems through python-gitlab."""

    name = SOURCE_NAME

    def __init__(self, settings: GitLabSettings) -> None:
        import gitlab

        self.settings = settings
        self.session = HttpClient(
            SOURCE_NAME,
            headers={"User-Agent": "deploygate"},
            secrets=(settings.token,),
            deadline=settings.deadline,
            allowed_origin=settings.url,
        )
        self.gl = gitlab.Gitlab(
            settings.url,
            private_token=settings.token,
            session=self.session,
            retry_transient_errors=False,
        )

    # -- calls ---------------------------------------------------------------

    def _get(self, path: str, what: str, **params: Any) -> requests.Response:
        """One GET of ``path`` (under the API URL) through python-gitlab: its URL rules and
        the token; an HTTP error becomes one SourceError line that says why."""
        import gitlab

        try:
            return self.gl.http_request("get", path, **params)
        except gitlab.GitlabError as error:
            raise self.session.fail(_status_problem(what, error)) from None

    def _record(self, path: str, what: str) -> dict[str, Any]:
        """The object GitLab answers for ``path``; anything else fails the source."""
        found = self._json(self._get(path, what), what)
        if not isinstance(found, dict):
            raise self.session.fail(f"GitLab answered {what} with {found!r:.40}, not an object")
        return found

    def listing(
        self,
        manager: Any,
        what: str,
        *,
        past: Callable[[Mapping[str, Any]], bool] | None = None,
        **filters: Any,
    ) -> list[dict[str, Any]]:
        """Every item of ``manager``'s listing, a hundred a page; with ``past``, up to the
        first item it is true of. ``filters`` are query parameters, spelt as GitLab does.

        Pages follow the ``Link`` header's next URL, on the configured URL
        (a GitLab behind a proxy may name its own, python-gitlab's
        ``keep_base_url``). A proxy that strips ``Link`` would end the listing
        after page one, so a page ``X-Next-Page`` names that ``Link`` did not
        is asked for by number, once.
        See https://docs.gitlab.com/api/rest/#other-pagination-headers
        """
        found: list[dict[str, Any]] = []
        path: str = manager.path
        asked: set[int] = set()
        # The session waits out a rate limit inside the deadline; python-gitlab must not wait again.
        params = {**filters, "per_page": PER_PAGE, "obey_rate_limit": False}
        while True:
            response = self._get(path, what, **params)
            for item in self._records(response, what):
                if past is not None and past(item):
                    return found
                found.append(item)
            link = response.links.get("next", {}).get("url")
            if link:
                path = _on_base(link, self.gl.url)
                continue
            following = self._next_page(response, what)
            if following is None or following in asked:
                return found
            asked.add(following)
            path = f"{manager.path}?page={following}"

    def username(self) -> str:
        """The token's username (``GET /user``); empty when GitLab names none."""
        user = self._record("/user", "the token's user")
        username = user.get("username")
        if not isinstance(username, (str, NULL)):
            raise self.session.fail(
                f"GitLab answered the token's user with the username {username!r:.40}"
            )
        return username or ""

    def _json(self, response: requests.Response, what: str) -> object:
        try:
            return response.json()
        except ValueError:
            raise self.session.fail(
                f"GitLab answered {what} with data that cannot be read (not JSON)"
            ) from None

    def _records(self, response: requests.Response, what: str) -> list[dict[str, Any]]:
        """One listing page's records: a list of objects, or the source fails."""
        records = self._json(response, what)
        if not isinstance(records, list):
            raise self.session.fail(f"GitLab answered {what} with {records!r:.40}, not a list")
        for record in records:
            if not isinstance(record, dict):
                raise self.session.fail(f"GitLab answered {what} with the item {record!r:.40}")
        return records

    def _next_page(self, response: requests.Response, what: str) -> int | None:
        """The page ``X-Next-Page`` names, None on the last page (GitLab sends it empty)."""
        following = response.headers.get("X-Next-Page")
        if not following:
            return None
        try:
            return int(following)
        except ValueError:
            raise self.session.fail(
                f"GitLab answered {what} with the X-Next-Page {following!r:.20}"
            ) from None

    def _malformed(self, kind: str, record: Mapping[str, Any], problem: str) -> SourceError:
        """The source's failure on one record it cannot read, naming the record."""
        return self.session.fail(f"GitLab answered {_name(kind, record)} {problem}")

    def _created_at(self, kind: str, record: Mapping[str, Any]) -> datetime:
        """A record's creation time; one without cannot be judged, so the source fails."""
        created_at = _instant(record.get("created_at"))
        if created_at is None:
            raise self._malformed(
                kind, record, f"without a valid created_at ({record.get('created_at')!r:.40})"
            )
        return created_at

    def _check_types(self, kind: str, record: Mapping[str, Any], types: FieldTypes) -> None:
        """Refuse a field of the wrong type, naming the record and the field."""
        if wrong := wrong_field(record, types):
            field, value = wrong
            raise self._malformed(kind, record, f"with the {field} {value!r:.40}")

    def _check_issue(self, issue: dict[str, Any]) -> dict[str, Any]:
        """``issue`` itself, once every field read from it has the type GitLab documents."""
        self._check_types("issue", issue, _ISSUE_TYPES)
        if not all(isinstance(label, str) for label in issue["labels"]):
            raise self._malformed("issue", issue, f"with the labels {issue['labels']!r:.40}")
        references = issue.get("references")
        if references is not None and not isinstance(references.get("full"), str):
            raise self._malformed("issue", issue, f"with the references {references!r:.40}")
        for key, parse in (("due_date", parse_api_date), ("closed_at", parse_api_instant)):
            try:
                parse(issue.get(key))
            except ValueError:
                raise self._malformed(
                    "issue", issue, f"with the {key} {issue.get(key)!r:.40}"
                ) from None
        return issue

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
        project = self.gl.projects.get(self.settings.project, lazy=True)
        filters: dict[str, Any] = {
            "updated_after": format_instant(query.since),
            "order_by": "updated_at",
            "sort": "desc",
        }
        if self.settings.failed_only:
            filters["status"] = "failed"
        if environment:
            filters["environment"] = environment
        where = f"deployments of {self.settings.project}"
        found = []
        for item in self.listing(project.deployments, where, **filters):
            deployment = self._deployment(item, query.service)
            if deployment.created_at >= query.since:
                found.append(deployment)
        return found

    def _deployment(self, data: Mapping[str, Any], service: str) -> Deployment:
        identifier = data.get("id")
        if not isinstance(identifier, int) or isinstance(identifier, bool):
            raise self._malformed("deployment", data, f"whose id is {identifier!r:.40}")
        self._check_types("deployment", data, _DEPLOYMENT_TYPES)
        created_at = self._created_at("deployment", data)
        status = _status(data, _DEPLOYMENT_STATUSES)
        if status is None:
            raise self._malformed("deployment", data, f"with the status {data.get('status')!r:.40}")
        job = _mapping(data.get("deployable"))
        pipeline = _mapping(job.get("pipeline"))
        job_url, pipeline_url = _text(job.get("web_url")), _text(pipeline.get("web_url"))
        job_name, reason = _text(job.get("name")), _text(job.get("failure_reason"))
        return Deployment(
            id=str(identifier),
            service=service,
            environment=_text(_mapping(data.get("environment")).get("name")) or "",
            status=status,
            created_at=created_at,
            sha=_text(data.get("sha")),
            url=job_url or pipeline_url,
            description=": ".join(part for part in (job_name, reason) if part) or None,
            other_urls=tuple(url for url in (job_url, pipeline_url) if url),
            failure_signature=f"{job_name}: {reason}" if job_name and reason else None,
            commit_title=_text(_mapping(job.get("commit")).get("title")),
        )

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
        project = self.gl.projects.get(self.settings.project, lazy=True)
        branch = job.branch or self.settings.default_branch or self._default_branch(project)
        where = f"jobs of {self.settings.project}"
        runs = self.listing(
            project.jobs,
            where,
            past=lambda item: self._created_at("job", item) < query.since,
            **{"scope[]": list(_JOB_STATUSES)},
        )
        environment = self._job_environment(query)
        return [
            self._job_run(item, query.service, environment)
            for item in runs
            if _is_deploy_job(item.get("name"), job.name) and item.get("ref") == branch
        ]

    def _default_branch(self, project: Any) -> str:
        what = f"project {self.settings.project}"
        branch = self._record(f"{project.manager.path}/{project.encoded_id}", what).get(
            "default_branch"
        )
        if not isinstance(branch, str) or not branch:
            raise self.session.fail(
                f"{what} has no default branch to read its deploy job's runs on; "
                "set [services.NAME] branch"
            )
        return branch

    def _job_environment(self, query: Query) -> str:
        """The environment a deploy job ships to (the jobs API names none).

        --environment, else the service's first configured one, else
        production: the same fallback as GitHub's workflow runs.
        """
        configured = (self.settings.environments or {}).get(query.service) or ()
        return query.environment or (configured[0] if configured else DEFAULT_ENVIRONMENT)

    def _job_run(self, data: Mapping[str, Any], service: str, environment: str) -> Deployment:
        url = _text(data.get("web_url"))
        if url is None:
            raise self._malformed("job", data, "without a web_url")
        status = _status(data, _JOB_STATUSES)
        if status is None:
            raise self._malformed("job", data, f"with the status {data.get('status')!r:.40}")
        commit = _mapping(data.get("commit"))
        pipeline = _mapping(data.get("pipeline"))
        name, reason = _text(data.get("name")), _text(data.get("failure_reason"))
        return Deployment(
            id=url,
            service=service,
            environment=environment,
            status=status,
            created_at=self._created_at("job", data),
            sha=_text(commit.get("id")) or _text(pipeline.get("sha")),
            url=url,
            description=": ".join(part for part in (name, reason) if part) or None,
            other_urls=tuple(u for u in (url, _text(pipeline.get("web_url"))) if u),
            failure_signature=f"{_SHARD.sub('', name)}: {reason}" if name and reason else None,
            commit_title=_text(commit.get("title")),
        )

    # -- postmortems -----------------------------------------------------------

    def postmortem_issues(self) -> list[dict[str, Any]]:
        """Incidents and postmortem-labelled issues, each once, newest first."""
        project = self.gl.projects.get(self.settings.postmortem_project, lazy=True)
        where = f"issues of {self.settings.postmortem_project}"
        listing: dict[str, Any] = {"state": "all", "order_by": "created_at", "sort": "desc"}
        batches = [
            self.listing(project.issues, where, labels=label, **listing)
            for label in self.settings.postmortem_labels
        ]
        if self.settings.incidents:
            batches.append(self.listing(project.issues, where, issue_type="incident", **listing))
        found: dict[int, dict[str, Any]] = {}
        for batch in batches:
            for issue in batch:
                identifier = issue.get("id")
                if not isinstance(identifier, int) or isinstance(identifier, bool):
                    raise self._malformed("issue", issue, f"whose id is {identifier!r:.40}")
                found.setdefault(identifier, self._check_issue(issue))
        return sorted(found.values(), key=lambda issue: str(issue.get("created_at")), reverse=True)

    def references(self, issue: Mapping[str, Any]) -> list[tuple[str, int]]:
        """Issues a description's task list points at: #12, group/project#12, or a URL."""
        home = _project_path(issue) or self.settings.postmortem_project
        description = str(issue.get("description") or "")
        return task_references(description, home, self.settings.url, _PATH, "-/issues")

    def linked(self, issue: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The issues linked to one postmortem, in any project."""
        project_id, iid = issue.get("project_id"), issue.get("iid")
        if not isinstance(project_id, int) or not isinstance(iid, int):
            raise self._malformed("issue", issue, "without a numeric project_id and iid")
        project = self.gl.projects.get(project_id, lazy=True)
        postmortem = project.issues.get(iid, lazy=True)
        links = self.listing(postmortem.links, f"the links of issue {_reference(issue)}")
        return [self._check_issue(link) for link in links]

    def lookup(self, key: tuple[str, int]) -> dict[str, Any]:
        """One referenced issue."""
        path, iid = key
        project = self.gl.projects.get(path, lazy=True)
        issue = self._record(f"{project.issues.path}/{iid}", f"issue {path}#{iid}")
        return self._check_issue(issue)

    def usage(self) -> Usage | None:
        """The requests sent so far and the rate limit the API reported."""
        return self.session.stats.usage()

    def collect(self, query: Query) -> History:
        """Deployments and postmortems side by side, then each postmortem's links and references.

        The deployment listings and the postmortem listings do not depend on
        each other; within each, the listings follow one another. A malformed
        answer fails the source (exit 3) naming the listing or the record; any
        other exception is a bug in deploygate, and goes up as one (exit 4).
        """
        with ThreadPoolExecutor(max_workers=LOOKUPS_IN_FLIGHT) as pool:
            pending_deployments = pool.submit(self.deployments, query)
            try:
                issues = [
                    issue
                    for issue in self.postmortem_issues()
                    if self._covers(issue, query.service)
                ]
            except SourceError:
                # The deploying project's error, if any, is the one to report; a bug on
                # either side goes up as it is.
                pending_deployments.result()
                raise
            deployments = pending_deployments.result()
            links = list(pool.map(self.linked, issues))
            wanted = {
                key
                for issue, linked in zip(issues, links, strict=True)
                for key in self.references(issue)
                if key not in {_key(item) for item in linked}
            }
            keys = sorted(wanted)
            looked_up = dict(zip(keys, pool.map(self._lookup_quietly, keys), strict=True))
        postmortems = [
            self._postmortem(issue, linked, looked_up, query.service)
            for issue, linked in zip(issues, links, strict=True)
        ]
        return History(deployments=tuple(deployments), postmortems=tuple(postmortems))

    def _lookup_quietly(self, key: tuple[str, int]) -> dict[str, Any] | None:
        """A referenced issue, or None when it is gone or hidden (a task list may be stale)."""
        try:
            return self.lookup(key)
        except SourceError as error:
            if "(404)" in error.problem:
                return None
            raise

    def _service_labels(self, issue: Mapping[str, Any]) -> list[str]:
        prefix = self.settings.service_label_prefix
        return [label.removeprefix(prefix) for label in _labels(issue) if label.startswith(prefix)]

    def _covers(self, issue: Mapping[str, Any], service: str) -> bool:
        services = self._service_labels(issue)
        return not services or service in services

    def _postmortem(
        self,
        issue: Mapping[str, Any],
        linked: Iterable[Mapping[str, Any]],
        looked_up: Mapping[tuple[str, int], dict[str, Any] | None],
        service: str,
    ) -> Postmortem:
        created_at = self._created_at("issue", issue)
        items: dict[tuple[str, int], ActionItem] = {}
        referenced = [looked_up.get(key) for key in self.references(issue)]
        for candidate in [*linked, *referenced]:
            if candidate is not None:
                items.setdefault(_key(candidate), self._action_item(candidate))
        description = str(issue.get("description") or "")
        return Postmortem(
            id=_reference(issue),
            title=str(issue.get("title") or ""),
            state=PostmortemState.OPEN
            if issue.get("state") == "opened"
            else PostmortemState.CLOSED,
            created_at=created_at,
            service=service if self._service_labels(issue) else None,
            url=_text(issue.get("web_url")),
            body=description,
            action_items=tuple(items.values()),
            causes=tuple(
                label.removeprefix(self.settings.cause_label_prefix)
                for label in _labels(issue)
                if label.startswith(self.settings.cause_label_prefix)
            ),
        )

    def _action_item(self, issue: Mapping[str, Any]) -> ActionItem:
        created_at = self._created_at("issue", issue)
        if issue.get("state") not in ("opened", "closed"):
            raise self._malformed("issue", issue, f"with the state {issue.get('state')!r:.40}")
        labels = _labels(issue)
        declined = [label for label in labels if label.lower() in self.settings.declined_labels]
        if issue.get("state") == "opened":
            state = ActionItemState.OPEN
        else:
            state = ActionItemState.DECLINED if declined else ActionItemState.DONE
        prefix = self.settings.team_label_prefix
        teams = [label.removeprefix(prefix) for label in labels if label.startswith(prefix)]
        # The issue's last closing; an unreadable one leaves it closed at an unknown time.
        closed_at = (
            parse_api_instant(issue.get("closed_at")) if state is not ActionItemState.OPEN else None
        )
        return ActionItem(
            id=_reference(issue),
            title=str(issue.get("title") or ""),
            state=state,
            created_at=created_at,
            url=_text(issue.get("web_url")),
            due=_date(issue.get("due_date")),
            team=teams[0] if teams else None,
            reason=f"closed as {declined[0]}" if state is ActionItemState.DECLINED else None,
            closed_at=closed_at,
        )


def _is_deploy_job(name: Any, job: str) -> bool:
    """The named job, or one of its ``parallel`` copies."""
    return isinstance(name, str) and (
        name == job or (name.startswith(job) and bool(_PARALLEL_SUFFIX.fullmatch(name[len(job) :])))
    )


def _status_problem(what: str, error: gitlab.GitlabError) -> str:
    """What python-gitlab's error while reading ``what`` means, for the person at the terminal.

    python-gitlab raises GitlabAuthenticationError for a 401 and
    GitlabHttpError for any other status, each with its ``response_code``.
    """
    code = error.response_code
    if code == 401:
        return f"GitLab rejected the token (401) while reading {what}; it must be {SCOPES}"
    if code == 403:
        return f"the token may not read {what} (403); it must be {SCOPES}"
    if code == 404:
        return f"{what}: not found, or the token cannot see it (404)"
    if code is None:  # python-gitlab could not read the answer
        return f"GitLab answered {what} with data that cannot be read ({str(error)[:120]})"
    return f"GitLab answered {code} while reading {what}"


def _on_base(url: str, base: str) -> str:
    """A next-page URL moved onto the configured ``base``, as python-gitlab's
    ``keep_base_url`` moves it: a URL with ``/api`` in it keeps what follows its host.
    Any other URL stays as it is, and the session refuses it if it names another host."""
    if url.startswith(base):
        return url
    match = re.match(r"(^.*?)/api", url)
    return base + url[len(match.group(1)) :] if match else url


def _name(kind: str, record: Mapping[str, Any]) -> str:
    """How a message names a record, so that a person can go and look at it."""
    if kind == "issue":
        return f"issue {_reference(record)} {str(record.get('title') or '')!r:.60}"
    identifier = record.get("id")
    if kind == "job":
        return f"job {_text(record.get('web_url')) or repr(identifier)[:40]}"
    sha = _text(record.get("sha"))
    return f"deployment {identifier!r:.40}" + (f" of {sha[:7]}" if sha else "")


def _status(
    record: Mapping[str, Any], statuses: Mapping[str, DeploymentStatus]
) -> DeploymentStatus | None:
    """Our status for a record's ``status``; None for one not in ``statuses``, or not a string."""
    status = record.get("status")
    return statuses.get(status) if isinstance(status, str) else None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _instant(value: Any) -> datetime | None:
    try:
        return parse_instant(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    """A due date :meth:`GitLabSource._check_issue` has let through."""
    return parse_api_date(value)


def _labels(issue: Mapping[str, Any]) -> list[str]:
    labels = issue.get("labels") or []
    return [str(label) for label in labels] if isinstance(labels, list) else []


def _project_path(issue: Mapping[str, Any]) -> str | None:
    """group/project of an issue, from its full reference (group/project#12)."""
    references = issue.get("references")
    full = references.get("full") if isinstance(references, dict) else None
    return str(full).rsplit("#", 1)[0] if full else None


def _reference(issue: Mapping[str, Any]) -> str:
    return f"{_project_path(issue) or issue.get('project_id')}#{issue.get('iid')}"


def _key(issue: Mapping[str, Any]) -> tuple[str, int]:
    return (_project_path(issue) or str(issue.get("project_id")), int(issue.get("iid") or 0))
