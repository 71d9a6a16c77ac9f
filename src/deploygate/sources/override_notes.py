"""Reading the audit trail of emergency overrides: the override notes deploygate left.

``report`` counts a service's overrides from the notes that ``check
--override --comment`` left on postmortems: a note counts when it starts
with the override marker naming the service AND its author is the token's
own identity (a person quoting the marker counts for nothing), and it was
created inside the period. One override leaves a note on *each* postmortem
it let through, so the notes of one run (the same service and the same run
link) count once; a note without a run link (a run outside CI) counts alone.

GitHub: one paginated listing of the postmortem repository's issue comments
updated since the period began (``GET /repos/{owner}/{repo}/issues/comments
?since=``, 100 a page), so the requests grow with the comments of the
period, never with the history.
See https://docs.github.com/en/rest/issues/comments#list-issue-comments-for-a-repository

GitLab: ``GET /user``, then one paginated listing of the postmortem
project's comment events (``GET /projects/:id/events?action=commented
&target_type=note&after=DATE``, 100 a page). Each comment event carries the
whole note (body, author, created_at, noteable_type), so nothing else is
read: 1 + ceil(comments of the period / 100) requests, however many
postmortems there are. The alternative, one notes listing per postmortem
issue, costs a request per postmortem (plus the issue listings) for the
same answer. ``target_type=note`` leaves out thread replies
(``DiscussionNote``); deploygate's notes are plain issue notes, so none is
missed. ``after`` is a date, and GitLab keeps only events created after the
*end* of that day in the instance's time zone, so the day two days before
the period is asked for and the notes' own ``created_at`` decide.
See https://docs.gitlab.com/api/events/#list-a-projects-visible-events (and
``EventsFinder#by_created_at_after`` in GitLab's source).

The platforms and the local log (:mod:`deploygate.sources.local.overrides`)
may record the same override twice (``check`` with ``github,local`` notes it
and logs it), so :func:`combined` takes the larger count of a service, never
the sum.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from deploygate.dates import parse_instant, to_utc
from deploygate.errors import SourceError
from deploygate.formats.override_note import service_of
from deploygate.platform_clients import github_login, github_on_session
from deploygate.redaction import redact
from deploygate.sources.gitlab.settings import GitLabSettings

_RUN_LINK = re.compile(r"^\[The run\]\((?P<url>[^)\s]+)\)$", re.MULTILINE)
"""The run's link as :func:`deploygate.formats.override_note.render` writes it."""
_EVENT_DAYS_BEFORE = timedelta(days=2)
"""``after`` is exclusive of its whole day, in a time zone up to a day away from UTC."""


def combined(counts: Iterable[Counter[str]]) -> Counter[str]:
    """Per service, the largest of several counts of the same overrides (see the module)."""
    merged: Counter[str] = Counter()
    for count in counts:
        for service, overrides in count.items():
            merged[service] = max(merged[service], overrides)
    return merged


def _runs(notes: Iterable[tuple[str, str]]) -> Counter[str]:
    """Overrides per service from ``(note id, body)`` of counted notes: one per run."""
    seen: set[tuple[str, str]] = set()
    counts: Counter[str] = Counter()
    for note_id, body in notes:
        service = service_of(body)
        if service is None:
            continue
        link = _RUN_LINK.search(body)
        run = (service, f"run {link.group('url')}" if link else f"note {note_id}")
        if run not in seen:
            seen.add(run)
            counts[service] += 1
    return counts


READ_DEADLINE_SECONDS = 60.0
"""The deadline of the comments listing: the GitHub source's default."""


def count_github(
    api_url: str,
    repository: str,
    token: str,
    *,
    in_actions: bool,
    since: datetime,
    until: datetime,
) -> Counter[str]:
    """Overrides per service in ``repository``'s comments from ``since`` to ``until``."""
    from github import GithubException
    from requests import RequestException

    counted: list[tuple[str, str]] = []
    with github_on_session(api_url, token, READ_DEADLINE_SECONDS) as client:
        try:
            login = github_login(client, in_actions)
            if login is None:
                raise SourceError(
                    "github",
                    "cannot tell which user the token is, so its override notes cannot be "
                    "told apart",
                )
            for comment in client.get_repo(repository).get_issues_comments(since=since):
                author = comment.user.login if comment.user is not None else None
                body = comment.body or ""
                if author == login and since <= to_utc(comment.created_at) <= until:
                    counted.append((str(comment.id), body))
        except GithubException as error:
            raise SourceError(
                "github", f"cannot read the override notes in {repository} ({error.status})"
            ) from None
        except RequestException as error:
            raise SourceError(
                "github",
                redact(
                    f"cannot read the override notes in {repository}: {type(error).__name__}",
                    [token],
                ),
            ) from None
    return _runs(counted)


def count_gitlab(settings: GitLabSettings, *, since: datetime, until: datetime) -> Counter[str]:
    """Overrides per service in the postmortem project's notes from ``since`` to ``until``.

    It reads through :class:`~deploygate.sources.gitlab.source.GitLabSource`, so the
    listing has the source's timeouts, deadline, redaction, errors and paging
    (``X-Next-Page`` when a proxy strips ``Link``).
    """
    from deploygate.sources.gitlab.source import GitLabSource

    source = GitLabSource(settings)
    project = settings.postmortem_project
    username = source.username()
    if not username:
        raise source.session.fail(
            "cannot tell which user the token is, so its override notes cannot be told apart"
        )
    events = source.listing(
        source.gl.projects.get(project, lazy=True).events,
        f"the comment events of {project}",
        action="commented",
        target_type="note",
        after=(since - _EVENT_DAYS_BEFORE).date().isoformat(),
    )
    counted = []
    for event in events:
        note = _mapping(event.get("note"))
        author = _mapping(note.get("author")).get("username")
        if note.get("noteable_type") != "Issue" or author != username:
            continue
        try:
            created_at = parse_instant(str(note.get("created_at")))
        except ValueError:
            raise source.session.fail(
                f"GitLab answered note {note.get('id')!r:.40} of {project} "
                f"without a valid created_at ({note.get('created_at')!r:.40})"
            ) from None
        if since <= created_at <= until:
            counted.append((str(note.get("id")), str(note.get("body") or "")))
    return _runs(counted)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
