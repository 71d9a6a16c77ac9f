"""GitLab as a source: failed deployments, incidents and postmortem issues, and their linked issues.

- Deployments: only the failed ones inside the lookback window are asked
  for (``status=failed``, ``updated_after``, newest first: GitLab's default
  order is ascending), so requests follow the number of failures, not of
  deployments.
- Postmortems: issues of type incident, and issues with a postmortem label,
  in the project or a central one; a ``service::NAME`` scoped label assigns
  one to a service, and one without belongs to every service.
- Action items: each postmortem's linked issues (any link type, any
  project) and the issues its task list references. GitLab needs one
  request per postmortem for its links; they are sent eight at a time.

python-gitlab's defaults do not suit a gate: no timeout, unbounded waits on
429, the first page only, and pagination links followed to whatever host
they name. Here it gets our :class:`HttpClient` as its session (timeouts,
bounded retries, one deadline, and no request to any other host), all
pages, and ``keep_base_url``.
See https://python-gitlab.readthedocs.io/en/stable/api-usage-advanced.html
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from typing import Any, TypeVar

from deploygate.dates import format_instant, parse_instant
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
from deploygate.sources.gitlab.settings import SCOPES, SOURCE_NAME, GitLabSettings
from deploygate.sources.markdown import lessons, task_references

LOOKUPS_IN_FLIGHT = 8
PER_PAGE = 100
_PATH = r"[A-Za-z0-9_.][A-Za-z0-9_./-]*[A-Za-z0-9_]"

T = TypeVar("T")


class GitLabSource:
    """Reads one project's failed deployments and its postmortems through python-gitlab."""

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
            keep_base_url=True,
            retry_transient_errors=False,
            per_page=PER_PAGE,
        )

    # -- calls ---------------------------------------------------------------

    def call(self, what: str, function: Callable[[], T]) -> T:
        """Run one python-gitlab call; its errors become one SourceError line that says why."""
        import gitlab

        try:
            return function()
        except gitlab.GitlabAuthenticationError:
            raise self.session.fail(
                f"GitLab rejected the token (401) while reading {what}; it must be {SCOPES}"
            ) from None
        except gitlab.GitlabError as error:
            code = error.response_code
            if code == 403:
                problem = f"the token may not read {what} (403); it must be {SCOPES}"
            elif code == 404:
                problem = f"{what}: not found, or the token cannot see it (404)"
            else:
                problem = f"GitLab answered {code} while reading {what}"
            raise self.session.fail(problem) from None

    def _list(self, manager: Any, what: str, **filters: Any) -> list[Any]:
        return self.call(
            what, lambda: list(manager.list(iterator=True, obey_rate_limit=False, **filters))
        )

    # -- deployments -----------------------------------------------------------

    def environments(self, query: Query) -> list[str | None]:
        """--environment, else the service's environments, else every environment."""
        if query.environment:
            return [query.environment]
        configured = (self.settings.environments or {}).get(query.service)
        return list(configured) if configured else [None]

    def deployments(self, query: Query) -> list[Deployment]:
        """The failed deployments of the lookback window, one filtered listing per environment."""
        project = self.gl.projects.get(self.settings.project, lazy=True)
        found: list[Deployment] = []
        for environment in self.environments(query):
            filters: dict[str, Any] = {
                "status": "failed",
                "updated_after": format_instant(query.since),
                "order_by": "updated_at",
                "sort": "desc",
            }
            if environment:
                filters["environment"] = environment
            where = f"deployments of {self.settings.project}"
            for item in self._list(project.deployments, where, **filters):
                deployment = self._deployment(item.attributes, query.service)
                if deployment is not None and deployment.created_at >= query.since:
                    found.append(deployment)
        return found

    @staticmethod
    def _deployment(data: Mapping[str, Any], service: str) -> Deployment | None:
        created_at = _instant(data.get("created_at"))
        if created_at is None or data.get("id") is None:
            return None
        job = data.get("deployable") or {}
        pipeline = job.get("pipeline") or {} if isinstance(job, dict) else {}
        environment = data.get("environment") or {}
        job_url = job.get("web_url") if isinstance(job, dict) else None
        pipeline_url = pipeline.get("web_url") if isinstance(pipeline, dict) else None
        reason = job.get("failure_reason") if isinstance(job, dict) else None
        job_name = job.get("name") if isinstance(job, dict) else None
        description = ": ".join(str(part) for part in (job_name, reason) if part) or None
        return Deployment(
            id=str(data["id"]),
            service=service,
            environment=str(environment.get("name") if isinstance(environment, dict) else ""),
            status=DeploymentStatus.FAILURE
            if data.get("status") == "failed"
            else DeploymentStatus.SUCCESS,
            created_at=created_at,
            sha=data.get("sha"),
            url=job_url or pipeline_url,
            description=description,
            other_urls=tuple(url for url in (job_url, pipeline_url) if url),
            failure_signature=f"{job_name}: {reason}" if job_name and reason else None,
        )

    # -- postmortems -----------------------------------------------------------

    def postmortem_issues(self) -> list[dict[str, Any]]:
        """Incidents and postmortem-labelled issues, each once, newest first."""
        project = self.gl.projects.get(self.settings.postmortem_project, lazy=True)
        where = f"issues of {self.settings.postmortem_project}"
        listings: dict[str, Any] = {"state": "all", "order_by": "created_at", "sort": "desc"}
        found: dict[int, dict[str, Any]] = {}
        batches = [
            self._list(project.issues, where, labels=[label], **listings)
            for label in self.settings.postmortem_labels
        ]
        if self.settings.incidents:
            batches.append(self._list(project.issues, where, issue_type="incident", **listings))
        for batch in batches:
            for issue in batch:
                found.setdefault(int(issue.attributes["id"]), issue.attributes)
        return sorted(found.values(), key=lambda issue: str(issue.get("created_at")), reverse=True)

    def references(self, issue: Mapping[str, Any]) -> list[tuple[str, int]]:
        """Issues a description's task list points at: #12, group/project#12, or a URL."""
        home = _project_path(issue) or self.settings.postmortem_project
        description = str(issue.get("description") or "")
        return task_references(description, home, self.settings.url, _PATH, "-/issues")

    def linked(self, issue: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The issues linked to one postmortem, in any project."""
        project = self.gl.projects.get(issue["project_id"], lazy=True)
        postmortem = project.issues.get(issue["iid"], lazy=True)
        where = f"the links of issue {_reference(issue)}"
        return [link.attributes for link in self._list(postmortem.links, where)]

    def lookup(self, key: tuple[str, int]) -> dict[str, Any]:
        """One referenced issue."""
        path, iid = key
        project = self.gl.projects.get(path, lazy=True)
        return dict(self.call(f"issue {path}#{iid}", lambda: project.issues.get(iid)).attributes)

    def usage(self) -> Usage | None:
        """The requests sent so far and the rate limit the API reported."""
        return self.session.stats.usage()

    def collect(self, query: Query) -> History:
        """Failed deployments of the service and its postmortems with their lessons."""
        deployments = self.deployments(query)
        issues = [issue for issue in self.postmortem_issues() if self._covers(issue, query.service)]
        with ThreadPoolExecutor(max_workers=LOOKUPS_IN_FLIGHT) as pool:
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
        return History(
            deployments=tuple(deployments),
            postmortems=tuple(postmortem for postmortem in postmortems if postmortem),
        )

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
    ) -> Postmortem | None:
        created_at = _instant(issue.get("created_at"))
        if created_at is None:
            return None
        items: dict[tuple[str, int], ActionItem] = {}
        referenced = [looked_up.get(key) for key in self.references(issue)]
        for candidate in [*linked, *referenced]:
            if candidate is None:
                continue
            item = self._action_item(candidate)
            if item is not None:
                items.setdefault(_key(candidate), item)
        description = str(issue.get("description") or "")
        return Postmortem(
            id=_reference(issue),
            title=str(issue.get("title") or ""),
            state=PostmortemState.OPEN
            if issue.get("state") == "opened"
            else PostmortemState.CLOSED,
            created_at=created_at,
            service=service if self._service_labels(issue) else None,
            url=issue.get("web_url"),
            body=description,
            lessons=lessons(description),
            action_items=tuple(items.values()),
            causes=tuple(
                label.removeprefix(self.settings.cause_label_prefix)
                for label in _labels(issue)
                if label.startswith(self.settings.cause_label_prefix)
            ),
        )

    def _action_item(self, issue: Mapping[str, Any]) -> ActionItem | None:
        created_at = _instant(issue.get("created_at"))
        if created_at is None:
            return None
        labels = _labels(issue)
        declined = [label for label in labels if label.lower() in self.settings.declined_labels]
        if issue.get("state") == "opened":
            state = ActionItemState.OPEN
        else:
            state = ActionItemState.DECLINED if declined else ActionItemState.DONE
        prefix = self.settings.team_label_prefix
        teams = [label.removeprefix(prefix) for label in labels if label.startswith(prefix)]
        return ActionItem(
            id=_reference(issue),
            title=str(issue.get("title") or ""),
            state=state,
            created_at=created_at,
            url=issue.get("web_url"),
            due=_date(issue.get("due_date")),
            team=teams[0] if teams else None,
            reason=f"closed as {declined[0]}" if state is ActionItemState.DECLINED else None,
        )


def _instant(value: Any) -> datetime | None:
    try:
        return parse_instant(str(value)) if value else None
    except ValueError:
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


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
