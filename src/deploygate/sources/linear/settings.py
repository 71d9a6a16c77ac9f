"""Where and how to read Linear: the ``[linear]`` table and the key.

Linear is one GraphQL endpoint; an API key goes in the ``Authorization``
header as it is, an OAuth token after ``Bearer``
(https://linear.app/developers/graphql#authentication).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from deploygate.config import Config
from deploygate.credentials import required_token
from deploygate.sources.linear.config import LinearConfig

if TYPE_CHECKING:
    from deploygate.sources.interface import SourceContext

SOURCE_NAME = "linear"
SCOPE = "read"
"""The OAuth scope (and the API key's permission) every query needs."""
_TEAM_KEY = re.compile(r"^[A-Za-z0-9]{1,20}$")
"""What Linear accepts as a team's key: letters and digits, the ``OPS`` of ``OPS-123``."""


@dataclass(frozen=True, slots=True)
class LinearSettings:
    """Where and what to read in Linear, after the config file."""

    api_url: str
    teams: tuple[str, ...]
    postmortem_label: str = "postmortem"
    service_label: str = "service:{service}"
    service_label_prefix: str = "service:"
    team_label_prefix: str = "team:"
    cause_label_prefix: str = "cause:"
    deadline: float = 60.0
    token_env: str = "LINEAR_API_KEY"
    token: str = ""
    """Read from ``token_env`` by :func:`with_token`; empty until then."""

    @property
    def origin(self) -> str:
        """The scheme and host the key is sent to, and to nowhere else."""
        parts = urlsplit(self.api_url)
        return f"{parts.scheme}://{parts.netloc}"

    @property
    def authorization(self) -> str:
        """The ``Authorization`` value: an API key (``lin_api_...``) as it is, else a bearer
        token."""
        return self.token if self.token.startswith("lin_api_") else f"Bearer {self.token}"


def resolve(linear: LinearConfig, config: Config, context: SourceContext) -> LinearSettings:
    """Where and what to read, without the key; no teams, or a bad key, is exit 2."""
    if not linear.teams:
        raise config.error(
            ("linear",),
            "teams",
            "no Linear teams",
            'the keys of the teams whose issues hold postmortems, e.g. ["OPS"]',
        )
    for team in linear.teams:
        if not _TEAM_KEY.match(team):
            raise config.error(
                ("linear",),
                "teams",
                f"{team!r} is not a team key",
                "a team's key, the letters before an issue's number (OPS of OPS-123)",
            )
    return LinearSettings(
        api_url=linear.api_url.rstrip("/"),
        teams=linear.teams,
        postmortem_label=linear.postmortem_label,
        service_label=linear.service_label,
        service_label_prefix=linear.service_label.removesuffix("{service}"),
        team_label_prefix=linear.team_label.removesuffix("{team}"),
        cause_label_prefix=linear.cause_label.removesuffix("{cause}"),
        deadline=linear.deadline.total_seconds(),
        token_env=linear.token_env,
    )


def with_token(settings: LinearSettings, env: Mapping[str, str]) -> LinearSettings:
    """``settings`` with the key read; a SourceError saying what to set when there is none."""
    missing = (
        f"no Linear API key: set {settings.token_env} to a personal API key (Settings > "
        f"Security & access) or an OAuth token with the {SCOPE} scope"
    )
    return replace(settings, token=required_token(env, settings.token_env, SOURCE_NAME, missing))
