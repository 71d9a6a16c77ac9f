"""Where and how to reach Rootly: the ``[rootly]`` table and one environment variable.

Rootly authenticates every request with an API key as a bearer token. A
Global API key reads every incident; a Team API key only what its team owns;
a Personal API key what its user may see.
See https://docs.rootly.com/api-reference/overview
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deploygate.config import Config
from deploygate.credentials import required_token
from deploygate.sources.rootly.config import RootlyConfig

if TYPE_CHECKING:
    from deploygate.sources.interface import SourceContext

SOURCE_NAME = "rootly"
SCOPES = (
    "an API key that can read incidents and their action items (a Global API key, or a "
    "Team API key of the team that owns the service's incidents)"
)


@dataclass(frozen=True, slots=True)
class RootlySettings:
    """Where and what to read in Rootly for one check."""

    url: str
    """The API's base URL without a trailing slash, e.g. https://api.rootly.com."""
    service_match: str = "slug"
    """``slug`` or ``name``: which of a Rootly service's names is the deploygate service's."""
    cause_label: str = "cause"
    deadline: float = 60.0
    token_env: str = "ROOTLY_API_TOKEN"
    token: str = ""
    """Read from ``token_env`` by :func:`with_credentials`; empty until then."""


def resolve(rootly: RootlyConfig, config: Config, context: SourceContext) -> RootlySettings:
    """What to read, without the token: a bad ``[rootly]`` table is exit 2."""
    parts = urlsplit(rootly.url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise config.error(
            ("rootly",),
            "url",
            f"{rootly.url!r} is not an http(s) base URL",
            "the API's base URL, e.g. https://api.rootly.com",
        )
    return RootlySettings(
        url=f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/"),
        service_match=rootly.service_match,
        cause_label=rootly.cause_label,
        deadline=rootly.deadline.total_seconds(),
        token_env=rootly.token_env,
    )


def with_credentials(settings: RootlySettings, env: Mapping[str, str]) -> RootlySettings:
    """``settings`` with the API key; a missing one is a SourceError naming the variable."""
    missing = f"no Rootly token: set {settings.token_env} to {SCOPES}"
    return replace(settings, token=required_token(env, settings.token_env, SOURCE_NAME, missing))
