"""Overrides count in `report` on GitLab (the override notes, read from the project's comment
events) and on the local store (the overrides log beside the history); one override run counts
once however many postmortems it noted."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import REPO_ROOT, json_report, loop_report, run_cli
from fakes.gitlab import FakeGitLab, add_issue_note, fake_gitlab  # noqa: F401
from fakes.worlds import GITLAB_JOB_TOKEN as JOB_TOKEN
from fakes.worlds import GITLAB_TOKEN, NOW, gitlab_year

from deploygate.formats.override_note import marker
from deploygate.sources.local import OverrideLog, overrides_path

REASON = "hotfix for incident 42"
RUN = "https://gitlab.example.com/group/shop/-/jobs/77"
PERIOD_START = NOW - timedelta(days=90)


# -- GitLab ------------------------------------------------------------------------------------


def gitlab_config(tmp_path: Path) -> Path:
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\npostmortem-project = "group/incidents"\n'
        '[services.checkout]\nenvironments = ["production"]\n[services.search]\n'
    )
    return config


def gitlab_env(fake: FakeGitLab) -> dict[str, str]:
    return fake.ci_env(JOB_TOKEN, "group/shop") | {"GITLAB_TOKEN": GITLAB_TOKEN, "CI_JOB_URL": RUN}


def run_report(config: Path, env: dict[str, str], *args: str) -> dict:
    result = run_cli(
        "report", "--config", str(config), "--since", "90d", "--now", NOW.isoformat(),
        "--format", "json", *args,
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert GITLAB_TOKEN not in result.output
    document: dict = loop_report(result.stdout)
    return document


def overrides_of(document: dict) -> dict[str, int]:
    return {service["service"]: service["overrides"] for service in document["services"]}


def test_gitlab_report_counts_the_overrides_that_check_noted(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    gitlab_year(fake_gitlab)
    fake_gitlab.world.clock = lambda: NOW - timedelta(hours=1)
    config = gitlab_config(tmp_path)
    for job in (1, 2):  # two overriding runs, each noting the same postmortem
        checked = run_cli(
            "check", "--config", str(config), "--service", "checkout", "--now", NOW.isoformat(),
            "--environment", "production", "--format", "json", "--override", REASON,
            "--comment",
            env=gitlab_env(fake_gitlab) | {"CI_JOB_URL": f"{RUN}/{job}"},
        )  # fmt: skip
        assert json_report(checked.stdout)["verdict"] == "override"
    assert len(fake_gitlab.requests_to("/notes", method="POST")) == 2
    fake_gitlab.requests.clear()

    document = run_report(config, gitlab_env(fake_gitlab))

    assert overrides_of(document) == {"checkout": 2, "search": 0}
    assert document["overrides"] == 2
    [events] = fake_gitlab.requests_to("/events", method="GET")
    assert events.path == "/api/v4/projects/group%2Fincidents/events"
    assert (events.query["action"], events.query["target_type"]) == ("commented", "note")
    assert events.query["after"] == (PERIOD_START - timedelta(days=2)).date().isoformat()
    assert len(fake_gitlab.requests_to("/api/v4/user", method="GET")) == 1
    assert fake_gitlab.requests_to("/notes", method="GET") == []  # no listing per postmortem


def test_gitlab_only_the_tokens_notes_with_the_marker_in_the_period_count(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    gitlab_year(fake_gitlab)
    world = fake_gitlab.world
    bot, person = world.user("deploybot"), world.user("oncall")
    incidents = world.project("group/incidents")
    first, second = sorted(incidents.issues.values(), key=lambda issue: issue.iid)[:2]
    recent = NOW - timedelta(days=3)

    def note(issue, service: str, author=bot, *, at=recent, run: str | None = None) -> None:
        tail = f"\n[The run]({run})\n" if run else "\nThe run left no link.\n"
        add_issue_note(issue, marker(service) + "\nan override" + tail, author, created_at=at)

    note(first, "checkout", run=f"{RUN}/1")
    note(second, "checkout", run=f"{RUN}/1")  # the same run on another postmortem: still one
    note(first, "checkout", run=f"{RUN}/2")
    note(first, "checkout")  # no run link: counts alone
    note(first, "search", run=f"{RUN}/3")
    note(first, "checkout", person)  # a person quoting the marker
    add_issue_note(first, "see " + marker("checkout"), bot, created_at=recent)  # not at the start
    note(first, "checkout", at=PERIOD_START - timedelta(hours=1))  # before the period
    note(first, "checkout", at=PERIOD_START + timedelta(hours=1))  # the period's first day
    note(first, "checkout", at=NOW + timedelta(days=1))  # after --now
    shop = world.project("group/shop")
    change = shop.merge_request(title="A change", author_username="deploybot")
    shop.note(
        change.iid, marker("checkout") + "\non a merge request", "deploybot", created_at=recent
    )

    document = run_report(gitlab_config(tmp_path), gitlab_env(fake_gitlab))

    assert overrides_of(document) == {"checkout": 4, "search": 1}
    assert len(fake_gitlab.requests_to("/events", method="GET")) == 1


def test_gitlab_every_page_of_comment_events_is_read(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    gitlab_year(fake_gitlab)
    world = fake_gitlab.world
    issue = min(world.project("group/incidents").issues.values(), key=lambda i: i.iid)
    comments = 230
    for number in range(comments):
        body = f"a person's comment {number}"
        if number % 50 == 0:
            body = marker("checkout") + f"\n[The run]({RUN}/{number})\n"
        add_issue_note(issue, body, world.user("deploybot"), created_at=NOW - timedelta(days=5))
    fake_gitlab.omit_totals = True

    document = run_report(gitlab_config(tmp_path), gitlab_env(fake_gitlab))

    assert overrides_of(document)["checkout"] == 5
    pages = fake_gitlab.requests_to("/events", method="GET")
    assert len(pages) == math.ceil(comments / 100)


def test_gitlab_a_token_gitlab_rejects_fails_the_report_with_exit_3(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
) -> None:
    gitlab_year(fake_gitlab)
    fake_gitlab.faults.add("/events", status=403)
    result = run_cli(
        "report",
        "--config",
        str(gitlab_config(tmp_path)),
        "--now",
        NOW.isoformat(),
        env=gitlab_env(fake_gitlab),
    )
    assert result.exit_code == 3
    [line] = result.stderr.splitlines()
    assert line.startswith("deploygate: error: source 'gitlab' failed:")
    assert "the comment events of group/incidents" in line
    assert GITLAB_TOKEN not in result.output


# -- the local store ---------------------------------------------------------------------------

LOCAL_NOW = "2026-11-20T12:00:00Z"


@pytest.fixture
def quickstart(tmp_path: Path) -> Path:
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", tmp_path / "q")
    return tmp_path / "q" / "deploygate.toml"


def local_check(config: Path, *args: str, env: dict[str, str] | None = None):
    return run_cli(
        "check", "--config", str(config), "--service", "checkout", "--now", LOCAL_NOW,
        "--format", "json", *args,
        env={"GITHUB_ACTIONS": "", "GITLAB_CI": "", **(env or {})},
    )  # fmt: skip


def test_local_an_override_is_logged_beside_the_history_only_when_it_overrides(
    quickstart: Path,
) -> None:
    log = quickstart.parent / "overrides.jsonl"
    assert overrides_path(quickstart.parent / "deployments.jsonl") == log
    blocked = local_check(quickstart)
    assert json_report(blocked.stdout)["verdict"] == "block"
    assert not log.exists()

    env = {"GITLAB_CI": "true", "CI_JOB_URL": RUN}
    result = local_check(quickstart, "--environment", "production", "--override", REASON, env=env)

    assert json_report(result.stdout)["verdict"] == "override"
    assert result.exit_code == 0
    assert "deploygate: override logged in " in result.stderr
    [line] = log.read_text().splitlines()
    assert json.loads(line) == {
        "service": "checkout",
        "environment": "production",
        "created_at": LOCAL_NOW,
        "reason": REASON,
        "run_url": RUN,
    }
    passing = run_cli(
        "check", "--config", str(quickstart), "--service", "nobody", "--now", LOCAL_NOW,
        "--override", "just in case",
    )  # fmt: skip
    assert passing.exit_code == 0
    assert len(log.read_text().splitlines()) == 1  # a passing deploy overrode nothing


def test_local_report_counts_the_logged_overrides_per_service_in_the_period(
    quickstart: Path,
) -> None:
    log = OverrideLog(quickstart.parent / "overrides.jsonl")
    for service, days_ago in [("checkout", 1), ("checkout", 89), ("search", 10),
                              ("checkout", 91), ("checkout", -1), ("elsewhere", 1)]:  # fmt: skip
        log.record(
            service=service, environment=None, created_at=NOW - timedelta(days=days_ago),
            reason="hotfix", run_url=None,
        )  # fmt: skip
    result = run_cli("report", "--config", str(quickstart), "--now", LOCAL_NOW, "--format", "json")
    assert result.exit_code == 0, result.output
    document = loop_report(result.stdout)
    assert overrides_of(document) == {"checkout": 2, "search": 1}
    assert document["overrides"] == 3


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("{not json", "not valid JSON"),
        ('["a list"]', "not a JSON object"),
        ('{"service":"checkout","created_at":"yesterday","reason":"x"}', "created_at:"),
        ('{"service":"checkout","created_at":"2026-11-19T00:00:00Z"}', "reason: is missing"),
        ('{"service":"checkout","created_at":"2026-11-19T00:00:00Z","reason":"x","who":"y"}',
         "who: unknown field"),
    ],
)  # fmt: skip
def test_local_a_malformed_override_line_is_one_error_naming_file_and_line(
    quickstart: Path, line: str, problem: str
) -> None:
    log = quickstart.parent / "overrides.jsonl"
    good = '{"service":"search","created_at":"2026-11-19T00:00:00Z","reason":"ok"}'
    log.write_text(f"{good}\n\n{line}\n")
    result = run_cli("report", "--config", str(quickstart), "--now", LOCAL_NOW)
    assert result.exit_code == 2
    [message] = result.stderr.splitlines()
    assert message.startswith(f"deploygate: error: {log}:3: ")
    assert problem in message


def test_local_overrides_logged_by_several_processes_at_once_lose_nothing(
    quickstart: Path,
) -> None:
    script = str(Path(sys.executable).parent / "deploygate")
    writers = [
        subprocess.Popen(
            [
                script,
                "check",
                "--config",
                str(quickstart),
                "--service",
                "checkout",
                "--now",
                LOCAL_NOW,
                "--override",
                f"writer {n}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env={"PATH": "/usr/bin:/bin", "HOME": str(quickstart.parent)},
        )
        for n in range(8)
    ]
    errors = [writer.communicate()[1] for writer in writers]
    assert [writer.returncode for writer in writers] == [0] * 8, errors
    lines = (quickstart.parent / "overrides.jsonl").read_text().splitlines()
    assert sorted(json.loads(line)["reason"] for line in lines) == sorted(
        f"writer {n}" for n in range(8)
    )


# -- help --------------------------------------------------------------------------------------


def test_the_help_says_exit_3_is_also_a_report_that_could_not_be_published() -> None:
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "3  could not decide: a source failed (0 with --on-error warn)," in result.stdout
    assert "or --publish could not publish" in result.stdout
