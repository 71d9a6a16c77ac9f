"""Reading the parts of a Markdown postmortem that every source shares.

Local files, GitHub issue bodies and GitLab descriptions are all Markdown:
task lists hold action items and a "Lessons" section holds what was
learned. One reader keeps the sources agreeing on what those are.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Literal

from deploygate import toml

# Each pattern that meets untrusted text runs in linear time: none has a lazy or
# optional run followed by another run that can match the same characters
# (``(.*?)\s*$`` was cubic on a line of 3,000 spaces). What a pattern cannot
# say without that, Python's str methods finish.
# A task is a bullet (``-``, ``*``, ``+``) or a numbered item (``1.``, ``2)``: CommonMark's
# ordered-list marker of one to nine digits) with a ``[ ]`` box; the marker's characters are
# never spaces, so no two runs here can match the same characters.
_TASK = re.compile(r"\s{0,3}(?:[-*+]|\d{1,9}[.)])\s+\[([ xX-])\]\s(.*)")
_HEADING = re.compile(r"(#{1,6})\s(.*)")
_FENCE_LINE = re.compile(r"^\s{0,3}(```|~~~)")


def task(line: str) -> tuple[str, str] | None:
    """A task-list line's marker (`` ``, ``x``, ``-``) and text, or None."""
    match = _TASK.fullmatch(line)
    return (match.group(1), match.group(2).strip()) if match else None


def heading(line: str) -> tuple[int, str] | None:
    """An ATX heading's level and text without its closing ``#`` run, or None."""
    match = _HEADING.fullmatch(line)
    if match is None:
        return None
    text = match.group(2).strip()
    closing = text.rstrip("#")
    if closing != text and (not closing or closing[-1].isspace()):
        text = closing.rstrip()
    return len(match.group(1)), text


def lines_outside_code(text: str, first_line: int = 1) -> Iterator[tuple[int, str]]:
    """Each line with its number, skipping fenced code blocks (examples are not tasks)."""
    fenced = False
    for offset, line in enumerate(toml.lines(text)):
        if _FENCE_LINE.match(line):
            fenced = not fenced
            continue
        if not fenced:
            yield first_line + offset, line


def first_heading(text: str) -> str | None:
    """The text of the first level-one heading."""
    for _, line in lines_outside_code(text):
        found = heading(line)
        if found and found[0] == 1:
            return found[1]
    return None


def lessons(text: str, headings: Iterable[str]) -> str:
    """The text under the first heading named like one of ``headings``, case folded.

    A trailing colon is ignored ("## Lessons:"), so a team's template need
    not match to the letter.
    """
    wanted = {heading.strip().rstrip(":").casefold() for heading in headings}
    collected: list[str] = []
    level = 0
    for _, line in lines_outside_code(text):
        found = heading(line)
        if level and found and found[0] <= level:
            break
        if level:
            collected.append(line)
        elif found and found[1].rstrip(":").casefold() in wanted:
            level = found[0]
    return "\n".join(collected).strip()


def task_references(
    text: str, home: str, web_url: str, path: str, issues_path: Literal["issues", "-/issues"]
) -> list[tuple[str, int]]:
    """The issues a task list points at, in order and without repeats.

    A task may name ``#12`` (in ``home``), ``owner/name#12``, or the issue's
    URL on ``web_url`` (``WEB/PATH/issues/12`` on GitHub, ``WEB/PATH/-/issues/12``
    on GitLab); ``path`` is the pattern of a repository or project path.
    """
    patterns = (
        re.compile(rf"{re.escape(web_url.rstrip('/'))}/({path})/{issues_path}/(\d+)"),
        re.compile(rf"(?<![\w/])({path})#(\d+)\b"),
        re.compile(r"(?<![\w/])()#(\d+)\b"),
    )
    found: list[tuple[str, int]] = []
    for _, line in lines_outside_code(text):
        listed = task(line)
        if listed is None:
            continue
        for pattern in patterns:
            match = pattern.search(listed[1])
            if match:
                key = (match.group(1) or home, int(match.group(2)))
                if key not in found:
                    found.append(key)
                break
    return found
