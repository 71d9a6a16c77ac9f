"""Where history comes from: one folder per backend, each registered here by one line.

Each backend's folder holds its table (``config.py``), its settings and its
client code, and its ``__init__`` says how to register it; this module only
lists them. The registry feeds ``source = [...]``, ``--source`` and their
messages, so the names cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from deploygate.config import Config
from deploygate.registry import LazyRegistry
from deploygate.sources.interface import (
    DEFAULT_ENVIRONMENT,
    Backend,
    ExportTarget,
    Registration,
    Source,
    SourceContext,
    Tracker,
    UnavailableSource,
)

__all__ = [
    "BACKENDS",
    "DEFAULT_ENVIRONMENT",
    "REGISTRY",
    "Backend",
    "ExportTarget",
    "Opened",
    "Registration",
    "Source",
    "SourceContext",
    "Tracker",
    "UnavailableSource",
    "build_sources",
    "check_sources",
    "secrets",
]

BACKENDS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "local": ("local", ()),
    "github": ("github", ("GITHUB_TOKEN",)),
    "gitlab": ("gitlab", ("GITLAB_TOKEN",)),
    "jira": ("jira", ("JIRA_API_TOKEN",)),
    "incident-io": ("incidentio", ("INCIDENT_IO_API_KEY",)),
    "rootly": ("rootly", ("ROOTLY_API_TOKEN",)),
    "linear": ("linear", ("LINEAR_API_KEY",)),
}
"""Each backend by its ``source`` name: its folder here, and the variables its secrets come
from when its table does not name others (a test holds these to the tables' defaults).
Knowing them here lets every run clean every backend's secret from its output without
importing the backends it does not use."""

REGISTRY: Mapping[str, Registration[Any, Any]] = LazyRegistry(
    {name: f"deploygate.sources.{folder}:BACKEND" for name, (folder, _) in BACKENDS.items()}
)
"""Every source and tracker by its ``source`` name, in the order messages list them; each is
imported when first looked up."""


def check_sources(names: Sequence[str], config: Config, context: SourceContext) -> list[Any]:
    """The settings of each named backend: what ``config`` and ``check`` both validate.

    Raises :class:`~deploygate.errors.ConfigError` (exit 2) for the first
    backend whose table, or the options and environment it reads, is wrong.
    """
    return [REGISTRY[name].settings(config, context) for name in names]


@dataclass(frozen=True, slots=True)
class Opened:
    """The backends of a run, connected, and the secrets they hold."""

    backends: tuple[Backend, ...]
    secrets: tuple[str, ...] = ()
    """Whatever credentials the backends read, wherever from: with :func:`secrets`, what
    every output is cleaned of."""


def build_sources(names: Sequence[str], config: Config, context: SourceContext) -> Opened:
    """The sources and trackers called ``names``, configured from ``config`` and ``context``.

    Every one is checked before any connects, so a bad table is exit 2
    whatever the others' credentials. One that cannot connect becomes an
    :class:`UnavailableSource` in its place, so the others still answer and
    the report names it.
    """
    settings = check_sources(names, config, context)
    opened = [
        REGISTRY[name].open(resolved, context.env)
        for name, resolved in zip(names, settings, strict=True)
    ]
    return Opened(
        tuple(backend for backend, _ in opened),
        tuple(secret for _, held in opened for secret in held if secret),
    )


def secrets(config: Config | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """Every secret this run may hold: each backend's token variables, and GitLab's job token.

    Someone may paste one into an issue, and every output is rendered from the
    report, so it is taken out there. Before a config is loaded, the tokens of
    the default variables.
    """
    found: list[str] = []
    for backend, (_, variables) in BACKENDS.items():
        if config is not None and backend in config.tables:
            variables = REGISTRY[backend].token_variables(config.tables[backend])
        values = [env[name] for name in variables if env.get(name)]
        # Sent stripped (deploygate.credentials), but a raw copy may be echoed too.
        found += values + [value.strip() for value in values]
    if env.get("CI_JOB_TOKEN"):
        found.append(env["CI_JOB_TOKEN"])
    return tuple(found)
