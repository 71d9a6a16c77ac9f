"""The GitLab REST layer's side-by-side listing against a scripted server on loopback.

A listing whose first page names its page count asks for the others eight at a time. A
page that fails ends the listing: the pages not yet asked for are never asked for, so an
outage or a refused token costs the pages in flight and their retries, not every page of
a long listing (a gate that cannot read should say so quickly).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fakes.clock import FakeClock

from deploygate.errors import SourceError
from deploygate.http import MAX_ATTEMPTS, MAX_IN_FLIGHT
from deploygate.sources.gitlab.api import GitLabApi

TOTAL = 60
"""Pages GitLab says the listing has (X-Total-Pages on page 1)."""

Answer = Callable[[int], tuple[int, object]]


class Pages:
    """A listing of TOTAL pages; ``answer(page)`` gives each page's status and body."""

    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.asked: list[int] = []
        self.lock = threading.Lock()


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], tuple[str, Pages]]]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> tuple[str, Pages]:
        pages = Pages(answer)

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                found = re.search(r"[?&]page=(\d+)", self.path)
                number = int(found.group(1)) if found else 1
                with pages.lock:
                    pages.asked.append(number)
                status, body = pages.answer(number)
                encoded = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("X-Page", str(number))
                self.send_header("X-Total-Pages", str(TOTAL))
                self.send_header("X-Next-Page", str(number + 1) if number < TOTAL else "")
                self.send_header("Content-Length", str(len(encoded)))
                self.end_headers()
                self.wfile.write(encoded)

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(httpd)
        return f"http://127.0.0.1:{httpd.server_address[1]}", pages

    yield start
    for httpd in servers:
        httpd.shutdown()
        httpd.server_close()


def _read(url: str) -> list[object]:
    api = GitLabApi(url, "glpat-review-token", 60.0)
    return api.listing("/projects/1/deployments", "deployments of group/shop", lambda item: item)


def test_a_refused_page_ends_the_listing_without_the_pages_not_yet_asked_for(
    serve: Callable[[Answer], tuple[str, Pages]],
) -> None:
    """Page 2 answers 404: the source fails naming it, and at most the pages already in
    flight are sent, not the rest of the 60."""
    url, pages = serve(
        lambda n: (404, {"message": "404 Not found"}) if n == 2 else (200, [{"n": n}])
    )
    with pytest.raises(SourceError, match="not found"):
        _read(url)
    assert len(pages.asked) <= 1 + 2 * MAX_IN_FLIGHT, sorted(pages.asked)


def test_an_outage_after_page_one_ends_the_listing_after_the_pages_in_flight(
    serve: Callable[[Answer], tuple[str, Pages]], fake_clock: FakeClock
) -> None:
    """Every page after the first answers 503: each page in flight is tried five times, then
    the source fails; the pages still queued are never sent (trying all 59 five times each
    would be 296 requests, and on the wall clock would wait out the check's deadline)."""
    url, pages = serve(lambda n: (503, {"message": "down"}) if n >= 2 else (200, [{"n": n}]))
    with pytest.raises(SourceError, match="answered 503"):
        _read(url)
    assert len(pages.asked) <= 1 + MAX_ATTEMPTS * 2 * MAX_IN_FLIGHT, len(pages.asked)
