"""The one place for timeouts, retries, deadlines and redaction of HTTP calls.

A deploy gate must never hang a pipeline and never leak a token, so every
request of every source goes through :class:`HttpClient`:

- one deadline for the whole check (default 60 s); no wait may cross it;
- bounded attempts with jittered exponential backoff on connection errors,
  timeouts, 5xx and 429, honouring ``Retry-After`` (seconds or an HTTP date)
  when it fits in the deadline;
- a primary rate limit (``X-RateLimit-Remaining: 0``) waits for its
  ``Retry-After``, else its reset (epoch seconds or ISO 8601), when that
  fits, and otherwise fails at once naming the reset time; it never sleeps
  for an hour;
- redirects are followed only on the configured origin, and by us: requests
  would carry every header but ``Authorization`` to another host;
- non-idempotent requests are sent once: a POST that timed out may have
  landed, so its caller decides what to do;
- every message that leaves this module has the secrets taken out.

See https://docs.github.com/en/rest/using-the-rest-api/best-practices-for-using-the-rest-api
"""

from __future__ import annotations

import email.utils
import random
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol

import requests

from deploygate.dates import parse_instant
from deploygate.errors import SourceError
from deploygate.model import Usage
from deploygate.redaction import redact
from deploygate.sanitize import terminal

RETRY_STATUSES = frozenset({500, 502, 503, 504})
_ASCII_DIGITS = re.compile(r"^[0-9]{1,4000}$")
"""Header numbers: str.isdigit() would accept '²', which int() then refuses."""
DEFAULT_DEADLINE = 60.0
DEFAULT_TIMEOUT = 20.0
MAX_ATTEMPTS = 5
MAX_REDIRECTS = 10
"""As many redirects on the same origin as one request follows (requests allows 30)."""
MAX_BODY_BYTES = 64 * 1024 * 1024
"""The largest answer read, once decompressed: a page of 100 issues is well under 1 MiB."""
MAX_IN_FLIGHT = 8
"""The most requests a source sends at once (the house limit, for every source): independent
listings, pages and look-ups go side by side so that a run waits for the slowest of eight
rather than their sum, yet stay within each platform's concurrency limits (GitHub's secondary
rate limit, GitLab's, Linear's complexity budget) and within the ten connections to a host
that requests keeps in its pool, so no connection is opened and dropped per request."""
_CHUNK_BYTES = 64 * 1024
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 8.0


@dataclass
class HttpStats:
    """Counters of one session, updated as requests go out (from several threads)."""

    requests: int = 0
    rate_limit_remaining: int | None = None
    rate_limit_limit: int | None = None

    def usage(self) -> Usage:
        """A snapshot for the report."""
        return Usage(self.requests, self.rate_limit_remaining, self.rate_limit_limit)


class Clock(Protocol):
    """Where an HttpClient reads the time and waits: the system's, or a test's fake."""

    def monotonic(self) -> float:
        """Seconds that never go back: what the deadline is measured on."""

    def time(self) -> float:
        """Epoch seconds: what Retry-After dates and rate-limit resets are compared with."""

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` before the next attempt."""

    def join(self, worker: threading.Thread, seconds: float) -> None:
        """Wait until ``worker`` (one attempt) ends, or ``seconds`` have passed."""

    def socket_timeout(self, seconds: float) -> float:
        """The real seconds a socket may wait for what this clock allows ``seconds`` for."""


class SystemClock:
    """The real clock: ``time.monotonic``, ``time.time``, ``time.sleep`` and ``Thread.join``."""

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def join(self, worker: threading.Thread, seconds: float) -> None:
        worker.join(seconds)

    def socket_timeout(self, seconds: float) -> float:
        return seconds


default_clock: Clock = SystemClock()
"""The clock of every HttpClient that is not handed one. Sources and sinks build their own
clients, so a test that runs the whole CLI in-process swaps this one for a fake."""


def _header_number(value: str | None, otherwise: Callable[[str], float | None]) -> float | None:
    """A header of seconds that may also be spelt another way: its whole number, else what
    ``otherwise`` reads in it; None when it is absent."""
    if value is None:
        return None
    value = value.strip()
    return float(value) if _ASCII_DIGITS.match(value) else otherwise(value)


def _retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (seconds, or an HTTP date); None when
    absent or junk."""

    def until(text: str) -> float | None:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        return max(0.0, moment.timestamp() - now)

    return _header_number(value, until)


def _reset_at(value: str | None) -> float | None:
    """When a rate limit resets, from ``X-RateLimit-Reset``; None when absent or junk.

    GitHub and GitLab send epoch seconds; Jira Cloud an ISO 8601 time to the
    minute, ``2026-12-03T02:40Z``
    (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/).
    """

    def instant(text: str) -> float | None:
        try:
            return parse_instant(text).timestamp()
        except ValueError:
            return None

    return _header_number(value, instant)


def _clock_time(epoch: float) -> str:
    try:
        return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (OverflowError, OSError, ValueError):
        return "a time too far away to name"


class HttpClient(requests.Session):
    """A requests session bound to one source, one deadline, its secrets and its host.

    Being a ``requests.Session``, it can be handed to a platform client
    (python-gitlab takes ``session=``), so that client's requests obey the
    same deadline, retries and host rule as ours.
    """

    def __init__(
        self,
        source: str,
        *,
        headers: Mapping[str, str],
        secrets: Iterable[str] = (),
        deadline: float = DEFAULT_DEADLINE,
        timeout: float = DEFAULT_TIMEOUT,
        max_attempts: int = MAX_ATTEMPTS,
        allowed_origin: str | None = None,
        clock: Clock | None = None,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        super().__init__()
        self.source = source
        self.secrets = tuple(secret for secret in secrets if secret)
        self.deadline = deadline
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.allowed_origin = _origin(allowed_origin) if allowed_origin else None
        """Only this scheme://host:port receives our headers; a link elsewhere is refused."""
        self.headers.update(headers)
        self._clock = clock or default_clock
        self._jitter = jitter
        self._ends_at = self._clock.monotonic() + deadline
        self.stats = HttpStats()
        self._stats_lock = threading.Lock()

    def fail(self, problem: str) -> SourceError:
        """A SourceError for this source with every secret taken out of ``problem``."""
        return SourceError(self.source, redact(problem, self.secrets))

    def _remaining(self) -> float:
        return self._ends_at - self._clock.monotonic()

    def _wait(self, seconds: float, why: str) -> None:
        if seconds > self._remaining():
            if seconds < 0.5:  # "waiting 0 s would pass the deadline" puzzles
                raise self.fail(
                    f"{why}; no time was left to try again before the {self.deadline:.0f} s "
                    "deadline"
                )
            raise self.fail(
                f"{why}; waiting {seconds:.0f} s would pass the {self.deadline:.0f} s deadline"
            )
        self._clock.sleep(max(0.0, seconds))

    def wait_for_reset(
        self, response: requests.Response, why: str, header: str = "X-RateLimit-Reset"
    ) -> None:
        """Wait for the reset ``header`` names when it comes before the deadline, else fail
        naming it. A reset past the year 5138 in seconds is read as milliseconds, as Linear
        sends ``X-RateLimit-Requests-Reset``."""
        now = self._clock.time()
        reset = _reset_at(response.headers.get(header))
        if reset is not None and reset > 1e11:
            reset /= 1000
        reset = now + 60 if reset is None else reset
        self._wait(max(0.0, reset - now) + 1, f"{why} until {_clock_time(reset)}")

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter, so that retrying clients do not march in step."""
        ceiling: float = min(_BACKOFF_CAP, _BACKOFF_BASE * 2.0**attempt)
        return ceiling / 2 + self._jitter() * ceiling / 2

    def _note_rate_limit(self, response: requests.Response) -> None:
        # GitHub says X-RateLimit-*, GitLab RateLimit-*, Linear X-RateLimit-Requests-*;
        # requests' headers ignore case.
        headers = response.headers
        remaining = (
            headers.get("X-RateLimit-Remaining")
            or headers.get("RateLimit-Remaining")
            or headers.get("X-RateLimit-Requests-Remaining")
        )
        limit = (
            headers.get("X-RateLimit-Limit")
            or headers.get("RateLimit-Limit")
            or headers.get("X-RateLimit-Requests-Limit")
        )
        if remaining is not None and _ASCII_DIGITS.match(remaining):
            self.stats.rate_limit_remaining = int(remaining)
        if limit is not None and _ASCII_DIGITS.match(limit):
            self.stats.rate_limit_limit = int(limit)

    def _rate_limit_wait(self, response: requests.Response) -> tuple[float, str] | None:
        """How long a rate-limited response asks us to wait, and why; None if not rate-limited."""
        if response.status_code not in (403, 429) and response.status_code not in RETRY_STATUSES:
            return None
        headers = response.headers
        now = self._clock.time()
        retry_after = _retry_after(headers.get("Retry-After"), now)
        if response.status_code in (403, 429) and headers.get("X-RateLimit-Remaining") == "0":
            # An explicit Retry-After wins: Jira Cloud sends it with a reset to the minute.
            reset = _reset_at(headers.get("X-RateLimit-Reset"))
            if retry_after is None:
                reset = now + 60 if reset is None else reset
                retry_after = max(0.0, reset - now)
            elif reset is None:
                reset = now + retry_after
            return retry_after, f"rate limit exhausted until {_clock_time(reset)}"
        if retry_after is not None:
            return retry_after, f"asked to retry after {retry_after:.0f} s"
        if response.status_code in RETRY_STATUSES:
            return None
        if response.status_code == 429 or "secondary rate limit" in response.text.lower():
            return -1.0, "secondary rate limit"  # no hint: back off like any retry
        return None

    def _bounded(self, method: str, url: str, remaining: float, **kwargs: Any) -> requests.Response:
        """One attempt, body included, that returns by ``remaining`` seconds whatever the server.

        requests' read timeout applies to each read of the socket, so a server
        that drips a byte a second never trips it. The attempt therefore runs
        in a daemon thread that is abandoned at the deadline: the check ends
        on time, and the thread ends with the process.
        """
        outcome: dict[str, Any] = {}

        def attempt() -> None:
            try:
                kwargs["stream"] = True
                response = requests.Session.request(self, method, url, **kwargs)
                _read_capped(response)  # the whole body, decoded, inside the bound and the cap
                outcome["response"] = response
            except BaseException as error:  # handed to the caller's thread below
                outcome["error"] = error

        worker = threading.Thread(target=attempt, daemon=True, name="deploygate-http")
        worker.start()
        self._clock.join(worker, max(0.0, remaining))
        if worker.is_alive():
            raise _PastDeadline
        if isinstance(outcome.get("error"), _TooLarge):
            raise self.fail(
                f"{method} {_path(url)} answered more than {MAX_BODY_BYTES // (1024 * 1024)} MiB "
                "(decoded); refused: no answer deploygate asks for is that large"
            )
        if "error" in outcome:
            raise outcome["error"]
        response: requests.Response = outcome["response"]
        return response

    def request(  # type: ignore[override]  # narrower than Session.request, on purpose
        self,
        method: str | bytes,
        url: str | bytes,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> requests.Response:
        """Send one request, retrying what is safe to retry, inside the deadline.

        Reads (GET, HEAD) are retried; writes only when the caller says they
        are idempotent (a GraphQL query is a POST that changes nothing).
        Returns the final response whatever its status (the caller knows what
        a 404 means for it); raises SourceError when no answer came in time.

        Redirects are followed here, not by requests: requests drops only
        ``Authorization`` when a redirect changes host, so python-gitlab's
        ``PRIVATE-TOKEN`` and a GraphQL body would go wherever a ``Location``
        points. A redirect on the same origin (GitHub's 301 and 307 for a
        renamed repository) is followed, at most ``MAX_REDIRECTS`` times; one
        to another origin fails the source. ``allow_redirects=False`` (how
        PyGithub asks) returns the redirect to the caller, whose next request
        comes back through here.
        """
        method = method.decode() if isinstance(method, bytes) else method
        url = url.decode() if isinstance(url, bytes) else url
        if self.allowed_origin is not None and _origin(url) != self.allowed_origin:
            raise self.fail(
                f"refusing to send the token to {_origin(url)}: only {self.allowed_origin} is "
                "configured"
            )
        origin = self.allowed_origin or _origin(url)
        follow = kwargs.pop("allow_redirects", True)
        history: list[requests.Response] = []
        while True:
            response = self._send(method, url, idempotent, **kwargs)
            if not follow or not response.is_redirect:
                response.history = history
                return response
            history.append(response)
            target = urllib.parse.urljoin(url, self.get_redirect_target(response) or "")
            if _origin(target) != origin:
                raise self.fail(
                    f"{method} {_path(url)} was redirected ({response.status_code}) to "
                    f"{_origin(target)}; refused: the token is only sent to {origin}"
                )
            if len(history) > MAX_REDIRECTS:
                raise self.fail(
                    f"{method} {_path(url)} was redirected more than {MAX_REDIRECTS} times"
                )
            # The Location is the whole next URL: sending params again would repeat them.
            kwargs.pop("params", None)
            if _redirect_method(method, response.status_code) != method:
                method, idempotent = "GET", None
                for body in ("data", "json", "files"):
                    kwargs.pop(body, None)
                headers = dict(kwargs.get("headers") or {})
                for name in [name for name in headers if name.lower() == "content-type"]:
                    del headers[name]
                kwargs["headers"] = headers
            url = target

    def _send(
        self, method: str, url: str, idempotent: bool | None, **kwargs: Any
    ) -> requests.Response:
        """One request, its retries and waits, without following a redirect."""
        if idempotent is None:
            idempotent = method.upper() in ("GET", "HEAD", "OPTIONS")
        kwargs.pop("timeout", None)
        kwargs["allow_redirects"] = False
        last_problem = "no attempt was made"
        attempts = self.max_attempts if idempotent else 1
        for attempt in range(attempts):
            remaining = self._remaining()
            if remaining <= 0:
                break
            with self._stats_lock:
                self.stats.requests += 1
            try:
                response = self._bounded(
                    method,
                    url,
                    remaining,
                    timeout=(
                        self._clock.socket_timeout(min(5.0, remaining)),
                        self._clock.socket_timeout(min(self.timeout, remaining)),
                    ),
                    **kwargs,
                )
            except _PastDeadline:
                raise self.fail(
                    f"{method} {_path(url)} timed out: no complete answer within the "
                    f"{self.deadline:.0f} s deadline (the server answers too slowly or not at all)"
                ) from None
            except requests.RequestException as error:
                last_problem = f"{method} {_path(url)} {_what_happened(error)}"
            else:
                self._note_rate_limit(response)
                limited = self._rate_limit_wait(response)
                if limited is None and response.status_code not in RETRY_STATUSES:
                    return response
                last_problem = f"{method} {_path(url)} answered {response.status_code}"
                if limited is not None:
                    seconds, why = limited
                    last_problem = f"{last_problem}: {why}"
                    if attempt + 1 < attempts and seconds >= 0:
                        self._wait(seconds + 1, last_problem)
                        continue
            if attempt + 1 < attempts:
                self._wait(self._backoff(attempt), last_problem)
        if self._remaining() <= 0:
            raise self.fail(f"{last_problem}; gave up at the {self.deadline:.0f} s deadline")
        tries = (
            "once (not retried: it may have taken effect)"
            if attempts == 1
            else (f"{attempts} times")
        )
        raise self.fail(f"{last_problem}; tried {tries}")


class _PastDeadline(Exception):
    """An attempt still running when the deadline came."""


class _TooLarge(Exception):
    """An answer past MAX_BODY_BYTES once decoded."""


def _read_capped(response: requests.Response) -> None:
    """Read ``response``'s body as it streams in, decompressed, and stop past the cap.

    An endless chunked body or a gzip bomb would otherwise grow in memory
    until the runner is killed; the deadline alone does not stop one that
    arrives fast.
    """
    body = bytearray()
    for chunk in response.iter_content(chunk_size=_CHUNK_BYTES):
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            response.close()
            raise _TooLarge
    response._content = bytes(body)  # what requests itself sets once it has read the body
    response._content_consumed = True


def decoded(response: requests.Response) -> Any:
    """``response.json()``; JSON nested too deep for Python to read is a ValueError too.

    Every source reads its answers through this, so such an answer is a
    malformed one (exit 3, which ``--on-error warn`` may accept), never a
    RecursionError that ends the run as a bug.
    """
    try:
        return response.json()
    except RecursionError:
        raise ValueError("JSON nested too deeply to read") from None


def error_said(
    response: requests.Response, messages: Callable[[Any], Iterable[object]], limit: int = 300
) -> str:
    """What an error answer says, as ``messages`` reads it from the decoded JSON, on one
    escaped line of at most ``limit`` characters; empty when it is no JSON or says nothing.
    Each vendor shapes its errors its own way; reading them safely is the same for all."""
    try:
        payload = decoded(response)
    except ValueError:
        return ""
    return terminal("; ".join(str(message) for message in messages(payload) if message))[:limit]


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _redirect_method(method: str, status: int) -> str:
    """The method a browser (and requests) sends after ``status``: a 303, or a 302 or 301
    answering a POST, becomes a GET without its body; 307 and 308 keep both."""
    verb = method.upper()
    if verb != "HEAD" and (status in (302, 303) or (status == 301 and verb == "POST")):
        return "GET"
    return method


def _origin(url: str) -> str:
    """scheme://host[:port], the default port left out: PyGithub always writes it."""
    parts = urllib.parse.urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return f"{parts.scheme}://{parts.netloc}".lower()
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS.get(parts.scheme.lower()):
        host = f"{host}:{port}"
    return f"{parts.scheme}://{host}".lower()


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and what it wraps: requests wraps urllib3, which wraps the socket's error."""
    found: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending and len(found) < 20:
        current = pending.pop()
        if current is None or any(current is seen for seen in found):
            continue
        found.append(current)
        wrapped = [arg for arg in current.args if isinstance(arg, BaseException)]
        reason = getattr(current, "reason", None)
        pending += [current.__cause__, current.__context__, *wrapped]
        pending += [reason] if isinstance(reason, BaseException) else []
    return found


def _what_happened(error: requests.RequestException) -> str:
    """What became of an attempt, after its method and URL: ``timed out``, or ``failed: ``
    and why in words (requests' class names mean little at a terminal)."""
    if isinstance(error, requests.Timeout) or any(
        # requests wraps some read timeouts in a ConnectionError ("Read timed out."); a
        # timeout is what it was, so that is what the line says.
        isinstance(cause, TimeoutError)
        for cause in _causes(error)
    ):
        return "timed out"
    return f"failed: {_why(error)}"


def _why(error: requests.RequestException) -> str:
    """Why an attempt failed, in words."""
    if isinstance(error, requests.exceptions.SSLError):
        return "the TLS handshake failed (an untrusted certificate, or no TLS at that address)"
    if isinstance(error, requests.exceptions.ProxyError):
        return "the proxy refused or failed the connection"
    if isinstance(error, requests.exceptions.ChunkedEncodingError):
        return "the connection closed before the answer was complete"
    if isinstance(error, requests.exceptions.ContentDecodingError):
        return "the answer's compressed body could not be decoded"
    if not isinstance(error, requests.ConnectionError):
        return type(error).__name__
    causes = _causes(error)
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return "the connection was refused (nothing listens at that address)"
    if any(isinstance(cause, socket.gaierror) for cause in causes):
        return "the host name could not be resolved"
    if any(isinstance(cause, ConnectionResetError) for cause in causes):  # RemoteDisconnected too
        return "the connection closed before an answer came"
    # Anything else (a broken pipe on a reused connection, no local port left, ...) is
    # named by the system's own words, so the one line says which it was.
    system = next(
        (cause for cause in causes if isinstance(cause, OSError) and cause.strerror), None
    )
    return f"could not connect ({system.strerror})" if system else "could not connect"


def _path(url: str) -> str:
    """The URL without its query: enough to say what failed, and no tokens in parameters."""
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
