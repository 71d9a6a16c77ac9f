"""Rollbacks as failures: seeded rollbacks are found with their evidence, near misses are not.

Pure tests of :func:`deploygate.rollbacks.mark_rollbacks`, then the whole
path through the local store and the CLI, where ``deploygate record`` writes
an ordinary successful history and the check finds the rollback in it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import NOW, ago, json_report

from deploygate.model import Deployment, DeploymentStatus
from deploygate.rollbacks import mark_rollbacks

V1, V2, V3 = "1" * 40, "2" * 40, "3" * 40
WINDOW = timedelta(hours=24)


def ok(id: str, sha: str | None, at_hours_ago: float, **fields: object) -> Deployment:
    deployment = Deployment(
        id=id,
        service="checkout",
        environment="production",
        status=DeploymentStatus.SUCCESS,
        created_at=ago(hours=at_hours_ago),
        sha=sha,
    )
    return replace(deployment, **fields)  # type: ignore[arg-type]


def rolled_back(deployments: list[Deployment], window: timedelta | None = WINDOW) -> list[str]:
    return [
        deployment.id
        for deployment in mark_rollbacks(deployments, window)
        if deployment.status is DeploymentStatus.ROLLED_BACK
    ]


def test_an_older_version_soon_after_rolls_the_new_one_back() -> None:
    history = [ok("a", V1, 50), ok("b", V2, 10), ok("c", V1, 8)]
    [marked] = [d for d in mark_rollbacks(history, WINDOW) if d.status.failed]
    assert marked.id == "b"
    assert marked.rollback == f"deployment c shipped {V1[:7]}, a version live before it, 2h later"


def test_order_of_the_input_is_kept_and_only_the_rolled_back_one_changes() -> None:
    history = [ok("c", V1, 8), ok("a", V1, 50), ok("b", V2, 10)]
    marked = mark_rollbacks(history, WINDOW)
    assert [d.id for d in marked] == ["c", "a", "b"]
    assert [d.status for d in marked] == [
        DeploymentStatus.SUCCESS,
        DeploymentStatus.SUCCESS,
        DeploymentStatus.ROLLED_BACK,
    ]


@pytest.mark.parametrize(
    ("history", "why"),
    [
        ([ok("a", V1, 50), ok("b", V2, 10), ok("c", V2, 8)], "a redeploy of the same sha"),
        ([ok("a", V1, 80), ok("b", V2, 50), ok("c", V1, 10)], "the older version came after 40h"),
        ([ok("a", V1, 50), ok("b", V2, 10), ok("c", V3, 8)], "a newer version: rolled forward"),
        (
            [ok("a", V1, 50), ok("b", V2, 10), ok("c", V1, 8, environment="staging")],
            "the older version went to another environment",
        ),
        (
            [ok("a", V1, 50), ok("b", V2, 10), ok("c", V1, 8, service="cart")],
            "the older version is another service's",
        ),
        ([ok("a", V1, 50), ok("b", None, 10), ok("c", V1, 8)], "no sha to compare"),
        ([ok("b", V2, 10), ok("c", V1, 8)], "the sha was never live here before"),
    ],
)
def test_near_misses_are_not_rollbacks(history: list[Deployment], why: str) -> None:
    assert rolled_back(history) == [], why


L1, L2 = "abcdef01" * 5, "fedcba98" * 5


@pytest.mark.parametrize(
    ("first", "again", "why"),
    [
        (V1, V1[:7], "the 7-character prefix of the version live before"),
        (V1[:7], V1, "the full sha of a version first recorded by its prefix"),
        (V1, V1[:12], "a longer prefix"),
        (L1, L1.upper(), "the same sha in capitals"),
        (L1.upper()[:9], L1, "a capitalised prefix"),
    ],
)
def test_an_older_version_named_by_a_prefix_or_in_capitals_is_the_same_version(
    first: str, again: str, why: str
) -> None:
    history = [ok("a", first, 50), ok("b", V2, 10), ok("c", again, 8)]
    assert rolled_back(history) == ["b"], why


@pytest.mark.parametrize(
    ("history", "why"),
    [
        (
            [ok("a", V1, 50), ok("b", V2, 10), ok("c", "1111112", 8)],
            "7 hex characters that are not a prefix of the version live before",
        ),
        ([ok("a", V1, 50), ok("b", V2, 10), ok("c", V1[:6], 8)], "a prefix shorter than 7"),
        (
            [ok("a", V1, 50), ok("b", V2, 10), ok("c", "1" * 39 + "2", 8)],
            "another full sha that shares its first 7 digits with the version live before",
        ),
        (
            [ok("a", V1, 50), ok("a2", "1" * 39 + "2", 40), ok("b", V2, 10), ok("c", V1[:7], 8)],
            "a prefix of two versions live before: ambiguous, as git says",
        ),
        (
            [
                ok("a", V1, 50),
                ok("b", L2, 10),
                ok("c", L2[:7].upper(), 8, description='Revert "b"'),
            ],
            "the version just deployed again, by prefix and in capitals, even when it says revert",
        ),
    ],
)
def test_near_misses_of_the_same_version_are_not_rollbacks(
    history: list[Deployment], why: str
) -> None:
    assert rolled_back(history) == [], why


def test_going_forward_again_after_a_rollback_does_not_fail_the_rollback() -> None:
    # v2 went out, v1 came back, then v2 again once the cause was fixed elsewhere.
    history = [ok("a", V1, 60), ok("b", V2, 30), ok("c", V1, 28), ok("d", V2, 20)]
    assert rolled_back(history) == ["b"]


def test_a_failed_deployment_in_between_does_not_hide_the_rollback() -> None:
    history = [
        ok("a", V1, 50),
        ok("b", V2, 10),
        ok("x", V3, 9, status=DeploymentStatus.FAILURE),
        ok("c", V1, 8),
    ]
    assert rolled_back(history) == ["b"]


@pytest.mark.parametrize(
    "fields",
    [
        {"commit_title": 'Revert "Cache prices in Redis"'},
        {"description": "Rollback after the 5xx spike"},
        {"description": "rolling back checkout"},
        {"commit_title": "reverts #4312"},
        {"commit_title": 'Revert "Cache prices in Redis" (#4313)'},
        {"commit_title": "revert(cart): drop the price cache"},
        {"description": "Rollback to v41"},
        {"description": "Roll back checkout to v41"},
        {"description": "rollback: the 5xx spike"},
        {"description": "Rolled back to 1111111\n\nThe cache misbehaved."},
        {"description": "[checkout] Rollback"},
        {"commit_title": "Cache prices", "description": "Reverting the price cache"},
    ],
)
def test_a_deployment_that_says_revert_or_rollback_marks_the_one_before(
    fields: dict[str, str],
) -> None:
    history = [ok("a", V1, 50), ok("b", V2, 10), ok("c", V3, 9, **fields)]
    [marked] = [d for d in mark_rollbacks(history, WINDOW) if d.status.failed]
    assert marked.id == "b"
    assert marked.rollback is not None
    assert "deployment c 1h later says" in marked.rollback


@pytest.mark.parametrize(
    "fields",
    [
        {"commit_title": "Add a revertible migration"},
        {"description": "Deploy reverter service"},
        {"commit_title": "Unroll the loop in back-office"},
        {"description": "Add rollback button to UI"},
        {"description": "Roll forward; revert not needed"},
        {"description": "Rollback retry"},
        {"commit_title": "Fix the rollback script"},
        {"commit_title": "Rollbacks: retry on timeout"},
        {"commit_title": "Rollback-safe migrations"},
        {"description": "Deploy checkout\n\nRevert if the 5xx rate climbs."},
    ],
)
def test_a_mention_of_revert_or_rollback_that_does_not_say_one_does_not_count(
    fields: dict[str, str],
) -> None:
    history = [ok("a", V1, 50), ok("b", V2, 10), ok("c", V3, 9, **fields)]
    assert rolled_back(history) == []


def test_a_revert_after_the_window_does_not_count() -> None:
    history = [ok("b", V2, 40), ok("c", V3, 9, commit_title='Revert "b"')]
    assert rolled_back(history) == []


def test_detection_off_changes_nothing() -> None:
    history = [ok("a", V1, 50), ok("b", V2, 10), ok("c", V1, 8)]
    assert mark_rollbacks(history, None) == tuple(history)


def _deploygate(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploygate", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "deploygate.toml").write_text('source = "local"\n', encoding="utf-8")
    for sha, hours in ((V1, 50), (V2, 30), (V1, 28)):
        result = _deploygate(
            tmp_path, "record", "--service", "checkout", "--environment", "production",
            "--status", "success", "--sha", sha,
            "--time", (NOW - timedelta(hours=hours)).isoformat(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    return tmp_path


def test_a_recorded_rollback_is_an_unreviewed_failure_with_its_evidence(project: Path) -> None:
    result = _deploygate(
        project, "check", "--service", "checkout", "--format", "json",
        "--now", (NOW + timedelta(days=4)).isoformat(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr  # a warning: exit 0
    document = json_report(result.stdout)
    [finding] = document["findings"]
    assert finding["rule"] == "unreviewed-failure"
    assert finding["deployment"]["id"] == "checkout-2"
    assert finding["deployment"]["status"] == "rolled-back"
    assert f"rolled back: deployment checkout-3 shipped {V1[:7]}" in finding["message"]
    assert finding["deployment"]["rollback"].startswith("deployment checkout-3 shipped")
    assert document["summary"]["failed_deployments"] == 1


def test_a_recorded_prefix_of_an_older_sha_is_a_rollback(tmp_path: Path) -> None:
    """``deploygate record --sha`` takes what a person types: often the short sha."""
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "deploygate.toml").write_text('source = "local"\n', encoding="utf-8")
    for sha, hours in ((L1, 50), (L2, 30), (L1[:7].upper(), 28)):
        result = _deploygate(
            tmp_path, "record", "--service", "checkout", "--environment", "production",
            "--status", "success", "--sha", sha,
            "--time", (NOW - timedelta(hours=hours)).isoformat(),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    result = _deploygate(
        tmp_path, "check", "--service", "checkout", "--format", "json",
        "--now", (NOW + timedelta(days=4)).isoformat(),
    )  # fmt: skip
    [finding] = json_report(result.stdout)["findings"]
    assert finding["deployment"]["id"] == "checkout-2"
    assert finding["deployment"]["rollback"].startswith("deployment checkout-3 shipped ABCDEF0")


def test_rollbacks_detect_false_in_the_config_turns_it_off(project: Path) -> None:
    (project / "deploygate.toml").write_text(
        'source = "local"\n[rollbacks]\ndetect = false\n', encoding="utf-8"
    )
    result = _deploygate(
        project, "check", "--service", "checkout", "--format", "json",
        "--now", (NOW + timedelta(days=4)).isoformat(),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []


def test_a_shorter_window_in_the_config_misses_a_slower_rollback(project: Path) -> None:
    (project / "deploygate.toml").write_text(
        'source = "local"\n[rollbacks]\nwindow = "1h"\n', encoding="utf-8"
    )
    result = _deploygate(
        project, "check", "--service", "checkout", "--format", "json",
        "--now", (NOW + timedelta(days=4)).isoformat(),
    )  # fmt: skip
    assert json.loads(result.stdout)["findings"] == []
