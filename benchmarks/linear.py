"""The Linear source on the benchmark's history: requests, time, and the findings agree.

Runs the installed ``deploygate check`` (a subprocess, as a CI job would)
against the fake Linear, and the fake GitHub for deployments, on loopback
with a fixed latency per request:

* the local store alone (the reference findings);
* Linear beside the local store's deployments (``source = ["local", "linear"]``);
* Linear beside GitHub's deployments (``source = ["github", "linear"]``);
* Linear beside the local store again, with twice the deployments and the
  same postmortems: Linear's requests must not change.

It prints a Markdown section and, with ``--write``, puts it into
benchmarks/README.md between its markers. Requests are counted from each
fake's log; "in flight" is the most requests the fake was answering at once
(from when each arrived to when its latency was over). Usage::

    .venv/bin/python benchmarks/linear.py [--quick] [--latency 0.05] [--write]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

import history as H  # noqa: E402
from fakes.github import FakeGitHub  # noqa: E402
from fakes.linear import HISTORY_KEY, FakeLinear, write_history  # noqa: E402
from obvious_rules import key  # noqa: E402

from deploygate.sources.linear import queries  # noqa: E402

DEPLOYGATE = str(Path(sys.executable).parent / "deploygate")
BEGIN, END = "<!-- benchmarks/linear.py: begin -->", "<!-- benchmarks/linear.py: end -->"


def run(config: Path, env: dict[str, str]) -> tuple[dict[str, Any], float]:
    """One ``deploygate check --format json``: the report and the wall time."""
    argv = [DEPLOYGATE, "check", "--config", str(config), "--service", H.SERVICE,
            "--now", H.NOW.isoformat(), "--format", "json"]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"exit {done.returncode}: {done.stdout[-2000:]}{done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    if not all(source["ok"] for source in report["sources"]):
        raise SystemExit(f"a source failed: {report['sources']}")
    return report, wall


def findings(report: dict[str, Any]) -> list[str]:
    return sorted(json.dumps(key(finding)) for finding in report["findings"])


def in_flight(fake: Any, latency: float) -> int:
    """The most requests the fake held at once, each from its arrival to its latency's end."""
    times = sorted(request.time for request in list(fake.requests))
    return max(
        (sum(1 for t in times if start <= t < start + latency) for start in times), default=0
    )


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI"))}
    return env | {"LINEAR_API_KEY": HISTORY_KEY, "NO_COLOR": "1"}


def linear_config(root: Path, history: Any, fake: FakeLinear) -> Path:
    config = H.write_local(root, H.History(history.size, history.deployments, []))
    text = config.read_text().replace('source = "local"', 'source = ["local", "linear"]')
    config.write_text(text + f'\n[linear]\nteams = ["OPS"]\napi-url = "{fake.api_url}"\n')
    return config


def measure(size: Any, latency: float, work: Path) -> dict[str, Any]:
    history = H.make_history(size)
    twice = {"deployments": size.deployments * 2, "failures": size.failures * 2}
    doubled = H.make_history(H.Size(**{**size.__dict__, **twice}))
    figures: dict[str, Any] = {
        "postmortems": len(history.postmortems),
        "items": len(history.items),
        "deployments": len(history.deployments),
    }
    reference, figures["local_wall"] = run(H.write_local(work / "local", history), base_env())
    expected = findings(reference)
    figures["findings"] = len(expected)

    linear = FakeLinear(latency=latency)
    github = FakeGitHub(latency=latency)
    with linear, github:
        write_history(linear.world, history, H.NOW)
        report, figures["linear_wall"] = run(
            linear_config(work / "linear", history, linear), base_env()
        )
        figures["linear_agrees"] = findings(report) == expected
        figures["linear_requests"] = len(linear.requests)
        figures["linear_in_flight"] = in_flight(linear, latency)

        linear.requests.clear()
        H.build_github(github.world, H.History(history.size, history.deployments, []))
        config = work / "github" / "deploygate.toml"
        config.parent.mkdir(parents=True)
        config.write_text(
            'source = ["github", "linear"]\nlookback = "90d"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n'
            f'[linear]\nteams = ["OPS"]\napi-url = "{linear.api_url}"\n'
        )
        env = base_env() | github.actions_env(H.GITHUB_TOKEN, "acme/shop")
        report, figures["combined_wall"] = run(config, env)
        figures["combined_agrees"] = findings(report) == expected
        figures["combined_linear_requests"] = len(linear.requests)
        figures["combined_github_requests"] = len(github.requests)

    # Twice the deployments, the same postmortems: Linear's requests stay as they are.
    linear = FakeLinear(latency=latency)
    with linear:
        same = H.History(doubled.size, doubled.deployments, history.postmortems)
        write_history(linear.world, same, H.NOW)
        run(linear_config(work / "doubled", same, linear), base_env())
        figures["doubled_requests"] = len(linear.requests)
    # What the source's docstring promises: a page per 20 issues with the label (the
    # deleted draft too), and per 50 postmortems a page per 50 of their items.
    labelled = len(history.postmortems) + 1
    ordered = sorted(history.postmortems, key=lambda pm: pm.created_at)
    chunk = queries.POSTMORTEMS_PER_ITEM_LISTING
    item_pages = [
        math.ceil(
            sum(len(pm.items) for pm in ordered[start : start + chunk]) / queries.ITEMS_PER_PAGE
        )
        for start in range(0, len(ordered), chunk)
    ]
    figures["formula"] = math.ceil(labelled / queries.POSTMORTEMS_PER_PAGE) + sum(item_pages)
    return figures


def section(figures: dict[str, Any], latency: float) -> str:
    ok = "yes" if figures["linear_agrees"] and figures["combined_agrees"] else "NO"
    f = figures
    rows = [
        ("local store alone (reference)", "-", "-", f"{f['local_wall']:.2f} s"),
        ('`source = ["local", "linear"]`', f["linear_requests"], "-", f"{f['linear_wall']:.2f} s"),
        (
            '`source = ["github", "linear"]`',
            f["combined_linear_requests"],
            f"GitHub {f['combined_github_requests']}",
            f"{f['combined_wall']:.2f} s",
        ),
        ("local + Linear, twice the deployments", f["doubled_requests"], "-", "-"),
    ]
    table = "\n".join(f"| {' | '.join(str(cell) for cell in row)} |" for row in rows)
    return f"""{BEGIN}
## Linear (`benchmarks/linear.py`)

The benchmark's history ({figures["deployments"]:,} deployments, {figures["postmortems"]}
postmortems, {figures["items"]} action items) with its postmortems and items in the fake
Linear (`tests/fakes/linear.py`, `write_history`), {latency * 1000:g} ms a request:

| run | Linear requests | other requests | wall |
|---|---|---|---|
{table}

- Same findings as the local store ({figures["findings"]} findings): {ok}.
- Requests grow with postmortems, not deployments: a page per {queries.POSTMORTEMS_PER_PAGE} issues
  with the postmortem label, and for each {queries.POSTMORTEMS_PER_ITEM_LISTING} postmortems a page
  per {queries.ITEMS_PER_PAGE} of their items: {figures["formula"]} expected; with twice the
  deployments: {figures["doubled_requests"]}.
- At most {figures["linear_in_flight"]} Linear requests in flight: the item listings go side by
  side (the source's cap is 8).
{END}"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--quick", action="store_true", help="a tenth of the history")
    parser.add_argument("--write", action="store_true", help="update benchmarks/README.md")
    args = parser.parse_args()
    size = (
        H.Size(deployments=300, failures=12, postmortems=10, unrelated_issues=20)
        if args.quick
        else H.Size()
    )
    work = Path(tempfile.mkdtemp(prefix="deploygate-linear-"))
    try:
        figures = measure(size, args.latency, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    text = section(figures, args.latency)
    print(text)
    if args.write:
        readme = HERE / "README.md"
        current = readme.read_text("utf-8")
        if BEGIN in current:
            before, rest = current.split(BEGIN, 1)
            current = before + text + rest.split(END, 1)[1]
        else:
            current = current.rstrip("\n") + "\n\n" + text + "\n"
        readme.write_text(current, "utf-8")
    return 0 if figures["linear_agrees"] and figures["combined_agrees"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
