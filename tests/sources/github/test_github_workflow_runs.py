"""Workflow runs as deployment history: the GitHub source against the fake GitHub.

The fake serves GitHub's Actions REST shapes (checked against GitHub's OpenAPI
description by the validator fakes/test_fake_github.py keeps) and a run's jobs as the
check runs of its check suite through GraphQL (executed against GitHub's
schema); the product reads them through its own HTTP client.
The central promise: a history told as workflow runs of deploy.yml yields
the same failures and findings as the same history told as deployment records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import graphql
import pytest
from conftest import json_report, run_cli
from fakes.clock import FakeClock
from fakes.github import (  # noqa: F401
    MAX_NODES,
    WORKFLOW_RUN_CONCLUSIONS,
    FakeGitHub,
    RecordedRequest,
    WorkflowRun,
    fake_github,
    github_schema,
    query_cost,
)
from fakes.github_openapi import assert_rest_traffic_matches_openapi, response_validator
from reliability.helpers import mutate_answers

from deploygate.errors import SourceError
from deploygate.model import DeploymentStatus, History, Query
from deploygate.sources.github import queries, records, runs
from deploygate.sources.github.settings import DeployWorkflow, GitHubSettings
from deploygate.sources.github.source import GitHubSource

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
TOKEN = "ghs_CANARY_runs_0123456789abcdef"
LOOKBACK = timedelta(days=90)


def at(days_ago: float) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(second=0, microsecond=0)


def sha(n: int) -> str:
    return f"{n:04x}" + "c0ffee" * 6


# ---------------------------------------------------------------------------
# The oracles: GitHub's OpenAPI for the listings, its schema for the jobs
# ---------------------------------------------------------------------------

RUNS_TEMPLATE = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"


def test_the_fakes_actions_answers_fit_openapi_strictly(fake_github: FakeGitHub) -> None:  # noqa: F811
    """The oracle itself: a strict schema refuses an invented field and a missing one."""
    build(fake_github)
    collect(fake_github, Shape.RUNS, job="deploy")
    assert assert_rest_traffic_matches_openapi(fake_github) == len(listings(fake_github)) == 1
    record = fake_github.requests_to("/runs", "GET")[0]
    page = record.response_json()
    validator = response_validator("get", RUNS_TEMPLATE, 200)
    page["workflow_runs"][0]["invented"] = True
    assert not validator.is_valid(page)
    del page["workflow_runs"][0]["invented"]
    del page["workflow_runs"][0]["head_sha"]
    assert not validator.is_valid(page)


# ---------------------------------------------------------------------------
# One history, told two ways
# ---------------------------------------------------------------------------


class Shape:
    RECORDS = "acme/records"
    RUNS = "acme/runs"


@dataclass(frozen=True)
class Event:
    days_ago: float
    sha: str
    outcome: str
    """success, failure, timed_out, error, cancelled, in_progress; runs only: skipped."""
    message: str = ""
    branch: str = "main"


# Deployment state, and run (status, conclusion), for each outcome.
_RECORD_STATE = {
    "success": "ACTIVE",
    "failure": "FAILURE",
    "timed_out": "FAILURE",
    "error": "ERROR",
    "cancelled": "ABANDONED",
    "in_progress": "IN_PROGRESS",
}
_RUN_STATE = {
    "success": ("completed", "success"),
    "failure": ("completed", "failure"),
    "timed_out": ("completed", "timed_out"),
    "error": ("completed", "startup_failure"),
    "cancelled": ("completed", "cancelled"),
    "in_progress": ("in_progress", None),
    "skipped": ("completed", "skipped"),
}

HISTORY = [
    Event(200, sha(1), "failure"),  # outside the lookback window
    Event(80, sha(2), "success"),
    Event(71, sha(3), "failure", "Move payment config to Vault"),
    Event(70, sha(4), "success", "Fix payment config"),
    Event(50, sha(5), "failure", "Cart totals in cents"),
    Event(40, sha(6), "success"),
    Event(30, sha(7), "timed_out", "Warm the cache on start"),
    Event(20, sha(8), "cancelled"),
    Event(10, sha(9), "success", "New checkout flow"),
    Event(9.9, sha(6), "success", "Back to the known good build"),  # rolls sha 9 back
    Event(5, sha(10), "skipped"),
    Event(4, sha(11), "failure", branch="feature/x"),  # not the deploy branch
    Event(1, sha(12), "error", "Broken workflow file"),
    Event(0.1, sha(13), "in_progress"),
]


def listings(fake: FakeGitHub) -> list[RecordedRequest]:
    """The requests that listed workflow runs."""
    return [r for r in fake.requests if r.path.endswith("/runs")]


def operation_name(record: RecordedRequest) -> str:
    """The name of the GraphQL operation a request sent (RunJobs, Postmortems...)."""
    operation = graphql.get_operation_ast(graphql.parse(record.json()["query"]))
    assert operation is not None
    assert operation.name is not None
    return operation.name.value


def operations(fake: FakeGitHub, name: str) -> list[RecordedRequest]:
    return [record for record in fake.graphql_requests if operation_name(record) == name]


def operation_names(fake: FakeGitHub) -> list[str]:
    return [operation_name(record) for record in fake.graphql_requests]


def iso_of(run: WorkflowRun) -> str:
    return run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")


def run_url(fake: FakeGitHub, run: WorkflowRun) -> str:
    return f"https://{fake.world.web_host}/{run.repo.full_name}/actions/runs/{run.id}"


def build(fake: FakeGitHub, history: list[Event] = HISTORY) -> dict[str, str]:
    """The history twice: runs of deploy.yml in acme/runs, deployment records in acme/records.

    Postmortems live in acme/incidents. A deployment record's log URL is the
    run URL of the same event, so a postmortem that pastes it reviews the
    failure either way.
    """
    world = fake.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    records, runs = world.repo(Shape.RECORDS), world.repo(Shape.RUNS)
    urls: dict[str, str] = {}
    for event in history:
        status, conclusion = _RUN_STATE[event.outcome]
        run = runs.workflow_run(
            head_sha=event.sha,
            message=(event.message or f"Change {event.sha[:7]}") + "\n\nLonger body.",
            branch=event.branch,
            status=status,
            conclusion=conclusion,
            created_at=at(event.days_ago),
        )
        if conclusion in ("failure", "timed_out"):
            run.job("test")
            run.job(
                "deploy",
                conclusion,
                # Each failure fails at its own step, so none repeats another by step.
                steps=[("Set up job", "success"), (event.message or "Apply", "failure")]
                if conclusion == "failure"
                else [("Set up job", "success"), ("Warm cache", "cancelled")],
            )
        elif conclusion == "cancelled":
            run.job("test")
            run.job("deploy", "cancelled")
        elif conclusion == "success":
            run.job("test")
            run.job("deploy")
        urls[event.sha] = run_url(fake, run)
        if event.outcome in _RECORD_STATE and event.branch == "main":
            records.deployment(
                environment="production",
                state=_RECORD_STATE[event.outcome],
                sha=event.sha,
                created_at=at(event.days_ago),
                log_url=urls[event.sha]
                if _RECORD_STATE[event.outcome] not in ("ABANDONED", "PENDING")
                else None,
                message=(event.message or f"Change {event.sha[:7]}") + "\n\nLonger body.",
            )
    incidents = world.repo("acme/incidents")
    incidents.issue(
        title="Payments down after the config move",
        labels=["postmortem", "service:checkout", "cause:config-drift"],
        created_at=at(70),
        state="CLOSED",
        body=f"The deploy {urls[sha(3)]} failed.",
    ).add_sub_issue(incidents.issue(title="Validate config in CI", created_at=at(70)))
    incidents.issue(title="Cart totals off", labels=["postmortem"], created_at=at(49.5))
    incidents.issue(
        title="Cache warm-up hung",
        labels=["postmortem", "service:checkout", "cause:config-drift"],
        created_at=at(29),
        body=f"Deploy of {sha(7)[:10]} timed out.",
    )
    return urls


def config(tmp_path: Path, *, workflow: str | None = None, extra: str = "") -> Path:
    path = tmp_path / "deploygate.toml"
    service = '[services.checkout]\nenvironments = ["production"]\n'
    if workflow is not None:
        service += f'workflow = "{workflow}"\n'
    path.write_text(
        'source = "github"\nlookback = "90d"\n'
        '[github]\npostmortem-repository = "acme/incidents"\n' + service + extra
    )
    return path


def check(fake: FakeGitHub, path: Path, repository: str, *args: str, token: str = TOKEN) -> Any:
    env = fake.actions_env(token, repository) | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    return run_cli(
        "check", "--config", str(path), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env,
    )  # fmt: skip


def settings(fake: FakeGitHub, repository: str, **workflow: Any) -> GitHubSettings:
    return GitHubSettings(
        repository=repository,
        postmortem_repository="acme/incidents",
        api_url=fake.api_url,
        graphql_url=fake.graphql_url,
        web_url="https://github.com",
        token=TOKEN,
        environments={"checkout": ("production",)},
        workflows={"checkout": DeployWorkflow("deploy.yml", **workflow)} if workflow else None,
    )


def collect(fake: FakeGitHub, shape: str, **workflow: Any) -> History:
    """What the source reads from ``shape`` (runs: of deploy.yml, with ``workflow`` settings)."""
    options = {"job": None, **workflow} if shape == Shape.RUNS else {}
    return GitHubSource(settings(fake, shape, **options)).collect(
        Query("checkout", None, NOW, LOOKBACK)
    )


def failures(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return sorted(
        {
            (f["deployment"]["sha"], f["deployment"]["created_at"], f["deployment"]["status"])
            for f in report["findings"]
            if f["rule"] in ("unreviewed-failure", "reviewed-failure")
        }
    )


def test_runs_and_deployment_records_of_one_history_give_the_same_verdict(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_github)
    records = check(fake_github, config(tmp_path), Shape.RECORDS)
    runs = check(fake_github, config(tmp_path, workflow="deploy.yml"), Shape.RUNS)
    assert (records.exit_code, runs.exit_code) == (1, 1), records.output + runs.output
    by_records, by_runs = json_report(records.stdout), json_report(runs.stdout)

    assert (
        failures(by_runs)
        == failures(by_records)
        == [
            (sha(3), "2026-09-10T12:00:00Z", "failure"),
            (sha(5), "2026-10-01T12:00:00Z", "failure"),
            (sha(7), "2026-10-21T12:00:00Z", "failure"),
            (sha(9), "2026-11-10T12:00:00Z", "rolled-back"),
            (sha(12), "2026-11-19T12:00:00Z", "error"),
        ]
    )

    def judged(report: dict[str, Any]) -> list[tuple[str, str, str | None, str | None]]:
        return [
            (f["rule"], f["level"], (f["deployment"] or {}).get("sha"), f["link"])
            for f in report["findings"]
        ]

    assert judged(by_runs) == judged(by_records)
    assert ("repeat-failure", "error", sha(7), None) in judged(by_runs)
    assert by_runs["summary"] == by_records["summary"]
    assert by_runs["summary"]["failed_deployments"] == 5
    assert_rest_traffic_matches_openapi(fake_github)


def test_every_deployment_matches_not_only_the_failures(fake_github: FakeGitHub) -> None:  # noqa: F811
    build(fake_github)

    def seen(
        shape: str,
    ) -> list[tuple[str | None, datetime, DeploymentStatus, str | None, str | None]]:
        history = collect(fake_github, shape)
        return sorted(
            (d.sha, d.created_at, d.status, d.commit_title, d.failure_signature)
            for d in history.deployments
        )

    from_runs = seen(Shape.RUNS)
    assert from_runs == seen(Shape.RECORDS)
    statuses = [status for _, _, status, _, _ in from_runs]
    assert statuses.count(DeploymentStatus.IN_PROGRESS) == 1
    assert statuses.count(DeploymentStatus.CANCELLED) == 1
    assert sha(10) not in [s for s, *_ in from_runs]  # skipped: nothing shipped
    assert sha(11) not in [s for s, *_ in from_runs]  # another branch
    assert ("Move payment config to Vault") in [title for _, _, _, title, _ in from_runs]


def test_a_run_is_named_by_its_url_and_carries_what_failed(fake_github: FakeGitHub) -> None:  # noqa: F811
    urls = build(fake_github)
    history = collect(fake_github, Shape.RUNS)
    by_sha = {d.sha: d for d in history.deployments}
    failed = by_sha[sha(3)]
    assert failed.id == failed.url == urls[sha(3)]
    run_id = urls[sha(3)].rsplit("/", 1)[1]
    assert failed.other_urls == (f"{fake_github.api_url}/repos/acme/runs/actions/runs/{run_id}",)
    assert failed.failure_signature == "deploy: Move payment config to Vault"  # job: step
    assert failed.commit_title == "Move payment config to Vault"
    assert failed.description is None  # the run's title is the commit title: nothing more
    assert by_sha[sha(7)].failure_signature == "deploy: Warm cache (timed out)"
    assert by_sha[sha(12)].failure_signature is None  # it never started a job
    assert by_sha[sha(13)].status is DeploymentStatus.IN_PROGRESS
    assert {d.environment for d in history.deployments} == {"production"}


# ---------------------------------------------------------------------------
# A named job decides
# ---------------------------------------------------------------------------


def test_with_a_job_named_the_jobs_outcome_is_the_deployments(fake_github: FakeGitHub) -> None:  # noqa: F811
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    repo = world.repo(Shape.RUNS)
    world.repo("acme/incidents")

    def run(n: int, conclusion: str, *jobs: tuple[str, str, list[tuple[str, str]]]) -> None:
        made = repo.workflow_run(head_sha=sha(n), conclusion=conclusion, created_at=at(30 - n))
        for name, job_conclusion, steps in jobs:
            made.job(name, job_conclusion, steps=steps)

    ok = [("Set up job", "success")]
    run(1, "failure", ("test", "failure", [("Unit tests", "failure")]), ("deploy", "skipped", []))
    run(2, "failure", ("deploy", "success", ok), ("smoke", "failure", [("Probe", "failure")]))
    run(3, "failure", ("deploy", "failure", [("Helm upgrade", "failure")]))
    run(4, "cancelled", ("deploy", "cancelled", [("Helm upgrade", "cancelled")]))
    run(5, "cancelled", ("test", "cancelled", []), ("deploy", "skipped", []))
    us = ("deploy (us)", "failure", [("Apply", "failure")])
    run(6, "failure", ("deploy (eu)", "success", ok), us)
    run(7, "failure", ("deploy / apply", "timed_out", [("Apply", "cancelled")]))
    run(8, "startup_failure")
    run(9, "success", ("deploy", "success", ok))
    run(10, "action_required")

    history = collect(fake_github, Shape.RUNS, job="deploy")
    found = {d.sha: (d.status, d.failure_signature) for d in history.deployments}
    assert found == {
        sha(2): (DeploymentStatus.SUCCESS, None),
        sha(3): (DeploymentStatus.FAILURE, "deploy: Helm upgrade"),
        sha(4): (DeploymentStatus.CANCELLED, None),
        sha(6): (DeploymentStatus.FAILURE, "deploy (us): Apply"),
        sha(7): (DeploymentStatus.FAILURE, "deploy / apply: Apply (timed out)"),
        sha(9): (DeploymentStatus.SUCCESS, None),
    }
    [lookup] = operations(fake_github, "RunJobs")
    ids = {run.head_sha: run.node_id for run in repo.runs}
    # Only the runs that did not succeed and may have run the job (not 8, 9 or 10), newest
    # first, in one query.
    assert lookup.json()["variables"]["ids"] == [ids[sha(n)] for n in (7, 6, 5, 4, 3, 2, 1)]
    assert fake_github.requests_to("/jobs") == []
    assert_rest_traffic_matches_openapi(fake_github)


LOCKED = ("FAILURE", 'Error: relation "orders" is locked by migration 0042')
EXIT_1 = ("FAILURE", "Process completed with exit code 1.")


def test_the_same_error_is_a_repeat_and_the_same_step_alone_only_related(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The failed job's error annotations are the evidence; the step only places it."""
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    repo, incidents = world.repo("acme/shop"), world.repo("acme/incidents")
    first = repo.workflow_run(head_sha=sha(1), conclusion="failure", created_at=at(40))
    first.job(
        "deploy",
        "failure",
        steps=[("Run migrations", "failure")],
        annotations=[("WARNING", "Node.js 16 actions are deprecated."), LOCKED, EXIT_1],
    )
    incidents.issue(
        title="Migrations locked the orders table",
        labels=["postmortem", "service:checkout"],
        created_at=at(39),
        body=run_url(fake_github, first),
    )
    again = repo.workflow_run(head_sha=sha(2), conclusion="failure", created_at=at(3))
    again.job(
        "deploy",
        "failure",
        steps=[("Set up job", "success"), ("Run migrations", "failure")],
        annotations=[("FAILURE", 'Error: relation "orders" is locked by migration 0057'), EXIT_1],
    )
    elsewhere = repo.workflow_run(head_sha=sha(3), conclusion="failure", created_at=at(2))
    elsewhere.job(
        "deploy",
        "failure",
        steps=[("Run migrations", "failure")],
        annotations=[("FAILURE", "Error: could not connect to server: Connection refused"), EXIT_1],
    )
    other = repo.workflow_run(head_sha=sha(4), conclusion="failure", created_at=at(1))
    other.job("deploy", "failure", steps=[("Helm upgrade", "failure")], annotations=[EXIT_1])

    result = check(fake_github, config(tmp_path, workflow="deploy.yml"), "acme/shop")
    assert result.exit_code == 1, result.output
    repeats = [f for f in json_report(result.stdout)["findings"] if f["rule"] == "repeat-failure"]
    assert [(f["deployment"]["sha"], f["level"]) for f in repeats] == [
        (sha(2), "error"),
        (sha(3), "notice"),
    ]
    assert "the same error (“relation orders is locked by migration”)" in repeats[0]["message"]
    assert repeats[1]["message"].startswith("Related prior failure:")
    assert "the same failing job (deploy: Run migrations)" in repeats[1]["message"]


def failed_deployment(
    fake: FakeGitHub,
    step: str,
    days_ago: float,
    n: int,
    *,
    job_url: bool = False,
    errors: tuple[str, ...] = ("Process completed with exit code 1.",),
) -> str:
    """A failed deployment record of acme/shop whose log URL is a run that failed at ``step``
    with the error annotations ``errors``."""
    run = fake.world.repo("acme/shop").workflow_run(
        head_sha=sha(n), conclusion="failure", created_at=at(days_ago)
    )
    run.job("test")
    failed = run.job(
        "deploy",
        "failure",
        steps=[("Set up job", "success"), (step, "failure")],
        annotations=[("FAILURE", error) for error in errors],
    )
    url = run_url(fake, run) + (f"/job/{failed.id}#step:2:1" if job_url else "")
    deployment = fake.world.repo("acme/shop").deployment(
        state="FAILURE", sha=sha(n), created_at=at(days_ago), log_url=url
    )
    return str(deployment.database_id)


@pytest.mark.parametrize("web_host", ["github.com", "ghe.example.com"])
def test_deployments_whose_runs_failed_with_the_same_error_are_a_repeat_failure(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    web_host: str,
) -> None:
    """Deployment records, no workflow named: the failed step and its errors come from the
    run behind each status' log URL, all runs in one query, on github.com and on a GHES
    host alike."""
    world = fake_github.world
    world.web_host = web_host
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    first = failed_deployment(
        fake_github, "Run migrations", 40, 1, job_url=True, errors=(LOCKED[1], EXIT_1[1])
    )
    world.repo("acme/incidents").issue(
        title="Migrations locked the orders table",
        labels=["postmortem", "service:checkout"],
        created_at=at(39),
        body=f"Deployment {first} failed.",
    )
    again = failed_deployment(fake_github, "Run migrations", 3, 2, errors=(LOCKED[1],))
    related = failed_deployment(fake_github, "Run migrations", 2.5, 4)
    other = failed_deployment(fake_github, "Helm upgrade", 2, 3)

    result = check(fake_github, config(tmp_path), "acme/shop")
    assert result.exit_code == 1, result.output
    repeats = [f for f in json_report(result.stdout)["findings"] if f["rule"] == "repeat-failure"]
    assert [(f["deployment"]["id"], f["level"]) for f in repeats] == [
        (again, "error"),
        (related, "notice"),
    ]
    assert "the same error (“relation orders is locked by migration”)" in repeats[0]["message"]
    assert "the same failing job (deploy: Run migrations)" in repeats[1]["message"]
    assert other not in {f["deployment"]["id"] for f in repeats}
    [lookup] = operations(fake_github, "RunJobsByUrl")
    assert sorted(lookup.json()["variables"].values()) == sorted(
        f"https://{web_host}/acme/shop/actions/runs/{run.id}"
        for run in world.repo("acme/shop").runs
    )


def test_a_log_url_that_is_no_actions_run_here_gets_no_signature_and_costs_nothing(
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    """Only failed deployments whose log URL is an Actions run on this GitHub are looked up."""
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    world.repo("acme/incidents")
    shop = world.repo("acme/shop")
    run = shop.workflow_run(head_sha=sha(1), conclusion="failure", created_at=at(5))
    run.job("deploy", "failure", steps=[("Run migrations", "failure")])
    for n, log_url in enumerate(
        (
            "https://ci.example/acme/shop/actions/runs/1",  # another host
            f"https://github.com/acme/shop/pull/{run.id}",  # GitHub, but no run
            f"https://github.com/acme/shop/actions/runs/{run.id}/artifacts",
        ),
        start=1,
    ):
        shop.deployment(state="FAILURE", sha=sha(n), created_at=at(5 - n / 10), log_url=log_url)
    # A successful deployment's run is never read, whatever its URL.
    shop.deployment(state="ACTIVE", sha=sha(9), created_at=at(1), log_url=run_url(fake_github, run))
    history = collect(fake_github, "acme/shop")
    assert [d.failure_signature for d in history.deployments] == [None, None, None, None]
    assert "RunJobsByUrl" not in operation_names(fake_github)
    assert history.notices == ()


def test_a_token_without_checks_read_leaves_failed_deployments_unsigned_with_a_notice(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The failed step only adds detail: the least permissions still judge the deploy."""
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]", can_read_checks=False)
    world.repo("acme/incidents")
    failed_deployment(fake_github, "Run migrations", 3, 1)
    result = check(fake_github, config(tmp_path), "acme/shop")
    assert result.exit_code == 0, result.output  # one failure inside its grace period
    [source] = json_report(result.stdout)["sources"]
    assert source["ok"]
    assert source["notices"] == [
        "which step failed, and its errors, were not read from the workflow runs of 1 failed "
        "deployment(s) (the token needs checks: read): they repeat by cause label or status "
        "description only"
    ]


# ---------------------------------------------------------------------------
# Branches, paging, the request budget
# ---------------------------------------------------------------------------


def test_the_deploy_branch_is_the_default_branch_unless_named(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    repo = world.repo("acme/shop")
    world.repo("acme/incidents")
    repo.default_branch = "trunk"
    for n, branch in enumerate(("trunk", "release", "main"), start=1):
        repo.workflow_run(head_sha=sha(n), branch=branch, conclusion="failure", created_at=at(n))

    def failed_shas(path: Path) -> list[str]:
        result = check(fake_github, path, "acme/shop")
        assert result.exit_code == 0, result.output  # a failure inside its grace period
        return [f["deployment"]["sha"] for f in json_report(result.stdout)["findings"]]

    assert failed_shas(config(tmp_path, workflow="deploy.yml")) == [sha(1)]
    assert [r.query["branch"] for r in listings(fake_github)] == ["trunk"]
    # The default branch came with the first postmortems page, before the runs were listed.
    assert operation_names(fake_github) == ["Postmortems", "RunJobs"]
    first = fake_github.graphql_requests[0]
    assert first.json()["variables"]["withDefaultBranch"] is True
    assert fake_github.requests.index(first) < fake_github.requests.index(listings(fake_github)[0])
    fake_github.requests.clear()
    named = config(tmp_path, workflow=".github/workflows/deploy.yml", extra='branch = "release"\n')
    assert failed_shas(named) == [sha(2)]
    assert [r.query["branch"] for r in listings(fake_github)] == ["release"]
    # A named branch asks nothing about the default branch, so the postmortems and the
    # runs are read side by side: either GraphQL query may arrive first.
    assert sorted(operation_names(fake_github)) == ["Postmortems", "RunJobs"]
    assert "withDefaultBranch" not in fake_github.graphql_requests[0].json()["variables"]


def budget(runs_in_window: int, postmortems: int) -> int:
    """The performance issue's promise for GitHub: ceil(D/100) + ceil(P/50) + 3 requests."""
    return math.ceil(runs_in_window / 100) + math.ceil(postmortems / 50) + 3


def test_request_count_stays_within_the_budget(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """270 runs in the window, 12 failed: 3 pages, the postmortems with the default branch,
    and one query for the twelve failed runs' jobs."""
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    repo, incidents = world.repo("acme/shop"), world.repo("acme/incidents")
    for n in range(400):  # a run every 8 hours: 270 in the 90 days, the rest older
        failed = n % 23 == 0
        made = repo.workflow_run(
            head_sha=sha(n),
            conclusion="failure" if failed else "success",
            created_at=at(0.3 + n / 3),
        )
        # Each failure at its own step, so none repeats another.
        made.job("deploy", "failure" if failed else "success", steps=[(f"Apply {n}", "failure")])
    for n in range(3):
        incidents.issue(title=f"Postmortem {n}", labels=["postmortem"], created_at=at(30 * n + 5))
    in_window = [run for run in repo.runs if run.created_at >= NOW - LOOKBACK]
    failed_in_window = [run for run in in_window if run.conclusion == "failure"]
    assert (len(in_window), len(failed_in_window)) == (270, 12)

    result = check(fake_github, config(tmp_path, workflow="deploy.yml"), "acme/shop")
    assert result.exit_code == 0, result.output  # warn: unreviewed failures
    report = json_report(result.stdout)
    assert report["summary"]["failed_deployments"] == 12

    sent = fake_github.requests
    assert len(sent) <= budget(270, 3) == 7
    pages = listings(fake_github)
    assert (len(pages), operation_names(fake_github)) == (3, ["Postmortems", "RunJobs"])
    assert report["sources"][0]["requests"] == len(sent) == 5
    [lookup] = operations(fake_github, "RunJobs")
    assert lookup.json()["variables"]["ids"] == [run.node_id for run in failed_in_window]
    assert all(r.query.get("per_page", "100") == "100" for r in pages)
    assert pages[0].query["created"] == ">=2026-08-22T12:00:00Z"
    assert pages[0].query["exclude_pull_requests"] == "true"
    assert all(r.status == 200 for r in sent)


@pytest.mark.parametrize(("runs_in_window", "listed"), [(1150, 12), (1100, 12)])
def test_more_runs_than_github_lists_at_once_are_all_read(
    fake_github: FakeGitHub,  # noqa: F811
    runs_in_window: int,
    listed: int,
) -> None:
    """GitHub stops a filtered listing at 1,000 runs; the next listing starts where it stopped.

    It starts at the oldest run seen, included (runs of the same second must not be lost),
    so it sees that run again: 1,100 runs take 12 listings where ceil(1,100/100) is 11.
    The budget's three spare requests absorb it, with the postmortems and the failed runs.
    """
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    repo = world.repo(Shape.RUNS)
    world.repo("acme/incidents")
    failing = {3, 400, 999, 1000, runs_in_window - 10}
    spacing = 89.5 / runs_in_window
    for n in range(runs_in_window):
        conclusion = "failure" if n in failing else "success"
        repo.workflow_run(head_sha=sha(n), conclusion=conclusion, created_at=at(0.1 + n * spacing))
    history = collect(fake_github, Shape.RUNS)
    assert len(history.deployments) == runs_in_window
    assert len({d.id for d in history.deployments}) == runs_in_window
    assert {d.sha for d in history.deployments if d.status.failed} == {sha(n) for n in failing}
    created = [r.query.get("created") for r in listings(fake_github)]
    assert created.count(">=2026-08-22T12:00:00Z") == 10  # ten pages reach GitHub's limit
    assert created[10] == f"2026-08-22T12:00:00Z..{iso_of(repo.runs[999])}"
    assert len(created) == listed
    # Run 999 was listed twice and its jobs are read once, with the other failures'.
    [lookup] = operations(fake_github, "RunJobs")
    assert sorted(lookup.json()["variables"]["ids"]) == sorted(
        repo.runs[n].node_id for n in failing
    )
    assert operation_names(fake_github) == ["Postmortems", "RunJobs"]
    assert len(fake_github.requests) == listed + 2 <= budget(runs_in_window, 0)


def test_a_run_with_more_jobs_and_steps_than_a_page_is_read_to_the_end(
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    """A page is never a silent cut: more check runs or steps than asked are read on."""
    world = fake_github.world
    world.clock = lambda: NOW
    world.token(TOKEN, login="github-actions[bot]")
    repo = world.repo(Shape.RUNS)
    world.repo("acme/incidents")
    big = repo.workflow_run(head_sha=sha(1), conclusion="failure", created_at=at(3))
    for region in range(queries.CHECK_RUNS_PER_RUN + 5):
        big.job(f"deploy (region-{region})")
    steps = [(f"Step {n}", "success") for n in range(queries.STEPS_PER_CHECK_RUN + 4)]
    big.job("deploy (last)", "failure", steps=[*steps, ("Verify", "failure")])
    small = repo.workflow_run(head_sha=sha(2), conclusion="failure", created_at=at(2))
    small.job("deploy", "failure", steps=[("Apply", "failure")])

    history = collect(fake_github, Shape.RUNS, job="deploy")
    found = {d.sha: (d.status, d.failure_signature) for d in history.deployments}
    assert found == {
        sha(1): (DeploymentStatus.FAILURE, "deploy (last): Verify"),
        sha(2): (DeploymentStatus.FAILURE, "deploy: Apply"),
    }
    assert operation_names(fake_github) == ["Postmortems", "RunJobs", "MoreCheckRuns", "MoreSteps"]
    [more_check_runs] = operations(fake_github, "MoreCheckRuns")
    assert more_check_runs.json()["variables"]["id"] == big.node_id


def test_check_conclusions_map_member_by_member_to_the_rest_words() -> None:
    """GraphQL's CheckConclusionState is REST's conclusions in capitals, every member."""
    kind = github_schema().get_type("CheckConclusionState")
    assert isinstance(kind, graphql.GraphQLEnumType)
    assert set(records.CHECK_CONCLUSIONS) == set(kind.values)
    for member, conclusion in records.CHECK_CONCLUSIONS.items():
        assert conclusion == member.lower()
        assert conclusion in WORKFLOW_RUN_CONCLUSIONS


def test_a_check_run_becomes_the_job_it_reports() -> None:
    check_run = records.check_run(
        {
            "id": "CR_1",
            "name": "deploy / apply",
            "conclusion": "TIMED_OUT",
            "steps": {
                "pageInfo": {"hasNextPage": False, "endCursor": None},
                "nodes": [
                    {"name": "Apply", "conclusion": "CANCELLED", "number": 2},
                    {"name": "Set up job", "conclusion": "SUCCESS", "number": 1},
                ],
            },
        },
        "workflow run 1",
    )
    job = records.job(check_run)
    assert job == records.Job(
        "deploy / apply",
        "timed_out",
        (records.Step("Set up job", "success"), records.Step("Apply", "cancelled")),
    )
    assert runs.failure_signature(job) == "deploy / apply: Apply (timed out)"
    with pytest.raises(ValueError, match="does not document"):
        records.check_run({"id": "CR_2", "name": "deploy", "conclusion": "EXPLODED"}, "a run")


def test_a_check_runs_failure_annotations_are_its_errors_first_lines_only() -> None:
    """Warnings say nothing about why it failed; a stack trace under the error differs
    between runs of one failure, so only the first line is compared."""
    node = {
        "id": "CR_1",
        "name": "deploy",
        "conclusion": "FAILURE",
        "steps": {"pageInfo": {"hasNextPage": False, "endCursor": None}, "nodes": []},
        "annotations": {
            "nodes": [
                {"annotationLevel": "WARNING", "message": "Node.js 16 actions are deprecated."},
                {"annotationLevel": "FAILURE", "message": "\nTypeError: x is undefined\n  at a:1"},
                {"annotationLevel": "FAILURE", "message": "Process completed with exit code 1."},
            ]
        },
    }
    job = records.job(records.check_run(node, "workflow run 1"))
    assert job.errors == (
        "\nTypeError: x is undefined\n  at a:1",
        "Process completed with exit code 1.",
    )
    assert runs.failure_messages(job) == (
        "TypeError: x is undefined",
        "Process completed with exit code 1.",
    )
    node["annotations"] = {"nodes": [{"annotationLevel": "FAILURE", "message": 7}]}
    with pytest.raises(records.Malformed, match="an annotation of job 'deploy'"):
        records.check_run(node, "workflow run 1")


# ---------------------------------------------------------------------------
# What goes wrong, said in one line
# ---------------------------------------------------------------------------


def test_a_missing_workflow_is_named_with_its_repository(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_github)
    result = check(fake_github, config(tmp_path, workflow="release.yml"), Shape.RUNS)
    assert result.exit_code == 3, result.output
    error = json_report(result.stdout)["sources"][0]["error"]
    assert error == (
        "workflow release.yml not found in acme/runs (looked for .github/workflows/release.yml; "
        "check [services.checkout] workflow)"
    )
    assert "Traceback" not in result.output


def test_a_token_without_actions_read_is_told_so(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_github)
    limited = "ghs_CANARY_no_actions_42"
    fake_github.world.token(limited, login="deployer[bot]", can_read_actions=False)
    result = check(fake_github, config(tmp_path, workflow="deploy.yml"), Shape.RUNS, token=limited)
    assert result.exit_code == 3, result.output
    error = json_report(result.stdout)["sources"][0]["error"]
    assert error == (
        "GitHub refused to list the runs of workflow deploy.yml in acme/runs "
        "(403: Resource not accessible by integration); the token needs actions: read"
    )
    assert limited not in result.output + str(result.stderr_bytes or b"")
    assert_rest_traffic_matches_openapi(fake_github)


@pytest.mark.parametrize("workflow", ["deploy", "other/deploy.yml", ".github/workflows/a/b.yml"])
def test_a_workflow_that_is_not_a_workflow_file_is_a_usage_error(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    workflow: str,
) -> None:
    fake_github.world.token(TOKEN, login="github-actions[bot]")
    result = check(fake_github, config(tmp_path, workflow=workflow), Shape.RUNS)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "services.checkout.workflow" in lines[0]
    assert repr(workflow) in lines[0]
    assert "e.g. deploy.yml" in lines[0]
    assert fake_github.requests == []


def test_a_failing_jobs_lookup_fails_the_source_after_retries(
    fake_github: FakeGitHub,  # noqa: F811
    fake_clock: FakeClock,
) -> None:
    build(fake_github)
    fake_github.faults.add(
        lambda r: r.is_graphql and b"query RunJobs" in r.body, status=502, times=None
    )
    source = GitHubSource(settings(fake_github, Shape.RUNS, job=None))
    source.client.deadline = 30
    with pytest.raises(SourceError) as raised:
        source.collect(Query("checkout", None, NOW, LOOKBACK))
    assert "answered 502" in str(raised.value)
    assert TOKEN not in str(raised.value)
    assert len(operations(fake_github, "RunJobs")) > 1  # retried before giving up
    assert len(fake_clock.sleeps()) == len(operations(fake_github, "RunJobs")) - 1


def test_a_token_without_checks_read_is_told_so(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    build(fake_github)
    limited = "ghs_CANARY_no_checks_42"
    fake_github.world.token(limited, login="deployer[bot]", can_read_checks=False)
    result = check(fake_github, config(tmp_path, workflow="deploy.yml"), Shape.RUNS, token=limited)
    assert result.exit_code == 3, result.output
    error = json_report(result.stdout)["sources"][0]["error"]
    assert error == "Resource not accessible by integration (the token needs checks: read)"
    assert limited not in result.output + str(result.stderr_bytes or b"")


def test_a_link_to_another_host_is_not_followed(fake_github: FakeGitHub) -> None:  # noqa: F811
    build(fake_github)
    evil = '<https://evil.example/steal?page=2>; rel="next"'
    fake_github.faults.add("/runs", status=200, body={"total_count": 1, "workflow_runs": []},
                           headers={"Link": evil})  # fmt: skip
    source = GitHubSource(settings(fake_github, Shape.RUNS, job=None))
    with pytest.raises(SourceError) as raised:
        source.collect(Query("checkout", None, NOW, LOOKBACK))
    assert "refusing to send the token to https://evil.example" in str(raised.value)


def _first_run(body: Any) -> Any:
    return body["workflow_runs"][0]


def _check_runs(body: Any) -> list[Any]:
    """Every check run (job) of every run a RunJobs answer holds."""
    return [c for node in body["data"]["nodes"] for c in node["checkSuite"]["checkRuns"]["nodes"]]


def _first_steps(body: Any) -> list[Any]:
    return list(_check_runs(body)[0]["steps"]["nodes"])


def _is_listing(record: RecordedRequest) -> bool:
    return record.path.endswith("/runs")


def _is_run_jobs(record: RecordedRequest) -> bool:
    return record.is_graphql and operation_name(record) == "RunJobs"


MALFORMED_RUNS = [
    # (id, which answer, how it is altered, what the source's error says)
    ("run-empty", _is_listing, lambda body: body.update(workflow_runs=[{}]),
     ["GitHub answered workflow run None with the id None"]),
    ("listing-without-runs", _is_listing, lambda body: body.pop("workflow_runs"),
     ["GitHub answered the listing of the runs of workflow deploy.yml in acme/runs without "
      "workflow_runs"]),
    ("run-created_at-garbage", _is_listing,
     lambda body: _first_run(body).update(created_at="yesterday"),
     ["GitHub answered workflow run https://", " with the created_at 'yesterday'"]),
    ("run-html_url-empty", _is_listing, lambda body: _first_run(body).update(html_url=""),
     [" without an html_url"]),
    ("run-id-string", _is_listing, lambda body: _first_run(body).update(id="7"),
     [" with the id '7'"]),
    ("jobs-nodes-short", _is_run_jobs, lambda body: body["data"].update(nodes=[]),
     ["GitHub answered the jobs of ", " workflow run(s) with the nodes []"]),
    ("jobs-checkSuite-null", _is_run_jobs,
     lambda body: body["data"]["nodes"][0].update(checkSuite=None),
     ["GitHub answered workflow run https://", " with the checkSuite None"]),
    ("job-conclusion-undocumented", _is_run_jobs,
     lambda body: [c.update(conclusion="EXPLODED") for c in _check_runs(body)],
     ["GitHub answered job '", " with the conclusion 'EXPLODED', which GitHub does not document"]),
    ("job-steps-string", _is_run_jobs,
     lambda body: [c.update(steps="Run migrations") for c in _check_runs(body)],
     ["GitHub answered job '", " with the steps 'Run migrations'"]),
    ("step-number-string", _is_run_jobs,
     lambda body: _first_steps(body)[0].update(number="1"),
     ["GitHub answered step '1' of job '", " with the number '1'"]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("applies", "alter", "said"),
    [pytest.param(*case[1:], id=case[0]) for case in MALFORMED_RUNS],
)
def test_runs_of_an_unexpected_shape_fail_the_source_not_the_process(
    fake_github: FakeGitHub,  # noqa: F811
    applies: Any,
    alter: Any,
    said: list[str],
) -> None:
    """A malformed listing of runs, or of their jobs: the source fails (exit 3) naming the
    record and the field; nothing else goes up (that would be a bug, exit 4)."""
    build(fake_github)
    mutate_answers(fake_github, applies, lambda response: alter(response.body))
    source = GitHubSource(settings(fake_github, Shape.RUNS, job=None))
    with pytest.raises(SourceError) as raised:
        source.collect(Query("checkout", None, NOW, LOOKBACK))
    for words in said:
        assert words in raised.value.problem


def test_the_commit_title_costs_the_deployments_query_nothing() -> None:
    """``commit`` is an object, not a connection: still one point and 100 nodes a page."""
    variables = {"owner": "acme", "name": "shop", "environments": None, "after": None}
    assert query_cost(queries.DEPLOYMENTS, variables) == (1, 100)
    assert "commit { messageHeadline }" in queries.DEPLOYMENTS


def test_the_default_branch_and_the_jobs_cost_little() -> None:
    """The branch adds nothing to the postmortems page; a full jobs query, annotations
    included, stays far under GitHub's 500,000-node limit at 26 points."""
    postmortems = {"owner": "acme", "name": "shop", "labels": ["postmortem"], "after": None}
    with_branch = postmortems | {
        "withDefaultBranch": True,
        "deployingOwner": "acme",
        "deployingName": "shop",
    }
    assert query_cost(queries.POSTMORTEMS, with_branch) == query_cost(
        queries.POSTMORTEMS, postmortems
    )
    # The fixes (closing pull requests and events) cost a page 50 points: 76, as
    # docs/sources/github.md says.
    assert query_cost(queries.POSTMORTEMS, postmortems)[0] == 76
    full = {"ids": ["WFR_x"] * queries.RUNS_PER_JOB_LOOKUP}
    assert query_cost(queries.RUN_JOBS, full) == (26, 76_250)
    assert MAX_NODES > 5 * 76_250
