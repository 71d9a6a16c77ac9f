"""The GitLab CI/CD component (templates/deploygate.yml) and the example pipeline.

gitlab-ci-local runs examples/gitlab/.gitlab-ci.yml as GitLab would, on its
shell executor (``--force-shell-executor``: the job's ``image:`` is ignored,
there is no container engine here), in a throwaway git repository whose
origin is a GitLab that is never contacted. The example includes the
component as ``$CI_SERVER_FQDN/OWNER/deploygate/deploygate@VERSION``;
gitlab-ci-local resolves that from its include cache,
``.gitlab-ci-local/includes/<host>/<project>/<ref>/templates/``, where these
tests put this checkout's component, so the real ``spec:inputs`` header is
interpolated with the example's own ``inputs:`` (a few changed per test: the
quickstart config, the local source, no install).

gitlab-ci-local 4.65.1 gets one thing wrong that matters here: for the
pipeline's scheduling and its own exit code it treats any
``allow_failure: exit_codes: [...]`` as ``allow_failure: true``, so a job
that exits 1 still lets the jobs that need it run. It does compute the job's
own status right (failed for exit 1, warning for exit 3), and that is what
these tests read. So a blocked gate runs alone, and the tests that run the
whole pipeline are those where GitLab runs the deploy too (exit 3 allowed to
fail) or where ``allow_failure`` is false.

gitlab-ci-local and rsync are not Python packages: .ci/run installs them. A
missing one fails these tests, never skips them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO_ROOT, check_envvars
from fakes.gitlab import FakeGitLab, fake_gitlab  # noqa: F401
from fakes.worlds import GITLAB_TOKEN as TOKEN
from fakes.worlds import gitlab_year as build_year

from deploygate import __version__

GITLAB_CI_LOCAL_VERSION = "4.65.1"
INSTALLS = (
    ".ci/run installs it (npm install --global gitlab-ci-local@4.65.1; apt-get install -y rsync)"
)
COMPONENT = REPO_ROOT / "templates" / "deploygate.yml"
EXAMPLE = REPO_ROOT / "examples" / "gitlab" / ".gitlab-ci.yml"
SERVER = "gitlab.example.com"  # the origin of the throwaway repository; never contacted
ORIGIN = f"https://{SERVER}/acme/shop.git"
NOW = "2026-11-20T12:00:00Z"
QUICKSTART_CONFIG = "examples/quickstart/deploygate.toml"
CODEQUALITY = "deploygate-code-quality.json"
DOTENV = "deploygate.env"
GATE = "deploygate"  # the component's default job name, which the example's deploy job needs
DEPLOY = "deploy"
VENV_BIN = Path(sys.executable).parent
"""The project's virtual environment: its deploygate is the one under test."""
_PASSTHROUGH = re.compile(
    r"PIP_.*|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_.*|REQUESTS_CA_BUNDLE"
)
SEVERITIES = {"info", "minor", "major", "critical", "blocker"}
"""GitLab's Code Quality severities."""


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not on PATH; {INSTALLS}", pytrace=False)
    return path


@pytest.fixture(scope="module")
def gitlab_ci_local() -> str:
    """gitlab-ci-local of the pinned version, and rsync, which it needs for artifacts."""
    path = tool("gitlab-ci-local")
    tool("rsync")
    version = subprocess.run(
        [path, "--version"], capture_output=True, text=True, check=False, timeout=60
    ).stdout.strip()
    if version != GITLAB_CI_LOCAL_VERSION:
        pytest.fail(
            f"gitlab-ci-local is {version or 'unusable'}, these tests pin "
            f"{GITLAB_CI_LOCAL_VERSION}; {INSTALLS}",
            pytrace=False,
        )
    return path


def load_component() -> tuple[dict[str, Any], dict[str, Any]]:
    """The component's spec header and its configuration, the two YAML documents."""
    spec, config = yaml.safe_load_all(COMPONENT.read_text(encoding="utf-8"))
    return spec["spec"]["inputs"], config


def load_example() -> dict[str, Any]:
    pipeline: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    return pipeline


def component_include(pipeline: Mapping[str, Any]) -> dict[str, Any]:
    (include,) = [entry for entry in pipeline["include"] if "component" in entry]
    return dict(include)


_REFERENCE = re.compile(r"\$CI_SERVER_FQDN/(?P<project>[^@]+)/(?P<name>[^/@]+)@(?P<ref>.+)")


# --- a pipeline run --------------------------------------------------------------------------


@dataclass
class Run:
    """One gitlab-ci-local run: its output, each job's status, and the project it ran in."""

    returncode: int
    stdout: str
    stderr: str
    project: Path

    def status(self, job: str) -> tuple[str, int] | None:
        """('success', 0), ('warning', code) or ('failed', code); None if the job never ran."""
        for line in (self.stdout + self.stderr).splitlines():
            match = re.fullmatch(
                rf"{re.escape(job)}\s+finished in .*?(?:\s(WARN|FAIL) (\d+))?\s*", line
            )
            if match:
                if match[1] is None:
                    return "success", 0
                return {"WARN": "warning", "FAIL": "failed"}[match[1]], int(match[2])
        return None

    def log(self, job: str) -> str:
        return (self.project / ".gitlab-ci-local" / "output" / f"{job}.log").read_text("utf-8")

    def dotenv(self) -> dict[str, str]:
        lines = (self.project / DOTENV).read_text(encoding="utf-8").splitlines()
        return dict(line.split("=", 1) for line in lines if line)

    def codequality(self) -> list[dict[str, Any]]:
        report: list[dict[str, Any]] = json.loads(
            (self.project / CODEQUALITY).read_text(encoding="utf-8")
        )
        return report

    def resolved(self) -> dict[str, Any]:
        """The pipeline as gitlab-ci-local resolved it: includes merged, inputs interpolated."""
        expanded = self.project / ".gitlab-ci-local" / "expanded-gitlab-ci.yml"
        config: dict[str, Any] = yaml.safe_load(expanded.read_text(encoding="utf-8"))
        return config

    def describe(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def git(project: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "init.defaultBranch=main", *args],
        cwd=project,
        check=True,
        capture_output=True,
        timeout=60,
    )


def make_project(
    tmp_path: Path,
    inputs: Mapping[str, Any],
    *,
    files: Mapping[str, str] = {},
    jobs: Mapping[str, Mapping[str, Any]] = {},
) -> Path:
    """A git repository holding the example pipeline, with the component where GitLab finds it.

    ``inputs`` change the example's inputs; ``jobs`` are merged into the pipeline as a
    user's own keys would be; ``files`` are written into the repository.
    """
    project = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", project / "examples" / "quickstart")
    for name, text in files.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    pipeline = load_example()
    include = component_include(pipeline)
    reference = _REFERENCE.fullmatch(include["component"])
    assert reference, include["component"]
    include["inputs"] = {**include["inputs"], **inputs}
    pipeline["include"] = [include]
    for name, config in jobs.items():
        pipeline[name] = {**pipeline.get(name, {}), **config}
    (project / ".gitlab-ci.yml").write_text(yaml.safe_dump(pipeline), encoding="utf-8")
    (project / ".gitignore").write_text(".gitlab-ci-local/\n", encoding="utf-8")
    # Where gitlab-ci-local keeps a component it fetched from the server.
    cached = (
        project / ".gitlab-ci-local" / "includes" / SERVER / reference["project"] / reference["ref"]
    )
    (cached / "templates").mkdir(parents=True)
    shutil.copy(COMPONENT, cached / "templates" / f"{reference['name']}.yml")
    git(project, "init", "--quiet")
    git(project, "config", "user.name", "deploygate tests")
    git(project, "config", "user.email", "tests@example.com")
    git(project, "remote", "add", "origin", ORIGIN)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "the project")
    # origin/HEAD, so that gitlab-ci-local finds the default branch without asking.
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(project, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return project


def run_pipeline(
    gitlab_ci_local: str,
    project: Path,
    *,
    jobs: Sequence[str] = (),
    variables: Mapping[str, str] = {},
    path: Sequence[Path] = (VENV_BIN,),
    home: Path | None = None,
    passthrough: Mapping[str, str] = {},
    isolated: bool = False,
) -> Run:
    """Run the pipeline (or only ``jobs``) on the shell executor, in a clean environment.

    Inside GitLab CI (GITLAB_CI=true), at a fixed time. ``path`` comes first on PATH:
    by default the project's virtual environment, whose deploygate the job then runs.
    ``isolated`` runs each job in a fresh copy of the project, as a runner does,
    where gitlab-ci-local restores and saves the job's cache (in the project
    folder itself, gitlab-ci-local's default, it has none).
    """
    for directory in (VENV_BIN, *path):
        assert directory.is_dir(), directory
    tools = [Path(tool(name)).parent for name in ("node", "git", "rsync", "bash")]
    search = [*path, Path(gitlab_ci_local).parent, *tools, Path("/usr/bin"), Path("/bin")]
    env = {
        **passthrough,
        "PATH": os.pathsep.join(dict.fromkeys(map(str, search))),
        "HOME": str(home or project.parent / "home"),
        "LANG": "C.UTF-8",
    }
    args = [gitlab_ci_local, "--force-shell-executor", "--no-color"]
    args += ["--home", str(project.parent / "gitlab-ci-local-home")]
    args += ["--ignore-predefined-vars", "GITLAB_CI"]
    if isolated:  # each job in a fresh copy of the project, with the job's cache copied in and out
        args.append("--shell-isolation")
    for name, value in {"GITLAB_CI": "true", "DEPLOYGATE_NOW": NOW, **variables}.items():
        args += ["--variable", f"{name}={value}"]
    result = subprocess.run(
        [*args, *jobs],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return Run(result.returncode, result.stdout, result.stderr, project)


# --- what a run published ------------------------------------------------------------------


def assert_reports(run: Run, *, verdict: str, findings: int) -> list[dict[str, Any]]:
    """The dotenv and Code Quality reports exist where the job declares them, and agree."""
    gate = run.resolved()[GATE]
    assert gate["artifacts"]["when"] == "always"
    assert gate["artifacts"]["reports"] == {"codequality": CODEQUALITY, "dotenv": DOTENV}
    dotenv = run.dotenv()
    assert dotenv["DEPLOYGATE_VERDICT"] == verdict
    assert dotenv["DEPLOYGATE_BLOCKING"] == ("true" if verdict == "block" else "false")
    assert dotenv["DEPLOYGATE_FINDINGS"] == str(findings)
    counts = [int(dotenv[f"DEPLOYGATE_{level}"]) for level in ("ERRORS", "WARNINGS", "NOTICES")]
    assert sum(counts) == findings
    report = run.codequality()
    assert isinstance(report, list)
    for issue in report:
        assert isinstance(issue["description"], str)
        assert issue["description"]
        assert isinstance(issue["check_name"], str)
        assert issue["check_name"]
        assert isinstance(issue["fingerprint"], str)
        assert issue["fingerprint"]
        assert issue["severity"] in SEVERITIES
        location = issue["location"]
        # Relative to the repository root, so that GitLab links the file.
        assert not Path(location["path"]).is_absolute()
        assert (run.project / location["path"]).is_file(), location["path"]
        assert isinstance(location["lines"]["begin"], int)
        assert location["lines"]["begin"] >= 1
    assert len({issue["fingerprint"] for issue in report}) == len(report)
    return report


def assert_blocked_quickstart(run: Run) -> None:
    assert run.status(GATE) == ("failed", 1), run.describe()
    log = run.log(GATE)
    assert "verdict: block" in log
    # Inside GitLab CI the log is the gitlab format: the findings in a collapsible section,
    # which gitlab-ci-local recognises as GitLab does (the markers reach its pipe intact).
    assert "deploygate_findings_started" in log
    assert "deploygate_findings took" in log
    assert "section_start:" not in log
    report = assert_reports(run, verdict="block", findings=10)
    assert len(report) == 10
    assert {issue["check_name"].rpartition("/")[2] for issue in report} == {
        "repeat-failure",
        "overdue-action-item",
        "open-action-item",
        "unreviewed-failure",
        "declined-action-item",
        "reviewed-failure",
    }
    assert any(issue["severity"] in {"critical", "blocker"} for issue in report)


QUICKSTART = {"config": QUICKSTART_CONFIG, "source": "local", "install": False}
"""The example's inputs, changed to read the quickstart from the repository with the
deploygate on PATH; the rest (service, environment, stage, comment...) are the example's."""

UNREACHABLE = {
    # The GitHub source on a closed local port (nothing leaves this machine), with a
    # deadline too short to retry: deploygate cannot decide and exits 3.
    "deploygate.toml": 'source = "github"\n[github]\nrepository = "a/b"\n'
    'api-url = "http://127.0.0.1:9"\ndeadline = "1s"\n',
}

UNREACHABLE_GITLAB = {
    # The GitLab source itself on a closed local port.
    "deploygate.toml": 'source = "gitlab"\n[gitlab]\nurl = "http://127.0.0.1:9"\n'
    'project = "group/shop"\ndeadline = "1s"\n',
}


# --- running the example pipeline --------------------------------------------------------


def test_a_blocked_gate_fails_the_job_and_still_publishes_its_reports(
    tmp_path: Path, gitlab_ci_local: str
) -> None:
    project = make_project(tmp_path, QUICKSTART)
    # The gate job alone: gitlab-ci-local 4.65.1 would run the deploy job after it (see above).
    run = run_pipeline(gitlab_ci_local, project, jobs=[GATE])
    assert_blocked_quickstart(run)
    assert run.status(DEPLOY) is None
    # The example's comment: true, outside a merge request pipeline.
    assert 'if [ "true" = "true" ]; then export DEPLOYGATE_COMMENT=true' in "\n".join(
        run.resolved()[GATE]["script"]
    )
    assert "no note written" in run.log(GATE)
    # Exit 1 is not among the exit codes allowed to fail, and the deploy job needs the gate.
    resolved = run.resolved()
    assert resolved[GATE]["allow_failure"] == {"exit_codes": [3]}
    assert {"job": GATE, "artifacts": True} in [
        {key: need[key] for key in ("job", "artifacts")} for need in resolved[DEPLOY]["needs"]
    ]
    assert resolved[GATE]["stage"] == "gate"
    assert resolved["stages"].index("gate") < resolved["stages"].index("deploy")


@pytest.mark.parametrize(
    ("on_error", "status", "stderr"),
    [
        ("fail", ("warning", 3), "deploygate: NOT VERIFIED"),
        ("warn", ("success", 0), "Exiting 0 because of --on-error warn"),
    ],
    ids=["on-error-fail", "on-error-warn"],
)
def test_a_failed_source_warns_and_the_deploy_goes_ahead(
    tmp_path: Path,
    gitlab_ci_local: str,
    on_error: str,
    status: tuple[str, int],
    stderr: str,
) -> None:
    project = make_project(
        tmp_path,
        {"source": "github", "install": False, "on-error": on_error},
        files=UNREACHABLE,
    )
    run = run_pipeline(gitlab_ci_local, project, variables={"GITHUB_TOKEN": "x"})
    assert run.status(GATE) == status, run.describe()
    log = run.log(GATE)
    assert "source 'github' failed: POST http://127.0.0.1:9/graphql" in log
    assert stderr in log
    report = assert_reports(run, verdict="unknown", findings=0)
    assert report, "the Code Quality report says nothing of the unverified gate"
    # The deploy job ran after the gate, with the gate's dotenv report in its environment.
    assert run.status(DEPLOY) == ("success", 0), run.describe()
    assert "deploygate verdict unknown, 0 findings" in run.log(DEPLOY)


def test_an_unreachable_gitlab_shows_the_gate_as_a_warning(
    tmp_path: Path, gitlab_ci_local: str
) -> None:
    project = make_project(
        tmp_path, {"source": "gitlab", "install": False}, files=UNREACHABLE_GITLAB
    )
    run = run_pipeline(gitlab_ci_local, project, jobs=[GATE], variables={"GITLAB_TOKEN": "x"})
    assert run.status(GATE) == ("warning", 3), run.describe()
    log = run.log(GATE)
    assert "source 'gitlab' failed:" in log
    assert "127.0.0.1:9" in log
    assert "deploygate: NOT VERIFIED" in log
    assert "Traceback" not in log
    assert run.dotenv()["DEPLOYGATE_VERDICT"] == "unknown"


def test_allow_failure_false_keeps_an_unverified_deploy_from_shipping(
    tmp_path: Path, gitlab_ci_local: str
) -> None:
    # What the component's comment and the GitLab docs page say: override the included job.
    project = make_project(
        tmp_path,
        {"source": "github", "install": False},
        files=UNREACHABLE,
        jobs={GATE: {"allow_failure": False}},
    )
    run = run_pipeline(gitlab_ci_local, project, variables={"GITHUB_TOKEN": "x"})
    assert run.status(GATE) == ("failed", 3), run.describe()
    assert run.status(DEPLOY) is None, run.describe()
    assert run.dotenv()["DEPLOYGATE_VERDICT"] == "unknown"


@pytest.mark.parametrize(
    ("strict", "status", "verdict"),
    [(False, ("success", 0), "warn"), (True, ("failed", 1), "block")],
    ids=["not-strict", "strict"],
)
def test_the_strict_input_makes_warnings_block(
    tmp_path: Path,
    gitlab_ci_local: str,
    strict: bool,
    status: tuple[str, int],
    verdict: str,
) -> None:
    # Staging: the quickstart's overdue lessons are only warnings there.
    project = make_project(tmp_path, {**QUICKSTART, "environment": "staging", "strict": strict})
    run = run_pipeline(gitlab_ci_local, project, jobs=[GATE])
    assert run.status(GATE) == status, run.describe()
    assert_reports(run, verdict=verdict, findings=5)
    # The boolean arrives in the script as the text true or false, inside the test.
    assert f'if [ "{str(strict).lower()}" = "true" ]' in run.resolved()[GATE]["script"][0]


def test_the_advisory_input_passes_a_blocked_gate_and_says_would_block(
    tmp_path: Path, gitlab_ci_local: str
) -> None:
    project = make_project(tmp_path, {**QUICKSTART, "advisory": True})
    run = run_pipeline(gitlab_ci_local, project, jobs=[GATE])
    assert run.status(GATE) == ("success", 0), run.describe()
    log = run.log(GATE)
    assert "verdict: would block: lessons of past failures" in log
    assert "ADVISORY: not enforced" in log
    assert_reports(run, verdict="block", findings=10)
    assert run.dotenv()["DEPLOYGATE_ENFORCED"] == "false"
    assert 'if [ "true" = "true" ]; then export DEPLOYGATE_ADVISORY=true' in "\n".join(
        run.resolved()[GATE]["script"]
    )


@pytest.mark.parametrize("uv_to_be_had", [True, False])
def test_the_install_step_installs_the_package_input(
    tmp_path: Path, gitlab_ci_local: str, uv_to_be_had: bool
) -> None:
    """install: true with package set to a copy of this checkout, as a test pipeline would.

    PATH has python3 but no uv and no deploygate, so the job can only run what
    it installed: with a uv that pip fetches, or, when no uv can be had (a pip
    constraint no uv release meets), with pip itself; from the index, into a
    fresh virtual environment. The machine's pip and proxy settings pass through.
    """
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    checkout = tmp_path / "checkout"
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, checkout / name)
    python_bin = Path(sys.base_prefix) / "bin"
    assert (python_bin / "python3").exists()
    assert not (python_bin / "deploygate").exists()
    project = make_project(tmp_path, {**QUICKSTART, "install": True, "package": str(checkout)})
    no_uv = tmp_path / "no-uv.txt"
    no_uv.write_text("uv<0\n")
    run = run_pipeline(
        gitlab_ci_local,
        project,
        jobs=[GATE],
        path=[python_bin],
        home=Path.home(),  # pip's cache
        passthrough={k: v for k, v in os.environ.items() if _PASSTHROUGH.fullmatch(k)},
        variables={} if uv_to_be_had else {"PIP_CONSTRAINT": str(no_uv)},
    )
    assert f"deploygate, version {__version__}" in run.log(GATE), run.describe()
    assert ("no uv to be had" in run.log(GATE)) == (not uv_to_be_had)
    assert_blocked_quickstart(run)


UV = VENV_BIN / "uv"
"""uv, a test dependency; the job installs with it when the image has it."""


@pytest.mark.parametrize("installer", ["pip", "uv"])
def test_the_cached_venv_serves_the_next_pipeline(
    tmp_path: Path, gitlab_ci_local: str, installer: str
) -> None:
    """deploygate==VERSION from an index, then the job's cache in the next pipeline.

    The index is a folder with a wheel of this checkout (find-links; no
    deploygate is on the public index), the dependencies come from the real
    one. The first pipeline installs and saves the venv in the job's cache; the
    next one, in a fresh build folder, runs that venv and installs nothing.
    """
    wheels = tmp_path / "wheels"
    machine = {k: v for k, v in os.environ.items() if _PASSTHROUGH.fullmatch(k)}
    # An environment of its own, as the jobs have: pip fetches setuptools to build.
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", wheels, REPO_ROOT],
        check=True,
        capture_output=True,
        env={**machine, "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )
    [wheel] = wheels.glob("deploygate-*.whl")
    inputs, _ = load_component()
    assert inputs["version"]["default"] == __version__  # the one the wheel folder has
    python_bin = Path(sys.base_prefix) / "bin"
    tools = tmp_path / "tools"
    tools.mkdir()
    if installer == "uv":
        (tools / "uv").symlink_to(UV)
    project = make_project(tmp_path, {**QUICKSTART, "install": True})
    logs = []
    for _ in range(2):
        run = run_pipeline(
            gitlab_ci_local,
            project,
            jobs=[GATE],
            path=[tools, python_bin],
            home=Path.home(),
            passthrough=machine,
            variables={"PIP_FIND_LINKS": str(wheels), "UV_FIND_LINKS": str(wheels)},
            isolated=True,
        )
        # Blocked, as the quickstart is (its reports are in the isolated copy).
        assert run.status(GATE) == ("failed", 1), run.describe()
        assert "verdict: block" in run.log(GATE)
        logs.append(run.log(GATE))  # before the next run writes over it
        assert f"deploygate, version {__version__}" in logs[-1]
    package = f"deploygate=={__version__}"
    assert f"deploygate: installing {package}" in logs[0]
    assert f"deploygate: {package} from the cache" in logs[1]
    assert "deploygate: installing" not in logs[1]
    [cached] = (project / ".gitlab-ci-local" / "cache").iterdir()
    assert cached.name.startswith(f"deploygate-venv-{__version__}")
    assert (cached / ".deploygate-venv" / "bin" / "deploygate").is_file()
    assert wheel.name.startswith(f"deploygate-{__version__}-")


# --- the component's shape ---------------------------------------------------------------


def test_the_component_is_where_the_catalog_expects_it() -> None:
    # templates/<name>.yml: the component `deploygate` of this project.
    assert COMPONENT.is_file()
    reference = _REFERENCE.fullmatch(component_include(load_example())["component"])
    assert reference
    assert reference["project"] == "OWNER/deploygate"
    assert reference["name"] == COMPONENT.stem
    # The example pins the release that installs the deploygate of the same version.
    assert reference["ref"] == __version__


def test_the_inputs_and_their_types() -> None:
    inputs, _ = load_component()
    assert "default" not in inputs["service"]  # required
    assert inputs["on-error"]["options"] == ["fail", "warn"]
    assert inputs["on-error"]["default"] == "fail"
    for name in ("strict", "comment", "advisory", "install"):
        assert inputs[name]["type"] == "boolean", name
    assert inputs["strict"]["default"] is False
    assert inputs["advisory"]["default"] is False
    assert inputs["comment"]["default"] is False
    assert inputs["install"]["default"] is True
    assert inputs["version"]["default"] == __version__
    assert re.fullmatch(inputs["version"]["regex"], __version__)
    assert inputs["image"]["default"] == "python:3.12-slim"
    assert inputs["job-name"]["default"] == GATE
    for name, spec in inputs.items():
        assert spec.get("description"), name
        if "options" in spec:
            assert spec["default"] in spec["options"], name


def test_no_input_becomes_shell() -> None:
    """String inputs reach the job only as variables; booleans only as `[ "..." = "true" ]`."""
    inputs, config = load_component()
    (job,) = config.values()
    scripts = "\n".join(job["before_script"] + job["script"])
    booleans = re.findall(r"\$\[\[ inputs\.([\w-]+) \]\]", scripts)
    for name in booleans:
        assert inputs[name].get("type") == "boolean", name
    guarded = re.findall(r'\[ "\$\[\[ inputs\.([\w-]+) \]\]" = "true" \]', scripts)
    assert sorted(booleans) == sorted(guarded)
    text = COMPONENT.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    used = set(re.findall(r"\$\[\[ inputs\.([\w-]+)", text))
    assert used == set(inputs), "inputs declared but unused, or used but not declared"


def test_the_job_sets_only_variables_that_check_reads() -> None:
    _, config = load_component()
    (job,) = config.values()
    ours = {name for name in job["variables"] if name.startswith("DEPLOYGATE_")}
    assert ours
    assert ours <= check_envvars(), ours - check_envvars()
    for name, value in job["variables"].items():
        if name.startswith("DEPLOYGATE_"):
            input_name = name.removeprefix("DEPLOYGATE_").lower().replace("_", "-")
            assert value == f"$[[ inputs.{input_name} ]]", name
    flags = {"DEPLOYGATE_STRICT", "DEPLOYGATE_COMMENT", "DEPLOYGATE_ADVISORY"}
    assert flags <= check_envvars()
    assert all(f"export {flag}=true" in "\n".join(job["script"]) for flag in flags)


def test_the_job_clones_the_whole_history() -> None:
    """GitLab's default shallow clone would leave git unable to follow a fix (local store)."""
    _, config = load_component()
    (job,) = config.values()
    assert job["variables"]["GIT_DEPTH"] == "0"


def test_the_reports_are_the_files_the_check_writes() -> None:
    _, config = load_component()
    (job,) = config.values()
    command = job["script"][-1]
    assert command.startswith("deploygate check ")
    reports = job["artifacts"]["reports"]
    assert f"--output codequality={reports['codequality']}" in command
    assert f"--output dotenv={reports['dotenv']}" in command
    assert job["artifacts"]["when"] == "always"
    assert job["allow_failure"] == {"exit_codes": [3]}


def test_the_pipeline_against_the_fake_gitlab(
    tmp_path: Path,
    gitlab_ci_local: str,
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    """The example pipeline, its gate reading a year of history from the fake GitLab."""
    expected = build_year(fake_gitlab)
    config = (
        f'source = "gitlab"\n[gitlab]\nurl = "{fake_gitlab.url}"\nproject = "group/shop"\n'
        'postmortem-project = "group/incidents"\n'
    )
    project = make_project(
        tmp_path,
        {"source": "gitlab", "install": False, "config": "deploygate.toml"},
        files={"deploygate.toml": config},
    )
    run = run_pipeline(gitlab_ci_local, project, jobs=[GATE], variables={"GITLAB_TOKEN": TOKEN})
    assert run.status(GATE) == ("failed", 1), run.describe()
    log = run.log(GATE)
    assert "deploygate_findings_started" in log
    assert TOKEN not in log
    report = assert_reports(run, verdict="block", findings=9)
    fingerprints = {issue["check_name"].rpartition("/")[2] for issue in report}
    assert fingerprints == {
        "repeat-failure",
        "overdue-action-item",
        "open-action-item",
        "unreviewed-failure",
        "declined-action-item",
        "reviewed-failure",
    }
    assert any(expected["overdue"] in issue["description"] or "Alert on payment" in
               issue["description"] for issue in report)  # fmt: skip
    assert fake_gitlab.requests_to("/deployments")


# --- the scheduled learning-loop report ------------------------------------------------------

REPORT_PIPELINE = REPO_ROOT / "examples" / "gitlab" / "learning-loop-report.gitlab-ci.yml"
REPORT_JOB = "learning-loop-report"


def report_project(tmp_path: Path, gitlab_url: str) -> Path:
    """A repository whose pipeline is the report example, reading the quickstart's history."""
    project = tmp_path / "project"
    quickstart = project / "examples" / "quickstart"
    shutil.copytree(REPO_ROOT / "examples" / "quickstart", quickstart)
    config = quickstart / "deploygate.toml"
    config.write_text(
        config.read_text("utf-8") + f'\n[gitlab]\nurl = "{gitlab_url}"\nproject = "group/shop"\n',
        encoding="utf-8",
    )
    shutil.copy(REPORT_PIPELINE, project / ".gitlab-ci.yml")
    (project / ".gitignore").write_text(".gitlab-ci-local/\n", encoding="utf-8")
    git(project, "init", "--quiet")
    git(project, "config", "user.name", "deploygate tests")
    git(project, "config", "user.email", "tests@example.com")
    git(project, "remote", "add", "origin", ORIGIN)
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--message", "the project")
    git(project, "update-ref", "refs/remotes/origin/main", "HEAD")
    git(project, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/main")
    return project


def test_the_report_job_runs_only_on_schedules(tmp_path: Path) -> None:
    pipeline = yaml.safe_load(REPORT_PIPELINE.read_text(encoding="utf-8"))
    assert pipeline[REPORT_JOB]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule"'}]
    script = "\n".join(pipeline[REPORT_JOB]["before_script"] + pipeline[REPORT_JOB]["script"])
    assert "$[[" not in script  # no input is interpolated into shell


def test_the_scheduled_report_publishes_the_issue_on_the_fake_gitlab(
    tmp_path: Path,
    gitlab_ci_local: str,
    fake_gitlab: FakeGitLab,  # noqa: F811
) -> None:
    fake_gitlab.world.token(TOKEN, username="deploybot")
    shop = fake_gitlab.world.project("group/shop")
    project = report_project(tmp_path, fake_gitlab.url)
    variables = {
        "GITLAB_TOKEN": TOKEN,
        "DEPLOYGATE_INSTALL": "false",
        "DEPLOYGATE_CONFIG": QUICKSTART_CONFIG,
    }
    pushed = run_pipeline(gitlab_ci_local, project, variables=variables)
    assert pushed.status(REPORT_JOB) is None, pushed.describe()
    assert shop.issues == {}
    scheduled = run_pipeline(
        gitlab_ci_local, project, variables=variables | {"CI_PIPELINE_SOURCE": "schedule"}
    )
    assert scheduled.status(REPORT_JOB) == ("success", 0), scheduled.describe()
    [issue] = shop.issues.values()
    assert (issue.title, issue.author.username) == ("Learning loop report", "deploybot")
    log = scheduled.log(REPORT_JOB)
    assert f"published the learning loop report: {fake_gitlab.url}/group/shop/-/issues/1" in log
    assert TOKEN not in log
    assert (project / "learning-loop-report.html").is_file()


def test_a_pipeline_variable_overrides_a_blocked_gate_loudly(
    tmp_path: Path, gitlab_ci_local: str
) -> None:
    # As "Run pipeline" with the variable DEPLOYGATE_OVERRIDE would: the
    # component sets no such job variable, so the pipeline's reaches check.
    project = make_project(tmp_path, QUICKSTART)
    reason = "Checkout is down; the fix must ship, on-call agreed"
    run = run_pipeline(
        gitlab_ci_local, project, jobs=[GATE], variables={"DEPLOYGATE_OVERRIDE": reason}
    )
    assert run.status(GATE) == ("success", 0), run.describe()
    assert run.dotenv()["DEPLOYGATE_VERDICT"] == "override"
    assert reason in run.log(GATE)
