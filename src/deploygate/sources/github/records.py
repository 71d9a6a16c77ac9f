"""GitHub's answers decoded once into typed records; a malformed answer is refused here.

Every field the source reads is checked for the type GitHub documents as
the answer is read, and a wrong one raises :class:`Malformed`, whose message
names the record (a deployment by its id, an issue by its URL, a run by its
web page) and the field. :mod:`.api` turns that into the source's error (exit
3); what the records then say about deployments and postmortems is
:mod:`.source`'s business, and it never sees raw JSON.

GraphQL objects: https://docs.github.com/en/graphql/reference/objects
(Deployment, Issue, CheckRun, CheckStep); REST workflow runs:
https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from deploygate.dates import parse_api_instant, parse_instant
from deploygate.sources.fields import NULL, FieldTypes, wrong_field
from deploygate.sources.github.queries import IssueSchema

Record = TypeVar("Record")
IssueKey = tuple[str, int]
"""An issue as a task list names it: its repository (owner/name) and its number."""


class Malformed(ValueError):
    """An answer of a shape GitHub does not document; the message names the record and field."""


# -- Pages -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Page(Generic[Record]):
    """One page of a GraphQL connection, decoded."""

    records: tuple[Record, ...]
    next_cursor: str | None
    """The ``after`` of the next page; None on the last page."""


def part(parent: Mapping[str, Any], key: str, what: str) -> Mapping[str, Any]:
    """``parent[key]``, an object the query asked for; anything else is a malformed answer."""
    found = parent.get(key)
    if not isinstance(found, dict):
        raise Malformed(f"GitHub answered {what} with the {key} {found!r:.40}")
    return found


def nodes(connection: Mapping[str, Any], what: str) -> list[dict[str, Any]]:
    """A connection's records; ``nodes`` that is not a list would read as "none" and pass."""
    found = connection.get("nodes")
    if found is None:
        return []
    if not isinstance(found, list):
        raise Malformed(f"GitHub answered {what} whose nodes are not a list")
    return [node for node in found if isinstance(node, dict)]


def next_cursor(connection: Mapping[str, Any], what: str) -> str | None:
    """Where a connection goes on, from its pageInfo; without one, where it ends is unknown.

    A page that says more follows carries the cursor to ask for it.
    """
    page = connection.get("pageInfo")
    if (
        not isinstance(page, dict)
        or not isinstance(page.get("hasNextPage"), bool)
        or (page["hasNextPage"] and not isinstance(page.get("endCursor"), str))
    ):
        raise Malformed(f"GitHub answered {what} with the pageInfo {page!r:.60}")
    return str(page["endCursor"]) if page["hasNextPage"] else None


def listing(page: object, key: str, what: str) -> list[dict[str, Any]]:
    """The records of one REST listing page (``{"total_count": n, key: [...]}``)."""
    items = page.get(key) if isinstance(page, dict) else None
    if not isinstance(items, list):
        raise Malformed(f"GitHub answered the listing of {what} without {key}")
    return [item for item in items if isinstance(item, dict)]


def _check_fields(record: Mapping[str, Any], types: FieldTypes, name: str) -> None:
    """Refuse a field of the wrong type, naming the record (as ``name``) and the field."""
    if wrong := wrong_field(record, types):
        field, value = wrong
        raise Malformed(f"GitHub answered {name} with the {field} {value!r:.40}")


def _check_part(node: Mapping[str, Any], key: str, types: FieldTypes) -> Mapping[str, Any]:
    """``node[key]`` (an object, or null read as empty) once its fields have their types."""
    found: Mapping[str, Any] = node.get(key) or {}
    if wrong := wrong_field(found, types):
        field, value = wrong
        raise Malformed(
            f"GitHub answered {_record_name(node)} with the {key}.{field} {value!r:.40}"
        )
    return found


def _record_name(node: Mapping[str, Any]) -> str:
    """How a message names a deployment or an issue, so that a person can go and look at it."""
    if "databaseId" in node:
        number = deployment_number(node)
        return f"deployment {number if number is not None else node.get('id')!r:.40}"
    url = node.get("url")
    name = f"issue {_repository_of(node)}#{node.get('number')!r:.20}"
    return f"{name} ({url})" if isinstance(url, str) else name


def _repository_of(node: Mapping[str, Any]) -> str | None:
    repository = node.get("repository") or {}
    return repository.get("nameWithOwner") if isinstance(repository, dict) else None


def _created_at(node: Mapping[str, Any]) -> datetime:
    """A record's creation time; a record without one cannot be judged."""
    try:
        return parse_instant(str(node.get("createdAt")))
    except ValueError:
        raise Malformed(
            f"GitHub answered {_record_name(node)} without a valid createdAt "
            f"({node.get('createdAt')!r:.40})"
        ) from None


# -- Deployments ------------------------------------------------------------------------

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
}


@dataclass(frozen=True, slots=True)
class DeploymentRecord:
    """A GraphQL ``Deployment`` with its latest status and its commit's first line."""

    database_id: int
    """Its number, as REST and the web know it: ``databaseId``, else read from its node id."""
    created_at: datetime
    commit_oid: str | None
    environment: str | None
    description: str | None
    state: str | None
    """GitHub's DeploymentState (FAILURE, ERROR, ACTIVE, ...), as it spells it."""
    status_description: str | None
    log_url: str | None
    commit_headline: str | None


def deployment(node: Mapping[str, Any]) -> DeploymentRecord:
    """One deployment node, once every field read has the type GitHub's schema gives."""
    created_at = _created_at(node)
    identifier = deployment_number(node)
    if identifier is None:
        raise Malformed(f"GitHub answered a deployment without a databaseId ({node!r:.80})")
    _check_fields(node, _DEPLOYMENT_TYPES, _record_name(node))
    status = _check_part(node, "latestStatus", _DEPLOYMENT_STATUS_TYPES)
    headline = (node.get("commit") or {}).get("messageHeadline")
    return DeploymentRecord(
        database_id=identifier,
        created_at=created_at,
        commit_oid=node.get("commitOid"),
        environment=node.get("environment"),
        description=node.get("description"),
        state=node.get("state"),
        status_description=status.get("description"),
        log_url=status.get("logUrl"),
        commit_headline=headline if isinstance(headline, str) else None,
    )


_LEGACY_DEPLOYMENT_ID = re.compile(r"0\d+:Deployment(\d+)")
"""A legacy global node id, decoded: ``010:Deployment123`` (type-name length, type, number)."""


def deployment_number(node: Mapping[str, Any]) -> int | None:
    """A deployment's number: its ``databaseId``, else the one its global node ``id`` carries.

    ``Deployment.databaseId`` is a GraphQL ``Int``, 32 bits signed, and
    github.com's deployment numbers passed 2**31 in 2023. A server that keeps
    to the spec answers null with the error "Int cannot represent non 32-bit
    signed integer value" (https://spec.graphql.org/October2021/#sec-Int); one
    that does not answers the number. Deployment has no ``fullDatabaseId``, so
    the number is read from the node id, which both answers carry: the
    same number either way, so ids and fingerprints do not move. GitHub calls
    node ids opaque, but their two formats are stable and well known:
    ``DE_`` then base64url of the MessagePack array ``[0, repository, number]``
    (https://docs.github.com/en/graphql/guides/migrating-graphql-global-node-ids),
    and the legacy base64 of ``010:Deployment<number>`` that older objects and
    servers still answer. None when neither field holds a number.
    """
    number = node.get("databaseId")
    if isinstance(number, int) and not isinstance(number, bool):
        return number
    node_id = node.get("id")
    if not isinstance(node_id, str):
        return None
    prefix, separator, packed = node_id.partition("_")
    if separator:
        return _last_packed_integer(_unbase64(packed)) if prefix == "DE" else None
    legacy = _LEGACY_DEPLOYMENT_ID.fullmatch(_unbase64(node_id).decode("latin-1"))
    return int(legacy[1]) if legacy else None


def _unbase64(text: str) -> bytes:
    """``text`` decoded as base64 (standard or url-safe, padded or not); b"" if it is not."""
    try:
        return base64.urlsafe_b64decode(
            text.replace("+", "-").replace("/", "_").rstrip("=") + "=" * (-len(text) % 4)
        )
    except (binascii.Error, ValueError):
        return b""


_PACKED_UINT_SIZES = {0xCC: 1, 0xCD: 2, 0xCE: 4, 0xCF: 8}
"""MessagePack's unsigned integers after their marker byte: uint8, 16, 32 and 64."""


def _last_packed_integer(packed: bytes) -> int | None:
    """The last item of a MessagePack array of unsigned integers; None for anything else.

    Only what a node id holds is read: a fixarray (marker 0x90 to 0x9f) of
    positive fixints and uint8 to uint64 (https://github.com/msgpack/msgpack/blob/master/spec.md).
    """
    if not packed or packed[0] & 0xF0 != 0x90:
        return None
    count, position, last = packed[0] & 0x0F, 1, None
    for _ in range(count):
        if position >= len(packed):
            return None
        marker = packed[position]
        if marker < 0x80:
            last, position = marker, position + 1
            continue
        size = _PACKED_UINT_SIZES.get(marker)
        if size is None or position + 1 + size > len(packed):
            return None
        last = int.from_bytes(packed[position + 1 : position + 1 + size], "big")
        position += 1 + size
    return last if position == len(packed) else None


def deployments_page(connection: Mapping[str, Any]) -> Page[DeploymentRecord]:
    """One page of a repository's deployments."""
    what = "a deployments page"
    found = tuple(deployment(node) for node in nodes(connection, what))
    return Page(found, next_cursor(connection, what))


# -- Issues: postmortems and their action items ----------------------------------------

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
    "closedByPullRequestsReferences": (dict, NULL),
    "timelineItems": (dict, NULL),
}
"""The type of each issue field read (sub-issues and task-list look-ups have no
``subIssues`` or ``subIssuesSummary``); a missing one reads as null."""


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """A change that closed an issue: a merged pull request, or a commit."""

    number: int | None
    """The pull request's number; None for a commit."""
    url: str | None
    sha: str | None
    """The merge commit, or the commit."""
    merged_at: datetime | None
    committed_at: datetime | None = None
    """The merge commit's committed date: what a batched containment question names it by."""


def _commit_date(commit: object, what: str) -> datetime | None:
    date = commit.get("committedDate") if isinstance(commit, dict) else None
    try:
        return parse_api_instant(date)
    except ValueError:
        raise Malformed(f"GitHub answered {what} with the commit date {date!r:.40}") from None


def _pull(node: Mapping[str, Any], what: str) -> ChangeRecord | None:
    """A merged pull request; None for one that is not merged (it fixed nothing yet)."""
    _check_fields(node, {"number": (int,), "url": (str, NULL), "mergedAt": (str, NULL),
                         "mergeCommit": (dict, NULL)}, what)  # fmt: skip
    sha = (node.get("mergeCommit") or {}).get("oid")
    if not isinstance(sha, (str, NULL)):
        raise Malformed(f"GitHub answered {what} with the merge commit {sha!r:.40}")
    try:
        merged_at = parse_api_instant(node.get("mergedAt"))
    except ValueError:
        raise Malformed(
            f"GitHub answered {what} with the mergedAt {node.get('mergedAt')!r:.40}"
        ) from None
    if merged_at is None or sha is None:
        return None
    committed_at = _commit_date(node.get("mergeCommit"), what)
    return ChangeRecord(node["number"], node.get("url"), sha, merged_at, committed_at)


def _closer(node: Mapping[str, Any], what: str) -> ChangeRecord | None:
    """What the issue's last ClosedEvent names as its closer, when it is a change."""
    events = nodes(node.get("timelineItems") or {}, what)
    closer = (events[-1].get("closer") if events else None) or {}
    if not isinstance(closer, dict):
        # A pull request or a commit is an object; "number" in a string is a substring test.
        raise Malformed(f"GitHub answered {what} with the closer {closer!r:.40}")
    if "number" in closer:
        return _pull(closer, what)
    if "oid" not in closer:
        return None  # closed by hand, or by a project
    _check_fields(closer, {"oid": (str,), "url": (str, NULL), "committedDate": (str, NULL)}, what)
    committed_at = _commit_date(closer, what)
    return ChangeRecord(None, closer.get("url"), closer["oid"], committed_at, committed_at)


def changes(node: Mapping[str, Any]) -> tuple[ChangeRecord, ...]:
    """The changes that closed an issue: its merged closing pull requests, else its closer."""
    what = f"the changes that closed {_record_name(node)}"
    pulls = nodes(node.get("closedByPullRequestsReferences") or {}, what)
    merged = tuple(change for pull in pulls if (change := _pull(pull, what)) is not None)
    if merged:
        return merged
    closer = _closer(node, what)
    return (closer,) if closer is not None else ()


@dataclass(frozen=True, slots=True)
class IssueRecord:
    """An issue read as an action item: a sub-issue, or one a task list names."""

    repository: str | None
    """owner/name, as GitHub spells it."""
    number: int
    title: str
    url: str | None
    body: str | None
    state: Literal["OPEN", "CLOSED"]
    state_reason: str | None
    """Why it was closed: COMPLETED, NOT_PLANNED, DUPLICATE, ..."""
    created_at: datetime
    closed_at: datetime | None
    """The last closing: a reopened and closed issue counts from then on."""
    milestone_due_on: str | None
    labels: tuple[str, ...]
    changes: tuple[ChangeRecord, ...] = ()
    """The changes that closed it, where GitHub links any."""

    @property
    def key(self) -> IssueKey:
        """How a task list would name this issue."""
        return (self.repository or "", self.number)


@dataclass(frozen=True, slots=True)
class PostmortemRecord:
    """An issue with a postmortem label, and its sub-issues."""

    repository: str | None
    number: int
    title: str
    url: str | None
    body: str | None
    state: str
    created_at: datetime
    labels: tuple[str, ...]
    sub_issues: tuple[IssueRecord, ...]
    sub_issues_complete: bool
    """False when GitHub counts more sub-issues than the page held: read them again in full."""
    name: str
    """How a message names it (``issue owner/name#12 (url)``)."""


def _labels(node: Mapping[str, Any]) -> tuple[str, ...]:
    labels = (node.get("labels") or {}).get("nodes")
    if not isinstance(labels, (list, NULL)) or not all(
        isinstance(label, dict) and isinstance(label.get("name"), str) for label in labels or ()
    ):
        raise Malformed(f"GitHub answered {_record_name(node)} with the labels {labels!r:.40}")
    return tuple(label["name"] for label in labels or ())


def _check_issue(node: Mapping[str, Any]) -> tuple[str, ...]:
    """Refuse an issue field of the wrong type; the issue's labels."""
    _check_fields(node, _ISSUE_TYPES, _record_name(node))
    _check_part(node, "repository", {"nameWithOwner": (str, NULL)})
    _check_part(node, "subIssuesSummary", {"total": (int, NULL)})
    labels = _labels(node)
    try:
        parse_api_instant(node.get("closedAt"))
    except ValueError:
        raise Malformed(
            f"GitHub answered {_record_name(node)} with the closedAt {node.get('closedAt')!r:.40}"
        ) from None
    return labels


def issue(node: Mapping[str, Any]) -> IssueRecord:
    """One issue read as an action item, its state OPEN or CLOSED."""
    labels = _check_issue(node)
    created_at = _created_at(node)
    state = node["state"]
    if state not in ("OPEN", "CLOSED"):
        raise Malformed(f"GitHub answered issue {node.get('url')} with the state {state!r}")
    due_on = (node.get("milestone") or {}).get("dueOn")
    return IssueRecord(
        repository=_repository_of(node),
        number=node["number"],
        title=node["title"],
        url=node.get("url"),
        body=node.get("body"),
        state=state,
        state_reason=node.get("stateReason"),
        created_at=created_at,
        closed_at=parse_api_instant(node.get("closedAt")),
        milestone_due_on=str(due_on) if due_on else None,
        labels=labels,
        changes=changes(node) if state == "CLOSED" else (),
    )


def sub_issues(connection: Mapping[str, Any]) -> tuple[IssueRecord, ...]:
    """The action items of a ``subIssues`` connection."""
    return tuple(issue(node) for node in nodes(connection, "sub-issues"))


def postmortem(node: Mapping[str, Any]) -> PostmortemRecord:
    """One postmortem issue with the sub-issues its page held."""
    labels = _check_issue(node)
    connection = node.get("subIssues") or {}
    listed = sub_issues(connection)
    total = (node.get("subIssuesSummary") or {}).get("total") or 0
    return PostmortemRecord(
        repository=_repository_of(node),
        number=node["number"],
        title=node["title"],
        url=node.get("url"),
        body=node.get("body"),
        state=node["state"],
        created_at=_created_at(node),
        labels=labels,
        sub_issues=listed,
        sub_issues_complete=total <= len(connection.get("nodes") or ()),
        name=_record_name(node),
    )


def postmortems_page(connection: Mapping[str, Any]) -> Page[PostmortemRecord]:
    """One page of the issues with a postmortem label."""
    what = "a postmortems page"
    found = tuple(postmortem(node) for node in nodes(connection, what))
    return Page(found, next_cursor(connection, what))


def looked_up_issue(alias: object, key: IssueKey) -> IssueRecord | None:
    """The issue a task list names, from its alias in a look-up; None when GitHub has none."""
    found = alias.get("issue") if isinstance(alias, dict) else alias
    if found is not None and not isinstance(found, dict):
        raise Malformed(
            f"GitHub answered the look-up of issue {key[0]}#{key[1]} with {alias!r:.40}"
        )
    return issue(found) if isinstance(found, dict) else None


def default_branch(data: Mapping[str, Any]) -> str | None:
    """The deploying repository's default branch, from a postmortems page that asked for it."""
    deploying = data.get("deploying")
    branch = deploying.get("defaultBranchRef") if isinstance(deploying, dict) else None
    if not isinstance(branch, dict) or not branch.get("name"):
        return None
    return str(branch["name"])


def issue_schema(data: Mapping[str, Any]) -> IssueSchema:
    """What the server's ``Issue`` offers, from the answer to :data:`.queries.ISSUE_SCHEMA`."""
    fields = part(data, "issue", "the introspection of Issue").get("fields")
    if not isinstance(fields, list) or not all(
        isinstance(found, dict) and isinstance(found.get("name"), str) for found in fields
    ):
        raise Malformed(f"GitHub answered the introspection of Issue with {fields!r:.60}")
    by_name = {found["name"]: found for found in fields}
    arguments = (by_name.get("stateReason") or {}).get("args") or []
    return IssueSchema(
        sub_issues={"subIssues", "subIssuesSummary"} <= by_name.keys(),
        duplicate_reason=any(
            isinstance(argument, dict) and argument.get("name") == "enableDuplicate"
            for argument in arguments
        ),
    )


def contained(alias: object, commit: str, what: str) -> bool | None:
    """Whether a ``contains`` pair's history holds ``commit``; None for a head GitHub does
    not hold (the alias is null)."""
    if alias is None:
        return None
    history = alias.get("history") if isinstance(alias, dict) else None
    if not isinstance(history, dict):
        raise Malformed(f"GitHub answered {what} with {alias!r:.60}")
    return any(node.get("oid") == commit for node in nodes(history, what))


def comparison(answer: object) -> str:
    """The status of a REST compare: ``ahead``, ``behind``, ``identical`` or ``diverged``."""
    status = answer.get("status") if isinstance(answer, dict) else None
    if status not in ("ahead", "behind", "identical", "diverged"):
        raise Malformed(f"GitHub answered a compare with the status {status!r:.40}")
    return str(status)


# -- Workflow runs and their jobs -------------------------------------------------------

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
"""The fields of a REST workflow run that are read."""


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    """A REST workflow run, as the runs listing gives it."""

    id: int
    node_id: str
    """The GraphQL id, by which its jobs are read."""
    html_url: str
    created_at: str
    """As GitHub wrote it: the next listing of a long history starts from it."""
    started_at: datetime
    """When the run started (its latest attempt), else when it was created."""
    status: str | None
    conclusion: str | None
    head_sha: str | None
    commit_message: str | None
    display_title: str | None
    url: str | None


def _run_name(run: Mapping[str, Any]) -> str:
    """How a message names a workflow run: by its web page, else by its id."""
    url = run.get("html_url")
    return f"workflow run {url if isinstance(url, str) and url else repr(run.get('id'))[:40]}"


def workflow_run(run: Mapping[str, Any]) -> WorkflowRun:
    """One run of a listing, once every field read has the type GitHub documents."""
    name = _run_name(run)
    _check_fields(run, _WORKFLOW_RUN_TYPES, name)
    if not run["html_url"]:
        raise Malformed(f"GitHub answered {name} without an html_url")
    instants = {
        "created_at": run["created_at"],
        "run_started_at": run.get("run_started_at") or None,
    }
    for key, value in instants.items():
        try:
            parse_api_instant(value)
        except ValueError:
            raise Malformed(f"GitHub answered {name} with the {key} {value!r:.40}") from None
    message = (run.get("head_commit") or {}).get("message")
    return WorkflowRun(
        id=run["id"],
        node_id=run["node_id"],
        html_url=run["html_url"],
        created_at=run["created_at"],
        started_at=parse_instant(run.get("run_started_at") or run["created_at"]),
        status=run.get("status"),
        conclusion=run.get("conclusion"),
        head_sha=run.get("head_sha"),
        commit_message=message if isinstance(message, str) else None,
        display_title=run.get("display_title"),
        url=run.get("url"),
    )


Conclusion = Literal[
    "success",
    "failure",
    "neutral",
    "cancelled",
    "skipped",
    "timed_out",
    "action_required",
    "stale",
    "startup_failure",
]
"""A job's or step's conclusion, spelt as REST spells it."""

CHECK_CONCLUSIONS: dict[str, Conclusion] = {
    "SUCCESS": "success",
    "FAILURE": "failure",
    "NEUTRAL": "neutral",
    "CANCELLED": "cancelled",
    "SKIPPED": "skipped",
    "TIMED_OUT": "timed_out",
    "ACTION_REQUIRED": "action_required",
    "STALE": "stale",
    "STARTUP_FAILURE": "startup_failure",
}
"""GraphQL's ``CheckConclusionState``, member by member, to the REST spelling
(https://docs.github.com/en/graphql/reference/enums#checkconclusionstate)."""


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a job, in the order the job ran them."""

    name: str
    conclusion: Conclusion | None


@dataclass(frozen=True, slots=True)
class Job:
    """A job of a run's latest attempt: whether it deployed, and where it failed."""

    name: str
    conclusion: Conclusion | None
    steps: tuple[Step, ...] = ()
    errors: tuple[str, ...] = ()
    """The messages of its annotations at level FAILURE, in GitHub's order."""


@dataclass(frozen=True, slots=True)
class NumberedStep:
    """A step as a page of a job's steps gives it; the number orders the steps."""

    number: int
    step: Step


@dataclass(frozen=True, slots=True)
class CheckRun:
    """A job of a run as a check run, with the first page of its steps."""

    id: str
    name: str
    conclusion: Conclusion | None
    steps: Page[NumberedStep]
    label: str
    """How a message names it (``job 'deploy' of workflow run URL``)."""
    errors: tuple[str, ...] = ()
    """The messages of its first annotations at level FAILURE."""


_CHECK_RUN_TYPES: FieldTypes = {"id": (str,), "name": (str,), "conclusion": (str, NULL)}
_STEP_TYPES: FieldTypes = {"number": (int,), "name": (str,), "conclusion": (str, NULL)}
_ANNOTATION_TYPES: FieldTypes = {"annotationLevel": (str, NULL), "message": (str,)}


def _conclusion(record: Mapping[str, Any], name: str) -> Conclusion | None:
    """A job's or step's conclusion, spelt as REST does; an undocumented one is refused."""
    conclusion = record.get("conclusion")
    if conclusion is None:
        return None
    if conclusion not in CHECK_CONCLUSIONS:
        raise Malformed(
            f"GitHub answered {name} with the conclusion {conclusion!r:.40}, "
            "which GitHub does not document"
        )
    return CHECK_CONCLUSIONS[conclusion]


def steps_page(connection: Mapping[str, Any], job: str) -> Page[NumberedStep]:
    """One page of ``job``'s steps, each with GitHub's types."""
    found = connection.get("nodes")
    if not isinstance(found, (list, NULL)):
        raise Malformed(f"GitHub answered {job} with the steps {found!r:.40}")
    steps = []
    for step in found or ():
        if step is None:
            continue
        if not isinstance(step, dict):
            raise Malformed(f"GitHub answered {job} with the step {step!r:.40}")
        name = f"step {step.get('number')!r:.20} of {job}"
        _check_fields(step, _STEP_TYPES, name)
        steps.append(NumberedStep(step["number"], Step(step["name"], _conclusion(step, name))))
    return Page(tuple(steps), next_cursor(connection, f"the steps of {job}"))


def errors(node: Mapping[str, Any], job: str) -> tuple[str, ...]:
    """The messages of ``job``'s annotations at level FAILURE (warnings and notices say
    nothing about why it failed)."""
    connection = node.get("annotations")
    if connection is None:
        return ()
    if not isinstance(connection, dict):
        raise Malformed(f"GitHub answered {job} with the annotations {connection!r:.40}")
    found = []
    for annotation in nodes(connection, f"the annotations of {job}"):
        _check_fields(annotation, _ANNOTATION_TYPES, f"an annotation of {job}")
        if annotation.get("annotationLevel") == "FAILURE":
            found.append(annotation["message"])
    return tuple(found)


def check_run(node: Mapping[str, Any], what: str) -> CheckRun:
    """One check run of ``what`` (a workflow run) with the first page of its steps."""
    label = f"job {node.get('name')!r:.40} of {what}"
    _check_fields(node, _CHECK_RUN_TYPES, label)
    conclusion = _conclusion(node, label)
    steps = steps_page(part(node, "steps", label), label)
    return CheckRun(node["id"], node["name"], conclusion, steps, label, errors(node, label))


def check_runs_page(connection: Mapping[str, Any], what: str) -> Page[CheckRun]:
    """One page of a run's check runs (its jobs)."""
    page_of = f"the jobs of {what}"
    found = nodes(connection, page_of)
    cursor = next_cursor(connection, page_of)
    return Page(tuple(check_run(node, what) for node in found), cursor)


def job(check: CheckRun, more_steps: tuple[NumberedStep, ...] = ()) -> Job:
    """The job a check run reports, its steps (from every page) in the order they ran."""
    steps = sorted((*check.steps.records, *more_steps), key=lambda numbered: numbered.number)
    return Job(
        check.name, check.conclusion, tuple(numbered.step for numbered in steps), check.errors
    )


def run_check_runs(run: Mapping[str, Any], what: str) -> Page[CheckRun]:
    """The first page of a WorkflowRun node's check runs (its check suite's)."""
    suite = part(run, "checkSuite", what)
    return check_runs_page(part(suite, "checkRuns", what), what)


def more_check_runs(data: Mapping[str, Any], what: str) -> Page[CheckRun]:
    """The next page of a run's check runs, from a MoreCheckRuns answer."""
    return run_check_runs(part(data, "node", what), what)


def more_steps(data: Mapping[str, Any], label: str) -> Page[NumberedStep]:
    """The next page of the steps of the job ``label`` names, from a MoreSteps answer."""
    return steps_page(part(part(data, "node", label), "steps", label), label)
