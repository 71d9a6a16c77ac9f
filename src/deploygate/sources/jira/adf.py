"""Atlassian Document Format as plain text, for finding what a Jira description names.

Jira Cloud's REST v3 returns rich text (descriptions) as ADF, a JSON tree of
block nodes (paragraph, heading, lists, tables, code) whose leaves are text
nodes and inline nodes (mentions, emoji, cards, dates).
See https://developer.atlassian.com/cloud/jira/platform/apis/document/structure/

The text is only searched for postmortem URLs and ids, never rendered, so
what matters is that every URL the author put in survives: a link mark's
``href`` is kept beside its text, and a card's ``url`` stands for the card.
A tree that is not ADF (a string, a list, junk) yields what text it holds
instead of failing: a description is never a reason to fail the check.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

MAX_DEPTH = 64
"""Deeper nesting is not produced by Jira's editor; it is cut off rather than recursed into."""

_BLOCKS = frozenset(
    {
        "doc",
        "paragraph",
        "heading",
        "blockquote",
        "codeBlock",
        "bulletList",
        "orderedList",
        "listItem",
        "taskList",
        "taskItem",
        "decisionList",
        "decisionItem",
        "panel",
        "expand",
        "nestedExpand",
        "table",
        "tableRow",
        "tableCell",
        "tableHeader",
        "rule",
        "mediaSingle",
        "mediaGroup",
    }
)
"""Nodes that end a line, so words of two paragraphs never run together."""


def to_text(document: Any) -> str:
    """The words and URLs of an ADF document (or of a plain string), lines kept apart."""
    if isinstance(document, str):
        return document
    return "".join(_pieces(document, 0)).strip()


def _pieces(node: Any, depth: int) -> Iterator[str]:
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for child in node:
            yield from _pieces(child, depth + 1)
        return
    if not isinstance(node, Mapping):
        return
    kind = node.get("type")
    found = node.get("attrs")
    attrs: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    if kind == "text":
        yield from _text_node(node)
    elif kind == "hardBreak":
        yield "\n"
    elif kind in ("inlineCard", "blockCard", "embedCard"):
        yield f" {attrs.get('url') or ''} "
    elif kind in ("mention", "emoji", "status"):
        yield str(attrs.get("text") or attrs.get("shortName") or "")
    elif kind == "date":
        yield str(attrs.get("timestamp") or "")
    yield from _pieces(node.get("content"), depth + 1)
    if kind in _BLOCKS:
        yield "\n"


def _text_node(node: Mapping[str, Any]) -> Iterator[str]:
    text = node.get("text")
    yield text if isinstance(text, str) else ""
    marks = node.get("marks")
    for mark in marks if isinstance(marks, list) else ():
        attrs = mark.get("attrs") if isinstance(mark, Mapping) else None
        if isinstance(mark, Mapping) and mark.get("type") == "link" and isinstance(attrs, Mapping):
            href = attrs.get("href")
            if isinstance(href, str) and href != text:
                yield f" ({href})"
