"""One scenario, three ways: the benchmark's history through the local store, through Linear
beside local deployments, and through Linear beside GitHub deployments.

Why: issue #18's "done when" is that ``check`` gives the same findings
through the platform as through the local store, the ids and URLs aside.
The history is benchmarks/history.py's, a year of one service at a tenth of
its size so the test runs in seconds; findings are compared by the
benchmark's own normal form (benchmarks/obvious_rules.py ``key``: rule,
level, the deployment's sha and time, the link, the postmortem's and the
item's titles), which maps every id and URL away.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import json_report, loop_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.linear import HISTORY_KEY, FakeLinear, fake_linear, write_history  # noqa: F401

BENCHMARKS = Path(__file__).resolve().parents[3] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))
import history as H  # noqa: E402
from obvious_rules import key  # noqa: E402

SMALL = H.Size(
    deployments=400, failures=16, postmortems=13, items_per_postmortem=4, unrelated_issues=10
)
"""A tenth of the benchmark's year: every kind of failure, link, item state and cause."""


@pytest.fixture(scope="module")
def history() -> Any:
    return H.make_history(SMALL)


def check(config: Path, env: dict[str, str | None] | None = None) -> dict[str, Any]:
    result = run_cli(
        "check", "--config", str(config), "--service", H.SERVICE,
        "--now", H.NOW.isoformat(), "--format", "json", env=env or {},
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    assert all(source["ok"] for source in report["sources"]), report["sources"]
    return report


def normal(report: dict[str, Any]) -> list[str]:
    """The findings without ids and URLs, sorted."""
    return sorted(json.dumps(key(finding)) for finding in report["findings"])


def deployments_only(history: Any) -> Any:
    return H.History(history.size, history.deployments, [])


def linear_table(fake: FakeLinear) -> str:
    return f'\n[linear]\nteams = ["OPS"]\napi-url = "{fake.api_url}"\n'


def test_linear_beside_the_local_store_finds_what_the_local_store_alone_finds(
    history: Any,
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    expected = normal(check(H.write_local(tmp_path / "local", history)))
    write_history(fake_linear.world, history, H.NOW)
    config = H.write_local(tmp_path / "linear", deployments_only(history))
    text = config.read_text().replace('source = "local"', 'source = ["local", "linear"]')
    config.write_text(text + linear_table(fake_linear))

    report = check(config, {"LINEAR_API_KEY": HISTORY_KEY})

    assert normal(report) == expected
    rules = {finding["rule"] for finding in report["findings"]}
    assert {"unreviewed-failure", "open-action-item", "declined-action-item"} <= rules
    local, linear = report["sources"]
    assert local["coverage"]["postmortems"] == 0
    assert linear["coverage"]["postmortems"] == len(history.postmortems)
    assert linear["coverage"]["action_items"] == len(history.items)
    assert linear["coverage"]["deployments"] == 0


def test_linear_beside_github_deployments_finds_what_the_local_store_finds(
    history: Any,
    fake_linear: FakeLinear,  # noqa: F811
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    expected = normal(check(H.write_local(tmp_path / "local", history)))
    write_history(fake_linear.world, history, H.NOW)
    H.build_github(fake_github.world, deployments_only(history))
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = ["github", "linear"]\nlookback = "90d"\n'
        f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n' + linear_table(fake_linear)
    )
    env: dict[str, str | None] = {
        **fake_github.actions_env(H.GITHUB_TOKEN, "acme/shop"),
        "LINEAR_API_KEY": HISTORY_KEY,
        "GITHUB_STEP_SUMMARY": "",
        "GITHUB_OUTPUT": "",
    }

    report = check(config, env)

    assert normal(report) == expected
    github, linear = report["sources"]
    assert github["coverage"]["deployments"] > 0
    assert linear["coverage"]["postmortems"] == len(history.postmortems)


COMPARED = (
    "deployments",
    "failed_deployments",
    "change_failure_rate",
    "reviewed_failures",
    "postmortem_coverage",
    "median_hours_to_postmortem",
    "open_action_items",
    "overdue_action_items",
    "repeat_failures",
    "related_failures",
)
"""The loop measures both backends hold the data for."""


def test_the_learning_loop_report_through_linear_measures_what_the_local_store_does(
    history: Any,
    fake_linear: FakeLinear,  # noqa: F811
    tmp_path: Path,
) -> None:
    """``report`` collects through the same sources as ``check``: the year's measures through
    Linear are the local store's. Not when items were closed: the local history writes no
    closing dates (``- [x]`` only), where Linear has ``completedAt``."""

    def report(config: Path, env: dict[str, str | None]) -> list[dict[str, Any]]:
        result = run_cli(
            "report", "--config", str(config), "--service", H.SERVICE,
            "--now", H.NOW.isoformat(), "--format", "json", env=env,
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        services: list[dict[str, Any]] = loop_report(result.stdout)["services"]
        return services

    expected = report(H.write_local(tmp_path / "local", history), {})
    write_history(fake_linear.world, history, H.NOW)
    config = H.write_local(tmp_path / "linear", deployments_only(history))
    text = config.read_text().replace('source = "local"', 'source = ["local", "linear"]')
    config.write_text(text + linear_table(fake_linear))

    measured = report(config, {"LINEAR_API_KEY": HISTORY_KEY})

    for measure in COMPARED:
        assert measured[0][measure] == expected[0][measure], measure
    assert measured[0]["reviewed_failures"] > 0
