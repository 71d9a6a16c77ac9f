"""The network guard (netguard.py): beyond loopback, every test and the processes it starts
fail loudly; loopback and unix sockets work as ever."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

import netguard
import pytest
from conftest import Offline
from reliability.helpers import Launch, github_config, github_env

from deploygate.http import HttpClient

BEYOND = ("192.0.2.1", 443)
"""TEST-NET-1 (RFC 5737): never routed, so a guard that failed would time out, not leak."""


def test_a_connection_beyond_loopback_is_refused_naming_the_address(offline: Offline) -> None:
    with pytest.raises(netguard.OffTheNetwork, match=r"the tests are offline: .*192\.0\.2\.1"):
        socket.create_connection(BEYOND, timeout=1)
    with socket.socket() as sock, pytest.raises(netguard.OffTheNetwork):
        sock.connect_ex(BEYOND)
    with socket.socket(socket.AF_INET6) as sock, pytest.raises(netguard.OffTheNetwork):
        sock.connect(("2001:db8::1", 443))
    assert len(offline.refused()) == 3
    offline.forgive()


def test_the_refusal_fails_the_test_even_when_the_code_caught_it(offline: Offline) -> None:
    """deploygate's HttpClient does not hide it as a refused connection to retry: it is no
    OSError; and had it been caught, the fixture still has it for teardown."""
    client = HttpClient("github", headers={}, deadline=5)
    with pytest.raises(netguard.OffTheNetwork):
        client.request("GET", "http://192.0.2.1/repos/acme/shop")
    assert client.stats.requests == 1  # not retried
    assert [text for text in offline.refused() if "192.0.2.1" in text] == offline.refused()
    assert offline.refused()
    offline.forgive()


def test_loopback_and_unix_sockets_still_connect(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as server:
        accepted = threading.Thread(target=server.accept, daemon=True)
        accepted.start()
        socket.create_connection(server.getsockname(), timeout=5).close()
        accepted.join(5)
    path = str(tmp_path / "s")
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(path)
        server.listen()
        with socket.socket(socket.AF_UNIX) as client:
            client.connect(path)
    assert netguard.allowed(socket.AF_INET, ("127.0.0.2", 80))
    assert netguard.allowed(socket.AF_INET6, ("::1", 80, 0, 0))
    assert netguard.allowed(socket.AF_INET, ("localhost", 80))
    assert not netguard.allowed(socket.AF_INET, ("api.github.com", 443))
    assert not netguard.allowed(socket.AF_INET6, ("::ffff:10.0.0.1", 443))


def test_a_python_process_the_test_starts_is_guarded_too(offline: Offline) -> None:
    code = f"import socket; socket.create_connection({BEYOND!r}, timeout=1)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=False)  # fmt: skip
    assert result.returncode != 0
    assert "OffTheNetwork: the tests are offline" in result.stderr
    [logged] = offline.refused()
    assert logged.startswith("pid ")
    assert "192.0.2.1" in logged
    offline.forgive()


def test_a_real_deploygate_process_is_refused_and_says_so(tmp_path: Path, offline: Offline) -> None:
    """A launched ``python -m deploygate check`` whose GitHub is beyond loopback: the guard
    refuses the connection in the child, and the test sees it in the log."""
    config = github_config(tmp_path, graphql_url="http://192.0.2.1/graphql")
    run = Launch(tmp_path, config, github_env(), limit=60).wait()
    assert run.exit_code == 4, run.output
    assert "the tests are offline" in run.stderr
    assert offline.refused()
    offline.forgive()
