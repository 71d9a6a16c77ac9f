"""Case 13: token canaries. No token, in any spelling, leaves deploygate.

Input: unique canary values in GITHUB_TOKEN, GITLAB_TOKEN and CI_JOB_TOKEN (with
'/', '+', '=' and '"' so that the URL-encoded and JSON-escaped spellings
differ from the raw one), on every run of this suite: every test module checks
stdout, stderr, the job summary, GITHUB_OUTPUT, every ``--output`` report and
the request lines and bodies the fakes received (helpers.assert_no_leak,
helpers.leaks). This module adds the paths the others do not take: ``--debug``
on a bug, servers that echo the token back in errors, and a token pasted into
the data itself.

Expected: no canary, raw, URL-encoded, JSON-escaped or base64 (at any
alignment), anywhere but in the Authorization/PRIVATE-TOKEN header of its own
backend; CI_JOB_TOKEN is never sent at all.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from reliability.helpers import (
    CANARIES,
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    assert_internal_error,
    assert_no_leak,
    canary_forms,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    leaks,
    plant_bug,
    small_github,
    small_gitlab,
)


def test_the_canary_search_finds_every_spelling() -> None:
    """The checker itself: each spelling of each canary is found, inside other text too."""
    for name, secret in CANARIES.items():
        forms = canary_forms(secret)
        assert len(forms) >= 6
        for form in forms:
            assert leaks(f"prefix {form} suffix") != [], (name, form)
    assert leaks("nothing to see") == []


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
@pytest.mark.parametrize("backend", ["github", "gitlab"])
def test_debug_on_a_bug_prints_no_token(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    debug: bool,
) -> None:
    """An internal error (exit 4) whose message holds every token in several spellings:
    the traceback (--debug) or the one line, and every file, carry no canary."""
    plant_bug(monkeypatch, CANARIES.values())
    fake: FakeGitHub | FakeGitLab
    if backend == "github":
        fake = fake_github
        small_github(fake)
        config = github_config(tmp_path, graphql_url=fake.graphql_url)
        run = check(tmp_path, config, github_env(fake), debug=debug)
    else:
        fake = fake_gitlab
        small_gitlab(fake)
        run = check(tmp_path, gitlab_config(tmp_path, url=fake.url), gitlab_env(), debug=debug)
    assert_internal_error(run, debug=debug)
    assert_no_leak(run, fake)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


ECHOES = [
    # (id, the text a server echoes)
    ("raw", lambda t: f"Bad credentials: bearer {t}"),
    ("url-encoded", lambda t: f"GET /x?access_token={quote(t, safe='')}"),
    ("url-path", lambda t: f"GET /tokens/{quote(t)}/revoke"),
    ("json-escaped", lambda t: f"got {json.dumps({'token': t})}"),
    ("base64", lambda t: f"Basic {_b64(t)}"),
    # Basic auth puts the token 4, 15 and 11 bytes in: each of base64's three alignments.
    ("basic-auth", lambda t: f"Authorization: Basic {_b64('git:' + t)}"),
    ("basic-auth-x-access-token", lambda t: f"Authorization: Basic {_b64('x-access-token:' + t)}"),
    ("basic-auth-email", lambda t: f"Authorization: Basic {_b64('me@acme.io:' + t)}"),
]


@pytest.mark.parametrize("status", [200, 403])
@pytest.mark.parametrize("echo", [pytest.param(make, id=name) for name, make in ECHOES])
def test_github_echoing_the_token_in_an_error_it_shows(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    status: int,
    echo: Callable[[str], str],
) -> None:
    """GitHub answers a GraphQL error (200) or a 403 whose message, which deploygate shows,
    quotes the token in one spelling: the shown message has *** in its place."""
    small_github(fake_github)
    message = echo(GITHUB_TOKEN)
    body = {"errors": [{"message": message}]} if status == 200 else {"message": message}
    fake_github.faults.add("/graphql", status=status, body=body, times=None)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github), debug=True)
    assert run.exit_code == 3, run.output
    assert "***" in run.stdout  # in the NOT VERIFIED annotation, the one place it is shown
    assert_no_leak(run, fake_github)


@pytest.mark.parametrize("status", [401, 502])
@pytest.mark.usefixtures("fake_clock")  # the retries of the 5xx wait on virtual time
def test_github_errors_it_does_not_show_carry_no_token(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    status: int,
) -> None:
    """A 401 or 502 whose body quotes the token in every spelling: nothing of it shown."""
    small_github(fake_github)
    echo = " | ".join(make(GITHUB_TOKEN) for _name, make in ECHOES)
    fake_github.faults.add("/graphql", status=status, body={"message": echo}, times=None)
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    run = check(tmp_path, config, github_env(fake_github), debug=True)
    assert run.exit_code == 3, run.output
    assert_no_leak(run, fake_github)


@pytest.mark.parametrize("status", [401, 403, 404, 500])
@pytest.mark.usefixtures("fake_clock")  # the retries of the 5xx wait on virtual time
def test_gitlab_echoing_the_token_in_its_errors(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    status: int,
) -> None:
    """GitLab answers errors whose bodies quote the PRIVATE-TOKEN header: nothing of it shown."""
    small_gitlab(fake_gitlab)
    echo = " | ".join(make(GITLAB_TOKEN) for _name, make in ECHOES)
    fake_gitlab.faults.add(None, status=status, body={"message": echo}, times=None)
    run = check(tmp_path, gitlab_config(tmp_path, url=fake_gitlab.url), gitlab_env())
    assert run.exit_code == 3, run.output
    assert_no_leak(run, fake_gitlab)


@pytest.mark.parametrize("backend", ["github", "gitlab"])
def test_a_token_pasted_into_the_data_is_not_repeated(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    backend: str,
) -> None:
    """An action item titled 'token was <own token>' on the backend's own data: it is shown
    with the token taken out, in the outputs and in the PR comment (GitHub) or MR note."""
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    fake: FakeGitHub | FakeGitLab
    if backend == "github":
        fake = fake_github
        small_github(fake, item_title=f"token was {GITHUB_TOKEN}")
        fake.world.repo("acme/shop").pull_request(number=7)
        config = github_config(tmp_path, graphql_url=fake.graphql_url)
        env = github_env(fake, GITHUB_EVENT_NAME="pull_request", GITHUB_EVENT_PATH=str(event))
        run = check(tmp_path, config, env, "--comment")
        sent = fake.world.repo("acme/shop").comments(7)[0].body
    else:
        fake = fake_gitlab
        small_gitlab(fake, item_title=f"token was {GITLAB_TOKEN}")
        fake.world.project("group/shop").merge_request(iid=12)
        env = gitlab_env() | dict(fake.ci_env(CANARIES["CI_JOB_TOKEN"], "group/shop"))
        config = gitlab_config(tmp_path, url=fake.url)
        run = check(tmp_path, config, env | {"CI_MERGE_REQUEST_IID": "12"}, "--comment")
        sent = fake.world.project("group/shop").notes_of(12)[0].body
    assert run.exit_code == 1, run.output
    assert "token was" in run.stdout
    assert leaks(sent) == []
    assert_no_leak(run, fake)


def test_a_token_from_gh_pasted_into_the_data_is_not_repeated(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On a laptop the GitHub token comes from ``gh auth token``, not the environment; pasted
    into an action item, it is taken out of every output all the same."""
    tools = tmp_path / "tools"
    tools.mkdir()
    gh = tools / "gh"
    assert "'" not in GITHUB_TOKEN
    gh.write_text(f"#!/bin/sh\nprintf '%s\\n' '{GITHUB_TOKEN}'\n", encoding="utf-8")
    gh.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    small_github(fake_github, item_title=f"token was {GITHUB_TOKEN}")
    config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
    env = github_env(fake_github, GITHUB_TOKEN=None, CI=None)
    run = check(tmp_path, config, env, actions=False)
    assert run.exit_code == 1, run.output
    assert fake_github.requests, "the source read GitHub with gh's token"
    assert "token was" in run.stdout
    assert_no_leak(run, fake_github)
