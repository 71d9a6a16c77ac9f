"""An API's answer read as JSON, shared by the REST sources' HTTP layers (their ``api.py``).

An answer that is not JSON is most often a web page: a login page, a proxy's
error, or a URL that names the site instead of its API. So the error names the
content type that came back, and the source adds what to check in its table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from deploygate.http import decoded
from deploygate.sanitize import terminal


def json_answer(
    response: requests.Response, answered: str, hint: str, fail: Callable[[str], Exception]
) -> Any:
    """The JSON ``response`` holds; anything else raises ``fail("{answered} with something
    that is not JSON ({content type}); {hint}")``, where ``answered`` says who answered
    what (``Rootly answered the incidents``) and ``hint`` what to check."""
    try:
        return decoded(response)
    except ValueError:
        kind = response.headers.get("Content-Type", "no content type")
        raise fail(
            f"{answered} with something that is not JSON ({terminal(kind)[:60]}); {hint}"
        ) from None
