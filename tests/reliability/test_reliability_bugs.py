"""A bug inside a source is exit 4 with its traceback under --debug, never exit 3.

Exit 3 says "a source failed, so the gate could not decide": the server's
answer was malformed, or the server could not be reached. An exception that
deploygate itself raised while reading or mapping a well-formed answer is a
bug (exit 4), even when its type (TypeError, KeyError) is one that malformed
data could raise too: the sources check each answer as they read it, and
catch nothing wider (test_reliability_malformed.py keeps a malformed answer
at exit 3, naming the record and the field).

Input: the fakes' healthy worlds, with one step of the GitHub or GitLab
source replaced by one that raises: in the thread that reads the deployments
beside the postmortems, and in the main thread. The trackers' case (Jira,
incident.io, Rootly, Linear) is
test_reliability_trackers.py::test_a_bug_in_the_source_is_exit_4.

Expected: exit 4, also under ``--on-error warn`` (a bug is never NOT
VERIFIED); without --debug one line and no traceback, with it the traceback
through the source's own frames; no canary anywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from reliability.helpers import (
    CANARIES,
    Run,
    assert_internal_error,
    assert_no_leak,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    plant_bug,
    small_github,
    small_gitlab,
)

GITHUB = "deploygate.sources.github.source"
GITLAB = "deploygate.sources.gitlab.source"
PATIENT = "60s"
"""These runs are about a bug, not time: a busy machine must not turn one into a timeout."""
STEPS = [
    # (id, the step that raises, its error)
    ("github-deployment-in-the-pool", "github", f"{GITHUB}._deployment", TypeError),
    ("github-postmortem", "github", f"{GITHUB}._postmortem", KeyError),
    ("gitlab-deployment-in-the-pool", "gitlab", f"{GITLAB}.deployment", TypeError),
    ("gitlab-labels", "gitlab", f"{GITLAB}.service_labels", KeyError),
]


def run_with_bug(
    fakes: tuple[FakeGitHub, FakeGitLab],
    tmp_path: Path,
    backend: str,
    *args: str,
    debug: bool,
) -> tuple[Run, FakeGitHub | FakeGitLab]:
    github, gitlab = fakes
    if backend == "github":
        small_github(github)
        config = github_config(tmp_path, graphql_url=github.graphql_url, deadline=PATIENT)
        return check(tmp_path, config, github_env(github), *args, debug=debug), github
    small_gitlab(gitlab)
    config = gitlab_config(tmp_path, url=gitlab.url, deadline=PATIENT)
    return check(tmp_path, config, gitlab_env(), *args, debug=debug), gitlab


@pytest.mark.parametrize("debug", [True, False], ids=["debug", "no-debug"])
@pytest.mark.parametrize(
    ("backend", "target", "error"), [pytest.param(*step[1:], id=step[0]) for step in STEPS]
)
def test_a_bug_inside_a_source_is_exit_4(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    target: str,
    error: type[Exception],
    debug: bool,
) -> None:
    """Exit 4 and the one-line internal error; with --debug the traceback, which passes
    through the source (from the worker thread too), and no token anywhere."""
    plant_bug(monkeypatch, CANARIES.values(), target=target, error=error)
    run, fake = run_with_bug((fake_github, fake_gitlab), tmp_path, backend, debug=debug)
    assert_internal_error(run, debug=debug, error=error)
    if debug:
        assert f"deploygate/sources/{backend}/source.py" in run.stderr, run.stderr
    assert_no_leak(run, fake)


@pytest.mark.parametrize(
    ("backend", "target", "error"), [pytest.param(*step[1:], id=step[0]) for step in STEPS]
)
def test_a_bug_inside_a_source_is_exit_4_under_on_error_warn(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    backend: str,
    target: str,
    error: type[Exception],
) -> None:
    """--on-error warn lets a failed source pass as NOT VERIFIED; a bug is not a failed
    source, so it stays exit 4, and no report claims a verdict."""
    plant_bug(monkeypatch, CANARIES.values(), target=target, error=error)
    fakes = (fake_github, fake_gitlab)
    run, fake = run_with_bug(fakes, tmp_path, backend, "--on-error", "warn", debug=False)
    assert_internal_error(run, debug=False, error=error)
    assert "NOT VERIFIED" not in run.output
    assert "report.json" not in run.files or not run.files["report.json"]
    assert_no_leak(run, fake)
