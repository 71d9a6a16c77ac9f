"""The gate's rules, written plainly for the obvious scripts (no deploygate import).

It is a separate, simple reading of the README's "How it decides" and
"Rules", so that agreeing findings mean something: deploygate and these
scripts fetch the same history by different means and judge it
independently. Findings are printed as normalised keys (see ``key``),
because ids differ between GitHub, GitLab and the local store.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

LOOKBACK = timedelta(days=90)
LINK_WINDOW = timedelta(hours=72)
GRACE = timedelta(days=3)
MAX_AGE = timedelta(days=30)
WORD = re.compile(r"\w(?:[\w.-]*\w)?")
HEX = re.compile(r"^[0-9a-f]+$")
URL = re.compile(r"https?://[^\s<>\"'`)\]]+", re.IGNORECASE)


@dataclass
class Failure:
    id: str
    sha: str
    created_at: datetime
    urls: list[str]


@dataclass
class Item:
    title: str
    state: str  # open, done, declined
    due: date | None
    created_at: datetime


@dataclass
class Postmortem:
    title: str
    created_at: datetime
    body: str
    items: list[Item] = field(default_factory=list)


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment


def parse_time(text: str) -> datetime:
    return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def start_of_day(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)


def mentions(pm: Postmortem, failure: Failure) -> bool:
    """Whether the postmortem names the failure: id, one of its URLs, or a 7+ sha prefix."""
    if pm.created_at < start_of_day(failure.created_at):
        return False
    text = f"{pm.title}\n{pm.body}"
    words = set(WORD.findall(text))
    if failure.id in words:
        return True
    urls = {u.rstrip(".,;:!?/") for u in URL.findall(text)}
    if any(u.rstrip("/") in urls for u in failure.urls if u):
        return True
    sha = failure.sha.lower()
    return any(len(w) >= 7 and HEX.match(w.lower()) and sha.startswith(w.lower()) for w in words)


def judge(failures: list[Failure], postmortems: list[Postmortem], now: datetime) -> list[list]:
    failures = sorted(
        (f for f in failures if now - LOOKBACK <= f.created_at <= now), key=lambda f: f.created_at
    )
    postmortems = [pm for pm in postmortems if pm.created_at <= now]
    findings: list[list] = []
    reviews: dict[str, tuple[Postmortem, str]] = {}
    for failure in failures:
        naming = [pm for pm in postmortems if mentions(pm, failure)]
        if naming:
            reviews[failure.id] = (min(naming, key=lambda pm: pm.created_at), "reference")
    referencing = {id(pm) for pm, _ in reviews.values()}
    others = sorted(
        (pm for pm in postmortems if id(pm) not in referencing), key=lambda pm: pm.created_at
    )
    for failure in failures:
        if failure.id in reviews:
            continue
        for pm in others:
            if pm.created_at >= failure.created_at:
                if pm.created_at <= failure.created_at + LINK_WINDOW:
                    reviews[failure.id] = (pm, "time-window")
                break
    for failure in failures:
        subject = ["deployment", failure.sha, iso(failure.created_at)]
        if failure.id in reviews:
            pm, how = reviews[failure.id]
            findings.append(["reviewed-failure", "notice", *subject, how, pm.title])
        else:
            level = "notice" if now - failure.created_at < GRACE else "warning"
            findings.append(["unreviewed-failure", level, *subject, None, None])
    for pm in postmortems:
        for item in pm.items:
            subject = ["action-item", item.title, None, None, pm.title]
            if item.state == "declined":
                findings.append(["declined-action-item", "notice", *subject])
            elif item.state == "open":
                if item.due is not None:
                    overdue = now >= start_of_day(
                        datetime.combine(item.due, datetime.min.time(), timezone.utc)
                    ) + timedelta(days=1)
                else:
                    overdue = now - item.created_at > MAX_AGE
                if overdue:
                    findings.append(["overdue-action-item", "error", *subject])
                else:
                    findings.append(["open-action-item", "warning", *subject])
    return sorted(findings, key=lambda f: json.dumps(f))


def key(finding: dict) -> list:
    """A deploygate JSON finding as the same normalised key the obvious scripts print."""
    if finding.get("deployment"):
        d = finding["deployment"]
        subject = ["deployment", d.get("sha"), d.get("created_at")]
        postmortem = finding.get("postmortem") or {}
        link = finding.get("link")
        return [finding["rule"], finding["level"], *subject, link, postmortem.get("title")]
    item = finding.get("action_item") or {}
    postmortem = finding.get("postmortem") or {}
    subject = ["action-item", item.get("title"), None, None]
    return [finding["rule"], finding["level"], *subject, postmortem.get("title")]


def emit(findings: list[list]) -> None:
    json.dump({"findings": findings}, sys.stdout)
    sys.stdout.write("\n")
