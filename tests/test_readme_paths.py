"""The README's three five-minute paths, run as written: a new user who copies them
from a fresh clone reaches a blocked deploy, whichever path they take.

Each path's ```sh blocks run in a throwaway git repository with the installed
console script on PATH, as a user's shell would run them. What needs a forge (the
``gh`` and ``glab`` lines that open the postmortem issues) is made in the fake
GitHub or GitLab instead, with the labels those lines name; the check then reads it
over loopback. The copy-paste workflows are parsed and held to what ``init``
wrote, the action's and the component's inputs, and zizmor.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shlex
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from test_action import summarize, zizmor
from test_gitlab_component import GATE, load_component

README = (REPO_ROOT / "README.md").read_text("utf-8")
BIN = Path(sys.executable).parent
TOKEN = "ghp_CANARY_readme_0123456789"
GITLAB_TOKEN = "glpat-CANARY-readme-0123456789"
FAILED_AT = datetime(2026, 11, 2, 15, 0, tzinfo=timezone.utc)
"""When the README's story has the deploy fail (its ``record --time``)."""


def path_section(number: int) -> str:
    """The README's text of ``### Path N``, up to the next heading of its level or above."""
    lines, fenced, inside = [], False, False
    for line in README.splitlines(keepends=True):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and line.startswith(("# ", "## ", "### ")):
            inside = line.startswith(f"### Path {number}: ")
        if inside:
            lines.append(line)
    assert lines, f"the README has no ### Path {number}"
    return "".join(lines)


def blocks(section: str, language: str) -> list[str]:
    """The fenced ``language`` blocks of ``section``, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def shell_env(**extra: str) -> dict[str, str]:
    """A user's shell on a laptop: deploygate on PATH, no CI variable, no token."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GITHUB_", "GITLAB_", "CI", "DEPLOYGATE_", "JIRA_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    return env | extra


def sh(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as the README's reader would paste it into sh, stopping at a failure."""
    return subprocess.run(
        ["sh", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def git(path: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(path), *args], check=True, capture_output=True)


def clone(path: Path, remote: str | None = None) -> Path:
    """A fresh repository with one commit, as a team's would be, ``remote`` its origin."""
    path.mkdir()
    git(path, "init", "--quiet", "--initial-branch", "main")
    git(path, "config", "user.name", "deploygate tests")
    git(path, "config", "user.email", "tests@example.com")
    if remote:
        git(path, "remote", "add", "origin", remote)
    (path / "app.txt").write_text("checkout\n")
    git(path, "add", "app.txt")
    git(path, "commit", "--quiet", "--message", "First commit")
    return path


def test_the_local_path_blocks_the_deploy_until_the_lesson_is_done(tmp_path: Path) -> None:
    init, record, postmortem, check, deploy = blocks(path_section(1), "sh")
    repo = clone(tmp_path / "shop")
    env = shell_env()
    outputs = []
    for step in (init, record, postmortem):
        result = sh(step, repo, env)
        assert result.returncode == 0, result.stderr
        outputs.append(result.stdout)
    assert "recorded deployment checkout-1 " in outputs[1]  # the id the postmortem names

    blocked = sh(check, repo, env)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "verdict: block" in blocked.stdout
    assert "Validate the payment config in CI" in blocked.stdout

    # The deploy job: blocked before anything ships, then shipped once the lesson is done.
    (repo / "deploy.sh").write_text(deploy)
    (repo / "ship-checkout.sh").write_text("#!/bin/sh\ntouch shipped\n")
    (repo / "ship-checkout.sh").chmod(0o755)
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--message", "deploygate")
    stopped = sh("sh deploy.sh", repo, env)
    assert stopped.returncode == 1, stopped.stdout + stopped.stderr
    assert not (repo / "shipped").exists()

    lesson = next((repo / "postmortems").glob("2026-*.md"))
    lesson.write_text(lesson.read_text().replace("- [ ] Validate", "- [x] Validate"))
    git(repo, "commit", "--quiet", "--all", "--message", "Validated in CI")
    shipped = sh("sh deploy.sh", repo, env)
    assert shipped.returncode == 0, shipped.stdout + shipped.stderr
    assert (repo / "shipped").exists()
    history = (repo / ".deploygate" / "deployments.jsonl").read_text().splitlines()
    assert [json.loads(line)["status"] for line in history] == ["failure", "success"]
    log = subprocess.run(
        ["git", "-C", str(repo), "log", "-1", "--format=%s"], capture_output=True, text=True
    )
    assert log.stdout.strip() == "Record the checkout deploy: success"


def labels_of(command: str) -> list[str]:
    """The labels a ``gh issue create`` or ``glab issue create`` line gives its issue."""
    words = shlex.split(command.replace("\\\n", " "))
    return [
        label
        for flag, value in itertools.pairwise(words)
        if flag == "--label"
        for label in value.split(",")
    ]


def test_the_github_path_blocks_the_deploy_as_written(
    tmp_path: Path,
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    init, issues, check = blocks(path_section(2), "sh")
    [workflow_text] = blocks(path_section(2), "yaml")
    repo = clone(tmp_path / "shop", "git@github.com:acme/shop.git")
    result = sh(init, repo, shell_env())
    assert result.returncode == 0, result.stderr

    # What the gh lines make: an action item due on 30 November, and the postmortem
    # naming it in its task list, with the labels the config written by init reads.
    [item_line, postmortem_line] = re.findall(r"gh issue create .*?(?=\n\S|\Z)", issues, re.DOTALL)
    assert "Due: 2026-11-30" in item_line
    assert labels_of(postmortem_line) == ["postmortem", "service:checkout"]
    world = fake_github.world
    world.token(TOKEN, login="octocat")
    shop = world.repo("acme/shop")
    shop.deployment(environment="production", state="FAILURE", sha="9b2e7d4" + "0" * 33,
                    created_at=FAILED_AT)  # fmt: skip
    item = shop.issue(title="Validate the payment config in CI", body="Due: 2026-11-30",
                      labels=labels_of(item_line), created_at=FAILED_AT)  # fmt: skip
    shop.issue(
        title="Checkout returned 500s after the payment config rollout",
        labels=labels_of(postmortem_line),
        body=f"## What we learned\n- Configs drifted.\n\n## Action items\n- [ ] {item.url}\n",
        created_at=FAILED_AT,
    )
    env = shell_env(
        GITHUB_API_URL=fake_github.api_url,
        GITHUB_GRAPHQL_URL=fake_github.graphql_url,
        GITHUB_TOKEN=TOKEN,
        GITHUB_SERVER_URL=f"https://{world.web_host}",  # where the issue URLs point
    )
    blocked = sh(check, repo, env)
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "verdict: block" in blocked.stdout
    assert "Validate the payment config in CI" in blocked.stdout

    # The deploy workflow: it calls the gate init wrote, grants what the gate asks,
    # passes only its inputs, needs it; zizmor finds nothing in either file.
    workflows = repo / ".github" / "workflows"
    (workflows / "deploy.yml").write_text(workflow_text, "utf-8")
    deploy = yaml.safe_load(workflow_text)
    gate_workflow = yaml.safe_load((workflows / "deploygate.yml").read_text("utf-8"))
    gate = deploy["jobs"]["gate"]
    assert gate["uses"] == "./.github/workflows/deploygate.yml"
    assert gate["permissions"] == gate_workflow["jobs"]["gate"]["permissions"]
    assert set(gate["with"]) <= set(gate_workflow[True]["workflow_call"]["inputs"])
    assert deploy["jobs"]["deploy"]["needs"] == "gate"
    assert deploy["jobs"]["deploy"]["environment"] == "production"
    _, findings = zizmor(workflows / "deploy.yml", workflows / "deploygate.yml")
    # The pedantic persona's one remark: it prefers a newer spelling of a same-repository
    # reference to ``./``, the form GitHub documents for a reusable workflow and the one
    # the head of init's file tells teams to write. Nothing else may be found.
    assert summarize(findings) == [("self-repository", "./.github/workflows/deploygate.yml")]


def test_the_gitlab_path_blocks_the_deploy_as_written(
    tmp_path: Path,
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    init, issues, check = blocks(path_section(3), "sh")
    [pipeline_text] = blocks(path_section(3), "yaml")
    repo = clone(tmp_path / "shop", "git@gitlab.com:acme/shop.git")
    result = sh(init, repo, shell_env())
    assert result.returncode == 0, result.stderr

    [item_line, postmortem_line] = re.findall(
        r"glab issue create .*?(?=\n\S|\Z)", issues, re.DOTALL
    )
    assert "--due-date 2026-11-30" in item_line
    assert labels_of(postmortem_line) == ["postmortem", "service::checkout"]
    world = fake_gitlab.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop = world.project("acme/shop")
    shop.deployment(environment="production", status="failed", sha="9b2e7d4" + "0" * 33,
                    created_at=FAILED_AT, updated_at=FAILED_AT)  # fmt: skip
    item = shop.issue("Validate the payment config in CI", labels=labels_of(item_line),
                      due_date="2026-11-30", created_at=FAILED_AT)  # fmt: skip
    shop.issue(
        "Checkout returned 500s after the payment config rollout",
        "## What we learned\n- Configs drifted.\n\n## Action items\n"
        f"- [ ] {fake_gitlab.url}/acme/shop/-/issues/{item.iid}\n",
        labels_of(postmortem_line),
        created_at=FAILED_AT,
    )
    [command] = [line for line in check.splitlines() if "deploygate check" in line]
    command = command.replace("glpat-your-token", GITLAB_TOKEN)
    blocked = sh(command, repo, shell_env(CI_SERVER_URL=fake_gitlab.url))
    assert blocked.returncode == 1, blocked.stdout + blocked.stderr
    assert "verdict: block" in blocked.stdout
    assert "Validate the payment config in CI" in blocked.stdout

    # The pipeline: it includes the file init wrote, and the deploy job needs the
    # component's job in a stage after the component's.
    pipeline = yaml.safe_load(pipeline_text)
    [include] = pipeline["include"]
    assert (repo / include["local"]).is_file()
    inputs, _ = load_component()
    assert inputs["stage"]["default"] in pipeline["stages"]
    stages = pipeline["stages"]
    assert stages.index(inputs["stage"]["default"]) < stages.index(pipeline["deploy"]["stage"])
    assert pipeline["deploy"]["needs"] == [GATE]
    assert pipeline["deploy"]["environment"] == "production"


@pytest.mark.parametrize("number", [1, 2, 3])
def test_each_path_starts_with_init_and_ends_at_a_gated_deploy(number: int) -> None:
    """The shape every path keeps, so a later edit cannot drop a step silently."""
    section = path_section(number)
    assert blocks(section, "sh")[0].startswith("deploygate init ")
    assert "deploygate check --service checkout --environment production" in section
    assert "exits 1" in section
