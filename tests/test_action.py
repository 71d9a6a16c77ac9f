"""The composite action (action.yml) and the example workflow.

zizmor audits both, offline. The action is then run the way the GitHub
runner runs a composite action, without a runner: each step's ``env:``
expressions are evaluated from the inputs, its ``run:`` script goes through
the runner's own bash invocation with a fresh environment and fresh
$GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY files, and the action's ``outputs:``
are resolved from the steps' outputs. The two steps that use
actions/cache run on a folder standing for the cache (``run_cache_action``),
and an ``if:`` of the one form the action uses is evaluated.

The fast tests stand in for the install step only: they link the project's
own deploygate where the install step puts it. A few tests run the real
install step (pip installs a copy of the repository from the package index,
about ten seconds; uv installs the dependencies, about two) and then the real
check step on what it installed, and the cache between two runs.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from actions_runner import commands
from conftest import REPO_ROOT, check_envvars, json_report, run_cli
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.worlds import GITHUB_TOKEN as TOKEN
from fakes.worlds import github_year as build_year

ACTION_FILE = REPO_ROOT / "action.yml"
EXAMPLES = sorted((REPO_ROOT / "examples" / "github").glob("*.yml"))
ZIZMOR = Path(sys.executable).parent / "zizmor"
BASH = shutil.which("bash") or "/bin/bash"
NOW = "2026-11-20T12:00:00Z"
QUICKSTART_CONFIG = "examples/quickstart/deploygate.toml"
INSTALLED = Path("deploygate", "bin", "deploygate")
"""Where the install step puts the console script, under RUNNER_TEMP; the check step runs it."""
FAKE_TOKEN = "ghs_not_a_real_token_0123456789"  # a fake; nothing is ever sent


def load_action() -> dict[str, Any]:
    action: dict[str, Any] = yaml.safe_load(ACTION_FILE.read_text(encoding="utf-8"))
    return action


# --- zizmor ----------------------------------------------------------------------------------


def zizmor(*paths: Path, no_ignores: bool = False) -> tuple[int, list[dict[str, Any]]]:
    """zizmor's exit code and JSON findings; offline, no config file, pedantic persona.

    The pedantic persona reports everything the default one does, and code smells.
    """
    args = [str(ZIZMOR), "--offline", "--no-config", "--strict-collection", "--format", "json"]
    args += ["--persona", "pedantic", "--no-progress", "--color", "never"]
    if no_ignores:
        args.append("--no-ignores")
    result = subprocess.run(
        [*args, *map(str, paths)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir(), "NO_COLOR": "1"},
    )
    assert result.returncode in (0, 10, 11, 12, 13, 14), result.stderr  # else zizmor itself failed
    findings: list[dict[str, Any]] = json.loads(result.stdout)
    return result.returncode, findings


def summarize(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """Each finding as its audit and the text of its primary location."""
    return [
        (finding["ident"], location["concrete"]["feature"])
        for finding in findings
        for location in finding["locations"]
        if location["symbolic"]["kind"] == "Primary"
    ]


@pytest.mark.parametrize(
    "path", [ACTION_FILE, *EXAMPLES], ids=lambda path: str(path.relative_to(REPO_ROOT))
)
def test_zizmor_reports_nothing(path: Path) -> None:
    code, findings = zizmor(path)
    assert summarize(findings) == []
    assert code == 0


def test_the_example_workflow_is_audited() -> None:
    assert "deploy.yml" in [path.name for path in EXAMPLES]


def test_the_examples_waive_one_audit_only_on_this_action() -> None:
    # The template cannot pin deploygate to a released commit, so its `uses:`
    # lines say @v1 with an inline ignore. Without honouring ignores, that is
    # the only thing zizmor finds, once per such line.
    for path in EXAMPLES:
        references = re.findall(r"uses: (OWNER/deploygate@\S+)", path.read_text("utf-8"))
        code, findings = zizmor(path, no_ignores=True)
        assert (code != 0) == bool(references), path.name
        assert summarize(findings) == [("unpinned-uses", ref) for ref in references]


REPORT_WORKFLOW = REPO_ROOT / "examples" / "github" / "learning-loop-report.yml"


def test_the_report_workflow_is_weekly_with_least_permissions_and_no_expression_in_run() -> None:
    workflow = yaml.safe_load(REPORT_WORKFLOW.read_text("utf-8"))
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"schedule", "workflow_dispatch"}
    [schedule] = triggers["schedule"]
    assert schedule["cron"].split()[2:] == ["*", "*", "1"]  # every Monday
    assert workflow["permissions"] == {}
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "read", "issues": "write", "deployments": "read"}
    runs = [step["run"] for step in job["steps"] if "run" in step]
    assert runs
    assert not any("${{" in run for run in runs)


def test_the_report_workflow_publishes_against_the_fake_github(
    fake_github: FakeGitHub,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The workflow's own `deploygate report` line, run as its step would run it."""
    import shlex

    fake_github.world.token(FAKE_TOKEN, login="github-actions[bot]")
    fake_github.world.repo("acme/shop")
    workflow = yaml.safe_load(REPORT_WORKFLOW.read_text("utf-8"))
    [job] = workflow["jobs"].values()
    [step] = [step for step in job["steps"] if "deploygate report" in step.get("run", "")]
    program, *args = shlex.split(step["run"])
    assert program == "deploygate"
    assert set(step["env"]) == {"GITHUB_TOKEN"}
    monkeypatch.chdir(REPO_ROOT / "examples" / "quickstart")
    env = fake_github.actions_env(FAKE_TOKEN, "acme/shop") | {"DEPLOYGATE_NOW": NOW}
    result = run_cli(*args, env=env)
    assert result.exit_code == 0, result.output
    [issue] = fake_github.world.repo("acme/shop").issues.values()
    assert issue.title == "Learning loop report"
    assert result.stderr == f"deploygate: published the learning loop report: {issue.url}\n"


BAD_WORKFLOW = """\
name: bad
on: pull_request
permissions: {}
jobs:
  greet:
    name: Greet
    runs-on: ubuntu-latest
    steps:
      - run: echo "${{ github.event.pull_request.title }}"
"""


def test_zizmor_catches_an_injection_in_a_workflow(tmp_path: Path) -> None:
    workflow = tmp_path / "bad.yml"
    workflow.write_text(BAD_WORKFLOW, encoding="utf-8")
    code, findings = zizmor(workflow)
    assert code != 0
    assert "template-injection" in {finding["ident"] for finding in findings}


def test_zizmor_catches_an_input_inside_run_in_the_action(tmp_path: Path) -> None:
    # The action itself, with one input moved from env: into the script.
    text = ACTION_FILE.read_text(encoding="utf-8")
    bad = text.replace('cd -- "$WORKING_DIRECTORY"', 'cd -- "${{ inputs.working-directory }}"')
    assert bad != text
    (tmp_path / "action.yml").write_text(bad, encoding="utf-8")
    code, findings = zizmor(tmp_path / "action.yml")
    assert code != 0
    assert "template-injection" in {finding["ident"] for finding in findings}


# --- the action's wiring ---------------------------------------------------------------------


def test_the_action_sets_only_variables_that_check_reads() -> None:
    steps = load_action()["runs"]["steps"]
    set_here = {name for step in steps for name in step.get("env", {})}
    ours = {name for name in set_here if name.startswith("DEPLOYGATE_")}
    assert ours, "the action passes no DEPLOYGATE_* variable at all"
    assert ours <= check_envvars(), ours - check_envvars()


def test_each_variable_carries_the_input_of_the_same_name() -> None:
    action = load_action()
    wired = {
        name: value
        for step in action["runs"]["steps"]
        for name, value in step.get("env", {}).items()
        if name.startswith("DEPLOYGATE_")
    }
    for name, value in wired.items():
        input_name = name.removeprefix("DEPLOYGATE_").lower().replace("_", "-")
        assert value == f"${{{{ inputs.{input_name} }}}}", name
        assert input_name in action["inputs"], name


def test_no_script_contains_an_expression_and_every_step_says_bash() -> None:
    steps = load_action()["runs"]["steps"]
    scripts = [step for step in steps if "run" in step]
    assert [step["id"] for step in scripts] == ["key", "install", "check"]
    for step in scripts:
        assert "${{" not in step["run"], step["id"]
        assert step["shell"] == "bash", step["id"]
    # The other steps are the cache's, pinned to a commit.
    uses = [(step["id"], step["uses"]) for step in steps if "uses" in step]
    assert uses == [
        ("restore", CACHE_ACTION.format("restore")),
        ("save", CACHE_ACTION.format("save")),
    ]


def test_every_input_reaches_a_step_and_every_output_a_step_output() -> None:
    action = load_action()
    env_values = " ".join(
        str(value) for step in action["runs"]["steps"] for value in step.get("env", {}).values()
    )
    for name in action["inputs"]:
        assert f"inputs.{name} }}}}" in env_values, f"input {name} is never used"
    assert {name: output["value"] for name, output in action["outputs"].items()} == {
        name: f"${{{{ steps.check.outputs.{name} }}}}"
        for name in ("verdict", "enforced", "findings", "blocking")
    }


def test_the_example_gives_the_action_only_its_inputs_and_least_permissions() -> None:
    workflow = yaml.safe_load((REPO_ROOT / "examples" / "github" / "deploy.yml").read_text("utf-8"))
    declared = load_action()["inputs"]
    assert workflow["permissions"] == {}
    assert workflow["jobs"]["deploy"]["needs"] == "gate"
    gates = 0
    for name, job in workflow["jobs"].items():
        permissions = job["permissions"]
        for step in job["steps"]:
            if not step.get("uses", "").startswith("OWNER/deploygate@"):
                continue
            gates += 1
            given = step["with"]
            assert set(given) <= set(declared), (name, set(given) - set(declared))
            assert "service" in given
            reads = {"contents": "read", "issues": "read", "deployments": "read", "checks": "read"}
            comments = given.get("comment") == "true"
            assert permissions == reads | ({"pull-requests": "write"} if comments else {}), name
        writes = {scope for scope, access in permissions.items() if access == "write"}
        assert writes <= {"pull-requests"}, name
    assert gates == 2


# --- a model of the runner -------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
_NAME = r"[A-Za-z_][A-Za-z0-9_-]*"


@dataclass
class Expressions:
    """The few contexts action.yml uses; any other expression fails the test."""

    inputs: Mapping[str, str]
    action_path: Path
    token: str = FAKE_TOKEN
    steps: dict[str, dict[str, str]] = field(default_factory=dict)

    def value(self, expression: str) -> str:
        if match := re.fullmatch(rf"inputs\.({_NAME})", expression):
            if match[1] not in self.inputs:
                pytest.fail(f"action.yml reads an undeclared input: {expression!r}")
            return self.inputs[match[1]]
        if expression == "github.token":
            return self.token
        if expression == "github.action_path":
            return str(self.action_path)
        if match := re.fullmatch(rf"steps\.({_NAME})\.outputs\.({_NAME})", expression):
            if match[1] not in self.steps:
                pytest.fail(f"{expression!r} names a step that has not run")
            return self.steps[match[1]].get(match[2], "")  # a missing output is '' on GitHub
        pytest.fail(f"the test's runner model does not evaluate {expression!r}")

    def condition(self, template: object) -> bool:
        """An ``if:``: only ``steps.ID.outputs.NAME == 'true'`` (bare, as runners accept it)."""
        assert isinstance(template, str), f"not a string: {template!r}"
        match = re.fullmatch(rf"(steps\.{_NAME}\.outputs\.{_NAME}) == 'true'", template.strip())
        if match is None:
            pytest.fail(f"the test's runner model does not evaluate the condition {template!r}")
        return self.value(match[1]) == "true"

    def evaluate(self, template: object) -> str:
        assert isinstance(template, str), f"not a string: {template!r}"
        return _EXPRESSION.sub(lambda match: self.value(match[1]), template)


def read_output_file(text: str) -> dict[str, str]:
    """$GITHUB_OUTPUT as the runner reads it: ``name=value`` and ``name<<DELIMITER`` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        equals, heredoc = line.find("="), line.find("<<")
        if heredoc >= 0 and (equals < 0 or heredoc < equals):
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            value: list[str] = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            else:
                pytest.fail(f"output {name!r} has no closing delimiter")
            outputs[name] = "\n".join(value)
        else:
            assert equals > 0, f"not an output line: {line!r}"
            outputs[line[:equals]] = line[equals + 1 :]
    return outputs


@dataclass
class StepResult:
    id: str
    returncode: int
    stdout: str
    stderr: str
    env: dict[str, str]
    outputs: dict[str, str]
    summary: str


@dataclass
class ActionRun:
    steps: dict[str, StepResult]
    outputs: dict[str, str]

    @property
    def failed(self) -> bool:
        return any(step.returncode != 0 for step in self.steps.values())


StandIn = Callable[[Mapping[str, str]], None]


def run_action(
    root: Path,
    inputs: Mapping[str, str],
    *,
    action_path: Path = REPO_ROOT,
    workspace: Path = REPO_ROOT,
    stand_in: Mapping[str, StandIn] | None = None,
    home: Path | None = None,
    path: str = "/usr/bin:/bin",
    passthrough: Mapping[str, str] | None = None,
    cache: Path | None = None,
    event: str = "push",
    runner_temp: Path | None = None,
) -> ActionRun:
    """Run action.yml's steps in order as the runner does, stopping at the first failure.

    ``stand_in`` replaces the script of the step with that id by a Python
    function of the step's environment (the install step, in the fast tests).
    ``cache`` is a folder standing for the repository's Actions cache (see
    ``run_cache_action``); ``event`` is the event that started the workflow.
    """
    action = yaml.safe_load((action_path / "action.yml").read_text(encoding="utf-8"))
    assert action["runs"]["using"] == "composite"
    declared = action["inputs"]
    unknown = set(inputs) - set(declared)
    assert not unknown, f"not inputs of the action: {unknown}"
    expressions = Expressions({}, action_path)
    values = {}
    for name, spec in declared.items():
        if name in inputs:
            values[name] = inputs[name]
        else:
            assert not spec.get("required"), f"required input {name} not given"
            values[name] = expressions.evaluate(str(spec.get("default", "")))
    expressions.inputs = values

    temp, home = runner_temp or root / "runner_temp", home or root / "home"
    temp.mkdir(exist_ok=True)  # a test may put a restored venv there first
    home.mkdir(exist_ok=True)
    event_file = root / "event.json"
    event_file.write_text(
        json.dumps({"ref": "refs/heads/main", "repository": {"full_name": "a/b"}})
    )
    results: dict[str, StepResult] = {}
    for index, step in enumerate(action["runs"]["steps"]):
        if "if" in step and not expressions.condition(step["if"]):
            continue  # a skipped step: no result, no outputs
        if "uses" in step:
            unsupported = set(step) - {"id", "name", "if", "uses", "with"}
            assert not unsupported, f"the runner model does not handle {unsupported} in {step}"
            given = {name: expressions.evaluate(value) for name, value in step["with"].items()}
            outputs = run_cache_action(step["uses"], given, cache or root / "actions_cache")
            results[step["id"]] = StepResult(step["id"], 0, "", "", {}, outputs, "")
            expressions.steps[step["id"]] = outputs
            continue
        unsupported = set(step) - {"id", "name", "shell", "env", "run"}
        assert not unsupported, f"the runner model does not handle {unsupported} in {step}"
        assert step["shell"] == "bash"
        output, summary = root / f"output_{index}", root / f"summary_{index}"
        output.touch()
        summary.touch()
        env = {
            **(passthrough or {}),
            "PATH": path,
            "HOME": str(home),
            "CI": "true",
            "GITHUB_ACTIONS": "true",
            "RUNNER_TEMP": str(temp),
            "GITHUB_ACTION_PATH": str(action_path),
            "GITHUB_WORKSPACE": str(workspace),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_EVENT_NAME": event,
            "RUNNER_OS": "Linux",
            "GITHUB_EVENT_PATH": str(event_file),
            "GITHUB_REPOSITORY": "a/b",
        }
        env |= {name: expressions.evaluate(value) for name, value in step.get("env", {}).items()}
        if stand_in and step["id"] in stand_in:
            stand_in[step["id"]](env)
            completed = subprocess.CompletedProcess([], 0, "", "")
        else:
            script = root / f"step_{index}.sh"
            script.write_text(step["run"], encoding="utf-8")
            completed = subprocess.run(
                [BASH, "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=workspace,
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
        result = StepResult(
            id=step["id"],
            returncode=completed.returncode,
            stdout=completed.stdout,
            stderr=completed.stderr,
            env=env,
            outputs=read_output_file(output.read_text(encoding="utf-8")),
            summary=summary.read_text(encoding="utf-8"),
        )
        results[result.id] = result
        expressions.steps[result.id] = result.outputs
        if result.returncode != 0:
            break
    outputs = {
        name: expressions.evaluate(spec["value"]) for name, spec in action["outputs"].items()
    }
    return ActionRun(results, outputs)


CACHE_ACTION = "actions/cache/{}@27d5ce7f107fe9357f9df03efb73ab90386fccae"
"""The one action the composite action uses, pinned to the commit of v5.0.5."""


def run_cache_action(uses: str, given: Mapping[str, str], cache: Path) -> dict[str, str]:
    """actions/cache/restore and actions/cache/save, on a folder that stands for the cache.

    As the real ones do: an entry is a tar archive of the path; restore of a
    key that was never saved restores nothing and says cache-hit false; save
    of a key that exists already changes nothing (an entry is immutable). The
    path is one absolute folder here. The real ones also compress the archive
    (zstd) and move it over the network: here it is a local, uncompressed file.
    """
    assert set(given) == {"path", "key"}, given
    entry = cache / f"{given['key']}.tar"
    path = Path(given["path"])
    tar = shutil.which("tar") or "/bin/tar"
    if uses == CACHE_ACTION.format("restore"):
        if not entry.is_file():
            return {"cache-hit": "false", "cache-primary-key": given["key"]}
        path.mkdir(parents=True, exist_ok=True)
        subprocess.run([tar, "-xf", entry, "-C", path], check=True)
        key = given["key"]
        return {"cache-hit": "true", "cache-primary-key": key, "cache-matched-key": key}
    assert uses == CACHE_ACTION.format("save"), f"the runner model does not run {uses}"
    if not entry.exists():
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run([tar, "-cf", entry, "-C", path, "."], check=True)
    return {}


def link_project_deploygate(env: Mapping[str, str]) -> None:
    """The fast stand-in for the install step: this project's deploygate, where it would go."""
    target = Path(env["RUNNER_TEMP"]) / INSTALLED
    target.parent.mkdir(parents=True)
    target.symlink_to(Path(sys.executable).parent / "deploygate")


FAST = {"install": link_project_deploygate}
ACTION_STEPS = ("key", "restore", "install", "save", "check")


def test_the_runner_model_refuses_expressions_it_does_not_know() -> None:
    expressions = Expressions({"service": "checkout"}, REPO_ROOT)
    assert expressions.evaluate("x ${{ inputs.service }} y") == "x checkout y"
    for unknown in ("github.event.pull_request.title", "inputs.nope", "steps.x.outputs.y"):
        with pytest.raises(pytest.fail.Exception):
            expressions.evaluate(f"${{{{ {unknown} }}}}")


def test_the_token_reaches_only_the_check_step(tmp_path: Path) -> None:
    tokens = {}
    for name, given in (("default", {}), ("given", {"token": "ghp_given"})):
        root = tmp_path / name
        root.mkdir()
        inputs = {"service": "checkout", "config": QUICKSTART_CONFIG, **given}
        run = run_action(root, inputs, stand_in=FAST)
        assert "GITHUB_TOKEN" not in run.steps["install"].env
        tokens[name] = run.steps["check"].env["GITHUB_TOKEN"]
    assert tokens == {"default": FAKE_TOKEN, "given": "ghp_given"}  # default: github.token


def markdown_report(*args: str) -> str:
    """What `deploygate check --format markdown` prints, run outside GitHub Actions."""
    result = subprocess.run(
        [str(Path(sys.executable).parent / "deploygate"), "check", *args, "--format", "markdown"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 1, result.stderr
    return result.stdout


def assert_blocked_quickstart(run: ActionRun, reports: Path) -> None:
    assert {"key", "restore", "install", "check"} <= set(run.steps) <= {*ACTION_STEPS}
    assert run.steps["install"].returncode == 0, run.steps["install"].stderr
    check = run.steps["check"]
    assert check.returncode == 1, check.stderr  # blocked: the step, and so the job, fails
    assert check.outputs == {
        "verdict": "block",
        "enforced": "true",
        "findings": "10",
        "blocking": "true",
    }
    assert run.outputs == check.outputs
    # The job summary holds the markdown report, as --format markdown prints it.
    assert check.summary == markdown_report(
        "--config", QUICKSTART_CONFIG, "--service", "checkout", "--now", NOW
    )
    annotations = [
        (command.name, command.properties.get("title")) for command in commands(check.stdout)
    ]
    assert annotations == [
        ("error", "deploygate overdue-action-item"),
        ("error", "deploygate overdue-action-item"),
        ("error", "deploygate repeat-failure"),
        ("warning", "deploygate open-action-item"),
        ("warning", "deploygate open-action-item"),
        ("notice", "deploygate declined-action-item"),
        ("notice", "deploygate reviewed-failure"),
        ("notice", "deploygate reviewed-failure"),
        ("notice", "deploygate reviewed-failure"),
        ("notice", "deploygate unreviewed-failure"),
    ]
    assert check.stderr == ""
    # The output input: two FORMAT=PATH targets in one value.
    assert json_report((reports / "report.json").read_text("utf-8"))["verdict"] == "block"
    assert (reports / "report.md").read_text("utf-8") == check.summary


def quickstart_inputs(reports: Path) -> dict[str, str]:
    reports.mkdir()
    return {
        "service": "checkout",
        "config": QUICKSTART_CONFIG,
        "source": "local",
        "now": NOW,
        "output": f"json={reports / 'report.json'} markdown={reports / 'report.md'}",
    }


def test_the_action_blocks_the_quickstart(tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    run = run_action(tmp_path, quickstart_inputs(reports), stand_in=FAST)
    assert run.failed
    assert_blocked_quickstart(run, reports)


def test_the_override_input_lets_a_blocked_deploy_through_loudly(tmp_path: Path) -> None:
    # On a copy: an override of the local store is logged next to its history.
    quickstart = tmp_path / "quickstart"
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", quickstart)
    reason = "Checkout is down; the fix must ship, on-call agreed"
    inputs = {
        **quickstart_inputs(tmp_path / "reports"),
        "config": str(quickstart / "deploygate.toml"),
        "override": reason,
    }
    run = run_action(tmp_path, inputs, stand_in=FAST)
    check = run.steps["check"]
    assert check.returncode == 0, check.stderr
    assert run.outputs["verdict"] == "override"
    assert run.outputs["blocking"] == "false"
    assert reason in check.summary
    [logged] = (quickstart / "overrides.jsonl").read_text().splitlines()
    assert json.loads(logged)["reason"] == reason


def test_the_advisory_input_passes_the_step_and_says_would_block(tmp_path: Path) -> None:
    # On a copy: an advisory block of the local store is logged next to its history.
    quickstart = tmp_path / "quickstart"
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", quickstart)
    inputs = {
        **quickstart_inputs(tmp_path / "reports"),
        "config": str(quickstart / "deploygate.toml"),
        "advisory": "true",
    }
    run = run_action(tmp_path, inputs, stand_in=FAST)
    check = run.steps["check"]
    assert check.returncode == 0, check.stderr
    assert not run.failed
    assert (run.outputs["verdict"], run.outputs["enforced"]) == ("block", "false")
    assert check.summary.startswith("### ⛔ deploygate: would block for **checkout**")
    assert check.stdout.startswith("deploygate: would block for checkout")
    assert json.loads((tmp_path / "reports" / "report.json").read_text())["enforced"] is False
    [logged] = (quickstart / "advisory.jsonl").read_text().splitlines()
    assert json.loads(logged)["service"] == "checkout"
    (tmp_path / "enforcing").mkdir()
    enforcing = run_action(
        tmp_path / "enforcing", quickstart_inputs(tmp_path / "r2"), stand_in=FAST
    )
    assert enforcing.outputs["enforced"] == "true"


@pytest.mark.parametrize(("strict", "code", "verdict"), [("true", 1, "block"), ("", 0, "warn")])
def test_strict_makes_warnings_block(tmp_path: Path, strict: str, code: int, verdict: str) -> None:
    # Staging turns overdue lessons into warnings: no errors, so only strict blocks.
    # From the example's own folder, so the config is found without the config input.
    inputs = {
        "service": "checkout",
        "environment": "staging",
        "strict": strict,
        "now": NOW,
        "working-directory": "examples/quickstart",
    }
    run = run_action(tmp_path, inputs, stand_in=FAST)
    check = run.steps["check"]
    assert check.returncode == code, check.stderr
    assert run.outputs["verdict"] == verdict
    levels = {command.name for command in commands(check.stdout)}
    assert levels == {"warning", "notice"}


def test_on_error_warn_keeps_a_failing_source_from_failing_the_step(tmp_path: Path) -> None:
    # The GitHub source on a closed local port (nothing leaves this machine), with a
    # deadline too short to retry: exit 3 and verdict unknown, but exit 0 with on-error: warn.
    project = tmp_path / "project"
    project.mkdir()
    (project / "deploygate.toml").write_text(
        'source = "github"\n[github]\nrepository = "a/b"\napi-url = "http://127.0.0.1:9"\n'
        'deadline = "1s"\n',
        encoding="utf-8",
    )
    results = {}
    for on_error in ("fail", "warn"):
        root = tmp_path / on_error
        root.mkdir()
        inputs = {"service": "checkout", "on-error": on_error}
        run = run_action(root, inputs, workspace=project, stand_in=FAST)
        check = run.steps["check"]
        results[on_error] = (check.returncode, run.outputs["verdict"])
        # The failure is in its annotation on stdout; stderr says NOT VERIFIED, not it again.
        assert "source 'github' failed: POST http://127.0.0.1:9/graphql" in check.stdout
    assert results == {"fail": (3, "unknown"), "warn": (0, "unknown")}


# --- the real install step -------------------------------------------------------------------

_PASSTHROUGH = re.compile(
    r"PIP_.*|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_.*|REQUESTS_CA_BUNDLE"
)


def copy_action(target: Path) -> Path:
    """A copy of the repository's files, as the runner checks the action out."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


UV = Path(sys.executable).parent / "uv"
"""uv, a test dependency; the action uses it when it is on PATH."""


def installer_path(tmp_path: Path, installer: str) -> str:
    """PATH with python3 (the interpreter this venv was made from), and uv only for 'uv'."""
    python_bin = Path(sys.base_prefix) / "bin"
    assert (python_bin / "python3").exists()
    if installer == "pip":
        assert not any((Path(d) / "uv").exists() for d in (python_bin, "/usr/bin", "/bin"))
        return f"{python_bin}:/usr/bin:/bin"
    tools = tmp_path / "uv_bin"
    tools.mkdir()
    (tools / "uv").symlink_to(UV)
    return f"{tools}:{python_bin}:/usr/bin:/bin"


def real_run(
    root: Path,
    action_path: Path,
    path: str,
    inputs: Mapping[str, str],
    *,
    extra_env: Mapping[str, str] | None = None,
    **options: Any,
) -> ActionRun:
    """The real steps, with the machine's pip and proxy settings as a runner keeps them, and
    ``extra_env`` over them."""
    root.mkdir(parents=True, exist_ok=True)
    return run_action(
        root,
        inputs,
        action_path=action_path,
        home=Path.home(),
        path=path,
        passthrough={
            **{k: v for k, v in os.environ.items() if _PASSTHROUGH.fullmatch(k)},
            **(extra_env or {}),
        },
        **options,
    )


@pytest.mark.parametrize(
    ("installer", "uv_to_be_had"), [("uv", True), ("pip", True), ("pip", False)]
)
def test_the_real_install_step_then_the_check(
    tmp_path: Path, installer: str, uv_to_be_had: bool
) -> None:
    """The install step installs from the package index; the check runs what it installed.

    With uv (on PATH, or fetched by pip where there is none) it installs the
    dependencies and runs deploygate from the action's checkout, with nothing
    to build. When no uv can be had (here: a pip constraint that no uv
    release meets), pip builds and installs a copy of the action.
    """
    action_path = copy_action(tmp_path / "action")
    reports = tmp_path / "reports"
    constraint = tmp_path / "no-uv.txt"
    constraint.write_text("uv<0\n")
    run = real_run(
        tmp_path,
        action_path,
        installer_path(tmp_path, installer),
        quickstart_inputs(reports),
        extra_env={} if uv_to_be_had else {"PIP_CONSTRAINT": str(constraint)},
    )
    assert run.steps["key"].outputs["installer"] == installer
    installed = tmp_path / "runner_temp" / INSTALLED
    assert installed.is_file()
    assert not installed.is_symlink()
    # Not this project's editable install: the action's own copy, or its checkout.
    venv = tmp_path / "runner_temp" / "deploygate"
    check = subprocess.run(
        [venv / "bin" / "python", "-c", "import deploygate; print(deploygate.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    where = Path(check.stdout.strip())
    assert where.is_relative_to(action_path if uv_to_be_had else venv), where
    fetched = (tmp_path / "runner_temp" / "deploygate-uv" / "bin" / "uv").exists()
    assert fetched == (installer == "pip" and uv_to_be_had)
    assert ("no uv to be had" in run.steps["install"].stderr) == (not uv_to_be_had)
    assert_blocked_quickstart(run, reports)


def test_the_uv_the_action_and_component_fetch_is_the_one_the_tests_pin() -> None:
    """Where a runner has no uv the action and the component fetch one; the tests run that
    same release."""
    pinned = re.search(r'"uv==([^"]+)"', (REPO_ROOT / "pyproject.toml").read_text())
    action = re.search(r"UV_VERSION: (\S+)", (REPO_ROOT / "action.yml").read_text())
    component = re.search(
        r'"uv==([^"]+)"', (REPO_ROOT / "templates" / "deploygate.yml").read_text()
    )
    assert pinned
    assert action
    assert component
    assert pinned[1] == action[1] == component[1]


def test_a_cached_venv_skips_the_install_and_a_pull_request_saves_none(tmp_path: Path) -> None:
    """The venv a push run saved is restored by the next run, which installs nothing.

    A pull request run restores too, but never saves: from a cache that
    has no entry it installs, and leaves the cache as empty as it found it.
    """
    action_path = copy_action(tmp_path / "action")
    path = installer_path(tmp_path, "uv")
    temp = tmp_path / "runner_temp"  # the same folder each time, emptied, as on a runner
    cache = tmp_path / "cache"
    runs: dict[str, ActionRun] = {}
    for name, event in (("pr", "pull_request"), ("push", "push"), ("next", "pull_request")):
        (tmp_path / name).mkdir()
        inputs = quickstart_inputs(tmp_path / name / "reports")
        runs[name] = real_run(
            tmp_path / name, action_path, path, inputs, cache=cache, event=event, runner_temp=temp
        )
        assert_blocked_quickstart(runs[name], tmp_path / name / "reports")
        if name == "pr":
            assert not cache.exists()  # saved nothing
        shutil.rmtree(temp)
    keys = {run.steps["key"].outputs["key"] for run in runs.values()}
    assert len(keys) == 1
    assert [entry.name for entry in cache.iterdir()] == [f"{key}.tar" for key in keys]
    assert runs["pr"].steps["restore"].outputs["cache-hit"] == "false"
    assert runs["pr"].steps["install"].outputs == {"save": "false"}
    assert "save" not in runs["pr"].steps
    assert runs["push"].steps["install"].outputs == {"save": "true"}
    assert "save" in runs["push"].steps
    assert runs["next"].steps["restore"].outputs["cache-hit"] == "true"
    assert runs["next"].steps["install"].outputs == {"save": "false"}


def test_a_restored_venv_of_another_key_is_replaced(tmp_path: Path) -> None:
    """A venv whose key file names another key (another version, Python or installer)
    is not used: the install step makes a new one."""
    action_path = copy_action(tmp_path / "action")
    path = installer_path(tmp_path, "uv")
    venv = tmp_path / "runner_temp" / "deploygate"
    venv.mkdir(parents=True)
    (venv / "deploygate-venv-key").write_text("deploygate-venv-another\n")
    stale = venv / "stale"
    stale.touch()
    reports = tmp_path / "reports"
    run = real_run(
        tmp_path / "run", action_path, path, quickstart_inputs(reports), runner_temp=venv.parent
    )
    assert_blocked_quickstart(run, reports)
    assert not stale.exists()
    assert (venv / "deploygate-venv-key").read_text().strip() == run.steps["key"].outputs["key"]


def test_the_cache_key_names_the_system_python_installer_place_and_version(
    tmp_path: Path,
) -> None:
    """Each part that decides what a venv holds, or where it works, changes the key."""

    def key(
        root: str,
        *,
        action: Path = REPO_ROOT,
        path: str = "/usr/bin:/bin",
        event: str = "push",
        temp: str = "t",
    ) -> dict[str, str]:
        (tmp_path / root).mkdir()
        run = run_action(
            tmp_path / root,
            {"service": "checkout", "config": QUICKSTART_CONFIG},
            action_path=action,
            path=path,
            event=event,
            stand_in=FAST,
            runner_temp=tmp_path / temp,
        )
        shutil.rmtree(tmp_path / temp)
        return run.steps["key"].outputs

    base = key("base")
    assert re.fullmatch(
        r"deploygate-venv-Linux-\w+-CPython-3\.\d+\.\d+-pip-\w{8}-\w{16}", base["key"]
    )
    assert base["installer"] == "pip"
    assert base["save"] == "true"
    assert base["path"] == str(tmp_path / "t" / "deploygate")
    # A pull request run restores only.
    assert key("pr", event="pull_request")["save"] == "false"
    assert key("target", event="pull_request_target")["save"] == "false"
    # uv on PATH, another runner temp folder, another version of the action.
    assert key("uv", path=installer_path(tmp_path, "uv"))["key"] != base["key"]
    assert key("where", temp="t2")["key"] != base["key"]
    changed = copy_action(tmp_path / "changed")
    init = changed / "src" / "deploygate" / "__init__.py"
    init.write_text(init.read_text().replace('__version__ = "', '__version__ = "9'))
    assert key("version", action=changed)["key"] != base["key"]


def test_the_action_against_the_fake_github(
    tmp_path: Path,
    fake_github: FakeGitHub,  # noqa: F811
) -> None:
    """The action's steps, as the runner runs them, reading a year of history from GitHub."""
    build_year(fake_github)
    project = tmp_path / "project"
    project.mkdir()
    (project / "deploygate.toml").write_text(
        '[github]\npostmortem-repository = "acme/incidents"\n', encoding="utf-8"
    )
    root = tmp_path / "run"
    root.mkdir()
    environment = fake_github.actions_env(TOKEN, "acme/shop")
    run = run_action(
        root,
        {
            "service": "checkout",
            "environment": "production",
            "source": "github",
            "repo": "acme/shop",
            "token": TOKEN,
            "now": "2026-11-20T12:00:00Z",
        },
        workspace=project,
        stand_in=FAST,
        passthrough={
            key: environment[key]
            for key in ("GITHUB_API_URL", "GITHUB_GRAPHQL_URL", "GITHUB_SERVER_URL")
        },
    )
    check = run.steps["check"]
    assert check.returncode == 1, check.stderr
    assert run.outputs == {
        "verdict": "block",
        "enforced": "true",
        "findings": "10",
        "blocking": "true",
    }
    levels = [command.name for command in commands(check.stdout)]
    assert levels == ["error"] + ["warning"] * 4 + ["notice"] * 5
    assert check.summary.startswith("### ⛔ deploygate: block for **checkout** to **production**")
    assert "Alert on payment error budget" in check.summary
    assert TOKEN not in check.stdout + check.stderr + check.summary


def test_the_docs_ask_for_the_permissions_the_example_gate_job_grants() -> None:
    """The GitHub page's permission table and Actions snippet and the example workflow's
    gate job name the same scopes, so a team copying either grants what the gate reads
    (tests/test_readme_paths.py holds the README's GitHub path to init's workflow)."""
    workflow = yaml.safe_load((REPO_ROOT / "examples" / "github" / "deploy.yml").read_text("utf-8"))
    granted = {
        f"{scope}: {access}" for scope, access in workflow["jobs"]["gate"]["permissions"].items()
    }
    page = (REPO_ROOT / "docs" / "sources" / "github.md").read_text("utf-8")
    [row] = [line for line in page.splitlines() if line.startswith("| `check --source github` |")]
    assert set(re.findall(r"`([a-z-]+: (?:read|write))`", row)) == granted
    [snippet] = re.findall(r"^ *permissions: (\{[^}\n]*\})$", page, re.MULTILINE)
    assert {f"{scope}: {access}" for scope, access in yaml.safe_load(snippet).items()} == granted
