"""deploygate's benchmark: one command, one table.

    .venv/bin/python benchmarks/run.py [--latency 0.05] [--runs 5] [--obvious-runs 3] [--quick]

Starts the project's fake GitHub and GitLab (tests/fakes/, extended in
benchmarks/fakes_ext.py) on loopback with a fixed latency added to every
request, writes one large history into both and into a local store
(benchmarks/history.py), then runs, in turns so that machine noise hits
every approach alike:

* ``deploygate check`` against each fake and against the local store, as
  the installed CLI in a subprocess (interpreter start and imports included);
* the obvious approach, plain PyGithub and python-gitlab scripts
  (benchmarks/obvious_github.py, obvious_gitlab.py), also in a subprocess;
* the quickstart check (start-up), and ``python -c "import deploygate.cli"``
  (the start-up part of the floor);
* the local store at scale: 100,000 deployments and 2,000 postmortem files,
  and half of that, to show how the cost grows.

Requests and round trips come from the fakes' request logs; wall time and
peak memory come from benchmarks/measure_child.py, a small wrapper that
spawns the command and reads that very child's ``ru_maxrss`` from
``os.wait4`` (spawned straight from this big process, a child would report
this process's size; see the wrapper).
Prints one markdown table and exits 1 when a target is missed or when the
approaches disagree on the findings. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import history as H  # noqa: E402
from fakes_ext import BenchGitHub, BenchGitLab, gh, gl  # noqa: E402
from obvious_rules import key as finding_key  # noqa: E402

from deploygate.http import MAX_IN_FLIGHT  # noqa: E402

BIN = Path(sys.executable).parent
DEPLOYGATE = str(BIN / "deploygate")
NOW_TEXT = H.NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
CORE_RULES = frozenset(
    {
        "unreviewed-failure",
        "reviewed-failure",
        "open-action-item",
        "overdue-action-item",
        "declined-action-item",
    }
)
"""The README's five rules: the ones the obvious scripts implement and findings are compared on."""


# -- measuring one process -------------------------------------------------------------


@dataclass
class Measure:
    wall: float
    rss_kb: int
    code: int
    stdout: str
    stderr: str
    requests: list[Any] = field(default_factory=list)
    findings: list[Any] | None = None
    other_rules: int = 0
    repeats: int = 0
    """repeat-failure findings that are repeats (on evidence), whatever their level."""
    related: int = 0
    """repeat-failure findings that are only "related prior failure" notices."""
    reported_requests: int | None = None
    floor_kb: int | None = None


def run_process(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Measure:
    """Run ``argv`` under measure_child.py: wall from spawn to reaping, the child's own peak RSS."""
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile(suffix=".json") as result,
    ):
        process = subprocess.run(
            [sys.executable, str(HERE / "measure_child.py"), result.name, *argv],
            stdout=out,
            stderr=err,
            env=env,
            cwd=cwd,
            check=False,
        )
        numbers = json.loads(Path(result.name).read_text("utf-8"))
        out.seek(0)
        err.seek(0)
        return Measure(
            wall=numbers["wall"],
            rss_kb=numbers["maxrss_kb"],  # kilobytes on Linux
            code=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
            floor_kb=numbers["floor_kb"],
        )


# -- reading the request log ---------------------------------------------------------------


def critical_path(records: Sequence[Any]) -> int:
    """Sequential round trips: the longest chain of requests each sent after the previous answered.

    Requests in flight together do not add to the chain; a pool of 8 working
    through 100 requests counts about 13, a plain loop of 100 counts 100.
    """
    ordered = sorted(records, key=lambda r: r.time)
    depth: list[int] = []
    for i, record in enumerate(ordered):
        before = [depth[j] for j in range(i) if ordered[j].end <= record.time]
        depth.append(1 + max(before, default=0))
    return max(depth, default=0)


def max_in_flight(records: Sequence[Any]) -> int:
    events = sorted(
        [(r.time, 1) for r in records] + [(r.end, -1) for r in records],
        key=lambda e: (e[0], e[1]),
    )
    current = peak = 0
    for _moment, change in events:
        current += change
        peak = max(peak, current)
    return peak


def busy_time(records: Sequence[Any]) -> float:
    """Seconds during which at least one request was in flight (the union of the intervals)."""
    total, reach = 0.0, float("-inf")
    for record in sorted(records, key=lambda r: r.time):
        start, end = max(record.time, reach), record.end
        if end > start:
            total += end - start
        reach = max(reach, end)
    return total


def graphql_operation(record: Any) -> str:
    try:
        query = json.loads(record.body)["query"]
    except (ValueError, KeyError, TypeError):
        return "?"
    match = re.search(r"query\s+(\w+)", query)
    return match.group(1) if match else "?"


# -- scenarios ------------------------------------------------------------------------------


@dataclass
class Scenario:
    name: str
    argv: list[str]
    env: dict[str, str]
    runs: int
    codes: frozenset[int]
    parse: str  # "deploygate", "obvious" or "none"
    fake: Any = None
    cwd: Path | None = None
    cap: float | None = None
    """After a first run slower than this many seconds (twice the scale target), no more runs:
    the verdict is clear, and five runs of a slow check would take minutes."""
    results: list[Measure] = field(default_factory=list)

    def wanted(self) -> int:
        if self.cap is not None and self.results and self.results[0].wall > self.cap:
            return 1
        return self.runs

    def run(self) -> Measure:
        start = len(self.fake.requests) if self.fake is not None else 0
        measure = run_process(self.argv, self.env, self.cwd)
        if self.fake is not None:
            measure.requests = list(self.fake.requests[start:])
        if measure.code not in self.codes:
            raise SystemExit(
                f"{self.name}: exit {measure.code} (expected {sorted(self.codes)})\n"
                f"{measure.stdout[-2000:]}\n{measure.stderr[-4000:]}"
            )
        if self.parse == "deploygate":
            report = json.loads(measure.stdout)
            core = [f for f in report["findings"] if f["rule"] in CORE_RULES]
            measure.other_rules = len(report["findings"]) - len(core)
            repeat = [f for f in report["findings"] if f["rule"] == "repeat-failure"]
            measure.related = sum(
                1 for f in repeat if f["message"].startswith("Related prior failure")
            )
            measure.repeats = len(repeat) - measure.related
            measure.findings = sorted((finding_key(f) for f in core), key=json.dumps)
            sources = report.get("sources") or [{}]
            measure.reported_requests = sources[0].get("requests")
            if not all(source.get("ok") for source in report.get("sources", [])):
                raise SystemExit(f"{self.name}: a source failed: {report['sources']}")
        elif self.parse == "obvious":
            measure.findings = json.loads(measure.stdout)["findings"]
        self.results.append(measure)
        return measure

    # summaries over the runs
    @property
    def wall(self) -> float:
        return statistics.median(m.wall for m in self.results)

    @property
    def peak_mb(self) -> float:
        return max(m.rss_kb for m in self.results) / 1024

    @property
    def requests(self) -> int:
        return int(statistics.median(len(m.requests) for m in self.results))

    @property
    def rounds(self) -> int:
        return int(statistics.median(critical_path(m.requests) for m in self.results))


def in_turns(scenarios: Sequence[Scenario], progress: Callable[[str], None]) -> None:
    """Run every scenario its number of times, one run of each per turn."""
    for turn in range(max(s.runs for s in scenarios)):
        for scenario in scenarios:
            if turn < scenario.wanted():
                measure = scenario.run()
                progress(f"  turn {turn + 1}: {scenario.name}: {measure.wall:.3f} s")


# -- the table --------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    requests: str
    rounds: str
    wall: str
    peak: str
    ratio: str
    target: str
    met: str  # "yes", "no", "n/a"


def fmt_s(seconds: float) -> str:
    return f"{seconds:.3f}"


def table(rows: Sequence[Row]) -> str:
    header = [
        "scenario",
        "requests",
        "sequential round trips",
        "median wall s (runs)",
        "peak MB",
        "ratio vs obvious",
        "target",
        "met",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    previous = None
    for row in rows:
        cells = [row.scenario, row.requests, row.rounds, row.wall, row.peak, row.ratio]
        if row.scenario == previous:
            cells = ['"', "", "", "", "", ""]
        previous = row.scenario
        lines.append("| " + " | ".join([*cells, row.target, row.met]) + " |")
    return "\n".join(lines)


def yes(condition: bool) -> str:
    return "yes" if condition else "no"


# -- main -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per request")
    parser.add_argument("--runs", type=int, default=5, help="runs of each deploygate check")
    parser.add_argument(
        "--obvious-runs", type=int, default=3, help="runs of each obvious script (slow)"
    )
    parser.add_argument(
        "--far-latency",
        type=float,
        default=0.15,
        help="seconds added per request for the GitLab checks' second set of turns (#16)",
    )
    parser.add_argument("--quick", action="store_true", help="small history: a smoke test")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--no-memo",
        action="store_true",
        help="let the fakes work out every answer again (their GraphQL costs 20-40 ms a request)",
    )
    args = parser.parse_args()
    if args.quick:
        args.runs = min(args.runs, 3)
        args.obvious_runs = 1
        size = H.Size(
            deployments=300,
            failures=24,
            postmortems=20,
            items_per_postmortem=4,
            unrelated_issues=200,
        )
        scale_full = H.Size(deployments=10_000, failures=400, postmortems=200, unrelated_issues=0)
    else:
        size = H.Size()
        scale_full = H.Size(
            deployments=100_000, failures=4_000, postmortems=2_000, unrelated_issues=0
        )
    scale_half = H.Size(
        deployments=scale_full.deployments // 2,
        failures=scale_full.failures // 2,
        postmortems=scale_full.postmortems // 2,
        unrelated_issues=0,
    )
    startup_runs = max(7, args.runs)
    began = time.perf_counter()

    def progress(text: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {text}", file=sys.stderr, flush=True)

    work = Path(tempfile.mkdtemp(prefix="deploygate-bench-"))
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "CI": "true",  # no `gh auth token` fallback
        "NO_COLOR": "1",
    }
    github = BenchGitHub(gh.GitHubWorld(clock=lambda: H.NOW))
    gitlab = BenchGitLab(gl.GitLabWorld(clock=lambda: H.NOW))
    # The same world as a GitLab before 17.8, whose GraphQL lacks Issue.linkedWorkItems: the
    # source falls back to REST there, and that path is measured too.
    gitlab_rest = BenchGitLab(gitlab.world)
    gitlab_rest.graphql_lacks = {"Issue.linkedWorkItems"}
    try:
        progress(f"building the history: {size}")
        history = H.make_history(size)
        H.build_github(github.world, history)
        H.build_gitlab(gitlab.world, history)
        local_config = H.write_local(work / "local", history)
        progress("building the scale stores")
        scale_configs = {
            "full": H.write_local(work / "scale-full", H.make_history(scale_full), lookback="365d"),
            "half": H.write_local(work / "scale-half", H.make_history(scale_half), lookback="365d"),
        }
        scale_configs["full-90d"] = scale_configs["full"].with_name("deploygate-90d.toml")
        scale_configs["full-90d"].write_text(
            scale_configs["full"]
            .read_text("utf-8")
            .replace('lookback = "365d"', 'lookback = "90d"')
        )
        github.start()
        gitlab.start()
        gitlab_rest.start()
        github.latency = gitlab.latency = gitlab_rest.latency = args.latency
        github.memoize = gitlab.memoize = gitlab_rest.memoize = not args.no_memo

        github_config = work / "github" / "deploygate.toml"
        github_config.parent.mkdir()
        github_config.write_text(
            'source = "github"\n[github]\nrepository = "acme/shop"\n'
            'postmortem-repository = "acme/incidents"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n'
        )
        gitlab_config = work / "gitlab" / "deploygate.toml"
        gitlab_config.parent.mkdir()
        gitlab_config.write_text(
            f'source = "gitlab"\n[gitlab]\nurl = "{gitlab.url}"\nproject = "group/shop"\n'
            'postmortem-project = "group/incidents"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n'
        )
        gitlab_rest_config = work / "gitlab-rest" / "deploygate.toml"
        gitlab_rest_config.parent.mkdir()
        gitlab_rest_config.write_text(
            gitlab_config.read_text("utf-8").replace(gitlab.url, gitlab_rest.url)
        )
        github_env = base_env | {
            "GITHUB_TOKEN": H.GITHUB_TOKEN,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_GRAPHQL_URL": github.graphql_url,
            "GITHUB_SERVER_URL": "https://github.com",
        }
        gitlab_env = base_env | {"GITLAB_TOKEN": H.GITLAB_TOKEN}

        def check(config: Path, *extra: str) -> list[str]:
            return [
                DEPLOYGATE,
                "check",
                "--config",
                str(config),
                "--service",
                H.SERVICE,
                "--now",
                NOW_TEXT,
                "--format",
                "json",
                *extra,
            ]

        blocked = frozenset({0, 1})  # pass/warn or block: a verdict, not an error
        floor_startup = Scenario(
            "python -c 'import deploygate.cli' (floor start-up)",
            [sys.executable, "-c", "import deploygate.cli"],
            base_env,
            startup_runs,
            frozenset({0}),
            "none",
        )
        # Not the floor: what a check that reads over HTTP cannot start without (requests and
        # the standard library's HTTP and TLS modules), so that the team can see how much of
        # the distance to the floor is that import.
        http_startup = Scenario(
            "python -c 'import deploygate.cli, deploygate.http' (information)",
            [sys.executable, "-c", "import deploygate.cli, deploygate.http"],
            base_env,
            startup_runs,
            frozenset({0}),
            "none",
        )
        quickstart = Scenario(
            "quickstart check (start-up)",
            [
                DEPLOYGATE,
                "check",
                "--config",
                "examples/quickstart/deploygate.toml",
                "--service",
                "checkout",
            ],
            base_env,
            startup_runs,
            blocked,
            "none",
            cwd=ROOT,
        )
        dg_github = Scenario(
            "deploygate check, GitHub",
            check(github_config),
            github_env,
            args.runs,
            blocked,
            "deploygate",
            fake=github,
        )
        ob_github = Scenario(
            "obvious PyGithub script",
            [
                sys.executable,
                str(HERE / "obvious_github.py"),
                "--api-url",
                github.api_url,
                "--repo",
                "acme/shop",
                "--postmortem-repo",
                "acme/incidents",
                "--now",
                NOW_TEXT,
            ],
            github_env,
            args.obvious_runs,
            frozenset({0}),
            "obvious",
            fake=github,
        )
        dg_gitlab = Scenario(
            "deploygate check, GitLab",
            check(gitlab_config),
            gitlab_env,
            args.runs,
            blocked,
            "deploygate",
            fake=gitlab,
        )
        dg_gitlab_rest = Scenario(
            "deploygate check, GitLab before 17.8 (REST fallback)",
            check(gitlab_rest_config),
            gitlab_env,
            args.runs,
            blocked,
            "deploygate",
            fake=gitlab_rest,
        )
        ob_gitlab = Scenario(
            "obvious python-gitlab script",
            [
                sys.executable,
                str(HERE / "obvious_gitlab.py"),
                "--url",
                gitlab.url,
                "--project",
                "group/shop",
                "--postmortem-project",
                "group/incidents",
                "--now",
                NOW_TEXT,
            ],
            gitlab_env,
            args.obvious_runs,
            frozenset({0}),
            "obvious",
            fake=gitlab,
        )
        dg_local = Scenario(
            "deploygate check, local store",
            check(local_config),
            base_env,
            args.runs,
            blocked,
            "deploygate",
        )
        scale = {
            name: Scenario(
                f"local store, {s.deployments:,} deployments, {s.postmortems:,} postmortem files, "
                f"{lookback}",
                check(scale_configs[name]),
                base_env,
                args.runs,
                blocked,
                "deploygate",
                cap=2 * 2.0,
            )
            for name, s, lookback in (
                ("full", scale_full, "all 365 days in the lookback"),
                ("half", scale_half, "all 365 days in the lookback"),
                ("full-90d", scale_full, "default 90-day lookback"),
            )
        }

        main_scenarios = [
            floor_startup,
            http_startup,
            quickstart,
            dg_github,
            ob_github,
            dg_gitlab,
            dg_gitlab_rest,
            ob_gitlab,
            dg_local,
        ]
        progress("warm-up: one untimed run of each deploygate check")
        for scenario in (quickstart, dg_github, dg_gitlab, dg_gitlab_rest, dg_local):
            scenario.run()
            scenario.results.clear()
        progress(f"main runs, in turns (latency {args.latency * 1000:.0f} ms)")
        in_turns(main_scenarios, progress)
        progress("scale runs, in turns")
        in_turns([scale["half"], scale["full"], scale["full-90d"]], progress)

        # GitLab far away (a self-managed instance across an ocean): the GitLab checks and
        # the obvious script again, in turns of their own, with the start-up of the floor.
        progress(f"GitLab runs, in turns (latency {args.far_latency * 1000:.0f} ms)")
        gitlab.latency = gitlab_rest.latency = args.far_latency
        far = {
            scenario.name: dataclasses.replace(
                scenario, name=f"{scenario.name}, at {args.far_latency * 1000:g} ms", results=[]
            )
            for scenario in (floor_startup, http_startup, dg_gitlab, dg_gitlab_rest, ob_gitlab)
        }
        in_turns(list(far.values()), progress)
        gitlab.latency = gitlab_rest.latency = args.latency

        # GitLab: add as many successful deployments again, all inside the lookback window.
        progress("GitLab with the deployments of the window multiplied")
        extra = len(history.deployments)
        window = H.LOOKBACK - timedelta(days=1)
        shop = gitlab.world.project("group/shop")
        for i in range(extra):
            moment = H.NOW - window + window * (i + 0.5) / extra
            d = H.Deployment(
                index=100_000 + i,
                created_at=moment.replace(microsecond=0),
                sha=f"{i:040x}",
                status="success",
                github_url="",
                gitlab_job=8_000_000 + i,
            )
            H.add_gitlab_deployment(shop, d)
        gitlab.forget()
        dg_gitlab_more = Scenario(
            "deploygate check, GitLab, more deployments",
            check(gitlab_config),
            gitlab_env,
            1,
            blocked,
            "deploygate",
            fake=gitlab,
        )
        dg_gitlab_more.run()
        problems = github.problems + gitlab.problems
    finally:
        github.stop()
        gitlab.stop()
        gitlab_rest.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            progress(f"kept {work}")

    # -- findings ---------------------------------------------------------------------------------
    compared = [
        scenario
        for scenario in (*main_scenarios, dg_gitlab_more, *far.values())
        if scenario.parse != "none"
    ]
    reference = dg_local.results[0].findings
    disagreements = []
    for scenario in compared:
        for number, measure in enumerate(scenario.results, start=1):
            if measure.findings != reference:
                mine = {json.dumps(f) for f in measure.findings or []}
                theirs = {json.dumps(f) for f in reference or []}
                disagreements.append(
                    f"{scenario.name} run {number}: {len(mine - theirs)} findings not in the "
                    f"local check's, {len(theirs - mine)} missing; e.g. "
                    f"{sorted(mine - theirs)[:2]} / {sorted(theirs - mine)[:2]}"
                )
    seeded = H.seeded_repeats(history)
    for scenario in compared:
        if scenario.parse != "deploygate":
            continue
        for number, measure in enumerate(scenario.results, start=1):
            if measure.repeats != seeded:
                disagreements.append(
                    f"{scenario.name} run {number}: {measure.repeats} repeat failures where the "
                    f"history seeds {seeded}"
                )
    findings_agree = not disagreements and not problems
    by_rule: dict[str, int] = {}
    for finding in reference or []:
        rule, level, link = finding[0], finding[1], finding[5]
        label = f"{rule} ({link or level})" if "failure" in rule else rule
        by_rule[label] = by_rule.get(label, 0) + 1

    # -- numbers ----------------------------------------------------------------------------------
    latency = args.latency
    at_50 = abs(latency - 0.05) < 1e-9
    full_size = not args.quick
    d_window = len(history.in_window())
    p_considered = len(history.postmortems)
    r_refs = sum(1 for item in history.items if item.via == "ref")
    budget = math.ceil(d_window / 100) + math.ceil(p_considered / 50) + 3
    startup = floor_startup.wall

    def floor(scenario: Scenario) -> float:
        return startup + scenario.rounds * latency

    def with_http(scenario: Scenario, start: Scenario, seconds: float) -> str:
        """(information) ``scenario``'s wall against a floor whose start-up includes the
        HTTP client's import."""
        base = start.wall + scenario.rounds * seconds
        return (
            f"(information) against start-up with the HTTP client, {fmt_s(start.wall)} + "
            f"{scenario.rounds} x {seconds:g} = {fmt_s(base)}: {scenario.wall / base:.2f}x"
        )

    gh_runs = dg_github.results
    operations = [[graphql_operation(r) for r in m.requests] for m in gh_runs]
    concurrent_runs = 0
    for m in gh_runs:
        deps = [r for r in m.requests if graphql_operation(r) == "Deployments"]
        pms = [r for r in m.requests if graphql_operation(r) == "Postmortems"]
        if deps and pms:
            dep_span = (min(r.time for r in deps), max(r.end for r in deps))
            pm_span = (min(r.time for r in pms), max(r.end for r in pms))
            if pm_span[0] < dep_span[1] and dep_span[0] < pm_span[1]:
                concurrent_runs += 1
    ideal_rounds = max(
        math.ceil(d_window / 100), math.ceil(p_considered / 50) + math.ceil(r_refs / 100)
    )
    gl_links = [
        [r for r in m.requests if r.path.endswith("/links")] for m in dg_gitlab_rest.results
    ]
    gl_lookups = [
        [r for r in m.requests if re.search(r"/issues/\d+$", r.path)]
        for m in dg_gitlab_rest.results
    ]
    links_in_flight = max(max_in_flight(links) for links in gl_links)
    lookups_in_flight = max(max_in_flight(lookups) for lookups in gl_lookups)
    both_in_flight = max(max_in_flight(a + b) for a, b in zip(gl_links, gl_lookups, strict=True))
    gl_deploy_requests = statistics.median(
        sum(1 for r in m.requests if r.path.endswith("/deployments")) for m in dg_gitlab.results
    )
    more_requests = len(dg_gitlab_more.results[0].requests)
    more_deploy_requests = sum(
        1 for r in dg_gitlab_more.results[0].requests if r.path.endswith("/deployments")
    )

    def ratio(obvious: Scenario, mine: Scenario) -> tuple[float, float]:
        return obvious.requests / max(1, mine.requests), obvious.wall / mine.wall

    gh_req_ratio, gh_speed = ratio(ob_github, dg_github)
    gl_req_ratio, gl_speed = ratio(ob_gitlab, dg_gitlab)
    full, half = scale["full"], scale["half"]
    marginal = (full.wall - startup) / max(1e-9, half.wall - startup)

    def measured(s: Scenario, *, network: bool = True, ratio_text: str = "") -> dict[str, str]:
        return {
            "requests": str(s.requests) if network else "0",
            "rounds": str(s.rounds) if network else "-",
            "wall": f"{fmt_s(s.wall)} ({len(s.results)})",
            "peak": f"{s.peak_mb:.0f}",
            "ratio": ratio_text,
        }

    rows: list[Row] = []

    def add(scenario: str, cells: dict[str, str], target: str, met: str) -> None:
        rows.append(
            Row(
                scenario,
                cells["requests"],
                cells["rounds"],
                cells["wall"],
                cells["peak"],
                cells["ratio"],
                target,
                met,
            )
        )

    def gated(condition: bool, applies: bool) -> str:
        return yes(condition) if applies else "n/a"

    g = measured(dg_github, ratio_text=f"requests ÷{gh_req_ratio:.0f}, time ÷{gh_speed:.1f}")
    name = "deploygate check, GitHub"
    add(
        name,
        g,
        f"requests ≤ ⌈D/100⌉+⌈P/50⌉+3 = ⌈{d_window}/100⌉+⌈{p_considered}/50⌉+3 "
        f"= {budget}: {dg_github.requests}",
        yes(dg_github.requests <= budget),
    )
    add(
        name,
        g,
        "independent requests sent concurrently: deployments ∥ postmortems in "
        f"{concurrent_runs}/{len(gh_runs)} runs; {dg_github.rounds} round trips where "
        f"{ideal_rounds} would do",
        yes(concurrent_runs == len(gh_runs)),
    )
    add(
        name,
        g,
        f"≥ 20x fewer requests than obvious (at 50 ms): {gh_req_ratio:.1f}x",
        gated(gh_req_ratio >= 20, at_50 and full_size),
    )
    add(
        name,
        g,
        f"≥ 5x faster than obvious (at 50 ms): {gh_speed:.1f}x",
        gated(gh_speed >= 5, at_50 and full_size),
    )
    add(
        name,
        g,
        f"wall ≤ 1.5 x floor = 1.5 x ({fmt_s(startup)} + {dg_github.rounds} x "
        f"{latency:g}) = {fmt_s(1.5 * floor(dg_github))}: {fmt_s(dg_github.wall)} "
        f"({dg_github.wall / floor(dg_github):.2f}x floor)",
        gated(dg_github.wall <= 1.5 * floor(dg_github), full_size),
    )
    add(
        name,
        g,
        f"wall ≤ 1.1 x floor (#16): {dg_github.wall / floor(dg_github):.2f}x floor",
        gated(dg_github.wall <= 1.1 * floor(dg_github), full_size),
    )
    add(name, g, with_http(dg_github, http_startup, latency), "-")
    add(
        "obvious PyGithub script",
        measured(ob_github, ratio_text="1 (baseline)"),
        "baseline: deployments + statuses, issues + sub-issues, one at a time",
        "-",
    )

    g = measured(dg_gitlab, ratio_text=f"requests ÷{gl_req_ratio:.1f}, time ÷{gl_speed:.1f}")
    name = "deploygate check, GitLab"
    add(
        name,
        g,
        # Every deployment of the window is read (rollbacks, change failure rate): a page
        # per 100, as on GitHub; everything else stays the same when deployments grow.
        f"deployment requests = ⌈D/100⌉: {gl_deploy_requests:g} with {d_window:,} "
        f"deployments in the window, {more_deploy_requests} with {d_window + extra:,}; "
        f"the others {dg_gitlab.requests - gl_deploy_requests:g} and "
        f"{more_requests - more_deploy_requests}",
        yes(
            gl_deploy_requests == math.ceil(d_window / 100)
            and more_deploy_requests == math.ceil((d_window + extra) / 100)
            and more_requests - more_deploy_requests == dg_gitlab.requests - gl_deploy_requests
        ),
    )
    add(
        name,
        g,
        f"requests ≤ 25 (#16): {dg_gitlab.requests}",
        yes(dg_gitlab.requests <= 25),
    )
    add(
        name,
        g,
        f"≥ 12x faster than obvious (#16, at 50 ms): {gl_speed:.1f}x",
        gated(gl_speed >= 12, at_50 and full_size),
    )
    add(
        name,
        g,
        f"wall ≤ 1.2 x floor (#16): {dg_gitlab.wall / floor(dg_gitlab):.2f}x floor",
        gated(dg_gitlab.wall <= 1.2 * floor(dg_gitlab), full_size),
    )
    add(name, g, with_http(dg_gitlab, http_startup, latency), "-")
    rest_req_ratio, rest_speed = ratio(ob_gitlab, dg_gitlab_rest)
    # The fallback is found on the first postmortem queries, one per listing (label, incidents).
    detection = statistics.median(
        sum(1 for r in m.requests if r.path == "/api/graphql") for m in dg_gitlab_rest.results
    )
    r = measured(
        dg_gitlab_rest, ratio_text=f"requests ÷{rest_req_ratio:.1f}, time ÷{rest_speed:.1f}"
    )
    add(
        dg_gitlab_rest.name,
        r,
        f"within the figures before GraphQL (2026-12-03: 160 requests, 28 round trips; and "
        f"the standing ≤ 1.5x floor, ≥ 3x faster), plus the {detection:g} refused first "
        f"queries: {dg_gitlab_rest.requests} requests, {dg_gitlab_rest.rounds} round trips, "
        f"{dg_gitlab_rest.wall / floor(dg_gitlab_rest):.2f}x floor, {rest_speed:.1f}x faster",
        gated(
            dg_gitlab_rest.requests <= 160 + detection
            and dg_gitlab_rest.rounds <= 28
            and dg_gitlab_rest.wall <= 1.5 * floor(dg_gitlab_rest)
            and rest_speed >= 3,
            full_size,
        ),
    )
    add(
        dg_gitlab_rest.name,
        r,
        f"per-postmortem lookups ≤ {MAX_IN_FLIGHT} in flight: at most "
        f"{both_in_flight} (links {links_in_flight}, task-list issues {lookups_in_flight})",
        yes(both_in_flight <= MAX_IN_FLIGHT),
    )
    add(
        name,
        g,
        f"≥ 3x faster than obvious (at 50 ms): {gl_speed:.1f}x",
        gated(gl_speed >= 3, at_50 and full_size),
    )
    add(
        name,
        g,
        f"wall ≤ 1.5 x floor = 1.5 x ({fmt_s(startup)} + {dg_gitlab.rounds} x "
        f"{latency:g}) = {fmt_s(1.5 * floor(dg_gitlab))}: {fmt_s(dg_gitlab.wall)} "
        f"({dg_gitlab.wall / floor(dg_gitlab):.2f}x floor)",
        gated(dg_gitlab.wall <= 1.5 * floor(dg_gitlab), full_size),
    )
    add(
        "obvious python-gitlab script",
        measured(ob_gitlab, ratio_text="1 (baseline)"),
        "baseline: deployments of the window, issues + links, one at a time",
        "-",
    )

    far_startup = far[floor_startup.name].wall
    far_latency = args.far_latency
    far_gitlab, far_rest, far_obvious = (
        far[s.name] for s in (dg_gitlab, dg_gitlab_rest, ob_gitlab)
    )

    def far_floor(scenario: Scenario) -> float:
        return far_startup + scenario.rounds * far_latency

    for scenario, label in ((far_gitlab, "GraphQL"), (far_rest, "REST fallback")):
        far_req_ratio, far_speed = ratio(far_obvious, scenario)
        name = scenario.name
        f = measured(scenario, ratio_text=f"requests ÷{far_req_ratio:.1f}, time ÷{far_speed:.1f}")
        if label == "GraphQL":
            add(
                name,
                f,
                f"≥ 12x faster than obvious (#16, at {far_latency * 1000:g} ms): {far_speed:.1f}x",
                gated(far_speed >= 12, full_size),
            )
            add(
                name,
                f,
                f"wall ≤ 1.2 x floor = 1.2 x ({fmt_s(far_startup)} + {scenario.rounds} x "
                f"{far_latency:g}) = {fmt_s(1.2 * far_floor(scenario))}: {fmt_s(scenario.wall)} "
                f"({scenario.wall / far_floor(scenario):.2f}x floor)",
                gated(scenario.wall <= 1.2 * far_floor(scenario), full_size),
            )
            add(name, f, with_http(scenario, far[http_startup.name], far_latency), "-")
        else:
            add(
                name,
                f,
                f"(information) {far_speed:.1f}x faster than obvious; "
                f"{scenario.wall / far_floor(scenario):.2f}x floor",
                "-",
            )
    add(
        far_obvious.name,
        measured(far_obvious, ratio_text="1 (baseline)"),
        f"baseline; floor start-up at {far_latency * 1000:g} ms: {fmt_s(far_startup)}",
        "-",
    )

    local_ratio = (
        f"time ÷{ob_github.wall / dg_local.wall:.0f} (GitHub), "
        f"÷{ob_gitlab.wall / dg_local.wall:.0f} (GitLab)"
    )
    add(
        "deploygate check, local store",
        measured(dg_local, network=False, ratio_text=local_ratio),
        f"same findings everywhere: {sum(by_rule.values())} findings "
        f"({', '.join(f'{n} {rule}' for rule, n in sorted(by_rule.items()))}), "
        "identical in every run of the 5 approaches",
        yes(findings_agree),
    )
    add(
        "quickstart check (start-up)",
        measured(quickstart, network=False),
        f"median < 0.3 s: {fmt_s(quickstart.wall)}",
        yes(quickstart.wall < 0.3),
    )
    add(
        "python -c 'import deploygate.cli' (floor start-up)",
        measured(floor_startup, network=False),
        "- (start-up part of the floor)",
        "-",
    )
    add(
        http_startup.name,
        measured(http_startup, network=False),
        "- (the start-up of a check that reads over HTTP, for the information rows)",
        "-",
    )
    s = measured(full, network=False)
    add(full.name, s, f"< 2 s: {fmt_s(full.wall)}", gated(full.wall < 2, full_size))
    add(full.name, s, f"peak < 200 MB: {full.peak_mb:.0f}", gated(full.peak_mb < 200, full_size))
    add(
        full.name,
        s,
        f"linear: (full - start-up) / (half - start-up) = {marginal:.2f} "
        f"(2 is linear, 4 quadratic; met if ≤ 2.5); full/half = {full.wall / half.wall:.2f}",
        gated(marginal <= 2.5, full_size),
    )
    add(half.name, measured(half, network=False), "- (the half for the linearity ratio)", "-")
    default = scale["full-90d"]
    add(
        default.name,
        measured(default, network=False),
        f"(information: the same files under the default lookback) < 2 s: "
        f"{fmt_s(default.wall)}; < 200 MB: {default.peak_mb:.0f}",
        "-",
    )

    # -- report ------------------------------------------------------------------------------------
    print()
    print(
        f"deploygate benchmark, {time.strftime('%Y-%m-%d')}, {platform.node()}: "
        f"nproc {os.cpu_count()}, RAM {_ram_gb():.0f} GB, Python {platform.python_version()}, "
        f"latency {latency * 1000:g} ms per request{', --quick' if args.quick else ''}"
    )
    print(
        f"history: {len(history.deployments):,} deployments ({len(history.failures)} failed), "
        f"D = {d_window} in the 90-day window; P = {p_considered} postmortems with "
        f"{len(history.items)} action items ({r_refs} only in task lists); "
        f"{size.unrelated_issues:,} unrelated issues"
    )
    print()
    print(table(rows))
    print()
    print("notes:")
    print(f"- GitHub request sequence (run 1): {' → '.join(operations[0])}")
    print(
        f"- deploygate's own request counts (JSON sources[].requests): GitHub "
        f"{[m.reported_requests for m in dg_github.results]}, GitLab "
        f"{[m.reported_requests for m in dg_gitlab.results]}"
    )
    for scenario in (dg_github, dg_gitlab, dg_gitlab_rest, ob_github, ob_gitlab):
        busy = statistics.median(busy_time(m.requests) for m in scenario.results)
        work_done = statistics.median(
            sum(r.end - r.served for r in m.requests) for m in scenario.results
        )
        print(
            f"- {scenario.name}: median wall {fmt_s(scenario.wall)} s = start-up "
            f"{fmt_s(startup)} + requests in flight {fmt_s(busy)} ({scenario.rounds} round trips "
            f"x {latency:g} s = {fmt_s(scenario.rounds * latency)} of latency; the fake's own "
            f"answering {fmt_s(work_done)} summed over all requests) + the rest (client CPU, "
            f"imports beyond deploygate.cli, exit) {fmt_s(scenario.wall - startup - busy)}"
        )
    print(
        "- wall per run (s): "
        + "; ".join(
            f"{s.name}: {', '.join(fmt_s(m.wall) for m in s.results)}"
            for s in (
                dg_github,
                ob_github,
                dg_gitlab,
                dg_gitlab_rest,
                ob_gitlab,
                dg_local,
                quickstart,
                full,
                half,
                default,
            )
        )
    )
    floors = [m.floor_kb for sc in main_scenarios for m in sc.results if m.floor_kb]
    if floors:
        print(
            f"- peak memory is measured from a wrapper whose own size, {max(floors) / 1024:.0f} "
            "MB at most, is the floor of the measurement"
        )
    others = {
        s.name: max(m.other_rules for m in s.results)
        for s in compared
        if s.results and s.parse == "deploygate"
    }
    if any(others.values()):
        print(f"- findings of rules outside the README's five, not compared: {others}")
    deploygate_checks = [s for s in compared if s.results and s.parse == "deploygate"]
    print(
        f"- repeat-failure: {seeded} true repeats seeded (postmortems sharing a cause label); "
        "repeats found: "
        + ", ".join(f"{s.name} {max(m.repeats for m in s.results)}" for s in deploygate_checks)
        + "; related prior failures left (notices: the same failing job, no evidence): "
        + ", ".join(f"{s.name} {max(m.related for m in s.results)}" for s in deploygate_checks)
    )
    for line in disagreements:
        print(f"- FINDINGS DIFFER: {line}")
    for problem in problems:
        print(f"- FAKE PROBLEM: {problem[:500]}")
    missed = [row for row in rows if row.met == "no"]
    print()
    print(
        f"{len(missed)} target(s) missed; findings {'agree' if findings_agree else 'DIFFER'}; "
        f"total benchmark time {time.perf_counter() - began:.0f} s"
    )
    return 1 if missed or not findings_agree else 0


def _ram_gb() -> float:
    try:
        with Path("/proc/meminfo").open(encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


if __name__ == "__main__":
    sys.exit(main())
