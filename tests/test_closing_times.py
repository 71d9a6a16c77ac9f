"""When action items were closed reaches the learning-loop report, from every source.

One postmortem, written before the 30-day period, and six action items, the
same on GitHub (sub-issues and a task-list reference), GitLab (linked
issues), Jira (keys the postmortem names) and the local store (``closed:``).
The report must take each item's closing time from the source: the median
days to close, the lesson debt going down the week items are closed, and
"loops closed" and "declined" counted by when items were closed, not created.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from conftest import loop_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.jira import FakeJira, fake_jira  # noqa: F401

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
SINCE = "30d"  # from Wednesday 2026-10-21 12:00
GITHUB_TOKEN = "ghs_CANARY_closing_0123456789"
GITLAB_TOKEN = "glpat-CANARY-closing-0123456789"
JIRA_EMAIL = "sre@acme.test"
JIRA_TOKEN = "ATATT3xCANARYclosing"


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@dataclass(frozen=True)
class Lesson:
    title: str
    created: float
    """Days before NOW."""
    closed: float | None
    """Days before NOW; None while open."""
    team: str | None
    declined: bool = False


POSTMORTEM_WRITTEN = 41
LESSONS = (
    Lesson("Alert on the error budget burn", 40, 25, "payments"),  # 15 days, in the period
    Lesson("Validate the config in CI", 40, 35, "payments"),  # closed before the period
    Lesson("Contract test the provider", 20, 15, "checkout"),  # 5 days
    Lesson("Load test with real carts", 30, 3, "checkout"),  # 27 days
    Lesson("Rewrite the payment client", 40, 12, None, declined=True),  # declined in it
    Lesson("Page on checkout latency", 40, None, "payments"),  # still open
)


def assert_measured_by_closing_time(document: dict[str, Any]) -> None:
    [checkout] = document["services"]
    assert checkout["median_days_to_close"] == 15.0  # of 5, 15 and 27 days
    assert checkout["closed_at_unknown"] == 0
    # Both were created before the period; one was closed in it, the other before it.
    assert checkout["teams_closing"] == [
        {"team": "checkout", "closed": 2},
        {"team": "payments", "closed": 1},
    ]
    assert checkout["declined_action_items"] == 1
    assert checkout["open_action_items"] == 1
    # Weeks end Oct 26, Nov 2, Nov 9, Nov 16 and at NOW. The burn-rate alert closes in the
    # second week, the contract test and the declined rewrite in the third, the load test
    # in the last.
    assert [week["open_lesson_debt"] for week in checkout["weekly"]] == [4, 4, 2, 2, 1]


def report(config: Path, env: dict[str, str]) -> dict[str, Any]:
    result = run_cli(
        "report", "--config", str(config), "--service", "checkout", "--since", SINCE, "--now",
        NOW.isoformat(), "--format", "json",
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = loop_report(result.stdout)
    return document


def test_github_closed_at_of_sub_issues_and_referenced_issues(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = fake_github.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    issues = [
        shop.issue(
            title=lesson.title,
            labels=[f"team:{lesson.team}"] if lesson.team else [],
            created_at=ago(lesson.created),
            state="OPEN" if lesson.closed is None else "CLOSED",
            closed_at=None if lesson.closed is None else ago(lesson.closed),
            **({"state_reason": "NOT_PLANNED"} if lesson.declined else {}),
        )
        for lesson in LESSONS
    ]
    postmortem = shop.issue(
        title="Checkout 500s after the payment config rollout",
        labels=["postmortem", "service:checkout"],
        created_at=ago(POSTMORTEM_WRITTEN),
        # The load test is read by reference, through the other query.
        body=f"## Action items\n- [x] #{issues[3].number}\n",
    )
    for issue in issues[:3] + issues[4:]:
        postmortem.add_sub_issue(issue)
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "github"\n[services.checkout]\nenvironments = ["production"]\n')
    assert_measured_by_closing_time(
        report(config, fake_github.actions_env(GITHUB_TOKEN, "acme/shop"))
    )


def test_gitlab_closed_at_of_linked_issues(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    world = fake_gitlab.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop = world.project("group/shop")
    postmortem = shop.issue(
        title="Checkout 500s after the payment config rollout",
        issue_type="incident",
        labels=["service::checkout"],
        created_at=ago(POSTMORTEM_WRITTEN),
    )
    for lesson in LESSONS:
        labels = [f"team::{lesson.team}"] if lesson.team else []
        postmortem.link(
            shop.issue(
                title=lesson.title,
                labels=[*labels, "wontfix"] if lesson.declined else labels,
                created_at=ago(lesson.created),
                state="opened" if lesson.closed is None else "closed",
                closed_at=None if lesson.closed is None else ago(lesson.closed),
            )
        )
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "gitlab"\n[services.checkout]\nenvironments = ["production"]\n')
    env = fake_gitlab.ci_env(GITLAB_TOKEN, "group/shop") | {"GITLAB_TOKEN": GITLAB_TOKEN}
    assert_measured_by_closing_time(report(config, env))


def local_postmortem(tmp_path: Path, front_matter: str, body: str) -> Path:
    """A local store with one checkout postmortem; returns the config."""
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "2026-10-10-checkout.md").write_text(
        f'+++\nservice = "checkout"\ndate = {ago(POSTMORTEM_WRITTEN).isoformat()}\n'
        f"{front_matter}+++\n# Checkout 500s after the payment config rollout\n\n{body}"
    )
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "local"\n[local]\npostmortems = "postmortems"\n')
    return config


def jira_report_config(fake: FakeJira, tmp_path: Path) -> Path:
    """The lessons as Jira issues OPS-1..6, named by a local postmortem; returns the config."""
    world = fake.world
    world.cloud_account(JIRA_EMAIL, JIRA_TOKEN)
    ops = world.project("OPS", components=["checkout", "payments"])
    keys = []
    for lesson in LESSONS:
        done = lesson.closed is not None
        issue = ops.issue(
            lesson.title,
            status="Done" if done else "To Do",
            resolution="Won't Do" if lesson.declined else "Done" if done else None,
            created=ago(lesson.created),
            resolutiondate=ago(lesson.closed) if lesson.closed is not None else None,
            components=[lesson.team] if lesson.team else [],
        )
        keys.append(issue.key)
    config = local_postmortem(tmp_path, f"jira = {json.dumps(keys)}\n", "")
    config.write_text(
        'source = ["local", "jira"]\n[local]\npostmortems = "postmortems"\n'
        f'[jira]\nurl = "{fake.url}"\nprojects = ["OPS"]\n'
    )
    return config


JIRA_ENV = {"JIRA_EMAIL": JIRA_EMAIL, "JIRA_API_TOKEN": JIRA_TOKEN}


def test_jira_resolutiondate_of_the_items_a_postmortem_names(
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    assert_measured_by_closing_time(report(jira_report_config(fake_jira, tmp_path), JIRA_ENV))


def answer_load_test_resolved(fake: FakeJira, resolutiondate: str | None) -> None:
    """Jira answers the load test (OPS-4, done) with this ``resolutiondate``."""
    original = fake.answer

    def answer(record: Any) -> Any:
        response = original(record)
        for issue in response.body.get("issues", []) if response.status == 200 else []:
            if issue["key"] == "OPS-4":
                issue["fields"]["resolutiondate"] = resolutiondate
        return response

    fake.answer = answer  # type: ignore[method-assign]


def test_a_done_jira_item_without_resolutiondate_is_closed_at_an_unknown_time(
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = jira_report_config(fake_jira, tmp_path)
    answer_load_test_resolved(fake_jira, None)  # a workflow that reaches Done unresolved
    [checkout] = report(config, JIRA_ENV)["services"]
    assert checkout["closed_at_unknown"] == 1
    assert checkout["median_days_to_close"] == 10.0  # 5 and 15 days; the load test is left out
    assert checkout["teams_closing"] == [
        {"team": "checkout", "closed": 1},
        {"team": "payments", "closed": 1},
    ]
    # Never guessed as open: the load test is no longer debt in any week.
    assert [week["open_lesson_debt"] for week in checkout["weekly"]] == [3, 3, 1, 1, 1]


def test_a_junk_jira_resolutiondate_fails_the_source_with_one_line(
    fake_jira: FakeJira,  # noqa: F811
    tmp_path: Path,
) -> None:
    config = jira_report_config(fake_jira, tmp_path)
    answer_load_test_resolved(fake_jira, "last week")
    result = run_cli(
        "report", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        env=JIRA_ENV,
    )  # fmt: skip
    assert result.exit_code == 3, result.output
    [line] = result.stderr.splitlines()
    assert "OPS-4 with a bad resolution time ('last week')" in line
    assert "Traceback" not in result.output


def test_local_closed_dates_of_task_list_and_front_matter_items(tmp_path: Path) -> None:
    def attributes(lesson: Lesson) -> str:
        pairs = [f"team: {lesson.team}"] if lesson.team else []
        if lesson.closed is not None:
            pairs.append(f"closed: {ago(lesson.closed).isoformat()}")
        return f" ({', '.join(pairs)})" if pairs else ""

    *tasks, last = LESSONS
    markers = {None: " ", False: "x", True: "-"}
    body = "## Action items\n" + "".join(
        f"- [{markers[None if t.closed is None else t.declined]}] {t.title}{attributes(t)}\n"
        for t in tasks
    )
    # The open item is in the front matter; the rest are task-list lines.
    front_matter = f'[[action_items]]\ntitle = "{last.title}"\nteam = "{last.team}"\n'
    # Local items are created with their postmortem, so each lesson's own creation time is
    # the postmortem's: the measures move accordingly.
    config = local_postmortem(tmp_path, front_matter, body)
    document = report(config, {})
    [checkout] = document["services"]
    assert checkout["median_days_to_close"] == 26.0  # 16, 26 and 38 days from Oct 10
    assert checkout["teams_closing"] == [
        {"team": "checkout", "closed": 2},
        {"team": "payments", "closed": 1},
    ]
    assert checkout["declined_action_items"] == 1
    assert checkout["closed_at_unknown"] == 0
    assert [week["open_lesson_debt"] for week in checkout["weekly"]] == [5, 4, 2, 2, 1]
