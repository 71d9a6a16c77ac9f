"""Start-up: how long ``deploygate --version`` and ``--help`` take against ``import click``.

    .venv/bin/python benchmarks/startup.py [--runs 21]

Runs, in turns so that machine noise hits each alike (one run of each
command per turn, after one untimed warm-up turn):

* ``python -c "import click"``, the baseline: no click CLI can start faster;
* ``deploygate --version`` and ``deploygate --help``, the installed console
  script, as a user runs it;
* the quickstart check, ``deploygate check --config
  examples/quickstart/deploygate.toml --service checkout``.

Each command is a subprocess with its output thrown away; wall time runs from
the spawn to the exit. Prints one markdown table of medians and the ratio of
each to the baseline, and exits 1 when a target is missed:
``--version`` and ``--help`` at most 1.6 x the baseline, the quickstart check
at most 2.5 x. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
QUICKSTART = ROOT / "examples" / "quickstart" / "deploygate.toml"

BASELINE = "python -c 'import click'"
COMMANDS: dict[str, list[str]] = {
    BASELINE: [sys.executable, "-c", "import click"],
    "deploygate --version": [str(BIN / "deploygate"), "--version"],
    "deploygate --help": [str(BIN / "deploygate"), "--help"],
    "quickstart check": [
        str(BIN / "deploygate"),
        *("check", "--config", str(QUICKSTART), "--service", "checkout"),
    ],
}
TARGETS = {"deploygate --version": 1.6, "deploygate --help": 1.6, "quickstart check": 2.5}
"""The most each command may take, as a multiple of the baseline's median."""


def timed(command: list[str]) -> float:
    """Seconds from spawn to exit, output discarded."""
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21, help="turns to time (at least 15)")
    args = parser.parse_args()
    runs = max(15, args.runs)
    for command in COMMANDS.values():  # warm the file cache and the .pyc files
        timed(command)
    walls: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, command in COMMANDS.items():
            walls[name].append(timed(command))
    medians = {name: statistics.median(times) for name, times in walls.items()}
    baseline = medians[BASELINE]
    print(f"{runs} interleaved runs each, medians; Python {sys.version.split()[0]}\n")
    print("| command | median (ms) | x import click | target | met |")
    print("| --- | --- | --- | --- | --- |")
    missed = False
    for name, median in medians.items():
        ratio = median / baseline
        target = TARGETS.get(name)
        met = "-" if target is None else ("yes" if ratio <= target else "no")
        missed |= met == "no"
        limit = f"≤ {target}x" if target else "-"
        print(f"| {name} | {median * 1000:.1f} | {ratio:.2f} | {limit} | {met} |")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
