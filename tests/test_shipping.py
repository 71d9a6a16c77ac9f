"""How the gate follows a fix to the deployments: what it asks, how often, and what it concludes.

The repository here is an in-memory commit graph that answers as git
would, and counts the questions it is asked: the cost is the point. The
sources' own answers (git, GitHub, GitLab) are tested against real git and
the fakes in tests/sources/*/test_*_shipping.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from conftest import NOW, MemorySource, postmortem

from deploygate.gate import learning_report
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    Fix,
    History,
)
from deploygate.rules import Policy
from deploygate.shipping import ContainmentUnknown, Prober, first_questions, shipment, successes


@dataclass
class Line:
    """Commits ``c0000000``, ``c0000001``, ... (hex, as shas are) in one line: ``cN`` holds
    every ``cM`` with M <= N."""

    name: str = "line"
    asked: list[tuple[str, str]] = field(default_factory=list)

    def contains(self, commit: str, head: str) -> bool:
        self.asked.append((commit, head))
        if not commit.startswith("c") or not head.startswith("c"):
            raise ContainmentUnknown(f"no commit {commit} or {head}")
        return int(commit[1:]) <= int(head[1:])


@dataclass
class Batching(Line):
    batches: list[Sequence[tuple[str, str]]] = field(default_factory=list)

    def contains_all(self, pairs: Sequence[tuple[str, str]]) -> Mapping[tuple[str, str], bool]:
        self.batches.append(pairs)
        return {(commit, head): int(commit[1:]) <= int(head[1:]) for commit, head in pairs}


def deploys(*commits: int, every: timedelta = timedelta(days=1)) -> list[Deployment]:
    """Successful deployments of the commits given, oldest first, a day apart until NOW."""
    start = NOW - every * len(commits)
    return successes(
        (
            Deployment(f"d{n}", "checkout", "production", DeploymentStatus.SUCCESS,
                       start + every * n, sha=f"c{commit:07d}")
            for n, commit in enumerate(commits)
        ),
        "checkout",
        "production",
    )  # fmt: skip


ITEM = ActionItem("pm#1", "Bound the queue", ActionItemState.DONE, NOW - timedelta(days=30))


def fix(commit: str, merged_at: datetime | None = None) -> Fix:
    return Fix(ref=commit, sha=commit, merged_at=merged_at)


def test_a_fix_in_the_next_deploy_costs_two_questions() -> None:
    repository = Line()
    deployed = deploys(1, 2, 5, 6, 7, 8, 9)
    merged = deployed[1].created_at + timedelta(hours=1)  # c0000003, merged after d1
    found = shipment(
        Prober([repository]), ITEM, fix("c0000003", merged), deployed, "production", NOW
    )
    assert found.shipped_in is deployed[2]
    assert found.fix.shipped_at == deployed[2].created_at
    assert repository.asked == [("c0000003", "c0000009"), ("c0000003", "c0000005")]


def test_a_fix_that_missed_deploys_is_bisected_and_each_pair_asked_once() -> None:
    repository = Line()
    prober = Prober([repository])
    deployed = deploys(1, 2, 2, 2, 2, 2, 2, 2, 4, 5)  # an old commit went out again and again
    merged = deployed[0].created_at + timedelta(hours=1)
    found = shipment(prober, ITEM, fix("c0000003", merged), deployed, "production", NOW)
    assert found.shipped_in is deployed[8]
    assert len(repository.asked) == len(set(repository.asked)) <= 4
    asked = len(repository.asked)
    again = shipment(prober, ITEM, fix("c0000003", merged), deployed, "production", NOW)
    assert again == found
    assert len(repository.asked) == asked  # answered from the run's cache


def test_the_latest_deploy_decides_even_when_an_earlier_one_held_the_fix() -> None:
    repository = Line()
    deployed = deploys(1, 5, 2)  # c0000005 went out, then an old branch at c0000002
    found = shipment(Prober([repository]), ITEM, fix("c0000003"), deployed, "production", NOW)
    assert found.known
    assert found.shipped_in is None
    assert found.latest is deployed[-1]
    assert repository.asked == [("c0000003", "c0000002")]


def test_an_answer_nobody_can_give_is_unknown_with_the_reason() -> None:
    repository = Line()
    prober = Prober([repository])
    found = shipment(prober, ITEM, fix("e0000003"), deploys(1, 2), "production", NOW)
    assert not found.known
    assert prober.notices == {"line": ["no commit e0000003 or c0000002"]}


def test_no_question_without_a_deployment_or_a_commit() -> None:
    repository = Line()
    prober = Prober([repository])
    assert shipment(prober, ITEM, fix("c0000003"), [], "production", NOW).shipped_in is None
    unmerged = shipment(prober, ITEM, Fix(ref="PR #4"), deploys(1), "production", NOW)
    assert not unmerged.known
    assert repository.asked == []


def test_a_batch_answers_the_first_questions_in_one_round() -> None:
    repository = Batching()
    prober = Prober([repository])
    deployed = deploys(1, 2, 5, 6, 7, 8, 9)
    hour = timedelta(hours=1)
    fixes = [
        fix("c0000003", deployed[1].created_at + hour),
        fix("c0000004", deployed[1].created_at + hour),
        fix("c0000008", deployed[4].created_at + hour),
    ]
    prober.prefetch(pair for each in fixes for pair in first_questions(each, deployed, NOW))
    for each in fixes:
        shipment(prober, ITEM, each, deployed, "production", NOW)
    assert len(repository.batches) == 1
    assert repository.asked == []  # nothing left to ask one by one
    assert sorted(repository.batches[0]) == [
        ("c0000003", "c0000005"), ("c0000003", "c0000009"), ("c0000004", "c0000005"),
        ("c0000004", "c0000009"), ("c0000008", "c0000009"),
    ]  # fmt: skip


@dataclass
class Unknowing:
    """A repository that can never tell: any answer the prober gives came from elsewhere."""

    name: str = "unknowing"

    def contains(self, commit: str, head: str) -> bool:
        raise ContainmentUnknown("cannot tell")


def test_only_a_prefix_of_seven_digits_in_any_case_is_the_same_commit() -> None:
    """A first hex digit in common is not one commit; git's short names are 7+, any case."""
    full = "4f2a9c1d" + "0" * 32
    prober = Prober([Unknowing()])
    assert prober.contains(full, "4") is None
    assert prober.contains("4", full) is None
    assert prober.contains("4F2A9C1", full) is True
    assert prober.contains(full, "4f2a9c") is None


@dataclass
class Forgetful(Line):
    """A line that cannot tell about one deployment's commit, as a compare that timed out."""

    blind: str = ""

    def contains(self, commit: str, head: str) -> bool:
        if head == self.blind:
            self.asked.append((commit, head))
            raise ContainmentUnknown(f"timed out on {head}")
        return super().contains(commit, head)


def test_an_unknown_answer_in_the_bisection_is_unknown_never_a_later_deploy() -> None:
    """Read as "not contained", the unknown c0000004 would move the first deploy to c5's, later."""
    deployed = deploys(1, 2, 2, 2, 4, 5, 6)
    merged = deployed[0].created_at + timedelta(hours=1)
    prober = Prober([Forgetful(blind="c0000004")])
    found = shipment(prober, ITEM, fix("c0000003", merged), deployed, "production", NOW)
    assert not found.known
    assert found.shipped_in is None
    assert found.fix.shipped_at is None
    assert prober.notices == {"line": ["timed out on c0000004"]}


class Remembering(MemorySource):
    """A source that holds a history and a line of commits: the repository of both services."""

    def __init__(self, history: History) -> None:
        super().__init__(history)
        self.line = Line()

    def contains(self, commit: str, head: str) -> bool:
        return self.line.contains(commit, head)


def test_a_report_asks_each_pair_once_across_its_services() -> None:
    """Two services of one repository, sharing a fix and a deployed commit: one question."""
    services = ("checkout", "payments")
    deployed = tuple(
        Deployment(f"{service}-1", service, "production", DeploymentStatus.SUCCESS,
                   NOW - timedelta(days=1), sha="c0000009")
        for service in services
    )  # fmt: skip
    done = replace(ITEM, fixes=(fix("c0000003"),))
    postmortems = tuple(
        postmortem(f"pm-{service}", service=service, items=(done,)) for service in services
    )
    source = Remembering(History(deployments=deployed, postmortems=postmortems))
    learning_report([source], services, Policy(), now=NOW, period=timedelta(days=30))
    assert source.line.asked == [("c0000003", "c0000009")]


def test_a_name_that_is_no_commit_sha_is_never_asked() -> None:
    """A history line may say ``HEAD`` or ``main`` where a sha belongs; git and the APIs would
    read it as whatever it names today, so it is unknown and nobody is asked."""
    repository = Batching()
    prober = Prober([repository])
    prober.prefetch([("c0000003", "HEAD"), ("main", "c0000009")])
    assert prober.contains("c0000003", "HEAD") is None
    assert prober.contains("main", "c0000009") is None
    assert prober.contains("c0000003", "--help") is None
    assert repository.asked == []
    assert repository.batches == []
