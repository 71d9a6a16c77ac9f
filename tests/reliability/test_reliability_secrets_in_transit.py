"""Round two, cases 1 and 2: a token pasted with its line end, and credentials in a URL.

Input: the canary tokens with a trailing newline or spaces (as pasted into a
CI variable), with whitespace or a control character inside, and
``user:PASSWORD@`` in each URL deploygate reads from the environment or the
config.

Expected: a token is stripped of its surrounding whitespace and then works;
one with whitespace or a control character inside is refused at once (exit
2, one line naming the variable, no request sent); a URL with credentials
is refused with exit 2 naming the variable or the file:line of the key. No
token and no password reaches any output, in any spelling.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from reliability.helpers import (
    GITHUB_TOKEN,
    GITLAB_TOKEN,
    OVERDUE_TITLE,
    assert_no_leak,
    check,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    small_github,
    small_gitlab,
)

PASSWORD = "Pw-canary-4f1e9c"
"""A canary: searched for in every output."""


@pytest.mark.parametrize("padding", ["\n", "\r\n", "  ", "\t\n "], ids=repr)
@pytest.mark.parametrize("backend", ["github", "gitlab"])
def test_a_token_pasted_with_its_line_end_is_stripped_and_works(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    backend: str,
    padding: str,
) -> None:
    """The check reads the source with the stripped token and blocks on its overdue item."""
    if backend == "github":
        small_github(fake_github)
        config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
        run = check(tmp_path, config, github_env(GITHUB_TOKEN=GITHUB_TOKEN + padding))
        fake: FakeGitHub | FakeGitLab = fake_github
    else:
        small_gitlab(fake_gitlab)
        config = gitlab_config(tmp_path, url=fake_gitlab.url)
        run = check(tmp_path, config, gitlab_env(GITLAB_TOKEN=GITLAB_TOKEN + padding))
        fake = fake_gitlab
    assert run.exit_code == 1, run.output
    assert OVERDUE_TITLE in run.stdout
    assert "NOT VERIFIED" not in run.output
    assert_no_leak(run, fake)


@pytest.mark.parametrize("inside", [" ", "\n", "\x1b", "\u200b"], ids=repr)
@pytest.mark.parametrize("backend", ["github", "gitlab"])
def test_a_token_with_whitespace_or_a_control_character_inside_is_refused_at_once(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    backend: str,
    inside: str,
) -> None:
    """Exit 2 naming the variable, before any request: retrying it would only be refused
    again, and the refusal would quote the token."""
    if backend == "github":
        small_github(fake_github)
        config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
        token = GITHUB_TOKEN[:10] + inside + GITHUB_TOKEN[10:]
        run = check(tmp_path, config, github_env(GITHUB_TOKEN=token))
        fake: FakeGitHub | FakeGitLab = fake_github
        variable = "GITHUB_TOKEN"
    else:
        small_gitlab(fake_gitlab)
        config = gitlab_config(tmp_path, url=fake_gitlab.url)
        token = GITLAB_TOKEN[:10] + inside + GITLAB_TOKEN[10:]
        run = check(tmp_path, config, gitlab_env(GITLAB_TOKEN=token))
        fake = fake_gitlab
        variable = "GITLAB_TOKEN"
    assert run.exit_code == 2, run.output
    assert run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"deploygate: error: {variable}: the token holds whitespace")
    assert list(fake.requests) == []
    for part in (token[:10], token[11:]):
        assert part not in run.everything
    assert "Traceback" not in run.output


@pytest.mark.parametrize("variable", ["GITHUB_API_URL", "GITHUB_GRAPHQL_URL", "GITHUB_SERVER_URL"])
def test_credentials_in_a_github_url_from_the_environment_are_refused(
    fake_github: FakeGitHub,  # noqa: F811
    tmp_path: Path,
    variable: str,
) -> None:
    """Exit 2 naming the variable and where the token goes; the password is nowhere."""
    small_github(fake_github)
    config = tmp_path / "deploygate.toml"
    config.write_text('source = "github"\n[services.checkout]\n', encoding="utf-8")
    env = github_env(fake_github)
    url = env.get(variable) or "https://github.example.com"
    env[variable] = url.replace("://", f"://deployer:{PASSWORD}@", 1)
    run = check(tmp_path, config, env)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith(f"deploygate: error: {variable}: the URL holds credentials")
    assert "the token goes in its own variable" in run.stderr
    assert PASSWORD not in run.everything
    assert list(fake_github.requests) == []


@pytest.mark.parametrize("variable", ["CI_SERVER_URL", "CI_API_V4_URL"])
def test_credentials_in_a_gitlab_url_from_the_environment_are_refused(
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    variable: str,
) -> None:
    """The GitLab job's own variables, as a self-managed runner might be given them."""
    small_gitlab(fake_gitlab)
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'source = "gitlab"\n[gitlab]\nproject = "group/shop"\n[services.checkout]\n',
        encoding="utf-8",
    )
    url = fake_gitlab.url.replace("://", f"://deployer:{PASSWORD}@", 1)
    if variable == "CI_API_V4_URL":
        url += "/api/v4"
    run = check(tmp_path, config, gitlab_env(**{variable: url}))
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith(f"deploygate: error: {variable}: the URL holds credentials")
    assert PASSWORD not in run.everything
    assert list(fake_gitlab.requests) == []


@pytest.mark.parametrize(
    ("backend", "key"), [("github", "api-url"), ("github", "graphql-url"), ("gitlab", "url")]
)
def test_credentials_in_a_configured_url_are_refused_at_their_line(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    tmp_path: Path,
    backend: str,
    key: str,
) -> None:
    """The config file's key, with its file and line; ``config`` says the same as check."""
    if backend == "github":
        config = github_config(tmp_path, graphql_url=fake_github.graphql_url)
        env = github_env()
    else:
        config = gitlab_config(tmp_path, url=fake_gitlab.url)
        env = gitlab_env()
    lines = config.read_text("utf-8").splitlines()
    number = next(i for i, line in enumerate(lines, 1) if line.startswith(f"{key} = "))
    lines[number - 1] = lines[number - 1].replace("://", f"://u:{PASSWORD}@", 1)
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    run = check(tmp_path, config, env)
    assert run.exit_code == 2, run.output
    assert run.stderr.startswith(
        f"deploygate: error: {config}:{number}: {backend}.{key}: the URL holds credentials"
    ), run.stderr
    assert PASSWORD not in run.everything
    assert list(fake_github.requests) + list(fake_gitlab.requests) == []
