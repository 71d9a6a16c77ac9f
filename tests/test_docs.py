"""The examples of the documentation site (docs/) still run: every TOML block is a
config that ``deploygate config`` accepts, the postmortem example is read by
``check``, the ``record`` example records, and the CI snippets use only inputs the
action and the component have. ``mkdocs build --strict`` in .ci/run checks the
links; the README's paths are run by tests/test_readme_paths.py.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT
from test_gitlab_component import load_component

DOCS = REPO_ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
BIN = Path(sys.executable).parent
NOW = "2026-11-20T12:00:00Z"
SCREENSHOTS = {
    f"{name}.png"
    for name in (
        "terminal",
        "job-summary",
        "pr-comment",
        "annotations",
        "gitlab-mr-note",
        "codequality",
        "loop-report",
    )
}
"""The pictures the screenshot script writes into docs/images/, by these names."""


def fenced(language: str) -> list[tuple[str, int, str]]:
    """Every ``language`` block of the docs and the README: page, index on it, text."""
    found = []
    for page in [*PAGES, REPO_ROOT / "README.md"]:
        text = page.read_text("utf-8")
        pattern = rf"^```{language}\n(.*?)^```$"
        for index, block in enumerate(re.findall(pattern, text, re.MULTILINE | re.DOTALL)):
            found.append((str(page.relative_to(REPO_ROOT)), index, block))
    return found


def deploygate(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, with no CI variable or token from this machine."""
    clean = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("GITHUB_", "GITLAB_", "CI", "DEPLOYGATE_", "JIRA_"))
    }
    return subprocess.run(
        [str(BIN / "deploygate"), *args],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_site_has_every_page_the_issue_asks_for() -> None:
    nav = yaml.safe_load((REPO_ROOT / "mkdocs.yml").read_text("utf-8"))["nav"]
    listed = re.findall(r"[\w/-]+\.md", str(nav))
    assert sorted(listed) == sorted(str(page.relative_to(DOCS)) for page in PAGES)
    for page in ("configuration", "rules", "formats", "contract", "security", "performance",
                 "layout", "commands", "sources/local", "sources/github", "sources/gitlab",
                 "sources/jira", "sources/incidentio", "sources/rootly",
                 "sources/linear"):  # fmt: skip
        assert (DOCS / f"{page}.md").is_file(), page


def test_the_command_reference_is_generated_from_click() -> None:
    page = (DOCS / "commands.md").read_text("utf-8")
    assert "::: mkdocs-click\n    :module: deploygate.cli\n    :command: cli\n" in page


TOMLS = fenced("toml")


@pytest.mark.parametrize(("page", "index", "block"), TOMLS, ids=[f"{p}#{i}" for p, i, _ in TOMLS])
def test_every_toml_example_is_a_config_that_config_accepts(
    tmp_path: Path, page: str, index: int, block: str
) -> None:
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "deploygate.toml").write_text(block, "utf-8")
    result = deploygate("config", "--config", "deploygate.toml", "--now", NOW, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""


def test_the_postmortem_example_is_read_with_its_action_items(tmp_path: Path) -> None:
    [(_, _, example)] = [block for block in fenced("markdown") if "+++" in block[2]]
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "postmortems" / "2026-09-09-payment-config.md").write_text(example, "utf-8")
    (tmp_path / "deploygate.toml").write_text('source = "local"\n', "utf-8")
    result = deploygate("check", "--service", "checkout", "--format", "json", "--now", NOW,
                        cwd=tmp_path)  # fmt: skip
    assert result.returncode in (0, 1), result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["postmortems"] == 1
    titles = {f["action_item"]["title"] for f in report["findings"] if f["action_item"]}
    assert "Alert on the payment error budget burn rate" in titles
    assert "Rewrite the payment client" in titles


def test_the_record_example_records_a_deployment(tmp_path: Path) -> None:
    [example] = [
        block
        for page, _, block in fenced("sh")
        if page.startswith("docs") and block.startswith("deploygate record")
    ]
    assert deploygate("init", "--source", "local", cwd=tmp_path).returncode == 0
    result = subprocess.run(
        ["sh", "-e", "-c", example],
        cwd=tmp_path,
        env={
            "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
            "GIT_SHA": "9b2e7d4",
            "CI_JOB_URL": "https://ci.example/jobs/1",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "recorded deployment checkout-1 to production (failure)" in result.stdout


def test_the_ci_snippets_use_only_inputs_the_action_and_the_component_have() -> None:
    action_inputs = yaml.safe_load((REPO_ROOT / "action.yml").read_text("utf-8"))["inputs"]
    component_inputs, _ = load_component()
    snippets = [
        yaml.safe_load(block) for page, _, block in fenced("yaml") if page.startswith("docs")
    ]
    steps = [
        step for snippet in snippets for job in snippet.get("jobs", {}).values()
        for step in job.get("steps", []) if "deploygate@" in step.get("uses", "")
    ]  # fmt: skip
    includes = [
        entry for snippet in snippets for entry in snippet.get("include", [])
        if "component" in entry
    ]  # fmt: skip
    assert steps
    assert includes
    for step in steps:
        assert set(step["with"]) <= set(action_inputs)
    for entry in includes:
        assert set(entry["inputs"]) <= set(component_inputs)


def test_pictures_are_the_screenshots_and_the_readme_shows_a_blocked_deploy_first() -> None:
    """Pages name only the pictures the screenshot script makes; those it has not made
    yet are tolerated (mkdocs does not check images), those it has are PNG files."""
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    shown = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", readme)
    assert shown[0] == "docs/images/terminal.png"
    assert readme.index(shown[0]) < readme.index("\n## Two commands\n")
    for page in PAGES:
        for picture in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", page.read_text("utf-8")):
            path = (page.parent / picture).resolve()
            assert path.parent == DOCS / "images", (page, picture)
            assert path.name in SCREENSHOTS, (page, picture)
            if path.exists():
                assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n"), path
