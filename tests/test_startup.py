"""Start-up stays light: --version and --help load neither platform client nor requests."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_cli

from deploygate.config import CONFIG_NAME
from deploygate.formats import FORMATS
from deploygate.model import DeploymentStatus
from deploygate.sources import REGISTRY

HEAVY = ("github", "gitlab", "requests", "urllib3")


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"]])
def test_help_and_version_import_no_platform_client(args: list[str]) -> None:
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['deploygate', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('deploygate', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"
    assert result.stdout


def test_a_local_check_loads_no_platform_client() -> None:
    probe = (
        "import sys, runpy\n"
        "sys.argv = ['deploygate', 'check', '--config', 'examples/quickstart/deploygate.toml',"
        " '--service', 'checkout']\n"
        "try:\n"
        "    runpy.run_module('deploygate', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    from conftest import REPO_ROOT

    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, cwd=REPO_ROOT
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"
    assert "verdict: block" in result.stdout


LAZY = (
    "deploygate.run",
    "deploygate.gate",
    "deploygate.model",
    "deploygate.config",
    "deploygate.formats",
    "deploygate.sources",
)


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_no_command(args: list[str]) -> None:
    """What a command needs (the run, the config reader, formats, sources) loads when that
    command runs: --version and --help pay for click and the CLI module only
    (benchmarks/startup.py measures it)."""
    probe = (
        "import sys, runpy\n"
        f"sys.argv = ['deploygate', *{args!r}]\n"
        "try:\n"
        "    runpy.run_module('deploygate', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(m for m in {LAZY!r} if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert result.stderr.strip().splitlines()[-1] == "[]"
    assert result.stdout


def test_help_computed_on_demand_names_the_registries() -> None:
    """The choices and help read from registries on demand still name every entry."""
    check_help = " ".join(run_cli("check", "--help").stdout.split())
    assert f"[{'|'.join(FORMATS)}]" in check_help
    assert f"Where history comes from: {', '.join(REGISTRY)}," in check_help
    record_help = " ".join(run_cli("record", "--help").stdout.split())
    assert f"[{'|'.join(status.value for status in DeploymentStatus)}]" in record_help
    assert f"Default: {CONFIG_NAME}." in " ".join(run_cli("init", "--help").stdout.split())
