"""Pure renderers: a :class:`~deploygate.model.Report` in, text out.

The registry below feeds ``--format`` and ``--output``, so the help text and
the dispatch cannot drift apart.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ParamSpec

from deploygate.formats.common import RenderOptions
from deploygate.model import Report
from deploygate.registry import LazyRegistry
from deploygate.sanitize import inert_lines

if TYPE_CHECKING:
    from deploygate.loop import LoopReport

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


_WRITES_COMMANDS = "github"
"""The one format whose lines are runner commands, escaped as the runner's toolkit does."""


def _made_inert(name: str, render: Any) -> Any:
    return render if name == _WRITES_COMMANDS else _inert(render)


def _renderers(*names: str, prefix: str = "") -> LazyRegistry[Any]:
    """Each format ``NAME`` rendered by ``deploygate.formats.PREFIXNAME.render``, imported when
    first used, so a check pays only for the format it prints."""
    return LazyRegistry(
        {name: f"deploygate.formats.{prefix}{name}:render" for name in names}, _made_inert
    )


FORMATS: Mapping[str, Renderer] = _renderers(
    "text", "json", "markdown", "github", "gitlab", "codequality", "dotenv"
)
"""Every output format of ``check`` by its ``--format`` name."""

SHOWS_NOT_VERIFIED = frozenset({"text", "markdown", "github", "gitlab", "codequality"})
"""The formats whose output carries the NOT VERIFIED line in full, as people read it; json
and dotenv carry the failed source only as data. A test renders each format to keep this
true."""

LOOP_FORMATS: Mapping[str, Callable[[LoopReport], str]] = _renderers(
    "markdown", "html", "json", prefix="loop_"
)
"""How ``report`` renders the learning-loop report, by its ``--format`` name."""

__all__ = ["FORMATS", "LOOP_FORMATS", "SHOWS_NOT_VERIFIED", "RenderOptions", "Renderer"]
