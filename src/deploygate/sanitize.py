"""Show control characters as visible escapes, so untrusted text cannot act on a terminal.

It sits below everything else because error messages need it as much as
formats do: a file name or a config key can carry a line break or an escape
sequence too.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the Unicode bidi overrides that can reorder what a
# reader sees ("Trojan Source"), and the line and paragraph separators; and the
# invisible ones that hide text or split a word a reader or a search would see
# whole: the soft hyphen, the zero-width space, joiners and word joiner, the
# byte order mark, the Hangul fillers, and the tag characters (U+E0000-E007F),
# which smuggle a hidden ASCII message inside innocent text.
_UNSAFE = re.compile(
    "[\x00-\x1f\x7f-\x9f\xad\u061c\u115f\u1160\u200b-\u200f\u202a-\u202e\u2028\u2029"
    "\u2060\u2066-\u2069\u3164\ufeff\uffa0\U000e0000-\U000e007f]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def terminal(text: str) -> str:
    """``text`` on one line, with every control character shown as ``\\xNN`` or ``\\uNNNN``.

    The legacy ``##[command]`` form, which the GitHub Actions runner honours
    anywhere in a log line, is broken too, so that escaped text is inert in a
    CI log as well as on a terminal. (``::command::`` only acts at the start
    of a line, and every line deploygate prints starts with its own text.)
    """
    return _UNSAFE.sub(_visible, text).replace("##[", "#\u200b#[")


_COMMAND_AT_START = re.compile(r"^([^\S\n]*)(?=::)", re.MULTILINE)
"""Any whitespace but a line break, Unicode's too: .NET's TrimStart removes a no-break space."""


def inert_json(text: str) -> str:
    """A JSON document whose text holds no ``##[`` (the runner's legacy command form, honoured
    anywhere in a log line): each is written ``#\\u0023[``, the same string once parsed."""
    return text.replace("##[", "#\\u0023[")


def inert_lines(text: str) -> str:
    """``text`` with no line that the GitHub Actions runner would take for a command.

    The runner trims a line's leading whitespace before it looks for ``::``,
    so a line a format starts with untrusted text, even indented (the text
    format's locator line: a file name, a URL from front matter), would run
    as ``::add-mask::`` or ``::error::``. A zero-width space before the
    ``::`` keeps the line as it reads and makes it inert.
    """
    return _COMMAND_AT_START.sub(lambda match: match.group(1) + "\u200b", text)
