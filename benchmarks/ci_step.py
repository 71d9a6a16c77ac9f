"""How long a deploy job waits for deploygate's composite action: install plus check.

The action's steps run through the tests' model of the runner
(``run_action`` in tests/test_action.py: each step's script through the
runner's bash invocation, the cache steps on a folder standing for the
Actions cache) on the quickstart, which blocks. Each scenario is timed as a
whole, from the first step to the check's exit, in rounds (one run of each
scenario per round, so machine noise hits all alike), and the median is
reported:

* ``old``: the action before the cache (python3 -m venv, pip install of the
  checkout), from a cold pip cache;
* ``pip cold`` / ``uv cold``: this action with no cache entry and an empty
  pip or uv cache (a temporary PIP_CACHE_DIR / UV_CACHE_DIR), uv on PATH or not
  (``pip``: the action has pip fetch a pinned uv, then installs with it);
* ``pip warm`` / ``uv warm``: this action in a fresh RUNNER_TEMP whose cache
  holds the entry an earlier push run saved.

With ``--gitlab``, the same for the GitLab component's job under gitlab-ci-local
(shell executor, ``--shell-isolation``: each job in a fresh copy of the project,
the job's cache copied in and out), timed as the job's own time that
gitlab-ci-local reports; deploygate==VERSION comes from a folder with a wheel
of this checkout (find-links), its dependencies from the index.

Usage, from the repository root:
``.venv/bin/python benchmarks/ci_step.py [--runs N] [--gitlab]``.
uv is the test extra's (``.venv/bin/uv``). The exit status is 1 when a
target (with uv: cold at most 4 s, warm at most 1.5 s) is missed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import test_action as model  # noqa: E402  (the runner model lives with its tests)

OLD_REF = "fdc522a"
"""The last commit of the action before the cache and uv."""
COLD_TARGET, WARM_TARGET = 4.0, 1.5


def timed_run(
    work: Path, action: Path, path: str, *, cache: Path, temp: Path, hit: bool | None = None
) -> float:
    """One run of the action in a fresh root, timed from its first step to the check's end."""
    root = Path(tempfile.mkdtemp(dir=work))
    reports = root / "reports"
    pip_cache, uv_cache = root / "pip-cache", root / "uv-cache"
    passthrough = {k: v for k, v in os.environ.items() if model._PASSTHROUGH.fullmatch(k)}
    passthrough |= {"PIP_CACHE_DIR": str(pip_cache), "UV_CACHE_DIR": str(uv_cache)}
    start = time.perf_counter()
    run = model.run_action(
        root,
        model.quickstart_inputs(reports),
        action_path=action,
        home=root,
        path=path,
        passthrough=passthrough,
        cache=cache,
        runner_temp=temp,
    )
    elapsed = time.perf_counter() - start
    check = run.steps.get("check")
    if check is None or check.returncode != 1:
        raise SystemExit(f"the quickstart did not block: {run.steps}")
    restored = (
        run.steps["restore"].outputs.get("cache-hit") == "true" if "restore" in run.steps else False
    )
    if hit is not None and restored != hit:
        raise SystemExit(f"expected cache-hit {hit}, got {restored}: {run.steps['key'].outputs}")
    shutil.rmtree(root)
    shutil.rmtree(temp)
    return elapsed


def gitlab_job(
    work: Path, component: Path, tools: Path, wheels: Path, *, project: Path | None = None
) -> tuple[float, Path]:
    """One run of the component's job under gitlab-ci-local (shell executor, each job in a
    fresh copy of the project, its cache copied in and out), in a new project unless
    ``project`` is given: the job's own time, as gitlab-ci-local reports it."""
    import test_gitlab_component as gitlab

    gitlab.COMPONENT = component
    if project is None:
        root = Path(tempfile.mkdtemp(dir=work))
        project = gitlab.make_project(root, {**gitlab.QUICKSTART, "install": True})
    caches = Path(tempfile.mkdtemp(dir=work))
    machine = {k: v for k, v in os.environ.items() if gitlab._PASSTHROUGH.fullmatch(k)}
    run = gitlab.run_pipeline(
        shutil.which("gitlab-ci-local") or "gitlab-ci-local",
        project,
        jobs=[gitlab.GATE],
        path=[tools, Path(sys.base_prefix) / "bin"],
        home=caches,
        passthrough=machine,
        variables={
            "PIP_FIND_LINKS": str(wheels),
            "UV_FIND_LINKS": str(wheels),
            "PIP_CACHE_DIR": str(caches / "pip"),
            "UV_CACHE_DIR": str(caches / "uv"),
        },
        isolated=True,
    )
    if run.status(gitlab.GATE) != ("failed", 1):
        raise SystemExit(run.describe())
    match = re.search(r"deploygate finished in ([\d.]+) (ms|s)\b", run.stdout + run.stderr)
    if match is None:
        raise SystemExit(run.describe())
    shutil.rmtree(caches)
    return float(match[1]) / (1000 if match[2] == "ms" else 1), project


def git_show(path: str) -> str:
    """A file as it was before the cache and uv."""
    return subprocess.run(
        ["git", "show", f"{OLD_REF}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout


def uv_version(uv: Path) -> str:
    return subprocess.run([uv, "--version"], capture_output=True, text=True).stdout.split()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--gitlab", action="store_true", help="also the GitLab component's job (gitlab-ci-local)"
    )
    args = parser.parse_args()
    uv = ROOT / ".venv" / "bin" / "uv"
    if not uv.exists():
        raise SystemExit("no .venv/bin/uv: pip install -e '.[test]' installs it")
    work = Path(tempfile.mkdtemp(prefix="deploygate-ci-step-"))
    try:
        new = model.copy_action(work / "new")
        old = shutil.copytree(new, work / "old")
        (old / "action.yml").write_text(git_show("action.yml"))
        python_bin = Path(sys.base_prefix) / "bin"
        (work / "uv_bin").mkdir()
        (work / "uv_bin" / "uv").symlink_to(uv)
        plain = f"{python_bin}:/usr/bin:/bin"
        with_uv = f"{work / 'uv_bin'}:{plain}"
        temp = (
            work / "runner_temp"
        )  # the same path each run, as on a runner: a venv is not relocatable
        warm = {"pip": work / "cache-pip", "uv": work / "cache-uv"}
        for name, path in (("pip", plain), ("uv", with_uv)):  # the entries a push run saves
            timed_run(work, new, path, cache=warm[name], temp=temp)
        scenarios = {
            "action, old (venv + pip), cold": lambda: timed_run(
                work, old, plain, cache=work / "none", temp=temp
            ),
            "action, pip cold": lambda: timed_run(
                work, new, plain, cache=work / "empty", temp=temp, hit=False
            ),
            "action, uv cold": lambda: timed_run(
                work, new, with_uv, cache=work / "empty", temp=temp, hit=False
            ),
            "action, pip warm": lambda: timed_run(
                work, new, plain, cache=warm["pip"], temp=temp, hit=True
            ),
            "action, uv warm": lambda: timed_run(
                work, new, with_uv, cache=warm["uv"], temp=temp, hit=True
            ),
        }
        if args.gitlab:
            old_component = work / "old-component.yml"
            old_component.write_text(git_show("templates/deploygate.yml"))
            wheels = work / "wheels"  # deploygate==VERSION is not on the index: find-links
            subprocess.run(
                [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT],
                check=True,
            )
            component = ROOT / "templates" / "deploygate.yml"
            tools = {"pip": work / "no_uv", "uv": work / "uv_bin"}
            tools["pip"].mkdir()
            projects = {name: gitlab_job(work, component, tools[name], wheels)[1] for name in tools}
            scenarios |= {
                "GitLab job, old, cold": lambda: gitlab_job(
                    work, old_component, tools["pip"], wheels
                )[0],
                "GitLab job, pip cold": lambda: gitlab_job(work, component, tools["pip"], wheels)[
                    0
                ],
                "GitLab job, uv cold": lambda: gitlab_job(work, component, tools["uv"], wheels)[0],
                "GitLab job, pip warm": lambda: gitlab_job(
                    work, component, tools["pip"], wheels, project=projects["pip"]
                )[0],
                "GitLab job, uv warm": lambda: gitlab_job(
                    work, component, tools["uv"], wheels, project=projects["uv"]
                )[0],
            }
        times: dict[str, list[float]] = {name: [] for name in scenarios}
        for round_ in range(args.runs):
            for name, run in scenarios.items():
                times[name].append(run())
                shutil.rmtree(work / "empty", ignore_errors=True)  # a cold run saves an entry
            print(f"round {round_ + 1}/{args.runs} done", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} cores, load average at the end {load}; uv {uv_version(uv)}\n")
    print(f"| scenario ({args.runs} runs, interleaved) | median s | min s | max s |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in times.items():
        print(
            f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |"
        )
    median = {name: statistics.median(values) for name, values in times.items()}
    met = all(
        value <= (COLD_TARGET if name.endswith("uv cold") else WARM_TARGET)
        for name, value in median.items()
        if name.endswith(("uv cold", "uv warm"))  # the targets are for uv; pip is the fallback
    )
    print(
        f"\ntargets with uv: cold <= {COLD_TARGET} s, warm <= {WARM_TARGET} s: "
        + ("met" if met else "MISSED")
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
