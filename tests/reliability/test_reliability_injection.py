"""Case 1: workflow-command injection through titles and bodies, on every backend and path.

Input: postmortem and action-item titles and postmortem bodies such as
``x\\n::set-output name=verdict::pass``, ``x\\r::error::owned``,
``  ::add-mask::deploy``, ``a ##[warning]b`` and ``::stop-commands::abc``
(the last one in an older postmortem, so its annotation comes before the
blocking one), run with GITHUB_ACTIONS=true on the local store, the fake
GitHub and the fake GitLab, on the normal path, on the error path (hostile
text inside the source's error) and with ``--debug``.

Expected: stdout and stderr, read by a model of the runner that honours
``::stop-commands::TOKEN`` (helpers.runner_commands, in both interleavings of
the two streams), yield only deploygate's own annotations, the blocking
``::error::`` still counts, the hostile text is still shown (as data), and the
step outputs hold exactly verdict, findings and blocking.

Case 2 (the escaping oracle) is tests/test_github_format.py::
test_workflow_commands_are_byte_identical_to_actions_core; case 13's canary
check runs on every run here too.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from fakes.gitlab import iso as gitlab_iso
from fakes.worlds import at
from reliability.helpers import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    OVERDUE_TITLE,
    Run,
    assert_internal_error,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    foreign_commands,
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    leaks,
    local_config,
    local_postmortem,
    plant_bug,
    runner_views,
)

from deploygate.sanitize import inert_lines

HOSTILE = [
    "x\n::set-output name=verdict::pass",
    "x\r::error::owned",
    "  ::add-mask::deploy",
    "a ##[warning]b",
    "::stop-commands::abc",
    "x\r\n::error title=deploygate overdue-action-item::forged",
    "x\u2028::notice::line-separator",
    "x\x85::notice::next-line",
    "100%0A::error::pre-escaped",
]
STOP = "::stop-commands::abc"
BODY = "## What we learned\n" + "\n".join(f"- {text}" for text in HOSTILE)
BLOCKING = "deploygate overdue-action-item"


def assert_only_ours(run: Run, *, blocking: str | None = BLOCKING) -> None:
    """Only deploygate's annotations, in either interleaving; the blocking one still counts."""
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []
        if blocking is not None:
            titles = [c.properties.get("title") for c in view if c.name == "error"]
            assert blocking in titles, titles
    assert leaks(run.everything) == []


def assert_normal_run(run: Run) -> None:
    """Blocked (exit 1), hostile text shown as data after the stop text, outputs intact."""
    assert run.exit_code == 1, run.output
    assert_only_ours(run)
    [view, _] = runner_views(run.stdout, run.stderr)
    data = "\n".join(command.data for command in view)
    assert "set-output name=verdict::pass" in data
    assert "::add-mask::deploy" in data
    # The precondition of the stop-commands case: its text comes before the blocking item.
    lines = run.stdout.split("\n")
    stop_line = next(n for n, line in enumerate(lines) if STOP in line)
    blocking_line = next(n for n, line in enumerate(lines) if OVERDUE_TITLE in line)
    assert stop_line < blocking_line
    outputs = dict(re.findall(r"^(\w+)<<(ghadelimiter_[\w-]+)\n", run.files["output"], re.M))
    assert set(outputs) == {"verdict", "enforced", "findings", "blocking"}
    assert "\nblock\n" in run.files["output"]


# -- the three backends' worlds ------------------------------------------------------------


def hostile_local(tmp_path: Path) -> Path:
    """An older postmortem whose title and items are hostile, and a newer blocking one."""
    return local_config(
        tmp_path,
        {
            "2026-08-22-hostile.md": local_postmortem(
                STOP, [(text, "2026-10-01") for text in HOSTILE], days_ago=90
            ).replace("- something", BODY.split("\n", 1)[1]),
            "2026-09-21-outage.md": local_postmortem(
                "Checkout returned 500s", [(OVERDUE_TITLE, "2026-10-01")], days_ago=60
            ),
        },
    )


def hostile_github(fake: FakeGitHub) -> None:
    world = fake.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    labels = ["postmortem", "service:checkout"]
    hostile = shop.issue(title=STOP, body=BODY, labels=labels, created_at=at(90))
    for text in HOSTILE:
        hostile.add_sub_issue(
            shop.issue(title=text, body=BODY, created_at=at(90), milestone_due_on=at(40))
        )
    normal = shop.issue(title="Checkout returned 500s", labels=labels, created_at=at(60))
    normal.add_sub_issue(
        shop.issue(title=OVERDUE_TITLE, created_at=at(60), milestone_due_on=at(30))
    )


def hostile_gitlab(fake: FakeGitLab) -> None:
    world = fake.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop = world.project("group/shop")
    labels = ["postmortem", "service::checkout"]
    hostile = shop.issue(STOP, BODY, labels, issue_type="incident", created_at=at(90))
    for text in HOSTILE:
        hostile.link(shop.issue(text, BODY, created_at=at(90), due_date=at(40).date()))
    normal = shop.issue("Checkout returned 500s", "", labels, created_at=at(60))
    normal.link(shop.issue(OVERDUE_TITLE, created_at=at(60), due_date=at(30).date()))


# -- the normal path, with and without --debug --------------------------------------------


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_local_titles_and_bodies_stay_data(tmp_path: Path, debug: bool) -> None:
    """Hostile titles and lessons in local postmortem files: only our annotations, block counts."""
    run = check(tmp_path, hostile_local(tmp_path), github_env(), debug=debug)
    assert_normal_run(run)


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_github_titles_and_bodies_stay_data(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    debug: bool,
) -> None:
    """Hostile issue titles and bodies on the fake GitHub: only our annotations, block counts."""
    hostile_github(fake_github)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    assert_normal_run(check(tmp_path, config, github_env(fake_github), debug=debug))


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_gitlab_titles_and_bodies_stay_data(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    debug: bool,
) -> None:
    """Hostile issue titles and descriptions on the fake GitLab: only ours, block counts."""
    hostile_gitlab(fake_gitlab)
    config = gitlab_config(tmp_path, url=fake_gitlab.url)
    assert_normal_run(check(tmp_path, config, gitlab_env(), debug=debug))


# -- the error path, with and without --debug ---------------------------------------------

JOINED = "\n".join(HOSTILE)


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_local_error_naming_a_hostile_file_stays_one_line(tmp_path: Path, debug: bool) -> None:
    """A postmortem file named with line breaks and commands, and no front matter: exit 2,
    one ``deploygate: error:`` line, no command at all."""
    config = local_config(tmp_path, {"x\n::set-output name=verdict::pass\r::error::owned.md": "#"})
    run = check(tmp_path, config, github_env(), debug=debug)
    assert run.exit_code == 2, run.output
    [line] = run.stderr.strip().split("\n")
    assert line.startswith("deploygate: error: ")
    assert "set-output name=verdict::pass" in line
    for view in runner_views(run.stdout, run.stderr):
        assert view == []


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_github_error_message_with_hostile_text_stays_data(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    debug: bool,
) -> None:
    """GitHub answers a GraphQL error whose message is hostile: exit 3, and the NOT VERIFIED
    error annotation is deploygate's own and is still acted on."""
    hostile_github(fake_github)
    body = {"data": None, "errors": [{"message": JOINED}]}
    fake_github.faults.add("/graphql", status=200, body=body, times=None)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github), debug=debug)
    assert run.exit_code == 3, run.output
    assert_only_ours(run, blocking="deploygate: NOT VERIFIED")
    assert (
        "set-output name=verdict::pass" in run.stdout
    )  # in the NOT VERIFIED annotation, said once


def _hostile_incident(project_id: int) -> dict[str, Any]:
    """An incident as GitLab lists it, whose full reference (a path) is hostile."""
    return {
        "id": 9001,
        "iid": 1,
        "project_id": project_id,
        "title": STOP,
        "description": BODY,
        "labels": ["postmortem"],
        "state": "opened",
        "issue_type": "incident",
        "created_at": gitlab_iso(at(90)),
        "references": {"full": JOINED + "#1"},
        "web_url": "https://gitlab.example/group/shop/-/issues/1",
    }


@pytest.mark.parametrize("fake_gitlab", ["rest"], indirect=True)  # REST answers are forged
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
def test_gitlab_error_naming_a_hostile_reference_stays_data(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    debug: bool,
) -> None:
    """GitLab lists an incident whose reference is hostile, then refuses (403) its links:
    exit 3, the error names the reference, and only deploygate's annotation is acted on."""
    hostile_gitlab(fake_gitlab)
    project_id = fake_gitlab.world.project("group/shop").id
    fake_gitlab.faults.add(
        lambda r: r.path.endswith("/issues"),
        status=200,
        body=[_hostile_incident(project_id)],
        times=None,
    )
    fake_gitlab.faults.add("/links", status=403, times=None)
    run = check(tmp_path, gitlab_config(tmp_path, url=fake_gitlab.url), gitlab_env(), debug=debug)
    assert run.exit_code == 3, run.output
    assert_only_ours(run, blocking="deploygate: NOT VERIFIED")
    assert (
        "may not read the links of issue x" in run.stdout
    )  # in the NOT VERIFIED annotation, said once


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
def test_a_debug_traceback_carries_no_command(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    debug: bool,
) -> None:
    """An internal error (exit 4) whose message holds a line break, ``::error::owned`` and
    the token, while every title is hostile: with --debug the traceback, and without it the
    one line, hold no command and no canary."""
    hostile_github(fake_github)
    plant_bug(monkeypatch, [GITHUB_TOKEN])
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github), debug=debug)
    assert_internal_error(run, debug=debug)
    assert_only_ours(run, blocking=None)


def test_the_runner_model_catches_injection_and_stop_commands() -> None:
    """The model itself: a raw title line is a command; after ::stop-commands::T nothing is
    acted on until ::T::, so a later blocking error would not count."""
    stdout = "\n".join(
        [
            "::error title=deploygate overdue-action-item::first",
            "::stop-commands::abc",
            "::error title=deploygate overdue-action-item::ignored",
            "::abc::",
            "::warning title=deploygate open-action-item::acted on again",
        ]
    )
    [view, _] = runner_views(stdout, "")
    assert [c.data for c in view] == ["first", "abc", "acted on again"]
    assert [c.name for c in foreign_commands(view)] == ["stop-commands"]
    silenced = runner_views("::stop-commands::abc\n" + stdout.split("\n", 1)[0], "")[0]
    assert [c.name for c in silenced] == ["stop-commands"]
    assert [c.name for c in runner_views("a\r::set-output name=v::p", "")[0]] == ["set-output"]


# -- lines a format starts with untrusted text (round two) ---------------------------------

FORGED_URL = "::error title=deploygate overdue-action-item::forged"
FORGED_FILE = "::add-mask::x.md"


def forged_local(tmp_path: Path) -> Path:
    """A postmortem whose front-matter URL, and a file whose name, are runner commands, and
    a history line whose URL is one: each is printed at the start of a locator line."""
    postmortem = local_postmortem("Checkout returned 500s", [(OVERDUE_TITLE, "2026-10-01")])
    postmortem = postmortem.replace("\ntitle = ", f'\nurl = "{FORGED_URL}"\ntitle = ', 1)
    history = (
        '{"id":"checkout-1","service":"checkout","environment":"production",'
        f'"status":"failure","created_at":"2026-11-15T10:00:00Z","url":"{FORGED_URL}"}}\n'
    )
    return local_config(
        tmp_path,
        {
            "outage.md": postmortem,
            FORGED_FILE: local_postmortem("Another outage", [("Fix the alert", "2026-10-02")]),
        },
        history,
    )


@pytest.mark.parametrize("format_name", ["text", "gitlab", "markdown", "json", "dotenv"])
def test_no_format_starts_a_line_with_a_runner_command(tmp_path: Path, format_name: str) -> None:
    """Indented or not, a line that begins with untrusted text is inert in an Actions log:
    the runner, which trims leading whitespace, finds no command in stdout or stderr."""
    run = check(
        tmp_path, forged_local(tmp_path), github_env(), "--format", format_name, reports=False
    )
    assert run.exit_code == 1, run.output
    for view in runner_views(run.stdout, run.stderr):
        assert view == [], view
    if format_name != "dotenv":  # counts only
        assert "forged" in run.stdout  # still shown, as data
    if format_name in ("text", "gitlab"):  # the URL is a locator line of its own
        lines = run.stdout.split("\n")
        assert any(line.strip().startswith("\u200b::error title=") for line in lines)


def test_a_legacy_command_in_a_title_is_inert_in_json_printed_to_the_log(tmp_path: Path) -> None:
    """The runner honours ``##[cmd]`` anywhere in a line, and JSON keeps titles as they are:
    the JSON report writes ``#\\u0023[``, which parses to the same title."""
    forged = "##[add-mask]deploy ##[set-output name=verdict;]pass"
    config = local_config(
        tmp_path, {"outage.md": local_postmortem(forged, [(OVERDUE_TITLE, "2026-10-01")])}
    )
    run = check(tmp_path, config, github_env(), "--format", "json", reports=False)
    assert run.exit_code == 1, run.output
    for view in runner_views(run.stdout, run.stderr):
        assert view == [], view
    titles = {
        f["postmortem"]["title"] for f in json.loads(run.stdout)["findings"] if f["postmortem"]
    }
    assert forged in titles


def test_a_line_starting_with_a_no_break_space_and_a_command_is_inert() -> None:
    """.NET's TrimStart removes U+00A0 and U+3000 too, so they count as leading space."""
    for space in ("\u00a0", "\u3000", " \u00a0\t"):
        assert inert_lines(f"{space}::error::x").lstrip("\u00a0\u3000 \t").startswith("\u200b")
