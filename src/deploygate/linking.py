"""Failure ↔ postmortem matching, with the evidence for each link.

A failed deployment is reviewed by a postmortem that references it (its id
as a whole word, its URL, or a sha prefix of at least 7 hex characters);
failing that, by a postmortem of the same service written within the link
window after the failure that does not reference another failure.
References win because they are what a person wrote; the time window is a
guess, and the output says which one was used.

Each postmortem's text is tokenised once into an index, so linking costs
one dictionary lookup per failure and candidate key instead of a regex scan
per failure and postmortem: the local store must link 100,000 deployments
against 2,000 postmortems in well under a second.
"""

from __future__ import annotations

import bisect
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta

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


def normalise_url(url: str) -> str:
    """Compare URLs without case in scheme and host, trailing slashes or sentence punctuation."""
    url = url.rstrip(".,;:!?/")
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def reference_keys(text: str) -> set[str]:
    """Every token of ``text`` that could name a deployment: words, URLs, hex prefixes."""
    keys: set[str] = set(_WORD.findall(text))
    keys.update(f"url:{normalise_url(url)}" for url in _URL.findall(text))
    return keys


def _sha_keys(sha: str) -> Iterable[str]:
    sha = sha.lower()
    if len(sha) < MIN_SHA_PREFIX or not _HEX.match(sha):
        return ()
    return (sha[:length] for length in range(MIN_SHA_PREFIX, min(len(sha), _SHA_LENGTH) + 1))


def _keys_of(text: str) -> set[str]:
    keys = reference_keys(text)
    # Shas are matched case-insensitively; words and ids are not.
    keys.update(key.lower() for key in list(keys) if _HEX.match(key.lower()))
    return keys


class ReferenceIndex:
    """Which postmortems mention which tokens; built once per check.

    Entries of a postmortem's ``deployments`` list are what a person said it
    reviews, so they always count. A mention in the text only counts when
    the postmortem was written on or after the day the deployment started:
    "v2.10" or "3 days" in an older text must not review a newer failure,
    and a postmortem dated by day alone must still review that day's failure.
    """

    def __init__(self, postmortems: Sequence[Postmortem]) -> None:
        self._explicit: dict[str, list[Postmortem]] = defaultdict(list)
        self._text: dict[str, list[Postmortem]] = defaultdict(list)
        for postmortem in postmortems:
            for key in _keys_of("\n".join(postmortem.deployment_refs)):
                self._explicit[key].append(postmortem)
            for key in _keys_of(f"{postmortem.title}\n{postmortem.body}"):
                self._text[key].append(postmortem)

    def find(self, deployment: Deployment) -> Review | None:
        """The earliest postmortem that references ``deployment``, and what it mentioned."""
        keys = [(deployment.id, f"mentions deployment id {deployment.id}")]
        for url in (deployment.url, *deployment.other_urls):
            if url:
                keys.append((f"url:{normalise_url(url)}", f"links {url}"))
        if deployment.sha:
            keys.extend((key, f"mentions sha {key}") for key in _sha_keys(deployment.sha))
        failure_day = start_of_day(deployment.created_at.date())
        candidates = [
            (postmortem, f"lists it: {evidence.removeprefix('mentions ')}")
            for key, evidence in keys
            for postmortem in self._explicit.get(key, ())
        ] + [
            (postmortem, evidence)
            for key, evidence in keys
            for postmortem in self._text.get(key, ())
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
        key=lambda postmortem: postmortem.created_at,
    )
    times = [postmortem.created_at for postmortem in by_time]
    for deployment in failures:
        if deployment.id in reviews:
            continue
        first = bisect.bisect_left(times, deployment.created_at)
        if first < len(by_time) and times[first] <= deployment.created_at + window:
            postmortem = by_time[first]
            after = _hours(postmortem.created_at - deployment.created_at)
            reviews[deployment.id] = Review(
                deployment,
                postmortem,
                LinkKind.TIME_WINDOW,
                f"written {after} after the failure, within the {_hours(window)} link window",
            )
    return reviews
