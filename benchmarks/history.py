"""One history, written into the fake GitHub, the fake GitLab and the local store alike.

The history is plain data (:func:`make_history`), so the three backends hold
the same deployments, failures, postmortems and action items, and every
approach must reach the same findings. Ids differ per backend (GitHub's
databaseId, GitLab's id, the local ``checkout-N``), so findings are compared
on what does not: the deployment's sha and time, the action item's title.

Shape of the default history (the issue's numbers):

* one service, ``checkout``, deploying to ``production`` for 365 days:
  3,000 deployments, evenly spaced (one every 2 h 55 min), of which 120
  failed (every 25th; one in five of them ``error``, the rest ``failure``);
* 100 postmortems, one for each failure except every sixth (20 failures,
  the most recent one among them, have none): 30 written 20 h after their
  failure without naming it (linked by time window), 40 naming its sha,
  30 naming its CI run / job URL (linked by reference);
* 4 action items each (400): done, open with a due date 45 days after the
  postmortem, declined or done, and open without a due date or done; 350
  are sub-issues / linked issues, 50 are only in the postmortem's task list;
  they live in two repositories (``shop`` and ``platform``); postmortems in
  a third (``incidents``);
* 5,000 unrelated issues, half in ``shop`` and half in ``incidents`` (where
  the postmortem label must filter them out);
* true repeats, seeded: every third postmortem of a failure inside the
  90-day window carries a cause label, two ``payment-config``, then two
  ``capacity``, and so on, so each of them after the first of its cause
  repeats it
  (:func:`seeded_repeats`). Every failed GitLab deployment fails in the job
  ``deploy`` with the generic ``script_failure``: related, never a repeat.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

UTC = timezone.utc
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SERVICE = "checkout"
ENVIRONMENT = "production"
GITHUB_TOKEN = "ghs_benchmark_token_0123456789"
GITLAB_TOKEN = "glpat-benchmark-0123456789"
LOOKBACK = timedelta(days=90)
TEAMS = ("payments", "checkout", "platform", "search")
LESSONS = (
    "Alert on the payment error budget burn rate",
    "Validate the payment config in CI",
    "Rewrite the payment client",
    "Contract test against the provider sandbox",
)


CAUSES = ("payment-config", "capacity")
"""The cause labels of the seeded true repeats, given in turn."""


@dataclass(frozen=True)
class Size:
    deployments: int = 3000
    failures: int = 120
    postmortems: int = 100
    items_per_postmortem: int = 4
    unrelated_issues: int = 5000
    days: int = 365


@dataclass
class Deployment:
    index: int
    created_at: datetime
    sha: str
    status: str  # success, failure, error
    github_url: str  # the Actions run (GitHub status log_url; the local record's url)
    gitlab_job: int  # the GitLab job id (its web_url is gitlab_url)

    @property
    def failed(self) -> bool:
        return self.status != "success"

    @property
    def gitlab_url(self) -> str:
        return f"https://gitlab.example.com/group/shop/-/jobs/{self.gitlab_job}"


@dataclass
class Item:
    title: str
    state: str  # open, done, declined
    due: date | None
    team: str
    via: str  # "sub": a sub-issue / linked issue; "ref": only in the task list
    repo: str  # "shop" or "platform"
    variant: int  # picks between equivalent spellings (milestone or "Due:" line...)


@dataclass
class Postmortem:
    number: int
    title: str
    created_at: datetime
    failure: Deployment
    link: str  # "time-window", "sha" or "url"
    open: bool
    items: list[Item] = field(default_factory=list)
    cause: str | None = None
    """Its cause label, for the seeded true repeats."""

    def reference(self, backend: str) -> str:
        """The sentence naming the failure, as each backend's postmortem would say it."""
        if self.link == "sha":
            return f"The deploy of {self.failure.sha[:12]} failed in production."
        if self.link == "url":
            url = self.failure.gitlab_url if backend == "gitlab" else self.failure.github_url
            return f"The run {url} failed in production."
        return "A bad release reached production and was rolled back."


@dataclass
class History:
    size: Size
    deployments: list[Deployment]
    postmortems: list[Postmortem]

    @property
    def failures(self) -> list[Deployment]:
        return [d for d in self.deployments if d.failed]

    def in_window(self, now: datetime = NOW, lookback: timedelta = LOOKBACK) -> list[Deployment]:
        return [d for d in self.deployments if now - lookback <= d.created_at <= now]

    @property
    def items(self) -> list[Item]:
        return [item for pm in self.postmortems for item in pm.items]


def _spread(count: int, chosen: int) -> set[int]:
    """``chosen`` indices out of ``count``, evenly spaced, always including the last."""
    return {i for i in range(count) if (i + 1) * chosen // count > i * chosen // count}


def make_history(size: Size = Size(), now: datetime = NOW) -> History:
    span = timedelta(days=size.days)
    step = span / size.deployments
    start = now - span
    failed_indices = _spread(size.deployments, size.failures)
    deployments: list[Deployment] = []
    failure_number = 0
    for k in range(size.deployments):
        created = (start + step * (k + 0.5)).replace(microsecond=0)
        status = "success"
        if k in failed_indices:
            status = "error" if failure_number % 5 == 4 else "failure"
            failure_number += 1
        deployments.append(
            Deployment(
                index=k,
                created_at=created,
                sha=hashlib.sha1(
                    f"checkout deploy {k}".encode(), usedforsecurity=False
                ).hexdigest(),
                status=status,
                github_url=f"https://github.com/acme/shop/actions/runs/{7_000_000 + k}",
                gitlab_job=5_000_000 + k,
            )
        )
    failures = [d for d in deployments if d.failed]
    unreviewed = _spread(len(failures), len(failures) - size.postmortems)
    postmortems: list[Postmortem] = []
    for i, failure in enumerate(failures):
        if i in unreviewed:
            continue
        n = len(postmortems)
        link = "time-window" if n % 10 < 3 else ("sha" if n % 10 < 7 else "url")
        created = failure.created_at + timedelta(hours=20 if link == "time-window" else 30)
        created = min(created, now - timedelta(hours=1))  # only dense scale histories need it
        pm = Postmortem(
            number=n,
            title=f"Checkout incident {n + 1:04d}: {LESSONS[n % 4].lower()} was missing",
            created_at=created,
            failure=failure,
            link=link,
            open=n % 7 == 0,
        )
        in_window = failure.created_at >= now - LOOKBACK
        labelled = sum(1 for earlier in postmortems if earlier.cause)
        if in_window and n % 3 == 0:
            pm.cause = CAUSES[labelled // 2 % len(CAUSES)]  # two in a row: one repeat
        for j in range(size.items_per_postmortem):
            kind = j % 4
            state, due = "done", None
            if kind == 1:
                state, due = "open", (created + timedelta(days=45)).date()
            elif kind == 2 and n % 4 == 0:
                state = "declined"
            elif kind == 3 and n % 3 == 0:
                state = "open"
            pm.items.append(
                Item(
                    title=f"Incident {n + 1:04d} lesson {j + 1}: {LESSONS[kind]}",
                    state=state,
                    due=due,
                    team=TEAMS[kind],
                    via="ref" if kind == 3 and n % 2 == 0 else "sub",
                    repo="shop" if j % 2 == 0 else "platform",
                    variant=n,
                )
            )
        postmortems.append(pm)
    return History(size, deployments, postmortems)


def seeded_repeats(history: History, now: datetime = NOW, lookback: timedelta = LOOKBACK) -> int:
    """Failures in the window whose postmortem shares its cause label with the postmortem of
    an earlier failure, written before them: the true repeats the checks must find."""
    labelled = [pm for pm in history.postmortems if pm.cause]
    return sum(
        1
        for pm in labelled
        if now - lookback <= pm.failure.created_at <= now
        and any(
            earlier.cause == pm.cause
            and earlier.failure.created_at < pm.failure.created_at
            and earlier.created_at <= pm.failure.created_at
            for earlier in labelled
        )
    )


# -- GitHub ---------------------------------------------------------------------


def build_github(world: Any, history: History) -> dict[str, int]:
    """Write ``history`` into a GitHubWorld: acme/shop deploys, acme/incidents has postmortems."""
    world.token(GITHUB_TOKEN, login="github-actions[bot]", rate_limit=100_000_000)
    shop, platform, incidents = (
        world.repo("acme/shop"),
        world.repo("acme/platform"),
        world.repo("acme/incidents"),
    )
    repos = {"shop": shop, "platform": platform}
    last_success = max(d.index for d in history.deployments if not d.failed)
    for d in history.deployments:
        state = {"failure": "FAILURE", "error": "ERROR"}.get(d.status)
        if state is None:
            state = "ACTIVE" if d.index == last_success else "INACTIVE"
        shop.deployment(
            environment=ENVIRONMENT,
            state=state,
            sha=d.sha,
            created_at=d.created_at,
            description=f"Checkout build {d.index}",
            log_url=d.github_url,
        )
    _unrelated(history, lambda i, **kw: (shop if i % 2 == 0 else incidents).issue(**kw), "github")
    for pm in history.postmortems:
        subs, refs = [], []
        for item in pm.items:
            repo = repos[item.repo]
            body = "What to do, and why."
            due_on = None
            if item.due is not None:
                if item.variant % 2 == 0:
                    due_on = datetime.combine(item.due, datetime.min.time(), UTC) + timedelta(
                        hours=7
                    )
                else:
                    body += f"\n\nDue: {item.due.isoformat()}"
            state, reason = "OPEN", None
            if item.state == "done":
                state, reason = "CLOSED", "COMPLETED"
            elif item.state == "declined":
                state, reason = "CLOSED", "DUPLICATE" if item.variant % 8 == 0 else "NOT_PLANNED"
            issue = repo.issue(
                title=item.title,
                body=body,
                labels=[f"team:{item.team}"],
                state=state,
                state_reason=reason,
                created_at=pm.created_at,
                closed_at=min(pm.created_at + timedelta(days=10), NOW)
                if state == "CLOSED"
                else None,
                milestone_due_on=due_on,
            )
            (subs if item.via == "sub" else refs).append((item, issue))
        lines = [
            pm.reference("github"),
            "",
            "## What we learned",
            f"- {LESSONS[pm.number % 4]} was missing.",
            "",
            "## Action items",
            *(
                f"- [{'x' if item.state != 'open' else ' '}] {issue.repo.full_name}#{issue.number}"
                for item, issue in refs
            ),
        ]
        parent = incidents.issue(
            title=pm.title,
            body="\n".join(lines),
            labels=[
                "postmortem",
                f"service:{SERVICE}",
                *([f"cause:{pm.cause}"] if pm.cause else []),
            ],
            state="OPEN" if pm.open else "CLOSED",
            created_at=pm.created_at,
            closed_at=None if pm.open else min(pm.created_at + timedelta(days=5), NOW),
        )
        for _item, issue in subs:
            parent.add_sub_issue(issue)
    return {"postmortems": len(history.postmortems)}


def _unrelated(history: History, make: Any, backend: str) -> None:
    count = history.size.unrelated_issues
    start = NOW - timedelta(days=history.size.days)
    for i in range(count):
        created = (start + timedelta(days=history.size.days) * (i + 0.5) / count).replace(
            microsecond=0
        )
        label = "enhancement" if i % 3 else "bug"
        if backend == "github":
            closed = i % 4 == 0
            make(
                i,
                title=f"Unrelated request {i + 1}",
                body="Something users asked for.",
                labels=[label],
                state="CLOSED" if closed else "OPEN",
                created_at=created,
                closed_at=created + timedelta(days=1) if closed else None,
            )
        else:
            closed = i % 4 == 0
            make(
                i,
                title=f"Unrelated request {i + 1}",
                description="Something users asked for.",
                labels=[label],
                state="closed" if closed else "opened",
                created_at=created,
                closed_at=created + timedelta(days=1) if closed else None,
            )


# -- GitLab ---------------------------------------------------------------------


def build_gitlab(world: Any, history: History) -> None:
    """Write ``history`` into a GitLabWorld: group/shop deploys, group/incidents has incidents."""
    world.token(GITLAB_TOKEN, username="deploybot")
    shop, platform = world.project("group/shop"), world.project("group/platform")
    incidents = world.project("group/incidents")
    projects = {"shop": shop, "platform": platform}
    for d in history.deployments:
        add_gitlab_deployment(shop, d)
    _unrelated(
        history,
        lambda i, title, **kw: (shop if i % 2 == 0 else incidents).issue(title, **kw),
        "gitlab",
    )
    for pm in history.postmortems:
        subs, refs = [], []
        for item in pm.items:
            project = projects[item.repo]
            labels = [f"team::{item.team}"]
            if item.state == "declined":
                labels.append("wontfix" if item.variant % 8 else "duplicate")
            closed = item.state != "open"
            issue = project.issue(
                item.title,
                "What to do, and why.",
                labels,
                state="closed" if closed else "opened",
                created_at=pm.created_at,
                closed_at=min(pm.created_at + timedelta(days=10), NOW) if closed else None,
                due_date=item.due,
            )
            (subs if item.via == "sub" else refs).append((item, issue))
        lines = [
            pm.reference("gitlab"),
            "",
            "## What we learned",
            f"- {LESSONS[pm.number % 4]} was missing.",
            "",
            "## Action items",
            *(
                f"- [{'x' if item.state != 'open' else ' '}] {issue.reference}"
                for item, issue in refs
            ),
        ]
        parent = incidents.issue(
            pm.title,
            "\n".join(lines),
            ["postmortem", f"service::{SERVICE}", *([f"cause::{pm.cause}"] if pm.cause else [])],
            issue_type="incident",
            state="opened" if pm.open else "closed",
            created_at=pm.created_at,
            closed_at=None if pm.open else min(pm.created_at + timedelta(days=5), NOW),
        )
        for _item, issue in subs:
            parent.link(issue, link_type="relates_to", created_at=pm.created_at)


def add_gitlab_deployment(project: Any, d: Deployment) -> None:
    project.deployment(
        environment=ENVIRONMENT,
        status="failed" if d.failed else "success",
        sha=d.sha,
        created_at=d.created_at,
        updated_at=d.created_at + timedelta(minutes=5),
        failure_reason="script_failure" if d.failed else None,
        job_web_url=d.gitlab_url,
        pipeline_web_url=f"https://gitlab.example.com/group/shop/-/pipelines/{900_000 + d.index}",
    )


# -- local store ------------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_local(root: Path, history: History, *, lookback: str = "90d") -> Path:
    """deploygate.toml, deployments.jsonl and one Markdown file per postmortem; the config path."""
    root.mkdir(parents=True, exist_ok=True)
    config = root / "deploygate.toml"
    config.write_text(
        f'source = "local"\nlookback = "{lookback}"\n\n'
        '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n\n'
        f'[services.{SERVICE}]\nenvironments = ["{ENVIRONMENT}"]\n',
        "utf-8",
    )
    with (root / "deployments.jsonl").open("w", encoding="utf-8") as out:
        for d in history.deployments:
            record = {
                "id": f"{SERVICE}-{d.index + 1}",
                "service": SERVICE,
                "environment": ENVIRONMENT,
                "status": d.status,
                "sha": d.sha,
                "url": d.github_url,
                "description": f"Checkout build {d.index}",
                "created_at": _iso(d.created_at),
            }
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    folder = root / "postmortems"
    folder.mkdir(exist_ok=True)
    for pm in history.postmortems:
        tasks = []
        for item in pm.items:
            attributes = []
            if item.due is not None:
                attributes.append(f"due: {item.due.isoformat()}")
            attributes.append(f"team: {item.team}")
            if item.state == "declined":
                attributes.append("reason: not planned")
            mark = {"open": " ", "done": "x", "declined": "-"}[item.state]
            tasks.append(f"- [{mark}] {item.title} ({', '.join(attributes)})")
        text = "\n".join(
            [
                "+++",
                f'service = "{SERVICE}"',
                f"date = {_iso(pm.created_at)}",
                f'status = "{"open" if pm.open else "closed"}"',
                *([f'causes = ["{pm.cause}"]'] if pm.cause else []),
                "+++",
                f"# {pm.title}",
                "",
                pm.reference("local"),
                "",
                "## What we learned",
                f"- {LESSONS[pm.number % 4]} was missing.",
                "",
                "## Action items",
                *tasks,
                "",
            ]
        )
        name = f"{pm.created_at:%Y-%m-%d}-incident-{pm.number + 1:04d}.md"
        (folder / name).write_text(text, "utf-8")
    return config
