"""The exit-code table and the errors that carry their code.

"The gate blocked" and "the gate could not decide" are different answers, and
a pipeline must be able to tell them apart, so each error type owns one code
and the CLI has exactly one place that turns an error into a line and a code.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path

from deploygate.sanitize import terminal


class ExitCode(enum.IntEnum):
    """What the process exit status means. Documented in the README and ``--help``."""

    OK = 0
    """The gate passed or warned; or, in advisory mode, any verdict."""
    BLOCKED = 1
    """The gate blocked the deploy."""
    USAGE = 2
    """A bad option, config file, postmortem file or other input."""
    UNDECIDED = 3
    """A source failed, so the gate could not decide; or ``report --publish`` could not publish."""
    INTERNAL = 4
    """A bug in deploygate itself."""


EXIT_CODE_HELP = "\n".join(
    [
        "Exit codes:",
        "  0  pass, warn, or override (--override); any verdict with --advisory",
        "  1  block",
        "  2  usage, config or input error",
        "  3  could not decide: a source failed (0 with --on-error warn),",
        "     or --publish could not publish",
        "  4  internal error in deploygate",
    ]
)


class OnError(enum.Enum):
    """What a failed source does to the exit code."""

    FAIL = "fail"
    """Exit 3: the gate could not decide."""
    WARN = "warn"
    """Exit 0 with a loud NOT VERIFIED warning, for teams that must never be held up."""


class Mode(enum.Enum):
    """What the verdict does to the exit code: a gate is rolled out advisory first."""

    ENFORCE = "enforce"
    """Block exits 1, and a failed source exits 3 (unless on-error is warn)."""
    ADVISORY = "advisory"
    """Every verdict exits 0 and is shown as what it would do ("would block"): the report
    runs in full, so a team sees what the gate would stop before it stops anything."""


class DeploygateError(Exception):
    """Base of every error that deploygate reports as one line and an exit code."""

    exit_code: ExitCode = ExitCode.INTERNAL


class InputError(DeploygateError):
    """Input that a person wrote is wrong: say where, what, and what was expected.

    ``where`` is a file path, optionally with a line number, and ``field`` is
    the key, option or column that was wrong, so the message points at the
    exact spot to edit.
    """

    exit_code = ExitCode.USAGE

    def __init__(
        self,
        problem: str,
        *,
        path: Path | str | None = None,
        line: int | None = None,
        field: str | None = None,
        expected: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.line = line
        self.field = field
        self.expected = expected
        super().__init__(self.render())

    def render(self) -> str:
        """The single line shown to the person at the terminal."""
        where = ""
        if self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}"
            where += ": "
        field = f"{self.field}: " if self.field else ""
        expected = f" (expected {self.expected})" if self.expected else ""
        # Keys and paths come from the input and may hold line breaks of their own.
        return terminal(f"{where}{field}{self.problem}{expected}")


class ConfigError(InputError):
    """The configuration file, or an option that overrides it, is invalid."""


class SourceError(DeploygateError):
    """A source of history could not be read, so the verdict cannot be trusted."""

    exit_code = ExitCode.UNDECIDED

    def __init__(self, source: str, problem: str) -> None:
        self.source = source
        self.problem = problem
        super().__init__(f"source {source!r} failed: {problem}")


class PublishError(DeploygateError):
    """``report --publish`` could not publish: there the publication is the job, so exit 3."""

    exit_code = ExitCode.UNDECIDED


def decode_utf8(content: bytes, path: Path) -> str:
    """A file's text, or an InputError naming the line of its first non-UTF-8 byte."""
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(
            f"not UTF-8 text (byte {error.start})",
            path=path,
            line=content.count(b"\n", 0, error.start) + 1,
            expected="a UTF-8 text file",
        ) from None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or nothing when none is close."""
    import difflib  # only a mistake needs it: a run that reads well never pays for it

    close = difflib.get_close_matches(word, list(choices), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""
