"""Pure renderers: a :class:`~deploygate.model.Report` in, text out.

The registry below feeds ``--format`` and ``--output``, so the help text and
the dispatch cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from deploygate.formats import (
    codequality,
    dotenv,
    github,
    gitlab,
    json,
    loop_html,
    loop_json,
    loop_markdown,
    markdown,
    text,
)
from deploygate.formats.common import RenderOptions
from deploygate.loop import LoopReport
from deploygate.model import Report

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
"""Every output format of ``check`` by its ``--format`` name."""

LOOP_FORMATS: Mapping[str, Callable[[LoopReport], str]] = {
    "markdown": loop_markdown.render,
    "html": loop_html.render,
    "json": loop_json.render,
}
"""How ``report`` renders the learning-loop report, by its ``--format`` name."""

__all__ = ["FORMATS", "LOOP_FORMATS", "RenderOptions", "Renderer"]
