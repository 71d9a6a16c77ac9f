"""The project's fakes, extended for the benchmark (tests/fakes/ is not modified).

Two additions, both in subclasses:

* every logged request gets ``served`` (latency over, the fake starts
  answering) and ``end`` (answer written), so round trips, concurrency and
  the fakes' own work can be read from the log; identical requests can be
  answered from a memo (see ``_Timed``);
* the fake GitHub answers the REST endpoints the plain PyGithub script
  needs and that deploygate never uses (so tests/fakes/github.py does not
  implement them): the repository, its deployments and their statuses, the
  repository's issues and an issue's sub-issues. Shapes follow
  docs.github.com/en/rest (deployments, deployment statuses, issues,
  sub-issues), newest first as GitHub lists them.
"""

from __future__ import annotations

import re
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from fakes import github as gh
from fakes import gitlab as gl


class _Timed:
    """Stamps each logged request, and memoizes answers while the world stands still.

    ``record.time`` (set by the fake) is when the request had been read;
    ``record.served`` when the fixed latency was over and the fake started
    answering; ``record.end`` when the answer had been written. With
    ``memoize`` on, an identical request (method, path, query, body and
    credentials) gets the bytes of its first answer: the fakes' own work
    (executing GraphQL against GitHub's whole schema costs 20-40 ms a
    request) then stops adding to the configured latency. Call ``forget()``
    after changing the world.
    """

    memoize = False

    def forget(self) -> None:
        self.__dict__.setdefault("_memo", {}).clear()

    def answer(self, record: Any) -> Any:
        record.served = time.time()
        memo = self.__dict__.setdefault("_memo", {})
        key = (
            record.method,
            record.path,
            tuple(sorted(record.query.items())),
            record.body,
            record.headers.get("authorization"),
            record.headers.get("private-token"),
        )
        if self.memoize and key in memo:
            return memo[key]
        response = super().answer(record)  # type: ignore[misc]
        if self.memoize and response.status == 200:
            response = type(response)(
                response.status, None, dict(response.headers), raw=response.encoded()
            )
            memo[key] = response
        return response


class _TimedHandler:
    """Stamps ``end``; and sets TCP_NODELAY, as real front ends do.

    The fakes' handler writes the status and headers, then the body, in two
    sends; with Nagle's algorithm on, the body waits for the client's
    delayed ACK of the headers, about 40 ms, on every request of a kept-alive
    connection after the first few. That stall is the fake's, not the
    client's, and it would add 40 ms to every sequential round trip.
    """

    def setup(self) -> None:
        super().setup()  # type: ignore[misc]
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]

    def _write(self, record: Any, response: Any) -> None:
        super()._write(record, response)  # type: ignore[misc]
        record.end = time.time()


class _GitHubHandler(_TimedHandler, gh._Handler):
    pass


class _GitLabHandler(_TimedHandler, gl._Handler):
    pass


# -- GitHub REST additions ----------------------------------------------------


def _repo_json(call: gh._RestCall, repo: gh.Repo) -> dict[str, Any]:
    api = gh._repo_api(call, repo)
    return {
        "id": repo.id,
        "node_id": repo.node_id,
        "name": repo.name,
        "full_name": repo.full_name,
        "private": repo.private,
        "owner": gh._user_json(call, repo.owner),
        "html_url": repo.url,
        "description": None,
        "fork": False,
        "url": api,
        "deployments_url": f"{api}/deployments",
        "issues_url": f"{api}/issues{{/number}}",
        "default_branch": "main",
        "visibility": "private" if repo.private else "public",
        "has_issues": True,
        "archived": False,
        "disabled": False,
        "open_issues_count": sum(1 for i in repo.issues.values() if i.state == "OPEN"),
        "created_at": "2020-01-01T00:00:00Z",
        "updated_at": "2020-01-01T00:00:00Z",
        "pushed_at": "2020-01-01T00:00:00Z",
    }


def _deployment_json(call: gh._RestCall, d: gh.Deployment) -> dict[str, Any]:
    api = gh._repo_api(call, d.repo)
    url = f"{api}/deployments/{d.database_id}"
    return {
        "url": url,
        "id": d.database_id,
        "node_id": d.node_id,
        "sha": d.sha,
        "ref": d.ref,
        "task": d.task,
        "payload": {},
        "original_environment": d.environment,
        "environment": d.environment,
        "description": d.description,
        "creator": gh._user_json(call, d.creator),
        "created_at": gh.iso(d.created_at),
        "updated_at": gh.iso(d.updated_at),
        "statuses_url": f"{url}/statuses",
        "repository_url": api,
        "transient_environment": False,
        "production_environment": d.environment == "production",
    }


def _status_json(call: gh._RestCall, d: gh.Deployment, s: gh.DeploymentStatus) -> dict[str, Any]:
    api = gh._repo_api(call, d.repo)
    url = f"{api}/deployments/{d.database_id}"
    return {
        "url": f"{url}/statuses/{s.id}",
        "id": s.id,
        "node_id": s.node_id,
        "state": s.state.lower(),
        "creator": gh._user_json(call, s.creator),
        "description": s.description or "",
        "environment": d.environment,
        "target_url": s.log_url or "",
        "created_at": gh.iso(s.created_at),
        "updated_at": gh.iso(s.created_at),
        "deployment_url": url,
        "repository_url": api,
        "environment_url": s.environment_url or "",
        "log_url": s.log_url or "",
    }


def _page(
    call: gh._RestCall, items: list[Any], base: str, render: Callable[[Any], Any]
) -> gh.Response:
    per_page = min(gh._positive(call.params.get("per_page"), 30), 100)
    page = gh._positive(call.params.get("page"), 1)
    last = max(1, -(-len(items) // per_page))
    chosen = items[(page - 1) * per_page : page * per_page]
    response = gh.Response(200, [render(item) for item in chosen])
    links = gh._page_links(call, base, page, last)
    if links:
        response.headers["Link"] = links
    return response


def _not_found(call: gh._RestCall) -> gh.Response:
    return gh._error(404, "Not Found")


def _get_repo(call: gh._RestCall, groups: dict[str, str]) -> gh.Response:
    repo = gh._find_repo(call, groups)
    return gh.Response(200, _repo_json(call, repo)) if repo else _not_found(call)


def _list_deployments(call: gh._RestCall, groups: dict[str, str]) -> gh.Response:
    repo = gh._find_repo(call, groups)
    if repo is None:
        return _not_found(call)
    wanted = {k: call.params[k] for k in ("sha", "ref", "task", "environment") if k in call.params}
    chosen = [
        d
        for d in repo.deployments
        if all(getattr(d, key) == value for key, value in wanted.items())
    ]
    chosen.sort(key=lambda d: (d.created_at, d.database_id), reverse=True)  # newest first
    base = f"{gh._repo_api(call, repo)}/deployments"
    return _page(call, chosen, base, lambda d: _deployment_json(call, d))


def _find_deployment(call: gh._RestCall, groups: dict[str, str]) -> gh.Deployment | None:
    repo = gh._find_repo(call, groups)
    if repo is None:
        return None
    wanted = int(groups["deployment_id"])
    return next((d for d in repo.deployments if d.database_id == wanted), None)


def _list_statuses(call: gh._RestCall, groups: dict[str, str]) -> gh.Response:
    deployment = _find_deployment(call, groups)
    if deployment is None:
        return _not_found(call)
    statuses = list(reversed(deployment.statuses))  # newest first
    base = f"{gh._repo_api(call, deployment.repo)}/deployments/{deployment.database_id}/statuses"
    return _page(call, statuses, base, lambda s: _status_json(call, deployment, s))


def _list_issues(call: gh._RestCall, groups: dict[str, str]) -> gh.Response:
    repo = gh._find_repo(call, groups)
    if repo is None:
        return _not_found(call)
    state = call.params.get("state", "open")
    labels = [name.strip().lower() for name in call.params.get("labels", "").split(",") if name]
    unsupported = set(call.params) - {"state", "labels", "per_page", "page", "sort", "direction"}
    if unsupported or call.params.get("sort", "created") != "created":
        call.fake.problems.append(f"benchmark REST issues: unsupported {sorted(call.params)}")
        return gh._error(501, "not implemented by the benchmark")
    chosen = [
        issue
        for issue in repo.issues.values()
        if (state == "all" or issue.state.lower() == state)
        and all(name in {label.name.lower() for label in issue.labels} for name in labels)
    ]
    descending = call.params.get("direction", "desc") == "desc"
    chosen.sort(key=lambda i: (i.created_at, i.number), reverse=descending)
    base = f"{gh._repo_api(call, repo)}/issues"
    return _page(call, chosen, base, lambda i: gh._issue_json(call, i))


def _list_sub_issues(call: gh._RestCall, groups: dict[str, str]) -> gh.Response:
    repo = gh._find_repo(call, groups)
    issue = repo.get_issue(int(groups["number"])) if repo else None
    if issue is None:
        return _not_found(call)
    base = f"{gh._repo_api(call, repo)}/issues/{issue.number}/sub_issues"
    return _page(call, list(issue.sub_issues), base, lambda i: gh._issue_json(call, i))


_REPO = gh._REPO_PATH
BENCHMARK_REST_ROUTES = [
    ("GET", re.compile(_REPO + r"/?"), _get_repo),
    ("GET", re.compile(_REPO + r"/deployments"), _list_deployments),
    ("GET", re.compile(_REPO + r"/deployments/(?P<deployment_id>\d+)/statuses"), _list_statuses),
    ("GET", re.compile(_REPO + r"/issues"), _list_issues),
    ("GET", re.compile(_REPO + r"/issues/(?P<number>\d+)/sub_issues"), _list_sub_issues),
]


class BenchGitHub(_Timed, gh.FakeGitHub):
    """The fake GitHub, timed, with the REST reads a plain PyGithub script makes."""

    handler = _GitHubHandler

    def _route(self, call: gh._RestCall, method: str, path: str) -> gh.Response:
        for route_method, pattern, handler in BENCHMARK_REST_ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return handler(call, {k: v for k, v in match.groupdict().items() if v})
        return super()._route(call, method, path)


class BenchGitLab(_Timed, gl.FakeGitLab):
    """The fake GitLab, timed (python-gitlab's reads are all implemented by the fake)."""

    handler = _GitLabHandler
