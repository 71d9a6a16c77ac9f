"""Round two, case 5: the patterns that meet untrusted text run in linear time.

Input: lines that made the old patterns super-linear, in sizes where any
quadratic (or worse) step would take minutes or hours, not the second or two
these take: a heading ``# a`` + 3,000 spaces + ``b`` (24 s a line before,
cubic), a task line with 100,000 spaces inside (quadratic), a whole 1 MB body
of them, in a local postmortem and through the Markdown reader the GitHub and
GitLab sources share; and front matter with a key of 32,000 dotted parts
(tomllib took 19 s on 64 KB of it).

Expected: the check finishes with its normal verdict, the reader returns the
right lessons and tasks, and the deep key is exit 2 naming its line. Nothing
here is timed: the sizes are the bound.
"""

from __future__ import annotations

from pathlib import Path

from reliability.helpers import (
    NOW_ARG,
    OVERDUE_TITLE,
    check,
    clean_env,
    local_config,
    local_postmortem,
)

from deploygate.sources import markdown

HEADING = "# a" + " " * 3000 + "b"
TASK = "- [ ] a" + " " * 100_000 + "b"
BODY = "\n".join([HEADING] * 300 + ["## Lessons", TASK, "- [x] c" + " " * 3000 + "#12"] * 3)
"""About 1 MB of lines that each cost seconds or more under the old patterns."""


def test_the_shared_markdown_reader_is_linear_on_a_1_mb_body() -> None:
    assert len(BODY) > 1_000_000
    assert markdown.heading(HEADING) == (1, "a" + " " * 3000 + "b")
    assert markdown.task(TASK) == (" ", "a" + " " * 100_000 + "b")
    assert markdown.first_heading(BODY) == "a" + " " * 3000 + "b"
    assert markdown.lessons(BODY, ["Lessons"]).startswith("- [ ] a")
    found = markdown.task_references(
        BODY, "acme/shop", "https://github.com", r"[\w.-]+/[\w.-]+", "issues"
    )
    assert found == [("acme/shop", 12)]


def test_a_local_postmortem_of_adversarial_lines_is_checked_as_usual(tmp_path: Path) -> None:
    postmortem = local_postmortem("Outage", [(OVERDUE_TITLE, "2026-10-01")])
    config = local_config(tmp_path, {"outage.md": postmortem + BODY + "\n"})
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 1, run.stderr[:500]
    assert OVERDUE_TITLE in run.stdout
    assert run.stdout.count("Overdue action item") == 4  # its own, and the body's three tasks


def test_a_key_of_32000_dotted_parts_is_refused_at_its_line(tmp_path: Path) -> None:
    postmortem = local_postmortem("Outage", [(OVERDUE_TITLE, "2026-10-01")])
    deep = ".".join(["a"] * 32_000) + " = 1"
    postmortem = postmortem.replace("\ntitle = ", f"\n{deep}\ntitle = ", 1)
    config = local_config(tmp_path, {"deep.md": postmortem})
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 2, run.output
    assert "deep.md:4: " in run.stderr, run.stderr[:500]  # +++, service, date, the key
    assert "more than 64 dotted parts" in run.stderr


def test_locating_a_config_error_past_a_line_of_400000_spaces_is_linear(tmp_path: Path) -> None:
    """The config reader finds a key's line by scanning the file; a line inside a multi-line
    string that looks like the start of a table header cost quadratic time (16 s at 100,000
    spaces, so minutes here)."""
    config = tmp_path / "deploygate.toml"
    config.write_text(
        'link-window = """\n[a' + " " * 400_000 + 'b\n"""\nlookback = "ninety days"\n',
        encoding="utf-8",
    )
    run = check(tmp_path, config, clean_env(), "--now", NOW_ARG, actions=False, reports=False)
    assert run.exit_code == 2, run.output[:500]
    assert run.stderr.startswith(f"deploygate: error: {config}:"), run.stderr[:500]
