"""PyGithub configured for a gate, and who the token is.

PyGithub's defaults retry POSTs, throttle every request by a quarter second,
can wait an hour for a rate limit, and bound only each socket read, so an
API that drips a byte a second holds it for ever. So it sends through
deploygate's HttpClient: one deadline for the whole exchange, every attempt
bounded body included, reads retried, writes sent once, errors redacted,
and the token sent to the configured host only. A POST that failed may
have landed, so callers look before writing again. PyGithub is imported
inside the functions, to keep start-up light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any, TypeVar

ACTIONS_BOT = "github-actions[bot]"
"""Who GITHUB_TOKEN writes as; its token may not read /user."""
GITHUB_DEADLINE_SECONDS = 15.0
"""The deadline of one exchange with GitHub (a comment, the report issue), waits included."""
Connection = TypeVar("Connection")


@contextlib.contextmanager
def github_on_session(
    api_url: str, token: str, deadline: float = GITHUB_DEADLINE_SECONDS
) -> Iterator[Any]:
    """A PyGithub client whose every request goes through one HttpClient with ``deadline``.

    PyGithub takes no session, but it lets its connection classes be swapped
    (``Requester.injectConnectionClasses``, the hook its own tests use), and
    those only call ``self.session.<verb>(url, ...)``. The swap is for the
    process, so it lasts only while the client is in use. A request that
    outlives the deadline raises :class:`~deploygate.errors.SourceError`.
    """
    from github import Auth, Github
    from github.Requester import (
        HTTPRequestsConnectionClass,
        HTTPSRequestsConnectionClass,
        Requester,
    )

    from deploygate.http import HttpClient

    session = HttpClient(
        "github", headers={}, secrets=(token,), deadline=deadline, allowed_origin=api_url
    )

    Requester.injectConnectionClasses(
        _on_session(HTTPRequestsConnectionClass, session),
        _on_session(HTTPSRequestsConnectionClass, session),
    )
    try:
        yield Github(
            auth=Auth.Token(token),
            base_url=api_url,
            retry=None,  # HttpClient retries what is safe to retry, inside the deadline
            seconds_between_requests=None,
            seconds_between_writes=None,
            per_page=100,
            lazy=True,
        )
    finally:
        Requester.resetConnectionClasses()
        session.close()


def _on_session(connection: type[Connection], session: Any) -> type[Connection]:
    """PyGithub's ``connection`` class, sending through ``session`` instead of its own."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        connection.__init__(self, *args, **kwargs)
        self.session = session

    def close(self: Any) -> None:
        """The session outlives each connection: PyGithub opens one per request here."""

    return type(
        f"{connection.__name__}OnSession", (connection,), {"__init__": __init__, "close": close}
    )


def github_login(client: Any, in_actions: bool) -> str | None:
    """The token's login, so only what it wrote is ever edited or counted.

    GITHUB_TOKEN may not read ``/user``; what it writes is authored by the
    Actions bot. Outside Actions, a token that cannot say who it is gives None.
    """
    from github import GithubException

    try:
        return str(client.get_user().login)
    except GithubException:
        return ACTIONS_BOT if in_actions else None
