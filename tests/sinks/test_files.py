"""Files written by ``--output``: readable like any file the job writes, and never a new
directory tree made from a typo."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli

from deploygate.errors import InputError
from deploygate.sinks.files import write_file


@pytest.fixture
def umask() -> Iterator[None]:
    """Restore the process's umask, which a test sets to prove the file honours it."""
    previous = os.umask(0o022)
    os.umask(previous)
    yield
    os.umask(previous)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_written_file_has_the_mode_a_plain_open_gives(
    tmp_path: Path, umask: None, mask: int, mode: int
) -> None:
    os.umask(mask)
    target = tmp_path / "report.json"
    write_file(target, "{}", field="--output")
    assert stat.S_IMODE(target.stat().st_mode) == mode
    assert target.read_text() == "{}"
    assert [path.name for path in tmp_path.iterdir()] == ["report.json"]


def test_a_missing_directory_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "x.json"
    with pytest.raises(InputError) as raised:
        write_file(target, "{}", field="--output")
    assert str(raised.value) == (
        f"{target}: --output: the directory {target.parent} does not exist "
        "(expected a file in an existing directory)"
    )
    assert not (tmp_path / "no").exists()


@pytest.mark.parametrize("command", ["check", "report"])
def test_output_into_a_missing_directory_exits_2_with_one_line(project: Path, command: str) -> None:
    target = project / "no" / "such" / "x.json"
    args = ["--service", "checkout"] if command == "check" else []
    result = run_cli(
        command, "--config", str(project / "deploygate.toml"), *args,
        "--output", f"json={target}",
    )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"deploygate: error: {target}: --output: the directory {target.parent} does not exist "
        "(expected a file in an existing directory)"
    ]
    assert result.stdout == ""
    assert not (project / "no").exists()
