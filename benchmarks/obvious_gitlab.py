"""The obvious approach on GitLab, written plainly with python-gitlab (one request at a time).

List the environment's deployments of the lookback window (GitLab requires
``order_by=updated_at`` with ``updated_after``) and keep the failed ones;
list the postmortem issues and fetch each one's links, and each issue its
task list names. Then judge with the same rules (obvious_rules.py) and
print the findings. The only courtesy to the server is ``per_page=100``.

    python obvious_gitlab.py --url URL --project group/shop \
        --postmortem-project group/incidents --now 2026-11-20T12:00:00Z   # GITLAB_TOKEN
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import date

import gitlab
from obvious_rules import LOOKBACK, Failure, Item, Postmortem, emit, iso, judge, parse_time

TASK_REF = re.compile(r"^\s*[-*] \[[ xX-]\] ([\w./-]+)#(\d+)\s*$", re.MULTILINE)
DECLINED = {"wontfix", "won't do", "duplicate", "declined"}


def item_of(issue: dict) -> Item:
    if issue["state"] == "opened":
        state = "open"
    elif any(label.lower() in DECLINED for label in issue["labels"]):
        state = "declined"
    else:
        state = "done"
    due = date.fromisoformat(issue["due_date"]) if issue.get("due_date") else None
    return Item(issue["title"], state, due, parse_time(issue["created_at"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--postmortem-project", required=True)
    parser.add_argument("--environment", default="production")
    parser.add_argument("--service", default="checkout")
    parser.add_argument("--now", required=True)
    args = parser.parse_args()
    now = parse_time(args.now)
    since = now - LOOKBACK

    gl = gitlab.Gitlab(args.url, private_token=os.environ["GITLAB_TOKEN"], per_page=100)
    project = gl.projects.get(args.project)

    failures = []
    for deployment in project.deployments.list(
        environment=args.environment,
        updated_after=iso(since),
        order_by="updated_at",
        sort="desc",
        iterator=True,
    ):
        created = parse_time(deployment.created_at)
        if deployment.status == "failed" and created >= since:
            job = deployment.deployable or {}
            urls = [job.get("web_url"), (job.get("pipeline") or {}).get("web_url")]
            failures.append(Failure(str(deployment.id), deployment.sha, created, urls))

    postmortems = []
    incidents = gl.projects.get(args.postmortem_project)
    for issue in incidents.issues.list(labels=["postmortem"], state="all", iterator=True):
        services = [
            label.removeprefix("service::")
            for label in issue.labels
            if label.startswith("service::")
        ]
        if services and args.service not in services:
            continue
        items = {}
        for link in issue.links.list(get_all=True):
            items[link.references["full"]] = item_of(link.attributes)
        for path, iid in TASK_REF.findall(issue.description or ""):
            if f"{path}#{iid}" not in items:
                linked = gl.projects.get(path, lazy=True).issues.get(int(iid))
                items[f"{path}#{iid}"] = item_of(linked.attributes)
        postmortems.append(
            Postmortem(
                issue.title,
                parse_time(issue.created_at),
                issue.description or "",
                list(items.values()),
            )
        )

    emit(judge(failures, postmortems, now))


if __name__ == "__main__":
    main()
