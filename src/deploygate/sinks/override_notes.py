"""Override notes: one comment (GitHub) or note (GitLab) on each overridden postmortem.

A courtesy like the PR comment: every outcome is one line for stderr and the
gate's verdict stands. Not sticky: each override is an event of its own, so
each run that overrides leaves its own note (which is what ``report`` counts).
A POST that failed is not repeated (it may have landed, and a second note
would count a second override).
See https://docs.github.com/en/rest/issues/comments#create-an-issue-comment and
https://docs.gitlab.com/api/notes/#create-new-issue-note
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from deploygate.platform_clients import github_on_session, gitlab_client
from deploygate.redaction import redact

_ISSUE_ID = re.compile(r"^(?P<where>[^#\s]+)#(?P<number>\d+)$")
"""How the GitHub and GitLab sources name a postmortem: ``owner/repo#12``, ``group/project#12``."""


@dataclass(frozen=True, slots=True)
class Note:
    """One note to leave: the postmortem's id as the source gave it, and the Markdown."""

    postmortem_id: str
    body: str


def platform_issue(postmortem_id: str) -> tuple[str, int] | None:
    """``(repository or project, number)`` of a platform postmortem; None for a local file."""
    match = _ISSUE_ID.match(postmortem_id)
    return (match.group("where"), int(match.group("number"))) if match else None


def post_github(api_url: str, token: str, notes: Sequence[Note]) -> list[str]:
    """Comment on each GitHub postmortem issue; one line per note saying what happened.

    Local postmortems are skipped: the caller says once that they get no note.
    """
    with github_on_session(api_url, token) as client:
        return [
            _post_github(client, *issue, note.body, token)
            for note in notes
            if (issue := platform_issue(note.postmortem_id)) is not None
        ]


def _post_github(client: Any, where: str, number: int, body: str, token: str) -> str:
    from github import GithubException
    from requests import RequestException

    from deploygate.errors import SourceError

    try:
        client.get_repo(where).get_issue(number).create_comment(body)
    except GithubException as error:
        hint = "; it needs issues: write" if error.status in (401, 403, 404) else ""
        return f"no override note on postmortem {where}#{number} ({error.status}){hint}"
    except SourceError as error:
        return f"no override note on postmortem {where}#{number}: {error.problem}"
    except RequestException as error:
        return redact(
            f"no override note on postmortem {where}#{number}: {type(error).__name__}", [token]
        )
    return f"noted the override on postmortem {where}#{number}"


def post_gitlab(url: str, token: str, notes: Sequence[Note]) -> list[str]:
    """Note on each GitLab postmortem issue; one line per note saying what happened."""
    import gitlab

    from deploygate.errors import SourceError

    client = gitlab_client(url, token)
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
            hint = "; it needs the api scope" if code in (401, 403, 404) else ""
            outcomes.append(f"no override note on postmortem {where}#{iid} ({code}){hint}")
        except SourceError as error:
            outcomes.append(f"no override note on postmortem {where}#{iid}: {error.problem}")
    return outcomes
