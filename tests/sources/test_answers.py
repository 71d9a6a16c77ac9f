"""sources/answers.py: an answer that is not JSON becomes one line naming what came back."""

from __future__ import annotations

import pytest
import requests

from deploygate.errors import SourceError
from deploygate.sources.answers import json_answer


def _answer(body: bytes, content_type: str | None) -> requests.Response:
    """An answer as requests hands it over, built from its bytes and headers."""
    response = requests.Response()
    response.status_code = 200
    response._content = body
    if content_type is not None:
        response.headers["Content-Type"] = content_type
    return response


def _fail(problem: str) -> SourceError:
    return SourceError("rootly", problem)


def test_json_is_read() -> None:
    answer = _answer(b'{"data": [{"id": "1"}]}', "application/vnd.api+json")
    assert json_answer(answer, "Rootly answered", "check the url", _fail) == {"data": [{"id": "1"}]}


@pytest.mark.parametrize(
    ("body", "content_type", "named"),
    [
        (
            b"<html><body>Sign in</body></html>",
            "text/html; charset=utf-8",
            "text/html; charset=utf-8",
        ),
        (b"", None, "no content type"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json", "application/json"),
    ],
    ids=["login-page", "empty", "too-deep"],
)
def test_anything_else_is_one_line_naming_what_came(
    body: bytes, content_type: str | None, named: str
) -> None:
    answer = _answer(body, content_type)
    with pytest.raises(SourceError) as raised:
        json_answer(answer, "Rootly answered the incidents", "check [rootly] url", _fail)
    line = raised.value.problem
    assert line == (
        f"Rootly answered the incidents with something that is not JSON ({named}); "
        "check [rootly] url"
    )


def test_a_hostile_content_type_is_cut_and_made_plain() -> None:
    answer = _answer(b"nope", "text/html\x1b]0;owned\x07" + "x" * 500)
    with pytest.raises(SourceError) as raised:
        json_answer(answer, "Jira answered", "check [jira] site", _fail)
    line = raised.value.problem
    assert "\x1b" not in line
    assert "\x07" not in line
    assert len(line) < 160
