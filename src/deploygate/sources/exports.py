"""How a platform names the issue it exported an item to, for the source that hosts it.

An incident platform or Linear may move a follow-up to a Jira, GitHub or
GitLab issue; that issue's state is the truth. The exporting source gives the
item the id its host gives the issue and names the issue in the postmortem's
``tracker_refs``; the Jira tracker, or the GitHub or GitLab source
(:class:`~deploygate.sources.interface.ExportTarget`), then puts the issue in
the item's place. This is the one place for both sides: a Jira issue by its
key (:func:`jira_key`, as incident.io and Rootly give it in a field) or its
page (:func:`jira_issue`, as Linear attaches it), a GitHub issue by its page
(:func:`github_issue`), a GitLab issue by its page (:func:`gitlab_issue`), so
what one source exports the other recognises.

Only a field or an integration's link says where an item was exported: an
address in text a person wrote ("same root cause as …") is never taken for
one, since an old closed issue would then stand for an open item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from deploygate.model import ActionItem, History, Postmortem

Key = TypeVar("Key", bound=Hashable)

JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]+-[1-9][0-9]*")
"""A Jira issue's key: its project's key and its number, ``OPS-123``."""
_JIRA_BROWSE = re.compile(rf"https?://[^/?#]+/browse/({JIRA_KEY.pattern})(?:[/?#].*)?")
"""A Jira issue's web page, ``https://acme.atlassian.net/browse/OPS-123``."""
GITHUB_ISSUE = re.compile(
    r"(https?://[^\s/?#<>()\[\]]+)/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/issues/([1-9][0-9]*)"
)
"""A GitHub issue's web page: its site, ``owner/repo`` and number (GitLab's have ``/-/``)."""
GITLAB_ISSUE = re.compile(
    r"(https?://[^\s/?#<>()\[\]]+)/([A-Za-z0-9_.][A-Za-z0-9_./-]*[A-Za-z0-9_])"
    r"/-/(?:issues|work_items)/([1-9][0-9]*)(?:[?#][^\s]*)?"
)
"""A GitLab issue's web page, as an issue or as a work item: its site, its project's path
(``group/sub/project``) and its number; a comment's anchor (``#note_1``) may follow."""


def github_issue(url: str) -> tuple[str, str] | None:
    """The GitHub issue at ``url`` as (the item id GitHub gives it, ``owner/repo#12``; how a
    postmortem names it, the URL); None for any other address."""
    match = GITHUB_ISSUE.fullmatch(url)
    return (f"{match[2]}#{match[3]}", url) if match else None


def gitlab_issue(url: str) -> tuple[str, str] | None:
    """The GitLab issue at ``url`` as (the item id GitLab gives it, ``group/project#12``, as
    its full reference; how a postmortem names it, the URL); None for any other address."""
    match = GITLAB_ISSUE.fullmatch(url)
    return (f"{match[2]}#{match[3]}", url) if match else None


def jira_key(key: str) -> tuple[str, str] | None:
    """The Jira issue of ``key`` as (the item id Jira gives it; how a postmortem names it):
    the key, both; None for anything that is not a key."""
    return (key, key) if JIRA_KEY.fullmatch(key) else None


def jira_issue(url: str) -> tuple[str, str] | None:
    """The Jira issue whose page is ``url``, as :func:`jira_key` gives it; None for any
    other address."""
    match = _JIRA_BROWSE.fullmatch(url)
    return jira_key(match[1]) if match else None


LINEAR_ISSUE = re.compile(
    r"https://linear\.app/[A-Za-z0-9_-]+/issue/([A-Za-z][A-Za-z0-9]*-[1-9][0-9]*)(?:/[^\s?#]*)?"
)
"""A Linear issue's web page, ``https://linear.app/acme/issue/OPS-12/optional-slug``."""


def linear_issue(url: str) -> tuple[str, str] | None:
    """The Linear issue at ``url`` as (the item id Linear gives it, its identifier ``OPS-12``;
    how a postmortem names it, the URL); None for any other address."""
    match = LINEAR_ISSUE.fullmatch(url)
    return (match[1].upper(), url) if match else None


def exported_issues(
    refs: Sequence[str], page: re.Pattern[str], web_url: str
) -> list[tuple[str, int]]:
    """The issues on the site ``web_url`` that ``refs`` name by their pages, in order, as
    (project or repository path, number): ``page`` is the pattern of an issue's page on
    that kind of host, whose groups are the site, the path and the number
    (:data:`GITHUB_ISSUE`, :data:`GITLAB_ISSUE`). A page on another site is not this
    source's."""
    found: list[tuple[str, int]] = []
    for ref in refs:
        match = page.fullmatch(ref)
        if match is not None and match[1].lower() == web_url.rstrip("/").lower():
            found.append((match[2], int(match[3])))
    return list(dict.fromkeys(found))


def with_exported(postmortem: Postmortem, items: Sequence[ActionItem]) -> Postmortem:
    """``postmortem`` with each of ``items``, an issue its host read, in the place of the
    item of its id, or added: the one step every export target ends with."""
    if not items:
        return postmortem
    # Ids are compared in any case: GitHub's owner and repository names are case-insensitive,
    # and an exported link may spell them, or a Linear identifier, otherwise than the host.
    by_id = {item.id.lower(): item for item in items}
    kept = [by_id.pop(item.id.lower(), item) for item in postmortem.action_items]
    return replace(postmortem, action_items=(*kept, *by_id.values()))


def in_place(
    history: History,
    wanted: Mapping[str, Sequence[Key]],
    found: Mapping[Key, ActionItem],
    unseen: Callable[[Key, str], str],
) -> History:
    """``history`` with the issues an export target ``found`` of those ``wanted`` (its keys,
    by the id of the postmortem naming them) in their items' place, and the notice
    ``unseen(key, postmortem id)`` for each it did not find, whose item then stands."""
    notices = [
        unseen(key, postmortem_id)
        for postmortem_id, keys in wanted.items()
        for key in keys
        if key not in found
    ]
    postmortems = tuple(
        with_exported(
            postmortem, [found[key] for key in wanted.get(postmortem.id, ()) if key in found]
        )
        for postmortem in history.postmortems
    )
    return replace(history, postmortems=postmortems, notices=(*history.notices, *notices))
