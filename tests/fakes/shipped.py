"""One history with the five cases of "did the lesson ship", as plain data.

The local store (with a real git repository), the fake GitHub and the fake
GitLab are each filled from it, so every source must reach the same
findings. Commits are named by letter; each backend gives them its own shas.

Main line, oldest first (days before NOW): A 60, B 51, C 45 (the merge of the
fix of "Coalesce cache refills"), G 40, D 31, E 28 (the fix of "Bound the
queue"), H 16, I 6, F 2 (the fix of "Alert on queue depth", merged after the
last production deploy). D' 26 is on an old branch off D, without E.

- "Coalesce cache refills": done by a PR that has shipped (C, deployed day 44).
- "Alert on queue depth": done by a PR merged after the last deploy (F).
- The cache stampede repeats on day 30, after its fix shipped on day 44: the
  lesson did not work.
- The queue backlog repeats on day 25 (a deploy of D' from the old branch),
  before its fix E shipped on day 15.
- "Write the cache runbook": closed with no change.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from deploygate.model import DeploymentStatus
from deploygate.sources.local import HistoryStore
from fakes.github import FakeGitHub
from fakes.gitlab import FakeGitLab
from fakes.worlds import GITHUB_TOKEN, GITLAB_TOKEN, NOW


def days_ago(days: float) -> datetime:
    """A moment ``days`` before NOW, at 10:00."""
    return (NOW - timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Commit:
    name: str
    parent: str | None
    days: float
    message: str


COMMITS = (
    Commit("A", None, 60, "Initial checkout service"),
    Commit("B", "A", 51, "Cache prices for an hour"),
    Commit("C", "B", 45, "Coalesce cache refills (#11)"),
    Commit("G", "C", 40, "Queue payment callbacks"),
    Commit("D", "G", 31, "Tune the cache"),
    Commit("D'", "D", 26, "Hotfix the receipt template"),
    Commit("E", "D", 28, "Bound the payment queue (#12)"),
    Commit("H", "E", 16, "Receipts in the new template"),
    Commit("I", "H", 6, "Copy changes"),
    Commit("F", "I", 2, "Alert on queue depth (#13)"),
)
"""Parents before children; D' branches off D, so it lacks E."""


@dataclass(frozen=True)
class Deploy:
    commit: str
    days: float
    status: str
    """success or failure."""


DEPLOYS = (
    Deploy("A", 60, "success"),
    Deploy("B", 50, "failure"),
    Deploy("C", 44, "success"),
    Deploy("G", 38, "failure"),
    Deploy("D", 30, "failure"),
    Deploy("D'", 25, "failure"),
    Deploy("H", 15, "success"),
    Deploy("I", 5, "success"),
)


@dataclass(frozen=True)
class Item:
    title: str
    fix: str | None
    """The commit of the pull request that closed it (its number in the message); None: no
    change."""
    closed_days: float


@dataclass(frozen=True)
class Review:
    title: str
    reviews: str
    """The commit of the failed deployment it names."""
    days: float
    cause: str
    items: tuple[Item, ...] = field(default=())


REVIEWS = (
    Review(
        "Checkout slow under a cache stampede",
        "B",
        49,
        "cache-stampede",
        (
            Item("Coalesce cache refills", "C", 45),
            Item("Write the cache runbook", None, 47),
        ),
    ),
    Review(
        "Payment callbacks backed up",
        "G",
        37,
        "queue-backlog",
        (
            Item("Bound the payment queue", "E", 28),
            Item("Alert on queue depth", "F", 2),
        ),
    ),
    Review("The cache stampede again", "D", 29, "cache-stampede"),
    Review("Payment callbacks backed up again", "D'", 24, "queue-backlog"),
)

PULL_NUMBERS = {"C": 11, "E": 12, "F": 13}
"""The pull (or merge) request whose merge commit each fix is."""

EXPECTED_FIXES = {
    "Coalesce cache refills": 44,
    "Bound the payment queue": 15,
}
"""Fixes that have shipped, and the day (before NOW) of the deploy that first held them."""
UNSHIPPED = "Alert on queue depth"
NO_CHANGE = "Write the cache runbook"


# -- The local store: a real git repository, a recorded history, postmortem files --------


def git(root: Path, *args: str, at: datetime | None = None) -> str:
    """Run git in ``root`` with a fixed identity (and commit time ``at``); its output."""
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(root),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "ci",
        "GIT_AUTHOR_EMAIL": "ci@example.com",
        "GIT_COMMITTER_NAME": "ci",
        "GIT_COMMITTER_EMAIL": "ci@example.com",
    }
    if at is not None:
        env |= {"GIT_AUTHOR_DATE": at.isoformat(), "GIT_COMMITTER_DATE": at.isoformat()}
    done = subprocess.run(
        ["git", *args], cwd=root, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def make_repository(root: Path) -> dict[str, str]:
    """The story's commits in a new repository at ``root`` (``commit-tree``, so a branch
    can lack a fix); their shas by name."""
    git(root, "init", "-q")
    tree = git(root, "mktree")  # nothing in it: the history is what matters
    shas: dict[str, str] = {}
    for commit in COMMITS:
        parents = ["-p", shas[commit.parent]] if commit.parent else []
        shas[commit.name] = git(
            root, "commit-tree", tree, *parents, "-m", commit.message, at=days_ago(commit.days)
        )
    git(root, "update-ref", "refs/heads/main", shas["F"])
    git(root, "update-ref", "refs/heads/old", shas["D'"])
    return shas


def record_history(root: Path, shas: dict[str, str]) -> None:
    """The deployments, recorded as ``deploygate record`` does, in ``root/deployments.jsonl``."""
    store = HistoryStore(root / "deployments.jsonl")
    for deploy in DEPLOYS:
        store.record(
            service="checkout",
            environment="production",
            status=DeploymentStatus(deploy.status),
            created_at=days_ago(deploy.days),
            sha=shas[deploy.commit],
        )


def write_postmortems(root: Path, shas: dict[str, str]) -> None:
    """The postmortem files: the first names its fixes in the task list's parenthesis, the
    second in its front matter's ``[[action_items]]``."""
    for number, review in enumerate(REVIEWS):
        front = [
            'service = "checkout"',
            f"date = {days_ago(review.days).isoformat()}",
            f'deployments = ["{shas[review.reviews]}"]',
            f'causes = ["{review.cause}"]',
        ]
        body = [f"# {review.title}", "", "## Action items"]
        for item in review.items:
            closed = days_ago(item.closed_days).date().isoformat()
            if number == 1:
                fix = f'fix = "{shas[item.fix]}"\n' if item.fix else ""
                front.append(
                    f'[[action_items]]\ntitle = "{item.title}"\nstate = "done"\n'
                    f"closed = {closed}\n{fix}"
                )
            else:
                fix = f", fix: {shas[item.fix]}" if item.fix else ""
                body.append(f"- [x] {item.title} (closed: {closed}{fix})")
        text = "+++\n" + "\n".join(front) + "\n+++\n" + "\n".join(body) + "\n"
        (root / "postmortems" / f"{number}.md").write_text(text)


def local_story(root: Path) -> dict[str, str]:
    """The whole story in a project at ``root`` (its config, ``postmortems/`` and
    ``deployments.jsonl`` made already); the commits' shas by name."""
    shas = make_repository(root)
    record_history(root, shas)
    write_postmortems(root, shas)
    return shas


def add_commits(commit: Callable[..., object]) -> dict[str, str]:
    """The story's commits made with a fake's ``commit(sha, message, at=, parents=)``, each
    named by a sha of its letter; the shas by name."""
    shas = {
        each.name: hashlib.sha1(each.name.encode(), usedforsecurity=False).hexdigest()
        for each in COMMITS
    }
    for each in COMMITS:
        parents = [shas[each.parent]] if each.parent else []
        commit(shas[each.name], each.message, at=days_ago(each.days), parents=parents)
    return shas


def local_project(root: Path) -> Path:
    """A project at ``root`` with the local store's config, holding the whole story; its
    config file."""
    (root / "postmortems").mkdir(parents=True)
    (root / "deployments.jsonl").touch()
    config = root / "deploygate.toml"
    config.write_text('[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n')
    local_story(root)
    return config


# -- The fake GitHub: acme/shop's commits and deployments, acme/incidents' postmortems ---

CLOSED_BY_COMMIT = "E"
"""The fix that closed its item as a pushed commit ("Fixes #N"), not a pull request: what
the issue's ClosedEvent names as its closer."""


def github_story(fake: FakeGitHub) -> dict[str, str]:
    """The whole story in the fake GitHub; the commits' shas by name.

    Items are sub-issues of their postmortem. Each fix's item is closed by the
    merge of its pull request (``closedByPullRequestsReferences``), except
    :data:`CLOSED_BY_COMMIT`'s, closed by the commit itself.
    """
    world = fake.world
    world.clock = lambda: NOW
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop, incidents = world.repo("acme/shop"), world.repo("acme/incidents")
    shas = add_commits(shop.commit)
    for deploy in DEPLOYS:
        shop.deployment(
            sha=shas[deploy.commit],
            state="ACTIVE" if deploy.status == "success" else "FAILURE",
            created_at=days_ago(deploy.days),
        )
    for review in REVIEWS:
        postmortem = incidents.issue(
            title=review.title,
            labels=["postmortem", "service:checkout", f"cause:{review.cause}"],
            created_at=days_ago(review.days),
            state="CLOSED",
            body=f"The deploy of {shas[review.reviews]} failed.",
        )
        for item in review.items:
            issue = postmortem.add_sub_issue(
                shop.issue(title=item.title, created_at=days_ago(review.days))
            )
            if item.fix is None:
                issue.close(at=days_ago(item.closed_days))
            elif item.fix == CLOSED_BY_COMMIT:
                issue.close(at=days_ago(item.closed_days), closer=shop.commits[shas[item.fix]])
            else:
                pull = shop.pull_request(
                    number=PULL_NUMBERS[item.fix], title=item.title,
                    created_at=days_ago(item.closed_days + 1),
                )  # fmt: skip
                pull.merge(shop.commits[shas[item.fix]], closes=[issue])
    return shas


# -- The fake GitLab: group/shop's commits and deployments, group/incidents' incidents ----


def gitlab_story(fake: FakeGitLab) -> dict[str, str]:
    """The whole story in the fake GitLab; the commits' shas by name.

    Items are issues linked to their incident; each fix's item is closed by the
    merge of its merge request (``closed_by``); the runbook's by hand.
    """
    world = fake.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop, incidents = world.project("group/shop"), world.project("group/incidents")
    shas = add_commits(shop.commit)
    for deploy in DEPLOYS:
        shop.deployment(
            sha=shas[deploy.commit],
            status="success" if deploy.status == "success" else "failed",
            created_at=days_ago(deploy.days),
        )
    for review in REVIEWS:
        incident = incidents.issue(
            review.title,
            f"The deploy of {shas[review.reviews]} failed.",
            ["postmortem", "service::checkout", f"cause::{review.cause}"],
            issue_type="incident",
            created_at=days_ago(review.days),
            state="closed",
        )
        for item in review.items:
            issue = shop.issue(item.title, created_at=days_ago(review.days))
            incident.link(issue, created_at=days_ago(review.days))
            if item.fix is None:
                issue.close(at=days_ago(item.closed_days))
            else:
                request = shop.merge_request(
                    PULL_NUMBERS[item.fix], title=item.title,
                    created_at=days_ago(item.closed_days + 1),
                )  # fmt: skip
                request.merge(shop.commits[shas[item.fix]], closes=[issue])
    return shas


# -- What every source must agree on -------------------------------------------------------


def _day(instant: str | None) -> str | None:
    return instant[:10] if instant else None


def shipping_findings(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The shipping side of a JSON report, in words every source shares: each unshipped-fix
    and repeat-failure with its level, its subject (an item's title, a deployment's day),
    and for each fix whether it had shipped, when, and as of which deployment."""
    found = []
    for finding in report["findings"]:
        related = finding["message"].startswith("Related prior failure")  # GitLab's same job
        if finding["rule"] not in ("unshipped-fix", "repeat-failure") or related:
            continue
        subject = (finding["action_item"] or {}).get("title") or _day(
            finding["deployment"]["created_at"]
        )
        fixes = sorted(
            (
                shipment["shipped"],
                _day(shipment["fix"]["merged_at"]),
                _day(shipment["fix"]["shipped_at"]),
                _day((shipment["shipped_in"] or {}).get("created_at")),
                _day((shipment["latest_deployment"] or {}).get("created_at")),
            )
            for shipment in finding["fixes"]
        )
        found.append((finding["rule"], finding["level"], subject, tuple(fixes)))
    return sorted(found)


LOOP_NUMBERS = ("deployments", "failed_deployments", "reviewed_failures", "repeat_failures")
"""What a learning-loop report of the story says alike on every source (GitLab's failures
all fail in one job, so its related failures differ; the local files close items on a day,
the platforms at an instant, so the days to close differ by hours)."""


def loop_numbers(report: dict[str, Any]) -> dict[str, Any]:
    """The :data:`LOOP_NUMBERS` of the story's one service in a ``report --format json``."""
    [service] = report["services"]
    return {name: service[name] for name in LOOP_NUMBERS}
