"""The GraphQL documents the GitHub source sends; the tests validate each against GitHub's schema.

Why GraphQL: REST keeps no deployment state (its statuses are deleted after
90 days) and needs a request per deployment and per issue. Here the
deployments come 100 a page with their state, and the postmortems 50 a page
with their sub-issues, so the request count follows the size of the history
divided by the page size, not the history itself.
See https://docs.github.com/en/graphql/reference/objects#deployment
"""

from __future__ import annotations

DEPLOYMENTS_PER_PAGE = 100
POSTMORTEMS_PER_PAGE = 50
SUB_ISSUES_PER_POSTMORTEM = 50
"""Enough for nearly every postmortem; the rare larger one is read again in full."""
ISSUES_PER_LOOKUP = 100

ACTION_ITEM_FIELDS = """
fragment ActionItemFields on Issue {
  number
  title
  url
  body
  state
  stateReason(enableDuplicate: true)
  createdAt
  repository { nameWithOwner }
  milestone { dueOn }
  labels(first: 50) { nodes { name } }
}
"""

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
        databaseId
        commitOid
        createdAt
        environment
        description
        state
        latestStatus { state description logUrl environmentUrl }
        commit { messageHeadline }
      }
    }
  }
}
"""
"""Deployments a hundred a page; ``commit`` is an object, not a connection, so asking for
the commit's first line (a "Revert ..." says a rollback) keeps the cost at one point."""

DEFAULT_BRANCH = """
query DefaultBranch($owner: String!, $name: String!) {
  rateLimit { remaining resetAt }
  repository(owner: $owner, name: $name) { defaultBranchRef { name } }
}
"""
"""The branch deploy workflows run from when a service names none."""

POSTMORTEMS = (
    """
query Postmortems($owner: String!, $name: String!, $labels: [String!], $after: String) {
  rateLimit { remaining resetAt }
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
        labels(first: 50) { nodes { name } }
        subIssues(first: 50) { nodes { ...ActionItemFields } }
        subIssuesSummary { total }
      }
    }
  }
}
"""
    + ACTION_ITEM_FIELDS
)


ALL_SUB_ISSUES = (
    """
query SubIssues($owner: String!, $name: String!, $number: Int!) {
  rateLimit { remaining resetAt }
  repository(owner: $owner, name: $name) {
    issue(number: $number) { subIssues(first: 100) { nodes { ...ActionItemFields } } }
  }
}
"""
    + ACTION_ITEM_FIELDS
)
"""Every sub-issue of one postmortem: GitHub allows at most 100, so one page holds them."""


def issue_lookup(count: int) -> str:
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
        + ACTION_ITEM_FIELDS
    )
