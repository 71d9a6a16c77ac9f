"""Make untrusted text (postmortem titles, descriptions) inert where it is shown.

Text written by anyone who can open an issue must never move a cursor,
rewrite a terminal line, ping a person or inject markup. Each output medium
has one function here, and every format uses it for every untrusted string.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode bidi overrides that can reorder
# what a reader sees ("Trojan Source"), plus line and paragraph separators.
_TERMINAL_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069]"
)
# Inline Markdown only: inside a sentence or a table cell these are what can
# start emphasis, code, links, images, tables, strikethrough, math or an issue link.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|~#!$])")
_ZERO_WIDTH_SPACE = "\u200b"


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal(text: str) -> str:
    """Show control characters as ``\\xNN`` so they cannot act on a terminal or log."""
    return _TERMINAL_UNSAFE.sub(_visible, text)


def markdown(text: str) -> str:
    """Inline Markdown that renders as the literal text and links or pings nothing.

    HTML is entity-escaped, Markdown punctuation backslash-escaped (so no
    link, image, emphasis, heading or code span forms), newlines folded (so a
    table cell stays one cell), and ``@`` and ``://`` broken with a zero-width
    space so that no mention or bare URL autolink is created.
    """
    text = terminal(" ".join(text.split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace("@", "@" + _ZERO_WIDTH_SPACE)
    return text.replace(":", ":" + _ZERO_WIDTH_SPACE) if "://" in text else text
