"""What every sticky thing shares: the hidden marker, the cut under a size limit, the upsert.

The PR comment, the MR note and the report issue are each one per place,
created once and then edited; this module is the one way to do that.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

MARKER = "<!-- deploygate:sticky-comment -->"
"""Hidden in the rendered comment; with the author, it finds our comment again."""
REPORT_TITLE = "Learning loop report"
REPORT_MARKER = "<!-- deploygate:learning-loop-report -->"
"""Hidden in the report issue's body; with the author, it finds the report issue again."""
WHERE_THE_REPORT_IS = "the job log of the run that published it"


def sticky_body(
    markdown: str,
    limit: int,
    where_the_rest_is: str,
    *,
    marker: str = MARKER,
    kind: str = "comment",
) -> str:
    """The marker and the report, cut at a line under ``limit`` characters with a note.

    ``marker`` and ``kind`` let other sticky things (the learning-loop report
    issue) share the cut while being found by a marker of their own.
    """
    body = f"{marker}\n{markdown}"
    if len(body) <= limit:
        return body
    note = (
        f"\n\n> [!NOTE]\n> deploygate cut this {kind} to stay under the size limit; "
        f"{where_the_rest_is} has every finding.\n"
    )
    cut = body[: limit - len(note)]
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else cut
    return cut + note


def report_body(markdown: str, limit: int) -> str:
    """The report issue's body: its own marker, cut under ``limit`` like a comment."""
    return sticky_body(markdown, limit, WHERE_THE_REPORT_IS, marker=REPORT_MARKER, kind="issue")


class NotLanded(Exception):
    """Creating failed and nothing landed: the create's error is ``cause``; it is not retried."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.problem = str(getattr(cause, "problem", cause))
        """What went wrong, in the words of deploygate's own errors where it was one."""


def upsert(
    find: Callable[[], T | None],
    create: Callable[[], T],
    edit: Callable[[T], None],
    *,
    errors: tuple[type[Exception], ...],
    final: Callable[[Exception], bool],
) -> tuple[T, bool]:
    """Edit ours if it is there, else create it, and never create twice; True if created.

    ``find`` looks for ours (by marker AND by the token's own identity). A
    create that failed may still have landed, so it is never repeated: ``find``
    looks again and what landed is edited. When nothing landed, the failure
    is :class:`NotLanded`; an error that ``final`` deems final (the token may
    not write, say) is raised as it is, without looking again.
    """
    existing = find()
    if existing is not None:
        edit(existing)
        return existing, False
    try:
        return create(), True
    except errors as error:
        if final(error):
            raise
        landed = find()
        if landed is None:
            raise NotLanded(error) from error
        edit(landed)
        return landed, False
