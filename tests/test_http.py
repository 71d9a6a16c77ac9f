"""The HTTP client against a scripted server on loopback: retries, deadlines, limits, secrets."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from fakes.clock import FakeClock
from reliability.helpers import RawServer

from deploygate.errors import SourceError
from deploygate.http import HttpClient, _origin, error_said

TOKEN = "ghs_CANARY_0123456789abcdef"


@dataclass
class Script:
    """Answers in order; the last one repeats. Each is (status, headers, body)."""

    answers: list[tuple[int, dict[str, str], str]]
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def next(self) -> tuple[int, dict[str, str], str]:
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script([(200, {}, "{}")])

    class Handler(BaseHTTPRequestHandler):
        def handle_one(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(length)
            script.seen.append((self.command, self.path, dict(self.headers)))
            status, headers, body = script.next()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body.encode())))
            self.end_headers()
            self.wfile.write(body.encode())

        do_GET = do_POST = handle_one

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script
    httpd.shutdown()
    httpd.server_close()


def client(clock: FakeClock, deadline: float = 60.0) -> HttpClient:
    return HttpClient(
        "github",
        headers={"Authorization": f"bearer {TOKEN}"},
        secrets=[TOKEN],
        deadline=deadline,
        clock=clock,
        jitter=lambda: 0.5,
    )


def test_5xx_is_retried_with_growing_gaps_then_succeeds(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, {}, ""), (503, {}, ""), (500, {}, ""), (200, {}, '{"ok": true}')]
    clock = FakeClock()
    response = client(clock).request("GET", f"{url}/x")
    assert response.json() == {"ok": True}
    assert len(script.seen) == 4
    assert clock.sleeps() == sorted(clock.sleeps())
    assert clock.sleeps()[0] < clock.sleeps()[-1]


def test_a_5xx_storm_gives_up_after_bounded_attempts(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, {}, "")]
    clock = FakeClock()
    with pytest.raises(SourceError, match=r"answered 502; tried 5 times"):
        client(clock).request("GET", f"{url}/x")
    assert len(script.seen) == 5
    assert sum(clock.sleeps()) < 60


def test_a_post_is_never_retried(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, {}, "")]
    with pytest.raises(SourceError, match="not retried: it may have taken effect"):
        client(FakeClock()).request("POST", f"{url}/x", json={}, idempotent=False)
    assert len(script.seen) == 1


def test_primary_rate_limit_with_a_distant_reset_fails_at_once_naming_it(
    server: tuple[str, Script],
) -> None:
    url, script = server
    clock = FakeClock()
    reset = int(clock.time() + 3600)
    script.answers = [(403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(reset)}, "")]
    expected = datetime.fromtimestamp(reset, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    with pytest.raises(SourceError, match=f"rate limit exhausted until {expected}"):
        client(clock).request("GET", f"{url}/x")
    assert clock.sleeps() == []
    assert len(script.seen) == 1


def test_primary_rate_limit_resetting_soon_is_waited_out(server: tuple[str, Script]) -> None:
    url, script = server
    clock = FakeClock()
    reset = str(int(clock.time() + 2))
    script.answers = [
        (403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, ""),
        (200, {"X-RateLimit-Remaining": "4999", "X-RateLimit-Limit": "5000"}, "{}"),
    ]
    http = client(clock)
    assert http.request("GET", f"{url}/x").status_code == 200
    assert clock.sleeps() == [3.0]
    assert (http.stats.requests, http.stats.rate_limit_remaining) == (2, 4999)


@pytest.mark.parametrize(
    ("retry_after", "outcome"),
    [
        ("2", [3.0]),
        ("86400", "asked to retry after 86400 s"),
        ("-5", "backoff"),
        ("abc", "backoff"),
        (None, "backoff"),
    ],
)
def test_retry_after_is_honoured_when_it_fits_and_junk_is_ignored(
    server: tuple[str, Script], retry_after: str | None, outcome: object
) -> None:
    url, script = server
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    script.answers = [(429, headers, ""), (200, {}, "{}")]
    clock = FakeClock()
    if isinstance(outcome, str) and outcome != "backoff":
        with pytest.raises(SourceError, match=outcome):
            client(clock).request("GET", f"{url}/x")
        return
    assert client(clock).request("GET", f"{url}/x").status_code == 200
    if outcome == "backoff":
        assert len(clock.sleeps()) == 1
        assert 0 < clock.sleeps()[0] < 2
    else:
        assert clock.sleeps() == outcome


def test_retry_after_as_an_http_date(server: tuple[str, Script]) -> None:
    url, script = server
    clock = FakeClock()
    when = datetime.fromtimestamp(clock.time(), tz=timezone.utc) + timedelta(seconds=5)
    script.answers = [
        (503, {"Retry-After": format_datetime(when, usegmt=True)}, ""),
        (200, {}, "{}"),
    ]
    assert client(clock).request("GET", f"{url}/x").status_code == 200
    assert clock.sleeps() == [6.0]


def test_the_deadline_bounds_every_wait(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, {}, "")]
    clock = FakeClock()
    with pytest.raises(SourceError, match="deadline"):
        client(clock, deadline=1.0).request("GET", f"{url}/x")
    assert sum(clock.sleeps()) <= 1.0


def test_unreachable_server_is_a_clear_source_error() -> None:
    clock = FakeClock()
    with pytest.raises(SourceError) as caught:
        client(clock).request("GET", "http://127.0.0.1:9/x")
    assert str(caught.value).endswith(
        "GET http://127.0.0.1:9/x failed: the connection was refused (nothing listens at that "
        "address); tried 5 times"
    )


def test_a_connection_dropped_mid_body_is_told_in_words() -> None:
    """Half a body, then the connection closes: requests calls it ChunkedEncodingError."""
    with RawServer("drop") as raw:
        url = raw.url
        with pytest.raises(SourceError) as caught:
            client(FakeClock()).request("GET", f"{url}/x")
    assert str(caught.value).endswith(
        f"GET {url}/x failed: the connection closed before the answer was complete; tried 5 times"
    )


def test_a_backoff_past_the_deadline_says_no_time_was_left(server: tuple[str, Script]) -> None:
    """The first answer takes 2.8 s of the 3 s deadline, and the first backoff (0.375 s
    here) does not fit in the 0.2 s left: the attempt is not made, and the
    message says so rather than "waiting 0 s would pass the deadline"."""
    url, script = server
    script.answers = [(502, {}, "")]
    clock = FakeClock(answer_seconds=2.8)
    http = HttpClient("github", headers={}, deadline=3.0, clock=clock, jitter=lambda: 0.5)
    with pytest.raises(SourceError) as caught:
        http.request("GET", f"{url}/x")
    assert str(caught.value).endswith(
        "answered 502; no time was left to try again before the 3 s deadline"
    )
    assert len(script.seen) == 1
    assert clock.sleeps() == []


def test_secrets_never_appear_in_errors(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, {}, json.dumps({"echo": TOKEN}))]
    with pytest.raises(SourceError) as caught:
        client(FakeClock()).request("GET", f"{url}/x?token={TOKEN}")
    assert TOKEN not in str(caught.value)
    assert script.seen[0][2]["Authorization"] == f"bearer {TOKEN}"


def test_the_token_goes_to_its_origin_however_the_default_port_is_written(
    server: tuple[str, Script],
) -> None:
    """PyGithub writes every URL with its port (``https://host:443/...``): the same origin.
    Another port or host is refused before anything is sent."""
    url, script = server
    port = url.rsplit(":", 1)[1]
    session = HttpClient("github", headers={}, allowed_origin=f"{url}/api/v3/")
    assert session.request("GET", f"http://127.0.0.1:{port}/x").status_code == 200
    assert session.request("GET", f"HTTP://127.0.0.1:{port}/y").status_code == 200
    assert len(script.seen) == 2
    assert _origin("https://API.example.test:443/api/v3") == _origin("https://api.example.test")
    assert _origin("http://[::1]:80/x") == "http://[::1]"
    assert _origin("https://api.example.test:8443/") == "https://api.example.test:8443"
    for elsewhere in (f"http://127.0.0.1:{int(port) + 1}/x", f"http://localhost:{port}/x"):
        with pytest.raises(SourceError, match="refusing to send the token"):
            session.request("GET", elsewhere)
    assert len(script.seen) == 2


def test_pygithub_sends_through_the_http_client_while_in_use_and_only_then(
    server: tuple[str, Script], fake_clock: FakeClock
) -> None:
    """The PR comment's PyGithub: a 502 on a read is retried by HttpClient (PyGithub's own
    retries are off), the token goes in PyGithub's header, and the swap ends with the block."""
    from github.Requester import HTTPSRequestsConnectionClass, Requester

    from deploygate.platforms.github.client import github_on_session

    url, script = server
    script.answers = [(502, {}, ""), (200, {"Content-Type": "application/json"}, '{"login": "me"}')]
    with github_on_session(url, TOKEN, deadline=30) as github:
        assert github.get_user().login == "me"
    assert [path for _method, path, _headers in script.seen] == ["/user", "/user"]
    assert len(fake_clock.sleeps()) == 1  # one backoff, on the session's clock
    assert script.seen[0][2]["Authorization"] == f"token {TOKEN}"
    assert Requester._Requester__httpsConnectionClass is HTTPSRequestsConnectionClass  # type: ignore[attr-defined]


def test_a_redirect_to_another_origin_is_refused_before_anything_is_sent_there(
    server: tuple[str, Script],
) -> None:
    """requests would follow it and keep every header but Authorization (python-gitlab's
    PRIVATE-TOKEN included); a caller that follows redirects itself (PyGithub) gets the 3xx."""
    url, script = server
    script.answers = [(302, {"Location": f"http://127.0.0.1:9/x?token={TOKEN}"}, "")]
    http = client(FakeClock())
    http.headers["PRIVATE-TOKEN"] = TOKEN
    with pytest.raises(SourceError) as caught:
        http.request("GET", f"{url}/x")
    assert str(caught.value).endswith(
        f"GET {url}/x was redirected (302) to http://127.0.0.1:9; refused: the token is only "
        f"sent to {url}"
    )
    assert TOKEN not in str(caught.value)
    assert http.request("GET", f"{url}/x", allow_redirects=False).status_code == 302
    assert len(script.seen) == 2


def test_redirects_on_the_same_origin_are_followed_a_bounded_number_of_times(
    server: tuple[str, Script],
) -> None:
    """A 307 keeps the method and body (GitHub's answer for a renamed repository), a 303
    turns into a GET without a body, and a loop ends after ten redirects."""
    url, script = server
    script.answers = [(307, {"Location": "/moved"}, ""), (303, {"Location": "/done"}, "")]
    script.answers.append((200, {}, "{}"))
    response = client(FakeClock()).request("POST", f"{url}/x", json={"query": "q"})
    assert [(method, path) for method, path, _headers in script.seen] == [
        ("POST", "/x"),
        ("POST", "/moved"),
        ("GET", "/done"),
    ]
    assert script.seen[1][2]["Content-Length"] == script.seen[0][2]["Content-Length"]
    assert "Content-Length" not in script.seen[2][2]
    assert "Content-Type" not in script.seen[2][2]
    assert [r.status_code for r in [*response.history, response]] == [307, 303, 200]
    script.seen.clear()
    script.answers = [(302, {"Location": f"{url}/again"}, "")]
    with pytest.raises(SourceError, match="redirected more than 10 times"):
        client(FakeClock()).request("GET", f"{url}/x")
    assert len(script.seen) == 11


def test_a_redirect_is_followed_to_its_location_without_repeating_the_params(
    server: tuple[str, Script],
) -> None:
    """The Location already holds the query: a page link must not become ?page=2&page=2."""
    url, script = server
    script.answers = [(301, {"Location": "/moved?page=2&per_page=100"}, ""), (200, {}, "{}")]
    client(FakeClock()).request("GET", f"{url}/x", params={"page": "2", "per_page": "100"})
    assert [path for _method, path, _headers in script.seen] == [
        "/x?page=2&per_page=100",
        "/moved?page=2&per_page=100",
    ]


def test_jira_clouds_iso_reset_is_read_and_an_explicit_retry_after_wins(
    server: tuple[str, Script],
) -> None:
    """Jira Cloud's 429: Retry-After in seconds and X-RateLimit-Reset as ISO 8601 to the
    minute (https://developer.atlassian.com/cloud/jira/platform/rate-limiting/)."""
    url, script = server
    clock = FakeClock()
    soon = datetime.fromtimestamp(clock.time() + 30, tz=timezone.utc)
    limited = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": f"{soon:%Y-%m-%dT%H:%M}Z"}
    script.answers = [(429, {**limited, "Retry-After": "2"}, ""), (200, {}, "{}")]
    assert client(clock).request("GET", f"{url}/x").status_code == 200
    assert clock.sleeps() == [3.0]
    later = datetime.fromtimestamp(clock.time() + 3600, tz=timezone.utc).replace(second=0)
    script.answers = [(429, {**limited, "X-RateLimit-Reset": f"{later:%Y-%m-%dT%H:%M}Z"}, "")]
    with pytest.raises(SourceError, match=f"exhausted until {later:%Y-%m-%d %H:%M:%S} UTC"):
        client(clock).request("GET", f"{url}/x")
    assert clock.sleeps() == [3.0]


def test_a_failed_attempt_is_named_in_words() -> None:
    """Refused, reset and unresolved have sentences of their own; any other failure of the
    socket (a broken pipe on a reused connection, no local port left) says what it was in
    the system's words; a read timeout that requests wraps in a ConnectionError is a
    timeout, not a failure to connect."""
    import requests
    import urllib3

    from deploygate.http import _what_happened

    broken = requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", BrokenPipeError(32, "Broken pipe"))
    )
    assert _what_happened(broken) == "failed: could not connect (Broken pipe)"
    no_port = requests.ConnectionError(OSError(99, "Cannot assign requested address"))
    assert _what_happened(no_port) == "failed: could not connect (Cannot assign requested address)"
    assert _what_happened(requests.ConnectionError("odd")) == "failed: could not connect"
    read = urllib3.exceptions.ReadTimeoutError(None, "/", "Read timed out.")  # type: ignore[arg-type]
    read.__context__ = TimeoutError("timed out")
    assert _what_happened(requests.ConnectionError(read)) == "timed out"
    assert _what_happened(requests.ReadTimeout("slow")) == "timed out"


def _answer(body: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 403
    response._content = body
    return response


def _messages(payload: object) -> list[object]:
    return list(payload["errors"]) if isinstance(payload, dict) else []


def test_what_an_error_answer_says_is_one_escaped_bounded_line() -> None:
    """The vendor picks the messages; reading, joining, escaping and bounding them is shared,
    and an answer that is no JSON, or not the shape expected, says nothing."""
    hostile = {"errors": ["no scope", "", "\x1b]8;;https://x\x07click\n::error::forged" * 50]}
    said = error_said(_answer(json.dumps(hostile).encode()), _messages)
    assert said.startswith("no scope; ")
    assert "\x1b" not in said
    assert "\n" not in said
    assert len(said) == 300
    assert error_said(_answer(b"<html>502</html>"), _messages) == ""
    assert error_said(_answer(b"[1, 2]"), _messages) == ""
    assert error_said(_answer(b"[" * 100_000), _messages) == ""
