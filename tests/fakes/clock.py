"""Virtual time for deploygate's HttpClient: every wait is instant, recorded, and exact.

Why: a test of retries, backoff, Retry-After or the deadline checks the
arithmetic of waiting. On the wall clock it also measures the machine: a
2 s deadline on a busy two-core machine may be half gone before the first
request, and a reset to the minute depends on which second of the minute
the test runs in. On this clock time passes only when the client waits, so
the same run waits the same seconds every time, and costs none of them.

How time passes:

* ``sleep(s)`` (a backoff, a Retry-After, a rate-limit reset) moves the
  calling thread's time on by ``s`` at once.
* ``join(worker, s)`` (one bounded attempt) waits for the real answer, and
  an answer costs ``answer_seconds`` of virtual time (none by default)
  however slow the machine. Only an attempt
  still running after ``patience`` real seconds counts as having taken all
  of ``s``: a hung or dripping server is abandoned at the deadline. Tests
  against such a server set a short ``patience``; the default is a hang
  detector, far longer than any answer of a fake on loopback.
* Each thread keeps its own time: the sources read two listings side by
  side, and two threads that each wait 1 s have waited 1 s, not 2. A thread
  starts at the main thread's time when it first reads the clock, as the
  sources' worker threads start from the main thread, which waits for them.
  A fake server sees the furthest time any thread has reached
  (``latest_time``), so a reset that one client waited for has passed.

Real-time behaviour (a daemon thread really abandoned, a socket really
dripping) is what the canary tests in tests/reliability keep on the wall clock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

PATIENCE = 30.0
"""Real seconds an attempt is waited for, by default, before it counts as past its deadline."""
START = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
"""The tests' NOW (tests/conftest.py), on the minute, so a reset written to the minute
(Jira's) is the current minute: it has just passed."""
MONOTONIC_START = 1_000.0


@dataclass(frozen=True)
class Wait:
    """One wait of the client: in which thread, when (seconds from the start), how long."""

    thread: str
    at: float
    seconds: float
    kind: Literal["sleep", "attempt"]
    """``sleep`` between attempts, or ``attempt``: a bounded attempt that used up its time."""


class FakeClock:
    """A ``deploygate.http.Clock`` on virtual time; see the module docstring."""

    def __init__(
        self, start: datetime = START, *, patience: float = PATIENCE, answer_seconds: float = 0.0
    ) -> None:
        self.start = start
        self.patience = patience
        """Real seconds a bounded attempt is waited for before it counts as past its deadline."""
        self.answer_seconds = answer_seconds
        """Virtual seconds every answer takes to come: a server that is slow, not hung."""
        self.waits: list[Wait] = []
        self._lock = threading.Lock()
        self._local = threading.local()
        self._latest = 0.0
        self._main_elapsed = 0.0

    # -- the deploygate.http.Clock protocol ---------------------------------

    def monotonic(self) -> float:
        return MONOTONIC_START + self.elapsed()

    def time(self) -> float:
        return self.start.timestamp() + self.elapsed()

    def sleep(self, seconds: float) -> None:
        self._advance(seconds, "sleep")

    def join(self, worker: threading.Thread, seconds: float) -> None:
        worker.join(self.patience)
        if worker.is_alive():
            self._advance(seconds, "attempt")
        else:  # an answer that came; at the latest, as the bound ran out
            self._advance(min(self.answer_seconds, seconds), None)

    def socket_timeout(self, seconds: float) -> float:
        """As long as ``join`` waits: on virtual time, what is left of the deadline says
        nothing of how long a busy machine takes to answer on loopback, so a socket given
        that many real seconds would time out for no reason of the server's."""
        return self.patience

    # -- for tests and fake servers -------------------------------------------

    def elapsed(self) -> float:
        """Seconds the calling thread has waited since the start."""
        if not hasattr(self._local, "elapsed"):
            self._local.elapsed = self._main_elapsed
        elapsed: float = self._local.elapsed
        return elapsed

    def latest_time(self) -> float:
        """Epoch seconds as far as any thread has got: the time a fake server sees."""
        return self.start.timestamp() + self._latest

    def latest_datetime(self) -> datetime:
        return datetime.fromtimestamp(self.latest_time(), tz=timezone.utc)

    def sleeps(self) -> list[float]:
        """The seconds of every sleep, in order."""
        return [wait.seconds for wait in self.waits if wait.kind == "sleep"]

    def sleeps_by_thread(self, since: int = 0) -> dict[str, list[float]]:
        """The sleeps of each thread from ``waits[since]`` on (one run's, when a test makes
        several): one listing's retries, when a source reads side by side."""
        grouped: dict[str, list[float]] = {}
        for wait in self.waits[since:]:
            if wait.kind == "sleep":
                grouped.setdefault(wait.thread, []).append(wait.seconds)
        return grouped

    def longest(self) -> float:
        """The most seconds any thread has waited: how long the run took on this clock.

        To the nanosecond: the client reads the time left as the deadline minus the
        clock, both floats far from zero, so a wait up to the deadline may add up to it
        plus a rounding error of ~1e-14 s, which is no time at all."""
        return round(self._latest, 9)

    def drive(self, *fakes: Any) -> None:
        """Make each fake server (``fakes.server.LoopbackFake``) and its world tell the
        time by this clock, so a reset it announces is one the client can wait for."""
        for fake in fakes:
            fake.clock = self.latest_time
            if callable(getattr(fake.world, "clock", None)):
                fake.world.clock = self.latest_datetime

    def _advance(self, seconds: float, kind: Literal["sleep", "attempt"] | None) -> None:
        with self._lock:
            at = self.elapsed()
            if kind is not None:
                self.waits.append(Wait(threading.current_thread().name, at, seconds, kind))
            self._local.elapsed = at + seconds
            self._latest = max(self._latest, at + seconds)
            if threading.current_thread() is threading.main_thread():
                self._main_elapsed = at + seconds
