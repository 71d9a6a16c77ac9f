"""Round two, case 6: answers without end, gzip bombs and JSON too deep to read.

Input: a server in place of GitHub, GitLab, Jira or Rootly that answers every
request with an endless chunked body (a mebibyte at a time, as fast as the
socket takes it), with an endless gzip stream (each kilobyte on the wire
inflates to a mebibyte: 10 GiB would take 10 MB), or with JSON nested
100,000 deep.

Expected: the source fails (exit 3, NOT VERIFIED) with one line naming the
URL and the 64 MiB limit, or calling the answer unreadable; the process
peaks under 400 MiB (about 165 MiB measured: the capped body and its copy;
it grew to 1.5 GB before, then died of a MemoryError, exit 4, which
``--on-error warn`` cannot accept).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from reliability.helpers import (
    NOW_ARG,
    JsonServer,
    check,
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    leaks,
    process_env,
)

MEBIBYTE = bytes(1 << 20)


def _gzip_blocks() -> tuple[bytes, bytes]:
    """A gzip header with a first deflate block, and a block that may follow it forever:
    after a full flush each mebibyte of zeros compresses to the same 1 KB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = compressor.compress(MEBIBYTE) + compressor.flush(zlib.Z_FULL_FLUSH)
    block = compressor.compress(MEBIBYTE) + compressor.flush(zlib.Z_FULL_FLUSH)
    return head, block


class FloodServer:
    """Answers every request with a 200 whose chunked body never ends."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._flood, args=(connection,), daemon=True).start()

    def _chunks(self) -> Iterator[bytes]:
        if self.mode == "endless":
            yield b"[" + b" " * ((1 << 20) - 1)
            while True:
                yield b" " * (1 << 20)
        head, block = _gzip_blocks()
        yield head
        for _ in range(10 * 1024):  # 10 GiB once inflated
            yield block

    def _flood(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.recv(65536)
                encoding = b"Content-Encoding: gzip\r\n" if self.mode == "bomb" else b""
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + encoding
                    + b"Transfer-Encoding: chunked\r\n\r\n"
                )
                for chunk in self._chunks():
                    if self.stop.is_set():
                        return
                    connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.listener.close()


@pytest.fixture
def flood(request: pytest.FixtureRequest) -> Iterator[FloodServer]:
    server = FloodServer(request.param)
    yield server
    server.close()


def _config(tmp_path: Path, backend: str, url: str) -> tuple[Path, dict[str, str | None]]:
    if backend == "github":
        return github_config(tmp_path, graphql_url=url + "/graphql", deadline="30s"), github_env()
    if backend == "rootly":
        config = tmp_path / "deploygate.toml"
        (tmp_path / "postmortems").mkdir(exist_ok=True)
        config.write_text(
            'source = ["local", "rootly"]\n[local]\npostmortems = "postmortems"\n'
            f'[rootly]\nurl = "{url}"\ndeadline = "30s"\n',
            encoding="utf-8",
        )
        return config, {**github_env(), "ROOTLY_API_TOKEN": "rootly-token"}
    return gitlab_config(tmp_path, url=url, deadline="30s"), gitlab_env()


_MEASURED = """
import atexit, re, sys
from pathlib import Path
peak_file = Path(sys.argv.pop(1))
def peak():
    status = Path("/proc/self/status").read_text()
    peak_file.write_text(re.search(r"VmHWM:\\s*(\\d+)", status).group(1))
atexit.register(peak)
from deploygate.cli import main
main()
"""
"""``deploygate`` in a process that writes its own peak memory (KiB, Linux's VmHWM) to a file
as it exits. getrusage will not do: a child's ru_maxrss starts at its parent's, the whole
test run's, because Linux keeps it across fork and exec."""


@pytest.mark.parametrize("flood", ["endless", "bomb"], indirect=True)
@pytest.mark.parametrize("backend", ["github", "gitlab", "rootly"])
def test_an_endless_or_inflating_answer_stops_at_the_cap(
    tmp_path: Path, flood: FloodServer, backend: str
) -> None:
    config, env = _config(tmp_path, backend, flood.url)
    peak_file = tmp_path / "peak"
    done = subprocess.run(
        [sys.executable, "-c", _MEASURED, str(peak_file), "check", "--config", str(config),
         "--service", "checkout", "--now", NOW_ARG],
        env=process_env(env), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 3, output
    assert "answered more than 64 MiB (decoded)" in output
    assert "NOT VERIFIED" in output
    peak = int(peak_file.read_text())  # KiB
    assert peak < 400 * 1024, f"{peak // 1024} MiB"
    assert leaks(output) == []


def _deep(method: str, path: str, body: bytes) -> tuple[int, dict[str, str], bytes]:
    return 200, {}, b"[" * 100_000 + b"]" * 100_000


@pytest.mark.parametrize("backend", ["github", "gitlab", "jira", "rootly"])
def test_json_nested_100000_deep_is_a_malformed_answer(tmp_path: Path, backend: str) -> None:
    """Exit 3 with the answer called unreadable: --on-error warn can then apply."""
    with JsonServer(_deep) as server:
        if backend == "jira":
            config = tmp_path / "deploygate.toml"
            config.write_text(
                'source = ["local", "jira"]\n[jira]\n'
                f'url = "{server.url}"\nprojects = ["OPS"]\ndeadline = "30s"\n',
                encoding="utf-8",
            )
            env: dict[str, str | None] = {**github_env(), "JIRA_API_TOKEN": "jira-token"}
        else:
            config, env = _config(tmp_path, backend, server.url)
        run = check(tmp_path, config, env)
    assert run.exit_code == 3, run.output
    assert "NOT VERIFIED" in run.output
    assert "internal error" not in run.output
    assert "Traceback" not in run.output
