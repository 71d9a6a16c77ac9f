"""GitHub Enterprise Server as it is deployed: an older schema is a fallback, never a failure.

An older GHES has no ``Issue.subIssues``, no ``subIssuesSummary`` and no
``enableDuplicate`` argument on ``stateReason``, and refuses a query that names
any of them. The fake serves such a schema (``older_schema``: the older
schema.json of @octokit/graphql-schema); deploygate must learn once what the
server lacks, read on without it, and say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import json_report, run_cli
from fakes.github import FakeGitHub, GitHubWorld
from fakes.worlds import GITHUB_TOKEN as TOKEN
from fakes.worlds import NOW
from fakes.worlds import github_year as build_year

NO_SUB_ISSUES = (
    "this GitHub has no sub-issues (Issue.subIssues): action items are read from the "
    "postmortems' task lists only"
)
NO_DUPLICATES = (
    "this GitHub does not tell a duplicate from not planned (stateReason(enableDuplicate:)): "
    "an issue closed as a duplicate reads as not planned, and is declined all the same"
)


def check(fake: FakeGitHub, tmp_path: Path) -> dict[str, Any]:
    """The JSON report of checkout on acme/shop, once the source was read without failing."""
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "github"\nlookback = "90d"\n'
        '[github]\npostmortem-repository = "acme/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    env = fake.actions_env(TOKEN, "acme/shop") | {"GITHUB_STEP_SUMMARY": "", "GITHUB_OUTPUT": ""}
    result = run_cli(
        "check", "--config", str(config), "--service", "checkout",
        "--now", NOW.isoformat(), "--format", "json",
        env=env,
    )  # fmt: skip
    assert result.exit_code in (0, 1), result.output
    report = json_report(result.stdout)
    [source] = report["sources"]
    assert (source["ok"], source["error"]) == (True, None)
    return report


def action_items(report: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Each action item a finding names: its state and the reason it was declined."""
    return {
        finding["action_item"]["id"]: (
            finding["action_item"]["state"],
            finding["action_item"]["reason"],
        )
        for finding in report["findings"]
        if finding["action_item"]
    }


def queries_sent(fake: FakeGitHub) -> list[str]:
    """The operation names of the GraphQL queries sent, in order."""
    return [
        json.loads(r.body)["query"].split("(")[0].split("{")[0].split()[-1] for r in fake.requests
    ]


def test_an_older_server_is_read_without_sub_issues_and_says_so(tmp_path: Path) -> None:
    with FakeGitHub(GitHubWorld(older_schema=True)) as fake:
        numbers = build_year(fake)
        report = check(fake, tmp_path)
    fake.check()
    [source] = report["sources"]
    assert source["notices"] == [NO_SUB_ISSUES, NO_DUPLICATES]
    items = action_items(report)
    # The task lists are read as on github.com; a duplicate reads as not planned: declined.
    assert items[f"acme/shop#{numbers['duplicate']}"] == ("declined", "closed as not planned")
    assert items[f"acme/incidents#{numbers['declined']}"] == ("declined", "closed as not planned")
    assert items[f"acme/api#{numbers['referenced_open']}"] == ("open", None)
    # Sub-issues do not exist there: the year's sub-issues are not seen, as the notice says.
    assert f"acme/shop#{numbers['overdue']}" not in items
    assert f"acme/api#{numbers['contract_test']}" not in items
    # One refused query and one introspection, once per run; every later query is
    # written for the server (the task-list lookup went out once, as on github.com).
    assert queries_sent(fake).count("IssueSchema") == 1
    assert queries_sent(fake).count("Issues") == 1
    assert source["requests"] == 4 + 2


def test_a_current_server_is_never_introspected(tmp_path: Path) -> None:
    """github.com and a recent GHES: the same requests as before, and no notice."""
    with FakeGitHub(GitHubWorld()) as fake:
        numbers = build_year(fake)
        report = check(fake, tmp_path)
    fake.check()
    assert "IssueSchema" not in queries_sent(fake)
    assert report["sources"][0]["requests"] == 4
    assert report["sources"][0]["notices"] == []
    items = action_items(report)
    assert items[f"acme/shop#{numbers['duplicate']}"] == ("declined", "closed as a duplicate")
    assert items[f"acme/shop#{numbers['overdue']}"][0] == "open"


def test_a_refusal_about_something_else_stands(tmp_path: Path) -> None:
    """A server that offers everything and still refuses the postmortems query: that error,
    after one introspection, and no retry with less."""
    with FakeGitHub(GitHubWorld()) as fake:
        build_year(fake)
        fake.faults.add(
            lambda request: request.is_graphql and b"query Postmortems" in request.body,
            status=200,
            body={"errors": [{"message": "Something went wrong while executing your query."}]},
        )
        config = tmp_path / "deploygate.toml"
        config.write_text('source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n')
        result = run_cli(
            "check", "--config", str(config), "--service", "checkout",
            "--now", NOW.isoformat(), "--format", "json",
            env=fake.actions_env(TOKEN, "acme/shop"),
        )  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "Something went wrong while executing your query." in result.output
    assert queries_sent(fake).count("IssueSchema") == 1
    assert queries_sent(fake).count("Postmortems") == 1
