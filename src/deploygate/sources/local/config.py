"""The ``[local]`` table: where the embedded source keeps postmortems and history."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from deploygate.tables import Invalid, setting

DEFAULT_POSTMORTEMS = "postmortems"
DEFAULT_HISTORY = ".deploygate/deployments.jsonl"


def _path(value: Any) -> str:
    """A path as written, relative to the config file."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(f"{value!r} is not a path", "a path relative to the config file, as a string")
    return value


@dataclass(frozen=True, slots=True)
class LocalConfig:
    """The ``[local]`` table: both paths relative to the config file."""

    postmortems: str | None = setting(None, _path)
    """The postmortem folder; when named, it must exist. Default: ``postmortems``."""
    history: str | None = setting(None, _path)
    """The JSON Lines history that ``deploygate record`` appends to; when named, a check
    needs it to exist. Default: ``.deploygate/deployments.jsonl``, absent until the first
    ``record``."""


@dataclass(frozen=True, slots=True)
class LocalSettings:
    """Where the local source reads: both paths are absolute, resolved against the config."""

    postmortems: Path
    history: Path
    root: Path
    """The folder postmortem ids are relative to (the config file's)."""
