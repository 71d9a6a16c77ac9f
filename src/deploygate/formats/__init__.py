"""Pure renderers: a :class:`~deploygate.model.Report` in, text out.

The registry below feeds ``--format`` and ``--output``, so the help text and
the dispatch cannot drift apart.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import ParamSpec

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
from deploygate.sanitize import inert_lines

Renderer = Callable[[Report, RenderOptions], str]
P = ParamSpec("P")


def _inert(render: Callable[P, str]) -> Callable[P, str]:
    """``render`` whose every line is inert in a GitHub Actions log, whatever it prints.

    Any format may be printed in a workflow's log (``--format text`` is the
    default outside Actions, and people pick others), so none may start a
    line with a runner command; only the ``github`` format writes commands,
    and it escapes their data as the runner's own toolkit does.
    """

    @functools.wraps(render)
    def inert(*args: P.args, **kwargs: P.kwargs) -> str:
        return inert_lines(render(*args, **kwargs))

    return inert


FORMATS: Mapping[str, Renderer] = {
    "text": _inert(text.render),
    "json": _inert(json.render),
    "markdown": _inert(markdown.render),
    "github": github.render,
    "gitlab": _inert(gitlab.render),
    "codequality": _inert(codequality.render),
    "dotenv": _inert(dotenv.render),
}
"""Every output format of ``check`` by its ``--format`` name."""

SHOWS_NOT_VERIFIED = frozenset({"text", "markdown", "github", "gitlab", "codequality"})
"""The formats whose output carries the NOT VERIFIED line in full, as people read it; json
and dotenv carry the failed source only as data. A test renders each format to keep this
true."""

LOOP_FORMATS: Mapping[str, Callable[[LoopReport], str]] = {
    "markdown": _inert(loop_markdown.render),
    "html": _inert(loop_html.render),
    "json": _inert(loop_json.render),
}
"""How ``report`` renders the learning-loop report, by its ``--format`` name."""

__all__ = ["FORMATS", "LOOP_FORMATS", "SHOWS_NOT_VERIFIED", "RenderOptions", "Renderer"]
