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
# What GitHub and GitLab turn into a link, and a notification or a cross-reference
# on the issue it names, when it stands in rendered text:
# https://docs.github.com/en/get-started/writing-on-github/working-with-advanced-formatting/autolinked-references-and-urls
# https://docs.gitlab.com/user/markdown/#gitlab-specific-references
# A reference starts with a sigil followed by a number, a name or a quote: #12, !12
# (merge request), %12 and %"name" (milestone), &12 (epic), ~label, $12 (snippet),
# ^12 (alert), *iteration:12; GH-12 on GitHub; owner/repo#12 and owner/repo@sha
# end in one (the @ is broken with mentions). A zero-width space after the sigil keeps
# the text as it reads and matches none of them.
_REFERENCE_SIGIL = re.compile(r"([#!%&~$^]|\*(?=iteration:))(?=[\w\"'])")
_GH_REFERENCE = re.compile(r"\b(GH)(-\d)", re.IGNORECASE)

__all__ = ["markdown", "plain", "terminal"]


def markdown(text: str) -> str:
    """Inline Markdown that renders as the literal text and links or pings nothing.

    HTML is entity-escaped, Markdown punctuation backslash-escaped (so no
    link, image, emphasis, heading or code span forms), newlines folded (so a
    table cell stays one cell), and ``@``, ``://`` and ``www.`` broken with a
    zero-width space so that no mention or autolink is created.
    """
    text = _no_references(terminal(" ".join(text.split())))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", text)
    text = text.replace("@", "@" + _ZERO_WIDTH_SPACE).replace("://", ":" + _ZERO_WIDTH_SPACE + "//")
    return _WWW.sub(lambda match: match.group(0)[:3] + _ZERO_WIDTH_SPACE + ".", text)


def plain(text: str) -> str:
    """One line of plain text a web page may render: no controls, HTML, mentions, links or
    references."""
    text = _no_references(terminal(" ".join(text.split())))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("@", "@" + _ZERO_WIDTH_SPACE).replace("](", "]" + _ZERO_WIDTH_SPACE + "(")
    text = text.replace("://", ":" + _ZERO_WIDTH_SPACE + "//")
    return _WWW.sub(lambda match: match.group(0)[:3] + _ZERO_WIDTH_SPACE + ".", text)


def _no_references(text: str) -> str:
    """``text`` with every issue, merge request, milestone, epic, label, snippet and
    alert reference form broken, so a title renders as itself and pings no issue."""
    text = _REFERENCE_SIGIL.sub("\\1" + _ZERO_WIDTH_SPACE, text)
    return _GH_REFERENCE.sub("\\1" + _ZERO_WIDTH_SPACE + "\\2", text)
