"""Networks that fail: 5xx storms, rate limits, junk Retry-After, hung and slow servers, refusal.

Cases of the issue covered here, on the GitHub and GitLab sources (the local
store makes no request, so it has no network case; the trackers' are in
test_reliability_trackers.py):

- case 7 (5xx storm) -> test_a_5xx_storm_is_bounded_and_inside_the_deadline,
  test_a_5xx_storm_backs_off_with_growing_jittered_gaps;
- case 8 (rate limits) -> test_a_primary_limit_an_hour_away_fails_at_once_naming_the_reset,
  test_a_primary_limit_two_seconds_away_is_waited_out,
  test_a_secondary_limit_without_retry_after_is_bounded;
- case 9 (Retry-After junk) -> test_junk_retry_after_never_crashes_and_never_waits_too_long,
  test_junk_rate_limit_headers_never_crash;
- case 10 (hung and slow servers) -> test_a_hung_or_slow_server_stops_at_the_deadline,
  test_a_drip_fed_comment_gives_up_by_its_timeout and
  test_a_drip_fed_merge_request_note_gives_up_by_its_deadline (the PR comment and MR note),
  and on the wall clock test_canary_a_real_run_stops_at_the_deadline_of_a_hung_or_dripping_server;
- case 14 (unreachable) -> test_an_unreachable_backend_is_not_verified;
- case 13 (canaries) on every run here: assert_no_leak.

Every case runs on virtual time (fakes/clock.py, the ``fake_clock`` fixture):
what they check is the arithmetic of waiting (how many attempts, which waits,
that none crosses the deadline), and on the wall clock that arithmetic also
measured how busy the machine was. Two canaries keep real time: real
``python -m deploygate`` processes against a dripping and a hung server,
timed from the first request the server saw, so that process start-up on a
busy machine does not count against the deadline.
"""

from __future__ import annotations

import email.utils
import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from fakes.clock import FakeClock
from fakes.github import FakeGitHub, fake_github  # noqa: F401
from fakes.gitlab import FakeGitLab
from fakes.gitlab import Response as GitLabResponse
from reliability.helpers import (
    DEADLINE,
    DEADLINE_SECONDS,
    GITHUB_TOKEN,
    MARGIN,
    Launch,
    RawServer,
    Run,
    annotations,
    assert_no_leak,
    assert_not_verified,
    check,
    closed_port,
    fake_gitlab,  # noqa: F401  # on both GitLab paths
    github_config,
    github_env,
    gitlab_config,
    gitlab_env,
    local_config,
    small_github,
    small_gitlab,
    stream_of,
    streams,
)

BACKENDS = ("github", "gitlab")
STARTUP = 6.0
"""Seconds a subprocess may take to start on a busy two-core machine."""
LIMIT = STARTUP + DEADLINE_SECONDS + MARGIN
"""When a launched run is killed."""


def source_error(run: Run) -> str:
    """The failed source's error from the JSON report."""
    [source] = run.report()["sources"]
    assert source["ok"] is False, source
    return str(source["error"])


# ---------------------------------------------------------------------------
# Case 7: 5xx storm, and case 14: connection refused (virtual time)
# ---------------------------------------------------------------------------


def _storm_fake(fake: FakeGitHub | FakeGitLab) -> None:
    """Every request answered 502 and 503 in turn, forever."""
    requests = fake.requests
    fake.faults.add(lambda _r: len(requests) % 2 == 1, status=502, times=None)
    fake.faults.add(None, status=503, times=None)


def _config_for(backend: str, root: Path, url: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    if backend == "github":
        return github_config(root, graphql_url=f"{url}/graphql", deadline=DEADLINE)
    return gitlab_config(root, url=url, deadline=DEADLINE)


def _env_for(backend: str) -> dict[str, str | None]:
    return github_env() if backend == "github" else gitlab_env()


def _small(backend: str, github: FakeGitHub, gitlab: FakeGitLab) -> FakeGitHub | FakeGitLab:
    """The fake of ``backend`` with its small world (a failure and an overdue item)."""
    if backend == "github":
        small_github(github)
        return github
    small_gitlab(gitlab)
    return gitlab


def _matrix() -> list[tuple[str, str]]:
    return [(backend, on_error) for backend in BACKENDS for on_error in ("fail", "warn")]


@pytest.mark.parametrize(("backend", "on_error"), _matrix())
def test_a_5xx_storm_is_bounded_and_inside_the_deadline(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    backend: str,
    on_error: str,
) -> None:
    """Every request answered 502/503, deadline 2 s: at most 5 attempts per listing, every
    wait inside the deadline, exit 3 with one error annotation (0 and one warning, NOT
    VERIFIED, under --on-error warn)."""
    fake = _small(backend, fake_github, fake_gitlab)
    fake_clock.drive(fake)
    _storm_fake(fake)
    run = check(tmp_path, _config_for(backend, tmp_path, fake.url), _env_for(backend),
                "--on-error", on_error)  # fmt: skip
    for name, sent in streams(fake.requests).items():
        assert 2 <= len(sent) <= 5, (name, len(sent))
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert_not_verified(run, on_error)
    error = source_error(run)
    assert re.search(r"answered 50[23]", error), error
    assert "deadline" in error or "tried 5 times" in error, error
    assert_no_leak(run, fake)


def test_a_5xx_storm_backs_off_with_growing_jittered_gaps(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
) -> None:
    """The waits between the attempts of one listing follow jittered exponential backoff:
    the n-th wait lies in [c/2, c] with c = 0.5 s * 2**n (so they grow), and across the
    storms the waits are not all the same fraction of their ceiling (so they are jittered)."""
    listings: list[list[float]] = []
    for backend in BACKENDS:
        fake = _small(backend, fake_github, fake_gitlab)
        fake_clock.drive(fake)
        _storm_fake(fake)
        for on_error in ("fail", "warn"):
            root = tmp_path / f"{backend}-{on_error}"
            since = len(fake_clock.waits)
            check(root, _config_for(backend, root, fake.url), _env_for(backend),
                  "--on-error", on_error)  # fmt: skip
            listings += fake_clock.sleeps_by_thread(since).values()
    assert len(listings) >= 4, listings  # at least a listing a run
    ratios = []
    for waits in listings:
        for attempt, wait in enumerate(waits):
            ceiling = 0.5 * 2**attempt
            assert ceiling / 2 <= wait <= ceiling, waits
            ratios.append(wait / ceiling)
        assert waits == sorted(waits), waits
    assert len(ratios) >= 6
    assert max(ratios) - min(ratios) > 0.12, ratios


@pytest.mark.parametrize(("backend", "on_error"), _matrix())
def test_an_unreachable_backend_is_not_verified(
    fake_clock: FakeClock, tmp_path: Path, backend: str, on_error: str
) -> None:
    """Connection refused on every attempt: exit 3, one error annotation and a summary saying
    the gate could not decide; under --on-error warn exit 0, one warning, NOT VERIFIED."""
    with closed_port() as url:
        run = check(tmp_path, _config_for(backend, tmp_path, url), _env_for(backend),
                    "--on-error", on_error)  # fmt: skip
    assert_not_verified(run, on_error)
    assert "failed: the connection was refused (nothing listens at that address)" in (
        source_error(run)
    )
    assert "NOT VERIFIED" in run.files["report.markdown"]
    assert "DEPLOYGATE_VERDICT=unknown" in run.files["report.dotenv"]
    assert "deploygate/not-verified" in run.files["report.codequality"]
    assert 0 < fake_clock.longest() <= DEADLINE_SECONDS  # it backed off, inside the deadline
    assert_no_leak(run)


# ---------------------------------------------------------------------------
# Case 10: hung and slow servers (virtual time, and two wall-clock canaries)
# ---------------------------------------------------------------------------

MODES = ("hang", "drip", "drop")
PATIENCE = 0.3
"""Real seconds an attempt at a hung or dripping server is waited for, on virtual time: such
an answer never completes, so this short wait decides nothing but the test's length."""
COMMENT_TIMEOUT = 15.0
"""platform_clients.GITHUB_DEADLINE_SECONDS: the deadline of the whole PR comment."""
NOTE_DEADLINE = 30.0
"""platform_clients.GITLAB_DEADLINE_SECONDS: the deadline of the whole MR note."""


@pytest.mark.parametrize(("backend", "mode"), [(b, m) for b in BACKENDS for m in MODES])
def test_a_hung_or_slow_server_stops_at_the_deadline(
    fake_clock: FakeClock, tmp_path: Path, backend: str, mode: str
) -> None:
    """A server that accepts and never answers (hang), answers one byte a second (drip), or
    sends headers and half a body then closes (drop), deadline 2 s: exit 3, NOT VERIFIED,
    an error naming the request and why (timed out, or the connection closed before the answer
    was complete), within the deadline."""
    if mode != "drop":  # a dropped answer ends by itself: it is waited for
        fake_clock.patience = PATIENCE
    with RawServer(mode) as server:
        run = check(tmp_path, _config_for(backend, tmp_path, server.url), _env_for(backend))
    assert server.connections > 0
    assert run.exit_code == 3, (run.exit_code, run.output)
    assert fake_clock.longest() <= DEADLINE_SECONDS
    error = source_error(run)
    dropped = "failed: the connection closed before the answer was complete"
    expected = "timed out" if mode in ("hang", "drip") else dropped
    assert expected in error, error
    assert "waiting 0 s" not in error, error
    assert ("/graphql" if backend == "github" else "/deployments") in error
    [annotation] = annotations(run, "error")
    assert annotation.startswith("NOT VERIFIED")
    assert_no_leak(run)


def test_a_drip_fed_comment_gives_up_by_its_timeout(fake_clock: FakeClock, tmp_path: Path) -> None:
    """--comment on a pull request, the GitHub API dripping one byte a second: the gate's
    verdict (pass, exit 0) stands and the comment step ends within its 15 s timeout."""
    fake_clock.patience = PATIENCE
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    with RawServer("drip") as server:
        env = github_env(GITHUB_API_URL=server.url, GITHUB_EVENT_NAME="pull_request",
                         GITHUB_EVENT_PATH=str(event))  # fmt: skip
        run = check(tmp_path, local_config(tmp_path, {}), env, "--comment")
    assert server.connections > 0
    assert run.exit_code == 0, (run.exit_code, run.output)
    assert 0 < fake_clock.longest() <= COMMENT_TIMEOUT
    assert "could not reach GitHub to comment" in run.stderr
    assert "timed out" in run.stderr


def test_a_drip_fed_merge_request_note_gives_up_by_its_deadline(
    fake_clock: FakeClock, tmp_path: Path
) -> None:
    """The same for the GitLab MR note (python-gitlab on HttpClient): the verdict (pass,
    exit 0) stands and the note gives up within its 30 s deadline, saying why."""
    fake_clock.patience = PATIENCE
    with RawServer("drip") as server:
        env = gitlab_env(GITLAB_CI="true", CI_SERVER_URL=server.url,
                         CI_PROJECT_PATH="group/shop", CI_MERGE_REQUEST_IID="12")  # fmt: skip
        run = check(tmp_path, local_config(tmp_path, {}), env, "--comment", actions=False)
    assert server.connections > 0
    assert run.exit_code == 0, (run.exit_code, run.output)
    assert 0 < fake_clock.longest() <= NOTE_DEADLINE
    assert "could not reach GitLab to note on merge request !12" in run.stderr
    assert "timed out" in run.stderr
    assert_no_leak(run)


CANARIES = [("github", "drip"), ("gitlab", "hang")]


@pytest.fixture(scope="module")
def canary_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[tuple[str, str], tuple[Run, RawServer]]]:
    """Real ``python -m deploygate`` processes, side by side, on the wall clock: GitHub
    against a server that drips, GitLab against one that never answers."""
    root = tmp_path_factory.mktemp("canaries")
    servers = {key: RawServer(key[1]).__enter__() for key in CANARIES}
    try:
        launches = {
            key: Launch(
                root,
                _config_for(key[0], root / "-".join(key), servers[key].url),
                _env_for(key[0]),
                limit=LIMIT,
                name="-".join(key),
            )
            for key in CANARIES
        }
        yield {key: (launch.wait(), servers[key]) for key, launch in launches.items()}
    finally:
        for server in servers.values():
            server.__exit__()


@pytest.mark.parametrize(("backend", "mode"), CANARIES)
def test_canary_a_real_run_stops_at_the_deadline_of_a_hung_or_dripping_server(
    canary_runs: dict[tuple[str, str], tuple[Run, RawServer]], backend: str, mode: str
) -> None:
    """Wall-clock canary for the virtual-time tests above: a real process, deadline 2 s,
    ends with exit 3 and "timed out" no later than the deadline after the server first saw
    it (start-up on a busy machine does not count), and the attempt's abandoned thread does
    not keep the process alive."""
    run, server = canary_runs[(backend, mode)]
    assert server.first_at is not None
    assert run.exit_code == 3, (run.exit_code, run.output)
    assert run.ended_at - server.first_at <= DEADLINE_SECONDS + MARGIN
    assert "timed out" in source_error(run)
    assert_no_leak(run)


# ---------------------------------------------------------------------------
# Case 8: rate limits
# ---------------------------------------------------------------------------


def _limited_stream(fake: FakeGitHub | FakeGitLab, statuses: tuple[int, ...]) -> list[Any]:
    """The requests of the listing whose first answer was refused with one of ``statuses``
    (or GraphQL's RATE_LIMITED error)."""
    sent = list(fake.requests)
    refused = next(r for r in sent if r.status in statuses or b'"RATE_LIMITED"' in r.response_body)
    return streams(sent)[stream_of(refused)]


def _clock(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%d %H:%M")


def _run_github(fake: FakeGitHub, tmp_path: Path, deadline: str = "2s") -> Run:
    config = github_config(tmp_path, graphql_url=fake.graphql_url, deadline=deadline)
    return check(tmp_path, config, github_env(fake))


def _run_gitlab(fake: FakeGitLab, tmp_path: Path, deadline: str = "2s") -> Run:
    return check(tmp_path, gitlab_config(tmp_path, url=fake.url, deadline=deadline), gitlab_env())


def _gitlab_429(fake: FakeGitLab, headers: dict[str, str], times: int | None) -> None:
    """A 429 from GitLab's Rack::Attack with exactly ``headers`` (none added)."""
    fault = fake.faults.add(None, status=429, times=times)
    answer = GitLabResponse(429, headers={"Content-Type": "text/plain", **headers})
    answer.raw = b"Retry later\n"
    fault.response = lambda _now: answer  # type: ignore[method-assign]


@pytest.mark.parametrize(
    "shape",
    [
        "403",
        pytest.param("graphql-200"),
        "gitlab-429",
    ],
)
def test_a_primary_limit_an_hour_away_fails_at_once_naming_the_reset(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    shape: str,
) -> None:
    """The rate limit is exhausted and resets in an hour (GitHub: a 403 with
    X-RateLimit-Remaining: 0, or GraphQL's 200 with a RATE_LIMITED error; GitLab: a 429 with
    RateLimit-Remaining: 0 and Retry-After: 3600): no request repeated (GitHub reads its two
    listings side by side, each once), exit 3 at once, and the error names the reset."""
    fake_clock.drive(fake_github, fake_gitlab)
    reset = fake_clock.time() + 3600
    fake: FakeGitHub | FakeGitLab
    if shape == "gitlab-429":
        fake = fake_gitlab
        small_gitlab(fake)
        headers = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(reset))}
        _gitlab_429(fake, headers | {"Retry-After": "3600"}, times=None)
        run = _run_gitlab(fake, tmp_path)
    else:
        fake = fake_github
        small_github(fake)
        bucket = fake.rate_limit(GITHUB_TOKEN, "graphql")
        bucket.reset_at = datetime.fromtimestamp(int(reset), tz=timezone.utc)
        if shape == "403":
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset))}
            fake.faults.add("/graphql", status=403, headers=headers, times=None)
        else:
            bucket.remaining = 0
        run = _run_github(fake, tmp_path)
    assert run.exit_code == 3, run.output
    assert all(len(sent) == 1 for sent in streams(fake.requests).values())  # no retry
    assert fake_clock.waits == []  # it did not sleep towards the 2 s deadline
    error = source_error(run)
    assert _clock(reset) in error or "3600 s" in error, error
    assert_no_leak(run, fake)


@pytest.mark.parametrize(
    "shape",
    [
        "403",
        pytest.param("graphql-200"),
        "gitlab-429",
    ],
)
def test_a_primary_limit_two_seconds_away_is_waited_out(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    shape: str,
) -> None:
    """The limit resets in two seconds and the deadline is 6 s: deploygate waits for the reset,
    asks again and gives its verdict (block, exit 1)."""
    fake_clock.drive(fake_github, fake_gitlab)
    reset = fake_clock.time() + 2
    fake: FakeGitHub | FakeGitLab
    if shape == "gitlab-429":
        fake = fake_gitlab
        small_gitlab(fake)
        headers = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(int(reset))}
        _gitlab_429(fake, headers | {"Retry-After": "2"}, times=1)
        run = _run_gitlab(fake, tmp_path, deadline="6s")
    else:
        fake = fake_github
        small_github(fake)
        bucket = fake.rate_limit(GITHUB_TOKEN, "graphql")
        if shape == "403":
            headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(reset) + 1)}
            fake.faults.add("/graphql", status=403, headers=headers, times=1)
        else:
            bucket.remaining = 0
            bucket.reset_at = datetime.fromtimestamp(reset, tz=timezone.utc)
        run = _run_github(fake, tmp_path, deadline="6s")
    assert run.exit_code == 1, run.output
    assert run.report()["sources"][0]["ok"] is True
    refused, retried = _limited_stream(fake, (403, 429))[:2]
    gap = retried.time - refused.time
    assert 1.0 <= gap <= 4.5, gap
    assert set(fake_clock.sleeps()) == {4.0 if shape == "403" else 3.0}  # the reset, + 1 s
    assert fake_clock.longest() <= 6
    assert_no_leak(run, fake)


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_secondary_limit_without_retry_after_is_bounded(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    backend: str,
) -> None:
    """Every request answered 429 with no Retry-After and requests left (GitHub's secondary
    limit; GitLab's throttle without its header), deadline 2 s: at most 5 attempts per
    listing, exit 3 within the deadline, and the error says it was rate limited."""
    fake: FakeGitHub | FakeGitLab
    if backend == "github":
        fake = fake_github
        small_github(fake)
        fake.faults.add("/graphql", status=429, times=None)
        run = _run_github(fake, tmp_path)
    else:
        fake = fake_gitlab
        small_gitlab(fake)
        _gitlab_429(fake, {"RateLimit-Remaining": "100"}, times=None)
        run = _run_gitlab(fake, tmp_path)
    assert run.exit_code == 3, run.output
    for name, sent in streams(fake.requests).items():
        assert 2 <= len(sent) <= 5, (name, len(sent))
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert "answered 429: secondary rate limit" in source_error(run)
    assert_no_leak(run, fake)


# ---------------------------------------------------------------------------
# Case 9: Retry-After junk, and junk rate-limit headers
# ---------------------------------------------------------------------------


def _http_date(offset: float) -> Callable[[float], str]:
    return lambda now: email.utils.formatdate(now + offset, usegmt=True)


RETRY_AFTER: list[tuple[str, Callable[[float], str | None], bool]] = [
    # (id, value at a time, whether waiting fits in the 2 s deadline)
    ("http-date-an-hour-ahead", _http_date(3600), False),
    ("http-date-in-the-past", _http_date(-3600), True),
    ("86400", lambda _now: "86400", False),
    ("huge", lambda _now: "9" * 400, False),
    ("-5", lambda _now: "-5", True),
    ("abc", lambda _now: "abc", True),
    ("missing", lambda _now: None, True),
    ("empty", lambda _now: "", True),
    ("unicode-digit", lambda _now: "\u00b2", True),
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    ("value", "fits"),
    [
        pytest.param(
            value,
            fits,
            id=name,
        )
        for name, value, fits in RETRY_AFTER
    ],
)
def test_junk_retry_after_never_crashes_and_never_waits_too_long(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    backend: str,
    value: Callable[[float], str | None],
    fits: bool,
) -> None:
    """One 503 with Retry-After set to junk, then normal answers, deadline 2 s: no traceback;
    a wait that fits (or junk, which means backoff) is waited and the verdict given (exit 1);
    a wait past the deadline fails at once (exit 3), never sleeping past the deadline."""
    fake_clock.drive(fake_github, fake_gitlab)
    retry_after = value(fake_clock.time())
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    fake: FakeGitHub | FakeGitLab
    if backend == "github":
        fake = fake_github
        small_github(fake)
        fake.faults.add("/graphql", status=503, headers=headers, times=1)
        run = _run_github(fake, tmp_path)
    else:
        fake = fake_gitlab
        small_gitlab(fake)
        fake.faults.add(None, status=503, headers=headers, times=1)
        run = _run_gitlab(fake, tmp_path)
    run.assert_clean()
    assert fake_clock.longest() <= DEADLINE_SECONDS
    listing = _limited_stream(fake, (503,))
    if fits:
        assert run.exit_code == 1, run.output
        assert len(listing) > 1  # asked again
        assert len(fake_clock.sleeps()) == 1
    else:
        assert run.exit_code == 3, run.output
        assert len(listing) == 1  # never asked again
        assert "asked to retry after" in source_error(run)
        assert fake_clock.waits == []  # it did not sleep towards the 2 s deadline
    assert_no_leak(run, fake)


JUNK_RATE_HEADERS: list[tuple[str, int, dict[str, str]]] = [
    ("remaining", 200, {"X-RateLimit-Remaining": "\u00b2", "RateLimit-Remaining": "\u00b2"}),
    ("reset", 403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "\u00b2"}),
    ("limit", 200, {"X-RateLimit-Limit": "-1", "RateLimit-Limit": "abc"}),
]


@pytest.mark.parametrize(
    ("backend", "status", "headers"),
    [
        pytest.param(
            backend,
            status,
            headers,
            id=f"{backend}-{name}",
        )
        for name, status, headers in JUNK_RATE_HEADERS
        for backend in BACKENDS
    ],
)
def test_junk_rate_limit_headers_never_crash(
    fake_github: FakeGitHub,  # noqa: F811
    fake_gitlab: FakeGitLab,  # noqa: F811
    fake_clock: FakeClock,
    tmp_path: Path,
    backend: str,
    status: int,
    headers: dict[str, str],
) -> None:
    """One answer with junk rate-limit headers (Unicode digits, negative, letters), then normal
    answers: no traceback, no internal error; the run ends with a verdict or exit 3."""
    fake_clock.drive(fake_github, fake_gitlab)
    fake: FakeGitHub | FakeGitLab
    body: Any = None
    if backend == "github":
        fake = fake_github
        small_github(fake)
        if status == 200:
            body = {"data": None, "errors": [{"message": "try again"}]}
        fake.faults.add("/graphql", status=status, headers=headers, body=body, times=1)
        run = _run_github(fake, tmp_path)
    else:
        fake = fake_gitlab
        small_gitlab(fake)
        fake.faults.add("/deployments", status=status, headers=headers, body=[], times=1)
        run = _run_gitlab(fake, tmp_path)
    run.assert_clean()
    assert fake_clock.longest() <= DEADLINE_SECONDS
    assert_no_leak(run, fake)
