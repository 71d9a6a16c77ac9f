"""python-gitlab configured for a gate, and who the token is.

python-gitlab's retries know no deadline, so it sends through deploygate's
HttpClient: one deadline for the whole exchange, reads retried, writes sent
once, errors redacted, the token sent to the configured host only.
python-gitlab is imported inside the functions, to keep start-up light.
"""

from __future__ import annotations

from typing import Any

GITLAB_DEADLINE_SECONDS = 30.0
"""The deadline of one exchange with GitLab (a note, the report issue), waits included."""


def gitlab_client(url: str, token: str, deadline: float = GITLAB_DEADLINE_SECONDS) -> Any:
    """A python-gitlab client on deploygate's session: one deadline, no retries of its own."""
    import gitlab

    from deploygate.http import HttpClient

    session = HttpClient(
        "gitlab",
        headers={"User-Agent": "deploygate"},
        secrets=(token,),
        deadline=deadline,
        allowed_origin=url,
    )
    return gitlab.Gitlab(
        url, private_token=token, session=session, keep_base_url=True, retry_transient_errors=False
    )


def gitlab_username(client: Any) -> str:
    """The token's username (``GET /user``), so only what it wrote is ever edited or counted."""
    client.auth()
    return str(client.user.username) if client.user else ""
