"""What every bad-input test asserts: exit 2, one ``deploygate: error:`` line naming the
file, the line, the field and the expected form, no report and no traceback.

Shared by the config tests (test_config.py) and the other input files' tests
(test_bad_input.py), with conftest's ``proj`` fixture.
"""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from conftest import LOCAL, run_cli

__all__ = ["LOCAL"]  # the config of conftest's proj, re-exported for the tests that extend it

FIXED_NOW = "2026-11-20T12:00:00Z"
ERROR_PREFIX = "deploygate: error: "
FRONT = '+++\nservice = "checkout"\ndate = 2026-09-14T10:20:00Z\n+++\n'
"""Valid front matter on file lines 1-4; the body starts on line 5."""
RECORD = (
    '{{"id":"{id}","service":"checkout","environment":"production",'
    '"status":"{status}","created_at":"2026-11-01T10:00:00Z"}}'
)


def run(*args: str) -> Result:
    return run_cli(*args)


def check(config: Path, *args: str) -> Result:
    return run("check", "--service", "checkout", "--config", str(config), "--now", FIXED_NOW, *args)


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def one_error_line(result: Result) -> str:
    """Assert exit 2, one ``deploygate: error:`` line, no report; return the message."""
    no_traceback(result)
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(ERROR_PREFIX), lines[0]
    assert result.stdout == "", "no report may be printed when the input is bad"
    return lines[0][len(ERROR_PREFIX) :]


def where(path: Path, line: int | None, field: str | None) -> str:
    """The start of a message: ``PATH:LINE: FIELD: ``."""
    text = str(path) + (f":{line}" if line is not None else "") + ": "
    return text + (f"{field}: " if field else "")


def assert_message(
    message: str, path: Path, line: int | None, field: str | None, *parts: str
) -> None:
    """``PATH:LINE: FIELD: `` first (``PATH: `` when no line), then every part somewhere."""
    assert message.startswith(where(path, line, field)), message
    for part in parts:
        assert part in message, (part, message)
