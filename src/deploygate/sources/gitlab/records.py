"""GitLab's answers decoded once into typed records, or refused naming the record and field.

A record that cannot be read (no id, no valid created_at, a field of the
wrong type, an unknown status) fails the source (exit 3) with a line naming
it: skipping it would let the gate decide, silently, on what was left.
Anything else these functions raise is a bug in deploygate (exit 4).
The fields read are those GitLab documents:
https://docs.gitlab.com/api/deployments/, https://docs.gitlab.com/api/jobs/,
https://docs.gitlab.com/api/issues/ and https://docs.gitlab.com/api/issue_links/
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, TypeGuard, TypeVar, get_args

from deploygate.dates import parse_api_date, parse_api_instant, parse_instant
from deploygate.errors import SourceError
from deploygate.sources.fields import NULL, FieldTypes, wrong_field
from deploygate.sources.gitlab.settings import SOURCE_NAME

DeploymentState = Literal[
    "success", "failed", "canceled", "skipped", "created", "running", "blocked"
]
"""A GitLab deployment's status (``Deployment.statuses`` in GitLab)."""
JobState = Literal["success", "failed"]
"""The job statuses asked for (``scope[]``), each an outcome of a deploy."""
JOB_STATES: tuple[JobState, ...] = get_args(JobState)

_PARALLEL_SUFFIX = re.compile(r" \d+/\d+|: \[[^\]]*\]")
"""What GitLab appends to a job's name for ``parallel: N`` ("deploy 2/3") and
``parallel: matrix`` ("deploy: [eu, blue]").
See https://docs.gitlab.com/ci/yaml/#parallel"""

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
    "merge_requests_count": (int, NULL),
}
"""The type of each issue field read; a missing one reads as null."""
_DEPLOYMENT_TYPES: FieldTypes = {
    "environment": (dict,),
    "deployable": (dict, NULL),
    "sha": (str, NULL),
}

State = TypeVar("State", bound=str)
Parsed = TypeVar("Parsed")
Kind = Literal["deployment", "job", "issue", "merge request"]


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """One deployment of an environment, with the job that ran it (``deployable``)."""

    id: int
    environment: str | None
    status: DeploymentState
    created_at: datetime
    sha: str | None
    job_name: str | None
    failure_reason: str | None
    job_url: str | None
    pipeline_url: str | None
    commit_title: str | None


@dataclass(frozen=True, slots=True)
class DeployRun:
    """A finished run of a service's deploy job, on its branch, inside the window."""

    url: str
    status: JobState
    created_at: datetime
    name: str | None
    failure_reason: str | None
    sha: str | None
    """The commit's id, else the pipeline's sha."""
    pipeline_url: str | None
    commit_title: str | None


@dataclass(frozen=True, slots=True)
class JobRecord:
    """One job of the project's listing: when it was created, and its run if it is one."""

    created_at: datetime
    run: DeployRun | None
    """None for another job, another branch, or a job older than the window."""


@dataclass(frozen=True, slots=True)
class RunsWanted:
    """Which jobs of the listing are the deploy job's runs, and which ones are read."""

    job: str
    """The deploy job's name; its ``parallel`` copies count too."""
    branch: str
    since: datetime


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """A postmortem issue, or an issue linked to or referenced by one."""

    id: int | None
    """The global id; read from postmortem listings only, where it tells duplicates apart."""
    iid: int
    project_id: int
    project_path: str | None
    """group/project, from the issue's full reference (group/project#12)."""
    title: str
    state: str
    labels: tuple[str, ...]
    description: str
    web_url: str | None
    created_at: datetime
    due_date: date | None
    closed_at: datetime | None
    merge_requests_count: int | None = None
    """How many merge requests close it on merge; None where GitLab does not say."""

    @property
    def reference(self) -> str:
        """How GitLab writes a reference to it: group/project#12."""
        return f"{self.project_path or self.project_id}#{self.iid}"

    @property
    def key(self) -> tuple[str, int]:
        """Its project and iid: the same issue, however it was reached, has the same key."""
        return (self.project_path or str(self.project_id), self.iid)


def decode_deployment(raw: Mapping[str, Any]) -> DeploymentRecord:
    """A deployment of a listing, or a SourceError naming it and its bad field."""
    identifier = raw.get("id")
    if not _is_int(identifier):
        raise _malformed("deployment", raw, f"whose id is {identifier!r:.40}")
    _check_types("deployment", raw, _DEPLOYMENT_TYPES)
    created_at = _created_at("deployment", raw)
    status = _state("deployment", raw, get_args(DeploymentState))
    job = _mapping(raw.get("deployable"))
    return DeploymentRecord(
        id=identifier,
        environment=_text(_mapping(raw.get("environment")).get("name")),
        status=status,
        created_at=created_at,
        sha=_text(raw.get("sha")),
        job_name=_text(job.get("name")),
        failure_reason=_text(job.get("failure_reason")),
        job_url=_text(job.get("web_url")),
        pipeline_url=_text(_mapping(job.get("pipeline")).get("web_url")),
        commit_title=_text(_mapping(job.get("commit")).get("title")),
    )


def decode_job(raw: Mapping[str, Any], wanted: RunsWanted) -> JobRecord:
    """A job of the project's listing; only a run ``wanted`` is read beyond its created_at,
    so another job's odd fields never fail the source."""
    created_at = _created_at("job", raw)
    if (
        created_at < wanted.since
        or not _is_deploy_job(raw.get("name"), wanted.job)
        or raw.get("ref") != wanted.branch
    ):
        return JobRecord(created_at=created_at, run=None)
    url = _text(raw.get("web_url"))
    if url is None:
        raise _malformed("job", raw, "without a web_url")
    status = _state("job", raw, JOB_STATES)
    commit = _mapping(raw.get("commit"))
    pipeline = _mapping(raw.get("pipeline"))
    run = DeployRun(
        url=url,
        status=status,
        created_at=created_at,
        name=_text(raw.get("name")),
        failure_reason=_text(raw.get("failure_reason")),
        sha=_text(commit.get("id")) or _text(pipeline.get("sha")),
        pipeline_url=_text(pipeline.get("web_url")),
        commit_title=_text(commit.get("title")),
    )
    return JobRecord(created_at=created_at, run=run)


def decode_postmortem(raw: Mapping[str, Any]) -> IssueRecord:
    """An issue of a postmortem listing: one without an id could not be told from its
    duplicate in another listing, so it fails the source."""
    identifier = raw.get("id")
    if not _is_int(identifier):
        raise _malformed("issue", raw, f"whose id is {identifier!r:.40}")
    return _decode_issue(raw, identifier)


def decode_action_item(raw: Mapping[str, Any]) -> IssueRecord:
    """A linked or referenced issue: its state must be one an action item can have."""
    issue = _decode_issue(raw, None)
    if issue.state not in ("opened", "closed"):
        raise _malformed("issue", raw, f"with the state {raw.get('state')!r:.40}")
    return issue


@dataclass(frozen=True, slots=True)
class ClosingMergeRequest:
    """A merged merge request that closed an issue: the fix behind a done item."""

    iid: int
    web_url: str | None
    sha: str | None
    """Its merge commit, else its squash commit, else its head (a fast-forward merge)."""
    merged_at: datetime | None


_MERGE_REQUEST_TYPES: FieldTypes = {
    "iid": (int,),
    "state": (str,),
    "web_url": (str, NULL),
    "merged_at": (str, NULL),
    "merge_commit_sha": (str, NULL),
    "squash_commit_sha": (str, NULL),
    "sha": (str, NULL),
}


def decode_closing_merge_request(raw: Mapping[str, Any]) -> ClosingMergeRequest | None:
    """One of ``closed_by``'s merge requests; None for one not merged (it fixed nothing yet).
    See https://docs.gitlab.com/api/issues/#list-merge-requests-that-close-a-particular-issue-on-merge
    """
    _check_types("merge request", raw, _MERGE_REQUEST_TYPES)
    try:
        merged_at = parse_api_instant(raw.get("merged_at"))
    except ValueError:
        raise _malformed(
            "merge request", raw, f"with the merged_at {raw.get('merged_at')!r:.40}"
        ) from None
    if raw["state"] != "merged":
        return None
    sha = raw.get("merge_commit_sha") or raw.get("squash_commit_sha") or raw.get("sha")
    return ClosingMergeRequest(raw["iid"], raw.get("web_url"), sha, merged_at)


def decode_comparison(raw: Mapping[str, Any], what: str) -> bool | None:
    """Whether a repository compare found no commit of ``to`` that ``from`` lacks; None when
    GitLab gave up (``compare_timeout``), which it answers with no commits at all: that
    empty list says nothing, so it must never read as "contained"."""
    if raw.get("compare_timeout") is True:
        return None
    commits = raw.get("commits")
    if not isinstance(commits, list):
        raise SourceError(SOURCE_NAME, f"GitLab answered {what} with the commits {commits!r:.40}")
    return not commits


def decode_username(raw: Mapping[str, Any]) -> str:
    """The token's username (``GET /user``); empty when GitLab names none."""
    username = raw.get("username")
    if not isinstance(username, (str, NULL)):
        raise SourceError(
            SOURCE_NAME, f"GitLab answered the token's user with the username {username!r:.40}"
        )
    return username or ""


def decode_default_branch(raw: Mapping[str, Any], what: str) -> str:
    """A project's default branch (``GET /projects/:id``); ``what`` names the project."""
    branch = raw.get("default_branch")
    if not isinstance(branch, str) or not branch:
        raise SourceError(
            SOURCE_NAME,
            f"{what} has no default branch to read its deploy job's runs on; "
            "set [services.NAME] branch",
        )
    return branch


def _decode_issue(raw: Mapping[str, Any], identifier: int | None) -> IssueRecord:
    _check_types("issue", raw, _ISSUE_TYPES)
    labels = raw["labels"]
    if not all(isinstance(label, str) for label in labels):
        raise _malformed("issue", raw, f"with the labels {labels!r:.40}")
    references = raw.get("references")
    if references is not None and not isinstance(references.get("full"), str):
        raise _malformed("issue", raw, f"with the references {references!r:.40}")
    due_date = _parsed(raw, "due_date", parse_api_date)
    closed_at = _parsed(raw, "closed_at", parse_api_instant)
    return IssueRecord(
        id=identifier,
        iid=raw["iid"],
        project_id=raw["project_id"],
        project_path=_project_path(raw),
        title=raw["title"],
        state=raw["state"],
        labels=tuple(labels),
        description=raw.get("description") or "",
        web_url=_text(raw.get("web_url")),
        created_at=_created_at("issue", raw),
        due_date=due_date,
        closed_at=closed_at,
        merge_requests_count=raw.get("merge_requests_count"),
    )


def _parsed(raw: Mapping[str, Any], key: str, parse: Callable[[object], Parsed]) -> Parsed:
    """An issue's date or time field through ``parse``, which raises ValueError on junk."""
    try:
        return parse(raw.get(key))
    except ValueError:
        raise _malformed("issue", raw, f"with the {key} {raw.get(key)!r:.40}") from None


def _malformed(kind: Kind, raw: Mapping[str, Any], problem: str) -> SourceError:
    """The source's failure on one record it cannot read, naming the record."""
    return SourceError(SOURCE_NAME, f"GitLab answered {_name(kind, raw)} {problem}")


def _name(kind: Kind, raw: Mapping[str, Any]) -> str:
    """How a message names a record, so that a person can go and look at it."""
    if kind == "issue":
        reference = f"{_project_path(raw) or raw.get('project_id')}#{raw.get('iid')}"
        return f"issue {reference} {str(raw.get('title') or '')!r:.60}"
    identifier = raw.get("id")
    if kind == "merge request":
        return f"merge request {_text(raw.get('web_url')) or repr(identifier)[:40]}"
    if kind == "job":
        return f"job {_text(raw.get('web_url')) or repr(identifier)[:40]}"
    sha = _text(raw.get("sha"))
    return f"deployment {identifier!r:.40}" + (f" of {sha[:7]}" if sha else "")


def _created_at(kind: Kind, raw: Mapping[str, Any]) -> datetime:
    """A record's creation time; one without cannot be judged, so the source fails."""
    value = raw.get("created_at")
    try:
        created_at = parse_instant(value) if isinstance(value, str) and value else None
    except ValueError:
        created_at = None
    if created_at is None:
        raise _malformed(kind, raw, f"without a valid created_at ({value!r:.40})")
    return created_at


def _state(kind: Kind, raw: Mapping[str, Any], known: tuple[State, ...]) -> State:
    """A record's ``status``, one of ``known``; anything else fails the source."""
    status = raw.get("status")
    for state in known:
        if isinstance(status, str) and status == state:
            return state
    raise _malformed(kind, raw, f"with the status {status!r:.40}")


def _check_types(kind: Kind, raw: Mapping[str, Any], types: FieldTypes) -> None:
    """Refuse a field of the wrong type, naming the record and the field."""
    if wrong := wrong_field(raw, types):
        field, value = wrong
        raise _malformed(kind, raw, f"with the {field} {value!r:.40}")


def _is_deploy_job(name: object, job: str) -> bool:
    """The named job, or one of its ``parallel`` copies."""
    return isinstance(name, str) and (
        name == job or (name.startswith(job) and bool(_PARALLEL_SUFFIX.fullmatch(name[len(job) :])))
    )


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _project_path(raw: Mapping[str, Any]) -> str | None:
    """group/project of an issue, from its full reference (group/project#12)."""
    references = raw.get("references")
    full = references.get("full") if isinstance(references, dict) else None
    return str(full).rsplit("#", 1)[0] if full else None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
