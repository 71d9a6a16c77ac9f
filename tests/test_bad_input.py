"""Every kind of bad input exits 2 with one ``deploygate: error:`` line and no traceback.

The line must name the file, the line number where one is knowable, the
field, and the expected form, so the person can go straight to the spot to
edit. The fixed-input cases near the end pin bugs that fuzzing once found
(out-of-range times, huge numbers, deep nesting, inline tables, odd line
breaks), so they stay fixed.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import Result
from conftest import run_cli

FIXED_NOW = "2026-11-20T12:00:00Z"
ERROR_PREFIX = "deploygate: error: "
LOCAL = '[local]\npostmortems = "postmortems"\nhistory = "deployments.jsonl"\n'
FRONT = '+++\nservice = "checkout"\ndate = 2026-09-14T10:20:00Z\n+++\n'
"""Valid front matter on file lines 1-4; the body starts on line 5."""
RECORD = (
    '{{"id":"{id}","service":"checkout","environment":"production",'
    '"status":"{status}","created_at":"2026-11-01T10:00:00Z"}}'
)


@pytest.fixture(autouse=True)
def _no_deploygate_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Options read DEPLOYGATE_* variables; the caller's shell must not change results."""
    for name in list(os.environ):
        if name.startswith("DEPLOYGATE_"):
            monkeypatch.delenv(name)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    """A project whose config points at ``postmortems/`` and ``deployments.jsonl``."""
    root = tmp_path.resolve()
    (root / "postmortems").mkdir()
    (root / "deploygate.toml").write_text(LOCAL)
    return root


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


# --- config files ----------------------------------------------------------------------


CONFIG_CASES = [
    pytest.param(
        'source = "local"\nlookback = \nstrict = false\n',
        2,
        None,
        ["not valid TOML", "Invalid value"],
        id="invalid-toml",
    ),
    pytest.param(
        'source = "local"\nlookbak = "90d"\n',
        2,
        "lookbak",
        ["unknown key", "did you mean 'lookback'?", "expected one of source, lookback"],
        id="unknown-top-level-key",
    ),
    pytest.param(
        '[rules]\nreviewed-failure = "notice"\nunreviewed-failur = "error"\n',
        3,
        "rules.unreviewed-failur",
        ["unknown key", "did you mean 'unreviewed-failure'?", "expected one of unreviewed-failure"],
        id="unknown-rule-id",
    ),
    pytest.param(
        '[rules]\nopen-action-item = "loud"\n',
        2,
        "rules.open-action-item",
        ["'loud'", "expected one of 'off', 'notice', 'warning', 'error'"],
        id="bad-level",
    ),
    pytest.param(
        '[rules.overdue-action-item]\nmax-age = "30d"\nlevel = "loud"\n',
        3,
        "rules.overdue-action-item.level",
        ["'loud'", "expected one of 'off', 'notice', 'warning', 'error'"],
        id="bad-level-in-rule-table",
    ),
    pytest.param(
        "[rules]\nopen-action-item = 3\n",
        2,
        "rules.open-action-item",
        ["3 is not a level or a table", "expected one of 'off'"],
        id="level-not-a-string",
    ),
    pytest.param(
        '[rules.overdue-action-item]\ngrace = "3d"\n',
        2,
        "rules.overdue-action-item.grace",
        ["unknown key", "expected one of level, max-age"],
        id="option-of-another-rule",
    ),
    pytest.param(
        'lookback = "ninety days"\n',
        1,
        "lookback",
        ["'ninety days' is not a duration", "expected a duration such as 90d"],
        id="bad-duration",
    ),
    pytest.param(
        'lookback = "90d"\nlink-window = 72\n',
        2,
        "link-window",
        ["72 is not a duration", "expected a duration such as 90d"],
        id="duration-not-a-string",
    ),
    pytest.param(
        '[rules.unreviewed-failure]\nlevel = "error"\ngrace = "three days"\n',
        3,
        "rules.unreviewed-failure.grace",
        ["'three days' is not a duration", "expected a duration such as 90d"],
        id="bad-rule-option-duration",
    ),
    pytest.param(
        'strict = "yes"\n',
        1,
        "strict",
        ["'yes' is not a boolean", "expected true or false"],
        id="strict-yes",
    ),
    pytest.param(
        'on-error = "maybe"\n',
        1,
        "on-error",
        ["unknown value 'maybe'", "expected one of 'fail', 'warn'"],
        id="bad-on-error",
    ),
    pytest.param(
        'source = "jenkins"\n',
        1,
        "source",
        ["unknown source 'jenkins'", "expected one of 'local', 'github'"],
        id="unknown-source",
    ),
    pytest.param(
        'source = ["local", "gitlb"]\n',
        1,
        "source",
        ["unknown source 'gitlb'; did you mean 'gitlab'?", "or a list of them"],
        id="unknown-source-in-a-list",
    ),
    pytest.param(
        'source = ["local", "local"]\n',
        1,
        "source",
        ["source 'local' is named twice"],
        id="source-named-twice",
    ),
    pytest.param(
        "source = []\n",
        1,
        "source",
        ["[] is not a source or a list of sources"],
        id="empty-source-list",
    ),
    pytest.param(
        "[rollbacks]\ndetect = 1\n",
        2,
        "rollbacks.detect",
        ["1 is not a boolean", "expected true or false"],
        id="rollbacks-detect-not-boolean",
    ),
    pytest.param(
        '[rollbacks]\nwindow = "soon"\n',
        2,
        "rollbacks.window",
        ["expected a duration such as 90d"],
        id="rollbacks-window-not-a-duration",
    ),
    pytest.param(
        "[services.checkout]\nworkflow = 7\n",
        2,
        "services.checkout.workflow",
        ["7 is not a non-empty string", "expected a workflow file, e.g. deploy.yml"],
        id="service-workflow-not-a-string",
    ),
    pytest.param(
        '[services.checkout]\njobs = "deploy"\n',
        2,
        "services.checkout.jobs",
        ["unknown key; did you mean 'job'?"],
        id="service-unknown-key",
    ),
    pytest.param(
        '[jira]\nprojects = ["ops"]\n',
        2,
        "jira.projects",
        ["'ops' is not a Jira project key", "expected e.g. OPS"],
        id="jira-project-lower-case",
    ),
    pytest.param(
        '[jira]\njql = "project = OPS"\n',
        2,
        "jira.jql",
        ["the query never names {service}"],
        id="jira-jql-without-service",
    ),
    pytest.param(
        '[jira]\njql = "labels = {team} AND component = {service}"\n',
        2,
        "jira.jql",
        ["bad placeholder 'team'", "double braces for a literal"],
        id="jira-jql-unknown-placeholder",
    ),
    pytest.param(
        'strict = false\n\n[environments.staging.rules]\nopen-action-itm = "error"\n',
        4,
        "environments.staging.rules.open-action-itm",
        ["unknown key", "did you mean 'open-action-item'?", "expected one of unreviewed-failure"],
        id="unknown-key-in-environment-rules",
    ),
    pytest.param(
        "[environments.staging]\nrulez = {}\n",
        2,
        "environments.staging.rulez",
        ["unknown key", "did you mean 'rules'?", "expected one of rules"],
        id="unknown-key-in-environment",
    ),
    pytest.param(
        '[environments.staging.rules]\noverdue-action-item = "loud"\n',
        2,
        "environments.staging.rules.overdue-action-item",
        ["unknown value 'loud'", "expected one of 'off'"],
        id="bad-level-in-environment",
    ),
    pytest.param(
        'environments = "staging"\n',
        1,
        "environments",
        ["must be a table", "expected [environments.NAME.rules]"],
        id="environments-not-a-table",
    ),
    pytest.param(
        'local = "postmortems"\n',
        1,
        "local",
        ["must be a table", "expected a [table]"],
        id="local-not-a-table",
    ),
    pytest.param(
        '[local]\npostmortem = "postmortems"\n',
        2,
        "local.postmortem",
        ["unknown key", "did you mean 'postmortems'?", "expected one of postmortems, history"],
        id="unknown-local-key",
    ),
    pytest.param(
        '[local]\nhistory = ""\n',
        2,
        "local.history",
        ["'' is not a path", "expected a path relative to the config file"],
        id="empty-history-path",
    ),
]


@pytest.mark.parametrize(("text", "line", "field", "parts"), CONFIG_CASES)
def test_bad_config_is_one_line_naming_file_line_field_and_form(
    proj: Path, text: str, line: int, field: str | None, parts: list[str]
) -> None:
    config = proj / "deploygate.toml"
    config.write_text(text)
    message = one_error_line(check(config))
    assert_message(message, config, line, field, *parts)


def test_missing_postmortems_folder_is_reported(proj: Path) -> None:
    config = proj / "deploygate.toml"
    config.write_text('source = "local"\n[local]\npostmortems = "docs/postmortems"\n')
    message = one_error_line(check(config))
    assert_message(
        message,
        config,
        3,
        "local.postmortems",
        f"folder {proj / 'docs' / 'postmortems'} does not exist",
        "expected a folder of postmortem Markdown files",
    )


def test_pyproject_tool_table_reports_the_full_field_and_line(proj: Path) -> None:
    config = proj / "pyproject.toml"
    config.write_text(
        '[project]\nname = "shop"\n\n[tool.deploygate]\nsource = "local"\nlookbak = "90d"\n'
    )
    message = one_error_line(check(config))
    assert_message(
        message, config, 6, "tool.deploygate.lookbak", "unknown key", "did you mean 'lookback'?"
    )


def test_pyproject_subtable_reports_the_full_field_and_line(proj: Path) -> None:
    config = proj / "pyproject.toml"
    config.write_text(
        '[project]\nname = "shop"\n\n[tool.deploygate.rules]\nopen-action-item = "on"\n'
    )
    message = one_error_line(check(config))
    assert_message(
        message, config, 5, "tool.deploygate.rules.open-action-item", "unknown value 'on'"
    )


def test_config_option_pointing_to_a_missing_file(proj: Path) -> None:
    missing = proj / "nowhere" / "deploygate.toml"
    message = one_error_line(check(missing))
    assert_message(message, missing, None, None, "config file not found", "expected an existing")


def test_config_option_pointing_to_a_folder_is_a_usage_error(proj: Path) -> None:
    result = check(proj / "postmortems")
    no_traceback(result)
    assert result.exit_code == 2
    assert result.stderr.startswith("deploygate: error: Invalid value for '--config'")
    assert len(result.stderr.splitlines()) == 1


def test_config_command_accepts_a_valid_file(proj: Path) -> None:
    result = run("config", "--config", str(proj / "deploygate.toml"))
    no_traceback(result)
    assert result.exit_code == 0, result.output
    assert "The configuration is valid." in result.stdout
    assert result.stderr == ""


def test_config_command_rejects_a_bad_file(proj: Path) -> None:
    config = proj / "deploygate.toml"
    config.write_text(LOCAL + '\n[rules]\nopen-action-item = "loud"\n')
    result = run("config", "--config", str(config))
    message = one_error_line(result)
    assert "The configuration is valid." not in result.output
    assert_message(message, config, 6, "rules.open-action-item", "unknown value 'loud'")


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
    assert_message(message, target, None, "--output", "cannot write the report")


# --- bugs found: each test fails today and should pass once the bug is fixed ----------


@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param('tool = "deploygate"\n', "tool", id="tool-is-a-string"),
        pytest.param("[tool]\ndeploygate = 5\n", "tool.deploygate", id="tool-deploygate-is-int"),
    ],
)
def test_pyproject_tool_that_is_not_a_table_is_named(proj: Path, text: str, field: str) -> None:
    config = proj / "pyproject.toml"
    config.write_text(text)
    message = one_error_line(check(config))
    assert message.startswith(f"{config}:"), message
    assert f"{field}: " in message


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        pytest.param(
            '[rules]\noverdue-action-item = { level = "error", max-age = "forever" }\n',
            2,
            "rules.overdue-action-item.max-age",
            id="inline-rule-table",
        ),
        pytest.param(
            'rules = { unreviewed-failur = "error" }\n',
            1,
            "rules.unreviewed-failur",
            id="inline-rules-table",
        ),
        pytest.param(
            'strict = true\nrules.unreviewed-failur = "error"\n',
            2,
            "rules.unreviewed-failur",
            id="dotted-key",
        ),
    ],
)
def test_errors_inside_inline_tables_and_dotted_keys_name_their_line(
    proj: Path, text: str, line: int, field: str
) -> None:
    config = proj / "deploygate.toml"
    config.write_text(text)
    message = one_error_line(check(config))
    assert_message(message, config, line, field)


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
    "setting",
    [
        pytest.param('lookback = "999999w"', id="lookback"),
        pytest.param('link-window = "999999w"', id="link-window"),
        pytest.param('[rules]\nunreviewed-failure = { grace = "999999w" }', id="grace"),
    ],
)
def test_durations_over_ten_years_are_config_errors(proj: Path, setting: str) -> None:
    config = proj / "deploygate.toml"
    config.write_text(LOCAL + setting + "\n" if setting.startswith("[") else setting + "\n" + LOCAL)
    # A failure on 2026-11-01 with a postmortem written the day after it, and an
    # unreviewed failure the day before FIXED_NOW.
    (proj / "deployments.jsonl").write_text(
        RECORD.format(id="1", status="failure")
        + "\n"
        + RECORD.format(id="2", status="failure").replace("2026-11-01", "2026-11-19")
        + "\n"
    )
    (proj / "postmortems" / "pm.md").write_text(
        '+++\nservice = "checkout"\ndate = 2026-11-02\n+++\n# Outage\n'
    )
    message = one_error_line(check(config))
    assert "is longer than ten years" in message, message


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
