"""The loopback HTTP machinery every fake shares, and nothing of any one API.

Why one module: the fakes of GitHub, GitLab and Jira must fail in the same
ways (the same fault plan, the same dropped connections, the same request
log), so a test written against one fake's faults reads the same against
another's. Before this module the fake Jira borrowed the fake GitHub's
handler, and the fake GitLab carried a copy of it.

What lives here:

* ``LoopbackFake``: the server's lifecycle (``start``/``stop``, a context
  manager), the listeners, the open connections that ``stop`` shuts down so
  a client blocked on a read wakes up, the stopping event that cuts short
  every delay, the request log, the fault plan, the problems list, and the
  clock requests are timed by;
* ``World``: what every fake's world has: the lock answers are given under,
  the clock that stamps what is made without a time, ids per kind;
* the REST preamble: ``authorization`` (the credentials of a header),
  ``Routes`` (method and path pattern to a handler, a
  gap recorded and answered 501 when none matches), ``Refusal`` (an error
  answer raised where it is decided, so handlers return only success and no
  caller checks what it got back), and ``Page`` with ``link_header`` (page
  arithmetic and the ``Link`` header both REST APIs send);
* ``FakeHandler``: reads a request, logs it, applies latency and faults,
  and writes the answer (keep-alive, as the real services do);
* ``RecordedRequest``, ``Response``, ``Fault`` and ``Faults``.

What each fake adds: its world, its routes and authentication (``_answer``),
its error body (``error``), what it says when it crashes
(``_crash_response``), a ``Fault`` subclass whose ``response`` answers in
the service's words (GitHub's JSON, GitLab's plain ``Retry later`` and HTML
error pages), how that answer is sent (``fault_response``), and its
handler's ``Server`` header and JSON content type.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import socket
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar, Generic, NoReturn, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit


@dataclass
class Response:
    """An answer before it is written: status, JSON-able body (None: empty), headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body that is not JSON (faults)

    def encoded(self) -> bytes:
        if self.raw is not None:
            return self.raw
        if self.body is None:
            return b""
        return json.dumps(self.body, separators=(",", ":")).encode()


@dataclass
class RecordedRequest:
    """One request as it reached the fake, and what the fake answered.

    ``headers`` has lower-case names; ``query`` the decoded query string.
    ``status`` stays None while the request is in flight, or when a fault
    dropped the connection.
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    time: float
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    fault: Fault[Any] | None = None  # the injected fault that shaped the answer, if any

    def json(self) -> Any:
        return json.loads(self.body)

    def response_json(self) -> Any:
        return json.loads(self.response_body) if self.response_body else None

    def text(self) -> str:
        """Everything sent, as text: for checking that a secret never leaves the product."""
        headers = "\n".join(f"{k}: {v}" for k, v in self.headers.items())
        return f"{self.method} {self.path}?{urlencode(self.query)}\n{headers}\n\n" + (
            self.body.decode("utf-8", "replace")
        )


RecordT = TypeVar("RecordT", bound=RecordedRequest)
FaultMatch = str | Callable[[RecordT], bool] | None
"""A substring of the path, a predicate on the fake's RecordedRequest, or None (every request)."""


@dataclass(eq=False)
class Fault(Generic[RecordT]):
    """One injected failure; see ``Faults.add``."""

    match: FaultMatch[RecordT]
    method: str | None
    status: int | None
    times: int | None
    headers: dict[str, str]
    body: Any
    delay: float
    after_store: bool
    drop: bool
    hits: int = 0

    def matches(self, request: RecordT) -> bool:
        if self.method is not None and request.method != self.method.upper():
            return False
        if self.match is None:
            return True
        if isinstance(self.match, str):
            return self.match in request.path
        return self.match(request)

    def answer(self, default_body: Callable[[int], Any], under: dict[str, str]) -> Response:
        """The fault's answer: its body, or ``default_body(status)``, the service's.

        A fake's ``Fault.response`` calls this. A str or bytes body goes out as
        plain text. ``under`` are the service's own headers for a failure
        (GitLab's ``RateLimit-*`` on a 429, say); the fault's ``headers`` win.
        """
        assert self.status is not None
        headers = dict(self.headers)
        body = self.body if self.body is not None else default_body(self.status)
        if isinstance(body, bytes | str):
            raw = body.encode() if isinstance(body, str) else body
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            return Response(self.status, headers={**under, **headers}, raw=raw)
        return Response(self.status, body, {**under, **headers})


FaultT = TypeVar("FaultT", bound=Fault[Any])


class Faults(Generic[FaultT]):
    """Failures to inject into matching requests, first registered first served.

    ``fault_type`` is the fake's ``Fault`` subclass: the one that knows what
    the service sends when it fails.
    """

    def __init__(self, fault_type: type[FaultT]) -> None:
        self._fault_type = fault_type
        self._lock = threading.Lock()
        self._faults: list[FaultT] = []

    def add(
        self,
        match: FaultMatch[Any] = None,
        *,
        status: int | None = 502,
        times: int | None = 1,
        method: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay: float = 0.0,
        after_store: bool = False,
        drop: bool = False,
    ) -> FaultT:
        """Make the next ``times`` matching requests fail (``times=None``: all of them).

        ``match``: a substring of the path, or a predicate on the RecordedRequest,
        or None for every request; ``method`` narrows it further.
        ``status``: the answer, with the service's own body and headers for
        that status (see the fake's ``Fault.response``) unless ``body`` is
        given (a dict/list is sent as JSON, str/bytes as is; ``headers``
        override the service's). None answers normally after ``delay`` seconds
        (a slow server).
        ``after_store``: perform the real action first (the comment is stored),
        then answer with the fault, as when a response is lost on the way back.
        ``drop``: close the connection without any answer.
        """
        fault = self._fault_type(
            match=match,
            method=method,
            status=status,
            times=times,
            headers=dict(headers or {}),
            body=body,
            delay=delay,
            after_store=after_store,
            drop=drop,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, request: RecordedRequest) -> FaultT | None:
        with self._lock:
            for fault in self._faults:
                if (fault.times is None or fault.hits < fault.times) and fault.matches(request):
                    fault.hits += 1
                    return fault
        return None

    def __iter__(self) -> Iterator[FaultT]:
        with self._lock:
            return iter(list(self._faults))

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)


class Refusal(Exception):
    """An answer other than success (401, 404, 422, a gap's 501), raised where it is decided.

    ``LoopbackFake.answer`` writes it; a handler and the helpers it calls
    return only what success needs, so no caller checks what it got back.
    """

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


class World:
    """What every fake's world has: a lock, a clock, and ids.

    ``lock`` is held while the fake answers, so a test may change the world
    between requests. ``clock`` returns the current time (the real UTC time
    by default) and stamps anything made without an explicit time.
    ``next_id(kind)`` counts from ``FIRST_IDS[kind]``: each fake gives each
    kind realistic magnitudes in distinct ranges, so that an id of one kind
    used as another is caught rather than silently found.
    """

    FIRST_IDS: ClassVar[dict[str, int]] = {}

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.lock = threading.RLock()
        self._counters = {kind: itertools.count(first) for kind, first in self.FIRST_IDS.items()}
        self._claimed: dict[str, set[int]] = {}

    def now(self) -> datetime:
        """The clock's time, as the service keeps times (``stored``)."""
        return self.stored(self.clock())

    def at(self, moment: datetime | None) -> datetime:
        """``moment`` as the service keeps times; now when it is None (not given)."""
        return self.stored(moment) if moment else self.now()

    @staticmethod
    def stored(moment: datetime) -> datetime:
        """``moment`` as the service keeps times: in UTC (a fake may round it further).
        A naive datetime is a test bug, so it is refused."""
        if moment.tzinfo is None:
            raise ValueError(f"timestamps must be timezone-aware, got {moment!r}")
        return moment.astimezone(timezone.utc)

    def next_id(self, kind: str) -> int:
        with self.lock:
            return next(self._counters[kind])

    def claim_id(self, kind: str, wanted: int | None) -> int:
        """An id of ``kind`` a test may choose: ``wanted`` unless None (the next one then);
        the same id twice is a test bug, so it is refused."""
        with self.lock:
            chosen = wanted if wanted is not None else self.next_id(kind)
            claimed = self._claimed.setdefault(kind, set())
            if chosen in claimed:
                raise ValueError(f"{kind} id {chosen} is already taken")
            claimed.add(chosen)
            return chosen


HandlerT = TypeVar("HandlerT")


class Routes(Generic[HandlerT]):
    """A REST API's table: (method, path pattern, handler), first match wins."""

    def __init__(self, routes: Iterable[tuple[str, str, HandlerT]]) -> None:
        self._routes = [(method, re.compile(path), handler) for method, path, handler in routes]

    def find(self, method: str, path: str) -> tuple[HandlerT, dict[str, str]] | None:
        """The handler of ``method path`` and the path's named groups; None: no such route."""
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler, {k: v for k, v in match.groupdict().items() if v is not None}
        return None


ItemT = TypeVar("ItemT")


@dataclass(frozen=True)
class Page(Generic[ItemT]):
    """Page ``number`` (from 1) of ``size`` items over a listing of ``total``."""

    items: Sequence[ItemT]
    number: int
    size: int
    total: int

    @classmethod
    def of(cls, listing: Sequence[ItemT], number: int, size: int) -> Page[ItemT]:
        chosen = listing[(number - 1) * size : number * size]
        return cls(chosen, number, size, len(listing))

    @property
    def last(self) -> int:
        """The last page's number (1 for an empty listing)."""
        return max(1, math.ceil(self.total / self.size))

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number * self.size < self.total else None


_AUTHORIZATION = re.compile(r"^\s*(\S+)\s+(\S+)\s*$")


def authorization(record: RecordedRequest, *schemes: str) -> str | None:
    """The credentials of the ``Authorization: SCHEME CREDENTIALS`` header when its scheme
    (any case) is one of ``schemes``; None when the header is absent or says otherwise."""
    match = _AUTHORIZATION.match(record.headers.get("authorization", ""))
    if match is None or match.group(1).lower() not in schemes:
        return None
    return match.group(2)


def reachable(sha: str, parents: Callable[[str], Iterable[str]]) -> set[str]:
    """``sha`` and every commit it descends from, by ``parents``: what a compare walks."""
    seen, pending = set(), [sha]
    while pending:
        current = pending.pop()
        if current not in seen:
            seen.add(current)
            pending.extend(parents(current))
    return seen


def link_header(links: Iterable[tuple[str, str]]) -> str:
    """RFC 8288's ``Link`` value from (url, rel) pairs, as GitHub and GitLab send it."""
    return ", ".join(f'<{url}>; rel="{rel}"' for url, rel in links)


FakeT = TypeVar("FakeT", bound="LoopbackFake[Any, Any]")


class LoopbackFake(Generic[RecordT, FaultT]):
    """A fake service on 127.0.0.1 at a free port: lifecycle, request log, faults.

    ``requests`` logs every request; ``faults`` injects failures; ``latency``
    adds seconds to every answer; ``problems`` lists what the fake could not
    answer (``check`` fails on it). A subclass sets ``name`` (for messages),
    ``handler`` (its ``FakeHandler``) and ``world``, passes its ``Fault``
    subclass to ``__init__``, and answers in ``_answer`` and ``fault_response``.
    """

    name: ClassVar[str]
    handler: ClassVar[type[FakeHandler]]
    world: World

    def __init__(self, fault_type: type[FaultT], *, latency: float = 0.0) -> None:
        self.latency = latency
        self.clock: Callable[[], float] = time.time
        """Epoch seconds: when a request came (``RecordedRequest.time``), and what a
        rate-limit reset is counted from; a test on virtual time sets its fake clock's."""
        self.requests: list[RecordT] = []
        self.faults = Faults(fault_type)
        self.problems: list[str] = []
        self._stopping = threading.Event()
        self._servers: list[tuple[LoopbackHTTPServer, threading.Thread]] = []
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        self._request_ids = itertools.count(1)  # for the services' request-id headers

    # -- lifecycle -----------------------------------------------------------

    def _listen(self, host: str, port: int) -> LoopbackHTTPServer:
        """Serve on ``host:port`` (0: a free port) in a daemon thread, until ``stop``."""
        server = LoopbackHTTPServer((host, port), self.handler, self)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        thread.start()
        self._servers.append((server, thread))
        return server

    def start(self: FakeT) -> FakeT:
        self._listen("127.0.0.1", 0)
        return self

    def stop(self) -> None:
        """Stop listening, wake every delay, and shut the open connections.

        Shutting the kept-alive connections (not only the listener) is what
        lets a client blocked on a read, or a handler thread in a fault's
        delay, finish at once instead of holding up the test's teardown.
        """
        if not self._servers:
            return
        self._stopping.set()
        for server, _thread in self._servers:
            server.shutdown()
            server.server_close()
        with self._connections_lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._connections.clear()
        for _server, thread in self._servers:
            thread.join(timeout=5)
        self._servers.clear()

    def __enter__(self: FakeT) -> FakeT:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def check(self) -> None:
        """Fail if the fake met something it does not implement (or crashed)."""
        if self.problems:
            raise AssertionError(f"fake {self.name} problems:\n" + "\n".join(self.problems))

    # -- addresses -----------------------------------------------------------

    @staticmethod
    def _address(server: ThreadingHTTPServer) -> str:
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def url(self) -> str:
        assert self._servers, f"the fake {self.name} is not running"
        return self._address(self._servers[0][0])

    # -- the log -------------------------------------------------------------

    def requests_to(self, path_part: str, method: str | None = None) -> list[RecordT]:
        """Logged requests whose path contains ``path_part`` (and with ``method``)."""
        return [
            r
            for r in list(self.requests)
            if path_part in r.path and (method is None or r.method == method.upper())
        ]

    # -- answering -----------------------------------------------------------

    def wait(self, seconds: float) -> None:
        """Sleep, but wake up when the server stops (so delays never hold up teardown)."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def answer(self, record: RecordT) -> Response:
        """The real answer to a request (without faults), given under the world's lock.

        A ``Refusal`` raised on the way is the answer. A crash is recorded in
        ``problems`` (so the fixture fails the test) and answered 500 in the
        service's words.
        """
        try:
            with self.world.lock:
                return self._answer(record)
        except Refusal as refusal:
            return refusal.response
        except Exception:
            self.problems.append(
                f"fake {self.name} crashed on {record.method} {record.path}:\n"
                + traceback.format_exc()
            )
            return self._crash_response()

    def _answer(self, record: RecordT) -> Response:
        raise NotImplementedError

    def error(self, status: int, message: str) -> Response:
        """An error answer in the service's words."""
        raise NotImplementedError

    def refuse(self, status: int, message: str) -> NoReturn:
        """Answer ``status`` with ``message`` in the service's words, from wherever it is known."""
        raise Refusal(self.error(status, message))

    def gap(self, what: str) -> NoReturn:
        """Something the fake does not implement: recorded in ``problems`` (the fixture then
        fails the test) and answered 501, so the gap is loud, never a silent success."""
        text = f"fake {self.name} does not implement {what}"
        self.problems.append(text)
        self.refuse(501, text)

    def _crash_response(self) -> Response:
        raise NotImplementedError

    def fault_response(self, fault: FaultT, record: RecordT) -> Response:
        """The answer an injected fault with a ``status`` gives ``record``."""
        raise NotImplementedError


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A listener that knows its fake, and never waits for its handler threads."""

    daemon_threads = True
    block_on_close = False

    def __init__(
        self,
        address: tuple[str, int],
        handler: type[FakeHandler],
        fake: LoopbackFake[Any, Any],
    ) -> None:
        self.fake = fake
        super().__init__(address, handler)


class FakeHandler(BaseHTTPRequestHandler):
    """Reads a request, logs it, applies latency and faults, and writes the answer."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the real services do
    server_header: ClassVar[str] = "fake"
    json_content_type: ClassVar[str] = "application/json"
    record_type: ClassVar[type[RecordedRequest]] = RecordedRequest

    def version_string(self) -> str:
        return self.server_header

    @property
    def fake(self) -> LoopbackFake[Any, Any]:
        server = self.server
        assert isinstance(server, LoopbackHTTPServer)
        return server.fake

    def setup(self) -> None:
        super().setup()
        with self.fake._connections_lock:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        with self.fake._connections_lock:
            self.fake._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is the record."""

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = do_GET

    def _record_details(self, target: SplitResult) -> dict[str, Any]:
        """Fields a fake's own ``record_type`` adds to a logged request."""
        return {}

    def _serve(self) -> None:
        fake = self.fake
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        target = urlsplit(self.path)
        record = self.record_type(
            method=self.command,
            path=target.path,
            query=dict(parse_qsl(target.query, keep_blank_values=True)),
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
            time=fake.clock(),
            **self._record_details(target),
        )
        fake.requests.append(record)
        fake.wait(fake.latency)
        fault = record.fault = fake.faults.take(record)
        if fault is not None:
            fake.wait(fault.delay)
        response: Response | None = None
        if fault is None or fault.after_store or (fault.status is None and not fault.drop):
            response = fake.answer(record)
        if fault is not None and fault.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if fault is not None and fault.status is not None:
            response = fake.fault_response(fault, record)
        assert response is not None
        self._write(record, response)

    def _write(self, record: RecordedRequest, response: Response) -> None:
        payload = response.encoded()
        headers = {"Content-Type": self.json_content_type, **response.headers}
        if response.status == 204:
            payload = b""
            headers.pop("Content-Type", None)
        record.status = response.status
        record.response_headers = headers
        record.response_body = payload
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True


def running(fake: FakeT) -> Iterator[FakeT]:
    """The body of a fake's pytest fixture: serve, yield, stop, then fail on any gap met."""
    with fake:
        yield fake
    fake.check()
