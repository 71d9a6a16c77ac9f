"""What every test shares: small, explicit records on a fixed clock (``NOW``, ``ago``,
``deployment``, ``item``, ``postmortem``, ``MemorySource``), the reports' schema checks
(``json_report``, ``loop_report``), ``run_cli`` (the CLI in-process), the ``fake_clock``
fixture (virtual time for HttpClient) and the autouse network guard (netguard.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta, timezone
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import netguard
import pytest
from click.testing import CliRunner, Result
from fakes.clock import FakeClock

import deploygate.http
from deploygate.cli import cli
from deploygate.formats import loop_json
from deploygate.model import (
    ActionItem,
    ActionItemState,
    Deployment,
    DeploymentStatus,
    History,
    Postmortem,
    PostmortemState,
    Query,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
REPO_ROOT = Path(__file__).resolve().parent.parent
NETGUARD_SITE = Path(__file__).resolve().parent / "netguard_site"
REPORT_SCHEMA = json.loads(
    (REPO_ROOT / "src" / "deploygate" / "formats" / "report-v1.schema.json").read_text("utf-8")
)


def json_report(text: str) -> dict[str, Any]:
    """Parse a JSON report and validate it against the shipped schema."""
    document: dict[str, Any] = json.loads(text)
    jsonschema.validate(document, REPORT_SCHEMA)
    return document


def findings_by_rule(report: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    """The findings of one rule in a parsed JSON report, in the report's order."""
    return [finding for finding in report["findings"] if finding["rule"] == rule]


LOOP_REPORT_SCHEMA = json.loads(
    resources.files("deploygate.formats").joinpath(loop_json.SCHEMA_RESOURCE).read_text("utf-8")
)


def loop_report(text: str) -> dict[str, Any]:
    """Parse a learning-loop JSON report (``report --format json``) and validate it against
    the schema the package ships."""
    document: dict[str, Any] = json.loads(text)
    jsonschema.validate(document, LOOP_REPORT_SCHEMA)
    return document


def run_cli(
    *args: str, env: Mapping[str, str | None] | None = None, cwd: Path | None = None
) -> Result:
    """``deploygate ARGS`` in-process: the one way the tests run the CLI without a process.

    click's CliRunner keeps stdout and stderr apart (``result.output`` has both)
    and catches the exit, so the result carries the exit code and any
    exception. ``env`` sets variables for this run only (None unsets one);
    ``cwd`` runs it from another folder, as a user would from their project.
    """
    if cwd is None:
        return CliRunner().invoke(cli, list(args), env=env)
    before = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), env=env)
    finally:
        os.chdir(before)


def ago(**kwargs: float) -> datetime:
    """A moment before the fixed NOW."""
    return NOW - timedelta(**kwargs)


def deployment(
    id: str = "101",
    *,
    status: DeploymentStatus = DeploymentStatus.FAILURE,
    at: datetime | None = None,
    service: str = "checkout",
    environment: str = "production",
    sha: str | None = "9b2e7d41c6a85f3e0d9b7c2a4e6f8d1b3c5a7e90",
    url: str | None = None,
) -> Deployment:
    return Deployment(
        id=id,
        service=service,
        environment=environment,
        status=status,
        created_at=at or ago(days=10),
        sha=sha,
        url=url,
    )


def item(
    title: str = "Add an alert",
    *,
    state: ActionItemState = ActionItemState.OPEN,
    due: str | None = None,
    created: datetime | None = None,
    team: str | None = None,
    closed: datetime | None = None,
) -> ActionItem:
    from datetime import date

    return ActionItem(
        id=f"pm#{title}",
        title=title,
        state=state,
        created_at=created or ago(days=5),
        due=date.fromisoformat(due) if due else None,
        team=team,
        closed_at=closed,
    )


def postmortem(
    id: str = "pm-1",
    *,
    at: datetime | None = None,
    body: str = "",
    service: str | None = "checkout",
    refs: tuple[str, ...] = (),
    items: tuple[ActionItem, ...] = (),
) -> Postmortem:
    return Postmortem(
        id=id,
        title=f"Postmortem {id}",
        state=PostmortemState.CLOSED,
        created_at=at or ago(days=9),
        service=service,
        deployment_refs=refs,
        body=body,
        action_items=items,
    )


class MemorySource:
    """A source that answers from memory: for tests of everything downstream of sources."""

    name = "memory"

    def __init__(self, history: History) -> None:
        self.history = history

    def collect(self, query: Query) -> History:
        return self.history

    def usage(self) -> None:
        return None


@pytest.fixture(scope="session", autouse=True)
def _offline_processes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The network guard (netguard.py) in this process, and through PYTHONPATH in every
    Python process a test starts with this environment; yields where those log refusals."""
    netguard.install()
    log = tmp_path_factory.getbasetemp() / "netguard.log"
    log.touch()
    with pytest.MonkeyPatch.context() as patch:
        search_path = [str(NETGUARD_SITE), os.environ.get("PYTHONPATH", "")]
        patch.setenv("PYTHONPATH", os.pathsep.join(filter(None, search_path)))
        patch.setenv(netguard.LOG_VARIABLE, str(log))
        yield log


class Offline:
    """What the network guard refused during one test, here or in a process it started."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.forgive()

    def refused(self) -> list[str]:
        logged = self.log.read_bytes()[self._logged_before :].decode("utf-8")
        return netguard.refused() + logged.splitlines()

    def forgive(self) -> None:
        """Forget what was refused so far: for the tests of the guard itself."""
        netguard.forget()
        self._logged_before = self.log.stat().st_size


@pytest.fixture(autouse=True)
def offline(_offline_processes: Path) -> Iterator[Offline]:
    """Every test is offline: one that connected beyond loopback fails at teardown, even if
    the code under test caught the error."""
    guard = Offline(_offline_processes)
    yield guard
    refused = guard.refused()
    if refused:
        pytest.fail("\n".join(refused), pytrace=False)


@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """Virtual time (fakes/clock.py) for every HttpClient the test builds without a clock of
    its own, those of an in-process CLI run included. ``fake_clock.drive(fake)`` makes a
    fake server tell the time by it too."""
    clock = FakeClock()
    monkeypatch.setattr(deploygate.http, "default_clock", clock)
    return clock


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """An empty project folder with a config pointing at local files."""
    (tmp_path / "postmortems").mkdir()
    (tmp_path / "deployments.jsonl").touch()  # named in the config, so it must exist
    (tmp_path / "deploygate.toml").write_text(
        '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n'
    )
    return tmp_path


def check_envvars() -> set[str]:
    """Every environment variable an option of `deploygate check` reads: what CI wiring may set."""
    names: set[str] = set()
    for param in cli.commands["check"].params:
        envvar = getattr(param, "envvar", None)
        if isinstance(envvar, str):
            names.add(envvar)
        elif envvar:
            names.update(envvar)
    return names


@pytest.fixture(autouse=True)
def _no_deploygate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Options read DEPLOYGATE_* variables, and the text format COLUMNS; the caller's shell
    must not change results."""
    for name in list(os.environ):
        if name.startswith("DEPLOYGATE_") or name == "COLUMNS":
            monkeypatch.delenv(name)


LOCAL = '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n'
"""The config of ``proj``: the local source on ``postmortems/`` and ``deployments.jsonl``."""


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project whose config points at ``postmortems/`` and ``deployments.jsonl``."""
    root = tmp_path.resolve()
    (root / "postmortems").mkdir()
    (root / "deployments.jsonl").touch()  # named in the config, so it must exist
    (root / "deploygate.toml").write_text(LOCAL)
    return root
