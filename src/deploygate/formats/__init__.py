"""Pure renderers: a :class:`~deploygate.model.Report` in, text out.

The registry below feeds ``--format`` and ``--output``, so the help text and
the dispatch cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from deploygate.errors import OnError
from deploygate.formats import codequality, dotenv, github, gitlab, json, markdown, text
from deploygate.model import Report


@dataclass(frozen=True, slots=True)
class RenderOptions:
    """How the medium behaves; formats that do not care ignore it."""

    color: bool = False
    on_error: OnError = OnError.FAIL
    """Whether a failed source fails the step, so NOT VERIFIED is an error or a warning."""
    config_path: str = "deploygate.toml"
    """The config file relative to the repository, where Code Quality points."""


Renderer = Callable[[Report, RenderOptions], str]

FORMATS: Mapping[str, Renderer] = {
    "text": text.render,
    "json": json.render,
    "markdown": markdown.render,
    "github": github.render,
    "gitlab": gitlab.render,
    "codequality": codequality.render,
    "dotenv": dotenv.render,
}
"""Every output format by its ``--format`` name."""
