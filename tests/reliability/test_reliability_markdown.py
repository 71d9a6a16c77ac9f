"""Case 3: Markdown neutralising in the PR comment, the MR note, the job summary and Code Quality.

Input: a postmortem title, an action-item title and a lesson line, each
``@octocat @org/team <img src=x> <!-- deploygate --> [Approve](http://evil.invalid)
</details> ```\u200b`` (without the zero-width space), on the local store, the fake
GitHub and the fake GitLab, with ``--comment`` on a pull request (GitHub) or a
merge request (GitLab), the job summary (GitHub Actions) and
``--output codequality=PATH``.

Expected, in every Markdown document: the title is shown (as text); no live
mention; no HTML tag or comment but deploygate's own (``<sub>`` and the sticky
marker); no link whose target came from the input, nor a bare autolink to it;
code fences balanced; the sticky marker exactly once in the comment and the
note (and absent from the summary). In Code Quality: valid JSON, the title
shown, no tag, no comment, no live mention.

Case 4 (sticky-comment spoofing) is tests/sources/github/test_github_source.py::
test_a_users_comment_with_the_marker_is_never_touched and
tests/sources/gitlab/test_gitlab_source.py::
test_the_note_is_created_once_then_edited_and_a_users_note_is_untouched.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from fakes.worlds import at
from reliability.helpers import (
    CANARIES,
    STICKY_MARKER,
    Run,
    assert_inert_markdown,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    local_config,
    local_postmortem,
    small_github,
    small_gitlab,
)
from reliability.helpers import HOSTILE_MARKDOWN as TITLE

BODY = f"## What we learned\n- {TITLE}\n"


def code_quality(run: Run) -> list[dict[str, Any]]:
    issues: list[dict[str, Any]] = json.loads(run.files["report.codequality"])
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    return issues


def assert_inert_code_quality(run: Run) -> None:
    descriptions = [issue["description"] for issue in code_quality(run)]
    assert any("octocat" in description for description in descriptions)
    for description in descriptions:
        assert "<" not in description, description
        assert re.findall(r"@(?=[A-Za-z0-9])", description) == [], description


def event(tmp_path: Path, number: int = 7) -> dict[str, str | None]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"number": number}}), encoding="utf-8")
    return {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(path)}


def merge_request_env(fake: FakeGitLab) -> dict[str, str | None]:
    env = gitlab_env() | dict(fake.ci_env(CANARIES["CI_JOB_TOKEN"], "group/shop"))
    return env | {"CI_MERGE_REQUEST_IID": "12"}


def hostile_local(tmp_path: Path) -> Path:
    return local_config(
        tmp_path,
        {
            "2026-09-21-outage.md": local_postmortem(TITLE, [(TITLE, "2026-10-01")]).replace(
                "- something", f"- {TITLE}"
            )
        },
    )


def pull_request_comment(fake: FakeGitHub) -> str:
    [comment] = fake.world.repo("acme/shop").comments(7)
    return comment.body


def merge_request_note(fake: FakeGitLab) -> str:
    [note] = fake.world.project("group/shop").notes_of(12)
    return note.body


# -- the three backends --------------------------------------------------------------------


def test_local_postmortem_in_the_comment_summary_and_code_quality(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Local postmortem, PR comment on the fake GitHub, summary, Markdown and Code Quality files."""
    fake_github.world.token(CANARIES["GITHUB_TOKEN"], login="github-actions[bot]")
    fake_github.world.repo("acme/shop").pull_request(number=7)
    env = github_env(fake_github) | event(tmp_path)
    run = check(tmp_path, hostile_local(tmp_path), env, "--comment")
    assert run.exit_code == 1, run.output
    assert "commented on pull request #7" in run.stderr
    assert_inert_markdown(pull_request_comment(fake_github), markers=1)
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    assert_inert_code_quality(run)


def test_local_postmortem_in_the_merge_request_note(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """Local postmortem in a GitLab merge-request pipeline: the MR note and Code Quality."""
    fake_gitlab.world.token(CANARIES["GITLAB_TOKEN"], username="deploybot")
    fake_gitlab.world.project("group/shop").merge_request(iid=12)
    env = merge_request_env(fake_gitlab)
    run = check(tmp_path, hostile_local(tmp_path), env, "--comment", actions=False)
    assert run.exit_code == 1, run.output
    assert "noted on merge request !12" in run.stderr
    assert_inert_markdown(merge_request_note(fake_gitlab), markers=1)
    assert_inert_code_quality(run)


def test_github_issues_in_the_comment_summary_and_code_quality(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """GitHub issues with the title: the PR comment, the job summary and Code Quality."""
    small_github(fake_github, item_title=TITLE, postmortem_title=TITLE, body=BODY)
    fake_github.world.repo("acme/shop").pull_request(number=7)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github) | event(tmp_path), "--comment")
    assert run.exit_code == 1, run.output
    assert_inert_markdown(pull_request_comment(fake_github), markers=1)
    assert_inert_markdown(run.files["summary"], markers=0)
    assert_inert_code_quality(run)


def test_gitlab_issues_in_the_note_and_code_quality(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    """GitLab issues with the title: the MR note, the Markdown report and Code Quality."""
    small_gitlab(fake_gitlab, item_title=TITLE, postmortem_title=TITLE, description=BODY)
    fake_gitlab.world.project("group/shop").merge_request(iid=12)
    config = gitlab_config(tmp_path, url=fake_gitlab.url)
    run = check(tmp_path, config, merge_request_env(fake_gitlab), "--comment", actions=False)
    assert run.exit_code == 1, run.output
    assert_inert_markdown(merge_request_note(fake_gitlab), markers=1)
    assert_inert_markdown(run.files["report.markdown"], markers=0)
    assert_inert_code_quality(run)


def test_code_quality_descriptions_carry_no_link_from_the_input(tmp_path: Path) -> None:
    """The title in Code Quality: no link syntax or bare URL from the input survives."""
    run = check(tmp_path, hostile_local(tmp_path), github_env(), actions=False)
    descriptions = [issue["description"] for issue in code_quality(run)]
    assert any("Approve" in description for description in descriptions)
    for description in descriptions:
        assert re.search(r"https?://evil|www\.evil", description) is None, description
        assert "[Approve](" not in description, description


def test_a_spoofed_marker_in_a_title_does_not_make_a_second_marker(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A title that is deploygate's own sticky marker: the comment still holds one marker,
    and a second run edits that comment instead of adding one."""
    small_github(fake_github, item_title=STICKY_MARKER, postmortem_title=STICKY_MARKER)
    fake_github.world.repo("acme/shop").pull_request(number=7)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    env = github_env(fake_github) | event(tmp_path)
    first = check(tmp_path, config, env, "--comment", name="first")
    second = check(tmp_path, config, env, "--comment", name="second")
    assert "commented on pull request #7" in first.stderr
    assert "updated the deploygate comment on pull request #7" in second.stderr
    assert pull_request_comment(fake_github).count(STICKY_MARKER) == 1
    assert len(fake_github.requests_to("/comments", method="POST")) == 1


def test_a_local_markdown_report_of_the_same_title_is_inert(tmp_path: Path) -> None:
    """The same title through --format markdown on stdout, outside any CI."""
    run = check(tmp_path, hostile_local(tmp_path), github_env(), "--format", "markdown")
    assert run.exit_code == 1
    assert_inert_markdown(run.stdout, markers=0)


def test_the_lesson_digest_is_inert_too(tmp_path: Path) -> None:
    """The lesson line (the postmortem body) reaches the summary only through the digest."""
    config = local_config(
        tmp_path,
        {
            "2026-09-21-outage.md": local_postmortem("Outage", []).replace(
                "- something", f"- {TITLE}"
            )
        },
    )
    run = check(tmp_path, config, github_env(), actions=True)
    assert "octocat" in run.files["summary"]
    assert_inert_markdown(run.files["summary"], markers=0)
    assert at(60).date().isoformat() in run.files["summary"]


@pytest.mark.parametrize(
    "document",
    [
        f"| {TITLE} |",
        "hi @octocat",
        "<details>x",
        "[Approve](https://evil.invalid)",
        "see https://evil.invalid",
        "```\ncode",
        f"{STICKY_MARKER}\n{STICKY_MARKER} octocat Approve",
    ],
)
def test_the_markdown_check_catches_each_failure(document: str) -> None:
    """The checker itself: each of these documents must be refused."""
    with pytest.raises(AssertionError):
        assert_inert_markdown(f"octocat Approve {document}", markers=1)
