"""A fake GitHub served over loopback that speaks the real API shapes.

Why a fake server and not mocks: deploygate's GitHub source is driven in the
tests by real clients (``requests`` for GraphQL, PyGithub for REST) over real
HTTP, so headers, status codes, pagination and error bodies are exercised as
they are on the wire.

Why it does not drift from GitHub:

* its GraphQL is *executed* by graphql-core against GitHub's own published
  schema (``@octokit/graphql-schema``): a document GitHub would reject is
  rejected here, and an answer can only have a shape the schema allows;
* its REST answers are checked against GitHub's OpenAPI description
  (``@octokit/openapi``) by tests/test_fake_github.py;
* whatever it does not implement fails loudly (a GraphQL error of type
  ``FAKE_NOT_IMPLEMENTED``, an HTTP 501) and is recorded in
  ``FakeGitHub.problems``; the ``fake_github`` fixture then fails the test at
  teardown, so a gap in the fake never passes for a GitHub behaviour.

Usage::

    from fakes.github import GitHubWorld, fake_github  # the fixture, imported

    def test_something(fake_github):
        repo = fake_github.world.repo("acme/shop")
        repo.deployment(environment="production", state="FAILURE")
        token = fake_github.world.token("ghs_x", login="github-actions[bot]")
        ... point the client at fake_github.graphql_url / fake_github.api_url ...
        assert len(fake_github.requests) == 1

Sections: oracles · world · GraphQL · REST · HTTP server · pytest fixture.
"""

from __future__ import annotations

import base64
import binascii
import enum
import functools
import hashlib
import itertools
import json
import re
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from pathlib import Path
from typing import Any, ClassVar, Literal, NoReturn, TypeAlias
from urllib.parse import quote, unquote, urlencode

import graphql
import pytest
from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLResolveInfo,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from fakes import server

# FaultMatch and Faults stay importable from here, as before they moved.
from fakes.server import FaultMatch as FaultMatch
from fakes.server import Faults as Faults
from fakes.server import Response

# ---------------------------------------------------------------------------
# Oracles: GitHub's own descriptions of its APIs, installed by
# `npm ci --prefix tests/oracle`. Both are large, so they are loaded lazily,
# once per process.
# ---------------------------------------------------------------------------

OCTOKIT = Path(__file__).resolve().parents[1] / "oracle" / "node_modules" / "@octokit"
GRAPHQL_SCHEMA_PATH = OCTOKIT / "graphql-schema" / "schema.graphql"
OPENAPI_PATH = OCTOKIT / "openapi" / "generated" / "api.github.com.deref.json"


@functools.cache
def github_schema() -> graphql.GraphQLSchema:
    """GitHub's published GraphQL schema (~0.7 s to build, so built once).

    The SDL has duplicate fields and deprecation mismatches that graphql-core
    rejects, hence the ``assume_valid`` flags. schema.json in the same package
    is older (no ``Issue.subIssues``), so the .graphql file is the oracle.
    """
    text = GRAPHQL_SCHEMA_PATH.read_text("utf-8")
    return graphql.build_schema(text, assume_valid_sdl=True, assume_valid=True)


GRAPHQL_OLDER_SCHEMA_PATH = OCTOKIT / "graphql-schema" / "schema.json"


@functools.cache
def older_github_schema() -> graphql.GraphQLSchema:
    """An older GitHub schema, as GitHub Enterprise Server releases still serve one.

    schema.json in @octokit/graphql-schema stopped being updated before sub-issues
    and the duplicate close reason: it lacks ``Issue.subIssues``,
    ``Issue.subIssuesSummary`` and the ``enableDuplicate`` argument of
    ``Issue.stateReason``, which is what such a server lacks. A world with
    ``older_schema`` is served it.
    """
    document = json.loads(GRAPHQL_OLDER_SCHEMA_PATH.read_text("utf-8"))
    return graphql.build_client_schema(document.get("data", document), assume_valid=True)


def served_schema(world: GitHubWorld) -> graphql.GraphQLSchema:
    """The schema ``world``'s server speaks: GitHub's current one, or the older one."""
    return older_github_schema() if world.older_schema else github_schema()


@functools.cache
def openapi_document() -> dict[str, Any]:
    """GitHub's OpenAPI 3.0 description of api.github.com, dereferenced (~1 s to load)."""
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text("utf-8"))
    return document


# ---------------------------------------------------------------------------
# World: the data that tests populate with plain method calls.
# ---------------------------------------------------------------------------

UTC = timezone.utc

# The enums the world accepts; fakes/test_fake_github.py checks them against the schema.
DEPLOYMENT_STATES = frozenset(
    {
        "ABANDONED",
        "ACTIVE",
        "DESTROYED",
        "ERROR",
        "FAILURE",
        "INACTIVE",
        "IN_PROGRESS",
        "PENDING",
        "QUEUED",
        "SUCCESS",
        "WAITING",
    }
)
DEPLOYMENT_STATUS_STATES = frozenset(
    {"ERROR", "FAILURE", "INACTIVE", "IN_PROGRESS", "PENDING", "QUEUED", "SUCCESS", "WAITING"}
)
ISSUE_STATES = frozenset({"OPEN", "CLOSED"})
ISSUE_STATE_REASONS = frozenset({"COMPLETED", "DUPLICATE", "NOT_PLANNED", "REOPENED"})
_REASONS_FOR_STATE: dict[str, frozenset[str | None]] = {
    "OPEN": frozenset({None, "REOPENED"}),
    # None: closed before GitHub recorded reasons (2022); such issues still report null.
    "CLOSED": frozenset({None, "COMPLETED", "NOT_PLANNED", "DUPLICATE"}),
}

# A deployment's state is computed by GitHub from its latest status; these
# maps give the status a state implies, and the state a new status implies.
_STATUS_FOR_STATE: dict[str, str | None] = {
    "ACTIVE": "SUCCESS",
    "SUCCESS": "SUCCESS",
    "INACTIVE": "INACTIVE",
    "FAILURE": "FAILURE",
    "ERROR": "ERROR",
    "IN_PROGRESS": "IN_PROGRESS",
    "QUEUED": "QUEUED",
    "WAITING": "WAITING",
    "PENDING": None,
    "ABANDONED": None,
    "DESTROYED": None,
}
_STATE_FOR_STATUS = {
    "SUCCESS": "ACTIVE",
    "FAILURE": "FAILURE",
    "ERROR": "ERROR",
    "INACTIVE": "INACTIVE",
    "PENDING": "PENDING",
    "IN_PROGRESS": "IN_PROGRESS",
    "QUEUED": "QUEUED",
    "WAITING": "WAITING",
}

# Real ids of well-known accounts, so fixtures look like the real thing.
_WELL_KNOWN_USER_IDS = {
    "octocat": 583231,
    "github-actions[bot]": 41898282,
    "dependabot[bot]": 49699333,
}

GITHUB_BODY_LIMIT = 65536
"""GitHub rejects issue and comment bodies longer than this many characters."""


class Default(enum.Enum):
    """Marks an argument left to the world to derive (distinct from an explicit None)."""

    DERIVED = "derived"


DERIVED = Default.DERIVED


def _utc(moment: datetime) -> datetime:
    """GitHub keeps whole seconds in UTC; naive datetimes are a test bug, so they are refused."""
    if moment.tzinfo is None:
        raise ValueError(f"timestamps must be timezone-aware, got {moment!r}")
    return moment.astimezone(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """GitHub's timestamp format in both APIs: ``2026-11-20T12:00:00Z``."""
    return _utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


def _node_id(prefix: str, number: int) -> str:
    """A global node id in GitHub's current format (``I_kwDO...``): opaque, unique, stable."""
    packed = base64.urlsafe_b64encode(number.to_bytes(8, "big")).decode().rstrip("=")
    return f"{prefix}_kwDO{packed}"


def _packed_node_id(prefix: str, *numbers: int) -> str:
    """A global node id as GitHub makes it now: ``DE_`` then base64url, unpadded, of the
    MessagePack array ``[0, *numbers]`` (a repository's records: ``[0, repository, number]``).

    Each number is packed in the fewest bytes MessagePack allows (fixint, uint8 to 64), so a
    number past 2**32 takes the uint64 form, as on github.com.
    """
    packed = bytes([0x90 | (1 + len(numbers)), 0])
    for number in numbers:
        if number < 0x80:
            packed += bytes([number])
            continue
        marker, size = next(
            (marker, size)
            for marker, size in ((0xCC, 1), (0xCD, 2), (0xCE, 4), (0xCF, 8))
            if number < 1 << (8 * size)
        )
        packed += bytes([marker]) + number.to_bytes(size, "big")
    return f"{prefix}_{base64.urlsafe_b64encode(packed).decode().rstrip('=')}"


def _legacy_node_id(type_name: str, number: int) -> str:
    """A global node id in the legacy format older objects and servers keep: base64 of
    ``010:Deployment123`` (the type name's length, the type, the number)."""
    return base64.b64encode(f"0{len(type_name)}:{type_name}{number}".encode()).decode()


def _parse_node_id(node_id: str) -> tuple[str, int] | None:
    """(prefix, number) of an id :func:`_node_id` made; None for anything else."""
    prefix, separator, packed = node_id.partition("_kwDO")
    if not separator or not prefix:
        return None
    try:
        raw = base64.urlsafe_b64decode(packed + "=" * (-len(packed) % 4))
    except (binascii.Error, ValueError):
        return None
    return (prefix, int.from_bytes(raw, "big")) if len(raw) == 8 else None


@dataclass(eq=False)
class User:
    """An account: a user, a bot (an app, e.g. ``github-actions[bot]``) or an organization."""

    login: str
    id: int
    type: Literal["User", "Bot", "Organization"] = "User"
    name: str | None = None

    @property
    def node_id(self) -> str:
        return _node_id({"User": "U", "Bot": "BOT", "Organization": "O"}[self.type], self.id)

    @property
    def is_bot(self) -> bool:
        return self.type == "Bot"


@dataclass(eq=False)
class RateLimit:
    """One rate-limit bucket (GitHub keeps one per resource: ``core``, ``graphql``...).

    Set ``remaining = 0`` in a test to see how the product copes with an
    exhausted budget; the bucket refills when the world clock passes ``reset_at``.
    """

    resource: str
    limit: int
    remaining: int
    reset_at: datetime

    @property
    def used(self) -> int:
        return self.limit - self.remaining

    def refresh(self, now: datetime) -> None:
        if now >= self.reset_at:
            self.remaining = self.limit
            self.reset_at = now + timedelta(hours=1)

    def charge(self, cost: int, now: datetime) -> bool:
        """Take ``cost`` points, or return False (and take nothing) when not enough remain."""
        self.refresh(now)
        if self.remaining < cost:
            return False
        self.remaining -= cost
        return True


@dataclass(eq=False)
class Token:
    """A token the fake accepts, with the identity and permissions GitHub would attach to it.

    ``user_endpoint=False`` is how GITHUB_TOKEN and other installation tokens
    behave: ``GET /user`` answers 403. ``repos`` limits access to the named
    repositories (an installation token is scoped to the repositories it was
    installed on); None means every repository in the world.
    """

    value: str
    user: User
    can_read: bool = True
    can_comment: bool = True
    user_endpoint: bool = True
    admin: bool = False
    repos: frozenset[str] | None = None
    rate_limits: dict[str, RateLimit] = field(default_factory=dict)
    can_read_actions: bool = True
    """Fine-grained and installation tokens need ``actions: read`` for workflow runs."""
    can_read_checks: bool = True
    """Installation tokens need ``checks: read`` for a run's check suite and check runs."""

    @property
    def login(self) -> str:
        return self.user.login

    def has_access(self, repo: Repo) -> bool:
        """Whether the token was granted access to the repository (beyond public reads)."""
        return self.can_read and (self.repos is None or repo.full_name.lower() in self.repos)

    def can_see(self, repo: Repo) -> bool:
        return not repo.private or self.has_access(repo)

    def can_write_comments(self, repo: Repo) -> bool:
        return self.can_comment and self.has_access(repo)

    @property
    def forbidden_message(self) -> str:
        """GitHub's message when a token's permissions fall short."""
        if self.user.is_bot:
            return "Resource not accessible by integration"
        return "Resource not accessible by personal access token"


@dataclass(eq=False)
class Label:
    id: int
    name: str
    color: str = "ededed"
    description: str | None = None

    @property
    def node_id(self) -> str:
        return _node_id("LA", self.id)


@dataclass(eq=False)
class Milestone:
    id: int
    number: int
    title: str
    due_on: datetime | None
    created_at: datetime
    creator: User
    state: Literal["open", "closed"] = "open"
    description: str | None = None

    @property
    def node_id(self) -> str:
        return _node_id("MI", self.id)


@dataclass(eq=False)
class DeploymentStatus:
    id: int
    state: str
    description: str | None
    log_url: str | None
    environment_url: str | None
    created_at: datetime
    creator: User

    @property
    def node_id(self) -> str:
        return _node_id("DES", self.id)


@dataclass(eq=False)
class Deployment:
    repo: Repo
    database_id: int
    environment: str
    sha: str
    ref: str
    task: str
    description: str | None
    created_at: datetime
    creator: User
    state: str
    statuses: list[DeploymentStatus] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        if self.repo.world.legacy_node_ids:
            return _legacy_node_id("Deployment", self.database_id)
        return _packed_node_id("DE", self.repo.id, self.database_id)

    @property
    def latest_status(self) -> DeploymentStatus | None:
        return self.statuses[-1] if self.statuses else None

    @property
    def updated_at(self) -> datetime:
        status = self.latest_status
        return status.created_at if status else self.created_at

    def add_status(
        self,
        state: str,
        *,
        description: str | None = None,
        log_url: str | None = None,
        environment_url: str | None = None,
        created_at: datetime | None = None,
        auto_inactive: bool = True,
    ) -> DeploymentStatus:
        """Post a status as the REST API would; a SUCCESS makes older ACTIVE ones INACTIVE.

        (GitHub's ``auto_inactive`` defaults to true for the same environment.)
        """
        world = self.repo.world
        with world.lock:
            if state not in DEPLOYMENT_STATUS_STATES:
                raise ValueError(f"unknown deployment status state {state!r}")
            moment = world.at(created_at)
            status = DeploymentStatus(
                id=world.next_id("deployment_status"),
                state=state,
                description=description,
                log_url=log_url,
                environment_url=environment_url,
                created_at=moment,
                creator=self.creator,
            )
            self.statuses.append(status)
            self.state = _STATE_FOR_STATUS[state]
            if state == "SUCCESS" and auto_inactive:
                for other in self.repo.deployments:
                    if (
                        other is not self
                        and other.environment == self.environment
                        and other.state == "ACTIVE"
                    ):
                        other.add_status("INACTIVE", created_at=moment, auto_inactive=False)
            return status


@dataclass(eq=False)
class Commit:
    """A commit the world knows by sha: what deployments and workflow runs point at."""

    sha: str
    message: str
    committed_at: datetime
    author: str = "Mona Lisa"
    email: str = "mona@example.com"
    parents: tuple[str, ...] = ()
    """The parents' shas: the history the compare API walks."""
    url: str = ""
    """Its web page in its repository."""

    @property
    def headline(self) -> str:
        """GraphQL's ``messageHeadline``: the message's first line."""
        return self.message.split("\n", 1)[0]

    @property
    def tree_sha(self) -> str:
        return hashlib.sha1(b"tree:" + self.sha.encode(), usedforsecurity=False).hexdigest()


WORKFLOW_RUN_STATUSES = frozenset(
    {"queued", "in_progress", "completed", "waiting", "requested", "pending"}
)
WORKFLOW_RUN_CONCLUSIONS = frozenset(
    {
        "success",
        "failure",
        "neutral",
        "cancelled",
        "skipped",
        "timed_out",
        "action_required",
        "stale",
        "startup_failure",
    }
)
"""What a run can conclude (GitHub's check-suite conclusions; the OpenAPI leaves it a string)."""
JOB_CONCLUSIONS = frozenset(
    {"success", "failure", "neutral", "cancelled", "skipped", "timed_out", "action_required"}
)
STEP_CONCLUSIONS = frozenset({"success", "failure", "cancelled", "skipped"})


@dataclass(eq=False)
class Workflow:
    """A workflow file of a repository (``.github/workflows/deploy.yml``)."""

    id: int
    path: str
    name: str

    @property
    def file_name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(eq=False)
class WorkflowStep:
    name: str
    conclusion: str | None
    number: int


@dataclass(eq=False)
class WorkflowJob:
    """A job of a run's latest attempt, with its steps (``status`` completed unless told)."""

    id: int
    name: str
    status: str
    conclusion: str | None
    started_at: datetime
    completed_at: datetime | None
    steps: list[WorkflowStep]
    run_attempt: int
    annotations: list[tuple[str, str]] = field(default_factory=list)
    """(level, message) in the order the runner wrote them: FAILURE, WARNING or NOTICE."""


@dataclass(eq=False)
class WorkflowRun:
    """One run of a workflow: what GitHub Actions records when a workflow is triggered."""

    repo: Repo
    id: int
    workflow: Workflow
    run_number: int
    run_attempt: int
    head_sha: str
    head_branch: str | None
    event: str
    status: str
    conclusion: str | None
    display_title: str
    created_at: datetime
    run_started_at: datetime
    updated_at: datetime
    actor: User
    jobs: list[WorkflowJob] = field(default_factory=list)
    earlier_attempt_jobs: list[WorkflowJob] = field(default_factory=list)
    """Jobs of earlier attempts: ``filter=all`` lists them, ``filter=latest`` does not."""

    @property
    def node_id(self) -> str:
        return _node_id("WFR", self.id)

    @property
    def check_suite_id(self) -> int:
        """The run's check suite: its jobs are that suite's check runs (one id per run here)."""
        return self.id + 10_000_000_000

    def job(
        self,
        name: str,
        conclusion: str | None = "success",
        *,
        steps: Iterable[tuple[str, str | None]] = (("Set up job", "success"),),
        status: str = "completed",
        annotations: Iterable[tuple[str, str]] = (),
    ) -> WorkflowJob:
        """Add a job to the latest attempt; ``steps`` are (name, conclusion) in order,
        ``annotations`` (level, message), as its check run shows them."""
        world = self.repo.world
        with world.lock:
            if conclusion is not None and conclusion not in JOB_CONCLUSIONS:
                raise ValueError(f"unknown job conclusion {conclusion!r}")
            chosen = [WorkflowStep(n, c, i) for i, (n, c) in enumerate(steps, start=1)]
            for step in chosen:
                if step.conclusion is not None and step.conclusion not in STEP_CONCLUSIONS:
                    raise ValueError(f"unknown step conclusion {step.conclusion!r}")
            job = WorkflowJob(
                id=world.next_id("job"),
                name=name,
                status=status,
                conclusion=conclusion,
                started_at=self.run_started_at,
                completed_at=self.updated_at if status == "completed" else None,
                steps=[] if conclusion == "skipped" else chosen,
                run_attempt=self.run_attempt,
                annotations=list(annotations),
            )
            self.jobs.append(job)
            return job


@dataclass(eq=False)
class Issue:
    """An issue, or a pull request (``is_pull_request``: they share numbers, and REST treats
    a pull request as an issue, while GraphQL's ``Repository.issue`` does not find it)."""

    repo: Repo
    number: int
    database_id: int
    title: str
    body: str
    author: User
    labels: list[Label]
    state: str
    state_reason: str | None
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    milestone: Milestone | None
    is_pull_request: bool = False
    locked: bool = False
    sub_issues: list[Issue] = field(default_factory=list)
    parent: Issue | None = None
    merged_at: datetime | None = None
    """A pull request's merge time; None while unmerged."""
    merge_commit: str | None = None
    """A merged pull request's merge commit sha."""
    closing_pulls: list[Issue] = field(default_factory=list)
    """The pull requests linked to close this issue (``Fixes #12``): GraphQL's
    ``closedByPullRequestsReferences``."""
    closer: Issue | Commit | None = None
    """What closed it, as its ``ClosedEvent`` says: a pull request, a commit, or nobody
    (closed by hand)."""

    MAX_SUB_ISSUES = 100  # GitHub's limit per parent issue

    @property
    def node_id(self) -> str:
        return _node_id("PR" if self.is_pull_request else "I", self.database_id)

    @property
    def url(self) -> str:
        kind = "pull" if self.is_pull_request else "issues"
        return f"{self.repo.url}/{kind}/{self.number}"

    @property
    def comments(self) -> list[Comment]:
        return self.repo.comments(self.number)

    def add_sub_issue(self, issue: Issue) -> Issue:
        """Attach ``issue`` (from any repository of the world) as this issue's next sub-issue.

        GitHub allows one parent per issue and 100 sub-issues per parent.
        """
        with self.repo.world.lock:
            if issue.is_pull_request or self.is_pull_request:
                raise ValueError("sub-issues link issues, not pull requests")
            if issue is self:
                raise ValueError("an issue cannot be its own sub-issue")
            if issue.parent is not None:
                raise ValueError(f"{issue.repo.full_name}#{issue.number} already has a parent")
            if len(self.sub_issues) >= self.MAX_SUB_ISSUES:
                raise ValueError(f"GitHub allows at most {self.MAX_SUB_ISSUES} sub-issues")
            issue.parent = self
            self.sub_issues.append(issue)
            return issue

    def close(
        self,
        reason: str = "COMPLETED",
        *,
        at: datetime | None = None,
        closer: Issue | Commit | None = None,
    ) -> None:
        with self.repo.world.lock:
            _check_state("CLOSED", reason)
            self.state, self.state_reason = "CLOSED", reason
            self.closed_at = self.repo.world.at(at)
            self.updated_at = max(self.updated_at, self.closed_at)
            self.closer = closer

    def merge(self, commit: Commit, *, closes: Sequence[Issue] = ()) -> None:
        """Merge this pull request as ``commit`` (at its commit time), closing each of
        ``closes`` as GitHub does for a ``Fixes #N`` merged into the default branch."""
        with self.repo.world.lock:
            if not self.is_pull_request:
                raise ValueError("only a pull request is merged")
            if commit.sha not in self.repo.commits:
                raise ValueError(f"{commit.sha[:7]} is not a commit of {self.repo.full_name}")
            self.merged_at, self.merge_commit = commit.committed_at, commit.sha
            self.state, self.state_reason = "CLOSED", "COMPLETED"
            self.closed_at = commit.committed_at
            for issue in closes:
                issue.closing_pulls.append(self)
                issue.close(at=commit.committed_at, closer=self)

    def reopen(self, *, at: datetime | None = None) -> None:
        with self.repo.world.lock:
            self.state, self.state_reason, self.closed_at = "OPEN", "REOPENED", None
            self.updated_at = self.repo.world.at(at)


@dataclass(eq=False)
class Comment:
    """An issue (or pull-request conversation) comment."""

    id: int
    issue: Issue
    body: str
    author: User
    created_at: datetime
    updated_at: datetime

    @property
    def node_id(self) -> str:
        return _node_id("IC", self.id)

    @property
    def html_url(self) -> str:
        return f"{self.issue.url}#issuecomment-{self.id}"


def _check_state(state: str, reason: str | None) -> None:
    if state not in ISSUE_STATES:
        raise ValueError(f"issue state must be one of {sorted(ISSUE_STATES)}, got {state!r}")
    if reason not in _REASONS_FOR_STATE[state]:
        raise ValueError(f"GitHub never reports an {state} issue with state reason {reason!r}")


class Repo:
    """A repository: deployments, issues (and pull requests), labels, milestones, comments."""

    def __init__(self, world: GitHubWorld, owner: User, name: str, *, private: bool) -> None:
        self.world = world
        self.owner = owner
        self.name = name
        self.private = private
        self.id = world.next_id("repository")
        self.deployments: list[Deployment] = []
        self.default_branch = "main"
        self.commits: dict[str, Commit] = {}
        self.workflows: dict[str, Workflow] = {}
        """By file name (``deploy.yml``): GitHub finds a workflow by its id or its file name."""
        self.runs: list[WorkflowRun] = []
        self._run_numbers: dict[int, itertools.count[int]] = {}
        self.issues: dict[int, Issue] = {}
        self.labels: dict[str, Label] = {}
        self.milestones: dict[str, Milestone] = {}
        self._comments: list[Comment] = []
        self._numbers = itertools.count(1)

    def __repr__(self) -> str:
        return f"<Repo {self.full_name}>"

    @property
    def full_name(self) -> str:
        return f"{self.owner.login}/{self.name}"

    @property
    def url(self) -> str:
        return f"https://{self.world.web_host}/{self.full_name}"

    @property
    def node_id(self) -> str:
        return _node_id("R", self.id)

    # -- deployments -------------------------------------------------------

    def deployment(
        self,
        *,
        id: int | None = None,
        environment: str = "production",
        sha: str | None = None,
        ref: str = "main",
        task: str = "deploy",
        state: str = "ACTIVE",
        created_at: datetime | None = None,
        description: str | None = None,
        status: str | Default | None = DERIVED,
        status_description: str | None = None,
        log_url: str | None = None,
        environment_url: str | None = None,
        creator_login: str = "github-actions[bot]",
        message: str | None = None,
    ) -> Deployment:
        """Add a deployment in ``state``, with one status carrying the URLs.

        The status's state is derived from ``state`` (ACTIVE -> SUCCESS,
        FAILURE -> FAILURE, PENDING -> no status at all...) unless ``status``
        says otherwise. ``id`` is the databaseId; by default a unique int past
        2**32, as github.com's are: GraphQL's ``Int`` is 32-bit, so the fake
        answers ``databaseId`` null with graphql-core's overflow error, unless
        the world is ``lenient_int``.
        ``message`` is the deployed commit's message (see :meth:`commit`).
        """
        with self.world.lock:
            if state not in DEPLOYMENT_STATES:
                raise ValueError(f"deployment state must be one of {sorted(DEPLOYMENT_STATES)}")
            status_state = _STATUS_FOR_STATE[state] if status is DERIVED else status
            if status_state is not None and status_state not in DEPLOYMENT_STATUS_STATES:
                raise ValueError(f"unknown deployment status state {status_state!r}")
            if status_state is None and (log_url or environment_url or status_description):
                raise ValueError("log_url, environment_url and status_description need a status")
            database_id = self.world.claim_id("deployment", id)
            moment = self.world.at(created_at)
            sha = sha or hashlib.sha1(b"%d" % database_id, usedforsecurity=False).hexdigest()
            self.commit(sha, message, at=moment)
            deployment = Deployment(
                repo=self,
                database_id=database_id,
                environment=environment,
                sha=sha,
                ref=ref,
                task=task,
                description=description,
                created_at=moment,
                creator=self.world.user(creator_login),
                state=state,
            )
            if status_state is not None:
                deployment.statuses.append(
                    DeploymentStatus(
                        id=self.world.next_id("deployment_status"),
                        state=status_state,
                        description=status_description,
                        log_url=log_url,
                        environment_url=environment_url,
                        created_at=moment,
                        creator=deployment.creator,
                    )
                )
            self.deployments.append(deployment)
            return deployment

    # -- commits and workflow runs ------------------------------------------

    def commit(
        self,
        sha: str,
        message: str | None = None,
        *,
        at: datetime | None = None,
        parents: Sequence[str] = (),
    ) -> Commit:
        """The commit ``sha``, made if new (its message defaults to "Change <short sha>");
        a ``message`` given for a known commit replaces its message. ``parents`` must be
        known commits: they make the history that the compare API answers from."""
        with self.world.lock:
            known = self.commits.get(sha)
            if known is None:
                if any(parent not in self.commits for parent in parents):
                    raise ValueError(f"a parent of {sha[:7]} is not a commit of {self.full_name}")
                moment = self.world.at(at)
                known = Commit(
                    sha,
                    message or f"Change {sha[:7]}",
                    moment,
                    parents=tuple(parents),
                    url=f"{self.url}/commit/{sha}",
                )
                self.commits[sha] = known
            elif message is not None:
                known.message = message
            return known

    def workflow(
        self, path: str = ".github/workflows/deploy.yml", *, name: str = "Deploy"
    ) -> Workflow:
        """The workflow at ``path``, made if new."""
        with self.world.lock:
            if not path.startswith(".github/workflows/"):
                raise ValueError("workflows live under .github/workflows/")
            found = Workflow(self.world.next_id("workflow"), path, name)
            return self.workflows.setdefault(found.file_name, found)

    def workflow_run(
        self,
        workflow: str = "deploy.yml",
        *,
        head_sha: str | None = None,
        message: str | None = None,
        branch: str | None = "main",
        event: str = "push",
        status: str = "completed",
        conclusion: str | Default | None = DERIVED,
        created_at: datetime | None = None,
        run_started_at: datetime | None = None,
        duration: timedelta = timedelta(minutes=4),
        display_title: str | None = None,
        run_attempt: int = 1,
        actor_login: str = "octocat",
    ) -> WorkflowRun:
        """Add a run of ``workflow`` (a file name under .github/workflows, made if new).

        ``conclusion`` defaults to success for a completed run and None for
        any other status, as GitHub reports it. ``message`` is the head
        commit's message; ``display_title`` defaults to its first line, as for
        a push. Add jobs with :meth:`WorkflowRun.job`.
        """
        with self.world.lock:
            if status not in WORKFLOW_RUN_STATUSES:
                raise ValueError(f"unknown workflow run status {status!r}")
            if conclusion is DERIVED:
                conclusion = "success" if status == "completed" else None
            if (conclusion is None) != (status != "completed"):
                raise ValueError("a run has a conclusion exactly when it is completed")
            if conclusion is not None and conclusion not in WORKFLOW_RUN_CONCLUSIONS:
                raise ValueError(f"unknown workflow run conclusion {conclusion!r}")
            chosen = self.workflows.get(workflow) or self.workflow(f".github/workflows/{workflow}")
            run_id = self.world.next_id("workflow_run")
            created = self.world.at(created_at)
            started = _utc(run_started_at) if run_started_at else created
            head_sha = (
                head_sha or hashlib.sha1(b"run%d" % run_id, usedforsecurity=False).hexdigest()
            )
            commit = self.commit(head_sha, message, at=created)
            numbers = self._run_numbers.setdefault(chosen.id, itertools.count(1))
            run = WorkflowRun(
                repo=self,
                id=run_id,
                workflow=chosen,
                run_number=next(numbers),
                run_attempt=run_attempt,
                head_sha=head_sha,
                head_branch=branch,
                event=event,
                status=status,
                conclusion=conclusion,
                display_title=display_title if display_title is not None else commit.headline,
                created_at=created,
                run_started_at=started,
                updated_at=started + duration,
                actor=self.world.user(actor_login),
            )
            self.runs.append(run)
            return run

    # -- issues and pull requests ------------------------------------------

    def label(self, name: str, *, color: str = "ededed", description: str | None = None) -> Label:
        """The repository's label ``name`` (names are case-insensitive on GitHub), made if new."""
        with self.world.lock:
            key = name.lower()
            if key not in self.labels:
                self.labels[key] = Label(self.world.next_id("label"), name, color, description)
            return self.labels[key]

    def milestone(self, title: str, *, due_on: datetime | None = None) -> Milestone:
        """The repository's milestone ``title``, made if new."""
        with self.world.lock:
            if title not in self.milestones:
                self.milestones[title] = Milestone(
                    id=self.world.next_id("milestone"),
                    number=len(self.milestones) + 1,
                    title=title,
                    due_on=_utc(due_on) if due_on else None,
                    created_at=self.world.now(),
                    creator=self.owner,
                )
            return self.milestones[title]

    def issue(
        self,
        *,
        number: int | None = None,
        title: str = "An issue",
        body: str = "",
        labels: Iterable[str] = (),
        state: str = "OPEN",
        state_reason: str | Default | None = DERIVED,
        created_at: datetime | None = None,
        updated_at: datetime | None = None,
        closed_at: datetime | None = None,
        milestone: str | None = None,
        milestone_due_on: datetime | None = None,
        author_login: str = "octocat",
    ) -> Issue:
        """Add an issue; ``number`` defaults to the next free one in this repository.

        ``state_reason`` defaults to what GitHub reports: None when OPEN,
        COMPLETED when CLOSED. ``milestone_due_on`` without a ``milestone``
        title puts the issue in a milestone named after the date.
        """
        return self._add_issue(
            number=number,
            title=title,
            body=body,
            labels=labels,
            state=state,
            state_reason=state_reason,
            created_at=created_at,
            updated_at=updated_at,
            closed_at=closed_at,
            milestone=milestone,
            milestone_due_on=milestone_due_on,
            author_login=author_login,
            is_pull_request=False,
        )

    def pull_request(
        self,
        *,
        number: int | None = None,
        title: str = "A pull request",
        body: str = "",
        state: str = "OPEN",
        created_at: datetime | None = None,
        author_login: str = "octocat",
    ) -> Issue:
        """Add a pull request (it takes an issue number; REST comments on it like on an issue)."""
        return self._add_issue(
            number=number,
            title=title,
            body=body,
            labels=(),
            state=state,
            state_reason=None if state == "OPEN" else DERIVED,
            created_at=created_at,
            updated_at=None,
            closed_at=None,
            milestone=None,
            milestone_due_on=None,
            author_login=author_login,
            is_pull_request=True,
        )

    def _add_issue(
        self,
        *,
        number: int | None,
        title: str,
        body: str,
        labels: Iterable[str],
        state: str,
        state_reason: str | Default | None,
        created_at: datetime | None,
        updated_at: datetime | None,
        closed_at: datetime | None,
        milestone: str | None,
        milestone_due_on: datetime | None,
        author_login: str,
        is_pull_request: bool,
    ) -> Issue:
        with self.world.lock:
            if state_reason is DERIVED:
                state_reason = "COMPLETED" if state == "CLOSED" else None
            _check_state(state, state_reason)
            if len(body) > GITHUB_BODY_LIMIT:
                raise ValueError(f"GitHub refuses bodies over {GITHUB_BODY_LIMIT} characters")
            if number is None:
                number = next(n for n in self._numbers if n not in self.issues)
            elif number in self.issues or number < 1:
                raise ValueError(f"{self.full_name}#{number} is taken or invalid")
            created = self.world.at(created_at)
            closed = None
            if state == "CLOSED":
                closed = _utc(closed_at) if closed_at else max(created, self.world.now())
            if milestone is None and milestone_due_on is not None:
                milestone = f"Due {iso(milestone_due_on)[:10]}"
            issue = Issue(
                repo=self,
                number=number,
                database_id=self.world.next_id("issue"),
                title=title,
                body=body,
                author=self.world.user(author_login),
                labels=[self.label(name) for name in dict.fromkeys(labels)],
                state=state,
                state_reason=state_reason,
                created_at=created,
                updated_at=_utc(updated_at) if updated_at else max(created, closed or created),
                closed_at=closed,
                milestone=self.milestone(milestone, due_on=milestone_due_on) if milestone else None,
                is_pull_request=is_pull_request,
            )
            self.issues[number] = issue
            return issue

    def get_issue(self, number: int) -> Issue | None:
        return self.issues.get(number)

    # -- comments ----------------------------------------------------------

    def comment(
        self,
        issue_number: int,
        body: str,
        author_login: str = "octocat",
        *,
        created_at: datetime | None = None,
    ) -> Comment:
        """Add a comment to the issue or pull request ``issue_number`` (which must exist)."""
        with self.world.lock:
            issue = self.issues.get(issue_number)
            if issue is None:
                raise ValueError(
                    f"{self.full_name}#{issue_number} does not exist: "
                    "add it with repo.issue() or repo.pull_request() first"
                )
            moment = self.world.at(created_at)
            comment = Comment(
                id=self.world.next_id("comment"),
                issue=issue,
                body=body,
                author=self.world.user(author_login),
                created_at=moment,
                updated_at=moment,
            )
            self._comments.append(comment)
            self.world.comments[comment.id] = comment
            issue.updated_at = max(issue.updated_at, moment)
            return comment

    def comments(self, issue_number: int | None = None) -> list[Comment]:
        """Comments in creation order (as REST lists them), on one issue or on all."""
        with self.world.lock:
            return [
                c
                for c in self._comments
                if c.id in self.world.comments
                and (issue_number is None or c.issue.number == issue_number)
            ]

    def delete_comment(self, comment: Comment) -> None:
        with self.world.lock:
            self.world.comments.pop(comment.id, None)
            self._comments.remove(comment)


class GitHubWorld(server.World):
    """Everything the fake knows: accounts, tokens, repositories; the clock and ids are
    ``fakes.server.World``'s (GitHub keeps whole seconds).

    ``web_host`` makes the html URLs (``https://github.com/acme/shop/issues/1``);
    set it to a GHES host name to imitate GitHub Enterprise Server.

    ``lenient_int`` answers an ``Int`` past 32 bits with the number, as a server
    that bends the GraphQL spec would; by default the answer is graphql-core's,
    the spec's: null and the error "Int cannot represent non 32-bit signed
    integer value". ``legacy_node_ids`` gives deployments node ids in the legacy
    format (base64 of ``010:Deployment123``) instead of the current one.
    ``older_schema`` serves :func:`older_github_schema`, as an older GitHub
    Enterprise Server does.
    """

    FIRST_IDS: ClassVar[dict[str, int]] = {
        "user": 90_000_001,
        "repository": 700_000_001,
        "deployment": 4_900_000_001,
        "deployment_status": 1_950_000_001,
        "issue": 1_500_000_001,
        "comment": 2_600_000_001,
        "label": 6_000_000_001,
        "milestone": 11_000_001,
        "workflow": 160_000_001,
        "workflow_run": 1_700_000_001,
        "job": 40_000_000_001,
    }

    stored = staticmethod(_utc)

    def __init__(
        self,
        *,
        web_host: str = "github.com",
        clock: Callable[[], datetime] | None = None,
        lenient_int: bool = False,
        legacy_node_ids: bool = False,
        older_schema: bool = False,
    ) -> None:
        super().__init__(clock=clock)
        self.web_host = web_host
        self.lenient_int = lenient_int
        self.legacy_node_ids = legacy_node_ids
        self.older_schema = older_schema
        self.users: dict[str, User] = {}
        self.tokens: dict[str, Token] = {}
        self.repos: dict[str, Repo] = {}
        self.comments: dict[int, Comment] = {}

    def user(
        self, login: str, *, type: Literal["User", "Bot", "Organization"] | None = None
    ) -> User:
        """The account ``login``, made if new (a ``...[bot]`` login makes a Bot)."""
        with self.lock:
            key = login.lower()
            if key not in self.users:
                kind = type or ("Bot" if login.endswith("[bot]") else "User")
                user_id = _WELL_KNOWN_USER_IDS.get(key) or self.next_id("user")
                self.users[key] = User(login=login, id=user_id, type=kind)
            return self.users[key]

    def repo(self, full_name: str, *, private: bool = True) -> Repo:
        """The repository ``owner/name``, made if new (owners default to organizations)."""
        with self.lock:
            existing = self.find_repo(full_name)
            if existing is not None:
                return existing
            owner_login, _, name = full_name.partition("/")
            if not owner_login or not name or "/" in name:
                raise ValueError(f"expected owner/name, got {full_name!r}")
            owner = self.user(owner_login, type="Organization")
            repo = Repo(self, owner, name, private=private)
            self.repos[full_name.lower()] = repo
            return repo

    def find_repo(self, full_name: str) -> Repo | None:
        """Look a repository up as GitHub does: owner and name are case-insensitive."""
        return self.repos.get(full_name.lower())

    def repo_by_id(self, repo_id: int) -> Repo | None:
        return next((r for r in self.repos.values() if r.id == repo_id), None)

    def token(
        self,
        value: str,
        *,
        login: str = "octocat",
        can_read: bool = True,
        can_comment: bool = True,
        user_endpoint: bool | None = None,
        admin: bool = False,
        repos: Iterable[str] | None = None,
        rate_limit: int = 5000,
        can_read_actions: bool = True,
        can_read_checks: bool = True,
    ) -> Token:
        """Register a valid token for ``login``.

        ``user_endpoint`` defaults to False for bots (an installation token such
        as GITHUB_TOKEN gets 403 from ``GET /user``) and True for users.
        ``admin`` lets the token edit and delete other people's comments.
        ``can_read_actions=False`` is a token without ``actions: read``,
        ``can_read_checks=False`` one without ``checks: read``.
        """
        with self.lock:
            user = self.user(login)
            reset = self.now() + timedelta(hours=1)
            token = Token(
                value=value,
                user=user,
                can_read=can_read,
                can_comment=can_comment,
                user_endpoint=not user.is_bot if user_endpoint is None else user_endpoint,
                admin=admin,
                can_read_actions=can_read_actions,
                can_read_checks=can_read_checks,
                repos=None if repos is None else frozenset(r.lower() for r in repos),
                rate_limits={
                    resource: RateLimit(resource, rate_limit, rate_limit, reset)
                    for resource in ("core", "graphql")
                },
            )
            self.tokens[value] = token
            return token


# ---------------------------------------------------------------------------
# GraphQL: parse, validate against the schema, check pagination limits and
# cost like GitHub, then execute with resolvers backed by the world.
# ---------------------------------------------------------------------------

MAX_PAGE_SIZE = 100
MAX_NODES = 500_000


def _gh_error(message: str, error_type: str, **extra: Any) -> GraphQLError:
    """A GraphQL error that GitHub would send with a top-level ``type`` (NOT_FOUND...)."""
    return GraphQLError(message, extensions={"type": error_type, **extra})


class FakeNotImplementedError(GraphQLError):
    """The document asks for something the fake does not model: a gap, never a GitHub answer."""

    def __init__(self, what: str) -> None:
        super().__init__(
            f"fake GitHub does not implement {what}", extensions={"type": "FAKE_NOT_IMPLEMENTED"}
        )


# -- cursors and connections ----------------------------------------------

_CURSOR_PREFIX = "cursor:v2:"


def _encode_cursor(kind: str, key: tuple[Any, ...]) -> str:
    """Opaque like GitHub's (base64 of ``cursor:v2:...``); it holds the sort key, not an
    offset, so pages stay consistent when items are added between requests."""
    payload = _CURSOR_PREFIX + json.dumps([kind, *key], separators=(",", ":"))
    return base64.b64encode(payload.encode()).decode()


def _decode_cursor(cursor: str, kind: str, sample: tuple[Any, ...] | None) -> tuple[Any, ...]:
    invalid = _gh_error(
        f"`{cursor}` does not appear to be a valid cursor.", "INVALID_CURSOR_ARGUMENTS"
    )
    try:
        text = base64.b64decode(cursor.encode(), validate=True).decode()
        if not text.startswith(_CURSOR_PREFIX):
            raise invalid
        decoded = json.loads(text[len(_CURSOR_PREFIX) :])
    except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError):
        raise invalid from None
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise invalid
    key = tuple(decoded[1:])
    if sample is not None and [type(v) for v in key] != [type(v) for v in sample]:
        raise invalid
    return key


@dataclass
class _Connection:
    """A page of a connection: what ``nodes``, ``edges``, ``pageInfo`` and ``totalCount`` read."""

    nodes: list[Any]
    cursors: list[str]
    has_next_page: bool
    has_previous_page: bool
    total_count: int
    hidden: Callable[[Any], str | None] = lambda _node: None  # -> error message if hidden


@dataclass
class _Edge:
    cursor: str
    node: Any


def _paginate(
    items: Sequence[Any],
    *,
    kind: str,
    key: Callable[[Any], tuple[Any, ...]],
    descending: bool,
    args: dict[str, Any],
) -> _Connection:
    """Relay pagination over ``items`` already sorted in the requested order.

    ``after``/``before`` locate positions by sort key; ``first``/``last``
    take from the window. Page bounds were checked before execution.
    """
    keys = [key(item) for item in items]
    sample = keys[0] if keys else None

    def beyond(candidate: tuple[Any, ...], mark: tuple[Any, ...]) -> bool:
        return candidate < mark if descending else candidate > mark

    low, high = 0, len(items)
    if args.get("after") is not None:
        mark = _decode_cursor(args["after"], kind, sample)
        low = next((i for i, k in enumerate(keys) if beyond(k, mark)), len(items))
    if args.get("before") is not None:
        mark = _decode_cursor(args["before"], kind, sample)
        high = next((i for i, k in enumerate(keys) if k == mark or beyond(k, mark)), len(items))
    high = max(low, high)
    first, last = args.get("first"), args.get("last")
    if first is not None:
        high = min(high, low + first)
    elif last is not None:
        low = max(low, high - last)
    return _Connection(
        nodes=list(items[low:high]),
        cursors=[_encode_cursor(kind, k) for k in keys[low:high]],
        has_next_page=high < len(items),
        has_previous_page=low > 0,
        total_count=len(items),
    )


# -- checks before execution: page bounds, node limit, cost ---------------


@dataclass
class _Analysis:
    errors: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    nodes: int = 0

    @property
    def cost(self) -> int:
        """GitHub's documented score: connection requests / 100, rounded, at least 1."""
        return max(1, int(self.requests / 100 + 0.5))


def _is_connection(named: Any) -> bool:
    return (
        isinstance(named, GraphQLObjectType)
        and named.name.endswith("Connection")
        and "pageInfo" in named.fields
    )


def _analyse(
    document: graphql.DocumentNode,
    operation: OperationDefinitionNode,
    variables: dict[str, Any],
    schema: graphql.GraphQLSchema | None = None,
) -> _Analysis:
    """Walk the operation as GitHub does before running it (on ``schema``, GitHub's current).

    Every connection that selects ``nodes`` or ``edges`` needs ``first`` or
    ``last`` within 0..100; the nodes a query may return are bounded by 500,000;
    and the cost is the number of connection requests (a nested connection
    counts once per possible parent node), divided by 100.
    """
    schema = schema or github_schema()
    analysis = _Analysis()
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    values = dict(variables)
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = graphql.value_from_ast_untyped(definition.default_value)

    def argument(node: FieldNode, name: str) -> Any:
        for arg in node.arguments or ():
            if arg.name.value == name:
                value = graphql.value_from_ast_untyped(arg.value, values)
                return None if value is graphql.Undefined else value
        return None

    def selected_names(selection_set: SelectionSetNode | None) -> set[str]:
        names: set[str] = set()
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                names |= selected_names(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                names |= selected_names(fragments[selection.name.value].selection_set)
        return names

    def error(message: str, error_type: str, node: FieldNode, path: list[str]) -> None:
        location = node.loc.source.get_location(node.loc.start) if node.loc else None
        entry: dict[str, Any] = {"type": error_type, "path": path}
        if location:
            entry["locations"] = [{"line": location.line, "column": location.column}]
        entry["message"] = message
        analysis.errors.append(entry)

    def walk(
        selection_set: SelectionSetNode, parent: Any, multiplier: int, path: list[str]
    ) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                kind = schema.get_type(condition.name.value) if condition else parent
                walk(selection.selection_set, kind, multiplier, path)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments[selection.name.value]
                kind = schema.get_type(fragment.type_condition.name.value)
                walk(fragment.selection_set, kind, multiplier, path)
                continue
            assert isinstance(selection, FieldNode)
            name = selection.name.value
            if name.startswith("__") or not isinstance(
                parent, (GraphQLObjectType, GraphQLInterfaceType)
            ):
                continue
            definition = parent.fields.get(name)
            if definition is None:
                continue
            key = selection.alias.value if selection.alias else name
            here = [*path, key]
            named = graphql.get_named_type(definition.type)
            inner = multiplier
            if parent is schema.query_type and name == "nodes":
                # Each id is a node whose connections count again: an upper bound, since
                # GitHub documents no rule for nodes(ids:) and may count less.
                inner = multiplier * len(argument(selection, "ids") or ())
            if _is_connection(named):
                first, last = argument(selection, "first"), argument(selection, "last")
                size = first if first is not None else last
                which = "first" if first is not None else "last"
                if first is not None and last is not None:
                    error(
                        f"Passing both `first` and `last` to paginate the `{name}` "
                        "connection is not supported.",
                        "INVALID_PAGINATION",  # approximated: GitHub's type is undocumented
                        selection,
                        here,
                    )
                    continue
                if size is None:
                    if selected_names(selection.selection_set) & {"nodes", "edges"}:
                        error(
                            f"You must provide a `first` or `last` value to properly "
                            f"paginate the `{name}` connection.",
                            "MISSING_PAGINATION_BOUNDARIES",
                            selection,
                            here,
                        )
                        continue
                    size = 0
                elif size > MAX_PAGE_SIZE:
                    error(
                        f"Requesting {size} records on the `{name}` connection exceeds the "
                        f"`{which}` limit of {MAX_PAGE_SIZE} records.",
                        "EXCESSIVE_PAGINATION",
                        selection,
                        here,
                    )
                    continue
                elif size < 0:
                    error(
                        f"`{which}` on the `{name}` connection cannot be less than zero.",
                        "INVALID_PAGINATION",  # approximated, as above
                        selection,
                        here,
                    )
                    continue
                analysis.requests += multiplier
                analysis.nodes += multiplier * size
                inner = multiplier * size
            if selection.selection_set is not None:
                walk(selection.selection_set, named, inner, here)

    root = schema.get_root_type(operation.operation)
    walk(operation.selection_set, root, 1, [])
    if analysis.nodes > MAX_NODES and not analysis.errors:
        analysis.errors.append(
            {
                "type": "MAX_NODE_LIMIT_EXCEEDED",
                "message": f"This query requests up to {analysis.nodes:,} possible nodes "
                f"which exceeds the maximum limit of {MAX_NODES:,}.",
            }
        )
    return analysis


def query_cost(query: str, variables: dict[str, Any] | None = None) -> tuple[int, int]:
    """(cost, nodeCount) GitHub would report for a valid ``query``, without running it."""
    document = graphql.parse(query)
    operation = graphql.get_operation_ast(document)
    assert operation is not None, "expected one operation"
    analysis = _analyse(document, operation, variables or {})
    if analysis.errors:
        raise ValueError(analysis.errors)
    return analysis.cost, analysis.nodes


# -- resolvers --------------------------------------------------------------


@dataclass
class _Execution:
    """Per-request state the resolvers read (``info.context``)."""

    fake: FakeGitHub
    token: Token
    cost: int
    node_count: int
    extra_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def world(self) -> GitHubWorld:
        return self.fake.world


# Annotations only (they are never evaluated): graphql-core types info by its context.
Info: TypeAlias = "GraphQLResolveInfo[_Execution]"
Resolver = Callable[..., Any]
_RESOLVERS: dict[str, Resolver] = {}


def _resolves(*fields: str) -> Callable[[Resolver], Resolver]:
    """Register a resolver for ``Type.field`` names (``*Connection.x`` for every connection)."""

    def register(function: Resolver) -> Resolver:
        for name in fields:
            _RESOLVERS[name] = function
        return function

    return register


def _attributes(type_name: str, **mapping: Callable[[Any], Any]) -> None:
    """Register plain field reads: ``field=lambda source: value``."""
    for field_name, read in mapping.items():
        _RESOLVERS[f"{type_name}.{field_name}"] = lambda source, _info, _read=read, **_: _read(
            source
        )


def _context(info: Info) -> _Execution:
    return info.context


def _resolve_field(source: Any, info: Info, **args: Any) -> Any:
    """graphql-core's field resolver: look ``Type.field`` up in the table, or fail loudly."""
    parent = info.parent_type.name
    name = info.field_name
    resolver = _RESOLVERS.get(f"{parent}.{name}")
    if resolver is None and parent.endswith("Connection"):
        resolver = _RESOLVERS.get(f"*Connection.{name}")
    if resolver is None and parent.endswith("Edge"):
        resolver = _RESOLVERS.get(f"*Edge.{name}")
    if resolver is None:
        raise FakeNotImplementedError(f"{parent}.{name}")
    return resolver(source, info, **args)


def _resolve_type(value: Any, _info: Info, _abstract: Any) -> str:
    """Concrete types for interfaces (Actor, RepositoryOwner...)."""
    if isinstance(value, User):
        return value.type
    if isinstance(value, WorkflowRun):
        return "WorkflowRun"
    if isinstance(value, _CheckRun):
        return "CheckRun"
    if isinstance(value, Issue):
        return "PullRequest" if value.is_pull_request else "Issue"
    if isinstance(value, Commit):
        return "Commit"
    if isinstance(value, _ClosedEvent):
        return "ClosedEvent"
    raise FakeNotImplementedError(f"abstract type for {type(value).__name__}")


class _Root:
    """The root value; Query fields are resolved from the table below."""


def _repository_not_found(owner: str, name: str) -> GraphQLError:
    return _gh_error(
        f"Could not resolve to a Repository with the name '{owner}/{name}'.", "NOT_FOUND"
    )


@_resolves("Query.rateLimit")
def _query_rate_limit(_root: Any, info: Info, dryRun: bool = False) -> Any:
    if dryRun:
        raise FakeNotImplementedError("rateLimit(dryRun: true)")
    context = _context(info)
    bucket = context.token.rate_limits["graphql"]
    return {
        "cost": context.cost,
        "limit": bucket.limit,
        "nodeCount": context.node_count,
        "remaining": bucket.remaining,
        "resetAt": iso(bucket.reset_at),
        "used": bucket.used,
    }


for _name in ("cost", "limit", "nodeCount", "remaining", "resetAt", "used"):
    _attributes("RateLimit", **{_name: lambda source, _n=_name: source[_n]})


@_resolves("Query.repository")
def _query_repository(
    _root: Any, info: Info, owner: str, name: str, followRenames: bool = True
) -> Repo:
    context = _context(info)
    repo = context.world.find_repo(f"{owner}/{name}")
    if repo is None or not context.token.can_see(repo):
        raise _repository_not_found(owner, name)
    return repo


@_resolves("Query.viewer")
def _query_viewer(_root: Any, info: Info) -> User:
    return _context(info).token.user


for _actor in ("User", "Bot", "Organization"):
    _attributes(
        _actor,
        login=lambda user: user.login,
        id=lambda user: user.node_id,
        databaseId=lambda user: user.id,
    )


def _account_url(web_host: str, user: User) -> str:
    """An account's page; an app's bot account is shown at /apps/NAME."""
    if user.is_bot:
        return f"https://{web_host}/apps/{user.login.removesuffix('[bot]')}"
    return f"https://{web_host}/{user.login}"


@_resolves("User.url", "Bot.url", "Organization.url")
def _actor_url(user: User, info: Info) -> str:
    return _account_url(_context(info).world.web_host, user)


_attributes(
    "Repository",
    id=lambda repo: repo.node_id,
    databaseId=lambda repo: repo.id,
    name=lambda repo: repo.name,
    nameWithOwner=lambda repo: repo.full_name,
    owner=lambda repo: repo.owner,
    url=lambda repo: repo.url,
    isPrivate=lambda repo: repo.private,
    visibility=lambda repo: "PRIVATE" if repo.private else "PUBLIC",
    defaultBranchRef=lambda repo: _BranchRef(repo, repo.default_branch),
)


def _order(order_by: dict[str, Any] | None, default_field: str) -> tuple[str, bool]:
    if order_by is None:
        return default_field, False
    return order_by["field"], order_by["direction"] == "DESC"


@_resolves("Repository.deployments")
def _repository_deployments(
    repo: Repo,
    _info: Info,
    environments: list[str] | None = None,
    orderBy: dict[str, Any] | None = None,
    **page: Any,
) -> _Connection:
    order_field, descending = _order(orderBy, "CREATED_AT")
    chosen = [d for d in repo.deployments if environments is None or d.environment in environments]

    def key(deployment: Deployment) -> tuple[Any, ...]:
        return (iso(deployment.created_at), deployment.database_id)

    chosen.sort(key=key, reverse=descending)
    return _paginate(
        chosen, kind=f"deployments:{order_field}", key=key, descending=descending, args=page
    )


_ISSUE_ORDER_KEYS: dict[str, Callable[[Issue], tuple[Any, ...]]] = {
    "CREATED_AT": lambda issue: (iso(issue.created_at), issue.database_id),
    "UPDATED_AT": lambda issue: (iso(issue.updated_at), issue.database_id),
    "COMMENTS": lambda issue: (len(issue.comments), issue.database_id),
}


def _label_filter(wanted: Iterable[str] | None) -> Callable[[Issue], bool]:
    """GitHub's ``labels`` filter: any of the names (OR), compared case-SENSITIVELY.

    Label names are case-insensitive everywhere else on GitHub, but this
    filter is not (cli/cli#1819): "postmortem" does not find "Postmortem".
    """
    if wanted is None:
        return lambda _issue: True
    names = set(wanted)
    return lambda issue: any(label.name in names for label in issue.labels)


@_resolves("Repository.issues")
def _repository_issues(
    repo: Repo,
    _info: Info,
    labels: list[str] | None = None,
    states: list[str] | None = None,
    orderBy: dict[str, Any] | None = None,
    filterBy: dict[str, Any] | None = None,
    **page: Any,
) -> _Connection:
    chosen = [i for i in repo.issues.values() if not i.is_pull_request]
    filters = dict(filterBy or {})
    since = filters.pop("since", None)
    created_by = filters.pop("createdBy", None)
    labels = labels if labels is not None else filters.pop("labels", None)
    states = states if states is not None else filters.pop("states", None)
    unsupported = {k for k, v in filters.items() if v is not None}
    if unsupported:
        raise FakeNotImplementedError(f"Repository.issues(filterBy: {sorted(unsupported)})")
    matches_labels = _label_filter(labels)
    chosen = [
        issue
        for issue in chosen
        if matches_labels(issue)
        and (states is None or issue.state in states)
        and (since is None or iso(issue.updated_at) >= since)
        and (created_by is None or issue.author.login.lower() == created_by.lower())
    ]
    order_field, descending = _order(orderBy, "CREATED_AT")
    key = _ISSUE_ORDER_KEYS[order_field]
    chosen.sort(key=key, reverse=descending)
    return _paginate(
        chosen, kind=f"issues:{order_field}", key=key, descending=descending, args=page
    )


@_resolves("Repository.issue")
def _repository_issue(repo: Repo, _info: Info, number: int) -> Issue:
    issue = repo.get_issue(number)
    if issue is None or issue.is_pull_request:
        raise _gh_error(
            f"Could not resolve to an issue or pull request with the number of {number}.",
            "NOT_FOUND",
        )
    return issue


_attributes(
    "Deployment",
    id=lambda d: d.node_id,
    databaseId=lambda d: d.database_id,
    commitOid=lambda d: d.sha,
    createdAt=lambda d: iso(d.created_at),
    updatedAt=lambda d: iso(d.updated_at),
    environment=lambda d: d.environment,
    originalEnvironment=lambda d: d.environment,
    latestEnvironment=lambda d: d.environment,
    description=lambda d: d.description,
    state=lambda d: d.state,
    task=lambda d: d.task,
    latestStatus=lambda d: d.latest_status,
    creator=lambda d: d.creator,
    repository=lambda d: d.repo,
    commit=lambda d: d.repo.commits.get(d.sha),
)


@_resolves("Repository.object")
def _repository_object(
    repo: Repo, _info: Info, oid: str | None = None, expression: str | None = None
) -> Commit | None:
    """A commit by its full oid; null for one the repository does not hold, as GitHub's."""
    if expression is not None or oid is None:
        raise FakeNotImplementedError("Repository.object(expression:)")
    return repo.commits.get(oid)


@_resolves("Commit.history")
def _commit_history(
    commit: Commit,
    info: Info,
    since: str | None = None,
    until: str | None = None,
    path: str | None = None,
    author: Any = None,
    **page: Any,
) -> _Connection:
    """``git log COMMIT --since --until``: the commit and its ancestors, newest first, whose
    committed date is within the bounds (both inclusive, as git's)."""
    if path is not None or author is not None:
        raise FakeNotImplementedError("Commit.history(path:/author:)")
    repo = next(r for r in _context(info).world.repos.values() if commit.sha in r.commits)
    low = datetime.fromisoformat(since.replace("Z", "+00:00")) if since else None
    high = datetime.fromisoformat(until.replace("Z", "+00:00")) if until else None
    found = sorted(
        (
            repo.commits[sha]
            for sha in server.reachable(commit.sha, lambda each: repo.commits[each].parents)
            if (low is None or repo.commits[sha].committed_at >= low)
            and (high is None or repo.commits[sha].committed_at <= high)
        ),
        key=lambda each: (each.committed_at, each.sha),
        reverse=True,
    )
    return _paginate(
        found,
        kind="history",
        key=lambda each: (iso(each.committed_at), each.sha),
        descending=True,
        args=page,
    )


_attributes(
    "Commit",
    oid=lambda c: c.sha,
    abbreviatedOid=lambda c: c.sha[:7],
    message=lambda c: c.message,
    messageHeadline=lambda c: c.headline,
    committedDate=lambda c: iso(c.committed_at),
    url=lambda c: c.url,
)


@dataclass(frozen=True)
class _BranchRef:
    """A ``Ref`` as GraphQL shows a branch: its short name and its prefix."""

    repo: Repo
    name: str


_attributes(
    "Ref",
    name=lambda ref: ref.name,
    prefix=lambda ref: "refs/heads/",
    id=lambda ref: _node_id("REF", ref.repo.id),
    repository=lambda ref: ref.repo,
)


@_resolves("Deployment.statuses")
def _deployment_statuses(deployment: Deployment, _info: Info, **page: Any) -> Any:
    # GitHub lists a deployment's statuses newest first.
    statuses = list(reversed(deployment.statuses))
    return _paginate(statuses, kind="statuses", key=lambda s: (s.id,), descending=True, args=page)


_attributes(
    "DeploymentStatus",
    id=lambda s: s.node_id,
    state=lambda s: s.state,
    description=lambda s: s.description,
    logUrl=lambda s: s.log_url,
    environmentUrl=lambda s: s.environment_url,
    createdAt=lambda s: iso(s.created_at),
    updatedAt=lambda s: iso(s.created_at),
    creator=lambda s: s.creator,
)

_attributes(
    "Issue",
    id=lambda i: i.node_id,
    databaseId=lambda i: i.database_id,
    fullDatabaseId=lambda i: str(i.database_id),
    number=lambda i: i.number,
    title=lambda i: i.title,
    url=lambda i: i.url,
    resourcePath=lambda i: f"/{i.repo.full_name}/issues/{i.number}",
    body=lambda i: i.body,
    state=lambda i: i.state,
    closed=lambda i: i.state == "CLOSED",
    createdAt=lambda i: iso(i.created_at),
    updatedAt=lambda i: iso(i.updated_at),
    closedAt=lambda i: iso(i.closed_at) if i.closed_at else None,
    repository=lambda i: i.repo,
    milestone=lambda i: i.milestone,
    author=lambda i: i.author,
    locked=lambda i: i.locked,
    subIssuesSummary=lambda i: i,
)


@_resolves("Issue.stateReason")
def _issue_state_reason(
    issue: Issue,
    _info: Info,
    enableDuplicate: bool = False,
) -> str | None:
    """GitHub hides DUPLICATE (as NOT_PLANNED) unless asked with ``enableDuplicate: true``."""
    if issue.state_reason == "DUPLICATE" and not enableDuplicate:
        return "NOT_PLANNED"
    return issue.state_reason


@_resolves("Issue.labels")
def _issue_labels(
    issue: Issue,
    _info: Info,
    orderBy: dict[str, Any] | None = None,
    **page: Any,
) -> _Connection:
    """Labels by creation (the schema's default order; ids grow with creation) or by name."""
    order_field, descending = _order(orderBy, "CREATED_AT")

    def key(label: Label) -> tuple[Any, ...]:
        return (label.name.lower(), label.id) if order_field == "NAME" else (label.id,)

    labels = sorted(issue.labels, key=key, reverse=descending)
    return _paginate(
        labels, kind=f"labels:{order_field}", key=key, descending=descending, args=page
    )


@_resolves("Issue.subIssues")
def _issue_sub_issues(issue: Issue, info: Info, **page: Any) -> _Connection:
    context = _context(info)
    positions = {id(sub): n for n, sub in enumerate(issue.sub_issues)}
    connection = _paginate(
        issue.sub_issues,
        kind="subIssues",
        key=lambda sub: (positions[id(sub)],),
        descending=False,
        args=page,
    )
    # A sub-issue in a repository the token cannot see comes back as null with an error.
    message = context.token.forbidden_message
    connection.hidden = lambda sub: None if context.token.can_see(sub.repo) else message
    return connection


@_resolves("Issue.parent")
def _issue_parent(issue: Issue, info: Info) -> Issue | None:
    context = _context(info)
    if issue.parent is not None and not context.token.can_see(issue.parent.repo):
        raise _gh_error(context.token.forbidden_message, "FORBIDDEN")
    return issue.parent


@_resolves("Issue.closedByPullRequestsReferences")
def _issue_closing_pulls(
    issue: Issue,
    _info: Info,
    includeClosedPrs: bool = False,
    orderByState: bool = False,
    userLinkedOnly: bool = False,
    **page: Any,
) -> _Connection:
    """The pull requests that close (or closed) the issue, in the order they were linked.

    A pull request closed without merging is left out unless ``includeClosedPrs``; a
    merged one is in, as on github.com (its state is MERGED, not CLOSED).
    """
    if orderByState or userLinkedOnly:
        raise FakeNotImplementedError("closedByPullRequestsReferences(orderByState/userLinkedOnly)")
    pulls = [
        pull
        for pull in issue.closing_pulls
        if includeClosedPrs or pull.state == "OPEN" or pull.merged_at is not None
    ]
    positions = {id(pull): n for n, pull in enumerate(pulls)}
    return _paginate(
        pulls,
        kind="closedBy",
        key=lambda pull: (positions[id(pull)],),
        descending=False,
        args=page,
    )


@dataclass(frozen=True)
class _ClosedEvent:
    """An issue's closing, as its timeline shows it."""

    issue: Issue


@_resolves("Issue.timelineItems")
def _issue_timeline_items(
    issue: Issue, _info: Info, itemTypes: list[str] | None = None, since: Any = None, **page: Any
) -> _Connection:
    """Only the last closing is kept (``itemTypes: [CLOSED_EVENT]``): what the fake knows."""
    if itemTypes != ["CLOSED_EVENT"] or since is not None:
        raise FakeNotImplementedError("Issue.timelineItems other than itemTypes: [CLOSED_EVENT]")
    events = [_ClosedEvent(issue)] if issue.state == "CLOSED" else []
    return _paginate(events, kind="timeline", key=lambda _event: (0,), descending=False, args=page)


_attributes(
    "ClosedEvent",
    id=lambda e: _node_id("CE", e.issue.database_id),
    createdAt=lambda e: iso(e.issue.closed_at),
    closer=lambda e: e.issue.closer,
    stateReason=lambda e: e.issue.state_reason,
    url=lambda e: f"{e.issue.url}#event-{e.issue.database_id}",
)

_attributes(
    "PullRequest",
    id=lambda p: p.node_id,
    number=lambda p: p.number,
    title=lambda p: p.title,
    url=lambda p: p.url,
    state=lambda p: "MERGED" if p.merged_at else p.state,
    merged=lambda p: p.merged_at is not None,
    mergedAt=lambda p: iso(p.merged_at) if p.merged_at else None,
    mergeCommit=lambda p: p.repo.commits.get(p.merge_commit) if p.merge_commit else None,
    repository=lambda p: p.repo,
    createdAt=lambda p: iso(p.created_at),
)


def _summary(issue: Issue) -> dict[str, int]:
    total = len(issue.sub_issues)
    completed = sum(1 for sub in issue.sub_issues if sub.state == "CLOSED")
    return {
        "total": total,
        "completed": completed,
        "percentCompleted": completed * 100 // total if total else 0,
    }


_attributes(
    "SubIssuesSummary",
    total=lambda i: _summary(i)["total"],
    completed=lambda i: _summary(i)["completed"],
    percentCompleted=lambda i: _summary(i)["percentCompleted"],
)

_attributes(
    "Label",
    id=lambda label: label.node_id,
    name=lambda label: label.name,
    color=lambda label: label.color,
    description=lambda label: label.description,
    isDefault=lambda _label: False,
)

_attributes(
    "Milestone",
    id=lambda m: m.node_id,
    number=lambda m: m.number,
    title=lambda m: m.title,
    description=lambda m: m.description,
    dueOn=lambda m: iso(m.due_on) if m.due_on else None,
    state=lambda m: m.state.upper(),
    closed=lambda m: m.state == "closed",
    createdAt=lambda m: iso(m.created_at),
)


# -- Actions through GraphQL: a run's jobs are its check suite's check runs ----


@dataclass(frozen=True)
class _CheckSuite:
    run: WorkflowRun


@dataclass(frozen=True)
class _CheckRun:
    """A job as GraphQL shows it: a check run named like the job, with the same id as REST's."""

    run: WorkflowRun
    job: WorkflowJob


def _find_node(info: Info, node_id: str) -> WorkflowRun | _CheckRun | None:
    """A run (``WFR_``) or a job's check run (``CR_``) the token may see, else None."""
    parsed = _parse_node_id(node_id)
    context = _context(info)
    if parsed is None:
        return None
    prefix, number = parsed
    for repo in context.world.repos.values():
        if not context.token.can_see(repo):
            continue
        for run in repo.runs:
            if prefix == "WFR" and run.id == number:
                return run
            if prefix == "CR":
                job = next((j for j in run.jobs + run.earlier_attempt_jobs if j.id == number), None)
                if job is not None:
                    return _CheckRun(run, job)
    return None


def _node_not_found(node_id: str) -> str:
    return f"Could not resolve to a node with the global id of '{node_id}'"


@_resolves("Query.node")
def _query_node(_root: Any, info: Info, id: str) -> Any:
    found = _find_node(info, id)
    if found is None:
        raise _gh_error(_node_not_found(id), "NOT_FOUND")
    return found


@_resolves("Query.nodes")
def _query_nodes(_root: Any, info: Info, ids: list[str]) -> list[Any]:
    """Each id in order; an unknown one is null with a NOT_FOUND error, as GitHub answers."""
    found = []
    for index, node_id in enumerate(ids):
        node = _find_node(info, node_id)
        if node is None:
            _context(info).extra_errors.append(
                {
                    "type": "NOT_FOUND",
                    "path": [*info.path.as_list(), index],
                    "message": _node_not_found(node_id),
                }
            )
        found.append(node)
    return found


_RUN_URL = re.compile(r"https://([^/]+)/([^/]+/[^/]+)/actions/runs/(\d+)")


@_resolves("Query.resource")
def _query_resource(_root: Any, info: Info, url: str) -> WorkflowRun | None:
    """A workflow run the token may see by its web URL; null for any other URL, as GitHub
    answers a URL it cannot resolve (only runs are looked up this way here)."""
    context = _context(info)
    match = _RUN_URL.fullmatch(url)
    if match is None or match[1] != context.world.web_host:
        return None
    repo = context.world.find_repo(match[2])
    if repo is None or not context.token.can_see(repo):
        return None
    return next((run for run in repo.runs if run.id == int(match[3])), None)


_attributes(
    "WorkflowRun",
    id=lambda run: run.node_id,
    databaseId=lambda run: run.id,
    runNumber=lambda run: run.run_number,
    event=lambda run: run.event,
    createdAt=lambda run: iso(run.created_at),
    updatedAt=lambda run: iso(run.updated_at),
    url=lambda run: f"{run.repo.url}/actions/runs/{run.id}",
    resourcePath=lambda run: f"/{run.repo.full_name}/actions/runs/{run.id}",
)


@_resolves("WorkflowRun.checkSuite", "CheckRun.checkSuite")
def _check_suite(source: WorkflowRun | _CheckRun, info: Info) -> _CheckSuite:
    """Check suites and check runs need ``checks: read`` beyond the run itself."""
    token = _context(info).token
    if not token.can_read_checks:
        raise _gh_error(token.forbidden_message, "FORBIDDEN")
    return _CheckSuite(source if isinstance(source, WorkflowRun) else source.run)


_attributes(
    "CheckSuite",
    id=lambda suite: _node_id("CS", suite.run.check_suite_id),
    databaseId=lambda suite: suite.run.check_suite_id,
    status=lambda suite: suite.run.status.upper(),
    conclusion=lambda suite: suite.run.conclusion.upper() if suite.run.conclusion else None,
    createdAt=lambda suite: iso(suite.run.created_at),
    updatedAt=lambda suite: iso(suite.run.updated_at),
    workflowRun=lambda suite: suite.run,
    repository=lambda suite: suite.run.repo,
)


@_resolves("CheckSuite.checkRuns")
def _check_suite_check_runs(
    suite: _CheckSuite, _info: Info, filterBy: dict[str, Any] | None = None, **page: Any
) -> _Connection:
    """LATEST: one check run per name, the latest attempt's (REST's ``filter=latest``); ALL:
    every attempt's. GitHub documents no default, so the fake asks for an explicit one."""
    filters = dict(filterBy or {})
    check_type = filters.pop("checkType", None)
    unsupported = sorted(k for k, v in filters.items() if v is not None)
    if check_type is None or unsupported:
        raise FakeNotImplementedError(
            f"CheckSuite.checkRuns(filterBy: {unsupported or 'without checkType'})"
        )
    run = suite.run
    jobs = run.jobs if check_type == "LATEST" else [*run.earlier_attempt_jobs, *run.jobs]
    return _paginate(
        [_CheckRun(run, job) for job in jobs],
        kind="checkRuns",
        key=lambda check_run: (check_run.job.id,),
        descending=False,
        args=page,
    )


_attributes(
    "CheckRun",
    id=lambda c: _node_id("CR", c.job.id),
    databaseId=lambda c: c.job.id,
    name=lambda c: c.job.name,
    status=lambda c: c.job.status.upper(),
    conclusion=lambda c: c.job.conclusion.upper() if c.job.conclusion else None,
    startedAt=lambda c: iso(c.job.started_at),
    completedAt=lambda c: iso(c.job.completed_at) if c.job.completed_at else None,
    url=lambda c: f"{c.run.repo.url}/actions/runs/{c.run.id}/job/{c.job.id}",
    permalink=lambda c: f"{c.run.repo.url}/actions/runs/{c.run.id}/job/{c.job.id}",
    repository=lambda c: c.run.repo,
)


@_resolves("CheckRun.steps")
def _check_run_steps(
    check_run: _CheckRun, _info: Info, number: int | None = None, **page: Any
) -> _Connection:
    steps = [s for s in check_run.job.steps if number is None or s.number == number]
    return _paginate(
        [(check_run.job, step) for step in steps],
        kind="steps",
        key=lambda pair: (pair[1].number,),
        descending=False,
        args=page,
    )


@_resolves("CheckRun.annotations")
def _check_run_annotations(check_run: _CheckRun, _info: Info, **page: Any) -> _Connection:
    return _paginate(
        list(enumerate(check_run.job.annotations)),
        kind="annotations",
        key=lambda pair: (pair[0],),
        descending=False,
        args=page,
    )


_attributes(
    "CheckAnnotation",
    annotationLevel=lambda pair: pair[1][0],
    message=lambda pair: pair[1][1],
)


_attributes(
    "CheckStep",
    name=lambda pair: pair[1].name,
    number=lambda pair: pair[1].number,
    status=lambda pair: "COMPLETED" if pair[1].conclusion else "QUEUED",
    conclusion=lambda pair: pair[1].conclusion.upper() if pair[1].conclusion else None,
    startedAt=lambda pair: iso(pair[0].started_at),
    completedAt=lambda pair: iso(pair[0].completed_at) if pair[0].completed_at else None,
)


@_resolves("*Connection.nodes")
def _connection_nodes(connection: _Connection, info: Info) -> list[Any]:
    context = _context(info)
    nodes: list[Any] = []
    for index, node in enumerate(connection.nodes):
        message = connection.hidden(node)
        if message is None:
            nodes.append(node)
            continue
        nodes.append(None)
        context.extra_errors.append(
            {"type": "FORBIDDEN", "path": [*info.path.as_list(), index], "message": message}
        )
    return nodes


@_resolves("*Connection.edges")
def _connection_edges(connection: _Connection, info: Info) -> list[_Edge]:
    nodes = _connection_nodes(connection, info)
    return [_Edge(cursor, node) for cursor, node in zip(connection.cursors, nodes, strict=True)]


_attributes(
    "*Connection",
    totalCount=lambda c: c.total_count,
    pageInfo=lambda c: c,
)
_attributes("*Edge", cursor=lambda e: e.cursor, node=lambda e: e.node)
_attributes(
    "PageInfo",
    hasNextPage=lambda c: c.has_next_page,
    hasPreviousPage=lambda c: c.has_previous_page,
    startCursor=lambda c: c.cursors[0] if c.cursors else None,
    endCursor=lambda c: c.cursors[-1] if c.cursors else None,
)

# -- errors in GitHub's shape ---------------------------------------------

_UNDEFINED_FIELD = re.compile(r"^Cannot query field '([^']+)' on type '([^']+)'\.")
_BAD_VARIABLE = re.compile(r"^Variable '\$(\w+)' ")
_UNKNOWN_ARGUMENT = re.compile(r"^Unknown argument '([^']+)' on field '([^'.]+)\.([^']+)'\.")


def _format_error(
    error: GraphQLError,
    variables: dict[str, Any],
    variable_types: dict[str, str] | None = None,
) -> dict[str, Any]:
    """graphql-core's error, reshaped like GitHub's (graphql-ruby) where they differ.

    GitHub puts ``type`` at the top level, words "unknown field" and "bad
    variable" errors its own way, and keeps ``extensions`` for codes.
    """
    extensions = dict(error.extensions or {})
    out: dict[str, Any] = {}
    if "type" in extensions:
        out["type"] = extensions.pop("type")
    if error.path is not None:
        out["path"] = list(error.path)
    if error.locations:
        out["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    message = error.message
    if match := _UNDEFINED_FIELD.match(message):
        field_name, type_name = match.groups()
        message = f"Field '{field_name}' doesn't exist on type '{type_name}'"
        extensions = {"code": "undefinedField", "typeName": type_name, "fieldName": field_name}
    elif match := _UNKNOWN_ARGUMENT.match(message):
        argument, type_name, field_name = match.groups()
        message = f"Field '{field_name}' doesn't accept argument '{argument}'"
        extensions = {
            "code": "argumentNotAccepted",
            "name": field_name,
            "typeName": "Field",
            "argumentName": argument,
        }
    elif error.path is None and (match := _BAD_VARIABLE.match(message)):
        name = match.group(1)
        type_name = (variable_types or {}).get(name, "?")
        extensions = {
            "value": variables.get(name),
            "problems": [{"path": [], "explanation": message}],
        }
        message = f"Variable ${name} of type {type_name} was provided invalid value"
    out["message"] = message
    if extensions:
        out["extensions"] = extensions
    return out


_INT_OVERFLOW = re.compile(r"Int cannot represent non 32-bit signed integer value: (-?\d+)")


def _answered_leniently(data: Any, failure: GraphQLError) -> bool:
    """Put the number of an ``Int`` overflow ``failure`` in ``data`` where the spec puts null,
    as a lenient server answers; False for any other error, which then stands."""
    match = _INT_OVERFLOW.fullmatch(failure.message)
    if match is None or not failure.path or data is None:
        return False
    *parents, last = failure.path
    for step in parents:
        data = data[step]
    data[last] = int(match[1])
    return True


def _graphql_answer(
    fake: FakeGitHub, token: Token, payload: Any
) -> tuple[int, dict[str, Any], RateLimit]:
    """Answer one POST /graphql body: (status, JSON document, rate bucket to report)."""
    bucket = token.rate_limits["graphql"]
    bucket.refresh(fake.world.now())
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        message = "A query attribute must be specified and must be a string."
        return 200, {"errors": [{"message": message}]}, bucket
    variables = payload.get("variables") or {}
    if not isinstance(variables, dict):
        return 200, {"errors": [{"message": "Variables must be a JSON object."}]}, bucket
    try:
        document = graphql.parse(payload["query"])
    except GraphQLError as error:
        return 200, {"errors": [_format_error(error, variables)]}, bucket
    schema = served_schema(fake.world)
    errors = graphql.validate(schema, document)
    if errors:
        return 200, {"errors": [_format_error(e, variables) for e in errors]}, bucket
    operation_name = payload.get("operationName")
    operation = graphql.get_operation_ast(document, operation_name)
    if operation is None:
        message = (
            f'No operation named "{operation_name}"'
            if operation_name
            else "An operation name is required"
        )
        return 200, {"errors": [{"message": message}]}, bucket
    analysis = _analyse(document, operation, variables, schema)
    if analysis.errors:
        return 200, {"errors": analysis.errors}, bucket
    if not bucket.charge(analysis.cost, fake.world.now()):
        message = f"API rate limit already exceeded for user ID {token.user.id}."
        return 200, {"errors": [{"type": "RATE_LIMITED", "message": message}]}, bucket
    context = _Execution(fake, token, analysis.cost, analysis.nodes)
    result = graphql.execute(
        schema,
        document,
        root_value=_Root(),
        context_value=context,
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=_resolve_field,
        type_resolver=_resolve_type,
    )
    assert isinstance(result, ExecutionResult)
    answer: dict[str, Any] = {"data": result.data}
    variable_types = {
        v.variable.name.value: graphql.print_ast(v.type)
        for v in operation.variable_definitions or ()
    }
    formatted = []
    for failure in result.errors or ():
        if fake.world.lenient_int and _answered_leniently(answer["data"], failure):
            continue
        original = failure.original_error
        if isinstance(failure, FakeNotImplementedError) or isinstance(
            original, FakeNotImplementedError
        ):
            fake.problems.append(failure.message)
        elif original is not None and not isinstance(original, GraphQLError):
            fake.problems.append(
                "fake GitHub crashed:\n" + "".join(traceback.format_exception(original))
            )
        formatted.append(_format_error(failure, variables, variable_types))
    formatted.extend(context.extra_errors)
    if formatted:
        answer["errors"] = formatted
    return 200, answer, bucket


# ---------------------------------------------------------------------------
# REST: the endpoints deploygate and PyGithub use, with GitHub's JSON shapes.
# ---------------------------------------------------------------------------

DOCS = "https://docs.github.com/rest"
_DOC_URLS = {
    "get_user": f"{DOCS}/users/users#get-the-authenticated-user",
    "get_issue": f"{DOCS}/issues/issues#get-an-issue",
    "list_comments": f"{DOCS}/issues/comments#list-issue-comments",
    "create_comment": f"{DOCS}/issues/comments#create-an-issue-comment",
    "get_comment": f"{DOCS}/issues/comments#get-an-issue-comment",
    "update_comment": f"{DOCS}/issues/comments#update-an-issue-comment",
    "delete_comment": f"{DOCS}/issues/comments#delete-an-issue-comment",
    "list_runs": f"{DOCS}/actions/workflow-runs#list-workflow-runs-for-a-workflow",
    "list_jobs": f"{DOCS}/actions/workflow-jobs#list-jobs-for-a-workflow-run",
    "compare": f"{DOCS}/commits/commits#compare-two-commits",
}


def _error(status: int, message: str, doc: str = DOCS, **extra: Any) -> Response:
    """GitHub's error body: message, documentation_url and the status as a string."""
    body = {"message": message, "documentation_url": doc, **extra, "status": str(status)}
    return Response(status, body)


def _refuse(status: int, message: str, doc: str = DOCS, **extra: Any) -> NoReturn:
    raise server.Refusal(_error(status, message, doc, **extra))


def _too_long(resource: str, doc: str) -> NoReturn:
    """GitHub's 422 for a body over its limit."""
    problem = f"body is too long (maximum is {GITHUB_BODY_LIMIT} characters)"
    error = {"resource": resource, "code": "custom", "field": "body", "message": problem}
    _refuse(422, "Validation Failed", doc, errors=[error])


@dataclass
class _RestCall:
    fake: FakeGitHub
    record: RecordedRequest
    token: Token | None
    root: str  # the API root URL the client used (GHES clients add /api/v3)
    params: dict[str, str]

    @property
    def world(self) -> GitHubWorld:
        return self.fake.world

    def json_body(self) -> Any:
        try:
            return json.loads(self.record.body or b"null")
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _PROBLEMS_PARSING_JSON


_PROBLEMS_PARSING_JSON = object()


def _user_json(call: _RestCall, user: User) -> dict[str, Any]:
    """The "simple-user" object GitHub embeds wherever an account appears."""
    base = f"{call.root}/users/{quote(user.login)}"
    return {
        "login": user.login,
        "id": user.id,
        "node_id": user.node_id,
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user.id}?v=4",
        "gravatar_id": "",
        "url": base,
        "html_url": _account_url(call.world.web_host, user),
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": user.type,
        "user_view_type": "public",
        "site_admin": False,
    }


def _association(repo: Repo, user: User) -> str:
    if user is repo.owner:
        return "OWNER"
    return "NONE" if user.is_bot else "CONTRIBUTOR"


def _repo_api(call: _RestCall, repo: Repo) -> str:
    return f"{call.root}/repos/{repo.full_name}"


def _label_json(call: _RestCall, repo: Repo, label: Label) -> dict[str, Any]:
    return {
        "id": label.id,
        "node_id": label.node_id,
        "url": f"{_repo_api(call, repo)}/labels/{quote(label.name)}",
        "name": label.name,
        "color": label.color,
        "default": False,
        "description": label.description,
    }


def _milestone_json(call: _RestCall, repo: Repo, milestone: Milestone) -> dict[str, Any]:
    issues = [i for i in repo.issues.values() if i.milestone is milestone]
    url = f"{_repo_api(call, repo)}/milestones/{milestone.number}"
    return {
        "url": url,
        "html_url": f"{repo.url}/milestone/{milestone.number}",
        "labels_url": f"{url}/labels",
        "id": milestone.id,
        "node_id": milestone.node_id,
        "number": milestone.number,
        "state": milestone.state,
        "title": milestone.title,
        "description": milestone.description,
        "creator": _user_json(call, milestone.creator),
        "open_issues": sum(1 for i in issues if i.state == "OPEN"),
        "closed_issues": sum(1 for i in issues if i.state == "CLOSED"),
        "created_at": iso(milestone.created_at),
        "updated_at": iso(milestone.created_at),
        "closed_at": None,
        "due_on": iso(milestone.due_on) if milestone.due_on else None,
    }


def _reactions(url: str) -> dict[str, Any]:
    counts = dict.fromkeys(
        ("+1", "-1", "laugh", "hooray", "confused", "heart", "rocket", "eyes"), 0
    )
    return {"url": f"{url}/reactions", "total_count": 0, **counts}


def _issue_json(call: _RestCall, issue: Issue) -> dict[str, Any]:
    repo = issue.repo
    url = f"{_repo_api(call, repo)}/issues/{issue.number}"
    summary = _summary(issue)
    body: dict[str, Any] = {
        "url": url,
        "repository_url": _repo_api(call, repo),
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": issue.url,
        "id": issue.database_id,
        "node_id": issue.node_id,
        "number": issue.number,
        "title": issue.title,
        "user": _user_json(call, issue.author),
        "labels": [_label_json(call, repo, label) for label in issue.labels],
        "state": issue.state.lower(),
        "locked": issue.locked,
        "assignee": None,
        "assignees": [],
        "milestone": _milestone_json(call, repo, issue.milestone) if issue.milestone else None,
        "comments": len(issue.comments),
        "created_at": iso(issue.created_at),
        "updated_at": iso(issue.updated_at),
        "closed_at": iso(issue.closed_at) if issue.closed_at else None,
        "author_association": _association(repo, issue.author),
        "active_lock_reason": None,
        "sub_issues_summary": {
            "total": summary["total"],
            "completed": summary["completed"],
            "percent_completed": summary["percentCompleted"],
        },
        "body": issue.body or None,  # REST says null where GraphQL says ""
        "closed_by": None,
        "reactions": _reactions(url),
        "timeline_url": f"{url}/timeline",
        "performed_via_github_app": None,
        "state_reason": issue.state_reason.lower() if issue.state_reason else None,
    }
    if issue.is_pull_request:
        pull = f"{_repo_api(call, repo)}/pulls/{issue.number}"
        body["draft"] = False
        body["pull_request"] = {
            "url": pull,
            "html_url": issue.url,
            "diff_url": f"{issue.url}.diff",
            "patch_url": f"{issue.url}.patch",
            "merged_at": None,
        }
    return body


def _comment_json(call: _RestCall, comment: Comment) -> dict[str, Any]:
    repo = comment.issue.repo
    url = f"{_repo_api(call, repo)}/issues/comments/{comment.id}"
    return {
        "url": url,
        "html_url": comment.html_url,
        "issue_url": f"{_repo_api(call, repo)}/issues/{comment.issue.number}",
        "id": comment.id,
        "node_id": comment.node_id,
        "user": _user_json(call, comment.author),
        "created_at": iso(comment.created_at),
        "updated_at": iso(comment.updated_at),
        "author_association": _association(repo, comment.author),
        "body": comment.body,
        "reactions": _reactions(url),
        "performed_via_github_app": None,
    }


def _private_user_json(call: _RestCall, user: User) -> dict[str, Any]:
    """``GET /user``: the "private-user" shape (the authenticated account sees its own totals)."""
    created = "2011-01-25T18:44:36Z"
    return {
        **_user_json(call, user),
        "name": user.name,
        "company": None,
        "blog": "",
        "location": None,
        "email": None,
        "hireable": None,
        "bio": None,
        "twitter_username": None,
        "notification_email": None,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "created_at": created,
        "updated_at": created,
        "private_gists": 0,
        "total_private_repos": 0,
        "owned_private_repos": 0,
        "disk_usage": 0,
        "collaborators": 0,
        "two_factor_authentication": True,
    }


def _find_repo(call: _RestCall, groups: dict[str, str]) -> Repo | None:
    """The repository named in the path, or None when missing or hidden from the token
    (GitHub answers 404, not 403, so as not to reveal a private repository)."""
    if groups.get("repo_id"):
        repo = call.world.repo_by_id(int(groups["repo_id"]))
    else:
        repo = call.world.find_repo(f"{unquote(groups['owner'])}/{unquote(groups['repo'])}")
    if repo is None:
        return None
    if call.token is None:
        return None if repo.private else repo
    return repo if call.token.can_see(repo) else None


def _signed_in(call: _RestCall, doc: str) -> Token:
    """The caller's token; 401 for an anonymous caller."""
    if call.token is None:
        _refuse(401, "Requires authentication", doc)
    return call.token


def _get_user(call: _RestCall, _groups: dict[str, str]) -> Response:
    doc = _DOC_URLS["get_user"]
    token = _signed_in(call, doc)
    if not token.user_endpoint:
        _refuse(403, token.forbidden_message, doc)
    return Response(200, _private_user_json(call, token.user))


def _found_repo(call: _RestCall, groups: dict[str, str], doc: str) -> Repo:
    """The repository named in the path; 404 when it is missing or hidden."""
    repo = _find_repo(call, groups)
    if repo is None:
        _refuse(404, "Not Found", doc)
    return repo


def _found_issue(call: _RestCall, groups: dict[str, str], doc: str) -> Issue:
    """The issue (or pull request) named in the path; 404 when it or its repository is not
    to be found."""
    repo = _find_repo(call, groups)
    issue = repo.get_issue(int(groups["number"])) if repo else None
    if issue is None:
        _refuse(404, "Not Found", doc)
    return issue


def _get_issue(call: _RestCall, groups: dict[str, str]) -> Response:
    return Response(200, _issue_json(call, _found_issue(call, groups, _DOC_URLS["get_issue"])))


def _page_links(call: _RestCall, base: str, page: int, last: int) -> str:
    """GitHub's Link header: prev, next, last, first (each only when it applies)."""

    def link(number: int) -> str:
        params = {k: v for k, v in call.params.items() if k != "page"}
        params["page"] = str(number)
        return f"{base}?{urlencode(params)}"

    links = []
    if page > 1:
        links.append((link(min(page - 1, last)), "prev"))
    if page < last:
        links.append((link(page + 1), "next"))
        links.append((link(last), "last"))
    if page > 1:
        links.append((link(1), "first"))
    return server.link_header(links)


def _positive(value: str | None, default: int) -> int:
    try:
        number = int(value) if value is not None else default
    except ValueError:
        return default
    return number if number > 0 else default


def _paged(
    call: _RestCall, listing: Sequence[Any], base: str, body: Callable[[Sequence[Any]], Any]
) -> Response:
    """The page of ``listing`` that ``page`` and ``per_page`` ask for (30 by default, 100 at
    most), its ``body``, and GitHub's Link header on ``base`` (GitHub's links name the
    repository by id)."""
    per_page = min(_positive(call.params.get("per_page"), 30), 100)
    page = server.Page.of(listing, _positive(call.params.get("page"), 1), per_page)
    response = Response(200, body(page.items))
    links = _page_links(call, base, page.number, page.last)
    if links:
        response.headers["Link"] = links
    return response


def _list_comments(call: _RestCall, groups: dict[str, str]) -> Response:
    issue = _found_issue(call, groups, _DOC_URLS["list_comments"])
    comments = issue.repo.comments(issue.number)
    if "since" in call.params:
        comments = [c for c in comments if iso(c.updated_at) >= call.params["since"]]
    base = f"{call.root}/repositories/{issue.repo.id}/issues/{issue.number}/comments"
    return _paged(call, comments, base, lambda page: [_comment_json(call, c) for c in page])


def _comment_body(call: _RestCall, doc: str) -> str:
    """The ``body`` of a create/update request, or GitHub's 400/422 answer."""
    payload = call.json_body()
    if payload is _PROBLEMS_PARSING_JSON:
        _refuse(400, "Problems parsing JSON", doc)
    body = payload.get("body") if isinstance(payload, dict) else None
    if not isinstance(body, str):
        _refuse(422, 'Invalid request.\n\n"body" wasn\'t supplied.', doc)
    if len(body) > GITHUB_BODY_LIMIT:
        _too_long("IssueComment", doc)
    return body


def _may_write(call: _RestCall, repo: Repo, doc: str) -> Token:
    """The caller's token if it may write issues and comments in ``repo``; 401 or 403."""
    token = _signed_in(call, doc)
    if not token.can_write_comments(repo):
        _refuse(403, token.forbidden_message, doc)
    return token


def _create_comment(call: _RestCall, groups: dict[str, str]) -> Response:
    doc = _DOC_URLS["create_comment"]
    issue = _found_issue(call, groups, doc)
    token = _may_write(call, issue.repo, doc)
    comment = issue.repo.comment(issue.number, _comment_body(call, doc), token.login)
    response = Response(201, _comment_json(call, comment))
    response.headers["Location"] = response.body["url"]
    return response


def _find_comment(call: _RestCall, groups: dict[str, str], doc: str) -> Comment:
    """The comment named in the path, in the repository named there; else 404."""
    repo = _find_repo(call, groups)
    comment = call.world.comments.get(int(groups["comment_id"])) if repo else None
    if comment is None or comment.issue.repo is not repo:
        _refuse(404, "Not Found", doc)
    return comment


def _get_comment(call: _RestCall, groups: dict[str, str]) -> Response:
    return Response(200, _comment_json(call, _find_comment(call, groups, _DOC_URLS["get_comment"])))


def _changeable_comment(call: _RestCall, groups: dict[str, str], doc: str) -> Comment:
    """The comment, if the token may edit or delete it: GitHub lets a token change its own
    comments (others' only as admin)."""
    comment = _find_comment(call, groups, doc)
    token = _may_write(call, comment.issue.repo, doc)
    if comment.author is not token.user and not token.admin:
        _refuse(403, token.forbidden_message, doc)
    return comment


def _update_comment(call: _RestCall, groups: dict[str, str]) -> Response:
    doc = _DOC_URLS["update_comment"]
    comment = _changeable_comment(call, groups, doc)
    comment.body = _comment_body(call, doc)
    comment.updated_at = max(call.world.now(), comment.created_at)
    return Response(200, _comment_json(call, comment))


def _delete_comment(call: _RestCall, groups: dict[str, str]) -> Response:
    comment = _changeable_comment(call, groups, _DOC_URLS["delete_comment"])
    comment.issue.repo.delete_comment(comment)
    return Response(204)


# -- issues: the repository's list, create and update (deploygate's report issue) ----------

_ISSUE_DOCS = {
    "list_issues": f"{DOCS}/issues/issues#list-repository-issues",
    "create_issue": f"{DOCS}/issues/issues#create-an-issue",
    "update_issue": f"{DOCS}/issues/issues#update-an-issue",
    "list_repo_comments": f"{DOCS}/issues/comments#list-issue-comments-for-a-repository",
}


def _list_repo_issues(call: _RestCall, groups: dict[str, str]) -> Response:
    """``state`` (default open) and ``creator`` filter, newest first; pull requests included."""
    doc = _ISSUE_DOCS["list_issues"]
    repo = _found_repo(call, groups, doc)
    unmodelled = set(call.params) - {"state", "creator", "per_page", "page", "sort", "direction"}
    if unmodelled or call.params.get("sort", "created") != "created":
        call.fake.gap(f"issue filters {sorted(unmodelled)}")
    state = call.params.get("state", "open")
    if state not in ("open", "closed", "all"):
        _refuse(422, "Validation Failed", doc)
    creator = call.params.get("creator")
    issues = [
        issue
        for issue in repo.issues.values()
        if (state == "all" or issue.state.lower() == state)
        and (creator is None or issue.author.login.lower() == creator.lower())
    ]
    issues.sort(
        key=lambda i: (i.created_at, i.number), reverse=call.params.get("direction") != "asc"
    )
    base = f"{call.root}/repositories/{repo.id}/issues"
    return _paged(call, issues, base, lambda page: [_issue_json(call, i) for i in page])


def _issue_fields(call: _RestCall, doc: str, creating: bool) -> dict[str, str]:
    """The ``title`` and ``body`` of a create or update request, or GitHub's 400/422."""
    payload = call.json_body()
    if payload is _PROBLEMS_PARSING_JSON or not isinstance(payload, dict):
        _refuse(400, "Problems parsing JSON", doc)
    fields = {key: payload[key] for key in ("title", "body") if key in payload}
    if set(payload) - {"title", "body"}:
        call.fake.gap(f"issue fields {sorted(payload)}")
    if creating and not isinstance(fields.get("title"), str):
        _refuse(422, 'Invalid request.\n\n"title" wasn\'t supplied.', doc)
    if not all(isinstance(value, str) for value in fields.values()):
        _refuse(422, "Invalid request.", doc)
    if len(fields.get("body", "")) > GITHUB_BODY_LIMIT:
        _too_long("Issue", doc)
    return fields


def _create_issue(call: _RestCall, groups: dict[str, str]) -> Response:
    doc = _ISSUE_DOCS["create_issue"]
    repo = _found_repo(call, groups, doc)
    token = _may_write(call, repo, doc)
    fields = _issue_fields(call, doc, creating=True)
    issue = repo.issue(title=fields["title"], body=fields.get("body", ""), author_login=token.login)
    response = Response(201, _issue_json(call, issue))
    response.headers["Location"] = response.body["url"]
    return response


def _update_issue(call: _RestCall, groups: dict[str, str]) -> Response:
    """Anyone who may write issues may edit any issue's title and body, as on GitHub."""
    doc = _ISSUE_DOCS["update_issue"]
    issue = _found_issue(call, groups, doc)
    _may_write(call, issue.repo, doc)
    fields = _issue_fields(call, doc, creating=False)
    with call.world.lock:
        issue.title = fields.get("title", issue.title)
        issue.body = fields.get("body", issue.body)
        issue.updated_at = max(call.world.now(), issue.created_at)
    return Response(200, _issue_json(call, issue))


def _list_repo_comments(call: _RestCall, groups: dict[str, str]) -> Response:
    """Every issue and pull-request comment of the repository, ``since`` an update time,
    oldest first (GitHub's default ``sort=created&direction=asc``)."""
    repo = _found_repo(call, groups, _ISSUE_DOCS["list_repo_comments"])
    unmodelled = set(call.params) - {"since", "per_page", "page"}
    if unmodelled:
        call.fake.gap(f"comment filters {sorted(unmodelled)}")
    comments = sorted(repo.comments(), key=lambda c: (c.created_at, c.id))
    if "since" in call.params:
        comments = [c for c in comments if iso(c.updated_at) >= call.params["since"]]
    base = f"{call.root}/repositories/{repo.id}/issues/comments"
    return _paged(call, comments, base, lambda page: [_comment_json(call, c) for c in page])


# -- Actions: workflow runs and their jobs ------------------------------------

_REPO_URL_TEMPLATES = {
    "archive_url": "/{archive_format}{/ref}",
    "assignees_url": "/assignees{/user}",
    "blobs_url": "/git/blobs{/sha}",
    "branches_url": "/branches{/branch}",
    "collaborators_url": "/collaborators{/collaborator}",
    "comments_url": "/comments{/number}",
    "commits_url": "/commits{/sha}",
    "compare_url": "/compare/{base}...{head}",
    "contents_url": "/contents/{+path}",
    "contributors_url": "/contributors",
    "deployments_url": "/deployments",
    "downloads_url": "/downloads",
    "events_url": "/events",
    "forks_url": "/forks",
    "git_commits_url": "/git/commits{/sha}",
    "git_refs_url": "/git/refs{/sha}",
    "git_tags_url": "/git/tags{/sha}",
    "hooks_url": "/hooks",
    "issue_comment_url": "/issues/comments{/number}",
    "issue_events_url": "/issues/events{/number}",
    "issues_url": "/issues{/number}",
    "keys_url": "/keys{/key_id}",
    "labels_url": "/labels{/name}",
    "languages_url": "/languages",
    "merges_url": "/merges",
    "milestones_url": "/milestones{/number}",
    "notifications_url": "/notifications{?since,all,participating}",
    "pulls_url": "/pulls{/number}",
    "releases_url": "/releases{/id}",
    "stargazers_url": "/stargazers",
    "statuses_url": "/statuses/{sha}",
    "subscribers_url": "/subscribers",
    "subscription_url": "/subscription",
    "tags_url": "/tags",
    "teams_url": "/teams",
    "trees_url": "/git/trees{/sha}",
}


def _minimal_repo_json(call: _RestCall, repo: Repo) -> dict[str, Any]:
    """The "minimal-repository" object a workflow run embeds (its required fields)."""
    api = _repo_api(call, repo)
    return {
        "id": repo.id,
        "node_id": repo.node_id,
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": _user_json(call, repo.owner),
        "private": repo.private,
        "html_url": repo.url,
        "description": None,
        "fork": False,
        "url": api,
        **{key: api + suffix for key, suffix in _REPO_URL_TEMPLATES.items()},
    }


def _run_json(call: _RestCall, run: WorkflowRun) -> dict[str, Any]:
    repo = run.repo
    api = f"{_repo_api(call, repo)}/actions/runs/{run.id}"
    commit = repo.commits[run.head_sha]
    identity = {"name": commit.author, "email": commit.email}
    check_suite_id = run.check_suite_id
    return {
        "id": run.id,
        "name": run.workflow.name,
        "node_id": run.node_id,
        "check_suite_id": check_suite_id,
        "check_suite_node_id": _node_id("CS", check_suite_id),
        "head_branch": run.head_branch,
        "head_sha": run.head_sha,
        "path": f"{run.workflow.path}@{run.head_branch or run.head_sha}",
        "run_number": run.run_number,
        "event": run.event,
        "display_title": run.display_title,
        "status": run.status,
        "conclusion": run.conclusion,
        "workflow_id": run.workflow.id,
        "url": api,
        "html_url": f"{repo.url}/actions/runs/{run.id}",
        # The fake attaches no pull requests to runs, so exclude_pull_requests changes nothing.
        "pull_requests": [],
        "created_at": iso(run.created_at),
        "updated_at": iso(run.updated_at),
        "actor": _user_json(call, run.actor),
        "run_attempt": run.run_attempt,
        "referenced_workflows": [],
        "run_started_at": iso(run.run_started_at),
        "triggering_actor": _user_json(call, run.actor),
        "jobs_url": f"{api}/jobs",
        "logs_url": f"{api}/logs",
        "check_suite_url": f"{_repo_api(call, repo)}/check-suites/{check_suite_id}",
        "artifacts_url": f"{api}/artifacts",
        "cancel_url": f"{api}/cancel",
        "rerun_url": f"{api}/rerun",
        "previous_attempt_url": f"{api}/attempts/{run.run_attempt - 1}"
        if run.run_attempt > 1
        else None,
        "workflow_url": f"{_repo_api(call, repo)}/actions/workflows/{run.workflow.id}",
        "head_commit": {
            "id": commit.sha,
            "tree_id": commit.tree_sha,
            "message": commit.message,
            "timestamp": iso(commit.committed_at),
            "author": identity,
            "committer": identity,
        },
        "repository": _minimal_repo_json(call, repo),
        "head_repository": _minimal_repo_json(call, repo),
    }


def _job_json(call: _RestCall, run: WorkflowRun, job: WorkflowJob) -> dict[str, Any]:
    repo = run.repo
    run_api = f"{_repo_api(call, repo)}/actions/runs/{run.id}"
    return {
        "id": job.id,
        "run_id": run.id,
        "run_url": run_api,
        "run_attempt": job.run_attempt,
        "node_id": _node_id("CR", job.id),
        "head_sha": run.head_sha,
        "url": f"{_repo_api(call, repo)}/actions/jobs/{job.id}",
        "html_url": f"{repo.url}/actions/runs/{run.id}/job/{job.id}",
        "status": job.status,
        "conclusion": job.conclusion,
        "created_at": iso(job.started_at),
        "started_at": iso(job.started_at),
        "completed_at": iso(job.completed_at) if job.completed_at else None,
        "name": job.name,
        "steps": [
            {
                "name": step.name,
                "status": "completed" if step.conclusion else "queued",
                "conclusion": step.conclusion,
                "number": step.number,
                "started_at": iso(job.started_at),
                "completed_at": iso(job.completed_at) if job.completed_at else None,
            }
            for step in job.steps
        ],
        "check_run_url": f"{_repo_api(call, repo)}/check-runs/{job.id}",
        "labels": ["ubuntu-latest"],
        "runner_id": 1 if job.conclusion != "skipped" else None,
        "runner_name": "GitHub Actions 1" if job.conclusion != "skipped" else None,
        "runner_group_id": 1 if job.conclusion != "skipped" else None,
        "runner_group_name": "GitHub Actions" if job.conclusion != "skipped" else None,
        "workflow_name": run.workflow.name,
        "head_branch": run.head_branch,
    }


SEARCH_LIMIT = 1000
"""GitHub lists at most this many runs of a filtered listing (branch, created, status...)."""
_SEARCH_PARAMS = frozenset(
    {"actor", "branch", "check_suite_id", "created", "event", "head_sha", "status"}
)
_CREATED_BOUND = re.compile(r"^(?P<op>>=|<=|>|<)?(?P<moment>[0-9T:+.Z-]+)$")


def _reachable(repo: Repo, sha: str) -> set[str]:
    return server.reachable(sha, lambda each: repo.commits[each].parents)


def _commit_json(call: _RestCall, repo: Repo, commit: Commit) -> dict[str, Any]:
    """The REST "commit" object, as the compare API embeds it."""
    api = f"{_repo_api(call, repo)}/commits/{commit.sha}"
    identity = {"name": commit.author, "email": commit.email, "date": iso(commit.committed_at)}
    return {
        "url": api,
        "sha": commit.sha,
        "node_id": _legacy_node_id("Commit", int(commit.sha[:7], 16)),
        "html_url": commit.url,
        "comments_url": f"{api}/comments",
        "commit": {
            "url": f"{_repo_api(call, repo)}/git/commits/{commit.sha}",
            "author": identity,
            "committer": identity,
            "message": commit.message,
            "comment_count": 0,
            "tree": {
                "sha": commit.tree_sha,
                "url": f"{_repo_api(call, repo)}/git/trees/{commit.tree_sha}",
            },
        },
        "author": None,
        "committer": None,
        "parents": [
            {
                "sha": parent,
                "url": f"{_repo_api(call, repo)}/commits/{parent}",
                "html_url": f"{repo.url}/commit/{parent}",
            }
            for parent in commit.parents
        ],
    }


def _found_commit(repo: Repo, name: str, doc: str) -> Commit:
    """A commit by its sha or a prefix of it (seven characters at least); 404 otherwise."""
    found = [
        commit for sha, commit in repo.commits.items() if len(name) >= 7 and sha.startswith(name)
    ]
    if len(found) != 1:
        _refuse(404, f"No commit found for SHA: {name}", doc)
    return found[0]


def _compare(call: _RestCall, groups: dict[str, str]) -> Response:
    """``GET /repos/{owner}/{repo}/compare/{base}...{head}``: how ``head`` stands to ``base``.

    ``behind`` means head is an ancestor of base (and ``identical`` the same commit): base
    contains head. The commits listed are head's that base lacks, oldest first, paged by
    ``per_page`` (250 at most, GitHub's default and cap of the compare listing).
    """
    doc = _DOC_URLS["compare"]
    repo = _found_repo(call, groups, doc)
    base_name, dots, head_name = unquote(groups["basehead"]).partition("...")
    if not dots or ":" in base_name or ":" in head_name:
        raise FakeNotImplementedError("compare other than BASE...HEAD within one repository")
    base = _found_commit(repo, base_name, doc)
    head = _found_commit(repo, head_name, doc)
    in_base, in_head = _reachable(repo, base.sha), _reachable(repo, head.sha)
    ahead = sorted(in_head - in_base, key=lambda sha: repo.commits[sha].committed_at)
    behind = in_base - in_head
    common = max(in_base & in_head, key=lambda sha: repo.commits[sha].committed_at)
    if not ahead and not behind:
        status = "identical"
    elif not behind:
        status = "ahead"
    elif not ahead:
        status = "behind"
    else:
        status = "diverged"
    per_page = min(_positive(call.params.get("per_page"), 250), 250)
    page = server.Page.of(ahead, _positive(call.params.get("page"), 1), per_page)
    compare = f"{repo.url}/compare/{base_name}...{head_name}"
    owner = repo.full_name.split("/")[0]
    body = {
        "url": f"{_repo_api(call, repo)}/compare/{base_name}...{head_name}",
        "html_url": compare,
        "permalink_url": f"{repo.url}/compare/{owner}:{base.sha}...{owner}:{head.sha}",
        "diff_url": f"{compare}.diff",
        "patch_url": f"{compare}.patch",
        "base_commit": _commit_json(call, repo, base),
        "merge_base_commit": _commit_json(call, repo, repo.commits[common]),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [_commit_json(call, repo, repo.commits[sha]) for sha in page.items],
        "files": [],
    }
    return Response(200, body)


def _instant(text: str, end_of_day: bool) -> datetime:
    """A search-syntax date or date-time; a bare date as an upper bound means its last second."""
    if len(text) == 10:
        day = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return day + timedelta(days=1, seconds=-1) if end_of_day else day
    return _utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def _created_filter(text: str) -> Callable[[datetime], bool] | None:
    """GitHub's search syntax for dates: ``>=X``, ``>X``, ``<=X``, ``<X``, ``X..Y`` or ``X``."""
    try:
        if ".." in text:
            low, _, high = text.partition("..")
            start = None if low == "*" else _instant(low, False)
            end = None if high == "*" else _instant(high, True)
            return lambda t: (start is None or t >= start) and (end is None or t <= end)
        match = _CREATED_BOUND.match(text)
        if match is None:
            return None
        op, moment = match.group("op"), match.group("moment")
        if op is None:
            start, end = _instant(moment, False), _instant(moment, True)
            return lambda t: start <= t <= end
        bound = _instant(moment, op in ("<=", ">"))
        return {
            ">=": lambda t: t >= bound,
            ">": lambda t: t > bound,
            "<=": lambda t: t <= bound,
            "<": lambda t: t < bound,
        }[op]
    except ValueError:
        return None


def _actions_repo(call: _RestCall, groups: dict[str, str], doc: str) -> Repo:
    """The repository, or GitHub's answer when it is hidden or the token lacks actions: read."""
    repo = _found_repo(call, groups, doc)
    if call.token is not None and not call.token.can_read_actions:
        _refuse(403, call.token.forbidden_message, doc)
    return repo


def _list_runs(call: _RestCall, groups: dict[str, str]) -> Response:
    doc = _DOC_URLS["list_runs"]
    repo = _actions_repo(call, groups, doc)
    wanted = unquote(groups["workflow_id"])
    workflow = next(
        (w for w in repo.workflows.values() if str(w.id) == wanted or w.file_name == wanted), None
    )
    if workflow is None:
        _refuse(404, "Not Found", doc)
    unsupported = sorted(set(call.params) & {"actor", "check_suite_id"})
    if unsupported:
        call.fake.gap(f"filtering runs by {unsupported}")
    runs = [r for r in repo.runs if r.workflow is workflow]
    params = call.params
    for name, attribute in (
        ("branch", "head_branch"),
        ("event", "event"),
        ("head_sha", "head_sha"),
    ):
        if name in params:
            runs = [r for r in runs if getattr(r, attribute) == params[name]]
    if "status" in params:
        runs = [r for r in runs if params["status"] in (r.status, r.conclusion)]
    if "created" in params:
        created = _created_filter(params["created"])
        if created is None:
            _refuse(422, "Validation Failed", doc)
        runs = [r for r in runs if created(r.created_at)]
    runs.sort(key=lambda r: (r.created_at, r.id), reverse=True)
    total = len(runs)
    if set(params) & _SEARCH_PARAMS:
        runs = runs[:SEARCH_LIMIT]
    base = f"{call.root}/repositories/{repo.id}/actions/workflows/{workflow.id}/runs"
    return _paged(
        call,
        runs,
        base,
        lambda page: {"total_count": total, "workflow_runs": [_run_json(call, r) for r in page]},
    )


def _list_jobs(call: _RestCall, groups: dict[str, str]) -> Response:
    doc = _DOC_URLS["list_jobs"]
    repo = _actions_repo(call, groups, doc)
    run = next((r for r in repo.runs if r.id == int(groups["run_id"])), None)
    if run is None:
        _refuse(404, "Not Found", doc)
    which = call.params.get("filter", "latest")
    if which not in ("latest", "all"):
        _refuse(422, "Validation Failed", doc)
    jobs = run.jobs if which == "latest" else [*run.earlier_attempt_jobs, *run.jobs]
    base = f"{call.root}/repositories/{repo.id}/actions/runs/{run.id}/jobs"
    return _paged(
        call,
        jobs,
        base,
        lambda page: {"total_count": len(jobs), "jobs": [_job_json(call, run, j) for j in page]},
    )


_REPO_PATH = r"(?:/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)|/repositories/(?P<repo_id>\d+))"
_ISSUE = _REPO_PATH + r"/issues/(?P<number>\d+)"
_COMMENT = _REPO_PATH + r"/issues/comments/(?P<comment_id>\d+)"
_ROUTES = server.Routes[Callable[[_RestCall, dict[str, str]], Response]](
    [
        ("GET", r"/user/?", _get_user),
        ("GET", _ISSUE, _get_issue),
        ("GET", _ISSUE + r"/comments", _list_comments),
        ("POST", _ISSUE + r"/comments", _create_comment),
        ("GET", _COMMENT, _get_comment),
        ("PATCH", _COMMENT, _update_comment),
        ("DELETE", _COMMENT, _delete_comment),
        ("GET", _REPO_PATH + r"/issues", _list_repo_issues),
        ("POST", _REPO_PATH + r"/issues", _create_issue),
        ("PATCH", _ISSUE, _update_issue),
        ("GET", _REPO_PATH + r"/issues/comments", _list_repo_comments),
        ("GET", _REPO_PATH + r"/actions/workflows/(?P<workflow_id>[^/]+)/runs", _list_runs),
        ("GET", _REPO_PATH + r"/actions/runs/(?P<run_id>\d+)/jobs", _list_jobs),
        ("GET", _REPO_PATH + r"/compare/(?P<basehead>[^/]+)", _compare),
    ]
)


# ---------------------------------------------------------------------------
# HTTP server: routing, authentication and rate-limit headers; the listener,
# the request log and fault injection are fakes/server.py's.
# ---------------------------------------------------------------------------


@dataclass
class RecordedRequest(server.RecordedRequest):
    """One request as it reached the fake GitHub, and what it answered (see the base)."""

    @property
    def is_graphql(self) -> bool:
        return self.path in GRAPHQL_PATHS


GRAPHQL_PATHS = frozenset({"/graphql", "/api/graphql"})


class Fault(server.Fault[RecordedRequest]):
    """One injected failure; see ``Faults.add``."""

    def response(self) -> Response:
        """The answer, in GitHub's words; the fake adds its rate-limit headers beneath."""
        return self.answer(_fault_body, {})


def _fault_body(status: int) -> dict[str, Any]:
    """GitHub's body for an injected fault: the secondary rate limit's on 403 and 429."""
    if status in (403, 429):
        return {
            "message": "You have exceeded a secondary rate limit. Please wait a few minutes "
            "before you try again.",
            "documentation_url": "https://docs.github.com/rest/using-the-rest-api/"
            "rate-limits-for-the-rest-api#about-secondary-rate-limits",
            "status": str(status),
        }
    if status >= 500:
        return {"message": "Server Error"}
    return {"message": HTTPStatus(status).phrase, "status": str(status)}


class _Handler(server.FakeHandler):
    """The shared handler, as github.com: its Server header, its JSON content type."""

    server_header = "github.com"
    json_content_type = "application/json; charset=utf-8"
    record_type = RecordedRequest


class FakeGitHub(server.LoopbackFake[RecordedRequest, Fault]):
    """The fake GitHub server: a ``GitHubWorld`` served on 127.0.0.1 at a free port.

    ``url`` is the root; REST lives at ``api_url`` (and under ``/api/v3`` as on
    GHES), GraphQL at ``graphql_url`` (and ``/api/graphql``). ``requests`` logs
    every request; ``faults`` injects failures; ``latency`` adds seconds to
    every answer; ``problems`` lists what the fake could not answer.
    Lifecycle, log and faults: ``fakes.server.LoopbackFake``.
    """

    name = "GitHub"
    handler = _Handler
    world: GitHubWorld

    def __init__(self, world: GitHubWorld | None = None, *, latency: float = 0.0) -> None:
        super().__init__(Fault, latency=latency)
        self.world = world or GitHubWorld()
        self._anonymous: dict[str, RateLimit] = {}

    # -- addresses -----------------------------------------------------------

    @property
    def api_url(self) -> str:
        return self.url

    @property
    def graphql_url(self) -> str:
        return f"{self.url}/graphql"

    @property
    def ghes_api_url(self) -> str:
        return f"{self.url}/api/v3"

    @property
    def ghes_graphql_url(self) -> str:
        return f"{self.url}/api/graphql"

    def actions_env(self, token: str, repository: str) -> dict[str, str]:
        """The variables a GitHub Actions job would see, pointing at this fake."""
        return {
            "GITHUB_ACTIONS": "true",
            "GITHUB_API_URL": self.api_url,
            "GITHUB_GRAPHQL_URL": self.graphql_url,
            "GITHUB_SERVER_URL": f"https://{self.world.web_host}",
            "GITHUB_REPOSITORY": repository,
            "GITHUB_TOKEN": token,
        }

    # -- the log -------------------------------------------------------------

    @property
    def graphql_requests(self) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if r.is_graphql]

    def rate_limit(self, token: str, resource: str = "core") -> RateLimit:
        return self.world.tokens[token].rate_limits[resource]

    # -- answering -----------------------------------------------------------

    def _token(self, record: RecordedRequest) -> Token | Literal[False] | None:
        """The token of the Authorization header: None if absent, False if not valid."""
        if "authorization" not in record.headers:
            return None
        credentials = server.authorization(record, "bearer", "token")
        token = self.world.tokens.get(credentials) if credentials else None
        return token or False

    def _anonymous_bucket(self, resource: str) -> RateLimit:
        if resource not in self._anonymous:
            reset = self.world.now() + timedelta(hours=1)
            self._anonymous[resource] = RateLimit(resource, 60, 60, reset)
        return self._anonymous[resource]

    def _headers(self, bucket: RateLimit, graphql_api: bool) -> dict[str, str]:
        return {
            "Content-Type": "application/json; charset=utf-8",
            "X-GitHub-Media-Type": "github.v4; format=json"
            if graphql_api
            else "github.v3; format=json",
            "X-GitHub-Api-Version-Selected": "2022-11-28",
            "X-GitHub-Request-Id": f"FA4E:{next(self._request_ids):06X}:0:0:0",
            "X-RateLimit-Limit": str(bucket.limit),
            "X-RateLimit-Remaining": str(bucket.remaining),
            "X-RateLimit-Reset": str(int(bucket.reset_at.timestamp())),
            "X-RateLimit-Used": str(bucket.used),
            "X-RateLimit-Resource": bucket.resource,
        }

    def rate_limit_headers(self, record: RecordedRequest) -> dict[str, str]:
        """The headers a request would get, without charging it (for injected faults)."""
        graphql_api = record.path in GRAPHQL_PATHS
        resource = "graphql" if graphql_api else "core"
        with self.world.lock:
            token = self._token(record)
            bucket = token.rate_limits[resource] if token else self._anonymous_bucket(resource)
            return self._headers(bucket, graphql_api)

    def fault_response(self, fault: Fault, record: RecordedRequest) -> Response:
        """The fault's answer over the rate-limit headers, as GitHub's errors carry them."""
        response = fault.response()
        response.headers = {**self.rate_limit_headers(record), **response.headers}
        return response

    def _crash_response(self) -> Response:
        return Response(500, {"message": "fake GitHub crashed; see FakeGitHub.problems"})

    def error(self, status: int, message: str) -> Response:
        return _error(status, message)

    def _answer(self, record: RecordedRequest) -> Response:
        if record.path in GRAPHQL_PATHS:
            return self._answer_graphql(record)
        return self._answer_rest(record)

    def _answer_graphql(self, record: RecordedRequest) -> Response:
        token = self._token(record)
        doc = "https://docs.github.com/graphql"
        if record.method != "POST":
            return _error(404, "Not Found", doc)
        if not token:
            bucket = self._anonymous_bucket("graphql")
            if token is None:
                response = _error(401, "This endpoint requires you to be authenticated.", doc)
            else:
                response = _error(401, "Bad credentials", doc)
            response.headers.update(self._headers(bucket, graphql_api=True))
            return response
        try:
            payload = json.loads(record.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            response = _error(400, "Problems parsing JSON", doc)
            response.headers.update(self._headers(token.rate_limits["graphql"], True))
            return response
        status, answer, bucket = _graphql_answer(self, token, payload)
        return Response(status, answer, self._headers(bucket, graphql_api=True))

    def _answer_rest(self, record: RecordedRequest) -> Response:
        path, root = record.path, self.url
        if path.startswith("/api/v3/") or path == "/api/v3":
            path, root = path[len("/api/v3") :] or "/", f"{self.url}/api/v3"
        token = self._token(record)
        bucket = token.rate_limits["core"] if token else self._anonymous_bucket("core")
        if token is False:
            bucket.charge(1, self.world.now())
            response = _error(401, "Bad credentials")
        elif not bucket.charge(1, self.world.now()):
            who = f"user ID {token.user.id}" if token else "127.0.0.1"
            response = _error(
                403,
                f"API rate limit exceeded for {who}.",
                f"{DOCS}/overview/rate-limits-for-the-rest-api",
            )
        else:
            call = _RestCall(self, record, token, root, record.query)
            try:
                response = self._route(call, record.method, path)
            except server.Refusal as refusal:  # GitHub's errors carry the rate-limit headers too
                response = refusal.response
        response.headers.update(self._headers(bucket, graphql_api=False))
        return response

    def _route(self, call: _RestCall, method: str, path: str) -> Response:
        found = _ROUTES.find(method, path)
        if found is None:
            self.gap(f"{method} {path}")
        handler, groups = found
        return handler(call, groups)


# ---------------------------------------------------------------------------
# pytest fixture. Import it into a test module (``from fakes.github import
# fake_github``); pytest_plugins is not used in this project.
# ---------------------------------------------------------------------------


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    """A running fake GitHub with an empty world; fails the test if the fake met a gap."""
    yield from server.running(FakeGitHub())
