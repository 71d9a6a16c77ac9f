"""The obvious approach on GitHub, written plainly with PyGithub (REST, one request at a time).

List the environment's deployments (newest first, stopping at the lookback
window) and fetch each one's statuses to learn whether it failed; list the
postmortem issues and fetch each one's sub-issues, and each issue its task
list names. Then judge with the same rules (obvious_rules.py) and print
the findings. The only courtesy to the server is ``per_page=100``.

    python obvious_github.py --api-url URL --repo acme/shop \
        --postmortem-repo acme/incidents --now 2026-11-20T12:00:00Z   # GITHUB_TOKEN
"""

from __future__ import annotations

import argparse
import os
import re
from datetime import date

from github import Auth, Github
from obvious_rules import LOOKBACK, Failure, Item, Postmortem, emit, judge, parse_time, utc

TASK_REF = re.compile(r"^\s*[-*] \[[ xX-]\] ([\w.-]+/[\w.-]+)#(\d+)\s*$", re.MULTILINE)
DUE_LINE = re.compile(r"^\s*due\s*:\s*(\d{4}-\d{2}-\d{2})\s*$", re.IGNORECASE | re.MULTILINE)


def item_of(issue) -> Item:
    if issue.state == "open":
        state = "open"
    elif issue.state_reason in ("not_planned", "duplicate"):
        state = "declined"
    else:
        state = "done"
    due = None
    if issue.milestone is not None and issue.milestone.due_on is not None:
        due = issue.milestone.due_on.date()
    elif issue.body and (match := DUE_LINE.search(issue.body)):
        due = date.fromisoformat(match.group(1))
    return Item(issue.title, state, due, utc(issue.created_at))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--api-url", required=True)
    parser.add_argument("--repo", required=True)
    parser.add_argument("--postmortem-repo", required=True)
    parser.add_argument("--environment", default="production")
    parser.add_argument("--service", default="checkout")
    parser.add_argument("--now", required=True)
    args = parser.parse_args()
    now = parse_time(args.now)
    since = now - LOOKBACK

    g = Github(
        base_url=args.api_url,
        auth=Auth.Token(os.environ["GITHUB_TOKEN"]),
        per_page=100,
        seconds_between_requests=None,  # PyGithub's default 0.25 s pause would slow it 5x more
    )
    repo = g.get_repo(args.repo)

    failures = []
    for deployment in repo.get_deployments(environment=args.environment):
        created = utc(deployment.created_at)
        if created < since:
            break
        latest = next(iter(deployment.get_statuses()), None)  # newest status first
        if latest is not None and latest.state in ("failure", "error"):
            failures.append(
                Failure(
                    id=str(deployment.id),
                    sha=deployment.sha,
                    created_at=created,
                    urls=[deployment.url, latest.log_url, latest.environment_url],
                )
            )

    repos = {args.repo: repo}

    def get_repo(name: str):
        if name not in repos:
            repos[name] = g.get_repo(name)
        return repos[name]

    postmortems = []
    pm_repo = get_repo(args.postmortem_repo)
    for issue in pm_repo.get_issues(labels=["postmortem"], state="all"):
        labels = [label.name for label in issue.labels]
        services = [name.removeprefix("service:") for name in labels if name.startswith("service:")]
        if services and args.service not in services:
            continue
        items = {}
        for sub in issue.get_sub_issues():
            items[sub.html_url] = item_of(sub)
        for name, number in TASK_REF.findall(issue.body or ""):
            url = f"https://github.com/{name}/issues/{number}"
            if url not in items:
                items[url] = item_of(get_repo(name).get_issue(int(number)))
        postmortems.append(
            Postmortem(issue.title, utc(issue.created_at), issue.body or "", list(items.values()))
        )

    emit(judge(failures, postmortems, now))


if __name__ == "__main__":
    main()
