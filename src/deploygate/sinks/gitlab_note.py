"""The sticky merge-request note: one note per MR, created once and then edited.

Found again by the hidden marker AND by its author being the token's own
user, so a person's note quoting the marker is never touched. A token that
may not write gets a notice and the gate goes on. A POST that failed is
never repeated: the notes are listed again and ours, if it landed, edited.
python-gitlab runs on our HttpClient session, as in the GitLab source; both
are imported only when a note is written, to keep start-up light.
See https://docs.gitlab.com/api/notes/#merge-requests
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from deploygate.platform_clients import gitlab_client, gitlab_username
from deploygate.redaction import redact
from deploygate.sinks.sticky import MARKER, sticky_body

NOTE_LIMIT = 1_000_000
"""Characters GitLab accepts in one note."""


@dataclass(frozen=True, slots=True)
class MergeRequest:
    """Which merge request to note on, and how to reach it."""

    url: str
    project: str
    iid: int
    token: str


def _ours(merge_request: Any, username: str) -> Any | None:
    for note in merge_request.notes.list(iterator=True, obey_rate_limit=False):
        author = (note.attributes.get("author") or {}).get("username")
        if MARKER in (note.attributes.get("body") or "") and author == username:
            return note
    return None


def publish(target: MergeRequest, markdown: str) -> str:
    """Create or update the sticky note; returns what happened, in one line."""
    import gitlab

    from deploygate.errors import SourceError

    body = sticky_body(markdown, NOTE_LIMIT, "the job log")
    client = gitlab_client(target.url, target.token)
    iid = target.iid
    try:
        username = gitlab_username(client)
        project = client.projects.get(target.project, lazy=True)
        merge_request = project.mergerequests.get(iid, lazy=True)
        existing = _ours(merge_request, username)
        if existing is not None:
            existing.body = body
            existing.save()
            return f"updated the deploygate note on merge request !{iid}"
        try:
            merge_request.notes.create({"body": body})
        except (gitlab.GitlabError, SourceError) as error:
            if getattr(error, "response_code", None) in (401, 403, 404):
                raise
            landed = _ours(merge_request, username)
            if landed is None:
                return f"the note on merge request !{iid} failed; not retried"
            landed.body = body
            landed.save()
            return f"updated the deploygate note on merge request !{iid}"
        return f"noted on merge request !{iid}"
    except gitlab.GitlabError as error:
        if error.response_code in (401, 403, 404):
            return (
                f"the token cannot write a note on merge request !{iid} "
                f"({error.response_code}); it needs the api scope. The report stands."
            )
        return redact(
            f"could not note on merge request !{iid}: {error.response_code}", [target.token]
        )
    except SourceError as error:
        return f"could not reach GitLab to note on merge request !{iid}: {error.problem}"


def merge_request_iid(env: Mapping[str, str]) -> int | None:
    """The MR of a merge-request pipeline, else None."""
    value = env.get("CI_MERGE_REQUEST_IID", "")
    return int(value) if value.isdigit() else None
