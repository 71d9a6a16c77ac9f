"""The test suite is offline: a connection to anything but loopback fails, loudly.

Every fake (GitHub, GitLab, Jira, the raw servers) listens on 127.0.0.1, so a
test that reaches further has a URL that escaped its fake: a default
``api.github.com``, a token sent where it should not go. On a laptop that
request would really leave; in CI it would hang until a timeout. Here it
fails at once, naming the address, and the test fails even when the code
under test caught the error.

Where it is installed:

* in the pytest process, by an autouse fixture in conftest.py, which fails
  the test at teardown if anything was refused during it;
* in every Python process a test starts that inherits the environment
  (``python -m deploygate`` of tests/reliability/helpers.py ``Launch``, the
  console script in test_cli.py and sources/local/test_store.py): conftest.py puts
  netguard_site/ on ``PYTHONPATH``, whose ``sitecustomize`` installs it, and
  each refusal is appended to the file named by ``NETGUARD_LOG``, which the
  same fixture reads.

Not covered: processes started with an environment of their own (the
Actions runner model of test_action.py, gitlab-ci-local's jobs, npm and
Chromium; test_action.py's install step reaches the machine's package index
on purpose), programs that are not Python, and name lookups, which go through
the C library rather than a Python socket (a name that does not resolve
fails as it would without the guard; one that resolves is refused at
connect).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

LOG_VARIABLE = "NETGUARD_LOG"
"""The file a guarded subprocess appends each refused address to, one a line."""
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class OffTheNetwork(RuntimeError):
    """A test tried to connect beyond loopback.

    Not an OSError on purpose: requests and urllib3 would take an OSError for
    a refused connection and retry it quietly.
    """


def allowed(family: int, address: Any) -> bool:
    """Whether ``address`` (as ``socket.connect`` takes it) is loopback or a unix socket."""
    if family == getattr(socket, "AF_UNIX", None) or isinstance(address, str | bytes):
        return True
    host = str(address[0]).lower() if isinstance(address, tuple) and address else ""
    if family == socket.AF_INET6:
        return host in ("::1", "0:0:0:0:0:0:0:1") or host.startswith("::ffff:127.")
    return host.startswith("127.") or host in LOOPBACK_NAMES


def message(address: Any) -> str:
    return (
        f"the tests are offline: a connection to {address!r} was refused by tests/netguard.py "
        "(only 127.0.0.0/8, ::1 and unix sockets are allowed); point the test at a fake "
        "on loopback"
    )


_refused: list[str] = []
_lock = threading.Lock()


def refused() -> list[str]:
    """What this process refused since the last ``forget``, one message each."""
    with _lock:
        return list(_refused)


def forget() -> None:
    """Clear the refusals of this process (a test that provokes one on purpose)."""
    with _lock:
        _refused.clear()


def install(on_refusal: Callable[[str], None] | None = None) -> None:
    """Guard ``socket.socket.connect`` and ``connect_ex`` (``socket.create_connection`` and
    every library above them connect through these) for the rest of this process."""
    if getattr(socket.socket.connect, "netguard", False):
        return
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def check(sock: socket.socket, address: Any) -> None:
        if allowed(sock.family, address):
            return
        text = message(address)
        with _lock:
            _refused.append(text)
        if on_refusal is not None:
            on_refusal(text)
        raise OffTheNetwork(text)

    def connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return real_connect_ex(self, address)

    connect.netguard = True  # type: ignore[attr-defined]
    socket.socket.connect = connect  # type: ignore[method-assign]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]


def install_in_subprocess() -> None:
    """What netguard_site/sitecustomize.py runs: guard, and log each refusal for the test."""
    log = os.environ.get(LOG_VARIABLE)

    def append(text: str) -> None:
        if log:
            with Path(log).open("a", encoding="utf-8") as file:
                file.write(f"pid {os.getpid()}: {text}\n")

    install(append)
