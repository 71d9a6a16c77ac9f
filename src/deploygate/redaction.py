"""Take tokens out of any text, and any record, before it leaves deploygate.

A token rarely comes back in the spelling it was sent in. A server that
echoes it may have URL-encoded it (with or without ``/`` kept, ``+`` for a
space), JSON-escaped it (once or twice: ``\\"``, ``\\/``, ``\\u0022``), or
base64-encoded it inside a Basic auth header, where it follows
``x-access-token:`` or an email and so starts at any byte of a 3-byte group.

So each secret becomes one regular expression, compiled once per set of
secrets: each of its characters may appear in any of its escaped spellings,
and for base64 each of the three alignments is one run of character
classes, one per base64 character that holds a bit of the token. The bits
that belong to the neighbouring bytes are left free in those classes, so the
token is found whatever surrounds it. One pass of one pattern over the text
keeps redaction linear in the text: it runs on every error message and on
every report.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import re
from collections.abc import Callable, Iterable
from functools import partial
from typing import Any, TypeVar

MASK = "***"

_STANDARD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_URL_SAFE = _STANDARD[:62] + "-_"
_BASE64_MIN_BYTES = 9
"""Enough for two whole 3-byte groups at any alignment (48 bits): shorter, its base64 run
could turn up in unrelated base64 by chance. Such a secret is still found raw and escaped."""
_BACKSLASHES = r"\\{1,7}"
"""A JSON escape, JSON-escaped again up to twice; bounded so a run of backslashes costs
no more than a few steps at each position."""

Record = TypeVar("Record")


def _hex_byte(value: int) -> str:
    """``%2F`` or ``%2f``: percent-encoders disagree on the case."""
    return "%" + "".join(f"[{digit.upper()}{digit.lower()}]" for digit in f"{value:02x}")


def _json_unicode(character: str) -> str:
    """``\\u002f`` (or the surrogate pair), in either case, behind its escaping backslashes."""
    units = character.encode("utf-16-be")
    return "".join(
        _BACKSLASHES
        + "u"
        + "".join(
            f"[{digit.upper()}{digit.lower()}]"
            for digit in f"{int.from_bytes(units[i : i + 2], 'big'):04x}"
        )
        for i in range(0, len(units), 2)
    )


def _character(character: str) -> str:
    """Every spelling of one character of a secret, as one group."""
    spellings = [re.escape(character), _json_unicode(character)]
    spellings.append("".join(_hex_byte(byte) for byte in character.encode()))
    if character == " ":
        spellings.append(r"\+")  # application/x-www-form-urlencoded
    if character in '"/':
        spellings.append(_BACKSLASHES + re.escape(character))
    if character == "\\":
        spellings.append(r"\\{2,8}")
    if not character.isprintable():
        spellings += _repr_escapes(character)
    return "(?:" + "|".join(spellings) + ")"


def _repr_escapes(character: str) -> list[str]:
    """How ``repr`` spells an unprintable character: of a str (``\\n``, ``\\x0b``,
    ``\\u200b``) or of its UTF-8 bytes (``\\xe2\\x80\\x8b``). An HTTP library that
    refuses a header quotes it so, and the token inside must still be found."""
    code = ord(character)
    named = {"\n": "n", "\r": "r", "\t": "t"}.get(character)
    escapes = [named] if named else []
    if code <= 0xFF:
        escapes.append(f"x{code:02x}")
    elif code <= 0xFFFF:
        escapes.append(f"u{code:04x}")
    else:
        escapes.append(f"U{code:08x}")
    spellings = [_BACKSLASHES + escape for escape in escapes]
    if code > 0x7F:
        spellings.append("".join(_BACKSLASHES + f"x{byte:02x}" for byte in character.encode()))
    return spellings


def _base64_run(secret: bytes, offset: int, alphabet: str) -> str:
    """The base64 characters that hold ``secret``'s bits when it starts ``offset`` bytes
    into a 3-byte group, each as the class of characters its free bits allow.

    The characters of the groups it shares with its neighbours are optional,
    so a cut or re-wrapped encoding is still found by the groups that are
    the token's alone.
    """
    first_bit = 8 * offset
    end_bit = first_bit + 8 * len(secret)
    bits = {
        first_bit + index: (secret[index // 8] >> (7 - index % 8)) & 1
        for index in range(8 * len(secret))
    }
    whole_groups = _whole_groups(offset, len(secret))
    run = []
    for position in range(first_bit // 6, (end_bit - 1) // 6 + 1):
        fixed = [(5 - k, bits[6 * position + k]) for k in range(6) if 6 * position + k in bits]
        allowed = [
            alphabet[value]
            for value in range(64)
            if all((value >> shift) & 1 == bit for shift, bit in fixed)
        ]
        spelled = (
            re.escape(allowed[0])
            if len(allowed) == 1
            else "[" + "".join(re.escape(char) for char in allowed) + "]"
        )
        run.append(spelled if position in whole_groups else f"(?:{spelled})?")
    return "".join(run)


def _whole_groups(offset: int, size: int) -> range:
    """The places of the base64 characters that spell only a secret's bits, when its
    ``size`` bytes start ``offset`` bytes into a 3-byte group: those of its whole groups."""
    return range(-(-8 * offset // 24) * 4, 8 * (offset + size) // 24 * 4)


def _secret_pattern(secret: str) -> str:
    spellings = ["".join(_character(character) for character in secret)]
    raw = secret.encode()
    if len(raw) >= _BASE64_MIN_BYTES:
        spellings += [
            _base64_run(raw, offset, alphabet)
            for offset in range(3)
            for alphabet in (_STANDARD, _URL_SAFE)
        ]
    return "|".join(spellings)


@functools.lru_cache(maxsize=16)
def _compiled(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    patterns = [_secret_pattern(secret) for secret in secrets if secret]
    return re.compile("|".join(patterns)) if patterns else None


@dataclasses.dataclass(frozen=True, slots=True)
class _Screen:
    """What a text must hold for the pattern to match in it: a cheap test that lets most
    text skip the pattern, whose many classes cost a few hundred ns a character.

    Every spelling but the raw one has an escape character (``\\``, ``%``, or ``+`` for
    a space), and a base64 run holds its whole groups as they are, so a text with none
    of these characters and none of these literals cannot hold any spelling.
    """

    literals: tuple[str, ...]
    escapes: frozenset[str]

    def may_hold(self, text: str) -> bool:
        return any(char in text for char in self.escapes) or any(
            literal in text for literal in self.literals
        )


@functools.lru_cache(maxsize=16)
def _screen(secrets: tuple[str, ...]) -> _Screen:
    import base64  # only a run with a secret long enough to be spelt in base64 needs it

    literals = []
    for secret in secrets:
        if not secret:
            continue
        literals.append(secret)
        raw = secret.encode()
        if len(raw) >= _BASE64_MIN_BYTES:
            for offset in range(3):
                padded = bytes(offset) + raw
                groups = _whole_groups(offset, len(raw))
                for encode in (base64.b64encode, base64.urlsafe_b64encode):
                    literals.append(encode(padded).decode()[groups.start : groups.stop])
    escapes = {"\\", "%"} | ({"+"} if any(" " in secret for secret in secrets) else set())
    return _Screen(tuple(literals), frozenset(escapes))


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every spelling of every secret replaced by ``***``."""
    return _redacted(text, tuple(sorted(set(secrets))))


def _redacted(text: str, secrets: tuple[str, ...]) -> str:
    if not _screen(secrets).may_hold(text):
        return text
    pattern = _compiled(secrets)
    return text if pattern is None else pattern.sub(MASK, text)


def redact_record(record: Record, secrets: Iterable[str]) -> Record:
    """``record`` (a frozen dataclass, and all it holds) with its text redacted.

    For data read from a backend: someone may have pasted a token into an
    issue, and every output is rendered from the report, so taking it out of
    the report takes it out of every output, before any format escapes or
    cuts the text into spellings that are harder to find.
    """
    wanted = tuple(sorted(set(secrets)))
    if not any(wanted):
        return record
    redacted: Record = _walk(record, partial(_redacted, secrets=wanted), {})
    return redacted


def _walk(value: Any, redacted: Callable[[str], str], done: dict[int, Any]) -> Any:
    """``value`` redacted; ``done`` holds what is already redacted, by identity.

    A report shares its records: each finding about an action item holds the
    postmortem, which holds every item. Walking each shared record once keeps
    this linear in the report's size (it was quadratic: 5,000 findings on one
    postmortem of 5,000 items took minutes), and keeps the sharing.
    """
    if isinstance(value, enum.Enum) or value is None or isinstance(value, (int, float)):
        return value  # an enum's text is ours, and it must stay a member
    key = id(value)
    if key in done:
        return done[key]
    result: Any = value
    if isinstance(value, str):
        result = redacted(value)
    elif isinstance(value, tuple):
        items = tuple(_walk(item, redacted, done) for item in value)
        # Unchanged, it stays the very same object: most of a report holds no secret.
        if any(new is not old for new, old in zip(items, value, strict=True)):
            result = items
    elif (names := _init_fields(type(value))) is not None:
        changes = {}
        for name in names:
            old = getattr(value, name)
            if (new := _walk(old, redacted, done)) is not old:
                changes[name] = new
        if changes:
            result = dataclasses.replace(value, **changes)
    done[key] = result
    return result


_FIELDS: dict[type, tuple[str, ...] | None] = {}
"""Each type's constructor fields, once: a report holds thousands of records of few types."""


def _init_fields(kind: type) -> tuple[str, ...] | None:
    """A dataclass's fields that its constructor takes; None for any other type."""
    if kind not in _FIELDS:
        _FIELDS[kind] = (
            tuple(field.name for field in dataclasses.fields(kind) if field.init)
            if dataclasses.is_dataclass(kind)
            else None
        )
    return _FIELDS[kind]
