"""The GitHub Actions files: the job summary and the step outputs.

Both files are appended to, as the runner expects several steps and several
writers to share them. The summary is cut under the runner's 1 MiB limit,
with a visible note, because an oversized summary is dropped whole.
See https://docs.github.com/en/actions/reference/workflow-commands-for-github-actions
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path

from deploygate.errors import InputError

SUMMARY_LIMIT = 1024 * 1024
"""Bytes the runner accepts in one step's summary."""

TRUNCATION_NOTE = (
    "\n\n> [!NOTE]\n> deploygate cut this summary to stay under GitHub's 1 MiB limit; "
    "`--output json=PATH` writes every finding.\n"
)


def fit_summary(markdown: str, limit: int = SUMMARY_LIMIT) -> str:
    """``markdown`` itself when it fits, else its first whole lines and a note."""
    if len(markdown.encode()) <= limit:
        return markdown
    budget = limit - len(TRUNCATION_NOTE.encode())
    kept: list[str] = []
    used = 0
    for line in markdown.splitlines(keepends=True):
        size = len(line.encode())
        if used + size > budget:
            break
        kept.append(line)
        used += size
    return "".join(kept) + TRUNCATION_NOTE


def _append(path: Path, text: str, what: str) -> None:
    try:
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        raise InputError(f"cannot append the {what}: {error.strerror}", path=path) from None


def append_summary(path: Path, markdown: str) -> None:
    """Add the report to the job summary ($GITHUB_STEP_SUMMARY)."""
    _append(path, fit_summary(markdown), "job summary")


def set_outputs(path: Path, outputs: Mapping[str, str]) -> None:
    """Write step outputs to $GITHUB_OUTPUT in the heredoc form, with a random delimiter.

    The delimiter form is the one ``@actions/core`` uses; a random delimiter
    means no value, whatever it holds, can end its block early and forge
    another output.
    """
    blocks = []
    for name, value in outputs.items():
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
        blocks.append(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")
    _append(path, "".join(blocks), "step outputs")
