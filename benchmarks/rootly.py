"""Request counts of the Rootly source for the benchmark's history (benchmarks/history.py).

Writes the year of one service into the fake Rootly (incidents, their
retrospectives and follow-ups) and its deployments into the local store, or
into the fake GitHub, and runs the installed CLI against them in a
subprocess, as a user would:

- ``source = ["local", "rootly"]``: Rootly alone beside the local deployments;
- ``source = ["github", "rootly"]``: combined with GitHub's deployments
  (GitHub holds no postmortem here).

It prints, and with ``--write`` puts into the "Rootly" section of
benchmarks/README.md, what each run sent: requests to Rootly, the most that
were in flight at once, requests to GitHub, the findings, and the wall time
at the fakes' latency. Requests to Rootly are counted twice, once for the
default history and once with three times the deployments, to show that they
grow with postmortems, not deployments. Run from the repository root::

    .venv/bin/python benchmarks/rootly.py [--latency 0.05] [--write]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(HERE))

import history as H  # noqa: E402
from fakes.github import FakeGitHub, GitHubWorld  # noqa: E402
from fakes.rootly import FakeRootly, RootlyWorld, build_history  # noqa: E402

from deploygate.http import MAX_IN_FLIGHT  # noqa: E402

DEPLOYGATE = str(Path(sys.executable).with_name("deploygate"))
TOKEN = "rootly_benchmark_0123456789"
README = HERE / "README.md"
SECTION = "## Rootly"


class Counted:
    """The most requests a fake was serving at once, latency included: counted around its
    handler's whole answer, since the fake adds its latency before it answers."""

    def __init__(self, fake: Any) -> None:
        self.now = self.most = 0
        lock = threading.Lock()
        counted = self

        class Handler(fake.handler):  # type: ignore[name-defined,misc]
            def _serve(self) -> None:
                with lock:
                    counted.now += 1
                    counted.most = max(counted.most, counted.now)
                try:
                    super()._serve()
                finally:
                    with lock:
                        counted.now -= 1

        fake.handler = Handler


def rootly_fake(history: H.History, latency: float) -> tuple[FakeRootly, Counted]:
    world = RootlyWorld(clock=lambda: H.NOW)
    world.api_key(TOKEN)
    build_history(world, history, H.SERVICE)
    fake = FakeRootly(world, latency=latency)
    return fake, Counted(fake)


def run(config: Path, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    began = time.perf_counter()
    result = subprocess.run(
        [DEPLOYGATE, "check", "--config", str(config), "--service", H.SERVICE,
         "--now", H.NOW.isoformat(), "--format", "json"],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - began
    if result.returncode not in (0, 1):
        raise SystemExit(f"deploygate exited {result.returncode}: {result.stderr}")
    return json.loads(result.stdout), wall


def measure(size: H.Size, latency: float, work: Path) -> list[dict[str, Any]]:
    history = H.make_history(size)
    without_postmortems = dataclasses.replace(history, postmortems=[])
    base = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), "CI": "true",
            "NO_COLOR": "1", "ROOTLY_API_TOKEN": TOKEN}  # fmt: skip
    rows = []

    report, wall = run(H.write_local(work / f"alone-{size.deployments}", history), base)
    rows.append({"run": "local store alone", "deployments": size.deployments,
                 "postmortems": len(history.postmortems), "rootly requests": "-",
                 "reported": "-", "in flight": "-", "github requests": "-",
                 "findings": len(report["findings"]), "verdict": report["verdict"],
                 "wall": f"{wall:.2f} s"})  # fmt: skip

    rootly, counted = rootly_fake(history, latency)
    with rootly:
        config = H.write_local(work / f"local-{size.deployments}", without_postmortems)
        text = config.read_text("utf-8").replace('source = "local"', 'source = ["local", "rootly"]')
        config.write_text(text + f'\n[rootly]\nurl = "{rootly.url}"\n', "utf-8")
        report, wall = run(config, base)
        rows.append(row("local + rootly", size, history, report, wall, rootly, counted))

    rootly, counted = rootly_fake(history, latency)
    github = FakeGitHub(GitHubWorld(clock=lambda: H.NOW), latency=latency)
    H.build_github(github.world, without_postmortems)
    with rootly, github:
        config = work / f"github-{size.deployments}" / "deploygate.toml"
        config.parent.mkdir()
        config.write_text(
            'source = ["github", "rootly"]\n[github]\nrepository = "acme/shop"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n'
            f'[rootly]\nurl = "{rootly.url}"\n',
            "utf-8",
        )
        env = base | {"GITHUB_TOKEN": H.GITHUB_TOKEN, "GITHUB_API_URL": github.api_url,
                      "GITHUB_GRAPHQL_URL": github.graphql_url,
                      "GITHUB_SERVER_URL": "https://github.com"}  # fmt: skip
        report, wall = run(config, env)
        rows.append(row("github + rootly", size, history, report, wall, rootly, counted, github))
    return rows


def row(
    name: str,
    size: H.Size,
    history: H.History,
    report: dict[str, Any],
    wall: float,
    rootly: FakeRootly,
    counted: Counted,
    github: FakeGitHub | None = None,
) -> dict[str, Any]:
    by_name = {source["name"]: source for source in report["sources"]}
    return {
        "run": name,
        "deployments": size.deployments,
        "postmortems": len(history.postmortems),
        "rootly requests": len(rootly.requests),
        "reported": by_name["rootly"]["requests"],
        "in flight": counted.most,
        "github requests": len(github.requests) if github else "-",
        "findings": len(report["findings"]),
        "verdict": report["verdict"],
        "wall": f"{wall:.2f} s",
    }


def table(rows: list[dict[str, Any]]) -> str:
    columns = [c for c in rows[0] if c != "reported"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="deploygate-rootly-") as folder:
        work = Path(folder)
        rows = measure(H.Size(unrelated_issues=0), args.latency, work)
        rows += measure(H.Size(deployments=9000, failures=120, unrelated_issues=0), args.latency,
                        work)  # fmt: skip
    for each in rows:
        if each["rootly requests"] != each["reported"]:
            raise SystemExit(f"the report's request count is not the fake's: {each}")
    text = table(rows)
    print(text)
    if args.write:
        write(text, args.latency)
    rootly_rows = [r for r in rows if r["rootly requests"] != "-"]
    same_requests = len({r["rootly requests"] for r in rootly_rows}) == 1
    same_findings = len({r["findings"] for r in rows}) == 1
    within_limit = all(r["in flight"] <= MAX_IN_FLIGHT for r in rootly_rows)
    return 0 if same_requests and same_findings and within_limit else 1


def write(text: str, latency: float) -> None:
    prose = (
        "`.venv/bin/python benchmarks/rootly.py --write` writes the benchmark's history "
        "(`history.py`, no unrelated issues) into the fake Rootly (100 incidents, 400 "
        "follow-ups, 50 of them exported to Jira, which is not configured) and runs "
        "`deploygate check` in a subprocess, with the deployments in the local store or on the "
        f"fake GitHub, at {latency * 1000:.0f} ms a request. Rootly is asked one paged list "
        "of the service's incidents (100 a page) and one list of follow-ups per postmortem, "
        "at most 8 at once: 1 + 100 = 101 requests, the same with three times the "
        "deployments, and the findings are the local store's. The wall time includes "
        "starting the interpreter and the fakes' own work (the fake GitHub executes its "
        "GraphQL in Python). Measured on this machine:"
    )
    section = f"{SECTION}\n\n{textwrap.fill(prose, 78, break_on_hyphens=False)}\n\n{text}\n"
    readme = README.read_text("utf-8")
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    readme = (
        pattern.sub(section + "\n", readme)
        if pattern.search(readme)
        else (readme.rstrip("\n") + "\n\n" + section)
    )
    README.write_text(readme, "utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
