"""The GraphQL documents the GitHub source sends; the tests validate each against GitHub's schema.

Why GraphQL: REST keeps no deployment state (its statuses are deleted after
90 days) and needs a request per deployment and per issue. Here the
deployments come 100 a page with their state, and the postmortems 50 a page
with their sub-issues, so the request count follows the size of the history
divided by the page size, not the history itself.
See https://docs.github.com/en/graphql/reference/objects#deployment
"""

from __future__ import annotations

from dataclasses import dataclass

DEPLOYMENTS_PER_PAGE = 100
POSTMORTEMS_PER_PAGE = 50
SUB_ISSUES_PER_POSTMORTEM = 50
"""Enough for nearly every postmortem; the rare larger one is read again in full."""
ISSUES_PER_LOOKUP = 100


@dataclass(frozen=True, slots=True)
class IssueSchema:
    """What the server's ``Issue`` type offers of what the issue queries ask for.

    GitHub Enterprise Server releases lag github.com: an older one has no
    sub-issues and no duplicate close reason, and a query that names either
    is refused whole. See :meth:`.api.GitHubApi.issue_query`.
    """

    sub_issues: bool = True
    """``Issue.subIssues`` and ``Issue.subIssuesSummary``; without them, task lists only."""
    duplicate_reason: bool = True
    """``stateReason(enableDuplicate:)``; without it, GitHub says NOT_PLANNED for a duplicate."""


CURRENT = IssueSchema()
"""github.com's, and what the queries ask for until a server refuses it."""

ISSUE_SCHEMA = """
query IssueSchema {
  issue: __type(name: "Issue") { fields { name args { name } } }
}
"""
"""The names of ``Issue``'s fields and their arguments: enough to tell what an older
server lacks, in one small answer (introspection: https://spec.graphql.org/October2021/#sec-Schema-Introspection)."""


def action_item_fields(schema: IssueSchema = CURRENT) -> str:
    """The fragment every action item is read with, as ``schema`` allows."""
    reason = "stateReason(enableDuplicate: true)" if schema.duplicate_reason else "stateReason"
    return _ACTION_ITEM_FIELDS % {"state_reason": reason}


_ACTION_ITEM_FIELDS = """
fragment ActionItemFields on Issue {
  number
  title
  url
  body
  state
  %(state_reason)s
  createdAt
  closedAt
  repository { nameWithOwner }
  milestone { dueOn }
  labels(first: 50) { nodes { name } }
  closedByPullRequestsReferences(first: 5) { nodes { ...FixPull } }
  timelineItems(itemTypes: [CLOSED_EVENT], last: 1) {
    nodes { ... on ClosedEvent { closer { ...FixPull ... on Commit { oid url committedDate } } } }
  }
}

fragment FixPull on PullRequest { number url mergedAt mergeCommit { oid committedDate } }
"""
"""An item's fix rides on the query that reads the item: the pull requests that closed
it (``closedByPullRequestsReferences``: merged ones, and open ones, which are no fix), or
what its last ``ClosedEvent`` names as its closer (a pull request, or a commit pushed
with "Fixes #12"). Five pull requests are plenty for one lesson.
See https://docs.github.com/en/graphql/reference/objects#closedevent"""

DEPLOYMENTS = """
query Deployments($owner: String!, $name: String!, $environments: [String!], $after: String) {
  rateLimit { remaining resetAt }
  repository(owner: $owner, name: $name) {
    deployments(
      environments: $environments
      first: 100
      after: $after
      orderBy: {field: CREATED_AT, direction: DESC}
    ) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        databaseId
        commitOid
        createdAt
        environment
        description
        state
        latestStatus { state description logUrl }
        commit { messageHeadline }
      }
    }
  }
}
"""
"""Deployments a hundred a page; ``commit`` is an object, not a connection, so asking for
the commit's first line (a "Revert ..." says a rollback) keeps the cost at one point."""

_POSTMORTEMS = """
query Postmortems(
  $owner: String!
  $name: String!
  $labels: [String!]
  $after: String
  $withDefaultBranch: Boolean = false
  $deployingOwner: String = ""
  $deployingName: String = ""
) {
  rateLimit { remaining resetAt }
  deploying: repository(owner: $deployingOwner, name: $deployingName)
    @include(if: $withDefaultBranch) { defaultBranchRef { name } }
  repository(owner: $owner, name: $name) {
    issues(
      labels: $labels
      first: 50
      after: $after
      orderBy: {field: CREATED_AT, direction: DESC}
    ) {
      pageInfo { hasNextPage endCursor }
      nodes {
        number
        title
        url
        body
        state
        createdAt
        repository { nameWithOwner }
        labels(first: 50) { nodes { name } }%(sub_issues)s
      }
    }
  }
}
"""
_SUB_ISSUES = """
        subIssues(first: 50) { nodes { ...ActionItemFields } }
        subIssuesSummary { total }"""


def postmortems(schema: IssueSchema = CURRENT) -> str:
    """The postmortems query, as ``schema`` allows: without sub-issues on an older server."""
    if not schema.sub_issues:
        return _POSTMORTEMS % {"sub_issues": ""}
    return _POSTMORTEMS % {"sub_issues": _SUB_ISSUES} + action_item_fields(schema)


POSTMORTEMS = postmortems()
"""Postmortems fifty a page. With ``$withDefaultBranch``, the first page also brings the
deploying repository's default branch, which a deploy workflow's runs are listed on
unless the service names a branch: the question rides on a request sent anyway."""


_ALL_SUB_ISSUES = """
query SubIssues($owner: String!, $name: String!, $number: Int!) {
  rateLimit { remaining resetAt }
  repository(owner: $owner, name: $name) {
    issue(number: $number) { subIssues(first: 100) { nodes { ...ActionItemFields } } }
  }
}
"""


def all_sub_issues(schema: IssueSchema = CURRENT) -> str:
    """Every sub-issue of one postmortem; sent only where ``schema`` has sub-issues."""
    return _ALL_SUB_ISSUES + action_item_fields(schema)


ALL_SUB_ISSUES = all_sub_issues()
"""Every sub-issue of one postmortem: GitHub allows at most 100, so one page holds them."""


def issue_lookup(count: int, schema: IssueSchema = CURRENT) -> str:
    """One query that fetches ``count`` issues named by ``$owner{i}``, ``$name{i}``, ``$number{i}``.

    Task-list references ("- [ ] acme/api#12") may point anywhere, so they
    are fetched together, by alias, in one request per hundred.
    """
    parameters = ", ".join(
        f"$owner{i}: String!, $name{i}: String!, $number{i}: Int!" for i in range(count)
    )
    fields = "\n".join(
        f"  issue{i}: repository(owner: $owner{i}, name: $name{i}) "
        f"{{ issue(number: $number{i}) {{ ...ActionItemFields }} }}"
        for i in range(count)
    )
    return (
        f"query Issues({parameters}) {{\n  rateLimit {{ remaining resetAt }}\n{fields}\n}}\n"
        + action_item_fields(schema)
    )


RUNS_PER_JOB_LOOKUP = 50
"""Workflow runs whose jobs one query reads; failed runs are rarely more in a lookback window."""
CHECK_RUNS_PER_RUN = 25
STEPS_PER_CHECK_RUN = 50
"""Enough for nearly every deploy workflow; a run with more jobs, or a job with more steps,
is read on in follow-up pages. A job's first ten annotations hold its errors (an error
annotation is written when the step fails, and a job rarely has ten warnings before it);
they are not paged further. With 50 runs a query asks for at most 76,250 nodes (GitHub
allows 500,000) and costs 26 points: 50 check-run pages plus 1,250 step pages and 1,250
annotation pages, over 100. No request is added for them."""

CHECK_RUN_FIELDS = """
fragment CheckRunFields on CheckRun {
  id
  name
  conclusion
  steps(first: 50) {
    pageInfo { hasNextPage endCursor }
    nodes { name conclusion number }
  }
  annotations(first: 10) {
    nodes { annotationLevel message }
  }
}
"""
"""A job and where it failed: its steps, and its annotations, where a failed step's error
is (the runner's "Process completed with exit code 1", and any ``::error::`` the step
wrote). See https://docs.github.com/en/graphql/reference/objects#checkrun"""

RUN_JOB_FIELDS = (
    """
fragment RunJobFields on WorkflowRun {
  id
  checkSuite {
    checkRuns(first: 25, filterBy: {checkType: LATEST}) {
      pageInfo { hasNextPage endCursor }
      nodes { ...CheckRunFields }
    }
  }
}
"""
    + CHECK_RUN_FIELDS
)

RUN_JOBS = (
    """
query RunJobs($ids: [ID!]!) {
  rateLimit { remaining resetAt }
  nodes(ids: $ids) { ...RunJobFields }
}
"""
    + RUN_JOB_FIELDS
)
"""The jobs of several workflow runs at once, by the runs' node ids (REST's ``node_id``).

A run's jobs are the check runs of its check suite. ``checkType: LATEST`` keeps one check
run per name, the latest, as REST's ``filter=latest`` keeps the latest attempt's jobs.
See https://docs.github.com/en/graphql/reference/objects#checksuite"""


def run_jobs_by_url(count: int) -> str:
    """One query for the jobs of ``count`` workflow runs named by their web URLs ``$url{i}``.

    A deployment status knows its run only by the URL in its ``logUrl``, and
    ``resource(url:)`` resolves a run's URL to the run, so no request goes to
    find node ids first: the runs come by alias, as many a query as RunJobs.
    See https://docs.github.com/en/graphql/reference/queries#resource
    """
    parameters = ", ".join(f"$url{i}: URI!" for i in range(count))
    fields = "\n".join(
        f"  run{i}: resource(url: $url{i}) {{ ...RunJobFields }}" for i in range(count)
    )
    return (
        f"query RunJobsByUrl({parameters}) {{\n  rateLimit {{ remaining resetAt }}\n{fields}\n}}\n"
        + RUN_JOB_FIELDS
    )


MORE_CHECK_RUNS = (
    """
query MoreCheckRuns($id: ID!, $after: String!) {
  rateLimit { remaining resetAt }
  node(id: $id) {
    ... on WorkflowRun {
      checkSuite {
        checkRuns(first: 100, after: $after, filterBy: {checkType: LATEST}) {
          pageInfo { hasNextPage endCursor }
          nodes { ...CheckRunFields }
        }
      }
    }
  }
}
"""
    + CHECK_RUN_FIELDS
)
"""The rest of one run's jobs, when it had more than RunJobs asked for."""

MORE_STEPS = """
query MoreSteps($id: ID!, $after: String!) {
  rateLimit { remaining resetAt }
  node(id: $id) {
    ... on CheckRun {
      steps(first: 100, after: $after) {
        pageInfo { hasNextPage endCursor }
        nodes { name conclusion number }
      }
    }
  }
}
"""
"""The rest of one job's steps, when it had more than its page held."""


CONTAINS_PER_QUERY = 100
"""Commit pairs one query asks about: a hundred ``history`` connections cost one point."""


def contains(count: int) -> str:
    """One query that asks, for ``count`` pairs, whether ``$head{i}`` holds ``$commit{i}``.

    REST's compare answers one pair a request. Here each pair is the head's
    history (``git log HEAD``) cut to the commit's own committed date, both
    bounds inclusive as git's ``--since`` and ``--until``: the commit is among
    those few entries exactly when it is the head or an ancestor of it. The
    commit itself is asked for too: one the repository does not hold (a fix
    merged elsewhere) is not "not shipped" but unknown. Either missing answers
    null.
    See https://docs.github.com/en/graphql/reference/objects#commit (history)
    """
    parameters = ", ".join(
        f"$commit{i}: GitObjectID!, $head{i}: GitObjectID!, $at{i}: GitTimestamp!"
        for i in range(count)
    )
    fields = "\n".join(
        f"    commit{i}: object(oid: $commit{i}) {{ oid }}\n"
        f"    pair{i}: object(oid: $head{i}) {{ ... on Commit {{ "
        f"history(first: 10, since: $at{i}, until: $at{i}) {{ nodes {{ oid }} }} }} }}"
        for i in range(count)
    )
    return (
        f"query Contains($owner: String!, $name: String!, {parameters}) {{\n"
        f"  rateLimit {{ remaining resetAt }}\n"
        f"  repository(owner: $owner, name: $name) {{\n{fields}\n  }}\n}}\n"
    )
