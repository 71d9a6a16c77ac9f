"""Take tokens out of any text before it leaves deploygate.

A token may surface raw, URL-encoded (in a URL), JSON-escaped or base64
(in a Basic auth header): each of those spellings is replaced.
"""

from __future__ import annotations

import base64
import urllib.parse
from collections.abc import Iterable


def secret_forms(secret: str) -> set[str]:
    """The spellings in which a token could appear: raw, URL-encoded, JSON-escaped, base64."""
    if not secret:
        return set()
    forms = {secret, urllib.parse.quote(secret, safe=""), secret.encode("unicode_escape").decode()}
    forms.add(base64.b64encode(secret.encode()).decode())
    return {form for form in forms if form}


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every form of every secret replaced by ``***``."""
    for secret in secrets:
        for form in sorted(secret_forms(secret), key=len, reverse=True):
            text = text.replace(form, "***")
    return text
