"""Shared machinery of the reliability and security suite (``tests/reliability/``).

- a model of the GitHub Actions runner that also honours ``::stop-commands::TOKEN``
  (command processing off until a ``::TOKEN::`` line), built on tests/actions_runner.py;
- token canaries and every spelling they could leak in (raw, URL-encoded,
  JSON-escaped, base64 at any alignment);
- a clean environment (nothing of the CI this suite itself may run in leaks in);
- one way to run the real CLI in-process (:func:`check`) that also collects the
  job summary, the step outputs and every report file, and one way to run it as
  a subprocess with a hard time limit (:func:`check_subprocess`), for hang cases;
- config files for the three backends, with a short ``deadline`` where a test meets it;
- tiny servers: :class:`RawServer` (raw sockets that hang, drip or drop) and
  :class:`JsonServer` (answers from a Python function, for fuzzing).

The case map (the issue's numbering -> tests) is in test_reliability_map.py.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from actions_runner import Command, parse_line
from conftest import run_cli
from fakes import server as fake_server
from fakes.github import FakeGitHub
from fakes.gitlab import FakeGitLab
from fakes.server import Response
from fakes.worlds import at

NOW_ARG = "2026-11-20T12:00:00Z"
DEADLINE = "2s"
"""The deadline of a test that waits it out on purpose (a hung or dripping server, a rate
limit): short, so the suite stays fast. A test passes it when it means to meet it."""
DEADLINE_SECONDS = 2.0
ROOMY_DEADLINE = "60s"
"""The [github]/[gitlab] deadline of every other network test: a fake that works through a
few hundred deployments on a loaded machine can take more than two seconds, and a check
that ran out of time there failed a test about pagination, not about deadlines."""
MARGIN = 1.5
"""Seconds past the deadline that start-up, rendering and scheduling may take."""
STICKY_MARKER = "<!-- deploygate:sticky-comment -->"


# ---------------------------------------------------------------------------
# The runner, with ::stop-commands::
# ---------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n|\r|\n")
""".NET's ReadLine breaks on \\r too, so a raw carriage return would start a new line."""
OUR_COMMANDS = frozenset({"error", "warning", "notice"})


def runner_commands(log: str) -> list[Command]:
    """The commands the runner acts on in ``log``, in order, honouring stop-commands.

    After ``::stop-commands::TOKEN`` the runner ignores every command until a
    line ``::TOKEN::``, so one injected stop would silence every later
    annotation, the blocking ``::error::`` included.
    """
    acted: list[Command] = []
    resume: str | None = None
    for line in _LINE_BREAKS.split(log):
        command = parse_line(line)
        if resume is not None:
            if command is not None and command.name == resume and not command.data:
                resume = None
            continue
        if command is None:
            continue
        acted.append(command)
        if command.name == "stop-commands" and command.data:
            resume = command.data
    return acted


def runner_views(stdout: str, stderr: str) -> list[list[Command]]:
    """What the runner acts on when the two streams interleave either way round."""
    return [runner_commands(stdout + "\n" + stderr), runner_commands(stderr + "\n" + stdout)]


def foreign_commands(commands: Iterable[Command]) -> list[Command]:
    """Commands deploygate did not mean: any other name, or a title that is not its own."""
    return [
        command
        for command in commands
        if command.name not in OUR_COMMANDS
        or not command.properties.get("title", "").startswith("deploygate")
    ]


# ---------------------------------------------------------------------------
# Token canaries
# ---------------------------------------------------------------------------

CANARIES = {
    # '/', '+', '=' and '"' make the URL-encoded and JSON-escaped spellings differ from the raw.
    "GITHUB_TOKEN": 'ghs_CANARYgh+7Qz/"k9=Wv31',
    "GITLAB_TOKEN": 'glpat-CANARYgl+4Rt/"m2=Xa58',
    "CI_JOB_TOKEN": 'glcbt-CANARYjob+1Lp/"s6=Yd07',
}


def _base64_cores(secret: bytes) -> set[str]:
    """The base64 characters that encode only ``secret``, whatever precedes it (3 alignments)."""
    cores = set()
    for offset in range(3):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(b"\0" * offset + secret).decode()
            first_group = -(-offset // 3)  # the first 3-byte group that is all secret
            last_group = (offset + len(secret)) // 3
            core = encoded[first_group * 4 : last_group * 4]
            if len(core) >= 8:
                cores.add(core)
    return cores


def canary_forms(secret: str) -> set[str]:
    """Every spelling of ``secret`` that must never leave deploygate."""
    forms = {
        secret,
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote_plus(secret),
        urllib.parse.quote(secret),
        json.dumps(secret)[1:-1],
        json.dumps(json.dumps(secret))[1:-1],
    }
    forms |= _base64_cores(secret.encode())
    return forms


def leaks(text: str, secrets: Mapping[str, str] = CANARIES) -> list[str]:
    """``NAME: form`` for every canary spelling found in ``text``."""
    return sorted(
        f"{name}: {form}"
        for name, secret in secrets.items()
        for form in canary_forms(secret)
        if form in text
    )


BUG_TEXT = "x\n::error::owned"
"""What an internal error's message carries: a line break and then a runner command."""


def bug_message(secrets: Iterable[str]) -> str:
    """An exception message with :data:`BUG_TEXT` and each secret raw, URL-encoded,
    JSON-escaped and inside a Basic auth header, as a bug in a request might hold them."""
    spellings = [
        spelling
        for secret in secrets
        for spelling in (
            secret,
            urllib.parse.quote(secret, safe=""),
            json.dumps({"token": secret}),
            base64.b64encode(f"x-access-token:{secret}".encode()).decode(),
        )
    ]
    return f"{BUG_TEXT} while holding {' '.join(spellings)}"


def plant_bug(
    monkeypatch: Any,
    secrets: Iterable[str],
    *,
    target: str = "deploygate.gate.link_failures",
    error: type[Exception] = RuntimeError,
) -> None:
    """Make a real step of every check raise ``error``, a bug whose message is
    :func:`bug_message`: no input reaches exit 4 once the bugs are fixed. The step is
    ``target``: by default linking failures to postmortems, or a step inside a source."""
    message = bug_message(secrets)

    def broken(*_args: object, **_kwargs: object) -> None:
        raise error(message)

    monkeypatch.setattr(target, broken)


def assert_internal_error(run: Run, *, debug: bool, error: type[Exception] = RuntimeError) -> None:
    """Exit 4; with --debug a traceback ending in the bug, without it one line and none."""
    assert run.exit_code == 4, run.output
    assert "owned" in run.stderr, run.stderr  # the bug's text is shown, as data
    if debug:
        assert "Traceback (most recent call last)" in run.stderr, run.stderr
        assert error.__name__ in run.stderr.split("Traceback", 1)[1], run.stderr
    else:
        assert "Traceback" not in run.output, run.output
        assert run.stderr.count("\n") == 1, run.stderr
        assert run.stderr.startswith("deploygate: error: internal error:"), run.stderr


def assert_no_leak(run: Run, *fakes: FakeGitHub | FakeGitLab) -> None:
    """Case 13: no canary spelling in stdout, stderr or any file of ``run``; none in any
    request line or body a fake received; and in headers only that backend's own token."""
    found = leaks(run.everything)
    assert not found, f"canaries in the output: {found}"
    for fake in fakes:
        own = "GITHUB_TOKEN" if isinstance(fake, FakeGitHub) else "GITLAB_TOKEN"
        others = {name: value for name, value in CANARIES.items() if name != own}
        for request in list(fake.requests):
            sent = f"{request.path}?{request.query}\n" + request.body.decode("utf-8", "replace")
            found = leaks(sent) + leaks(request.text(), others)
            assert not found, f"canaries sent in {request.method} {request.path}: {found}"


# ---------------------------------------------------------------------------
# Assertions several modules share
# ---------------------------------------------------------------------------

HOSTILE_MARKDOWN = (
    "@octocat @org/team <img src=x> <!-- deploygate --> [Approve](http://evil.invalid) "
    "</details> ```"
)
OUR_TAGS = {"<sub>", "</sub>", "<br>", STICKY_MARKER}


def assert_inert_markdown(document: str, *, markers: int) -> None:
    """The hostile title is shown but pings, embeds, hides and links nothing."""
    assert "octocat" in document
    assert "Approve" in document
    assert re.findall(r"@(?=[A-Za-z0-9])", document) == [], "a live mention"
    tags = set(re.findall(r"<[!/A-Za-z][^<>]*>", document))
    assert tags <= OUR_TAGS, tags - OUR_TAGS
    assert document.count(STICKY_MARKER) == markers
    # A link is an unescaped [text](target); none may point where the input said.
    targets = re.findall(r"(?<!\\)\[[^\]]*(?<!\\)\]\(([^)\s]*)", document)
    assert [target for target in targets if "evil" in target] == [], targets
    assert re.search(r"https?://evil|www\.evil", document) is None, "a bare autolink"
    fences = [line for line in document.split("\n") if line.lstrip(" ").startswith("```")]
    assert len(fences) % 2 == 0
    assert document.count("```") % 2 == 0
    assert leaks(document) == []


def annotations(run: Run, name: str) -> list[str]:
    return [command.data for command in runner_commands(run.output) if command.name == name]


def assert_not_verified(run: Run, on_error: str) -> None:
    """Exit 3 and one error annotation, or under --on-error warn exit 0 and one warning."""
    loud, quiet = ("error", "warning") if on_error == "fail" else ("warning", "error")
    assert run.exit_code == (3 if on_error == "fail" else 0), run.output
    [annotation] = annotations(run, loud)
    assert annotation.startswith("NOT VERIFIED: source ")
    assert annotations(run, quiet) == []
    assert "NOT VERIFIED" in run.stderr
    assert run.report()["verdict"] == "unknown"
    summary = run.files["summary"]
    assert "NOT VERIFIED" in summary
    assert "could not decide" in summary
    assert "verdict<<" in run.files["output"]
    assert "\nunknown\n" in run.files["output"]


def assert_secrets_kept(
    run: Run, secrets: Mapping[str, str], requests: Iterable[Any], authorization: str
) -> None:
    """No spelling of ``secrets`` in any output, nor in any request a fake logged except in
    its Authorization header, which is ``authorization`` in every one."""
    found = leaks(run.everything, secrets)
    assert not found, f"secrets in the output: {found}"
    for request in requests:
        sent = f"{request.path}?{request.query}\n" + request.body.decode("utf-8", "replace")
        assert not leaks(sent, secrets), sent
        assert request.headers.get("authorization") == authorization


def source_status(run: Run, name: str) -> dict[str, Any]:
    """The JSON report's entry for source ``name``."""
    [found] = [source for source in run.report()["sources"] if source["name"] == name]
    return dict(found)


def assert_source_failed(run: Run, name: str, *expected: str) -> str:
    """Exit 3 because source ``name`` failed, with one clear line holding every ``expected``
    part, and NOT VERIFIED said on stderr; returns the line."""
    run.assert_clean()
    assert run.exit_code == 3, run.output
    status = source_status(run, name)
    assert status["ok"] is False
    error = str(status["error"])
    assert "\n" not in error
    for part in expected:
        assert part in error, error
    assert "NOT VERIFIED" in run.stderr
    return error


HOSTILE_TEXTS = (
    "x\n::error::owned",
    "::error::forged\n::stop-commands::x",
    "\x1b]8;;https://evil.test\x07click\x1b]8;;\x07",
    "##[error]legacy forged",
    "</details><script>alert(1)</script>",
)
"""Titles a backend may hold that would be runner commands, terminal escapes or live HTML if
printed as they are."""


def assert_no_hostile_text_reached_the_runner(run: Run) -> None:
    """No runner command but ours, no escape on the terminal or in the text report, and no
    script in the job summary."""
    for view in runner_views(run.stdout, run.stderr):
        assert foreign_commands(view) == []
    assert "\x1b" not in run.stderr
    assert "\x1b" not in run.files["report.text"]
    assert "<script>" not in run.files["summary"]


# ---------------------------------------------------------------------------
# The environment
# ---------------------------------------------------------------------------

_CI_VARIABLES = re.compile(r"^(GITHUB_|GITLAB_|CI_|DEPLOYGATE_|RUNNER_|ACTIONS_)|^(CI|NO_COLOR)$")


def clean_env(**values: str | None) -> dict[str, str | None]:
    """For CliRunner: every CI variable of the real environment unset, then ``values``.

    CI=true keeps the GitHub source from asking ``gh auth token`` when no token is set.
    """
    env: dict[str, str | None] = {name: None for name in os.environ if _CI_VARIABLES.search(name)}
    env["CI"] = "true"
    env.update(values)
    return env


def process_env(env: Mapping[str, str | None]) -> dict[str, str]:
    """The same, as a complete environment for a subprocess."""
    base = {name: value for name, value in os.environ.items() if not _CI_VARIABLES.search(name)}
    base.update({name: value for name, value in env.items() if value is not None})
    for name, value in env.items():
        if value is None:
            base.pop(name, None)
    return base


# ---------------------------------------------------------------------------
# Running the CLI
# ---------------------------------------------------------------------------

REPORT_FORMATS = ("json", "markdown", "codequality", "dotenv", "text", "github", "gitlab")


@dataclass
class Run:
    """One run of ``deploygate check`` and everything it wrote."""

    exit_code: int
    stdout: str
    stderr: str
    elapsed: float
    files: dict[str, str] = field(default_factory=dict)
    """summary, output, report.FORMAT: the contents of each file the run was given."""
    exception: BaseException | None = None
    started_at: float = 0.0
    """Wall-clock time (time.time()) when the run started, and when it ended."""
    ended_at: float = 0.0

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def everything(self) -> str:
        """stdout, stderr and every file, for canary searches."""
        return "\n".join([self.stdout, self.stderr, *self.files.values()])

    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads(self.files["report.json"])
        return document

    def commands(self) -> list[Command]:
        """The commands the runner acts on, stdout then stderr."""
        return runner_commands(self.stdout + "\n" + self.stderr)

    def assert_clean(self) -> None:
        """No traceback, no internal error, and an exit code from the documented table."""
        assert "Traceback (most recent call last)" not in self.output, self.output
        assert "internal error" not in self.stderr, self.stderr
        assert self.exit_code in (0, 1, 3), (self.exit_code, self.output)
        if self.exception is not None:
            assert isinstance(self.exception, SystemExit), repr(self.exception)


@dataclass
class _Prepared:
    argv: list[str]
    env: dict[str, str | None]
    files: dict[str, Path]


def _prepare(
    root: Path,
    config: Path,
    env: Mapping[str, str | None],
    args: Iterable[str],
    *,
    service: str,
    actions: bool,
    reports: bool,
    debug: bool,
) -> _Prepared:
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    extra: list[str] = []
    environment = dict(env)
    if actions:
        files["summary"] = root / "summary.md"
        files["output"] = root / "output.txt"
        for path in (files["summary"], files["output"]):
            path.write_text("", encoding="utf-8")
        environment |= {
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
            "GITHUB_OUTPUT": str(files["output"]),
        }
    if reports:
        for name in REPORT_FORMATS:
            path = root / f"report.{name}"
            files[f"report.{name}"] = path
            extra += ["--output", f"{name}={path}"]
    argv = [*(["--debug"] if debug else []), "check", "--config", str(config)]
    argv += ["--service", service, "--now", NOW_ARG, *extra, *args]
    return _Prepared(argv, environment, files)


def _read(files: Mapping[str, Path]) -> dict[str, str]:
    return {key: path.read_text("utf-8") for key, path in files.items() if path.exists()}


def check(
    tmp_path: Path,
    config: Path,
    env: Mapping[str, str | None],
    *args: str,
    service: str = "checkout",
    actions: bool = True,
    reports: bool = True,
    debug: bool = False,
    name: str = "run",
) -> Run:
    """``deploygate [--debug] check`` in-process, with the step files and every report.

    ``actions``: GITHUB_ACTIONS=true with a job summary and an output file;
    ``reports``: ``--output FORMAT=PATH`` for every format.
    """
    prepared = _prepare(
        tmp_path / name,
        config,
        env,
        args,
        service=service,
        actions=actions,
        reports=reports,
        debug=debug,
    )
    started, wall = time.monotonic(), time.time()
    result = run_cli(*prepared.argv, env=prepared.env)
    return Run(
        exit_code=result.exit_code,
        stdout=result.stdout,
        stderr=result.stderr,
        elapsed=time.monotonic() - started,
        files=_read(prepared.files),
        exception=result.exception,
        started_at=wall,
        ended_at=time.time(),
    )


class Launch:
    """``python -m deploygate check`` started in its own process, killed after ``limit`` s.

    A watcher thread collects the process as soon as it ends, so the times of
    several launches running at once are each their own.
    """

    def __init__(
        self,
        tmp_path: Path,
        config: Path,
        env: Mapping[str, str | None],
        *args: str,
        limit: float,
        service: str = "checkout",
        actions: bool = True,
        reports: bool = True,
        debug: bool = False,
        name: str = "run",
    ) -> None:
        self.prepared = _prepare(
            tmp_path / name,
            config,
            env,
            args,
            service=service,
            actions=actions,
            reports=reports,
            debug=debug,
        )
        self.started, self.started_at = time.monotonic(), time.time()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deploygate", *self.prepared.argv],
            env=process_env(self.prepared.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._run: Run | None = None
        self._watcher = threading.Thread(target=self._watch, args=(limit,), daemon=True)
        self._watcher.start()

    def _watch(self, limit: float) -> None:
        try:
            stdout, stderr = self.process.communicate(timeout=limit)
            code = self.process.returncode
        except subprocess.TimeoutExpired:
            self.process.kill()
            stdout, stderr = self.process.communicate()
            code = -9
        self._run = Run(
            exit_code=code,
            stdout=stdout,
            stderr=stderr,
            elapsed=time.monotonic() - self.started,
            started_at=self.started_at,
            ended_at=time.time(),
        )

    def wait(self) -> Run:
        """The finished run (exit code -9 when it had to be killed), with its files."""
        self._watcher.join()
        assert self._run is not None, "the watcher thread did not record the run"
        self._run.files = _read(self.prepared.files)
        return self._run


# ---------------------------------------------------------------------------
# Configs for the three backends
# ---------------------------------------------------------------------------


def github_config(
    tmp_path: Path,
    *,
    graphql_url: str,
    api_url: str | None = None,
    deadline: str = ROOMY_DEADLINE,
    repository: str = "acme/shop",
    extra: str = "",
) -> Path:
    """A config for the GitHub source (``deadline=DEADLINE`` where a test waits it out)."""
    path = tmp_path / "deploygate.toml"
    path.write_text(
        'source = "github"\n'
        f"{extra}"
        "[github]\n"
        f'repository = "{repository}"\n'
        f'graphql-url = "{graphql_url}"\n'
        f'api-url = "{api_url or graphql_url.rsplit("/", 1)[0]}"\n'
        f'deadline = "{deadline}"\n'
        '[services.checkout]\nenvironments = ["production"]\n',
        encoding="utf-8",
    )
    return path


def gitlab_config(
    tmp_path: Path,
    *,
    url: str,
    deadline: str = ROOMY_DEADLINE,
    project: str = "group/shop",
    extra: str = "",
) -> Path:
    """A config for the GitLab source (``deadline=DEADLINE`` where a test waits it out)."""
    path = tmp_path / "deploygate.toml"
    path.write_text(
        'source = "gitlab"\n'
        f"{extra}"
        "[gitlab]\n"
        f'url = "{url}"\n'
        f'project = "{project}"\n'
        f'deadline = "{deadline}"\n'
        '[services.checkout]\nenvironments = ["production"]\n',
        encoding="utf-8",
    )
    return path


GITHUB_TOKEN = CANARIES["GITHUB_TOKEN"]
GITLAB_TOKEN = CANARIES["GITLAB_TOKEN"]
OVERDUE_TITLE = "Alert on the payment error budget burn rate"


def github_env(fake: FakeGitHub | None = None, **values: str | None) -> dict[str, str | None]:
    """What a GitHub Actions job of acme/shop sees (the step files are added by check)."""
    env = clean_env(GITHUB_TOKEN=GITHUB_TOKEN, GITHUB_REPOSITORY="acme/shop")
    env |= {"CI_JOB_TOKEN": CANARIES["CI_JOB_TOKEN"], "GITLAB_TOKEN": GITLAB_TOKEN}
    if fake is not None:
        env |= {"GITHUB_API_URL": fake.api_url, "GITHUB_GRAPHQL_URL": fake.graphql_url}
    return env | values


def gitlab_env(**values: str | None) -> dict[str, str | None]:
    """The tokens of a GitLab job (and a GitHub token that must not leak either)."""
    env = clean_env(GITLAB_TOKEN=GITLAB_TOKEN, CI_JOB_TOKEN=CANARIES["CI_JOB_TOKEN"])
    return env | {"GITHUB_TOKEN": GITHUB_TOKEN} | values


def small_github(
    fake: FakeGitHub,
    *,
    item_title: str = OVERDUE_TITLE,
    postmortem_title: str = "Checkout returned 500s after the config rollout",
    body: str = "## What we learned\n- configs drift",
) -> None:
    """acme/shop: a failure five days ago and a postmortem with one overdue item (exit 1)."""
    world = fake.world
    world.token(GITHUB_TOKEN, login="github-actions[bot]")
    shop = world.repo("acme/shop")
    shop.deployment(environment="production", state="FAILURE", created_at=at(5))
    postmortem = shop.issue(
        title=postmortem_title,
        body=body,
        labels=["postmortem", "service:checkout"],
        created_at=at(60),
    )
    postmortem.add_sub_issue(
        shop.issue(title=item_title, body=body, created_at=at(60), milestone_due_on=at(30))
    )


def small_gitlab(
    fake: FakeGitLab,
    *,
    item_title: str = OVERDUE_TITLE,
    postmortem_title: str = "Checkout returned 500s after the config rollout",
    description: str = "## What we learned\n- configs drift",
) -> None:
    """group/shop: a failure five days ago and an incident with one overdue linked issue."""
    world = fake.world
    world.token(GITLAB_TOKEN, username="deploybot")
    shop = world.project("group/shop")
    shop.deployment(environment="production", status="failed", created_at=at(5))
    incident = shop.issue(
        title=postmortem_title,
        description=description,
        labels=["postmortem", "service::checkout"],
        issue_type="incident",
        created_at=at(60),
    )
    incident.link(
        shop.issue(
            title=item_title,
            description=description,
            created_at=at(60),
            due_date=at(30).date(),
        )
    )


def mutate_answers(
    fake: FakeGitHub | FakeGitLab,
    applies: Callable[[Any], bool],
    mutate: Callable[[Any], None],
) -> None:
    """Let the fake answer, then ``mutate`` the answer (its ``body``, ``raw``, ``headers``)
    of every request for which ``applies(record)`` holds: malformed data of a real shape."""
    original = fake.answer

    def answer(record: Any) -> Any:
        response = original(record)
        if applies(record) and response.status == 200:
            mutate(response)
        return response

    fake.answer = answer  # type: ignore[method-assign]


def raw_body(payload: bytes) -> Callable[[Any], None]:
    """A ``mutate_answers`` mutation: the answer's body becomes ``payload``, as it is (a
    login page, truncated JSON)."""

    def apply(response: Any) -> None:
        response.raw = payload

    return apply


def redirect(
    fake: Any, applies: Callable[[Any], bool], base: str, status: int = 302, times: int = 1
) -> None:
    """Answer the first ``times`` requests for which ``applies(record)`` holds with ``status``
    and a ``Location`` on ``base`` with the same path and query: another host, or the fake's
    own (GitHub's 301 and 307 for a renamed repository)."""
    original = fake.answer
    left = [times]

    def answer(record: Any) -> Any:
        if left[0] > 0 and applies(record):
            left[0] -= 1
            query = f"?{urllib.parse.urlencode(record.query)}" if record.query else ""
            return Response(status, {"message": "Moved"}, {"Location": base + record.path + query})
        return original(record)

    fake.answer = answer


def stream_of(record: Any) -> str:
    """Which listing a request belongs to: the GraphQL operation, or the REST path.

    The GitHub source reads deployments and postmortems side by side, so its
    requests form one sequence per listing, each with its own retries.
    """
    match = re.search(rb"query (\w+)", record.body or b"")
    if not match:
        return str(record.path)
    # GitLab reads each postmortem listing (a label, incidents) with the same query: the
    # variables other than the cursor tell the listings apart.
    try:
        variables = json.loads(record.body).get("variables") or {}
    except (ValueError, AttributeError):
        variables = {}
    listing = {k: v for k, v in variables.items() if k not in ("after", "cursor")}
    return match.group(1).decode() + (json.dumps(listing, sort_keys=True) if listing else "")


def streams(requests: Iterable[Any]) -> dict[str, list[Any]]:
    """The requests of each listing, in order."""
    grouped: dict[str, list[Any]] = {}
    for record in requests:
        grouped.setdefault(stream_of(record), []).append(record)
    return grouped


def toml_string(text: str) -> str:
    """``text`` as a TOML basic string (JSON's escapes, \\uXXXX included, are valid TOML)."""
    return json.dumps(text)


def local_config(tmp_path: Path, postmortems: Mapping[str, str], history: str = "") -> Path:
    """A local project: ``postmortems`` (file name -> text) and a history file."""
    folder = tmp_path / "postmortems"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in postmortems.items():
        (folder / name).write_text(text, encoding="utf-8")
    (tmp_path / "deployments.jsonl").write_text(history, encoding="utf-8")
    path = tmp_path / "deploygate.toml"
    path.write_text(
        '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n', encoding="utf-8"
    )
    return path


def local_postmortem(title: str, items: Iterable[tuple[str, str]], *, days_ago: int = 60) -> str:
    """A postmortem of checkout with front-matter action items (title, due date)."""
    written = at(days_ago).strftime("%Y-%m-%dT%H:%M:%SZ")
    lines = ["+++", 'service = "checkout"', f"date = {written}", f"title = {toml_string(title)}"]
    for item_title, due in items:
        lines += ["", "[[action_items]]", f"title = {toml_string(item_title)}", f"due = {due}"]
    return "\n".join([*lines, "+++", "", "## What we learned", "- something", ""])


# ---------------------------------------------------------------------------
# Tiny servers
# ---------------------------------------------------------------------------


class RawServer:
    """A TCP server that misbehaves on purpose, one thread per connection.

    ``hang``: reads the request and never answers. ``drip``: answers an endless
    200 response one byte a second (headers first, then a body that never
    ends), so no single read ever waits long. ``drop``: sends the headers and
    part of the body promised by Content-Length, then closes.
    """

    def __init__(self, mode: str, host: str = "127.0.0.1") -> None:
        assert mode in ("hang", "drip", "drop")
        self.mode = mode
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((host, 0))
        self.listener.listen(16)
        self.stopping = threading.Event()
        self.connections = 0
        self.first_at: float | None = None
        """Wall-clock time of the first connection."""
        self.requests: list[bytes] = []
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.listener.getsockname()[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stopping.set()
        with contextlib.suppress(OSError):
            self.listener.close()
        for connection in list(self._sockets):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                connection.close()
        self._thread.join(timeout=2)

    def _accept(self) -> None:
        self.listener.settimeout(0.05)
        while not self.stopping.is_set():
            try:
                connection, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.first_at is None:
                self.first_at = time.time()
            self._sockets.append(connection)
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _read_request(self, connection: socket.socket) -> None:
        connection.settimeout(5)
        data = b""
        with contextlib.suppress(OSError):
            while b"\r\n\r\n" not in data:
                chunk = connection.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.requests.append(data)

    def _serve(self, connection: socket.socket) -> None:
        self._read_request(connection)
        try:
            if self.mode == "hang":
                self.stopping.wait()
            elif self.mode == "drip":
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                head += b"Content-Length: 1000000\r\n\r\n"
                stream = head + b'{"data": "' + b"x" * 10_000_000
                for byte in stream:
                    if self.stopping.wait(1.0):
                        break
                    connection.sendall(bytes([byte]))
            else:
                body = b'{"data": {"repository": {"deploym'
                head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                head += b"Content-Length: 4000\r\n\r\n"
                connection.sendall(head + body)
                time.sleep(0.05)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                connection.close()


Answer = tuple[int, dict[str, str], bytes]
Handler = Callable[[str, str, bytes], Answer]


class JsonServer:
    """An HTTP server answering every request with ``handler(method, path, body)``."""

    def __init__(self, handler: Handler, host: str = "127.0.0.1") -> None:
        self.handler = handler
        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.requests.append((self.command, self.path, dict(self.headers), body))
                status, headers, payload = server.handler(self.command, self.path, body)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer((host, 0), _Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> JsonServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@contextlib.contextmanager
def other_host(payload: bytes = b"[]") -> Iterator[JsonServer]:
    """A server on 127.0.0.2 that answers everything 200 with ``payload`` (an empty list would
    make a GitLab gate pass, were it trusted); the test is skipped where 127.0.0.2 is not
    routable (macOS)."""
    try:
        server = JsonServer(lambda _m, _p, _b: (200, {}, payload), host="127.0.0.2")
    except OSError as error:
        pytest.skip(f"cannot listen on 127.0.0.2: {error}")
    with server:
        yield server


@contextlib.contextmanager
def closed_port() -> Iterator[str]:
    """A loopback URL where nothing listens: every connection is refused."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    yield f"http://127.0.0.1:{port}"


GITLAB_PATHS = {"graphql": frozenset(), "rest": frozenset({"Issue.linkedWorkItems"})}
"""The GitLab source's two ways to read postmortems: GraphQL (17.8 and later) and the REST
fallback of an older GitLab, whose GraphQL lacks ``Issue.linkedWorkItems``."""


@pytest.fixture(params=sorted(GITLAB_PATHS))
def fake_gitlab(request: pytest.FixtureRequest) -> Iterator[FakeGitLab]:
    """The fake GitLab, once as a GitLab whose GraphQL reads postmortems and once as an older
    one read through REST: every hostile case here meets both paths."""
    fake = FakeGitLab()
    fake.graphql_lacks = set(GITLAB_PATHS[request.param])
    yield from fake_server.running(fake)
