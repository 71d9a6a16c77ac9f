"""GitHub Actions workflow runs read as deployments, for teams that record no GitHub deployments.

A service that names its deploy workflow (``[services.NAME] workflow =
"deploy.yml"``) is judged on that workflow's runs on the deploy branch. This
module is the pure half: it decides what a run (and, where needed, its jobs)
says about a deployment; ``api.py`` does the requests.

What a run's conclusion means
(https://docs.github.com/en/rest/actions/workflow-runs#list-workflow-runs-for-a-workflow):

- ``success`` is a successful deployment, ``cancelled`` a cancelled one;
- ``failure`` and ``timed_out`` are failures: the deploy was under way and did
  not finish, which is what a failed GitHub deployment status means too
  (``timed_out`` is not ``error``: nothing outside the deploy went wrong);
- ``startup_failure`` is an error: the run could not even start (a broken
  workflow file), so the version did not go out and nobody saw why in a job;
- ``skipped``, ``neutral``, ``stale`` and ``action_required`` are not
  deployments: nothing was shipped (a skipped run, an approval never given, a
  run GitHub gave up on after two weeks);
- a run that has not completed (queued, waiting, in progress) is a deployment
  in progress, as a pending GitHub deployment is.

With a ``job`` named, a run is a deployment only if that job ran, and the
job's outcome is the deployment's: a smoke test that failed after a good
deploy is not a failed deploy. The job is matched by its name, its matrix
variants (``deploy (eu)``) and the jobs of a reusable workflow it calls
(``deploy / apply``). Jobs are read only for runs that did not succeed: a
succeeded run's jobs all succeeded or were skipped by a condition. So a run
that succeeded while an ``if:`` skipped the deploy job still counts as a
successful deployment: that is the price of reading jobs for failures only.

Jobs are read as the check runs of the run's check suite (GraphQL, many runs
per request): GitHub names a job's check run as it shows the job, and
``CheckConclusionState`` spells the REST conclusions in capitals, so a
:class:`Job` says the same whichever API it came from.

A failed run's ``failure_signature`` is its failed job's name and the first
failed step's name (``deploy: Run migrations``): both are written in the
workflow file, so two runs that failed at the same step carry the same
signature. Deploy jobs fail in the same step whatever the cause, so that is
only a related prior failure; what the step said is the evidence of a
repeat: the failed job's error annotations are its ``failure_messages``
(the rules drop the runner's generic "Process completed with exit code 1").
"""

from __future__ import annotations

from collections.abc import Sequence

from deploygate.model import Deployment, DeploymentStatus
from deploygate.sources.github.records import Job, WorkflowRun

_CONCLUSIONS = {
    "success": DeploymentStatus.SUCCESS,
    "failure": DeploymentStatus.FAILURE,
    "timed_out": DeploymentStatus.FAILURE,
    "startup_failure": DeploymentStatus.ERROR,
    "cancelled": DeploymentStatus.CANCELLED,
}
"""A completed run's conclusion to our status; any other conclusion is no deployment."""

_FAILED = frozenset({"failure", "timed_out"})
"""Job conclusions that fail a deployment (a job that hit timeout-minutes says failure)."""


def needs_jobs(run: WorkflowRun, job: str | None) -> bool:
    """Whether ``run``'s jobs must be read: to find what failed, or whether the named job ran."""
    if run.status != "completed":
        return False
    if job is None:
        return run.conclusion in _FAILED
    return run.conclusion in (*_FAILED, "cancelled")


def is_deploy_job(candidate: Job, job: str) -> bool:
    """The named job, one of its matrix variants, or a job of the reusable workflow it calls."""
    name = candidate.name
    return name == job or name.startswith((f"{job} (", f"{job} / "))


def outcome(
    run: WorkflowRun, jobs: Sequence[Job] | None, job: str | None
) -> tuple[DeploymentStatus | None, Job | None]:
    """The deployment status a run stands for (None: not a deployment) and its failed job."""
    if run.status != "completed":
        return DeploymentStatus.IN_PROGRESS, None
    conclusion = run.conclusion
    if job is None or conclusion == "success":
        status = _CONCLUSIONS.get(str(conclusion))
        failed = first_failed(jobs or ()) if status is DeploymentStatus.FAILURE else None
        return status, failed
    deploying = [
        candidate
        for candidate in jobs or ()
        if is_deploy_job(candidate, job) and candidate.conclusion != "skipped"
    ]
    conclusions = [candidate.conclusion for candidate in deploying]
    failed = first_failed(deploying)
    if failed is not None:
        return DeploymentStatus.FAILURE, failed
    if "cancelled" in conclusions:
        return DeploymentStatus.CANCELLED, None
    if conclusions and all(value == "success" for value in conclusions):
        return DeploymentStatus.SUCCESS, None
    return None, None


def first_failed(jobs: Sequence[Job]) -> Job | None:
    """The first job that failed the run (its failure or timeout), None when none did."""
    return next((job for job in jobs if job.conclusion in _FAILED), None)


def failure_signature(job: Job | None) -> str | None:
    """``job: step`` for the failed job and its first failed step; None when unknown.

    A job that timed out shows the step it was running as cancelled, so that
    step is named, with "(timed out)".
    """
    if job is None:
        return None
    name = " ".join(job.name.split())
    if not name:
        return None
    timed_out = job.conclusion == "timed_out"
    step = next((s for s in job.steps if s.conclusion == "failure"), None)
    if step is None and timed_out:
        step = next((s for s in job.steps if s.conclusion == "cancelled"), None)
    step_name = " ".join(step.name.split()) if step else ""
    signature = f"{name}: {step_name}" if step_name else name
    return f"{signature} (timed out)" if timed_out else signature


def failure_messages(job: Job | None) -> tuple[str, ...]:
    """The first line of each error annotation of the failed ``job``: the error, not the
    stack trace after it, whose frames differ between runs of one failure."""
    if job is None:
        return ()
    return tuple(line for error in job.errors if (line := first_line(error)) is not None)


def first_line(message: object) -> str | None:
    """A commit message's first line, None when there is none."""
    if not isinstance(message, str):
        return None
    line = message.strip().split("\n", 1)[0].strip()
    return line or None


def deployment(
    run: WorkflowRun,
    jobs: Sequence[Job] | None,
    *,
    job: str | None,
    service: str,
    environment: str,
) -> Deployment | None:
    """The deployment ``run`` stands for, or None when it shipped nothing.

    The id is the run's web URL (what people paste into postmortems), and
    its API URL is kept too, so a postmortem that names either is linked.
    The description is the run's title only when it says more than the
    commit title (a ``run-name`` such as "Roll back to v41"): repeating the
    commit title would make unrelated failures look alike.
    """
    status, failed_job = outcome(run, jobs, job)
    if status is None:
        return None
    commit_title = first_line(run.commit_message)
    display_title = first_line(run.display_title)
    return Deployment(
        id=run.html_url,
        service=service,
        environment=environment,
        status=status,
        created_at=run.started_at,
        sha=run.head_sha or None,
        url=run.html_url,
        description=display_title if display_title != commit_title else None,
        other_urls=(run.url,) if run.url else (),
        failure_signature=failure_signature(failed_job) if status.failed else None,
        failure_messages=failure_messages(failed_job) if status.failed else (),
        commit_title=commit_title,
    )
