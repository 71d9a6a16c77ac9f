"""The config file: ``deploygate config`` and ``deploygate check`` judge every file alike.

``config`` validates each selected backend's table exactly as ``check``
does before it reads anything, so a file that ``check`` rejects with exit 2
is rejected by ``config`` with the same line.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from deploygate.config import parse
from deploygate.errors import ConfigError
from deploygate.sources import REGISTRY

# No token anywhere: a file's mistakes must be found before any credential is looked for.
ENV = {
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_TOKEN": "",
    "GITLAB_TOKEN": "",
    "JIRA_API_TOKEN": "",
    "CI_PROJECT_PATH": "",
    "CI": "true",
}

REJECTED = {
    "jira without a site": ('source = ["local", "jira"]\n[jira]\nprojects = ["OPS"]\n', 2),
    "jira without projects": (
        'source = ["local", "jira"]\n[jira]\nurl = "https://acme.atlassian.net"\n',
        2,
    ),
    "jira site with credentials": (
        'source = ["local", "jira"]\n[jira]\nurl = "https://me:pw@acme.atlassian.net"\n'
        'projects = ["OPS"]\n',
        3,
    ),
    "a workflow that is no workflow file": (
        'source = "github"\n[services.checkout]\nworkflow = "deploy.sh"\n',
        3,
    ),
    "a missing postmortem folder": ('[local]\npostmortems = "nowhere"\n', 2),
}


def run(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = run_cli(*args, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_config_rejects_what_check_rejects_with_the_same_line(tmp_path: Path, case: str) -> None:
    text, line = REJECTED[case]
    path = tmp_path / "deploygate.toml"
    path.write_text(text)
    checked = run("check", "--config", str(path), "--service", "checkout", env=ENV)
    explained = run("config", "--config", str(path), env=ENV)
    assert checked[0] == explained[0] == 2
    assert checked[1] == explained[1] == ""
    assert checked[2] == explained[2]
    assert explained[2].startswith(f"deploygate: error: {path}:{line}: ")
    assert explained[2].count("\n") == 1


def test_config_and_check_agree_on_a_missing_repository(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text('source = "github"\n')
    env = {**ENV, "GITHUB_REPOSITORY": ""}
    checked = run("check", "--config", str(path), "--service", "checkout", env=env)
    explained = run("config", "--config", str(path), env=env)
    assert checked[0] == explained[0] == 2
    assert checked[2] == explained[2]
    assert "--repo: no GitHub repository" in explained[2]
    assert run("config", "--config", str(path), "--repo", "acme/shop", env=env)[0] == 0


def test_a_valid_file_explains_each_selected_backend(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text(
        'source = ["github", "jira"]\n[jira]\nurl = "https://acme.atlassian.net/"\n'
        'projects = ["OPS"]\n'
    )
    code, shown, _ = run("config", "--config", str(path), env=ENV)
    assert code == 0, shown
    assert "repository:     acme/shop" in shown
    assert "jira site:      https://acme.atlassian.net" in shown
    assert "postmortems:" not in shown  # the local source is not selected
    assert shown.rstrip().endswith("The configuration is valid.")


def test_every_backend_table_is_read_by_the_one_reader(tmp_path: Path) -> None:
    """Each registered table rejects an unknown key with a hint, at its line."""
    for line, name in enumerate(REGISTRY, start=2):
        text = "\n" * (line - 2) + f"[{name}]\nno-such-key = 1\n"
        with pytest.raises(
            ConfigError, match=rf"^{tmp_path}/deploygate.toml:{line}: {name}.no-such-key"
        ):
            parse(text, tmp_path / "deploygate.toml", REGISTRY)
