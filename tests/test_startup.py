"""Start-up stays light: --version and --help load neither platform client nor requests."""

from __future__ import annotations

import subprocess
import sys

import pytest

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
