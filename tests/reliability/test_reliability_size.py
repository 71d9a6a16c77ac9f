"""Case 5: size. Five thousand action items with 1 KB titles, through the whole CLI.

Input: 5,000 issues with ~1 KB titles (ASCII and 'é', so bytes and characters
differ) as sub-issues of 100 postmortems on the fake GitHub, half of them
overdue (error) and half open with a future due date (warning), run in GitHub
Actions on a pull request with ``--comment`` and every ``--output`` report; and
the same 5,000 items as task lists of 100 local postmortems, in a GitLab
merge-request pipeline with ``--comment``.

Expected: every item is read (5,000 findings); the PR comment <= 65,536
characters and the MR note <= 1,000,000, each with a visible truncation note
and the sticky marker once; the job summary <= 1 MiB (bytes) with its note;
the Code Quality report valid JSON with 5,000 entries and unique fingerprints;
at most ten annotations per level and a line counting the rest.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from fakes.worlds import NOW, at
from reliability.helpers import (
    CANARIES,
    GITHUB_TOKEN,
    STICKY_MARKER,
    Run,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_env,
    leaks,
    local_config,
    runner_commands,
)

ITEMS = 5000
POSTMORTEMS = 100
PER_POSTMORTEM = ITEMS // POSTMORTEMS
COMMENT_LIMIT = 65_536
NOTE_LIMIT = 1_000_000
SUMMARY_LIMIT = 1024 * 1024


def title(number: int) -> str:
    """About 1 KB, unique, and not all ASCII."""
    return f"Lesson {number:04d}: " + ("répéter la leçon " * 64)[:1000]


def assert_code_quality(run: Run, count: int) -> None:
    issues: list[dict[str, Any]] = json.loads(run.files["report.codequality"])
    assert len(issues) == count
    fingerprints = [issue["fingerprint"] for issue in issues]
    assert len(set(fingerprints)) == len(fingerprints)
    for issue in issues:
        assert set(issue) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert issue["location"]["path"]
        assert isinstance(issue["location"]["lines"]["begin"], int)


def assert_cut_sticky(body: str, limit: int) -> None:
    assert len(body) <= limit
    assert body.startswith(STICKY_MARKER + "\n")
    assert body.count(STICKY_MARKER) == 1
    assert body.rstrip().endswith("has every finding.")
    assert "deploygate cut this comment to stay under the size limit" in body
    assert "Lesson 0000" in body


@pytest.fixture
def big_github(fake_github: FakeGitHub) -> FakeGitHub:  # noqa: F811
    world = fake_github.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    shop.pull_request(number=7)
    labels = ["postmortem", "service:checkout"]
    for number in range(ITEMS):
        if number % PER_POSTMORTEM == 0:
            postmortem = shop.issue(
                title=f"Postmortem {number // PER_POSTMORTEM}",
                labels=labels,
                created_at=at(60, hour=number // PER_POSTMORTEM % 24),
            )
        due = at(30) if number % 2 == 0 else NOW + timedelta(days=30)
        postmortem.add_sub_issue(
            shop.issue(title=title(number), created_at=at(60), milestone_due_on=due)
        )
    return fake_github


def test_github_five_thousand_items_fit_every_limit(
    big_github: FakeGitHub,
    tmp_path: Path,
) -> None:
    """5,000 sub-issues on the fake GitHub, in Actions, with --comment: every limit holds."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    env = github_env(big_github) | {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(event),
    }
    config = github_config(tmp_path, graphql_url=big_github.graphql_url, deadline="60s")
    run = check(tmp_path, config, env, "--comment")
    assert run.exit_code == 1, run.stderr
    report = run.report()
    assert len(report["findings"]) == ITEMS
    assert report["summary"]["overdue_action_items"] == ITEMS // 2

    [comment] = big_github.world.repo("acme/shop").comments(7)
    assert_cut_sticky(comment.body, COMMENT_LIMIT)

    summary = run.files["summary"]
    assert len(summary.encode()) <= SUMMARY_LIMIT
    assert "deploygate cut this summary to stay under GitHub's 1 MiB limit" in summary
    assert len(summary.encode()) > SUMMARY_LIMIT - 4096  # cut near the limit, not far below

    assert_code_quality(run, ITEMS)

    commands = runner_commands(run.stdout + "\n" + run.stderr)
    per_level = Counter(command.name for command in commands)
    assert per_level["error"] == per_level["warning"] == 10, per_level
    assert per_level["notice"] <= 10, per_level
    assert (
        "deploygate: 2490 errors, 2490 warnings more than the runner shows as annotations; "
        "the job summary lists every finding."
    ) in run.stdout.split("\n")
    assert "findings<<" in run.files["output"]
    assert f"\n{ITEMS}\n" in run.files["output"]
    assert leaks(run.everything + comment.body) == []


def test_local_five_thousand_items_fit_the_merge_request_note(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """5,000 local task items in a GitLab MR pipeline with --comment: the note fits."""
    fake_gitlab.world.token(CANARIES["GITLAB_TOKEN"], username="deploybot")
    fake_gitlab.world.project("group/shop").merge_request(iid=12)
    files = {}
    for postmortem in range(POSTMORTEMS):
        items = [
            f"- [ ] {title(number)} (due: 2026-10-01)"
            for number in range(postmortem * PER_POSTMORTEM, (postmortem + 1) * PER_POSTMORTEM)
        ]
        written = at(60, hour=postmortem % 24).strftime("%Y-%m-%dT%H:%M:%SZ")
        files[f"pm-{postmortem:03d}.md"] = "\n".join(
            ["+++", 'service = "checkout"', f"date = {written}", "+++", f"# PM {postmortem}", "",
             "## Action items", *items, ""]
        )  # fmt: skip
    config = local_config(tmp_path, files)
    env = gitlab_env() | dict(fake_gitlab.ci_env(CANARIES["CI_JOB_TOKEN"], "group/shop"))
    env |= {"CI_MERGE_REQUEST_IID": "12"}
    run = check(tmp_path, config, env, "--comment", actions=False)
    assert run.exit_code == 1, run.stderr
    assert "noted on merge request !12" in run.stderr
    [note] = fake_gitlab.world.project("group/shop").notes_of(12)
    assert_cut_sticky(note.body, NOTE_LIMIT)
    assert len(note.body) > NOTE_LIMIT - 4096
    assert_code_quality(run, ITEMS)
    assert "DEPLOYGATE_FINDINGS=5000" in run.files["report.dotenv"]
    assert leaks(run.everything + note.body) == []


@pytest.mark.parametrize("extra", ["rate-limit", "comment"])
def test_deploygates_own_notices_count_against_the_ten(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    extra: str,
) -> None:
    """Twelve declined action items (notices) on the fake GitHub, plus either a low rate limit
    (300 of 5,000 left) or --comment on a pull request: at most ten notice annotations."""
    world = fake_github.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    shop.pull_request(number=7)
    postmortem = shop.issue(
        title="Postmortem", labels=["postmortem", "service:checkout"], created_at=at(60)
    )
    for number in range(12):
        postmortem.add_sub_issue(
            shop.issue(
                title=f"Declined {number}",
                state="CLOSED",
                state_reason="NOT_PLANNED",
                created_at=at(60),
            )
        )
    env = github_env(fake_github)
    args: list[str] = []
    if extra == "rate-limit":
        fake_github.rate_limit(GITHUB_TOKEN, "graphql").remaining = 300
    else:
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
        env |= {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
        args = ["--comment"]
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, env, *args)
    assert run.exit_code == 0, run.output
    assert len(run.report()["findings"]) == 12
    notices = [c for c in runner_commands(run.stdout + "\n" + run.stderr) if c.name == "notice"]
    assert len(notices) <= 10, [c.properties.get("title") for c in notices]
