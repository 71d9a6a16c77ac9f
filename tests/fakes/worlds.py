"""The worlds several test modules share, built on the fakes: one place for them.

A test module that needs another's history imports it from here, never from
that module: no test module imports another. Each builder fills a fake's
world and returns the ids and numbers its tests assert on; the tokens it
registers are here too.

- ``github_year``: a year of acme/shop deployments on the fake GitHub, with
  postmortems in acme/incidents (sources/github/test_github_source.py and the CLI tests
  that run against GitHub);
- ``gitlab_year``: the same year on the fake GitLab, group/shop with
  incidents in group/incidents;
- ``github_same_step`` and ``gitlab_same_step``: failures that all fail in
  the same deploy step with a generic error, each reviewed, each for another
  cause; with ``true_repeats``, a failure whose postmortem repeats an earlier
  cause label, one that repeats an earlier specific error, and a near miss
  (test_repeat_evidence.py and the benchmark's story of repeat-failure).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from fakes.github import FakeGitHub
from fakes.gitlab import FakeGitLab

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
"""The tests' NOW (tests/conftest.py): the ``--now`` of the checks over these worlds."""
GITHUB_TOKEN = "ghs_CANARY_source_0123456789"
"""The token ``github_year`` registers (as github-actions[bot])."""
GITLAB_TOKEN = "glpat-CANARY-0123456789"
"""The token ``gitlab_year`` registers (as deploybot)."""
GITLAB_JOB_TOKEN = "glcbt-CANARY-job-0123456789"
"""A CI job token for group/shop, not registered by ``gitlab_year``: ``ci_env`` does that."""
RUN = "https://github.com/acme/shop/actions/runs/{}"
"""The run URL of a GitHub deployment's status, by run number."""


def at(days_ago: float, hour: int = 10) -> datetime:
    """A moment ``days_ago`` before NOW, at ``hour`` o'clock."""
    return (NOW - timedelta(days=days_ago)).replace(hour=hour, minute=0, second=0)


def github_year(fake: FakeGitHub) -> dict[str, int]:
    """A year of deployments of acme/shop and postmortems in acme/incidents."""
    world = fake.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop, api, incidents = (
        world.repo("acme/shop"),
        world.repo("acme/api"),
        world.repo("acme/incidents"),
    )
    ids = {}
    failures = {71: "FAILURE", 50: "ERROR", 15: "FAILURE", 1: "FAILURE", 200: "FAILURE"}
    for day in range(365, 0, -1):
        state = failures.get(day, "ACTIVE")
        deployment = shop.deployment(
            environment="production",
            state=state,
            sha=f"{day:07x}" + "a" * 33,
            created_at=at(day),
            description=f"Deploy {day}",
            log_url=RUN.format(1000 + day),
        )
        if day in failures:
            ids[f"failed-{day}"] = deployment.database_id
        if day % 7 == 0:
            shop.deployment(environment="staging", state="FAILURE", created_at=at(day, 9))
    for number in range(40):  # unrelated issues the postmortem filter must skip
        shop.issue(title=f"Feature {number}", labels=["enhancement"], created_at=at(100))

    # Postmortem 1 reviews the failure 71 days ago by its run URL.
    overdue = shop.issue(
        title="Alert on payment error budget",
        labels=["team:payments"],
        created_at=at(70),
        milestone_due_on=at(40),
    )
    done = api.issue(title="Validate config in CI", created_at=at(70), state="CLOSED")
    referenced_open = api.issue(
        title="Load test with real carts",
        created_at=at(20),
        labels=["team:checkout"],
        body="Due: 2027-01-31",
    )
    declined = incidents.issue(
        title="Rewrite the client", created_at=at(70), state="CLOSED", state_reason="NOT_PLANNED"
    )
    duplicate = shop.issue(
        title="Add an alert (again)", created_at=at(70), state="CLOSED", state_reason="DUPLICATE"
    )
    checkbox_lies = api.issue(title="Open despite the ticked box", created_at=at(10))
    pm1 = incidents.issue(
        title="Checkout 500s after payment config rollout",
        labels=["postmortem", "service:checkout"],
        created_at=at(70),
        state="CLOSED",
        body="\n".join(
            [
                f"The deploy {RUN.format(1071)} failed.",
                "## Lessons",
                "- Staging and production configs drifted.",
                "## Action items",
                f"- [ ] acme/api#{referenced_open.number}",
                f"- [x] #{declined.number}",
                f"- [ ] https://github.com/acme/shop/issues/{duplicate.number}",
                f"- [x] acme/api#{checkbox_lies.number}",
                "- [ ] acme/api#9999",
            ]
        ),
    )
    pm1.add_sub_issue(overdue)
    pm1.add_sub_issue(done)

    # Postmortem 2 has no service label (every service) and was written the day
    # after the failure 50 days ago, without naming it: a time-window link.
    pm2 = incidents.issue(
        title="Cart totals off by one cent", labels=["postmortem"], created_at=at(49, 8)
    )
    contract_test = api.issue(
        title="Contract test the provider", created_at=at(49), milestone_due_on=at(-30)
    )
    pm2.add_sub_issue(contract_test)
    # Postmortem 3 belongs to another service.
    pm3 = incidents.issue(title="Search index empty", labels=["postmortem", "service:search"],
                          created_at=at(15, 12))  # fmt: skip
    pm3.add_sub_issue(incidents.issue(title="Search only", created_at=at(15)))
    return {
        **ids,
        "overdue": overdue.number,
        "referenced_open": referenced_open.number,
        "declined": declined.number,
        "duplicate": duplicate.number,
        "checkbox_lies": checkbox_lies.number,
        "contract_test": contract_test.number,
    }


def gitlab_year(fake: FakeGitLab) -> dict[str, str]:
    """A year of deployments of group/shop, incidents in group/shop and group/incidents."""
    world = fake.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop, platform = world.project("group/shop"), world.project("group/platform")
    incidents = world.project("group/incidents")
    ids: dict[str, str] = {}
    failures = {71: "script_failure", 50: "api_failure", 15: "script_failure", 1: None, 200: None}
    for day in range(365, 0, -1):
        failed = day in failures
        deployment = shop.deployment(
            environment="production",
            status="failed" if failed else "success",
            sha=f"{day:07x}" + "b" * 33,
            created_at=at(day),
            updated_at=at(day) + timedelta(minutes=5),
            failure_reason=failures.get(day),
            job_web_url=f"{fake.url}/group/shop/-/jobs/{5000 + day}",
            pipeline_web_url=f"{fake.url}/group/shop/-/pipelines/{9000 + day}",
        )
        if failed:
            ids[f"failed-{day}"] = str(deployment.id)
        if day % 7 == 0:
            shop.deployment(environment="staging", status="failed", created_at=at(day, 9))
    for number in range(60):  # unrelated issues
        shop.issue(title=f"Feature {number}", labels=["enhancement"], created_at=at(100))

    overdue = platform.issue(
        title="Alert on payment error budget", labels=["team::payments"], created_at=at(70),
        due_date=(NOW - timedelta(days=40)).date(),
    )  # fmt: skip
    done = platform.issue(title="Validate config in CI", created_at=at(70), state="closed")
    declined = platform.issue(
        title="Rewrite the client", created_at=at(70), state="closed", labels=["wontfix"]
    )
    referenced = shop.issue(title="Load test with real carts", created_at=at(20))
    pm1 = incidents.issue(
        title="Checkout 500s after the payment config rollout",
        description="\n".join(
            [
                f"The job {fake.url}/group/shop/-/jobs/{5071} failed.",
                "## What we learned",
                "- configs drift",
                f"- [ ] group/shop#{referenced.iid}",
                "- [ ] group/shop#9999",
            ]
        ),
        labels=["postmortem", "service::checkout"],
        issue_type="incident",
        created_at=at(70),
        state="closed",
    )
    for item in (overdue, done, declined):
        pm1.link(item, link_type="relates_to")
    pm2 = incidents.issue(
        title="Cart totals off by one cent", issue_type="incident", created_at=at(49, 8)
    )
    contract = platform.issue(
        title="Contract test the provider", created_at=at(49), due_date="2027-01-31"
    )
    pm2.link(contract, link_type="blocks")
    other = incidents.issue(
        title="Search index empty", labels=["postmortem", "service::search"], created_at=at(15, 12)
    )
    other.link(platform.issue(title="Search only", created_at=at(15)))
    return ids | {
        "overdue": f"group/platform#{overdue.iid}",
        "declined": f"group/platform#{declined.iid}",
        "referenced": f"group/shop#{referenced.iid}",
        "contract": f"group/platform#{contract.iid}",
    }


SAME_STEP_CAUSES = ("config-drift", "capacity", "expired-certificate", "bad-migration",
                    "dns", "feature-flag", "dependency-outage", "quota")  # fmt: skip
"""The cause of each generic failure of the same-step worlds, one a failure, none shared."""
SAME_STEP_DAYS = (80, 70, 60, 50, 40, 30, 25, 20)
"""When each of them failed, in days before NOW: all inside the 90-day lookback."""
SPECIFIC_ERROR = 'Error: relation "orders" is locked by migration {}'
"""An error that names the failure: the same once its number is stripped."""
GENERIC_RUNNER_ERROR = "Process completed with exit code 1."


def _same_step_failures(true_repeats: bool) -> list[tuple[str, float, str | None, str | None]]:
    """(name, days ago, cause label of its postmortem or None, specific error or None)."""
    failures: list[tuple[str, float, str | None, str | None]] = [
        (f"generic-{n}", day, cause, None)
        for n, (day, cause) in enumerate(zip(SAME_STEP_DAYS, SAME_STEP_CAUSES, strict=True))
    ]
    if true_repeats:
        failures += [
            ("specific-earlier", 85, "migrations", SPECIFIC_ERROR.format("0031")),
            # Its postmortem names an earlier cause again: what people said.
            ("cause-repeat", 15, SAME_STEP_CAUSES[0], None),
            # It says what the reviewed failure 85 days ago said.
            ("error-repeat", 10, None, SPECIFIC_ERROR.format("0057")),
            # The same step, another specific error: related at most.
            ("near-miss", 6, None, "Error: disk quota exceeded on /var/lib/postgresql"),
        ]
    return sorted(failures, key=lambda failure: -failure[1])


def github_same_step(fake: FakeGitHub, *, true_repeats: bool = False) -> dict[str, str]:
    """acme/shop deployment records whose log URLs are runs that failed at the step "Deploy".

    Every failed run's deploy job says only the runner's "Process completed
    with exit code 1" and its status "Deployment failed", unless it has a
    specific error; a failure with a cause gets a postmortem in acme/incidents
    the day after, naming its run URL and labelled with that cause. Returns
    the deployment id of each failure by name.
    """
    world = fake.world
    world.clock = lambda: NOW
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop, incidents = world.repo("acme/shop"), world.repo("acme/incidents")
    ids = {}
    for n, (name, days_ago, cause, error) in enumerate(_same_step_failures(true_repeats)):
        run = shop.workflow_run(head_sha=f"{n:04x}" + "5a" * 18, conclusion="failure",
                                created_at=at(days_ago))  # fmt: skip
        run.job("test")
        errors = [error] if error else []
        run.job(
            "deploy",
            "failure",
            steps=[("Set up job", "success"), ("Deploy", "failure")],
            annotations=[("FAILURE", message) for message in (*errors, GENERIC_RUNNER_ERROR)],
        )
        run_url = f"https://{world.web_host}/acme/shop/actions/runs/{run.id}"
        deployment = shop.deployment(
            state="FAILURE",
            sha=run.head_sha,
            created_at=at(days_ago),
            status_description="Deployment failed",
            log_url=run_url,
        )
        ids[name] = str(deployment.database_id)
        if cause is not None:
            incidents.issue(
                title=f"Checkout deploy failed: {cause}",
                labels=["postmortem", "service:checkout", f"cause:{cause}"],
                created_at=at(days_ago - 1),
                state="CLOSED",
                body=f"The deploy {run_url} failed.",
            )
    return ids


def gitlab_same_step(fake: FakeGitLab, *, true_repeats: bool = False) -> dict[str, str]:
    """group/shop deployments whose job ``deploy`` failed, all with ``script_failure``.

    A failure with a specific error fails with ``runner_system_failure``
    instead (the near miss with ``missing_dependency_failure``); a failure
    with a cause gets an incident in group/incidents the day after, naming
    its job URL and labelled with that cause. Returns the deployment id of
    each failure by name.
    """
    world = fake.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop, incidents = world.project("group/shop"), world.project("group/incidents")
    reasons = {"specific-earlier": "runner_system_failure", "error-repeat": "runner_system_failure",
               "near-miss": "missing_dependency_failure"}  # fmt: skip
    ids = {}
    for n, (name, days_ago, cause, _error) in enumerate(_same_step_failures(true_repeats)):
        job_url = f"{fake.url}/group/shop/-/jobs/{7000 + n}"
        deployment = shop.deployment(
            status="failed",
            sha=f"{n:04x}" + "5b" * 18,
            created_at=at(days_ago),
            failure_reason=reasons.get(name, "script_failure"),
            job_web_url=job_url,
            pipeline_web_url=f"{fake.url}/group/shop/-/pipelines/{8000 + n}",
        )
        ids[name] = str(deployment.id)
        if cause is not None:
            incidents.issue(
                f"Checkout deploy failed: {cause}",
                f"The job {job_url} failed.",
                ["postmortem", "service::checkout", f"cause::{cause}"],
                issue_type="incident",
                created_at=at(days_ago - 1),
                state="closed",
            )
    return ids
