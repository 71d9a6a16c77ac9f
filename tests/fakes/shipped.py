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

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from fakes.worlds import NOW


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
