"""Redaction: every spelling a token can come back in, at any base64 alignment, and no more."""

from __future__ import annotations

import base64
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from urllib.parse import quote, quote_plus

import pytest

from deploygate.model import ActionItem, ActionItemState, Postmortem, PostmortemState
from deploygate.redaction import redact, redact_record

TOKEN = 'ghs_CANARY+7Qz/"k9=Wv31 x\\y'
"""'+', '/', '"', '=', ' ' and '\\': each escaped differently by URLs, forms and JSON."""
WHEN = datetime(2026, 11, 20, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "spelling",
    [
        TOKEN,
        quote(TOKEN, safe=""),
        quote(TOKEN),  # keeps '/', as in a URL path
        quote_plus(TOKEN),  # a form: ' ' as '+'
        # "%2f": the hex case is the encoder's choice
        re.sub("%[0-9A-F]{2}", lambda hex_byte: hex_byte[0].lower(), quote(TOKEN, safe="")),
        json.dumps(TOKEN)[1:-1],
        json.dumps(json.dumps(TOKEN))[3:-3],  # a JSON document quoted in another
        json.dumps(TOKEN).replace("/", "\\/")[1:-1],  # encoders that escape '/'
        "".join(f"\\u{ord(character):04x}" for character in TOKEN),  # ensure_ascii everything
    ],
    ids=[
        "raw",
        "url",
        "url-path",
        "form",
        "url-lower",
        "json",
        "json-twice",
        "json-slash",
        "json-u",
    ],
)
def test_every_escaped_spelling_is_replaced_and_the_text_around_kept(spelling: str) -> None:
    assert redact(f"before {spelling} after", [TOKEN]) == "before *** after"


@pytest.mark.parametrize("control", ["\n", "\r\n", "\t", "\x0b", "\x1b", "\u200b"], ids=repr)
def test_a_token_with_a_control_character_is_found_in_its_repr_forms(control: str) -> None:
    """An HTTP library that refuses a header quotes it with repr(): of the str, or of the
    bytes (``b'glpat-...\\n'``); either way the escaped token goes."""
    secret = f"glpat-canary{control}"
    for quoted in (repr(secret), repr(secret.encode()), json.dumps(secret)):
        redacted = redact(f"Invalid header value {quoted}", [secret])
        assert "canary" not in redacted, redacted


def _token_chars(prefix: int, secret: bytes) -> tuple[int, int]:
    """The first and last base64 characters holding a bit of ``secret`` after ``prefix`` bytes."""
    return 8 * prefix // 6, (8 * (prefix + len(secret)) - 1) // 6


@pytest.mark.parametrize("alphabet", ["standard", "url-safe"])
@pytest.mark.parametrize("suffix", ["", "x", "xy", "xyz", "a longer tail"])
@pytest.mark.parametrize("prefix", ["", "g", "gi", "git:", "x-access-token:", "me@acme.io:"])
def test_base64_at_any_alignment_loses_every_character_that_holds_a_token_bit(
    prefix: str, suffix: str, alphabet: str
) -> None:
    """A token inside a longer base64 string (HTTP Basic auth): exactly the characters that
    carry any of its bits become ***; the rest of the encoding stays as it was."""
    encode = base64.b64encode if alphabet == "standard" else base64.urlsafe_b64encode
    secret = TOKEN.encode()
    encoded = encode((prefix + TOKEN + suffix).encode()).decode()
    first, last = _token_chars(len(prefix.encode()), secret)
    expected = f"Basic {encoded[:first]}***{encoded[last + 1 :]}"
    assert redact(f"Basic {encoded}", [TOKEN]) == expected


def test_a_cut_base64_encoding_still_loses_the_groups_that_are_the_token_alone() -> None:
    encoded = base64.b64encode(b"git:" + TOKEN.encode() + b"tail").decode()
    first, last = _token_chars(4, TOKEN.encode())
    cut = encoded[first + 2 : last - 1]  # neither end of the token's characters survives
    assert redact(f"[{cut}]", [TOKEN]) == "[***]"


def test_text_without_the_token_is_untouched() -> None:
    noise = random.Random(6).randbytes(30_000)  # noqa: S311  # reproducible noise, not a key
    texts = [
        base64.b64encode(noise).decode(),
        base64.urlsafe_b64encode(noise).decode(),
        quote(noise.decode("latin-1")),
        json.dumps(noise.decode("latin-1")),
        TOKEN[:-1] + " and " + TOKEN[1:],  # near misses
        "\\" * 5_000 + '"',
    ]
    for text in texts:
        assert redact(text, [TOKEN]) == text


def test_several_secrets_and_no_secrets() -> None:
    other = "glpat-0123456789abcdef"
    text = f"{TOKEN} {base64.b64encode(('me:' + other).encode()).decode()} {quote(TOKEN)}"
    assert redact(text, [TOKEN, other, ""]) == "*** bWU6***== ***"
    assert redact(text, []) == text
    assert redact(text, [""]) == text


def test_a_short_secret_is_found_raw_and_escaped_though_not_in_base64() -> None:
    """Under 9 bytes its base64 run could match unrelated base64 by chance, so it is left."""
    assert redact('say "ab/c" or ab%2Fc', ["ab/c"]) == 'say "***" or ***'
    encoded = base64.b64encode(b"ab/c").decode()
    assert redact(encoded, ["ab/c"]) == encoded


@dataclass(frozen=True, slots=True)
class _Holder:
    postmortems: tuple[Postmortem, ...]
    note: str | None
    count: int


def test_a_record_loses_the_token_in_every_string_it_holds_and_keeps_its_types() -> None:
    item = ActionItem(
        id="shop#2",
        title=f"rotate {TOKEN}",
        state=ActionItemState.OPEN,
        created_at=WHEN,
        url=f"https://example.test/{quote(TOKEN)}",
    )
    postmortem = Postmortem(
        id="shop#1",
        title="outage",
        state=PostmortemState.CLOSED,
        created_at=WHEN,
        service="shop",
        body=f'{{"pasted": {json.dumps(TOKEN)}}}',
        action_items=(item,),
        causes=(TOKEN,),
    )
    holder = _Holder(postmortems=(postmortem,), note=None, count=3)
    redacted = redact_record(holder, [TOKEN])
    (kept,) = redacted.postmortems
    assert kept.action_items[0].title == "rotate ***"
    assert kept.action_items[0].url == "https://example.test/***"
    assert kept.action_items[0].state is ActionItemState.OPEN
    assert kept.body == '{"pasted": "***"}'
    assert kept.causes == ("***",)
    assert (kept.id, kept.title, kept.created_at, kept.state) == (
        "shop#1",
        "outage",
        WHEN,
        PostmortemState.CLOSED,
    )
    assert (redacted.note, redacted.count) == (None, 3)
    assert redact_record(holder, []) is holder


PLAIN_TOKEN = "glpat-CANARY0123456789abcdef"
"""A token without a space, a backslash or a percent sign: text that holds one of its spellings
need not hold any escape character, so only the token's own literals can flag it."""


@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
@pytest.mark.parametrize("prefix", ["", "g", "gi", "x-access-token:"])
def test_a_text_is_screened_by_literals_that_every_spelling_holds(
    encode: Callable[[bytes], bytes], prefix: str
) -> None:
    """Most text skips the pattern (it costs a few hundred ns a character); the screen must
    still let through every base64 alignment and the raw token, with no escape in sight."""
    encoded = encode((prefix + PLAIN_TOKEN).encode()).decode().rstrip("=")
    assert not set(encoded) & {"\\", "%"}
    first, _ = _token_chars(len(prefix.encode()), PLAIN_TOKEN.encode())
    assert redact(f"Basic {encoded}", [PLAIN_TOKEN]) == f"Basic {encoded[:first]}***"
    assert redact(f"token {PLAIN_TOKEN}.", [PLAIN_TOKEN]) == "token ***."


def test_a_record_without_the_token_comes_back_as_the_very_same_object() -> None:
    """A report is walked whole: rebuilding each record that holds no secret cost a check
    tens of milliseconds for nothing."""
    item = ActionItem(
        id="shop#2", title="add an alert", state=ActionItemState.OPEN, created_at=WHEN
    )
    holder = _Holder(postmortems=(), note="50% of requests", count=1)
    assert redact_record(item, [PLAIN_TOKEN]) is item
    assert redact_record(holder, [PLAIN_TOKEN]) is holder
