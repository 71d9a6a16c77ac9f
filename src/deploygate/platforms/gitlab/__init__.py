"""GitLab as a platform: the sticky MR note, override notes, the report issue, the count.

Every write goes through python-gitlab on deploygate's HttpClient
(:mod:`deploygate.platforms.gitlab.client`). The sticky things are found
again by a hidden marker AND by their author being the token's own user,
so a person's note or issue quoting the marker is never touched. A token
that may not write the MR note gets a notice and the gate goes on;
publishing the report is the job of ``report --publish``, so there every
failure is a :class:`PublishError`.
See https://docs.gitlab.com/api/notes/ and https://docs.gitlab.com/api/issues/
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from deploygate.dates import parse_instant
from deploygate.errors import PublishError, SourceError
from deploygate.platforms import sticky
from deploygate.platforms.gitlab.client import gitlab_client, gitlab_username
from deploygate.platforms.interface import OverrideNote, Target, merge_request_iid, no_review
from deploygate.platforms.overrides import per_run, platform_issue
from deploygate.redaction import redact

NOTE_LIMIT = 1_000_000
"""Characters GitLab accepts in one note."""
DESCRIPTION_LIMIT = 1_000_000
"""Characters GitLab accepts in an issue description."""
_FORBIDDEN = (401, 403, 404)
_EVENT_DAYS_BEFORE = timedelta(days=2)
"""``after`` is exclusive of its whole day, in a time zone up to a day away from UTC."""


def _forbidden(error: Exception) -> bool:
    return getattr(error, "response_code", None) in _FORBIDDEN


class GitLabPlatform:
    """The :class:`~deploygate.platforms.Platform` of a GitLab project."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def comment(self, markdown: str) -> str:
        """The sticky note on this pipeline's merge request (see the module)."""
        import gitlab

        iid = merge_request_iid(self.target.env)
        if iid is None:
            return no_review("gitlab", self.target.env) or ""
        body = sticky.sticky_body(markdown, NOTE_LIMIT, "the job log")
        client = gitlab_client(self.target.url, self.target.token)
        try:
            username = gitlab_username(client)
            project = client.projects.get(self.target.project, lazy=True)
            merge_request = project.mergerequests.get(iid, lazy=True)
            try:
                _, created = sticky.upsert(
                    lambda: _our_note(merge_request, username),
                    lambda: merge_request.notes.create({"body": body}),
                    lambda note: _save(note, "body", body),
                    errors=(gitlab.GitlabError, SourceError),
                    final=_forbidden,
                )
            except sticky.NotLanded:
                return f"the note on merge request !{iid} failed; not retried"
            if created:
                return f"noted on merge request !{iid}"
            return f"updated the deploygate note on merge request !{iid}"
        except gitlab.GitlabError as error:
            if error.response_code in _FORBIDDEN:
                return (
                    f"the token cannot write a note on merge request !{iid} "
                    f"({error.response_code}); it needs the api scope. The report stands."
                )
            return self._redact(f"could not note on merge request !{iid}: {error.response_code}")
        except SourceError as error:
            return f"could not reach GitLab to note on merge request !{iid}: {error.problem}"

    def note_overrides(self, notes: Sequence[OverrideNote]) -> list[str]:
        """A note on each GitLab postmortem issue; local postmortems are the caller's."""
        import gitlab

        client = gitlab_client(self.target.url, self.target.token)
        outcomes = []
        for note in notes:
            issue = platform_issue(note.postmortem_id)
            if issue is None:
                continue
            where, iid = issue
            try:
                project = client.projects.get(where, lazy=True)
                project.issues.get(iid, lazy=True).notes.create({"body": note.body})
                outcomes.append(f"noted the override on postmortem {where}#{iid}")
            except gitlab.GitlabError as error:
                code = error.response_code
                hint = "; it needs the api scope" if code in _FORBIDDEN else ""
                outcomes.append(f"no override note on postmortem {where}#{iid} ({code}){hint}")
            except SourceError as error:
                outcomes.append(f"no override note on postmortem {where}#{iid}: {error.problem}")
        return outcomes

    def publish_report(self, markdown: str) -> str:
        """Create or update the report issue; returns its URL."""
        import gitlab

        body = sticky.report_body(markdown, DESCRIPTION_LIMIT)
        client = gitlab_client(self.target.url, self.target.token)
        where = self.target.project
        try:
            username = gitlab_username(client)
            user_id = int(client.user.id)
            project = client.projects.get(where, lazy=True)
            issue, _ = sticky.upsert(
                lambda: _our_report_issue(project, user_id, username),
                lambda: project.issues.create({"title": sticky.REPORT_TITLE, "description": body}),
                lambda issue: _save(issue, "description", body),
                errors=(gitlab.GitlabError, SourceError),
                final=_forbidden,
            )
            return str(issue.attributes["web_url"])
        except sticky.NotLanded as failed:
            error: Exception = failed.cause
        except (gitlab.GitlabError, SourceError) as caught:
            error = caught
        if isinstance(error, gitlab.GitlabError):
            if error.response_code in _FORBIDDEN:
                raise PublishError(
                    f"the token cannot write issues in {where} ({error.response_code}); "
                    "it needs the api scope and at least the Planner or Reporter role"
                ) from None
            raise PublishError(
                self._redact(
                    f"could not publish the report issue in {where}: {error.response_code}"
                )
            ) from None
        problem = error.problem if isinstance(error, SourceError) else type(error).__name__
        raise PublishError(
            f"could not reach GitLab to publish the report in {where}: {problem}"
        ) from None

    def count_overrides(self, since: datetime, until: datetime) -> Counter[str]:
        """Overrides per service in the postmortem project's notes of the period.

        ``GET /user``, then one paginated listing of the postmortem project's
        comment events (``GET /projects/:id/events?action=commented
        &target_type=note&after=DATE``, 100 a page). Each comment event carries
        the whole note (body, author, created_at, noteable_type), so nothing
        else is read: 1 + ceil(comments of the period / 100) requests, however
        many postmortems there are. ``target_type=note`` leaves out thread
        replies (``DiscussionNote``); deploygate's notes are plain issue notes,
        so none is missed. ``after`` is a date, and GitLab keeps only events
        created after the *end* of that day in the instance's time zone, so the
        day two days before the period is asked for and the notes' own
        ``created_at`` decide.
        See https://docs.gitlab.com/api/events/#list-a-projects-visible-events

        It reads through the GitLab source's API layer, so it has the source's
        timeouts, deadline, redaction, errors and paging (``X-Next-Page`` when
        a proxy strips ``Link``).
        """
        from deploygate.sources.gitlab.api import GitLabApi
        from deploygate.sources.gitlab.settings import GitLabSettings
        from deploygate.sources.gitlab.source import username as token_username

        project = self.target.postmortem_project
        settings = GitLabSettings(
            url=self.target.url,
            project=self.target.project,
            postmortem_project=project,
            token=self.target.token,
        )
        api = GitLabApi(settings.url, settings.token, settings.deadline)
        username = token_username(api)
        if not username:
            raise api.fail(
                "cannot tell which user the token is, so its override notes cannot be told apart"
            )
        events = api.listing(
            f"{api.project_path(project)}/events",
            f"the comment events of {project}",
            _mapping,
            filters={
                "action": "commented",
                "target_type": "note",
                "after": (since - _EVENT_DAYS_BEFORE).date().isoformat(),
            },
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
                raise api.fail(
                    f"GitLab answered note {note.get('id')!r:.40} of {project} "
                    f"without a valid created_at ({note.get('created_at')!r:.40})"
                ) from None
            if since <= created_at <= until:
                counted.append((str(note.get("id")), str(note.get("body") or "")))
        return per_run(counted)

    def _redact(self, text: str) -> str:
        return redact(text, [self.target.token])


def _save(thing: Any, attribute: str, value: str) -> None:
    setattr(thing, attribute, value)
    thing.save()


def _our_note(merge_request: Any, username: str) -> Any | None:
    for note in merge_request.notes.list(iterator=True, obey_rate_limit=False):
        author = (note.attributes.get("author") or {}).get("username")
        if sticky.MARKER in (note.attributes.get("body") or "") and author == username:
            return note
    return None


def _our_report_issue(project: Any, user_id: int, username: str) -> Any | None:
    for issue in project.issues.list(
        state="opened", author_id=user_id, iterator=True, obey_rate_limit=False
    ):
        author = (issue.attributes.get("author") or {}).get("username")
        if author == username and sticky.REPORT_MARKER in (
            issue.attributes.get("description") or ""
        ):
            return issue
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
