"""incident.io's request budget on the benchmark's history, alone and beside GitHub.

Writes ``history.py``'s year (3,000 deployments, 100 postmortems, 400 items)
into the fake incident.io (``tests/fakes/incidentio.py``'s ``write_history``)
and runs the installed CLI twice over:

* incident.io alone for the postmortems, with the local store's deployments
  (``source = ["local", "incident-io"]``);
* incident.io with GitHub's deployments (``source = ["github",
  "incident-io"]``; the GitHub postmortem repository is empty, so every
  postmortem comes from incident.io).

For each it reports the requests sent to each fake (from their logs, and the
JSON report's own count), the sequential round trips (the critical path),
the most requests in flight at once, and the median wall time; and checks
that the findings equal the local store's alone for the same history (keyed
as ``obvious_rules.key``: rule, level, sha and time, titles). incident.io
has no due dates, so the history's items carry none here, in every store.
The same is run on the ``--quick`` history (20 postmortems) to show that
requests follow postmortems: 3 + P.

    .venv/bin/python benchmarks/incidentio.py [--runs 3] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import history as H  # noqa: E402
import run as R  # noqa: E402
from fakes import incidentio as io  # noqa: E402
from fakes_ext import BenchGitHub, _Timed, _TimedHandler, gh  # noqa: E402
from obvious_rules import key as finding_key  # noqa: E402

KEY = "inc_benchmark_key_0123456789"


class _IncidentIoHandler(_TimedHandler, io._Handler):
    pass


class BenchIncidentIo(_Timed, io.FakeIncidentIo):
    """The fake incident.io, its requests stamped with ``served`` and ``end``."""

    handler = _IncidentIoHandler


def findings(stdout: str) -> list[Any]:
    report = json.loads(stdout)
    return sorted((finding_key(f) for f in report["findings"]), key=repr)


def reported_requests(stdout: str) -> dict[str, int]:
    return {s["name"]: s["requests"] or 0 for s in json.loads(stdout)["sources"]}


def measure(size: H.Size, runs: int, latency: float, work: Path) -> list[dict[str, Any]]:
    history = H.make_history(size)
    for item in history.items:
        item.due = None
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(work),
        "LANG": "C.UTF-8",
        "CI": "true",
        "NO_COLOR": "1",
        "INCIDENT_IO_API_KEY": KEY,
    }
    incidentio = BenchIncidentIo(io.IncidentIoWorld(H.NOW))
    incidentio.world.api_key(KEY)
    io.write_history(incidentio.world, history)
    github = BenchGitHub(gh.GitHubWorld(clock=lambda: H.NOW))
    H.build_github(github.world, history)
    github.world.repo("acme/empty")
    local = H.write_local(work / "local", history)
    alone = H.write_local(work / "incidentio", history)
    for written in (alone.parent / "postmortems").iterdir():
        written.unlink()
    table = '\n[incident-io]\nurl = "{url}"\ncause-field = "Cause"\n'
    combined = work / "github" / "deploygate.toml"
    combined.parent.mkdir()
    results = []
    with incidentio, github:
        incidentio.latency = github.latency = latency
        alone.write_text(
            alone.read_text().replace('source = "local"', 'source = ["local", "incident-io"]')
            + table.format(url=incidentio.url)
        )
        combined.write_text(
            'source = ["github", "incident-io"]\n[github]\nrepository = "acme/shop"\n'
            'postmortem-repository = "acme/empty"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n'
            + table.format(url=incidentio.url)
        )
        github_env = base_env | {
            "GITHUB_TOKEN": H.GITHUB_TOKEN,
            "GITHUB_API_URL": github.api_url,
            "GITHUB_GRAPHQL_URL": github.graphql_url,
            "GITHUB_SERVER_URL": "https://github.com",
        }

        def check(config: Path, env: dict[str, str]) -> R.Measure:
            argv = [
                R.DEPLOYGATE,
                "check",
                "--config",
                str(config),
                "--service",
                H.SERVICE,
                "--now",
                R.NOW_TEXT,
                "--format",
                "json",
            ]
            return R.run_process(argv, env)

        expected = findings(check(local, base_env).stdout)
        for name, config, env in (
            ("incident.io + local deployments", alone, base_env),
            ("incident.io + GitHub deployments", combined, github_env),
        ):
            walls, agree = [], True
            for _ in range(runs):
                incidentio.requests.clear()
                github.requests.clear()
                done = check(config, env)
                if done.code not in (0, 1):
                    raise SystemExit(f"{name}: exit {done.code}: {done.stderr}")
                walls.append(done.wall)
                agree = agree and findings(done.stdout) == expected
            logged = list(incidentio.requests)
            results.append(
                {
                    "scenario": name,
                    "postmortems": len(history.postmortems),
                    "deployments": len(history.deployments),
                    "incident.io requests": len(logged),
                    "reported": reported_requests(done.stdout),
                    "github requests": len(github.requests),
                    "round trips": R.critical_path(logged),
                    "in flight": R.max_in_flight(logged),
                    "wall median": statistics.median(walls),
                    "findings": len(expected),
                    "agree": agree,
                }
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.05)
    args = parser.parse_args()
    quick = H.Size(deployments=300, failures=24, postmortems=20, unrelated_issues=0)
    rows = []
    with tempfile.TemporaryDirectory(prefix="deploygate-incidentio-") as folder:
        for label, size in (("full", H.Size()), ("quick", quick)):
            work = Path(folder) / label
            work.mkdir()
            print(f"measuring the {label} history", file=sys.stderr, flush=True)
            rows += measure(size, args.runs if label == "full" else 1, args.latency, work)
    print(
        "| scenario | deployments | postmortems | incident.io requests (reported) | "
        "GitHub requests | round trips | most in flight | median wall s | findings agree |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        print(
            f"| {row['scenario']} | {row['deployments']:,} | {row['postmortems']} | "
            f"{row['incident.io requests']} ({row['reported'].get('incident-io')}) | "
            f"{row['github requests']} | {row['round trips']} | {row['in flight']} | "
            f"{row['wall median']:.3f} | {'yes' if row['agree'] else 'NO'} "
            f"({row['findings']} findings) |"
        )
    return 0 if all(row["agree"] and row["in flight"] <= R.MAX_IN_FLIGHT for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
