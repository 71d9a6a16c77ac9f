"""What the environment says about the terminal: when a report may be coloured."""

from __future__ import annotations

import pytest

from deploygate import ci


class Stream:
    """A stream that is, or is not, a terminal: the only thing ``wants_color`` asks of it."""

    def __init__(self, tty: bool) -> None:
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_colour_only_on_a_terminal() -> None:
    assert ci.wants_color(Stream(True), {}) is True  # type: ignore[arg-type]
    assert ci.wants_color(Stream(False), {}) is False  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "env",
    [{"NO_COLOR": "1"}, {"TERM": "dumb"}, {"TERM": "dumb", "NO_COLOR": ""}],
    ids=["no-color", "term-dumb", "term-dumb-empty-no-color"],
)
def test_no_colour_under_no_color_or_a_dumb_terminal(env: dict[str, str]) -> None:
    # A terminal that says it cannot show colour gets none, even though it is a tty.
    assert ci.wants_color(Stream(True), env) is False  # type: ignore[arg-type]


def test_a_capable_terminal_keeps_its_colour() -> None:
    assert ci.wants_color(Stream(True), {"TERM": "xterm-256color"}) is True  # type: ignore[arg-type]
