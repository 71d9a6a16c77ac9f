"""credentials.py: a backend's token read once, the same way for every backend."""

from __future__ import annotations

import pytest

from deploygate.credentials import required_token
from deploygate.errors import SourceError

MISSING = "no Rootly token: set ROOTLY_TOKEN to an API key that may read incidents"


def test_the_token_is_read_and_cleaned() -> None:
    assert required_token(
        {"ROOTLY_TOKEN": "  rootly_abc\n"}, "ROOTLY_TOKEN", "rootly", MISSING
    ) == ("rootly_abc")


@pytest.mark.parametrize("env", [{}, {"ROOTLY_TOKEN": ""}, {"ROOTLY_TOKEN": "   \n"}])
def test_no_token_fails_that_backend_with_its_own_line(env: dict[str, str]) -> None:
    """A missing token is the backend's failure (exit 3, like an unreachable one), with the
    line the backend wrote: what to set, and to what."""
    with pytest.raises(SourceError) as raised:
        required_token(env, "ROOTLY_TOKEN", "rootly", MISSING)
    assert (raised.value.source, raised.value.problem) == ("rootly", MISSING)


def test_another_variable_is_not_read() -> None:
    with pytest.raises(SourceError):
        required_token({"GITHUB_TOKEN": "ghp_x"}, "ROOTLY_TOKEN", "rootly", MISSING)
