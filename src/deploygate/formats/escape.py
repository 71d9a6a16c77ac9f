"""Make untrusted text (postmortem titles, descriptions) inert where it is shown.

Text written by anyone who can open an issue must never move a cursor,
rewrite a terminal line, ping a person or inject markup. Each output medium
has one function here, and every format uses it for every untrusted string.
"""

from __future__ import annotations

import re

from deploygate.sanitize import terminal

# Inline Markdown only: inside a sentence or a table cell these are what can
# start emphasis, code, links, images, tables, strikethrough, math or an issue link.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#!$])")
_ZERO_WIDTH_SPACE = "\u200b"
_WWW = re.compile(r"www\.", re.IGNORECASE)

__all__ = ["markdown", "plain", "terminal"]


def markdown(text: str) -> str:
    """Inline Markdown that renders as the literal text and links or pings nothing.

    HTML is entity-escaped, Markdown punctuation backslash-escaped (so no
    link, image, emphasis, heading or code span forms), newlines folded (so a
    table cell stays one cell), and ``@``, ``://`` and ``www.`` broken with a
    zero-width space so that no mention or autolink is created.
    """
    text = terminal(" ".join(text.split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace("@", "@" + _ZERO_WIDTH_SPACE).replace("://", ":" + _ZERO_WIDTH_SPACE + "//")
    return _WWW.sub(lambda match: match.group(0)[:3] + _ZERO_WIDTH_SPACE + ".", text)


def plain(text: str) -> str:
    """One line of plain text a web page may render: no controls, HTML, mentions or links."""
    text = terminal(" ".join(text.split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("@", "@" + _ZERO_WIDTH_SPACE).replace("](", "]" + _ZERO_WIDTH_SPACE + "(")
    text = text.replace("://", ":" + _ZERO_WIDTH_SPACE + "//")
    return _WWW.sub(lambda match: match.group(0)[:3] + _ZERO_WIDTH_SPACE + ".", text)
