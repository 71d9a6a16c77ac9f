"""Local postmortem files: the mistakes people make writing them by hand get a line that
says what to write instead."""

from __future__ import annotations

from pathlib import Path

import pytest

from deploygate.errors import InputError
from deploygate.model import ActionItemState, Postmortem
from deploygate.sources.local.postmortems import parse_postmortem

HEAD = '+++\nservice = "checkout"\ndate = 2026-09-14\n+++\n# Outage\n'
PATH = Path("postmortems/pm.md")


def parse(text: str) -> Postmortem:
    return parse_postmortem(PATH, text.encode(), "pm.md")


def test_yaml_front_matter_is_told_to_be_toml_between_plus_lines() -> None:
    with pytest.raises(InputError) as raised:
        parse("---\nservice: checkout\ndate: 2026-09-14\n---\n# Outage\n")
    assert str(raised.value) == (
        f"{PATH}:1: no front matter: --- starts YAML front matter, which deploygate does not "
        'read (expected TOML between +++ lines: +++, then e.g. service = "checkout", then +++)'
    )


def test_a_file_without_any_front_matter_says_only_that() -> None:
    with pytest.raises(InputError) as raised:
        parse("# Outage\n")
    assert "YAML" not in str(raised.value)
    assert str(raised.value).startswith(f"{PATH}:1: no front matter")


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("- [ ] Add an alert (due 2026-12-01)", "'(due: 2026-12-01)'"),
        ("1. [x] Add an alert (closed 2026-09-20, team: payments)", "'(closed: 2026-09-20)'"),
    ],
)
def test_a_date_without_its_colon_is_an_error_at_its_line(task: str, expected: str) -> None:
    """Read as title text, the due date would vanish and the item could never be overdue."""
    with pytest.raises(InputError) as raised:
        parse(HEAD + "## Action items\n" + task + "\n")
    assert raised.value.path == PATH
    assert raised.value.line == 7
    assert "has no colon" in str(raised.value)
    assert str(raised.value).endswith(f"(expected {expected})")


@pytest.mark.parametrize("title", ["Scale up (due to load)", "Fix the cache (again)"])
def test_a_parenthesis_that_is_not_an_attribute_stays_in_the_title(title: str) -> None:
    postmortem = parse(HEAD + f"- [ ] {title}\n")
    assert [item.title for item in postmortem.action_items] == [title]


def test_numbered_tasks_are_action_items() -> None:
    postmortem = parse(HEAD + "1. [ ] Add an alert (due: 2026-12-01)\n2) [x] Fix the cache\n")
    items = postmortem.action_items
    assert [(item.title, item.state) for item in items] == [
        ("Add an alert", ActionItemState.OPEN),
        ("Fix the cache", ActionItemState.DONE),
    ]
    assert str(items[0].due) == "2026-12-01"
