"""The config file: every mistake is one line naming file, line and key; ``deploygate
config`` and ``deploygate check`` judge every file alike.

``config`` validates each selected backend's table exactly as ``check``
does before it reads anything, so a file that ``check`` rejects with exit 2
is rejected by ``config`` with the same line. The generic table reader gives
every backend's table the same messages, with did-you-mean.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bad_input import (
    LOCAL,
    RECORD,
    assert_message,
    check,
    no_traceback,
    one_error_line,
    run,
)
from conftest import run_cli

from deploygate.config import parse
from deploygate.errors import ConfigError
from deploygate.sources import BACKENDS, REGISTRY

# No token anywhere: a file's mistakes must be found before any credential is looked for.
ENV = {
    "GITHUB_REPOSITORY": "acme/shop",
    "GITHUB_TOKEN": "",
    "GITLAB_TOKEN": "",
    "JIRA_API_TOKEN": "",
    "ROOTLY_API_TOKEN": "",
    "LINEAR_API_KEY": "",
    "CI_PROJECT_PATH": "",
    "CI": "true",
}

REJECTED = {
    "jira without a site": ('source = ["local", "jira"]\n[jira]\nprojects = ["OPS"]\n', 2),
    "jira without projects": (
        'source = ["local", "jira"]\n[jira]\nurl = "https://acme.atlassian.net"\n',
        2,
    ),
    "jira site with credentials": (
        'source = ["local", "jira"]\n[jira]\nurl = "https://me:pw@acme.atlassian.net"\n'
        'projects = ["OPS"]\n',
        3,
    ),
    "a workflow that is no workflow file": (
        'source = "github"\n[services.checkout]\nworkflow = "deploy.sh"\n',
        3,
    ),
    "a missing postmortem folder": ('[local]\npostmortems = "nowhere"\n', 2),
    "incident.io url that is no API": (
        'source = ["local", "incident-io"]\n[incident-io]\nurl = "ftp://api.incident.io"\n',
        3,
    ),
    "incident.io url with credentials": (
        'source = ["local", "incident-io"]\n[incident-io]\nurl = "https://me:pw@api.incident.io"\n',
        3,
    ),
    "incident.io without a source of deployments": ('source = ["incident-io"]\n', 1),
    "incident.io service field not text": (
        'source = ["local", "incident-io"]\n[incident-io]\n\nservice-field = 7\n',
        4,
    ),
    "rootly alone": ('source = ["rootly"]\n', 1),
    "rootly url that is no web address": (
        'source = ["local", "rootly"]\n[rootly]\nurl = "api.rootly.com"\n',
        3,
    ),
    "rootly url with credentials": (
        'source = ["github", "rootly"]\n[rootly]\nurl = "https://me:pw@api.rootly.com"\n',
        3,
    ),
    "rootly service match unknown": (
        'source = ["local", "rootly"]\n[rootly]\nservice-match = "id"\n',
        3,
    ),
    "linear without teams": ('source = ["local", "linear"]\n[linear]\n', 2),
    "linear team that is no key": (
        'source = ["local", "linear"]\n[linear]\nteams = ["ops team"]\n',
        3,
    ),
    "linear api with credentials": (
        'source = ["local", "linear"]\n[linear]\nteams = ["OPS"]\n'
        'api-url = "https://me:pw@api.linear.app/graphql"\n',
        4,
    ),
    "linear alone, which holds no deployments": ('source = ["linear"]\n[linear]\n', 1),
}


def both(*args: str, env: dict[str, str]) -> tuple[int, str, str]:
    result = run_cli(*args, env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_config_rejects_what_check_rejects_with_the_same_line(tmp_path: Path, case: str) -> None:
    text, line = REJECTED[case]
    path = tmp_path / "deploygate.toml"
    path.write_text(text)
    checked = both("check", "--config", str(path), "--service", "checkout", env=ENV)
    explained = both("config", "--config", str(path), env=ENV)
    assert checked[0] == explained[0] == 2
    assert checked[1] == explained[1] == ""
    assert checked[2] == explained[2]
    assert explained[2].startswith(f"deploygate: error: {path}:{line}: ")
    assert explained[2].count("\n") == 1


def test_config_and_check_agree_on_a_missing_repository(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text('source = "github"\n')
    env = {**ENV, "GITHUB_REPOSITORY": ""}
    checked = both("check", "--config", str(path), "--service", "checkout", env=env)
    explained = both("config", "--config", str(path), env=env)
    assert checked[0] == explained[0] == 2
    assert checked[2] == explained[2]
    assert "--repo: no GitHub repository" in explained[2]
    assert both("config", "--config", str(path), "--repo", "acme/shop", env=env)[0] == 0


def test_a_valid_file_explains_each_selected_backend(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text(
        'source = ["github", "jira"]\n[jira]\nurl = "https://acme.atlassian.net/"\n'
        'projects = ["OPS"]\n'
    )
    code, shown, _ = both("config", "--config", str(path), env=ENV)
    assert code == 0, shown
    assert "repository:     acme/shop" in shown
    assert "jira site:      https://acme.atlassian.net" in shown
    assert "postmortems:" not in shown  # the local source is not selected
    assert shown.rstrip().endswith("The configuration is valid.")


def test_incidentio_is_explained_without_its_key(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text('source = ["github", "incident-io"]\n[incident-io]\ncause-field = "Cause"\n')
    code, shown, _ = both("config", "--config", str(path), env={**ENV, "INCIDENT_IO_API_KEY": "k"})
    assert code == 0, shown
    assert "https://api.incident.io" in shown
    assert "Affected services" in shown
    assert "Cause" in shown
    assert "INCIDENT_IO_API_KEY" in shown


def test_a_valid_rootly_file_explains_where_and_how_rootly_is_read(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text('source = ["github", "rootly"]\n[rootly]\nservice-match = "name"\n')
    code, shown, _ = both("config", "--config", str(path), env=ENV)
    assert code == 0, shown
    assert "https://api.rootly.com" in shown
    assert "rootly match:   an incident's Rootly service whose name is the service" in shown
    assert "ROOTLY_API_TOKEN" in shown
    assert shown.rstrip().endswith("The configuration is valid.")


def test_a_valid_linear_table_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "deploygate.toml"
    path.write_text('source = ["github", "linear"]\n[linear]\nteams = ["OPS", "SRE"]\n')
    code, shown, _ = both("config", "--config", str(path), env=ENV)
    assert code == 0, shown
    assert "linear teams:" in shown
    assert "OPS, SRE" in shown
    assert "LINEAR_API_KEY (read scope)" in shown


def test_every_backend_table_is_read_by_the_one_reader(tmp_path: Path) -> None:
    """Each registered table rejects an unknown key with a hint, at its line."""
    for line, name in enumerate(REGISTRY, start=2):
        text = "\n" * (line - 2) + f"[{name}]\nno-such-key = 1\n"
        with pytest.raises(
            ConfigError, match=rf"^{tmp_path}/deploygate.toml:{line}: {name}.no-such-key"
        ):
            parse(text, tmp_path / "deploygate.toml", REGISTRY)


def test_each_backend_declares_the_token_variables_its_table_defaults_to() -> None:
    """Every run cleans every backend's default token from its output without importing the
    backend, from the registry's list; it must name what the table itself reads."""
    for name, (_, variables) in BACKENDS.items():
        backend = REGISTRY[name]
        assert backend.name == name
        assert backend.token_variables(backend.table()) == variables, name


def test_a_check_imports_only_the_backends_and_formats_it_uses(tmp_path: Path) -> None:
    """Start-up is the first thing a user feels: the quickstart check loads no platform client
    nor another backend's table, and no renderer it does not print."""
    code = (
        "import sys\n"
        "from deploygate.cli import cli\n"
        "try:\n"
        "    cli(['check', '--config', sys.argv[1], '--service', 'checkout'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('deploygate'))))\n"
    )
    config = Path(__file__).parent.parent / "examples" / "quickstart" / "deploygate.toml"
    shown = (
        subprocess.run(
            [sys.executable, "-c", code, str(config)], capture_output=True, text=True, check=True
        )
        .stdout.splitlines()[-1]
        .split()
    )
    assert "deploygate.formats.text" in shown  # the one it prints
    unused = [
        name for name in shown
        if name.startswith(("deploygate.sources.github", "deploygate.sources.gitlab",
                            "deploygate.sources.jira", "deploygate.platforms", "deploygate.loop",
                            "deploygate.formats.loop_", "deploygate.formats.markdown"))
    ]  # fmt: skip
    assert unused == []


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
        'source = "local"\nmode = "advisry"\n',
        2,
        "mode",
        ["unknown value 'advisry'; did you mean 'advisory'?", "expected one of 'enforce'"],
        id="unknown-mode",
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
        '[rootly]\nservice-match = "uuid"\n',
        2,
        "rootly.service-match",
        ["unknown value 'uuid'", "expected one of 'slug', 'name'"],
        id="rootly-service-match-unknown",
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
    ("level", "meant"), [("warn", "warning"), ("eror", "error"), ("notise", "notice")]
)
def test_an_unknown_rule_level_gets_a_did_you_mean(proj: Path, level: str, meant: str) -> None:
    """A misspelt level gets the same hint a misspelt key does."""
    config = proj / "deploygate.toml"
    config.write_text(LOCAL + f'\n[rules]\nunreviewed-failure = "{level}"\n')
    message = one_error_line(run("config", "--config", str(config)))
    assert_message(
        message,
        config,
        6,
        "rules.unreviewed-failure",
        f"unknown value '{level}'; did you mean '{meant}'? (expected one of 'off', 'notice', "
        "'warning', 'error')",
    )
