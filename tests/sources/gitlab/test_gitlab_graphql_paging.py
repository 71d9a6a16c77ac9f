"""The GitLab GraphQL listing against a scripted server on loopback that never moves its
cursor on: the source fails at once naming the listing, instead of asking for the same
page until its deadline."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from deploygate.errors import SourceError
from deploygate.sources.gitlab.api import GitLabApi
from deploygate.sources.gitlab.graphql import GitLabGraphQL, Listing


def _stuck_page(payload: dict[str, Any]) -> dict[str, Any]:
    """Every query's answer: a page with no postmortems and the same next cursor."""
    del payload
    issues = {"pageInfo": {"hasNextPage": True, "endCursor": "eyJpZCI6IjEifQ"}, "nodes": []}
    return {"data": {"project": {"issues": issues}}}


@pytest.fixture
def stuck_gitlab() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    asked: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            asked.append(payload)
            body = json.dumps(_stuck_page(payload)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()
    httpd.server_close()


def test_a_cursor_given_twice_fails_the_listing_at_once(
    stuck_gitlab: tuple[str, list[dict[str, Any]]],
) -> None:
    url, asked = stuck_gitlab
    api = GitLabApi(url, "glpat-paging-token", 60.0)
    graphql = GitLabGraphQL(api.session, url, "glpat-paging-token")
    with pytest.raises(SourceError, match="issues of group/incidents with a cursor it gave before"):
        graphql.with_links("group/incidents", Listing(labels=("postmortem",)))
    # The first page, then the page its cursor names, which names it again.
    assert [query["variables"]["after"] for query in asked] == [None, "eyJpZCI6IjEifQ"]
