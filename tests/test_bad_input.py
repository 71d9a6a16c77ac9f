"""Bad postmortem files, history files and options exit 2 with one ``deploygate: error:``
line and no traceback (the config file's mistakes are in test_config.py).

The line must name the file, the line number where one is knowable, the
field, and the expected form, so the person can go straight to the spot to
edit. The fixed-input cases near the end pin bugs that fuzzing once found
(out-of-range times, huge numbers, deep nesting, inline tables, odd line
breaks), so they stay fixed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from bad_input import (
    FRONT,
    LOCAL,
    RECORD,
    assert_message,
    check,
    no_traceback,
    one_error_line,
    run,
)

# --- postmortem files ------------------------------------------------------------------


POSTMORTEM_CASES = [
    pytest.param(
        "# Checkout outage\n\nNo metadata here.\n",
        1,
        None,
        ["no front matter", "expected the file to start with a +++ line"],
        id="no-front-matter",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\n# Outage\n',
        1,
        None,
        ["front matter is never closed", "expected a +++ line"],
        id="unclosed-front-matter",
    ),
    pytest.param(
        # Front-matter line 3 is file line 4: the opening +++ is line 1.
        '+++\ntitle = "Outage"\nservice = "checkout"\ndate = 2026-09-14 10:20\nstatus = "open"\n'
        "+++\n",
        4,
        None,
        ["front matter is not valid TOML"],
        id="invalid-toml-in-front-matter",
    ),
    pytest.param(
        '+++\nservice = "checkout"\nstatus = closed\ndate = 2026-09-14\n+++\n',
        3,
        None,
        ["front matter is not valid TOML", "Invalid value"],
        id="bare-word-value",
    ),
    pytest.param(
        '+++\nservice = "checkout"\nstatus = "closed"\n+++\n# Outage\n',
        1,
        "date",
        ["missing key", "expected an ISO 8601 time"],
        id="missing-date",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = "last tuesday"\n+++\n',
        3,
        "date",
        ["'last tuesday' is not a time", "expected an ISO 8601 time"],
        id="bad-date",
    ),
    pytest.param(
        '+++\nservice = "checkout"\n\ndate = 20260914\n+++\n',
        4,
        "date",
        ["20260914 is not a time", "expected an ISO 8601 time"],
        id="date-not-a-date",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\nstatsu = "open"\n+++\n',
        4,
        "statsu",
        ["unknown key", "did you mean 'status'?", "expected title, service, date, status"],
        id="unknown-front-matter-key",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\nstatus = "done"\n+++\n',
        4,
        "status",
        ["unknown status 'done'", "expected 'open' or 'closed'"],
        id="bad-status",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\ndeployments = "1041"\n+++\n',
        4,
        "deployments",
        ["must be a list", 'expected ids, URLs or shas, e.g. ["1041"]'],
        id="deployments-not-a-list",
    ),
    pytest.param(
        '+++\nservice = ""\ndate = 2026-09-14\n+++\n',
        2,
        "service",
        ["must be a non-empty string"],
        id="empty-service",
    ),
    pytest.param(
        FRONT
        + "# Outage\n\n## Action items\n- [x] Validate config\n- [ ] thing (due: 2026-13-45)\n",
        9,
        "due",
        ["'2026-13-45' is not a date", "expected a date such as 2026-09-14"],
        id="task-bad-due-date",
    ),
    pytest.param(
        FRONT + "# Outage\n\n```\n- [ ] not a task (due: whenever)\n```\n"
        "- [ ] real task (due: someday)\n",
        10,
        "due",
        ["'someday' is not a date"],
        id="task-after-code-fence",
    ),
    pytest.param(
        FRONT + "# Outage\n- [ ] thing (due: 2026-10-01, owner: bob)\n",
        6,
        None,
        ["unknown attribute 'owner: bob'", "expected 'key: value' pairs with keys due, team"],
        id="task-unknown-attribute",
    ),
    pytest.param(
        FRONT + "# Outage\n- [ ] thing (due: 2026-10-01, tema: payments)\n",
        6,
        None,
        ["unknown attribute 'tema: payments'", "did you mean 'team'?"],
        id="task-misspelt-attribute",
    ),
    pytest.param(
        FRONT + "# Outage\n- [ ] thing (reason: duplicate)\n",
        6,
        "reason",
        ["only declined items have a reason", "expected '[-]'"],
        id="task-reason-not-declined",
    ),
    pytest.param(
        FRONT + "# Outage\n- [x] thing (team: payments, closed: 2026-13-45)\n",
        6,
        "closed",
        ["'2026-13-45' is not a time", "expected an ISO 8601 time"],
        id="task-bad-closing-date",
    ),
    pytest.param(
        FRONT + "# Outage\n- [ ] thing (closed: 2026-10-01)\n",
        6,
        "closed",
        ["an open item has no closing time", "expected '[x]' or '[-]'"],
        id="task-closing-date-on-an-open-item",
    ),
    pytest.param(
        FRONT + "# Outage\n\n- [ ] (due: 2026-10-01)\n",
        7,
        None,
        ["task has no text", "expected '- [ ] what to do"],
        id="task-without-text",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\n\n[[action_items]]\ntitle = "a"\n\n'
        '[[action_items]]\ntitle = "b"\nowner = "bob"\n+++\n',
        8,
        "action_items.owner",
        ["unknown key", "expected title, state, due, team, reason, id"],
        id="action-item-table-unknown-key",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\n[[action_items]]\ndue = 2026-10-01\n+++\n',
        4,
        "action_items.title",
        ["missing or empty", "expected a short description"],
        id="action-item-table-without-title",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\n[[action_items]]\ntitle = "a"\n'
        'state = "finished"\n+++\n',
        4,
        "action_items.state",
        ["unknown state 'finished'", "expected 'open', 'done' or 'declined'"],
        id="action-item-table-bad-state",
    ),
    pytest.param(
        '+++\nservice = "checkout"\ndate = 2026-09-14\n[[action_items]]\ntitle = "a"\n'
        'state = "done"\nclosed = "last week"\n+++\n',
        4,
        "action_items.closed",
        ["'last week' is not a time", "expected an ISO 8601 time"],
        id="action-item-table-bad-closing-date",
    ),
]


@pytest.mark.parametrize(("content", "line", "field", "parts"), POSTMORTEM_CASES)
def test_bad_postmortem_is_one_line_naming_file_line_field_and_form(
    proj: Path, content: str, line: int, field: str | None, parts: list[str]
) -> None:
    path = proj / "postmortems" / "2026-09-14-checkout.md"
    path.write_text(content)
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, path, line, field, *parts)


def test_non_utf8_postmortem_is_reported(proj: Path) -> None:
    path = proj / "postmortems" / "latin1.md"
    path.write_bytes(FRONT.encode() + "# Caf\xe9 outage\n".encode("latin-1"))
    message = one_error_line(check(proj / "deploygate.toml"))
    assert message.startswith(f"{path}"), message
    assert "not UTF-8 text" in message
    assert "expected a UTF-8 text file" in message


def test_postmortem_in_a_subfolder_is_reported_by_its_path(proj: Path) -> None:
    path = proj / "postmortems" / "2026" / "q3" / "outage.md"
    path.parent.mkdir(parents=True)
    path.write_text('+++\nservice = "checkout"\n+++\n')
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, path, 1, "date", "missing key")


def test_readme_and_templates_are_skipped_but_other_markdown_is_reported(proj: Path) -> None:
    folder = proj / "postmortems"
    (folder / "README.md").write_text("# Postmortems\n\nOne file per incident.\n")
    (folder / "_template.md").write_text("# Title\n\n## Action items\n- [ ] (due: )\n")
    (folder / "2026-09-14.md").write_text(FRONT + "# Outage\n")
    passed = check(proj / "deploygate.toml")
    no_traceback(passed)
    assert passed.exit_code == 0, passed.output
    assert passed.stderr == ""

    (folder / "notes.md").write_text("Loose notes without front matter.\n")
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, folder / "notes.md", 1, None, "no front matter")


# --- the history file ------------------------------------------------------------------


HISTORY_CASES = [
    pytest.param(
        [RECORD.format(id="1", status="success"), "{not json"],
        2,
        None,
        ["not valid JSON", "expected one JSON object per line"],
        id="not-json",
    ),
    pytest.param(
        [RECORD.format(id="1", status="success"), "", '["a", "list"]'],
        3,
        None,
        ["not a JSON object", "expected one object per line"],
        id="not-an-object",
    ),
    pytest.param(
        [RECORD.format(id="1", status="exploded")],
        1,
        "status",
        ["unknown status 'exploded'", "expected one of success, failure, error"],
        id="unknown-status",
    ),
    pytest.param(
        [
            RECORD.format(id="1", status="success"),
            '{"id":"2","service":"checkout","environment":"production","status":"failure"}',
        ],
        2,
        "created_at",
        ["missing"],
        id="missing-created-at",
    ),
    pytest.param(
        [
            '{"id":"1","service":"checkout","environment":"production","status":"failure",'
            '"created_at":"yesterday"}'
        ],
        1,
        "created_at",
        ["'yesterday' is not a time", "expected an ISO 8601 time"],
        id="bad-created-at",
    ),
    pytest.param(
        [RECORD.format(id="1", status="success"), RECORD.format(id="1", status="failure")],
        2,
        "id",
        ["duplicate id '1'", "first used on line 1"],
        id="duplicate-id",
    ),
    pytest.param(
        [RECORD.format(id="1", status="success")[:-1] + ',"owner":"bob"}'],
        1,
        "owner",
        ["unknown field", "expected id, service, environment, status"],
        id="unknown-field",
    ),
    pytest.param(
        [
            RECORD.format(id="1", status="success"),
            '{"service":"payments","status":"exploded"',
        ],
        2,
        None,
        ["not valid JSON"],
        id="torn-line-of-another-service",
    ),
]


@pytest.mark.parametrize(("lines", "line", "field", "parts"), HISTORY_CASES)
def test_bad_history_is_one_line_naming_file_line_field_and_form(
    proj: Path, lines: list[str], line: int, field: str | None, parts: list[str]
) -> None:
    history = proj / "deployments.jsonl"
    history.write_text("\n".join(lines) + "\n")
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, history, line, field, *parts)


# --- options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "error"),
    [
        pytest.param(
            ["--now", "yesterday"],
            "Error: Invalid value for '--now'",
            id="now-yesterday",
        ),
        pytest.param(
            ["--output", "nonsense"],
            "'nonsense' is not FORMAT=PATH",
            id="output-without-equals",
        ),
        pytest.param(
            ["--output", "xml=out.xml"],
            "'xml=out.xml' is not FORMAT=PATH",
            id="output-unknown-format",
        ),
        pytest.param(
            ["--output", "json="],
            "'json=' is not FORMAT=PATH",
            id="output-without-path",
        ),
        pytest.param(
            ["--format", "xml"],
            "Error: Invalid value for '--format'",
            id="format-xml",
        ),
        pytest.param(
            ["--on-error", "maybe"],
            "Error: Invalid value for '--on-error'",
            id="on-error-maybe",
        ),
        pytest.param(
            ["--source", "local,jenkins"],
            "unknown source 'jenkins'; expected one of 'local'",
            id="source-unknown-in-list",
        ),
        pytest.param(
            ["--source", "github,github"],
            "source 'github' is named twice",
            id="source-twice",
        ),
    ],
)
def test_bad_option_is_a_usage_error(proj: Path, args: list[str], error: str) -> None:
    result = check(proj / "deploygate.toml", *args)
    no_traceback(result)
    assert result.exit_code == 2, result.output
    [line] = result.stderr.splitlines()
    assert line.startswith("deploygate: error: "), line
    assert error.removeprefix("Error: ") in line
    assert line.endswith("(see 'deploygate check --help')")
    assert result.stdout == ""


def test_now_error_names_the_expected_form(proj: Path) -> None:
    result = check(proj / "deploygate.toml", "--now", "yesterday")
    assert "'yesterday' is not a time; expected an ISO 8601 time" in result.stderr


def test_output_into_a_folder_names_the_path_and_option(proj: Path) -> None:
    target = proj / "reports"
    target.mkdir()
    message = one_error_line(check(proj / "deploygate.toml", "--output", f"json={target}"))
    assert_message(message, target, None, "--output", "cannot write the file")


# --- bugs found: each test fails today and should pass once the bug is fixed ----------


@pytest.mark.parametrize(
    ("target", "content", "line"),
    [
        pytest.param("deploygate.toml", "strict = true\nlookback = ", 2, id="config-no-newline"),
        pytest.param(
            "postmortems/pm.md",
            '+++\nservice = "checkout"\ndate = \n+++\n# Outage\n',
            3,
            id="front-matter-last-line",
        ),
    ],
)
def test_toml_error_at_the_end_names_the_last_line(
    proj: Path, target: str, content: str, line: int
) -> None:
    path = proj / target
    path.write_text(content)
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, path, line, None, "not valid TOML")


def test_duplicate_task_item_id_names_its_line(proj: Path) -> None:
    path = proj / "postmortems" / "pm.md"
    path.write_text(
        FRONT + "# Outage\n- [ ] Add alert (id: alert)\n- [ ] Add dashboard (id: alert)\n"
    )
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, path, 7, "id", "duplicate action item id 'alert'")


@pytest.mark.parametrize(
    ("target", "content"),
    [
        pytest.param(
            "postmortems/pm.md",
            '+++\nservice = "checkout"\ndate = 0001-01-01T00:00:00+01:00\n+++\n',
            id="postmortem-toml-datetime",
        ),
        pytest.param(
            "postmortems/pm.md",
            '+++\nservice = "checkout"\ndate = "0001-01-01T00:00:00+01:00"\n+++\n',
            id="postmortem-date-string",
        ),
        pytest.param(
            "postmortems/pm.md",
            '+++\nservice = "checkout"\ndate = 2026-09-14\n[[action_items]]\ntitle = "a"\n'
            "due = 0001-01-01T00:00:00+01:00\n+++\n",
            id="action-item-due",
        ),
        pytest.param(
            "deployments.jsonl",
            '{"id":"1","service":"checkout","environment":"production","status":"failure",'
            '"created_at":"0001-01-01T00:00:00+01:00"}\n',
            id="history-created-at",
        ),
    ],
)
def test_out_of_range_time_in_a_file_is_an_input_error(
    proj: Path, target: str, content: str
) -> None:
    path = proj / target
    path.write_text(content)
    message = one_error_line(check(proj / "deploygate.toml"))
    assert message.startswith(f"{path}:"), message


@pytest.mark.parametrize("now", ["9999-12-31T23:00:00-05:00", "0001-01-02"])
def test_out_of_range_now_is_a_usage_error(proj: Path, now: str) -> None:
    (proj / "deployments.jsonl").write_text(RECORD.format(id="1", status="failure") + "\n")
    result = run(
        "check", "--service", "checkout", "--config", str(proj / "deploygate.toml"), "--now", now
    )
    no_traceback(result)
    assert result.exit_code == 2, result.output
    assert "is out of range; expected a time from 1970 to 8999" in result.stderr


@pytest.mark.parametrize(
    ("target", "content"),
    [
        pytest.param("deploygate.toml", "lookback = " + "1" * 5000 + "\n", id="config-huge-int"),
        pytest.param("deploygate.toml", "x = " + "[" * 5000 + "\n", id="config-deep-nesting"),
        pytest.param(
            "postmortems/pm.md",
            "+++\ndate = 2026-09-14\ndeployments = [" + "9" * 5000 + "]\n+++\n",
            id="front-matter-huge-int",
        ),
        pytest.param("deployments.jsonl", '{"id":' + "1" * 5000 + "}\n", id="history-huge-int"),
        pytest.param("deployments.jsonl", "[" * 100000 + "\n", id="history-deep-nesting"),
    ],
)
def test_pathological_input_is_an_input_error(proj: Path, target: str, content: str) -> None:
    if target != "deploygate.toml":
        (proj / "deploygate.toml").write_text(LOCAL)
    path = proj / target
    path.write_text(content)
    message = one_error_line(check(proj / "deploygate.toml"))
    assert message.startswith(f"{path}"), message


@pytest.mark.parametrize(
    ("content", "line", "field", "part"),
    [
        pytest.param(
            FRONT + "# Outage\nPage\x0cbreak\n- [ ] thing (due: 2026-13-45)\n",
            7,
            "due",
            "'2026-13-45' is not a date",
            id="form-feed-in-body-shifts-line",
        ),
        pytest.param(
            '+++\nservice = "checkout"\ndate = 2026-09-14\ntitle = "a\u2028b"\nstatus = "x"\n+++\n',
            5,
            "status",
            "unknown status 'x'",
            id="line-separator-in-toml-string",
        ),
    ],
)
def test_only_newlines_break_postmortem_lines(
    proj: Path, content: str, line: int, field: str, part: str
) -> None:
    path = proj / "postmortems" / "pm.md"
    path.write_text(content)
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, path, line, field, part)


def test_missing_created_at_names_the_form(proj: Path) -> None:
    history = proj / "deployments.jsonl"
    history.write_text(
        '{"id":"1","service":"checkout","environment":"production","status":"failure"}\n'
    )
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, history, 1, "created_at", "expected an ISO 8601 time")


@pytest.mark.parametrize(
    ("target", "content", "line"),
    [
        pytest.param(
            "postmortems/pm.md",
            FRONT.encode() + b"# Outage\n\nCaf\xe9\n",
            7,
            id="postmortem",
        ),
        pytest.param("deploygate.toml", b"strict = true\n# caf\xe9\n", 2, id="config"),
    ],
)
def test_non_utf8_file_names_the_line(proj: Path, target: str, content: bytes, line: int) -> None:
    path = proj / target
    path.write_bytes(content)
    message = one_error_line(check(proj / "deploygate.toml"))
    assert_message(message, path, line, None, "(expected ")
    assert "utf-8" in message.lower()
