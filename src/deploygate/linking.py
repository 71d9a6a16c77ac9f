"""Failure ↔ postmortem matching, with the evidence for each link.

A failed deployment is reviewed by a postmortem that references it;
failing that, by a postmortem of the same service written within the link
window after the failure that does not reference another failure.
References win because they are what a person wrote; the time window is a
guess, and the output says which one was used.

A reference is what people paste: the deployment's id as a whole word, one
of its own URLs, the workflow run its log URL belongs to (any page of the
run: the run, an attempt, a job), its GitLab job or pipeline (any page of
them), or its sha or a commit URL holding it (7 or more hex characters).
URLs are reduced to canonical keys ("run:github.com/acme/shop/987654321"),
so each form is one key. A deployment's environment URL (the site it
deployed to) is never among its URLs: the sources leave it out, because a
postmortem that names the site says nothing about which deployment failed.

Each postmortem's text is tokenised once into an index, so linking costs
one dictionary lookup per failure and candidate key instead of a regex scan
per failure and postmortem (shas are looked up by their first 7 characters,
then compared): the local store must link 100,000 deployments against
2,000 postmortems in well under a second.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from deploygate.dates import start_of_day
from deploygate.model import Deployment, LinkKind, Postmortem, Review

MIN_SHA_PREFIX = 7
_SHA_LENGTH = 40

# A word is a run of word characters, dots and dashes that starts and ends with
# a word character: "checkout-41" and "v2.10" are one word each, so neither
# "41" nor "10" is found inside them, while "4711." and "#4711" give "4711".
_WORD = re.compile(r"\w(?:[\w.-]*\w)?")
_URL = re.compile(r"https?://[^\s<>\"'`)\]]+", re.IGNORECASE)
_HEX = re.compile(r"^[0-9a-f]+$")
_SHA = re.compile(rf"^[0-9a-f]{{{MIN_SHA_PREFIX},{_SHA_LENGTH}}}$")
COMMIT_NAME = re.compile(rf"[0-9a-fA-F]{{{MIN_SHA_PREFIX},64}}")
"""A commit as a user may name it: 7 hex digits up to a full SHA-256 name, either case."""

PathKind = Literal["run", "job", "pipeline", "commit"]

# The pages that name a run, job, pipeline or commit, on any host and under any
# project path, followed by anything: GitHub's run (…/actions/runs/R, with
# /attempts/N, /job/J or /jobs/J), GitLab's job (…/-/jobs/J, /raw) and
# pipeline (…/-/pipelines/P, /failures), and a commit (…/commit/<sha>,
# GitLab's …/-/commit/<sha>, .patch, #diff-…). The project is matched lazily,
# so it ends at the first of these markers. The markers are matched with their
# case, as both platforms route them, so that a substring test can skip the
# regex for the other URLs (most of a large history's).
_PATH_REFERENCE = re.compile(
    r"(?i:https?)://(?P<host>[^/?#\s]+)/(?P<project>[^?#\s]+?)/"
    r"(?:actions/runs/(?P<run>\d+)|-/jobs/(?P<job>\d+)|-/pipelines/(?P<pipeline>\d+)"
    r"|(?:-/)?commits?/(?P<commit>[0-9a-fA-F]{7,40}))"
    r"(?=[/?#.]|$)"
)
_PATH_MARKERS = ("/actions/runs/", "/-/", "/commit")

_VIA: Mapping[str, str] = {
    "run": "links run {} of its log URL",
    "job": "links its job {}",
    "pipeline": "links its pipeline {}",
}
"""The evidence of a link by what a URL's path names, with its number."""


def normalise_url(url: str) -> str:
    """Compare URLs without case in scheme and host, trailing slashes or sentence punctuation."""
    url = url.rstrip(".,;:!?/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


@dataclass(frozen=True, slots=True)
class PathReference:
    """What a URL's path names beyond the page itself: a run, job, pipeline or commit."""

    kind: PathKind
    key: str
    """Canonical, the same for every form of the URL: ``run:github.com/acme/shop/987``
    (host and project without case), or a commit's sha in lower case."""
    number: str
    """The run's, job's or pipeline's number, or the sha, for the evidence."""


def path_reference(url: str) -> PathReference | None:
    """The run, job, pipeline or commit that ``url`` (normalised) is a page of, if any."""
    if not any(marker in url for marker in _PATH_MARKERS):
        return None
    match = _PATH_REFERENCE.match(url)
    if match is None:
        return None
    place = f"{match['host']}/{match['project']}".lower()
    for kind in ("run", "job", "pipeline"):
        if match[kind]:
            return PathReference(kind, f"{kind}:{place}/{match[kind]}", match[kind])
    sha = match["commit"].lower()
    return PathReference("commit", sha, sha)


def mentions(text: str) -> tuple[set[str], dict[str, str]]:
    """What ``text`` could name a deployment by: its keys (ids, URLs and what their paths
    name), and its shas (hex tokens of 7 to 40 characters, lower case) with how each is
    written.

    Words inside a URL are not ids: ``…/-/issues/12`` or an environment's page
    ``…/-/environments/12`` says nothing about deployment 12. A URL is a
    reference by itself (``url:…``) and by what its path names (``run:…``).
    A sha in a commit URL "links commit"; anywhere else (prose, or another
    URL such as a compare view) it "mentions sha".
    """
    urls = _URL.findall(text)
    words = _WORD.findall(text)
    keys = set(_WORD.findall(_URL.sub(" ", text)) if urls else words)
    shas = {word: "mentions sha" for word in map(str.lower, words) if _SHA.match(word)}
    for url in map(normalise_url, urls):
        keys.add(f"url:{url}")
        found = path_reference(url)
        if found is None:
            continue
        if found.kind == "commit":
            shas[found.key] = "links commit"
        else:
            keys.add(found.key)
    return keys, shas


def same_commit(sha: str, other: str) -> bool:
    """Whether two shas name one commit: equal, or one a prefix of the other of at least
    :data:`MIN_SHA_PREFIX` digits, without case, as git reads them. One digit in common is
    not one commit: a shorter prefix would call unrelated commits the same."""
    sha, other = sha.lower(), other.lower()
    shorter = min(len(sha), len(other))
    return sha == other or (shorter >= MIN_SHA_PREFIX and sha[:shorter] == other[:shorter])


@dataclass
class _Mentions:
    """What one kind of a postmortem's text mentions: the keys it names, and its shas by
    their first 7 characters, so a deployment's sha costs one lookup whatever its length."""

    keys: dict[str, list[Postmortem]] = field(default_factory=lambda: defaultdict(list))
    shas: dict[str, list[tuple[str, str, Postmortem]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, postmortem: Postmortem, text: str) -> None:
        keys, shas = mentions(text)
        for key in keys:
            self.keys[key].append(postmortem)
        for sha, how in shas.items():
            self.shas[sha[:MIN_SHA_PREFIX]].append((sha, how, postmortem))

    def find(
        self, keys: Sequence[tuple[str, str]], sha: str | None
    ) -> Iterator[tuple[Postmortem, str]]:
        """The postmortems that mention one of ``keys`` or ``sha``, each with its evidence."""
        for key, evidence in keys:
            for postmortem in self.keys.get(key, ()):
                yield postmortem, evidence
        if sha is not None:
            for token, how, postmortem in self.shas.get(sha[:MIN_SHA_PREFIX], ()):
                if same_commit(sha, token):
                    yield postmortem, f"{how} {token}"


def _keys_of(deployment: Deployment) -> list[tuple[str, str]]:
    """The keys a reference to ``deployment`` would give, each with its evidence; its own
    URLs before what their paths name, so an exact link says so."""
    urls = list(dict.fromkeys(url for url in (deployment.url, *deployment.other_urls) if url))
    keys = [(deployment.id, f"mentions deployment id {deployment.id}")]
    keys.extend((f"url:{normalise_url(url)}", f"links {url}") for url in urls)
    for url in urls:
        found = path_reference(normalise_url(url))
        if found is not None and found.kind != "commit":
            keys.append((found.key, _VIA[found.kind].format(found.number)))
    return keys


def _sha_of(deployment: Deployment) -> str | None:
    sha = (deployment.sha or "").lower()
    return sha if len(sha) >= MIN_SHA_PREFIX and _HEX.match(sha) else None


class ReferenceIndex:
    """Which postmortems mention which tokens; built once per check.

    Entries of a postmortem's ``deployments`` list are what a person said it
    reviews, so they always count. A mention in the text only counts when
    the postmortem was written on or after the day the deployment started:
    "v2.10" or "3 days" in an older text must not review a newer failure,
    and a postmortem dated by day alone must still review that day's failure.
    """

    def __init__(self, postmortems: Sequence[Postmortem]) -> None:
        self._explicit = _Mentions()
        self._text = _Mentions()
        for postmortem in postmortems:
            self._explicit.add(postmortem, "\n".join(postmortem.deployment_refs))
            self._text.add(postmortem, f"{postmortem.title}\n{postmortem.body}")

    def find(self, deployment: Deployment) -> Review | None:
        """The earliest postmortem that references ``deployment``, and what it mentioned."""
        keys, sha = _keys_of(deployment), _sha_of(deployment)
        failure_day = start_of_day(deployment.created_at.date())
        candidates = [
            (postmortem, f"lists it: {evidence.removeprefix('mentions ')}")
            for postmortem, evidence in self._explicit.find(keys, sha)
        ] + [
            (postmortem, evidence)
            for postmortem, evidence in self._text.find(keys, sha)
            if postmortem.created_at >= failure_day
        ]
        if not candidates:
            return None
        postmortem, evidence = min(candidates, key=lambda pair: pair[0].created_at)
        return Review(deployment, postmortem, LinkKind.REFERENCE, evidence)


def _hours(span: timedelta) -> str:
    hours = span.total_seconds() / 3600
    return f"{hours:.0f} h" if hours >= 1 else f"{span.total_seconds() / 60:.0f} min"


def link_failures(
    failures: Sequence[Deployment],
    postmortems: Sequence[Postmortem],
    window: timedelta,
    index: ReferenceIndex | None = None,
) -> Mapping[str, Review]:
    """The review of each failure that has one, by deployment id.

    ``postmortems`` must already be those of the failures' service; ``index``
    is theirs, when the caller links several sets of failures against them.
    """
    index = index or ReferenceIndex(postmortems)
    reviews: dict[str, Review] = {}
    for deployment in failures:
        review = index.find(deployment)
        if review is not None:
            reviews[deployment.id] = review
    # A postmortem that names the failure it is about is not a guess for another one.
    referencing = {review.postmortem.id for review in reviews.values()}
    by_time = sorted(
        (postmortem for postmortem in postmortems if postmortem.id not in referencing),
        key=_window_time,
    )
    times = [_window_time(postmortem) for postmortem in by_time]
    for deployment in failures:
        if deployment.id in reviews:
            continue
        first = bisect.bisect_left(times, deployment.created_at)
        if first < len(by_time) and times[first] <= deployment.created_at + window:
            postmortem = by_time[first]
            after = _hours(times[first] - deployment.created_at)
            what = "its incident started" if postmortem.started_at else "written"
            reviews[deployment.id] = Review(
                deployment,
                postmortem,
                LinkKind.TIME_WINDOW,
                f"{what} {after} after the failure, within the {_hours(window)} link window",
            )
    return reviews


def _window_time(postmortem: Postmortem) -> datetime:
    """What the link window is measured to: the incident's start where the platform records
    it, else when the postmortem was written."""
    return postmortem.started_at or postmortem.created_at
