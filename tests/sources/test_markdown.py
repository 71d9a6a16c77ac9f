"""The Markdown reader every source shares: which lines are tasks."""

from __future__ import annotations

import pytest

from deploygate.sources import markdown


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("- [ ] Add an alert", (" ", "Add an alert")),
        ("* [x] Add an alert", ("x", "Add an alert")),
        ("1. [ ] Add an alert", (" ", "Add an alert")),
        ("2) [x] Add an alert", ("x", "Add an alert")),
        ("  10. [-] Rewrite the client", ("-", "Rewrite the client")),
        ("123456789. [ ] nine digits", (" ", "nine digits")),
    ],
)
def test_bullets_and_numbered_items_with_a_box_are_tasks(
    line: str, expected: tuple[str, str]
) -> None:
    assert markdown.task(line) == expected


@pytest.mark.parametrize(
    "line",
    [
        "1. Add an alert",  # no box: a numbered list, not a task list
        "1.[ ] no space after the marker",
        "1234567890. [ ] ten digits is not a list marker in CommonMark",
        "a. [ ] letters are not a marker",
        "    1. [ ] four spaces of indent is a code block",
    ],
)
def test_other_lines_are_not_tasks(line: str) -> None:
    assert markdown.task(line) is None


def test_a_numbered_task_references_its_issue() -> None:
    body = "## Action items\n1. [ ] Alert on errors #12\n2) [x] Fix the cache acme/api#7\n"
    found = markdown.task_references(
        body, "acme/shop", "https://github.com", r"[\w.-]+/[\w.-]+", "issues"
    )
    assert found == [("acme/shop", 12), ("acme/api", 7)]
