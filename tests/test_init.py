"""``deploygate init`` in real repositories: each form of git remote, each source, the CI files.

Each test makes a throwaway repository with ``git init`` and ``git remote add``
(nothing is fetched), runs ``init`` there, and then runs what a person would
run next (``config``, ``check``, ``report``) on what it wrote: the setup
must work as written, not merely parse.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT, json_report, run_cli
from test_action import summarize, zizmor
from test_gitlab_component import (
    _REFERENCE,
    COMPONENT,
    GATE,
    SERVER,
    git,
    gitlab_ci_local,  # noqa: F401  # the fixture
    load_component,
    run_pipeline,
)

from deploygate import __version__, ci

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

NO_CI: dict[str, str | None] = dict.fromkeys(
    (
        "GITHUB_ACTIONS",
        "GITLAB_CI",
        "GITHUB_REPOSITORY",
        "GITHUB_API_URL",
        "CI_PROJECT_PATH",
        "CI_PROJECT_ID",
        "CI_SERVER_URL",
        "CI_API_V4_URL",
    )
)
"""A laptop: no CI variable may decide the platform or fill in the repository."""


def repository(path: Path, remote: str | None = None) -> Path:
    """A git repository at ``path``, with ``remote`` as its origin."""
    path.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    if remote:
        subprocess.run(["git", "-C", str(path), "remote", "add", "origin", remote], check=True)
    return path


def init(path: Path, *args: str) -> str:
    """Run ``init`` in ``path`` as on a laptop; its output, after checking it succeeded."""
    result = run_cli("init", *args, env=NO_CI, cwd=path)
    assert result.exit_code == 0, result.output
    return result.stdout


def config_of(path: Path) -> dict[str, object]:
    return tomllib.loads((path / "deploygate.toml").read_text("utf-8"))


def tree(path: Path) -> dict[str, bytes]:
    """Every file under ``path`` but git's, by its relative path, with its bytes."""
    return {
        file.relative_to(path).as_posix(): file.read_bytes()
        for file in sorted(path.rglob("*"))
        if file.is_file() and ".git" not in file.relative_to(path).parts[:1]
    }


# --- the remote ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("remote", "host", "web_url", "path"),
    [
        ("https://github.com/acme/shop.git", "github.com", "https://github.com", "acme/shop"),
        ("git@github.com:acme/shop.git", "github.com", "https://github.com", "acme/shop"),
        ("https://github.example.com/acme/shop", "github.example.com",
         "https://github.example.com", "acme/shop"),
        ("ssh://git@git.example.com:2222/group/sub/shop.git", "git.example.com",
         "https://git.example.com", "group/sub/shop"),
        ("https://oauth2:glpat-SECRET@GitLab.Example.com:8443/group/shop.git/",
         "gitlab.example.com", "https://gitlab.example.com:8443", "group/shop"),
        ("git+ssh://git@gitlab.com/group/sub/shop", "gitlab.com", "https://gitlab.com",
         "group/sub/shop"),
    ],
)  # fmt: skip
def test_a_remote_names_its_host_server_and_path(
    remote: str, host: str, web_url: str, path: str
) -> None:
    assert ci.parse_remote(remote) == ci.Remote(host=host, web_url=web_url, path=path)


@pytest.mark.parametrize(
    "remote",
    [
        "/srv/git/shop.git",  # a local path
        "file:///srv/git/shop.git",
        "../shop",
        "git@github.com:shop.git",  # no owner
        'git@evil"host:acme/shop.git',  # a host that could not be written into a URL
        "https://github.com/acme//shop",
    ],
)
def test_a_remote_that_names_no_forge_repository_is_none(remote: str) -> None:
    assert ci.parse_remote(remote) is None


# --- each form -------------------------------------------------------------------------------


def test_local_without_a_remote_writes_a_store_that_check_and_report_run_on(
    tmp_path: Path,
) -> None:
    project = repository(tmp_path / "shop")
    output = init(project)
    assert "source local, service shop (the local store: no GitHub or GitLab detected)" in output
    for written in ("deploygate.toml", "postmortems/_template.md", ".deploygate/.gitignore"):
        assert f"wrote {written}" in output
    assert config_of(project)["source"] == "local"
    assert config_of(project)["services"] == {"shop": {}}
    assert "Commit them" in (project / ".deploygate" / ".gitignore").read_text("utf-8")

    assert run_cli("config", env=NO_CI, cwd=project).exit_code == 0
    check = run_cli("check", "--service", "shop", "--format", "json", env=NO_CI, cwd=project)
    assert check.exit_code == 0, check.output
    assert [finding["rule"] for finding in json_report(check.stdout)["findings"]] == ["no-evidence"]
    assert run_cli("report", env=NO_CI, cwd=project).exit_code == 0


def test_the_postmortem_template_is_skipped_and_a_copy_of_it_is_read(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop")
    init(project)
    postmortems = project / "postmortems"
    (postmortems / "2026-12-01-outage.md").write_bytes((postmortems / "_template.md").read_bytes())

    check = run_cli("check", "--service", "shop", "--format", "json", env=NO_CI, cwd=project)
    assert check.exit_code == 0, check.output
    report = json_report(check.stdout)
    assert [finding["rule"] for finding in report["findings"]] == ["open-action-item"]
    assert "2026-12-01-outage.md" in check.stdout
    assert "_template.md" not in check.stdout


@pytest.mark.parametrize(
    "remote", ["https://github.com/acme/shop.git", "git@github.com:acme/shop.git"]
)
def test_github_remotes_write_the_repository_that_config_validates(
    tmp_path: Path, remote: str
) -> None:
    project = repository(tmp_path / "checkout", remote)
    output = init(project)
    assert "detected github: git remote origin is on github.com" in output
    written = config_of(project)
    assert written["source"] == "github"
    assert written["github"] == written["github"] | {"repository": "acme/shop"}
    assert "api-url" not in written["github"]  # type: ignore[operator]
    assert written["services"] == {"shop": {}}  # the repository's name, not the folder's
    for no_store in ("postmortems", ".deploygate"):
        assert not (project / no_store).exists()  # GitHub holds postmortems and deployments

    explained = run_cli("config", env=NO_CI, cwd=project)
    assert explained.exit_code == 0, explained.output
    assert re.search(r"^repository:\s+acme/shop$", explained.stdout, re.MULTILINE)
    assert run_cli("config", "--repo", "acme/shop", env=NO_CI, cwd=project).exit_code == 0


def test_github_enterprise_writes_its_api(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop", "https://github.example.com/acme/shop.git")
    output = init(project)
    assert "source github, acme/shop on https://github.example.com, service shop" in output
    github = config_of(project)["github"]
    assert github["repository"] == "acme/shop"  # type: ignore[index]
    assert github["api-url"] == "https://github.example.com/api/v3"  # type: ignore[index]
    assert run_cli("config", env=NO_CI, cwd=project).exit_code == 0


def test_gitlab_with_a_subgroup_writes_the_project_path(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop", "git@gitlab.com:group/sub/shop.git")
    init(project)
    written = config_of(project)
    assert written["source"] == "gitlab"
    assert written["gitlab"]["project"] == "group/sub/shop"  # type: ignore[index]
    assert "url" not in written["gitlab"]  # type: ignore[operator]

    explained = run_cli("config", env=NO_CI, cwd=project)
    assert explained.exit_code == 0, explained.output
    assert re.search(r"^project:\s+group/sub/shop$", explained.stdout, re.MULTILINE)
    assert re.search(r"^gitlab:\s+https://gitlab.com$", explained.stdout, re.MULTILINE)
    assert run_cli("config", "--project", "group/sub/shop", env=NO_CI, cwd=project).exit_code == 0


def test_a_self_managed_host_is_named_by_source_or_told_by_the_repository(tmp_path: Path) -> None:
    remote = "ssh://git@git.example.com:2222/group/sub/shop.git"
    unnamed = repository(tmp_path / "unnamed", remote)
    output = init(unnamed)
    # The host's name says neither GitHub nor GitLab: the local store, and how to choose.
    assert "git remote origin is on git.example.com" in output
    assert "init --source github or gitlab" in output
    assert config_of(unnamed)["source"] == "local"

    named = repository(tmp_path / "named", remote)
    init(named, "--source", "gitlab")
    gitlab = config_of(named)["gitlab"]
    assert gitlab["project"] == "group/sub/shop"  # type: ignore[index]
    assert gitlab["url"] == "https://git.example.com"  # type: ignore[index]  # not the ssh port
    explained = run_cli("config", env=NO_CI, cwd=named)
    assert explained.exit_code == 0, explained.output
    assert "https://git.example.com" in explained.stdout

    told = repository(tmp_path / "told", remote)
    (told / ".gitlab-ci.yml").write_text("test:\n  script: [true]\n", "utf-8")
    assert "detected gitlab: the repository has .gitlab-ci.yml" in init(told)
    assert config_of(told)["gitlab"]["url"] == "https://git.example.com"  # type: ignore[index]


def test_a_repository_with_workflows_on_an_unnamed_host_is_github_enterprise(
    tmp_path: Path,
) -> None:
    project = repository(tmp_path / "shop", "git@code.example.com:acme/shop.git")
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "deploy.yml").write_text("on: push\n", "utf-8")
    assert "detected github: the repository has .github/workflows" in init(
        project, "--ci", "github"
    )
    github = config_of(project)["github"]
    assert github["api-url"] == "https://code.example.com/api/v3"  # type: ignore[index]
    # The gate's own workflow, which init wrote, is no evidence of GitHub.
    (project / ".github" / "workflows" / "deploy.yml").unlink()
    assert "detected github" not in init(project, "--ci", "github")


def test_credentials_in_the_remote_are_never_written_or_printed(tmp_path: Path) -> None:
    remote = "https://oauth2:glpat-SECRET@gitlab.example.com/group/shop.git"
    project = repository(tmp_path / "shop", remote)
    output = init(project, "--ci", "gitlab")
    assert "detected gitlab: git remote origin is on gitlab.example.com" in output
    assert not [name for name, content in tree(project).items() if b"SECRET" in content]
    assert "SECRET" not in output


def test_a_hostile_remote_path_is_neither_written_as_code_nor_printed_raw(tmp_path: Path) -> None:
    # A quote that would end a TOML or YAML string, and an escape that would act on a terminal.
    project = repository(tmp_path / "shop", 'git@github.com:acme/sh"op\x1b[31m.git')
    output = init(project, "--ci", "github")
    assert "\x1b" not in output
    written = config_of(project)
    assert "repository" not in written["github"]  # type: ignore[operator]  # not OWNER/NAME
    assert written["services"] == {'sh"op\x1b[31m': {}}
    workflow = yaml.safe_load((project / ".github/workflows/deploygate.yml").read_text("utf-8"))
    [gate] = [step for step in workflow["jobs"]["gate"]["steps"] if step.get("id") == "gate"]
    assert gate["with"]["service"] == 'sh"op\x1b[31m'
    assert run_cli("config", "--repo", "acme/shop", env=NO_CI, cwd=project).exit_code == 0


def test_in_github_actions_the_repository_comes_from_the_run(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop")
    result = run_cli("init", env={**NO_CI, "GITHUB_ACTIONS": "true"}, cwd=project)
    assert "detected github: running in GitHub Actions" in result.stdout
    assert "repository" not in config_of(project)["github"]  # type: ignore[operator]
    assert run_cli("config", env={"GITHUB_REPOSITORY": "acme/shop"}, cwd=project).exit_code == 0


def test_the_service_is_named_by_option_and_quoted_when_it_must_be(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop", "git@github.com:acme/shop.git")
    init(project, "--service", "web shop")
    assert config_of(project)["services"] == {"web shop": {}}
    assert run_cli("config", env=NO_CI, cwd=project).exit_code == 0


# --- never twice -----------------------------------------------------------------------------


def test_run_twice_it_changes_nothing_and_says_so(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop")
    init(project, "--ci", "github")
    before = tree(project)
    again = init(project, "--ci", "github")
    assert tree(project) == before
    assert "wrote" not in again
    for path in before:
        assert f"left {path} alone: it exists" in again
    assert "nothing changed" in again


def test_an_existing_config_is_left_alone_and_the_rest_is_written(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop", "git@github.com:acme/shop.git")
    mine = b'source = "local"\n\n[services.cart]\n'
    (project / "deploygate.toml").write_bytes(mine)
    output = init(project, "--ci", "github")
    assert (project / "deploygate.toml").read_bytes() == mine
    assert "left deploygate.toml alone: it exists" in output
    assert "wrote .github/workflows/deploygate.yml" in output

    forced = init(project, "--force")
    assert "wrote deploygate.toml" in forced
    assert config_of(project)["services"] == {"shop": {}}


def test_a_folder_it_cannot_make_is_one_clear_line(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop")
    (project / "ops").write_text("a file, not a folder\n", "utf-8")
    result = run_cli("init", "--path", "ops/deploygate.toml", env=NO_CI, cwd=project)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "deploygate: error: ops/deploygate.toml: cannot make its folder ops: File exists"
    ]


# --- next steps ------------------------------------------------------------------------------


def test_it_prints_the_three_next_steps(tmp_path: Path) -> None:
    output = init(repository(tmp_path / "shop"))
    steps = output.split("next steps:\n", 1)[1].splitlines()
    assert [step.split(":", 1)[0].strip() for step in steps] == [
        "1. Write the first postmortem",
        "2. Record deploys",
        "3. Gate the deploy job",
    ]
    assert "deploygate record --service shop --environment production" in steps[1]


# --- the CI files ----------------------------------------------------------------------------


def test_the_github_workflow_uses_the_action_pinned_and_passes_zizmor(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop", "git@github.com:acme/shop.git")
    init(project, "--ci", "github")
    path = project / ".github" / "workflows" / "deploygate.yml"
    code, findings = zizmor(path)
    assert summarize(findings) == []
    assert code == 0

    workflow = yaml.safe_load(path.read_text("utf-8"))
    assert set(workflow[True]) == {"workflow_call", "workflow_dispatch"}  # YAML 1.1: on is true
    [gate] = [step for step in workflow["jobs"]["gate"]["steps"] if step.get("id") == "gate"]
    assert gate["uses"] == f"OWNER/deploygate@{__version__}"
    action_inputs = yaml.safe_load((REPO_ROOT / "action.yml").read_text("utf-8"))["inputs"]
    assert set(gate["with"]) <= set(action_inputs)
    assert gate["with"]["service"] == "shop"
    # A shallow clone would leave git unable to follow a fix to the deployed commit.
    [checkout] = [s for s in workflow["jobs"]["gate"]["steps"] if "checkout" in s.get("uses", "")]
    assert checkout["with"]["fetch-depth"] == 0


def test_a_config_elsewhere_is_named_in_the_workflow(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop")
    init(project, "--path", "ops/deploygate.toml", "--ci", "github")
    assert (project / "ops" / "postmortems" / "_template.md").is_file()
    workflow = yaml.safe_load((project / ".github/workflows/deploygate.yml").read_text("utf-8"))
    [gate] = [step for step in workflow["jobs"]["gate"]["steps"] if step.get("id") == "gate"]
    assert gate["with"]["config"] == "ops/deploygate.toml"


def test_the_gitlab_include_pins_the_component_with_its_inputs(tmp_path: Path) -> None:
    project = repository(tmp_path / "shop", "git@gitlab.com:group/sub/shop.git")
    init(project, "--ci", "gitlab")
    include = yaml.safe_load((project / ".gitlab" / "ci" / "deploygate.yml").read_text("utf-8"))
    [entry] = include["include"]
    reference = _REFERENCE.fullmatch(entry["component"])
    assert reference
    assert (reference["project"], reference["name"]) == ("OWNER/deploygate", "deploygate")
    assert reference["ref"] == __version__
    component_inputs, _ = load_component()
    assert set(entry["inputs"]) <= set(component_inputs)
    assert entry["inputs"]["service"] == "shop"


def test_the_gitlab_include_gates_a_pipeline_as_written(
    tmp_path: Path,
    gitlab_ci_local: str,  # noqa: F811
) -> None:
    # The local-store path end to end: init, a postmortem from the template, the
    # pipeline including init's file, run by gitlab-ci-local; the component is the
    # checkout's, from gitlab-ci-local's include cache (see test_gitlab_component.py).
    project = tmp_path / "project"
    project.mkdir()
    git(project, "init", "--quiet")
    git(project, "remote", "add", "origin", f"https://{SERVER}/group/shop.git")
    init(project, "--source", "local", "--ci", "gitlab")
    template = project / "postmortems" / "_template.md"
    (project / "postmortems" / "outage.md").write_bytes(template.read_bytes())
    included = project / ".gitlab" / "ci" / "deploygate.yml"
    # The one change: deploygate from this checkout's environment, not the package index.
    include = yaml.safe_load(included.read_text("utf-8"))
    include["include"][0]["inputs"]["install"] = False
    included.write_text(yaml.safe_dump(include), "utf-8")
    pipeline = {
        "include": [{"local": ".gitlab/ci/deploygate.yml"}],
        "deploy": {"stage": "deploy", "needs": [GATE], "script": ["echo deploying"]},
    }
    (project / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline), "utf-8")
    (project / ".gitignore").write_text(".gitlab-ci-local/\n", "utf-8")
    reference = _REFERENCE.fullmatch(include["include"][0]["component"])
    assert reference
    cached = project / ".gitlab-ci-local" / "includes" / SERVER / reference["project"]
    (cached / reference["ref"] / "templates").mkdir(parents=True)
    shutil.copy(COMPONENT, cached / reference["ref"] / "templates" / f"{reference['name']}.yml")
    git(project, "config", "user.name", "deploygate tests")
    git(project, "config", "user.email", "tests@example.com")
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "init")
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(project, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")

    # Sixty days on, the template's action item (due in thirty) is overdue: the gate blocks.
    later = datetime.now(timezone.utc) + timedelta(days=60)
    run = run_pipeline(
        gitlab_ci_local,
        project,
        jobs=[GATE],
        variables={"DEPLOYGATE_NOW": later.strftime("%Y-%m-%dT%H:%M:%SZ")},
    )
    assert run.status(GATE) == ("failed", 1), run.describe()
    assert "overdue-action-item" in run.log(GATE)
    assert run.resolved()[GATE]["variables"]["DEPLOYGATE_SERVICE"] == "shop"
