"""What following each done item's fix costs on GitHub, on the benchmark's history.

    .venv/bin/python benchmarks/shipping.py [--baseline SRC] [--quick]

Two checks of the benchmark's history (history.py) against the fake GitHub,
each counting the requests the fake logged:

* as history.py writes it: its done items are closed by hand, with no linked
  change, as most trackers' items are;
* the same history where every done item was closed by the merge of a pull
  request in acme/shop (its merge commit lands on the default branch when the
  item closed, and the next deployment ships it; the deployments' commits
  form one line).

``--baseline SRC`` runs the first check with another tree's ``src`` too (for
example ``git archive main src | tar -x -C /tmp/main``): today's count, to
hold the new one against. The report is a few lines on stdout.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import history as H  # noqa: E402
from fakes_ext import gh  # noqa: E402


def give_fixes(world: Any, history: H.History) -> int:
    """Close every done item by merging a pull request whose merge commit sits, in time,
    between the deployments around the item's closing; returns how many."""
    shop = world.repo("acme/shop")
    done = {item.title for item in history.items if item.state == "done"}
    issues = [
        issue
        for repo in (shop, world.repo("acme/platform"))
        for issue in list(repo.issues.values())
        if issue.title in done and issue.state == "CLOSED" and issue.state_reason == "COMPLETED"
    ]
    for number, issue in enumerate(issues):
        sha = hashlib.sha1(f"fix-{number}".encode(), usedforsecurity=False).hexdigest()
        shop.commit(sha, f"Fix: {issue.title}", at=issue.closed_at - timedelta(minutes=5))
    line = sorted(shop.commits.values(), key=lambda commit: commit.committed_at)
    for parent, child in itertools.pairwise(line):
        child.parents = (parent.sha,)
    for number, issue in enumerate(issues):
        sha = hashlib.sha1(f"fix-{number}".encode(), usedforsecurity=False).hexdigest()
        pull = shop.pull_request(title=f"Fix: {issue.title}", created_at=issue.created_at)
        pull.merge(shop.commits[sha], closes=[issue])
    return len(issues)


def check(fake: Any, config: Path, src: str | None) -> dict[str, Any]:
    """One check against ``fake`` in a subprocess; its requests and the compares among them."""
    env = {
        "PATH": os.environ["PATH"],
        "GITHUB_TOKEN": H.GITHUB_TOKEN,
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_GRAPHQL_URL": fake.graphql_url,
        "GITHUB_SERVER_URL": "https://github.com",
    }
    if src is not None:
        env["PYTHONPATH"] = src
    fake.requests.clear()
    done = subprocess.run(
        [sys.executable, "-m", "deploygate", "check", "--config", str(config), "--service",
         H.SERVICE, "--now", H.NOW.isoformat(), "--format", "json"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode not in (0, 1):
        raise SystemExit(f"check failed ({done.returncode}): {done.stderr}")
    report = json.loads(done.stdout)
    compares = sum(1 for record in fake.requests if "/compare/" in record.path)
    batches = sum(1 for record in fake.requests if b"query Contains(" in (record.body or b""))
    findings: dict[str, int] = {}
    for finding in report["findings"]:
        findings[finding["rule"]] = findings.get(finding["rule"], 0) + 1
    return {
        "requests": len(fake.requests),
        "reported": report["sources"][0]["requests"],
        "compares": compares,
        "batches": batches,
        "unshipped": findings.get("unshipped-fix", 0),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", help="another tree's src folder, for today's count")
    parser.add_argument("--quick", action="store_true", help="a small history")
    args = parser.parse_args()
    size = H.Size(deployments=300, failures=12, postmortems=10, unrelated_issues=50)
    history = H.make_history(size if args.quick else H.Size())
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "deploygate.toml"
        config.write_text(
            'source = "github"\n[github]\nrepository = "acme/shop"\n'
            'postmortem-repository = "acme/incidents"\n'
            f'[services.{H.SERVICE}]\nenvironments = ["{H.ENVIRONMENT}"]\n'
        )
        fake = gh.FakeGitHub()
        fake.start()
        try:
            H.build_github(fake.world, history)
            rows = []
            if args.baseline:
                rows.append(("as written, baseline src", check(fake, config, args.baseline)))
            rows.append(("as written (no linked change)", check(fake, config, None)))
            fixed = give_fixes(fake.world, history)
            rows.append((f"every done item fixed by a PR ({fixed})", check(fake, config, None)))
        finally:
            fake.stop()
    for name, row in rows:
        print(
            f"{name}: {row['requests']} requests (deploygate says {row['reported']}), "
            f"{row['batches']} of them containment queries and {row['compares']} compares; "
            f"{row['unshipped']} unshipped-fix findings"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
