"""Where history comes from: one folder per backend, each registered here by one line.

Each backend's folder holds its table (``config.py``), its settings and its
client code, and its ``__init__`` says how to register it; this module only
lists them. The registry feeds ``source = [...]``, ``--source`` and their
messages, so the names cannot drift.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from deploygate.config import Config
from deploygate.sources import github, gitlab, jira, linear, local
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
    "DEFAULT_ENVIRONMENT",
    "REGISTRY",
    "Backend",
    "ExportTarget",
    "Registration",
    "Source",
    "SourceContext",
    "Tracker",
    "UnavailableSource",
    "build_sources",
    "check_sources",
    "secrets",
]

REGISTRY: Mapping[str, Registration[Any, Any]] = {
    backend.name: backend
    for backend in (
        local.BACKEND,
        github.BACKEND,
        gitlab.BACKEND,
        jira.BACKEND,
        linear.BACKEND,
    )
}
"""Every source and tracker by its ``source`` name, in the order messages list them."""


def check_sources(names: Sequence[str], config: Config, context: SourceContext) -> list[Any]:
    """The settings of each named backend: what ``config`` and ``check`` both validate.

    Raises :class:`~deploygate.errors.ConfigError` (exit 2) for the first
    backend whose table, or the options and environment it reads, is wrong.
    """
    context = replace(context, sources=tuple(names))
    return [REGISTRY[name].settings(config, context) for name in names]


def build_sources(
    names: Sequence[str], config: Config, context: SourceContext
) -> tuple[Backend, ...]:
    """The sources and trackers called ``names``, configured from ``config`` and ``context``.

    Every one is checked before any connects, so a bad table is exit 2
    whatever the others' credentials. One that cannot connect becomes an
    :class:`UnavailableSource` in its place, so the others still answer and
    the report names it.
    """
    settings = check_sources(names, config, context)
    return tuple(
        REGISTRY[name].open(resolved, context.env)
        for name, resolved in zip(names, settings, strict=True)
    )


def secrets(config: Config | None, env: Mapping[str, str]) -> tuple[str, ...]:
    """Every secret this run may hold: each backend's token variables, and GitLab's job token.

    Someone may paste one into an issue, and every output is rendered from the
    report, so it is taken out there. Before a config is loaded, the tokens of
    the default variables.
    """
    found: list[str] = []
    for backend in REGISTRY.values():
        table = config.tables[backend.name] if config else backend.table()
        values = [env[name] for name in backend.token_variables(table) if env.get(name)]
        # Sent stripped (deploygate.credentials), but a raw copy may be echoed too.
        found += values + [value.strip() for value in values]
    if env.get("CI_JOB_TOKEN"):
        found.append(env["CI_JOB_TOKEN"])
    return tuple(found)
