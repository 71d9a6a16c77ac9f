"""Override notes: with --comment, an emergency override leaves one note on each postmortem
whose open or overdue action items it let through, on GitHub and GitLab (fakes, real clients)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO_ROOT, json_report, loop_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.github_openapi import assert_rest_traffic_matches_openapi
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import GITHUB_TOKEN, GITLAB_TOKEN, NOW, github_year, gitlab_year
from fakes.worlds import GITLAB_JOB_TOKEN as JOB_TOKEN

from deploygate.formats.override_note import marker, service_of

REASON = "hotfix for <b>incident 42</b> @oncall [x](https://evil.example)"


def check(config: Path, env: dict[str, str], *args: str):
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
        "--environment", "production", "--format", "json", *args,
        env=env,
    )  # fmt: skip


def test_the_marker_names_any_service_and_cannot_be_closed_by_it() -> None:
    for service in ("checkout", "pay ments", "x -->", "svc=1&<!--"):
        line = marker(service)
        assert line.count("-->") == 1
        assert service_of(line + "\nbody") == service
    assert service_of("a person quoting <!-- deploygate:override service=x -->") is None


# -- GitHub ----------------------------------------------------------------------------------


def github_config(tmp_path: Path) -> Path:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "github"\n[github]\npostmortem-repository = "acme/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    return config


def github_env(fake: FakeGitHub, token: str = GITHUB_TOKEN) -> dict[str, str]:
    return fake.actions_env(token, "acme/shop") | {
        "GITHUB_STEP_SUMMARY": "",
        "GITHUB_OUTPUT": "",
        "GITHUB_EVENT_NAME": "push",
        "GITHUB_RUN_ID": "4242",
    }


def override_notes(fake: FakeGitHub) -> list:
    comments = fake.world.repo("acme/incidents").comments()
    return [c for c in comments if c.body.startswith("<!-- deploygate:override")]


def test_github_an_override_notes_each_overridden_postmortem_once_per_run(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    github_year(fake_github)
    config = github_config(tmp_path)
    blocked = check(config, github_env(fake_github))
    assert json_report(blocked.stdout)["verdict"] == "block"
    assert override_notes(fake_github) == []  # --comment without --override notes nothing

    result = check(config, github_env(fake_github), "--override", REASON, "--comment")
    assert result.exit_code == 0, result.output
    assert json_report(result.stdout)["verdict"] == "override"
    notes = override_notes(fake_github)
    assert notes
    assert {note.author.login for note in notes} == {"github-actions[bot]"}
    for note in notes:
        assert service_of(note.body) == "checkout"
        assert "to **production** by emergency override" in note.body
        assert "<b>" not in note.body  # the reason is escaped: no HTML, link or mention
        assert "&lt;b&gt;incident 42&lt;/b&gt;" in note.body
        assert "](https://evil" not in note.body
        assert "@oncall" not in note.body
        assert f"https://{fake_github.world.web_host}/acme/shop/actions/runs/4242" in note.body
        assert "- [" in note.body  # the items overridden, linked
        assert f"noted the override on postmortem acme/incidents#{note.issue.number}" in (
            result.stderr
        )
    assert "not a pull request event (push); no comment written" in result.stderr
    posts = fake_github.requests_to("/comments", method="POST")
    assert len(posts) == len(notes)
    assert GITHUB_TOKEN not in result.output + "".join(note.body for note in notes)
    assert assert_rest_traffic_matches_openapi(fake_github) > 0

    again = check(config, github_env(fake_github), "--override", REASON, "--comment")
    assert again.exit_code == 0
    assert len(override_notes(fake_github)) == 2 * len(notes)  # each override is an event


def test_github_a_token_that_cannot_comment_leaves_the_verdict_standing(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    github_year(fake_github)
    fake_github.world.token(GITHUB_TOKEN, login="github-actions[bot]", can_comment=False)
    result = check(
        github_config(tmp_path), github_env(fake_github), "--override", REASON, "--comment"
    )
    assert result.exit_code == 0
    assert json_report(result.stdout)["verdict"] == "override"
    assert "no override note on postmortem acme/incidents#" in result.stderr
    assert "(403); it needs issues: write" in result.stderr
    assert override_notes(fake_github) == []


# -- GitLab ----------------------------------------------------------------------------------


def test_gitlab_an_override_notes_each_overridden_postmortem(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    gitlab_year(fake_gitlab)
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n'
    )
    env = fake_gitlab.ci_env(JOB_TOKEN, "group/shop") | {
        "GITLAB_TOKEN": GITLAB_TOKEN,
        "CI_JOB_URL": "https://gitlab.example.com/group/shop/-/jobs/77",
    }
    result = check(config, env, "--override", REASON, "--comment")
    assert result.exit_code == 0, result.output
    assert json_report(result.stdout)["verdict"] == "override"
    issues = [
        issue
        for project in ("group/shop", "group/incidents")
        for issue in fake_gitlab.world.project(project).issues.values()
    ]
    notes = [note for issue in issues for note in issue.notes]
    assert notes
    for note in notes:
        assert note.author.username == "deploybot"
        assert service_of(note.body) == "checkout"
        assert "https://gitlab.example.com/group/shop/-/jobs/77" in note.body
        assert "<b>" not in note.body
        assert f"noted the override on postmortem {note.issue.reference}" in result.stderr
    assert "not a merge request pipeline" in result.stderr
    assert len(fake_gitlab.requests_to("/notes", method="POST")) == len(notes)
    assert GITLAB_TOKEN not in result.output


# -- the local store -------------------------------------------------------------------------


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", tmp_path / "q")
    return tmp_path / "q" / "deploygate.toml"


def test_local_postmortems_get_one_line_saying_there_is_no_platform(quickstart: Path) -> None:
    env = {"GITHUB_ACTIONS": "", "GITLAB_CI": ""}
    result = run_cli(
        "check", "--config", str(quickstart), "--service", "checkout", "--now",
        "2026-11-20T12:00:00Z", "--override", "hotfix", "--comment",
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "overridden postmortem" in line]
    assert lines == [
        "deploygate: 2 overridden postmortems kept in local files: "
        "no platform to note the override on"
    ]


# -- counted in report -------------------------------------------------------------------------


def test_report_counts_the_override_notes_per_service_with_one_listing(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    github_year(fake_github)
    incidents = fake_github.world.repo("acme/incidents")
    number = min(incidents.issues)
    bot, recent = "github-actions[bot]", NOW - timedelta(days=3)
    incidents.comment(number, marker("checkout") + "\nan override", bot, created_at=recent)
    incidents.comment(number, marker("checkout") + "\nanother", bot, created_at=recent)
    incidents.comment(number, marker("search") + "\nanother service", bot, created_at=recent)
    incidents.comment(number, marker("checkout") + "\nquoted", "mallory", created_at=recent)
    old = NOW - timedelta(days=200)
    incidents.comment(number, marker("checkout") + "\nbefore the period", bot, created_at=old)
    config = github_config(tmp_path)
    result = run_cli(
        "report", "--config", str(config), "--service", "checkout", "--since", "90d", "--now",
        NOW.isoformat(), "--format", "json",
        env=github_env(fake_github),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    document = loop_report(result.stdout)
    assert [s["overrides"] for s in document["services"]] == [2]
    assert document["overrides"] == 2
    listings = fake_github.requests_to("/repos/acme/incidents/issues/comments", method="GET")
    assert len(listings) == 1
    assert listings[0].query["since"].startswith((NOW - timedelta(days=90)).date().isoformat())


def test_report_counts_one_override_once_however_many_postmortems_it_noted(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
) -> None:
    github_year(fake_github)
    incidents = fake_github.world.repo("acme/incidents")
    first, second = sorted(incidents.issues)[:2]
    bot, recent = "github-actions[bot]", NOW - timedelta(days=3)
    run = "\n[The run](https://github.example/acme/shop/actions/runs/1)\n"
    incidents.comment(first, marker("checkout") + run, bot, created_at=recent)
    incidents.comment(second, marker("checkout") + run, bot, created_at=recent)
    result = run_cli(
        "report", "--config", str(github_config(tmp_path)), "--service", "checkout", "--now",
        NOW.isoformat(), "--format", "json",
        env=github_env(fake_github),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert loop_report(result.stdout)["overrides"] == 1
