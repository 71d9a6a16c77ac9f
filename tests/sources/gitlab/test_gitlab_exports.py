"""GitLab as the host of issues other platforms exported their items to.

A Linear item its GitLab integration linked to a GitLab issue (or an
incident.io follow-up exported to one) is judged by that issue once GitLab
is a source of the run (:meth:`GitLabSource.attach_exported`). These tests
drive the CLI against the fake Linear and the fake GitLab: the lookups go
through GraphQL, or REST on a GitLab too old for the postmortem query, and a
failing lookup fails the GitLab source as any of its reads would.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import NOW, json_report, run_cli
from fakes.gitlab import FakeGitLab, RecordedRequest, fake_gitlab  # noqa: F401
from fakes.linear import FakeLinear, fake_linear  # noqa: F401
from fakes.worlds import GITLAB_JOB_TOKEN, GITLAB_TOKEN, at

from deploygate.sources.exports import GITLAB_ISSUE, exported_issues, gitlab_issue

KEY = "lin_api_CANARYgitlabexports0123456789abcdefghij"
OLDER_GITLAB = frozenset({"Issue.linkedWorkItems"})
"""What a GitLab before 17.8 lacks: the source reads through REST."""


def exported_world(linear: FakeLinear, gitlab: FakeGitLab) -> dict[str, Any]:
    """A Linear postmortem with items exported to a closed GitLab issue and a missing one."""
    linear.world.api_key(KEY)
    gitlab.world.token(GITLAB_TOKEN, username="deploybot")
    shop = gitlab.world.project("group/shop")
    done = shop.issue("Exported lesson, on GitLab", state="closed", created_at=at(9))
    pm = linear.world.issue("OPS", "Checkout 500s", created_at=at(11), labels=["postmortem"])
    page = f"{gitlab.url}/group/shop/-/issues"
    for title, url in (("Exported lesson", f"{page}/{done.iid}"), ("Gone", f"{page}/999")):
        linear.world.issue("OPS", title, created_at=at(10), parent=pm,
                           attachments=[(url, "gitlab")])  # fmt: skip
    return {"postmortem": pm, "done": done}


def check(tmp_path: Path, linear: FakeLinear, gitlab: FakeGitLab) -> Any:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        f'source = ["gitlab", "linear"]\n[linear]\nteams = ["OPS"]\napi-url = "{linear.api_url}"\n'
    )
    env = gitlab.ci_env(GITLAB_JOB_TOKEN, "group/shop") | {
        "GITLAB_TOKEN": GITLAB_TOKEN,
        "LINEAR_API_KEY": KEY,
    }
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--format", "json", env=env,
    )  # fmt: skip


def item_rules(report: dict[str, Any]) -> dict[str, str]:
    return {
        finding["action_item"]["title"]: finding["rule"]
        for finding in report["findings"]
        if finding.get("action_item")
    }


def gitlab_status(report: dict[str, Any]) -> dict[str, Any]:
    [found] = [source for source in report["sources"] if source["name"] == "gitlab"]
    return found


def is_issue_lookup(request: RecordedRequest) -> bool:
    return b"query Issues" in request.body


def test_an_issue_page_or_work_item_page_names_the_issue_by_its_full_reference() -> None:
    """The exporting platform's item takes the id GitLab's source gives the issue."""
    assert gitlab_issue("https://gitlab.com/group/sub/shop/-/issues/12") == (
        "group/sub/shop#12",
        "https://gitlab.com/group/sub/shop/-/issues/12",
    )
    assert gitlab_issue("https://gitlab.com/group/shop/-/work_items/3#note_9") == (
        "group/shop#3",
        "https://gitlab.com/group/shop/-/work_items/3#note_9",
    )
    for other in (
        "https://gitlab.com/group/shop/-/merge_requests/3",
        "https://github.com/acme/shop/issues/3",
        "https://gitlab.com/group/shop/-/issues/3 and more",
        "see https://gitlab.com/group/shop/-/issues/3",
    ):
        assert gitlab_issue(other) is None, other


def test_only_this_gitlabs_pages_are_its_exported_issues() -> None:
    refs = [
        "https://GitLab.example.com/group/shop/-/issues/1",
        "https://gitlab.example.com/group/shop/-/work_items/1",
        "https://gitlab.com/group/shop/-/issues/2",
        "OPS-12",
    ]
    assert exported_issues(refs, GITLAB_ISSUE, "https://gitlab.example.com/") == [("group/shop", 1)]


def test_gitlabs_state_wins_through_one_graphql_lookup(
    fake_linear: FakeLinear,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """The closed issue takes its item's place, done, and counts once; the missing one
    leaves its item open, with a notice; both were asked for in one aliased query."""
    exported_world(fake_linear, fake_gitlab)
    report = json_report(check(tmp_path, fake_linear, fake_gitlab).stdout)
    assert item_rules(report) == {"Gone": "open-action-item"}
    assert gitlab_status(report)["ok"] is True
    assert any("group/shop#999" in notice for notice in gitlab_status(report)["notices"])
    assert report["summary"]["open_action_items"] == 1
    assert len([r for r in fake_gitlab.requests if is_issue_lookup(r)]) == 1


def test_a_gitlab_without_the_graphql_it_needs_is_asked_through_rest(
    fake_linear: FakeLinear,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """One REST request per exported issue; the missing one's 404 is a notice, not a
    failure."""
    built = exported_world(fake_linear, fake_gitlab)
    fake_gitlab.graphql_lacks = set(OLDER_GITLAB)
    report = json_report(check(tmp_path, fake_linear, fake_gitlab).stdout)
    assert item_rules(report) == {"Gone": "open-action-item"}
    assert any("group/shop#999" in notice for notice in gitlab_status(report)["notices"])
    asked = [r.path for r in fake_gitlab.requests if "/issues/" in r.path]
    assert sorted(asked) == sorted([
        f"/api/v4/projects/group%2Fshop/issues/{built['done'].iid}",
        "/api/v4/projects/group%2Fshop/issues/999",
    ])  # fmt: skip


def test_a_failing_lookup_fails_the_gitlab_source(
    fake_linear: FakeLinear,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A lookup GitLab refuses is no "not found": the GitLab source fails (exit 3), and
    the run is not verified, rather than judge the items as Linear has them."""
    exported_world(fake_linear, fake_gitlab)
    fake_gitlab.faults.add(is_issue_lookup, status=403, times=None)
    result = check(tmp_path, fake_linear, fake_gitlab)
    assert result.exit_code == 3, result.output
    report = json_report(result.stdout)
    status = gitlab_status(report)
    assert status["ok"] is False
    assert "403" in status["error"]
    assert report["verdict"] == "unknown"
