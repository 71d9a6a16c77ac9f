"""The embedded deployment history: one JSON object per line, in a file in the repository.

Why JSON Lines and not SQLite: the history of a small service belongs in
code review next to its postmortems, and a text file diffs, merges and
reads in any editor. Appends are serialised with an exclusive ``flock`` on
the file itself and readers take a shared one, so twenty ``deploygate
record`` processes started at once lose nothing and a reader never sees a
torn line. Ids are ``SERVICE-N``, with N handed out under that lock. Two
branches that each record a deployment and are then merged can collide;
the reader then reports the duplicate with both lines rather than guess.

The overrides and advisory logs (:mod:`deploygate.sources.local.events`)
sit beside the history and are appended and read with the same functions, so
every file follows one locking discipline (each file its own ``flock``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from deploygate.dates import INSTANT_FORM, format_instant, parse_instant
from deploygate.errors import InputError, SourceError
from deploygate.model import Deployment, DeploymentStatus
from deploygate.sources.local.files import MAX_HISTORY_BYTES, open_regular, regular

SOURCE_NAME = "local"
STATUS_FORM = "one of " + ", ".join(status.value for status in DeploymentStatus)
_HISTORY_FILE = "a JSON Lines file"
_FIELDS = ("id", "service", "environment", "status", "sha", "url", "description", "created_at")

if sys.platform == "win32":  # pragma: no cover - exercised only on Windows
    import msvcrt

    @contextmanager
    def _locked(handle: IO[bytes], *, exclusive: bool) -> Iterator[None]:
        # msvcrt has no shared locks: readers serialise with writers too.
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        try:
            yield
        finally:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    @contextmanager
    def _locked(handle: IO[bytes], *, exclusive: bool) -> Iterator[None]:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _encode(deployment: Deployment) -> bytes:
    return encode(
        {
            "id": deployment.id,
            "service": deployment.service,
            "environment": deployment.environment,
            "status": deployment.status.value,
            "sha": deployment.sha,
            "url": deployment.url,
            "description": deployment.description,
            "created_at": format_instant(deployment.created_at),
        }
    )


def optional_text(record: dict[str, Any], key: str, path: Path, line: int) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputError("must be a string or null", path=path, line=line, field=key)


def required_text(record: dict[str, Any], key: str, path: Path, line: int) -> str:
    value = record.get(key)
    if isinstance(value, str) and value:
        return value
    raise InputError("is missing or not a non-empty string", path=path, line=line, field=key)


def deployment_id(record: dict[str, Any], path: Path, line: int) -> str:
    """The ``id``: a string, or a whole number of any size written as a JSON number.

    A history exported from a CI system may carry its numeric ids, and GitHub's
    are past 2**31 already. Python reads a JSON integer exactly (a reader that
    makes it a double would round it past 2**53), and the id is kept as its
    decimal digits, the string a postmortem would write.
    """
    value = record.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value:
        return value
    raise InputError(
        "is missing or not a non-empty string or whole number", path=path, line=line, field="id"
    )


def parse_line(raw: bytes, path: Path, line: int) -> dict[str, Any]:
    """The JSON object on one line; anything else is an InputError naming the file and line."""
    try:
        record = json.loads(raw)
    except RecursionError:
        raise InputError(
            "nested too deeply", path=path, line=line, expected="one JSON object per line"
        ) from None
    except ValueError as error:
        # JSONDecodeError and UnicodeDecodeError are ValueErrors; so is int()'s
        # refusal of a 5,000-digit number.
        raise InputError(
            f"not valid JSON ({error})", path=path, line=line, expected="one JSON object per line"
        ) from None
    if not isinstance(record, dict):
        raise InputError("not a JSON object", path=path, line=line, expected="one object per line")
    return record


def known_fields(record: dict[str, Any], fields: tuple[str, ...], path: Path, line: int) -> None:
    """Refuse a field the file format does not have: a typo would otherwise be ignored."""
    unknown = sorted(set(record) - set(fields))
    if unknown:
        raise InputError(
            "unknown field", path=path, line=line, field=unknown[0], expected=", ".join(fields)
        )


def created_at_of(record: dict[str, Any], path: Path, line: int) -> datetime:
    """A record's ``created_at`` instant, or an InputError naming the line."""
    created_text = record.get("created_at")
    if not isinstance(created_text, str):
        raise InputError(
            "is missing or not a string",
            path=path,
            line=line,
            field="created_at",
            expected=INSTANT_FORM,
        )
    try:
        return parse_instant(created_text)
    except ValueError as error:
        raise InputError(str(error), path=path, line=line, field="created_at") from None


def encode(record: dict[str, Any]) -> bytes:
    """One record as one line: compact JSON, UTF-8 kept readable, and its newline."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def torn_tail(content: bytes) -> int:
    """Where a torn last line starts, or ``len(content)`` when there is none.

    A torn line is a last line without its newline that is not a JSON
    object: what a crash or a full disk leaves of an append. A last line
    that merely lost its newline in an editor is whole, and kept.
    """
    if not content or content.endswith(b"\n"):
        return len(content)
    start = content.rfind(b"\n") + 1
    try:
        whole = isinstance(json.loads(content[start:]), dict)
    except (ValueError, RecursionError):
        whole = False
    return len(content) if whole else start


def append_line(path: Path, line_for: Callable[[bytes], bytes]) -> None:
    """Append ``line_for(the file's content)`` under an exclusive lock, and sync it.

    ``line_for`` sees the whole file as it is under the lock (the history
    hands out its next id from it). The line is written under the lock, so
    no reader sees half of it, and a hand-edited file that lost
    its final newline never has a record glued onto its last line. A torn
    last line (see :func:`torn_tail`) is cut off first: this append repairs
    it. An append that fails half-way (a full disk) is cut back to the old
    size under the same lock, so the file is never left torn by us.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() or path.is_symlink():
            regular(path, _HISTORY_FILE)
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND
        with (
            open_regular(path, flags, _HISTORY_FILE, "a+b") as handle,
            _locked(handle, exclusive=True),
        ):
            handle.seek(0)
            existing = handle.read(MAX_HISTORY_BYTES + 1)
            _check_size(path, existing)
            whole = torn_tail(existing)
            # Written past the buffer, straight to the descriptor: a failed buffered write
            # would be written again, half, when the file is closed.
            descriptor = handle.fileno()
            try:
                if whole < len(existing):
                    os.ftruncate(descriptor, whole)
                    existing = existing[:whole]
                separator = b"\n" if existing and not existing.endswith(b"\n") else b""
                data = separator + line_for(existing)
                written = 0
                while written < len(data):
                    written += os.write(descriptor, data[written:])
                os.fsync(descriptor)
            except OSError:
                os.ftruncate(descriptor, len(existing))
                raise
    except OSError as error:
        raise SourceError(SOURCE_NAME, f"cannot write {path}: {error.strerror}") from None


@dataclass(frozen=True, slots=True)
class Lines:
    """The lines of a JSON Lines file, and the number of a torn last line left out."""

    lines: list[tuple[int, bytes]]
    """``(line number, line)`` of every non-blank line."""
    torn: int | None = None

    def notices(self, path: Path) -> tuple[str, ...]:
        """What to tell the reader about the torn line, if there is one."""
        if self.torn is None:
            return ()
        return (
            f"{path}:{self.torn}: a torn last line (an append cut short) is left out; "
            "the next 'deploygate record' repairs it",
        )


def read_lines(path: Path) -> Lines:
    """Every non-blank line, read under a shared lock; an absent file has none.

    A path that is anything but a regular file (a pipe, a directory, a
    dangling link) is an InputError naming it: it is the repository's
    content, and must never hang the read or pass for an unreachable source.
    """
    if not path.exists() and not path.is_symlink():
        return Lines([])
    regular(path, _HISTORY_FILE)
    try:
        with (
            open_regular(path, os.O_RDONLY, _HISTORY_FILE) as handle,
            _locked(handle, exclusive=False),
        ):
            content = handle.read(MAX_HISTORY_BYTES + 1)
    except FileNotFoundError:
        return Lines([])
    except OSError as error:
        raise SourceError(SOURCE_NAME, f"cannot read {path}: {error.strerror}") from None
    _check_size(path, content)
    end = torn_tail(content)
    lines = content[:end].split(b"\n")
    numbered = [(number, raw) for number, raw in enumerate(lines, start=1) if raw.strip()]
    return Lines(numbered, torn=len(lines) if end < len(content) else None)


def _check_size(path: Path, content: bytes) -> None:
    if len(content) > MAX_HISTORY_BYTES:
        raise InputError(
            f"larger than {MAX_HISTORY_BYTES // (1024 * 1024)} MiB",
            path=path,
            expected="a history under that; move old records to another file",
        )


def _decode(record: dict[str, Any], path: Path, line: int, service: str) -> Deployment | None:
    """The deployment of one line's record, or None when it belongs to another service."""
    if record.get("service") != service:
        return None
    known_fields(record, _FIELDS, path, line)
    try:
        status = DeploymentStatus(record.get("status"))
    except ValueError:
        raise InputError(
            f"unknown status {record.get('status')!r}",
            path=path,
            line=line,
            field="status",
            expected=STATUS_FORM,
        ) from None
    return Deployment(
        id=deployment_id(record, path, line),
        service=required_text(record, "service", path, line),
        environment=required_text(record, "environment", path, line),
        status=status,
        created_at=created_at_of(record, path, line),
        sha=optional_text(record, "sha", path, line),
        url=optional_text(record, "url", path, line),
        description=optional_text(record, "description", path, line),
    )


def _next_id(existing: bytes, service: str) -> str:
    """``SERVICE-N``, one past the highest N this service has used.

    The service in the id keeps ids unique across services, and keeps a bare
    number in a postmortem's prose ("took 1 hour") from reading as a
    deployment id.
    """
    # The JSON string, without its close quote, spelled as encode() writes it (UTF-8 kept).
    prefix = json.dumps(f"{service}-", ensure_ascii=False)[:-1].encode()
    # Up to 4,000 digits: Python refuses to convert longer numbers, and an id that long
    # (accepted by the reader) can never be the highest one handed out here.
    pattern = re.compile(rb'"id"\s*:\s*' + re.escape(prefix) + rb'(\d{1,4000})"')
    used = [int(number) for number in pattern.findall(existing)]
    return f"{service}-{max(used, default=0) + 1}"


@dataclass(frozen=True, slots=True)
class Recorded:
    """What the history holds for one service, and what else it says."""

    deployments: tuple[Deployment, ...]
    services: frozenset[str]
    """Every service the file names, for ``no-evidence``'s did-you-mean."""
    notices: tuple[str, ...] = ()


class HistoryStore:
    """Append-only deployment history in a JSON Lines file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def record(
        self,
        *,
        service: str,
        environment: str,
        status: DeploymentStatus,
        created_at: datetime,
        sha: str | None = None,
        url: str | None = None,
        description: str | None = None,
    ) -> Deployment:
        """Append one deployment and return it with the id it was given."""
        recorded: list[Deployment] = []

        def line_for(existing: bytes) -> bytes:
            recorded.append(
                Deployment(
                    id=_next_id(existing, service),
                    service=service,
                    environment=environment,
                    status=status,
                    created_at=created_at,
                    sha=sha,
                    url=url,
                    description=description,
                )
            )
            return _encode(recorded[0])

        append_line(self.path, line_for)
        return recorded[0]

    def read(self, service: str) -> Recorded:
        """Every recorded deployment of ``service``, every service the file names (from the
        same pass: every line is parsed anyway), and notices (a torn last line left out).

        An absent file is an empty history.
        """
        deployments: list[Deployment] = []
        services: set[str] = set()
        seen: dict[str, int] = {}
        lines = read_lines(self.path)
        for number, raw in lines.lines:
            # Every line is parsed, so a torn or hand-broken line is reported whichever
            # service is checked; only this service's records are built and validated.
            record = parse_line(raw, self.path, number)
            if isinstance(record.get("service"), str):
                services.add(record["service"])
            deployment = _decode(record, self.path, number, service)
            if deployment is None:
                continue
            if deployment.id in seen:
                raise InputError(
                    f"duplicate id {deployment.id!r}, first used on line {seen[deployment.id]}",
                    path=self.path,
                    line=number,
                    field="id",
                )
            seen[deployment.id] = number
            deployments.append(deployment)
        return Recorded(tuple(deployments), frozenset(services), lines.notices(self.path))
