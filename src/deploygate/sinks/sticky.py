"""What every sticky comment shares: the hidden marker and the cut under a size limit."""

from __future__ import annotations

MARKER = "<!-- deploygate:sticky-comment -->"
"""Hidden in the rendered comment; with the author, it finds our comment again."""


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
