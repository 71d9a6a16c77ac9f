"""A fake GitLab served over loopback that speaks the REST v4 shapes.

Why a fake server and not mocks: deploygate's GitLab source is driven by a
real client (python-gitlab, or ``requests``) over real HTTP, so headers,
status codes, pagination and error bodies are exercised as on the wire.

What it reproduces from GitLab (docs.gitlab.com and GitLab's own source,
``lib/api/**``, ``app/finders/deployments_finder.rb``,
``lib/gitlab/pagination/offset_header_builder.rb``):

* offset pagination: 20 items a page by default, ``per_page`` capped at 100,
  the ``x-page``/``x-per-page``/``x-next-page``/``x-prev-page``/``x-total``/
  ``x-total-pages`` headers (the next/prev ones present but *empty* at the
  ends) and a ``link`` header with prev/next/first/last. Past 10,000 items
  (``FakeGitLab.count_limit``), or with ``FakeGitLab.omit_totals``, GitLab
  drops ``x-total``, ``x-total-pages`` and ``rel="last"``. The link URLs are
  built like GitLab's: on the configured external URL (not the request's
  host; see ``FakeGitLab.pagination_base_url``), with every parameter *and*
  the declared defaults and route params (``id=group%2Fshop``), sorted;
* list orders: deployments ``order_by=id&sort=asc`` (oldest first!), issues
  and notes ``order_by=created_at&sort=desc``;
* jobs: ``GET /projects/:id/jobs`` lists every job of the project (the
  deployments' jobs and those added with ``Project.job``), newest first, with
  ``scope[]`` (repeatable, validated) as its only filter: no name, no ref;
* deployments: ``updated_after``/``updated_before`` are inclusive and, since
  GitLab 16.0, refused (400) unless ``order_by=updated_at``; ``order_by=ref``
  was removed in 16.3 (400); statuses are validated (400);
* authentication: ``PRIVATE-TOKEN``, ``Authorization: Bearer`` and
  ``JOB-TOKEN`` headers (and the ``private_token``/``job_token`` query
  parameters). A CI job token only authenticates on the endpoints GitLab
  lets it use (here: deployments); anywhere else GitLab *ignores* it and the
  request is anonymous, so ``GET /user`` says 401 and the issues of a private
  project say ``404 Project Not Found``. An unknown token is 401
  ``{"message": "401 Unauthorized"}``; a ``read_api`` token writing is 403
  ``insufficient_scope``;
* a project that is missing or hidden is ``404 Project Not Found``; a missing
  issue or note ``404 Not found``; an unknown route is not answered as
  GitLab would (404) but with 501 and a recorded problem, see below;
* notes: only the author may edit (403), bodies over 1,000,000 characters
  are refused (400);
* project events: every note (on an issue or a merge request) is a
  ``commented`` event of its project; ``GET /projects/:id/events`` lists
  them newest first (by event id), with the note embedded, and its ``after``
  date keeps only events created after the *end* of that day (UTC here);
  other actions and target types are not modelled (501);
* issue links are two-way (``blocks`` seen from the other side is
  ``is_blocked_by``), sorted by link creation, and hide issues the token
  cannot see.

Where it approximates GitLab (details unverified, or simplified on purpose):
``Token(can_read_issues=False)`` answers 403 ``{"message": "403 Forbidden"}``
(GitLab's cause would be a role or a disabled feature); anonymous requests
for deployments are 401 (``authenticate!``); the refusal messages for the
``finished_*`` filter combinations are paraphrased (the ``updated_at`` one is
GitLab's); ``per_page<=0`` means 20; the CI job token allowlist between
projects is not modelled (``Token.projects`` is plain membership); issue
lists include every issue type (tasks too); ``RateLimit-*`` headers appear
only on injected 429s; no keyset pagination, no group-level endpoints.

Whatever the fake does not implement fails loudly: an HTTP 501 answer, and a
line in ``FakeGitLab.problems``; the ``fake_gitlab`` fixture then fails the
test at teardown, so a gap in the fake never passes for a GitLab behaviour.

Usage::

    from fakes.gitlab import fake_gitlab  # the fixture, imported

    def test_something(fake_gitlab):
        shop = fake_gitlab.world.project("group/shop")
        shop.deployment(environment="production", status="failed",
                        failure_reason="script_failure")
        fake_gitlab.world.token("glpat-x", username="deployer")
        gl = gitlab.Gitlab(fake_gitlab.url, private_token="glpat-x", keep_base_url=True)
        ...
        assert fake_gitlab.requests[0].headers["private-token"] == "glpat-x"

Sections: world · REST · HTTP server · pytest fixture.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.utils import format_datetime
from http import HTTPStatus
from typing import Any, ClassVar, NoReturn, TypeAlias, cast
from urllib.parse import SplitResult, parse_qsl, unquote, urlencode, urlsplit

import pytest

from fakes import gitlab_graphql, server
from fakes.server import FaultMatch, Faults, Response

# ---------------------------------------------------------------------------
# World: the data that tests populate with plain method calls.
# ---------------------------------------------------------------------------

UTC = timezone.utc
API_PREFIX = "/api/v4"
GRAPHQL_PATH = "/api/graphql"

# ``Deployment.statuses`` in GitLab (the API filter accepts every key).
DEPLOYMENT_STATUSES = frozenset(
    {"created", "running", "success", "failed", "canceled", "skipped", "blocked"}
)
FINISHED_DEPLOYMENT_STATUSES = frozenset({"success", "failed", "canceled"})
# The status the deployment's job (its "deployable") has for each deployment status.
_JOB_STATUS_FOR_DEPLOYMENT = {
    "created": "created",
    "running": "running",
    "success": "success",
    "failed": "failed",
    "canceled": "canceled",
    "skipped": "skipped",
    "blocked": "manual",
}
# ``Ci::HasStatus::AVAILABLE_STATUSES``: a job's statuses, and the jobs API's ``scope[]`` values.
JOB_STATUSES = frozenset(
    {
        "created",
        "waiting_for_resource",
        "preparing",
        "pending",
        "running",
        "success",
        "failed",
        "canceled",
        "skipped",
        "manual",
        "scheduled",
    }
)
# ``CommitStatus.failure_reasons`` (the values a failed job reports).
FAILURE_REASONS = frozenset(
    {
        "unknown_failure",
        "script_failure",
        "api_failure",
        "stuck_or_timeout_failure",
        "runner_system_failure",
        "missing_dependency_failure",
        "runner_unsupported",
        "stale_schedule",
        "job_execution_timeout",
        "archived_failure",
        "unmet_prerequisites",
        "scheduler_failure",
        "data_integrity_failure",
        "forward_deployment_failure",
        "user_blocked",
        "project_deleted",
        "ci_quota_exceeded",
        "pipeline_loop_detected",
        "no_matching_runner",
        "trace_size_exceeded",
        "builds_disabled",
        "environment_creation_failure",
        "deployment_rejected",
        "failed_outdated_deployment_job",
        "protected_environment_failure",
        "secrets_provider_not_found",
    }
)
ISSUE_TYPES = frozenset({"issue", "incident", "test_case", "task"})
ISSUE_STATES = frozenset({"opened", "closed"})
# A link type and how it reads from the other issue's side.
LINK_TYPE_INVERSES = {
    "relates_to": "relates_to",
    "blocks": "is_blocked_by",
    "is_blocked_by": "blocks",
}
VISIBILITIES = frozenset({"private", "internal", "public"})

NOTE_BODY_LIMIT = 1_000_000
"""GitLab refuses note bodies longer than this many characters."""
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
COUNT_LIMIT = 10_000
"""Past this many items GitLab stops counting: no x-total, x-total-pages, rel="last"."""


def _utc(moment: datetime) -> datetime:
    """GitLab keeps milliseconds in UTC; naive datetimes are a test bug, so they are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware, got {moment!r}")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def iso(moment: datetime) -> str:
    """GitLab's REST timestamp format: ``2016-08-11T07:36:40.222Z``."""
    moment = _utc(moment)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def iso_offset(moment: datetime) -> str:
    """Commit dates come in another format: ``2016-08-11T09:36:01.000+00:00``."""
    return iso(moment)[:-1] + "+00:00"


def _due(value: date | str | None) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


@dataclass(eq=False)
class User:
    id: int
    username: str
    name: str
    bot: bool = False
    state: str = "active"


@dataclass(eq=False)
class Token:
    """A token the fake accepts, with what GitLab would let it do.

    ``job_token``: a CI/CD job token (``CI_JOB_TOKEN``): it authenticates
    only where GitLab accepts job tokens (deployments here) and is ignored
    elsewhere. ``can_write_notes=False`` gives the token only the
    ``read_api`` scope, so every write answers 403 ``insufficient_scope``.
    ``can_read_issues=False``: the issue endpoints answer 403 (an
    approximation: GitLab's reason would be a role or a disabled feature).
    ``projects``: the projects (paths) the token's user is a member of; None
    means every project of the world.
    """

    value: str
    user: User
    can_read_issues: bool = True
    can_write_notes: bool = True
    job_token: bool = False
    projects: frozenset[str] | None = None

    @property
    def scopes(self) -> tuple[str, ...]:
        return ("api",) if self.can_write_notes else ("read_api",)

    def member_of(self, project: Project) -> bool:
        return self.projects is None or project.path_with_namespace.lower() in self.projects


@dataclass(eq=False)
class Environment:
    id: int
    name: str
    external_url: str | None
    created_at: datetime

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-")[:24]


@dataclass(eq=False)
class Pipeline:
    id: int
    iid: int
    sha: str
    ref: str
    status: str
    created_at: datetime
    updated_at: datetime
    web_url: str | None  # None: derived from the server's URL


@dataclass(eq=False)
class Job:
    """A CI job: a deployment's ``deployable``, or any other job of a pipeline."""

    id: int
    name: str
    stage: str
    status: str
    ref: str
    tag: bool
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    failure_reason: str | None
    web_url: str | None  # None: derived from the server's URL
    pipeline: Pipeline
    user: User
    commit_title: str
    commit_message: str
    sha: str = ""


@dataclass(eq=False)
class Deployment:
    project: Project
    id: int
    iid: int
    environment: Environment
    ref: str
    sha: str
    status: str
    created_at: datetime
    updated_at: datetime
    finished_at: datetime | None
    user: User
    deployable: Job | None


@dataclass(eq=False)
class Milestone:
    id: int
    iid: int
    title: str
    due_date: date | None
    created_at: datetime


@dataclass(eq=False)
class IssueLink:
    id: int
    source: Issue
    target: Issue
    link_type: str
    created_at: datetime
    updated_at: datetime


@dataclass(eq=False)
class IssueNote:
    """A note (comment) on an issue."""

    id: int
    issue: Issue
    body: str
    author: User
    created_at: datetime
    updated_at: datetime
    system: bool = False


@dataclass(eq=False)
class Issue:
    project: Project
    id: int
    iid: int
    title: str
    description: str | None
    labels: list[str]
    issue_type: str
    state: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    closed_by: User | None
    due_date: date | None
    milestone: Milestone | None
    author: User
    confidential: bool = False
    notes: list[IssueNote] = field(default_factory=list)
    """The issue's notes, oldest first (deploygate's override notes, a person's comments)."""
    closed_by_merge_requests: list[MergeRequest] = field(default_factory=list)
    """The merge requests that closed it on merge: ``GET .../issues/:iid/closed_by``."""

    @property
    def reference(self) -> str:
        return f"{self.project.path_with_namespace}#{self.iid}"

    def link(
        self, other: Issue, link_type: str = "relates_to", *, created_at: datetime | None = None
    ) -> IssueLink:
        """Link this issue to ``other`` (any project of the world), as ``POST .../links`` would.

        Links are two-way: ``a.link(b, "blocks")`` lists ``b`` as ``blocks`` from ``a``
        and ``a`` as ``is_blocked_by`` from ``b``.
        """
        world = self.project.world
        with world.lock:
            if link_type not in LINK_TYPE_INVERSES:
                raise ValueError(f"link_type must be one of {sorted(LINK_TYPE_INVERSES)}")
            if other is self:
                raise ValueError("an issue cannot be linked to itself")
            if other.project.world is not world:
                raise ValueError("both issues must belong to the same world")
            for existing in world.issue_links:
                if {existing.source, existing.target} == {self, other}:
                    raise ValueError(f"{self.reference} and {other.reference} are already linked")
            moment = world.at(created_at)
            link = IssueLink(world.next_id("issue_link"), self, other, link_type, moment, moment)
            world.issue_links.append(link)
            return link

    def links(self) -> list[tuple[Issue, IssueLink, str]]:
        """(linked issue, link, link type seen from this issue), oldest link first."""
        found = []
        for link in self.project.world.issue_links:
            if link.source is self:
                found.append((link.target, link, link.link_type))
            elif link.target is self:
                found.append((link.source, link, LINK_TYPE_INVERSES[link.link_type]))
        return sorted(found, key=lambda item: (item[1].created_at, item[1].id))

    def close(self, *, at: datetime | None = None, by: str | None = None) -> None:
        world = self.project.world
        with world.lock:
            self.state = "closed"
            self.closed_at = world.at(at)
            self.closed_by = world.user(by) if by else self.author
            self.updated_at = max(self.updated_at, self.closed_at)


@dataclass(eq=False)
class Commit:
    """A commit of a project's repository: what the compare API walks."""

    sha: str
    title: str
    committed_at: datetime
    parents: tuple[str, ...] = ()


@dataclass(eq=False)
class MergeRequest:
    project: Project
    id: int
    iid: int
    title: str
    author: User
    created_at: datetime
    merged_at: datetime | None = None
    merge_commit_sha: str | None = None
    """The merge commit; None while unmerged (and for a fast-forward merge, as GitLab's)."""

    @property
    def state(self) -> str:
        return "merged" if self.merged_at else "opened"

    def merge(self, commit: Commit, *, closes: Sequence[Issue] = ()) -> None:
        """Merge as ``commit`` (at its time), closing ``closes`` as a ``Closes #N`` does: GitLab
        then lists this merge request in each one's ``closed_by``."""
        with self.project.world.lock:
            if commit.sha not in self.project.commits:
                raise ValueError(f"{commit.sha[:8]} is not a commit of {self.project}")
            self.merged_at, self.merge_commit_sha = commit.committed_at, commit.sha
            for issue in closes:
                issue.closed_by_merge_requests.append(self)
                issue.close(at=commit.committed_at)


@dataclass(eq=False)
class Note:
    id: int
    merge_request: MergeRequest
    body: str
    author: User
    created_at: datetime
    updated_at: datetime
    system: bool = False


@dataclass(eq=False)
class CommentEvent:
    """The ``commented`` event GitLab records in a project when a note is created."""

    id: int
    note: IssueNote | Note

    @property
    def project(self) -> Project:
        noteable = self.note.issue if isinstance(self.note, IssueNote) else self.note.merge_request
        return noteable.project


class Project:
    """A project: environments, deployments, issues, merge requests and their notes."""

    def __init__(self, world: GitLabWorld, path_with_namespace: str, *, visibility: str) -> None:
        self.world = world
        self.id = world.next_id("project")
        self.namespace_id = world.next_id("namespace")
        self.path_with_namespace = path_with_namespace
        self.visibility = visibility
        self.created_at = world.now()
        self.environments: dict[str, Environment] = {}
        self.deployments: list[Deployment] = []
        self.jobs: list[Job] = []
        """Every job of the project's pipelines (deployments' jobs included), oldest first."""
        self.issues: dict[int, Issue] = {}
        self.merge_requests: dict[int, MergeRequest] = {}
        self.commits: dict[str, Commit] = {}
        self.milestones: dict[str, Milestone] = {}
        self.notes: list[Note] = []
        self._deployment_iids = itertools.count(1)
        self._pipeline_iids = itertools.count(1)

    def __repr__(self) -> str:
        return f"<Project {self.path_with_namespace}>"

    @property
    def path(self) -> str:
        return self.path_with_namespace.rpartition("/")[2]

    @property
    def namespace(self) -> str:
        return self.path_with_namespace.rpartition("/")[0]

    # -- deployments -------------------------------------------------------

    def environment(
        self, name: str, *, external_url: str | None = None, created_at: datetime | None = None
    ) -> Environment:
        """The environment ``name``, made if new (``external_url`` is set when given)."""
        with self.world.lock:
            moment = self.world.at(created_at)
            if name not in self.environments:
                self.environments[name] = Environment(
                    self.world.next_id("environment"), name, external_url, moment
                )
            environment = self.environments[name]
            environment.created_at = min(environment.created_at, moment)
            if external_url is not None:
                environment.external_url = external_url
            return environment

    def deployment(
        self,
        *,
        environment: str = "production",
        status: str = "success",
        sha: str | None = None,
        ref: str = "main",
        tag: bool = False,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        job_name: str | None = "deploy",
        stage: str = "deploy",
        failure_reason: str | None = None,
        pipeline_web_url: str | None = None,
        job_web_url: str | None = None,
        environment_url: str | None = None,
        user_username: str = "root",
        commit_title: str = "Merge branch 'feature' into 'main'",
        id: int | None = None,
    ) -> Deployment:
        """Add a deployment made by a CI job ``job_name`` (None: made through the API, no job).

        ``updated_at`` defaults to ``created_at`` plus two minutes for a
        finished deployment (its job ran), else to ``created_at``. A failed
        job without ``failure_reason`` reports ``unknown_failure`` as GitLab's does.
        """
        with self.world.lock:
            if status not in DEPLOYMENT_STATUSES:
                raise ValueError(f"status must be one of {sorted(DEPLOYMENT_STATUSES)}")
            if failure_reason is not None:
                if status != "failed":
                    raise ValueError("only a failed deployment's job has a failure_reason")
                if failure_reason not in FAILURE_REASONS:
                    raise ValueError(f"unknown failure_reason {failure_reason!r}")
            if job_name is None and (failure_reason or pipeline_web_url or job_web_url):
                raise ValueError("failure_reason and the web URLs need a job (job_name)")
            deployment_id = self.world.claim_id("deployment", id)
            created = self.world.at(created_at)
            finished = status in FINISHED_DEPLOYMENT_STATUSES
            if updated_at is not None:
                updated = _utc(updated_at)
            else:
                updated = created + timedelta(minutes=2) if finished else created
            if updated < created:
                raise ValueError("updated_at is before created_at")
            sha = sha or hashlib.sha1(b"%d" % deployment_id, usedforsecurity=False).hexdigest()
            user = self.world.user(user_username)
            job = None
            if job_name is not None:
                job_status = _JOB_STATUS_FOR_DEPLOYMENT[status]
                pipeline = Pipeline(
                    id=self.world.next_id("pipeline"),
                    iid=next(self._pipeline_iids),
                    sha=sha,
                    ref=ref,
                    status=job_status,
                    created_at=created - timedelta(seconds=30),
                    updated_at=updated,
                    web_url=pipeline_web_url,
                )
                job = Job(
                    id=self.world.next_id("job"),
                    name=job_name,
                    stage=stage,
                    status=job_status,
                    ref=ref,
                    tag=tag,
                    created_at=created - timedelta(seconds=20),
                    started_at=None if status in ("created", "blocked", "skipped") else created,
                    finished_at=updated if finished else None,
                    failure_reason=(failure_reason or "unknown_failure")
                    if status == "failed"
                    else None,
                    web_url=job_web_url,
                    pipeline=pipeline,
                    user=user,
                    commit_title=commit_title,
                    commit_message=commit_title + "\n",
                    sha=sha,
                )
                self.jobs.append(job)
            deployment = Deployment(
                project=self,
                id=deployment_id,
                iid=next(self._deployment_iids),
                environment=self.environment(
                    environment, external_url=environment_url, created_at=created
                ),
                ref=ref,
                sha=sha,
                status=status,
                created_at=created,
                updated_at=updated,
                finished_at=updated if finished else None,
                user=user,
                deployable=job,
            )
            self.deployments.append(deployment)
            return deployment

    def job(
        self,
        name: str,
        *,
        status: str = "success",
        ref: str = "main",
        sha: str | None = None,
        created_at: datetime | None = None,
        stage: str = "test",
        failure_reason: str | None = None,
        commit_title: str = "Merge branch 'feature' into 'main'",
        user_username: str = "root",
    ) -> Job:
        """Add a job that made no deployment (a test, a build, or a deploy job that records
        none), in a pipeline of its own; it finishes two minutes after ``created_at``."""
        with self.world.lock:
            if status not in JOB_STATUSES:
                raise ValueError(f"status must be one of {sorted(JOB_STATUSES)}")
            if failure_reason is not None and failure_reason not in FAILURE_REASONS:
                raise ValueError(f"unknown failure_reason {failure_reason!r}")
            if failure_reason is not None and status != "failed":
                raise ValueError("only a failed job has a failure_reason")
            created = self.world.at(created_at)
            finished = status in ("success", "failed", "canceled")
            job_id = self.world.next_id("job")
            sha = sha or hashlib.sha1(b"job %d" % job_id, usedforsecurity=False).hexdigest()
            pipeline = Pipeline(
                id=self.world.next_id("pipeline"),
                iid=next(self._pipeline_iids),
                sha=sha,
                ref=ref,
                status=status,
                created_at=created - timedelta(seconds=10),
                updated_at=created + timedelta(minutes=2) if finished else created,
                web_url=None,
            )
            job = Job(
                id=job_id,
                name=name,
                stage=stage,
                status=status,
                ref=ref,
                tag=False,
                created_at=created,
                started_at=created if status not in ("created", "pending", "manual") else None,
                finished_at=created + timedelta(minutes=2) if finished else None,
                failure_reason=(failure_reason or "unknown_failure")
                if status == "failed"
                else None,
                web_url=None,
                pipeline=pipeline,
                user=self.world.user(user_username),
                commit_title=commit_title,
                commit_message=commit_title + "\n",
                sha=sha,
            )
            self.jobs.append(job)
            return job

    # -- issues ------------------------------------------------------------

    def milestone(self, title: str, *, due_date: date | str | None = None) -> Milestone:
        with self.world.lock:
            if title not in self.milestones:
                self.milestones[title] = Milestone(
                    id=self.world.next_id("milestone"),
                    iid=len(self.milestones) + 1,
                    title=title,
                    due_date=_due(due_date),
                    created_at=self.world.now(),
                )
            return self.milestones[title]

    def issue(
        self,
        title: str = "An issue",
        description: str | None = None,
        labels: Iterable[str] = (),
        *,
        issue_type: str = "issue",
        state: str = "opened",
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        closed_at: datetime | None = None,
        due_date: date | str | None = None,
        milestone: str | None = None,
        author_username: str = "root",
        confidential: bool = False,
        iid: int | None = None,
    ) -> Issue:
        """Add an issue; ``iid`` defaults to the next free one (issues and incidents share them)."""
        with self.world.lock:
            if issue_type not in ISSUE_TYPES:
                raise ValueError(f"issue_type must be one of {sorted(ISSUE_TYPES)}")
            if state not in ISSUE_STATES:
                raise ValueError(f"state must be one of {sorted(ISSUE_STATES)} (GitLab's words)")
            if closed_at is not None and state != "closed":
                raise ValueError("closed_at needs state='closed'")
            if iid is None:
                iid = max(self.issues, default=0) + 1
            elif iid in self.issues or iid < 1:
                raise ValueError(f"{self.path_with_namespace}#{iid} is taken or invalid")
            created = self.world.at(created_at)
            closed = None
            if state == "closed":
                closed = _utc(closed_at) if closed_at else max(created, self.world.now())
            author = self.world.user(author_username)
            issue = Issue(
                project=self,
                id=self.world.next_id("issue"),
                iid=iid,
                title=title,
                description=description,
                labels=sorted(dict.fromkeys(labels)),  # GitLab answers label titles sorted
                issue_type=issue_type,
                state=state,
                created_at=created,
                updated_at=_utc(updated_at) if updated_at else max(created, closed or created),
                closed_at=closed,
                closed_by=author if closed else None,
                due_date=_due(due_date),
                milestone=self.milestone(milestone) if milestone else None,
                author=author,
                confidential=confidential,
            )
            self.issues[iid] = issue
            return issue

    # -- merge requests and notes -------------------------------------------

    def commit(
        self, sha: str, title: str, *, at: datetime | None = None, parents: Sequence[str] = ()
    ) -> Commit:
        """Add the commit ``sha`` with ``parents`` (known commits of this project)."""
        with self.world.lock:
            if any(parent not in self.commits for parent in parents):
                raise ValueError(f"a parent of {sha[:8]} is not a commit of {self}")
            commit = Commit(sha, title, self.world.at(at), tuple(parents))
            self.commits[sha] = commit
            return commit

    def merge_request(
        self,
        iid: int | None = None,
        *,
        title: str = "A merge request",
        author_username: str = "root",
        created_at: datetime | None = None,
    ) -> MergeRequest:
        """The merge request ``iid``, made if new."""
        with self.world.lock:
            if iid is not None and iid in self.merge_requests:
                return self.merge_requests[iid]
            if iid is None:
                iid = max(self.merge_requests, default=0) + 1
            merge_request = MergeRequest(
                project=self,
                id=self.world.next_id("merge_request"),
                iid=iid,
                title=title,
                author=self.world.user(author_username),
                created_at=self.world.at(created_at),
            )
            self.merge_requests[iid] = merge_request
            return merge_request

    def note(
        self,
        mr_iid: int,
        body: str,
        author_username: str = "root",
        *,
        created_at: datetime | None = None,
        system: bool = False,
    ) -> Note:
        """Add a note to the merge request ``mr_iid`` (which must exist)."""
        with self.world.lock:
            merge_request = self.merge_requests.get(mr_iid)
            if merge_request is None:
                raise ValueError(
                    f"{self.path_with_namespace}!{mr_iid} does not exist: "
                    "add it with project.merge_request() first"
                )
            if len(body) > NOTE_BODY_LIMIT:
                raise ValueError(f"GitLab refuses notes over {NOTE_BODY_LIMIT} characters")
            moment = self.world.at(created_at)
            note = Note(
                id=self.world.next_id("note"),
                merge_request=merge_request,
                body=body,
                author=self.world.user(author_username),
                created_at=moment,
                updated_at=moment,
                system=system,
            )
            self.notes.append(note)
            self.world.comment_events.append(CommentEvent(self.world.next_id("event"), note))
            return note

    def notes_of(self, mr_iid: int) -> list[Note]:
        """The notes of a merge request, oldest first."""
        with self.world.lock:
            return [n for n in self.notes if n.merge_request.iid == mr_iid]


class GitLabWorld(server.World):
    """Everything the fake knows: users, tokens, projects; the clock and ids are
    ``fakes.server.World``'s (GitLab keeps times to the millisecond)."""

    FIRST_IDS: ClassVar[dict[str, int]] = {
        "user": 1,
        "namespace": 60_000_001,
        "project": 40_000_001,
        "environment": 9_000_001,
        "deployment": 500_000_001,
        "pipeline": 1_100_000_001,
        "job": 7_000_000_001,
        "issue": 150_000_001,
        "issue_link": 30_000_001,
        "merge_request": 300_000_001,
        "milestone": 4_000_001,
        "note": 2_000_000_001,
        "event": 3_000_000_001,
    }

    stored = staticmethod(_utc)

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        super().__init__(clock=clock)
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.projects: dict[str, Project] = {}
        self.issue_links: list[IssueLink] = []
        self.comment_events: list[CommentEvent] = []
        """``commented`` events, oldest first: one per note, whoever wrote it."""

    def user(self, username: str, *, name: str | None = None, bot: bool = False) -> User:
        """The user ``username``, made if new (``root`` is user 1, as on a fresh GitLab)."""
        with self.lock:
            key = username.lower()
            if key not in self.users:
                if key == "root":
                    name = name or "Administrator"
                self.users[key] = User(
                    id=self.next_id("user"),
                    username=username,
                    name=name or username.replace(".", " ").replace("_", " ").title(),
                    bot=bot,
                )
            return self.users[key]

    def project(self, path_with_namespace: str, *, visibility: str = "private") -> Project:
        """The project ``group/name`` (subgroups allowed), made if new."""
        with self.lock:
            existing = self.find_project(path_with_namespace)
            if existing is not None:
                return existing
            if visibility not in VISIBILITIES:
                raise ValueError(f"visibility must be one of {sorted(VISIBILITIES)}")
            namespace, _, name = path_with_namespace.rpartition("/")
            if not namespace or not name or "" in namespace.split("/"):
                raise ValueError(f"expected group/project, got {path_with_namespace!r}")
            project = Project(self, path_with_namespace, visibility=visibility)
            self.projects[path_with_namespace.lower()] = project
            return project

    def find_project(self, id_or_path: str | int) -> Project | None:
        """By numeric id or by path (case-insensitive, as GitLab's routes are)."""
        key = str(id_or_path)
        if key.isdigit():
            return next((p for p in self.projects.values() if p.id == int(key)), None)
        return self.projects.get(key.lower())

    def token(
        self,
        value: str,
        *,
        username: str = "root",
        can_read_issues: bool = True,
        can_write_notes: bool = True,
        job_token: bool = False,
        projects: Iterable[str] | None = None,
    ) -> Token:
        """Register a valid token for ``username`` (see ``Token`` for the flags)."""
        with self.lock:
            token = Token(
                value=value,
                user=self.user(username),
                can_read_issues=can_read_issues,
                can_write_notes=can_write_notes,
                job_token=job_token,
                projects=None if projects is None else frozenset(p.lower() for p in projects),
            )
            self.tokens[value] = token
            return token


# ---------------------------------------------------------------------------
# REST: the endpoints deploygate and python-gitlab use, with GitLab's shapes.
# ---------------------------------------------------------------------------


def _message(status: int, message: str) -> Response:
    """GitLab's usual error body: ``{"message": "404 Project Not Found"}``."""
    return Response(status, {"message": message})


def _refuse(status: int, message: str) -> NoReturn:
    raise server.Refusal(_message(status, message))


def _param_error(text: str) -> NoReturn:
    """A parameter refused by Grape's validation: ``{"error": "status does not have..."}``."""
    raise server.Refusal(Response(400, {"error": text}))


UNAUTHORIZED = "401 Unauthorized"
FORBIDDEN = "403 Forbidden"


def _insufficient_scope(scope: str = "api") -> NoReturn:
    raise server.Refusal(
        Response(
            403,
            {
                "error": "insufficient_scope",
                "error_description": "The request requires higher privileges than provided by "
                "the access token.",
                "scope": scope,
            },
        )
    )


@dataclass
class _Call:
    fake: FakeGitLab
    record: RecordedRequest
    token: Token | None
    groups: dict[str, str]

    @property
    def world(self) -> GitLabWorld:
        return self.fake.world

    @property
    def params(self) -> dict[str, str]:
        return self.record.query

    @property
    def base(self) -> str:
        """GitLab's external URL: what its JSON URLs are built on."""
        return self.fake.url

    def user_url(self, user: User) -> str:
        return f"{self.base}/{user.username}"

    def project_url(self, project: Project) -> str:
        return f"{self.base}/{project.path_with_namespace}"

    def can_see(self, project: Project) -> bool:
        if project.visibility == "public":
            return True
        if self.token is None:
            return False
        return project.visibility == "internal" or self.token.member_of(project)

    def body_params(self) -> dict[str, Any]:
        """The parameters of a write: JSON, form or query string, as Grape merges them."""
        merged: dict[str, Any] = dict(self.params)
        raw = self.record.body
        content_type = self.record.headers.get("content-type", "")
        if raw and "json" in content_type:
            try:
                payload = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                _refuse(400, "400 Bad request - Invalid JSON")  # approximation
            if isinstance(payload, dict):
                merged.update(payload)
        elif raw:
            merged.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return merged


def _user_basic(call: _Call, user: User) -> dict[str, Any]:
    """``UserBasic``: what GitLab embeds for an author, an assignee, a deployer."""
    digest = hashlib.md5(user.username.encode(), usedforsecurity=False).hexdigest()
    return {
        "id": user.id,
        "username": user.username,
        "public_email": None,
        "name": user.name,
        "state": user.state,
        "locked": False,
        "avatar_url": f"https://www.gravatar.com/avatar/{digest}?s=80&d=identicon",
        "web_url": call.user_url(user),
    }


def _user_full(call: _Call, user: User) -> dict[str, Any]:
    """``User``: the embedded shape with the public profile (a job's ``user``)."""
    return {
        **_user_basic(call, user),
        "created_at": "2015-12-21T13:14:24.077Z",
        "bio": "",
        "location": "",
        "linkedin": "",
        "twitter": "",
        "discord": "",
        "website_url": "",
        "github": "",
        "job_title": "",
        "pronouns": None,
        "organization": "",
        "bot": user.bot,
        "work_information": None,
        "followers": 0,
        "following": 0,
        "local_time": None,
    }


def _current_user(call: _Call, user: User) -> dict[str, Any]:
    """``GET /user``: the user's own view (``UserPublic``)."""
    return {
        **_user_full(call, user),
        "last_sign_in_at": "2026-01-01T09:00:00.000Z",
        "confirmed_at": "2015-12-21T13:14:24.077Z",
        "last_activity_on": "2026-01-01",
        "email": f"{user.username}@example.com",
        "theme_id": 3,
        "color_scheme_id": 1,
        "projects_limit": 100000,
        "current_sign_in_at": "2026-01-01T09:00:00.000Z",
        "identities": [],
        "can_create_group": True,
        "can_create_project": True,
        "two_factor_enabled": True,
        "external": False,
        "private_profile": False,
        "commit_email": f"{user.username}@example.com",
        "preferred_language": "en",
    }


def _project_json(call: _Call, project: Project) -> dict[str, Any]:
    web_url = call.project_url(project)
    api = f"{call.base}{API_PREFIX}/projects/{project.id}"
    host = urlsplit(call.base).hostname
    namespace = project.namespace
    return {
        "id": project.id,
        "description": None,
        "name": project.path,
        "name_with_namespace": project.path_with_namespace.replace("/", " / "),
        "path": project.path,
        "path_with_namespace": project.path_with_namespace,
        "created_at": iso(project.created_at),
        "default_branch": "main",
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": f"git@{host}:{project.path_with_namespace}.git",
        "http_url_to_repo": f"{web_url}.git",
        "web_url": web_url,
        "readme_url": f"{web_url}/-/blob/main/README.md",
        "forks_count": 0,
        "avatar_url": None,
        "star_count": 0,
        "last_activity_at": iso(project.created_at),
        "visibility": project.visibility,
        "namespace": {
            "id": project.namespace_id,
            "name": namespace.rpartition("/")[2],
            "path": namespace.rpartition("/")[2],
            "kind": "group",
            "full_path": namespace,
            "parent_id": None,
            "avatar_url": None,
            "web_url": f"{call.base}/groups/{namespace}",
        },
        "_links": {
            "self": api,
            "issues": f"{api}/issues",
            "merge_requests": f"{api}/merge_requests",
            "repo_branches": f"{api}/repository/branches",
            "labels": f"{api}/labels",
            "events": f"{api}/events",
            "members": f"{api}/members",
            "cluster_agents": f"{api}/cluster_agents",
        },
        "archived": False,
        "empty_repo": False,
        "issues_enabled": True,
        "merge_requests_enabled": True,
        "jobs_enabled": True,
        "issues_access_level": "enabled",
        "open_issues_count": sum(1 for i in project.issues.values() if i.state == "opened"),
    }


def _commit_json(call: _Call, project: Project, job: Job, sha: str) -> dict[str, Any]:
    moment = iso_offset(job.created_at - timedelta(minutes=5))
    return {
        "id": sha,
        "short_id": sha[:8],
        "created_at": moment,
        "parent_ids": [],
        "title": job.commit_title,
        "message": job.commit_message,
        "author_name": job.user.name,
        "author_email": f"{job.user.username}@example.com",
        "authored_date": moment,
        "committer_name": job.user.name,
        "committer_email": f"{job.user.username}@example.com",
        "committed_date": moment,
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{call.project_url(project)}/-/commit/{sha}",
    }


def _job_json(call: _Call, project: Project, job: Job) -> dict[str, Any]:
    """``Ci::Job`` (``Entities::Ci::Job``): a deployment's ``deployable``, an item of the jobs
    listing."""
    pipeline = job.pipeline
    duration = (
        (job.finished_at - job.started_at).total_seconds()
        if job.finished_at and job.started_at
        else None
    )
    body: dict[str, Any] = {
        "id": job.id,
        "status": job.status,
        "stage": job.stage,
        "name": job.name,
        "ref": job.ref,
        "tag": job.tag,
        "coverage": None,
        "allow_failure": False,
        "created_at": iso(job.created_at),
        "started_at": iso(job.started_at) if job.started_at else None,
        "finished_at": iso(job.finished_at) if job.finished_at else None,
        "erased_at": None,
        "duration": duration,
        "queued_duration": 1.5 if job.started_at else None,
        "user": _user_full(call, job.user),
        "commit": _commit_json(call, project, job, job.sha),
        "pipeline": {
            "id": pipeline.id,
            "iid": pipeline.iid,
            "project_id": project.id,
            "sha": pipeline.sha,
            "ref": pipeline.ref,
            "status": pipeline.status,
            "source": "push",
            "created_at": iso(pipeline.created_at),
            "updated_at": iso(pipeline.updated_at),
            "web_url": pipeline.web_url or f"{call.project_url(project)}/-/pipelines/{pipeline.id}",
        },
    }
    if job.status == "failed":  # GitLab exposes the reason of failed jobs only
        body["failure_reason"] = job.failure_reason
    body.update(
        {
            "web_url": job.web_url or f"{call.project_url(project)}/-/jobs/{job.id}",
            "project": {"ci_job_token_scope_enabled": False},
            "artifacts": [],
            "runner": None,
            "runner_manager": None,
            "artifacts_expire_at": None,
            "archived": False,
            "tag_list": [],
        }
    )
    return body


def _deployment_json(call: _Call, deployment: Deployment) -> dict[str, Any]:
    environment = deployment.environment
    return {
        "id": deployment.id,
        "iid": deployment.iid,
        "ref": deployment.ref,
        "sha": deployment.sha,
        "created_at": iso(deployment.created_at),
        "updated_at": iso(deployment.updated_at),
        "user": _user_basic(call, deployment.user),
        "environment": {
            "id": environment.id,
            "name": environment.name,
            "slug": environment.slug,
            "external_url": environment.external_url,
            "created_at": iso(environment.created_at),
            "updated_at": iso(environment.created_at),
        },
        "deployable": _job_json(call, deployment.project, deployment.deployable)
        if deployment.deployable
        else None,
        "status": deployment.status,
    }


def _milestone_json(milestone: Milestone, project: Project) -> dict[str, Any]:
    return {
        "id": milestone.id,
        "iid": milestone.iid,
        "project_id": project.id,
        "title": milestone.title,
        "description": None,
        "state": "active",
        "created_at": iso(milestone.created_at),
        "updated_at": iso(milestone.created_at),
        "due_date": milestone.due_date.isoformat() if milestone.due_date else None,
        "start_date": None,
        "expired": False,
        "web_url": f"{project.path_with_namespace}/-/milestones/{milestone.iid}",
    }


def _relative_reference(issue: Issue, requested: Project) -> str:
    """``references.relative``: relative to the project the request named."""
    if issue.project is requested:
        return f"#{issue.iid}"
    if issue.project.namespace == requested.namespace:
        return f"{issue.project.path}#{issue.iid}"
    return issue.reference


def _issue_web_url(call: _Call, issue: Issue) -> str:
    """Incidents live under ``/-/issues/incident/IID``, everything else under ``/-/issues/IID``."""
    kind = "issues/incident" if issue.issue_type == "incident" else "issues"
    return f"{call.project_url(issue.project)}/-/{kind}/{issue.iid}"


def _issue_json(call: _Call, issue: Issue, requested: Project) -> dict[str, Any]:
    """``Entities::Issue`` (lists and single issues share it; ``subscribed`` is single-only)."""
    project = issue.project
    api = f"{call.base}{API_PREFIX}/projects/{project.id}"
    author = _user_basic(call, issue.author)
    return {
        "id": issue.id,
        "iid": issue.iid,
        "project_id": project.id,
        "title": issue.title,
        "description": issue.description,
        "state": issue.state,
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at) if issue.closed_at else None,
        "closed_by": _user_basic(call, issue.closed_by) if issue.closed_by else None,
        "labels": list(issue.labels),
        "milestone": _milestone_json(issue.milestone, project) if issue.milestone else None,
        "assignees": [],
        "author": author,
        "type": issue.issue_type.upper(),
        "assignee": None,
        "user_notes_count": 0,
        "merge_requests_count": len(issue.closed_by_merge_requests),
        "upvotes": 0,
        "downvotes": 0,
        "due_date": issue.due_date.isoformat() if issue.due_date else None,
        "confidential": issue.confidential,
        "discussion_locked": None,
        "issue_type": issue.issue_type,
        "web_url": _issue_web_url(call, issue),
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_tasks": False,
        "_links": {
            "self": f"{api}/issues/{issue.iid}",
            "notes": f"{api}/issues/{issue.iid}/notes",
            "award_emoji": f"{api}/issues/{issue.iid}/award_emoji",
            "project": api,
            "closed_as_duplicate_of": None,
        },
        "references": {
            "short": f"#{issue.iid}",
            "relative": _relative_reference(issue, requested),
            "full": issue.reference,
        },
        "severity": "UNKNOWN",
        "moved_to_id": None,
        "imported": False,
        "imported_from": "none",
        "service_desk_reply_to": None,
    }


def _note_json(call: _Call, note: Note | IssueNote) -> dict[str, Any]:
    """A note as the Notes API answers it, on a merge request or on an issue."""
    noteable: MergeRequest | Issue = note.merge_request if isinstance(note, Note) else note.issue
    kind = "MergeRequest" if isinstance(note, Note) else "Issue"
    return {
        "id": note.id,
        "type": None,
        "body": note.body,
        "attachment": None,
        "author": _user_basic(call, note.author),
        "created_at": iso(note.created_at),
        "updated_at": iso(note.updated_at),
        "system": note.system,
        "noteable_id": noteable.id,
        "noteable_type": kind,
        "project_id": noteable.project.id,
        "resolvable": False,
        "confidential": False,
        "internal": False,
        "imported": False,
        "imported_from": "none",
        "noteable_iid": noteable.iid,
        "commands_changes": {},
    }


# -- parameters -----------------------------------------------------------


def _int_param(call: _Call, name: str, default: int) -> int:
    value = call.params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        _param_error(f"{name} is invalid")


def _time_param(call: _Call, name: str) -> datetime | None:
    """A Grape ``DateTime``; an unencoded ``+`` in the offset arrives as a space: invalid."""
    value = call.params.get(name)
    if value is None or value == "":
        return None
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        _param_error(f"{name} is invalid")
    return _utc(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _time_params(call: _Call, names: Iterable[str]) -> dict[str, datetime | None]:
    return {name: _time_param(call, name) for name in names}


def _choice(call: _Call, name: str, values: Iterable[str], default: str | None) -> str:
    value = call.params.get(name)
    if value is None:
        return default or ""
    if value not in values:
        _param_error(f"{name} does not have a valid value")
    return value


def _unsupported(call: _Call, names: Iterable[str]) -> None:
    """Parameters GitLab declares for the endpoint but the fake does not model: a loud gap."""
    given = sorted(n for n in names if n in call.params)
    if given:
        call.fake.gap(f"{call.record.method} {call.record.path} with {', '.join(given)}")


def _paginate(
    call: _Call, items: list[Any], render: Callable[[Any], Any], defaults: dict[str, str]
) -> Response:
    """Offset pagination with GitLab's headers (``OffsetHeaderBuilder``)."""
    number = max(_int_param(call, "page", 1), 1)
    per_page = _int_param(call, "per_page", DEFAULT_PER_PAGE)
    per_page = min(per_page, MAX_PER_PAGE) if per_page > 0 else DEFAULT_PER_PAGE
    page = server.Page.of(items, number, per_page)
    prev_page = number - 1 if 1 < number <= page.last else None  # Kaminari: none when out of range
    without_counts = call.fake.omit_totals or page.total > call.fake.count_limit

    base = call.fake.pagination_base_url or call.base
    query = {**defaults, **call.params, **{k: unquote(v) for k, v in call.groups.items()}}

    repeated: dict[str, list[str]] = {}
    for key, value in call.record.query_pairs:
        repeated.setdefault(key, []).append(value)

    def href(number: int) -> str:
        params = {**query, "page": str(number), "per_page": str(per_page)}
        pairs = [
            (key, each)
            for key, value in sorted(params.items())
            for each in (repeated[key] if len(repeated.get(key, ())) > 1 else [value])
        ]
        return f"{base}{call.record.path}?{urlencode(pairs)}"

    links = [(prev_page, "prev"), (page.next, "next"), (1, "first")]
    links += [] if without_counts else [(page.last, "last")]
    headers = {
        "x-per-page": str(per_page),
        "x-page": str(number),
        "x-next-page": str(page.next or ""),
        "x-prev-page": str(prev_page or ""),
        "link": server.link_header((href(to), rel) for to, rel in links if to),
    }
    if not without_counts:
        headers["x-total"] = str(page.total)
        headers["x-total-pages"] = str(page.last)
    return Response(200, [render(item) for item in page.items], headers)


# -- endpoints --------------------------------------------------------------


def _signed_in(call: _Call) -> Token:
    """The caller's token; 401 for an anonymous caller."""
    if call.token is None:
        _refuse(401, UNAUTHORIZED)
    return call.token


def _find_project(call: _Call) -> Project:
    project = call.world.find_project(unquote(call.groups["id"]))
    if project is None or not call.can_see(project):
        _refuse(404, "404 Project Not Found")
    return project


def _get_user(call: _Call) -> Response:
    return Response(200, _current_user(call, _signed_in(call).user))


def _get_project(call: _Call) -> Response:
    return Response(200, _project_json(call, _find_project(call)))


_DEPLOYMENT_ORDERS = ("id", "iid", "created_at", "updated_at", "finished_at")


def _list_deployments(call: _Call) -> Response:
    _signed_in(call)
    project = _find_project(call)
    order_by = _choice(call, "order_by", _DEPLOYMENT_ORDERS, "id")
    sort = _choice(call, "sort", ("asc", "desc"), "asc")
    status = _choice(call, "status", DEPLOYMENT_STATUSES, None)
    bounds = _time_params(
        call, ("updated_after", "updated_before", "finished_after", "finished_before")
    )
    by_updated = bounds["updated_after"] or bounds["updated_before"]
    by_finished = bounds["finished_after"] or bounds["finished_before"]
    # DeploymentsFinder#validate! (GitLab 16.0+): inefficient combinations are refused.
    refusal = None
    if by_updated and by_finished:
        refusal = "Both `updated_at` filter and `finished_at` filter can not be specified"
    elif by_updated and order_by != "updated_at":
        refusal = "`updated_at` filter requires `updated_at` sort"
    elif by_finished and (order_by != "finished_at" or status != "success"):
        refusal = "`finished_at` filter requires `finished_at` sort and `success` status"
    elif order_by == "finished_at" and not (by_finished or status in FINISHED_DEPLOYMENT_STATUSES):
        refusal = "`finished_at` sort requires a `finished_at` filter or a finished status"
    if refusal:
        _refuse(400, f"400 Bad request - {refusal}")

    def kept(d: Deployment) -> bool:
        if status and d.status != status:
            return False
        if "environment" in call.params and d.environment.name != call.params["environment"]:
            return False
        after, before = bounds["updated_after"], bounds["updated_before"]
        if (after and d.updated_at < after) or (before and d.updated_at > before):
            return False
        after, before = bounds["finished_after"], bounds["finished_before"]
        if after and (d.finished_at is None or d.finished_at < after):
            return False
        return not (before and (d.finished_at is None or d.finished_at > before))

    chosen = [d for d in project.deployments if kept(d)]
    descending = sort == "desc"
    if order_by == "updated_at":
        # GitLab adds ``id DESC`` as the tie-breaker whatever the direction.
        chosen.sort(key=lambda d: -d.id)
        chosen.sort(key=lambda d: d.updated_at, reverse=descending)
    elif order_by == "finished_at":
        # NULLs sort last ascending and first descending, as in PostgreSQL.
        far = datetime.max.replace(tzinfo=UTC)
        chosen.sort(key=lambda d: (d.finished_at or far, d.id), reverse=descending)
    else:  # id, iid and created_at all order by id in GitLab
        chosen.sort(key=lambda d: d.id, reverse=descending)
    defaults = {"order_by": "id", "sort": "asc"}
    return _paginate(call, chosen, lambda d: _deployment_json(call, d), defaults)


def _list_project_jobs(call: _Call) -> Response:
    """``GET /projects/:id/jobs``: every job, newest first (``id DESC``), ``scope[]`` the only
    filter (no name, no ref). See https://docs.gitlab.com/api/jobs/#list-project-jobs"""
    _signed_in(call)
    project = _find_project(call)
    _unsupported(call, ("order_by", "sort", "include_retried"))
    scopes = [value for key, value in call.record.query_pairs if key in ("scope", "scope[]")]
    if any(scope not in JOB_STATUSES for scope in scopes):
        _param_error("scope does not have a valid value")
    chosen = [job for job in project.jobs if not scopes or job.status in scopes]
    chosen.sort(key=lambda job: -job.id)
    return _paginate(call, chosen, lambda job: _job_json(call, project, job), {})


_ISSUE_ORDERS = (
    "created_at",
    "updated_at",
    "priority",
    "due_date",
    "relative_position",
    "label_priority",
    "milestone_due",
    "popularity",
    "weight",
    "title",
)
_ISSUE_ORDER_KEYS: dict[str, Callable[[Issue], Any]] = {
    "created_at": lambda i: i.created_at,
    "updated_at": lambda i: i.updated_at,
    "title": lambda i: i.title.lower(),
}
_ISSUE_PARAMS_NOT_MODELLED = (
    "iids[]",
    "search",
    "in",
    "author_username",
    "assignee_id",
    "assignee_username",
    "assignee_username[]",
    "milestone",
    "milestone_id",
    "my_reaction_emoji",
    "confidential",
    "weight",
    "epic_id",
    "health_status",
    "iteration_id",
    "iteration_title",
    "scope",
)


def _issue_access(call: _Call) -> Project:
    project = _find_project(call)
    if call.token is not None and not call.token.can_read_issues:
        _refuse(403, FORBIDDEN)
    return project


def _visible_issue(call: _Call, issue: Issue) -> bool:
    if not call.can_see(issue.project):
        return False
    return not (issue.confidential and call.token is None)


def _list_issues(call: _Call) -> Response:
    project = _issue_access(call)
    _unsupported(
        call, [*_ISSUE_PARAMS_NOT_MODELLED, *(k for k in call.params if k.startswith("not["))]
    )
    state = _choice(call, "state", ("opened", "closed", "all"), "all")
    order_by = _choice(call, "order_by", _ISSUE_ORDERS, "created_at")
    sort = _choice(call, "sort", ("asc", "desc"), "desc")
    issue_type = _choice(call, "issue_type", ISSUE_TYPES, None)
    bounds = _time_params(
        call, ("created_after", "created_before", "updated_after", "updated_before")
    )
    if order_by not in _ISSUE_ORDER_KEYS:
        _unsupported(call, ["order_by"])
    wanted = [name for name in call.params.get("labels", "").split(",") if name]

    def labelled(issue: Issue) -> bool:
        special = wanted[0].lower() if len(wanted) == 1 else None
        if special == "none":
            return not issue.labels
        if special == "any":
            return bool(issue.labels)
        return all(name in issue.labels for name in wanted)  # AND, case-sensitive titles

    def kept(issue: Issue) -> bool:
        if not _visible_issue(call, issue):
            return False
        if state != "all" and issue.state != state:
            return False
        if issue_type and issue.issue_type != issue_type:
            return False
        if "author_id" in call.params and str(issue.author.id) != call.params["author_id"]:
            return False
        if wanted and not labelled(issue):
            return False
        for name, moment in bounds.items():
            if moment is None:
                continue
            value = issue.created_at if name.startswith("created") else issue.updated_at
            if (name.endswith("after") and value < moment) or (
                name.endswith("before") and value > moment
            ):
                return False  # both bounds are inclusive ("on or after")
        return True

    chosen = [i for i in project.issues.values() if kept(i)]
    key = _ISSUE_ORDER_KEYS[order_by]
    chosen.sort(key=lambda i: (key(i), i.id), reverse=sort == "desc")
    defaults = {
        "order_by": "created_at",
        "sort": "desc",
        "state": "all",
        "with_labels_details": "false",
    }
    return _paginate(call, chosen, lambda i: _issue_json(call, i, project), defaults)


def _find_issue(call: _Call) -> tuple[Project, Issue]:
    project = _issue_access(call)
    iid = call.groups["issue_iid"]
    if not iid.isdigit():
        _param_error("issue_iid is invalid")
    issue = project.issues.get(int(iid))
    if issue is None or not _visible_issue(call, issue):
        _refuse(404, "404 Not found")
    return project, issue


def _get_issue(call: _Call) -> Response:
    project, issue = _find_issue(call)
    return Response(200, {**_issue_json(call, issue, project), "subscribed": False})


def _list_issue_links(call: _Call) -> Response:
    _signed_in(call)
    project, issue = _find_issue(call)
    body = []
    for other, link, link_type in issue.links():
        if not _visible_issue(call, other):
            continue  # "Issues are filtered according to the user authorizations."
        body.append(
            {
                **_issue_json(call, other, project),
                "issue_link_id": link.id,
                "link_type": link_type,
                "link_created_at": iso(link.created_at),
                "link_updated_at": iso(link.updated_at),
            }
        )
    return Response(200, body)  # not paginated, as in GitLab


def _merge_request_json(call: _Call, merge_request: MergeRequest) -> dict[str, Any]:
    """``Entities::MergeRequestBasic``, as ``closed_by`` lists it (the fields a reader of a
    fix needs, and the ones around them)."""
    project = merge_request.project
    return {
        "id": merge_request.id,
        "iid": merge_request.iid,
        "project_id": project.id,
        "title": merge_request.title,
        "description": "",
        "state": merge_request.state,
        "created_at": iso(merge_request.created_at),
        "updated_at": iso(merge_request.merged_at or merge_request.created_at),
        "merged_at": iso(merge_request.merged_at) if merge_request.merged_at else None,
        "merge_commit_sha": merge_request.merge_commit_sha,
        "squash_commit_sha": None,
        "sha": merge_request.merge_commit_sha,
        "author": _user_basic(call, merge_request.author),
        "target_branch": "main",
        "source_branch": f"fix-{merge_request.iid}",
        "web_url": f"{call.project_url(project)}/-/merge_requests/{merge_request.iid}",
        "references": {
            "short": f"!{merge_request.iid}",
            "relative": f"!{merge_request.iid}",
            "full": f"{project.path_with_namespace}!{merge_request.iid}",
        },
    }


def _list_closed_by(call: _Call) -> Response:
    """``GET /projects/:id/issues/:iid/closed_by``: the merge requests that close it on merge.
    See https://docs.gitlab.com/api/issues/#list-merge-requests-that-close-a-particular-issue-on-merge
    """
    _signed_in(call)
    _, issue = _find_issue(call)
    found = [mr for mr in issue.closed_by_merge_requests if call.can_see(mr.project)]
    return _paginate(call, found, lambda mr: _merge_request_json(call, mr), {})


def _reachable(project: Project, sha: str) -> set[str]:
    return server.reachable(sha, lambda each: project.commits[each].parents)


def _repository_commit_json(call: _Call, project: Project, commit: Commit) -> dict[str, Any]:
    moment = iso_offset(commit.committed_at)
    return {
        "id": commit.sha,
        "short_id": commit.sha[:8],
        "created_at": moment,
        "parent_ids": list(commit.parents),
        "title": commit.title,
        "message": commit.title,
        "author_name": "Root",
        "author_email": "root@example.com",
        "authored_date": moment,
        "committer_name": "Root",
        "committer_email": "root@example.com",
        "committed_date": moment,
        "trailers": {},
        "extended_trailers": {},
        "web_url": f"{call.project_url(project)}/-/commit/{commit.sha}",
    }


def _compare(call: _Call) -> Response:
    """``GET /projects/:id/repository/compare?from=&to=``: the commits of ``to`` since its merge
    base with ``from`` (``straight=false``, the default), oldest first; none when ``from``
    already holds ``to``. See https://docs.gitlab.com/api/repositories/#compare-branches-tags-or-commits
    """
    _signed_in(call)
    project = _find_project(call)
    _unsupported(call, ["straight", "from_project_id", "unidiff"])
    names = {key: call.params.get(key) for key in ("from", "to")}
    if not all(names.values()):
        _param_error("from, to are missing, at least one parameter must be provided")
    found = {}
    for key, name in names.items():
        matches = [c for sha, c in project.commits.items() if name and sha.startswith(name)]
        if len(matches) != 1 or len(name or "") < 7:
            _refuse(404, "404 Ref Not Found")
        found[key] = matches[0]
    since = _reachable(project, found["from"].sha)
    commits = sorted(
        (project.commits[sha] for sha in _reachable(project, found["to"].sha) - since),
        key=lambda commit: commit.committed_at,
    )
    return Response(
        200,
        {
            "commit": _repository_commit_json(call, project, commits[-1]) if commits else None,
            "commits": [_repository_commit_json(call, project, commit) for commit in commits],
            "diffs": [],
            "compare_timeout": False,
            "compare_same_ref": found["from"] is found["to"],
            "web_url": f"{call.project_url(project)}/-/compare/{names['from']}...{names['to']}",
        },
    )


def _find_merge_request(call: _Call) -> MergeRequest:
    _signed_in(call)
    project = _find_project(call)
    iid = call.groups["noteable_id"]
    if not iid.isdigit():
        _param_error("noteable_id is invalid")
    merge_request = project.merge_requests.get(int(iid))
    if merge_request is None:
        _refuse(404, "404 MergeRequest Not Found")
    return merge_request


def _notes_page(call: _Call, notes: list[Any], render: Callable[[Any], Any]) -> Response:
    """A page of a noteable's notes, ordered as asked (newest first by default)."""
    order_by = _choice(call, "order_by", ("created_at", "updated_at"), "created_at")
    sort = _choice(call, "sort", ("asc", "desc"), "desc")
    _unsupported(call, ["activity_filter"])
    attribute = "updated_at" if order_by == "updated_at" else "created_at"
    notes = sorted(notes, key=lambda n: (getattr(n, attribute), n.id), reverse=sort == "desc")
    return _paginate(call, notes, render, {"order_by": "created_at", "sort": "desc"})


def _list_notes(call: _Call) -> Response:
    merge_request = _find_merge_request(call)
    notes = merge_request.project.notes_of(merge_request.iid)
    return _notes_page(call, notes, lambda n: _note_json(call, n))


def _note_body(call: _Call) -> str:
    body = call.body_params().get("body")
    if body is None:
        _param_error("body is missing")
    if not isinstance(body, str):
        _param_error("body is invalid")
    if not body.strip():
        _refuse(400, '400 Bad request - Note {:note=>["can\'t be blank"]}')
    if len(body) > NOTE_BODY_LIMIT:
        _refuse(
            400,
            '400 Bad request - Note {:note=>["is too long (maximum is '
            f'{NOTE_BODY_LIMIT} characters)"]}}',
        )
    return body


def _create_note(call: _Call) -> Response:
    merge_request = _find_merge_request(call)
    body = _note_body(call)
    author = _signed_in(call).user.username
    note = merge_request.project.note(merge_request.iid, body, author)
    return Response(201, _note_json(call, note))


def _find_note(call: _Call) -> Note:
    merge_request = _find_merge_request(call)
    note_id = call.groups["note_id"]
    if not note_id.isdigit():
        _param_error("note_id is invalid")
    for note in merge_request.project.notes_of(merge_request.iid):
        if note.id == int(note_id):
            return note
    _refuse(404, "404 Not found")


def _get_note(call: _Call) -> Response:
    return Response(200, _note_json(call, _find_note(call)))


def _update_note(call: _Call) -> Response:
    note = _find_note(call)
    if note.author is not _signed_in(call).user or note.system:
        _refuse(403, FORBIDDEN)  # ``authorize! :admin_note``: the author only
    note.body = _note_body(call)
    note.updated_at = max(call.world.now(), note.created_at)
    return Response(200, _note_json(call, note))


# -- issues written: create and edit (deploygate's report issue) ---------------------------


def _issue_text(call: _Call, creating: bool) -> dict[str, str]:
    """``title`` and ``description`` of a create or edit, or GitLab's 400."""
    params = call.body_params()
    fields = {key: params[key] for key in ("title", "description") if key in params}
    extra = set(params) - {"title", "description"}
    if extra:
        call.fake.problems.append(f"fake GitLab does not model issue fields {sorted(extra)}")
        _refuse(501, "fake GitLab does not model these issue fields")
    if creating and not fields.get("title"):
        _param_error("title is missing")
    if not all(isinstance(value, str) for value in fields.values()):
        _param_error("title is invalid")
    if len(fields.get("description", "")) > NOTE_BODY_LIMIT:
        _refuse(
            400,
            '400 Bad request - Description {:description=>["is too long (maximum is '
            f'{NOTE_BODY_LIMIT} characters)"]}}',
        )
    return fields


def _create_issue(call: _Call) -> Response:
    project = _issue_access(call)
    fields = _issue_text(call, creating=True)
    author = _signed_in(call).user.username
    issue = project.issue(fields["title"], fields.get("description"), author_username=author)
    return Response(201, _issue_json(call, issue, project))


def _update_issue(call: _Call) -> Response:
    project, issue = _find_issue(call)
    fields = _issue_text(call, creating=False)
    issue.title = fields.get("title", issue.title)
    issue.description = fields.get("description", issue.description)
    issue.updated_at = max(call.world.now(), issue.created_at)
    return Response(200, _issue_json(call, issue, project))


# -- issue notes: deploygate's override notes -----------------------------------------------


def add_issue_note(
    issue: Issue, body: str, author: User, *, created_at: datetime | None = None
) -> IssueNote:
    """Add a note to ``issue`` (tests call it for a person's note; the POST handler too)."""
    world = issue.project.world
    with world.lock:
        moment = world.at(created_at)
        note = IssueNote(world.next_id("note"), issue, body, author, moment, moment)
        issue.notes.append(note)
        world.comment_events.append(CommentEvent(world.next_id("event"), note))
        return note


def _list_issue_notes(call: _Call) -> Response:
    _, issue = _find_issue(call)
    return _notes_page(call, issue.notes, lambda n: _note_json(call, n))


def _create_issue_note(call: _Call) -> Response:
    _, issue = _find_issue(call)
    body = _note_body(call)
    note = add_issue_note(issue, body, _signed_in(call).user)
    return Response(201, _note_json(call, note))


# -- project events: the comment events that embed each note ----------------------------------

# ``Event.actions`` and ``Event.target_types`` in GitLab: the values Grape accepts.
EVENT_ACTIONS = frozenset(
    {"created", "updated", "closed", "reopened", "pushed", "commented", "merged", "joined",
     "left", "destroyed", "expired", "approved"}
)  # fmt: skip
EVENT_TARGET_TYPES = frozenset(
    {"issue", "milestone", "merge_request", "note", "project", "snippet", "user", "wiki", "design"}
)


def _comment_event_json(call: _Call, event: CommentEvent) -> dict[str, Any]:
    """``Entities::Event`` of a comment: the note rides along in full."""
    note = event.note
    title = note.issue.title if isinstance(note, IssueNote) else note.merge_request.title
    return {
        "id": event.id,
        "project_id": event.project.id,
        "action_name": "commented on",
        "target_id": note.id,
        "target_iid": note.id,
        "target_type": "Note",
        "author_id": note.author.id,
        "target_title": title,
        "created_at": iso(note.created_at),
        "note": _note_json(call, note),
        "author": _user_basic(call, note.author),
        "imported": False,
        "imported_from": "none",
        "author_username": note.author.username,
    }


def _list_project_events(call: _Call) -> Response:
    project = _find_project(call)
    action = _choice(call, "action", EVENT_ACTIONS, None)
    target_type = _choice(call, "target_type", EVENT_TARGET_TYPES, None)
    sort = _choice(call, "sort", ("asc", "desc"), "desc")
    if action != "commented" or target_type not in ("", "note"):
        call.fake.gap(
            f"{call.record.method} {call.record.path} without action=commented&target_type=note"
        )
    _unsupported(call, ["before"])
    after: date | None = None
    if call.params.get("after"):
        try:
            after = date.fromisoformat(call.params["after"])
        except ValueError:
            _param_error("after is invalid")

    def kept(event: CommentEvent) -> bool:
        note = event.note
        if event.project is not project:
            return False
        if isinstance(note, IssueNote) and not (
            _visible_issue(call, note.issue) and (call.token is None or call.token.can_read_issues)
        ):
            return False  # visible_to_user?: a note on an issue one cannot read is left out
        # ``created_at > after.end_of_day``
        return after is None or note.created_at.date() > after

    events = [event for event in call.world.comment_events if kept(event)]
    events.sort(key=lambda event: event.id, reverse=sort == "desc")
    return _paginate(call, events, lambda e: _comment_event_json(call, e), {"sort": "desc"})


Handler: TypeAlias = Callable[[_Call], Response]
_PROJECT = r"/projects/(?P<id>[^/]+)"
_ISSUE = _PROJECT + r"/issues/(?P<issue_iid>[^/]+)"
_MR_NOTES = _PROJECT + r"/merge_requests/(?P<noteable_id>[^/]+)/notes"
_ROUTES = server.Routes[Handler](
    # (method, path under /api/v4, handler); the groups are named as GitLab's route
    # params, which its link URLs repeat.
    [
        ("GET", r"/user", _get_user),
        ("GET", _PROJECT, _get_project),
        ("GET", _PROJECT + r"/deployments", _list_deployments),
        ("GET", _PROJECT + r"/jobs", _list_project_jobs),
        ("GET", _PROJECT + r"/events", _list_project_events),
        ("GET", _PROJECT + r"/issues", _list_issues),
        ("GET", _ISSUE, _get_issue),
        ("GET", _ISSUE + r"/links", _list_issue_links),
        ("GET", _ISSUE + r"/closed_by", _list_closed_by),
        ("GET", _PROJECT + r"/repository/compare", _compare),
        ("GET", _ISSUE + r"/notes", _list_issue_notes),
        ("POST", _ISSUE + r"/notes", _create_issue_note),
        ("POST", _PROJECT + r"/issues", _create_issue),
        ("PUT", _ISSUE, _update_issue),
        ("GET", _MR_NOTES, _list_notes),
        ("POST", _MR_NOTES, _create_note),
        ("GET", _MR_NOTES + r"/(?P<note_id>[^/]+)", _get_note),
        ("PUT", _MR_NOTES + r"/(?P<note_id>[^/]+)", _update_note),
    ]
)
_JOB_TOKEN_ROUTES = frozenset({_list_deployments})
"""Where a CI job token authenticates; elsewhere GitLab ignores one."""


# ---------------------------------------------------------------------------
# HTTP server: routing and authentication; the listeners, the request log and
# fault injection are fakes/server.py's.
# ---------------------------------------------------------------------------


@dataclass
class RecordedRequest(server.RecordedRequest):
    """One request as it reached the fake GitLab, and what it answered (see the base).

    ``path`` is the raw path (``/api/v4/projects/group%2Fshop``); ``server``
    the listener that got it (``127.0.0.1:PORT``, or the other host's).
    """

    server: str = ""
    query_pairs: list[tuple[str, str]] = field(default_factory=list)
    """The query string in order, repeated keys kept (``scope[]=success&scope[]=failed``)."""

    @property
    def credential(self) -> str | None:
        """The token the request carried, however it was sent (None: anonymous)."""
        return (
            self.headers.get("private-token")
            or self.headers.get("job-token")
            or server.authorization(self, "bearer")
            or self.query.get("private_token")
            or self.query.get("job_token")
        )


class Fault(server.Fault[RecordedRequest]):
    """One injected failure; see ``Faults.add``."""

    def response(self, now: float) -> Response:
        """The answer, in GitLab's words (``now``: the clock of the ``RateLimit-*`` headers)."""
        assert self.status is not None
        return self.answer(_fault_body, _fault_headers(self.status, now))


def _fault_body(status: int) -> Any:
    """What GitLab (or what stands in front of it) sends for each failure."""
    if status == 429:
        return "Retry later\n"  # Rack::Attack's throttle answer: plain text
    if status in (502, 503, 504):
        # Workhorse/NGINX pages, not JSON.
        return (
            f"<!DOCTYPE html>\n<html><head><title>GitLab is not responding ({status})</title>"
            f"</head><body><h1>{status}</h1><h3>GitLab is not responding.</h3></body></html>\n"
        )
    return {"message": f"{status} {HTTPStatus(status).phrase}"}


def _fault_headers(status: int, now: float) -> dict[str, str]:
    """Rack::Attack's headers on a throttled (429) answer; none on other failures."""
    if status != 429:
        return {}
    reset = int(now) + 60
    return {
        "RateLimit-Name": "throttle_authenticated_api",
        "RateLimit-Limit": "2000",
        "RateLimit-Observed": "2001",
        "RateLimit-Remaining": "0",
        "RateLimit-Reset": str(reset),
        "RateLimit-ResetTime": format_datetime(datetime.fromtimestamp(reset, UTC), usegmt=True),
        "Retry-After": "60",
    }


class _Handler(server.FakeHandler):
    """The shared handler as GitLab's NGINX; it also notes the listener and the query order."""

    server_header = "nginx"
    record_type = RecordedRequest

    def _record_details(self, target: SplitResult) -> dict[str, Any]:
        host, port = cast("tuple[str, int]", self.server.server_address)[:2]
        return {
            "query_pairs": parse_qsl(target.query, keep_blank_values=True),
            "server": f"{host!s}:{port}",
        }


class FakeGitLab(server.LoopbackFake[RecordedRequest, Fault]):
    """The fake GitLab server: a ``GitLabWorld`` served on 127.0.0.1 at a free port.

    ``url`` is the instance (``CI_SERVER_URL``), ``api_url`` the REST root
    (``CI_API_V4_URL``). ``requests`` logs every request; ``faults`` injects
    failures; ``latency`` adds seconds to every answer; ``problems`` lists
    what the fake could not answer.

    Pagination switches: ``omit_totals`` drops ``x-total``, ``x-total-pages``
    and ``rel="last"`` as GitLab does past ``count_limit`` (10,000) items;
    ``pagination_base_url`` builds the ``link`` URLs on another base, as a
    GitLab whose configured external URL differs from the address the client
    used (see ``point_page_links_to_other_host``).
    """

    name = "GitLab"
    handler = _Handler
    world: GitLabWorld

    def __init__(self, world: GitLabWorld | None = None, *, latency: float = 0.0) -> None:
        super().__init__(Fault, latency=latency)
        self.world = world or GitLabWorld()
        self.omit_totals = False
        self.count_limit = COUNT_LIMIT
        self.pagination_base_url: str | None = None
        self.graphql_enabled = True
        """False: no GraphQL endpoint (404), as an instance without one."""
        self.graphql_lacks: set[str] = set()
        """``Type.field`` names the GraphQL schema lacks, as an older GitLab's
        (``{"Issue.linkedWorkItems"}``: before 17.8); see fakes/gitlab_graphql.py."""

    # -- addresses -----------------------------------------------------------

    @property
    def api_url(self) -> str:
        return f"{self.url}{API_PREFIX}"

    def listen_other_host(self, host: str = "127.0.0.2") -> str:
        """Also serve on ``host`` (same port when free) and return that base URL.

        Requests reaching it are logged like the others, with ``server`` set
        to that address: ``requests_on(url)`` tells whether a token ever went there.
        """
        assert self._servers, "the fake GitLab is not running"
        for existing, _thread in self._servers[1:]:
            if existing.server_address[0] == host:
                return self._address(existing)
        port = int(self._servers[0][0].server_address[1])
        try:
            server = self._listen(host, port)
        except OSError:
            server = self._listen(host, 0)
        return self._address(server)

    def point_page_links_to_other_host(self, host: str = "127.0.0.2") -> str:
        """Serve on ``host`` too and build the ``link`` header's URLs on it.

        A client that follows ``rel="next"`` as given sends its token to that
        host; python-gitlab with ``keep_base_url=True`` rewrites the URL instead.
        """
        other = self.listen_other_host(host)
        self.pagination_base_url = other
        return other

    def ci_env(self, token: str, project_path: str) -> dict[str, str]:
        """The variables a GitLab CI job of ``project_path`` sees, pointing at this fake.

        ``token`` becomes ``CI_JOB_TOKEN``; when the world does not know it yet,
        it is registered as a job token of the project's ``root`` user.
        """
        project = self.world.project(project_path)
        if token not in self.world.tokens:
            self.world.token(token, job_token=True)
        host, port = urlsplit(self.url).hostname or "", urlsplit(self.url).port
        return {
            "CI": "true",
            "GITLAB_CI": "true",
            "CI_SERVER": "yes",
            "CI_SERVER_URL": self.url,
            "CI_SERVER_HOST": host,
            "CI_SERVER_PORT": str(port),
            "CI_SERVER_PROTOCOL": "http",
            "CI_SERVER_FQDN": f"{host}:{port}",
            "CI_API_V4_URL": self.api_url,
            "CI_API_GRAPHQL_URL": f"{self.url}/api/graphql",
            "CI_PROJECT_PATH": project.path_with_namespace,
            "CI_PROJECT_ID": str(project.id),
            "CI_PROJECT_NAME": project.path,
            "CI_PROJECT_NAMESPACE": project.namespace,
            "CI_PROJECT_ROOT_NAMESPACE": project.namespace.split("/")[0],
            "CI_PROJECT_URL": f"{self.url}/{project.path_with_namespace}",
            "CI_PROJECT_VISIBILITY": project.visibility,
            "CI_DEFAULT_BRANCH": "main",
            "CI_JOB_TOKEN": token,
        }

    # -- the log -------------------------------------------------------------

    def requests_on(self, base_url: str) -> list[RecordedRequest]:
        """Logged requests that reached the listener at ``base_url`` (``http://host:port``)."""
        address = urlsplit(base_url).netloc
        return [r for r in list(self.requests) if r.server == address]

    # -- answering -----------------------------------------------------------

    def _authenticate(self, record: RecordedRequest, job_token_allowed: bool) -> Token | None:
        """The caller's token as GitLab's AuthFinders resolve it; None: anonymous.

        Personal (and OAuth) tokens come from ``PRIVATE-TOKEN``, ``private_token``
        or ``Authorization: Bearer``; an unknown one is 401. A job token counts
        only where job tokens are allowed; elsewhere it is ignored (anonymous).
        """
        tokens = self.world.tokens
        bearer = server.authorization(record, "bearer")
        personal = (
            bearer or record.headers.get("private-token") or record.query.get("private_token")
        )
        if personal:
            token = tokens.get(personal)
            if token is None:
                _refuse(401, UNAUTHORIZED)
            if not token.job_token:
                return token
            if bearer and job_token_allowed:
                return token  # a job token as a Bearer token, where job tokens are allowed
            return None  # GitLab skips job tokens met as personal tokens
        job = record.headers.get("job-token") or record.query.get("job_token")
        if job and job_token_allowed:
            token = tokens.get(job)
            if token is None or not token.job_token:
                _refuse(401, UNAUTHORIZED)
            return token
        return None

    def answer(self, record: RecordedRequest) -> Response:
        """The real answer (without faults), with the request id every GitLab answer carries."""
        response = super().answer(record)
        response.headers.setdefault("x-request-id", f"01FAKE{next(self._request_ids):020d}")
        response.headers.setdefault("cache-control", "max-age=0, private, must-revalidate")
        return response

    def _crash_response(self) -> Response:
        return _message(500, "500 Internal Server Error (fake GitLab crashed)")

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Response:
        """The fault's answer as it is: GitLab adds no headers to a failure."""
        return fault.response(self.clock())

    def error(self, status: int, message: str) -> Response:
        return _message(status, message)

    def _answer(self, record: RecordedRequest) -> Response:
        path = record.path
        method = "GET" if record.method == "HEAD" else record.method
        if path.rstrip("/") == GRAPHQL_PATH and method == "POST":
            return self._answer_graphql(record)
        inner = path[len(API_PREFIX) :].rstrip("/") if path.startswith(API_PREFIX + "/") else None
        found = _ROUTES.find(method, inner) if inner is not None else None
        if found is None:
            self.gap(f"{record.method} {path}")
        handler, groups = found
        token = self._authenticate(record, handler in _JOB_TOKEN_ROUTES)
        if token is not None and method not in ("GET", "HEAD") and "api" not in token.scopes:
            _insufficient_scope()
        return handler(_Call(self, record, token, groups))

    def _answer_graphql(self, record: RecordedRequest) -> Response:
        """``POST /api/graphql``, executed by graphql-core (fakes/gitlab_graphql.py).

        GitLab's GraphQL takes a personal token as ``Authorization: Bearer`` or
        ``PRIVATE-TOKEN``; an unknown one is 401 ``Invalid token``; a job token
        is not accepted, so the request is anonymous."""
        if not self.graphql_enabled:
            return _message(404, "404 Not Found")
        try:
            token = self._authenticate(record, job_token_allowed=False)
        except server.Refusal:
            return Response(401, {"errors": [{"message": "Invalid token"}]})
        try:
            payload = json.loads(record.body or b"null")
        except ValueError:
            return Response(400, {"errors": [{"message": "Invalid JSON"}]})
        status, body = gitlab_graphql.answer(self, token, payload)
        return Response(status, body)


# ---------------------------------------------------------------------------
# pytest fixture. Import it into a test module (``from fakes.gitlab import
# fake_gitlab``); pytest_plugins is not used in this project.
# ---------------------------------------------------------------------------


@pytest.fixture
def fake_gitlab() -> Iterator[FakeGitLab]:
    """A running fake GitLab with an empty world; fails the test if the fake met a gap."""
    yield from server.running(FakeGitLab())


__all__ = [
    "COUNT_LIMIT",
    "DEPLOYMENT_STATUSES",
    "FAILURE_REASONS",
    "ISSUE_STATES",
    "ISSUE_TYPES",
    "LINK_TYPE_INVERSES",
    "NOTE_BODY_LIMIT",
    "Deployment",
    "FakeGitLab",
    "Fault",
    "FaultMatch",
    "Faults",
    "GitLabWorld",
    "Issue",
    "IssueLink",
    "MergeRequest",
    "Note",
    "Project",
    "RecordedRequest",
    "Response",
    "Token",
    "User",
    "fake_gitlab",
    "iso",
]
