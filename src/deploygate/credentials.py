"""Secrets and service URLs read from the environment: cleaned, checked, never echoed.

A token pasted with its line end (``glpat-…\\n``) is the commonest way a
secret ends up in an error: the HTTP library refuses the header and quotes
it, ``repr``-escaped, where redaction looking for the raw newline cannot
find it. So every token is stripped once, here, and one with whitespace or a
control character inside is refused by naming its variable, never its value.
A URL with ``user:password@`` in it is refused the same way, since every
error line, report and comment that names the server would carry it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from urllib.parse import urlsplit

from deploygate.errors import ConfigError, SourceError

_ONE_LINE = "the token alone, without spaces, tabs or line breaks inside it"


def clean_token(value: str | None, variable: str) -> str | None:
    """``value`` stripped of surrounding whitespace; None when nothing is left.

    A ConfigError (exit 2) that names ``variable`` when whitespace or a
    control character is left inside: such a token cannot be sent, and
    retrying it only repeats the refusal.
    """
    if value is None:
        return None
    token = value.strip()
    if any(character.isspace() or _control(character) for character in token):
        raise ConfigError(
            "the token holds whitespace or a control character", field=variable, expected=_ONE_LINE
        )
    return token or None


def read_token(env: Mapping[str, str], variable: str) -> str | None:
    """The token in ``variable``, cleaned (see :func:`clean_token`); None when unset or blank."""
    return clean_token(env.get(variable), variable)


def required_token(env: Mapping[str, str], variable: str, source: str, missing: str) -> str:
    """The token in ``variable``, as :func:`read_token` reads it; when there is none, a
    SourceError (exit 3) of ``source`` that says ``missing``: what to set, and to what.
    A missing token fails the backend as an unreachable one does, never the whole run."""
    token = read_token(env, variable)
    if not token:
        raise SourceError(source, missing)
    return token


def holds_credentials(url: str) -> bool:
    """Whether ``url`` carries ``user@`` or ``user:password@``."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return bool(parts.username or parts.password)


def environment_url(env: Mapping[str, str], variable: str) -> str | None:
    """The URL in ``variable``; a ConfigError naming the variable when it holds credentials."""
    value = env.get(variable)
    if value and holds_credentials(value):
        raise ConfigError(
            "the URL holds credentials",
            field=variable,
            expected="a URL without user:password@; the token goes in its own variable",
        )
    return value or None


def _control(character: str) -> bool:
    """A control, format or unassigned character: nothing a token is made of."""
    return unicodedata.category(character)[0] == "C"
