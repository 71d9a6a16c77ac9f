"""The CLI end to end on the local store: every exit code, options, env vars and config
(init has tests/test_init.py)."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import click
import pytest
from conftest import REPO_ROOT, json_report, run_cli

from deploygate import sources
from deploygate.cli import cli

QUICKSTART = REPO_ROOT / "examples" / "quickstart" / "deploygate.toml"
FIXED_NOW = "2026-11-20T12:00:00Z"


def write_postmortem(project: Path, name: str, text: str) -> None:
    (project / "postmortems" / name).write_text(text)


def record(project: Path, *args: str) -> None:
    result = run_cli("record", "--config", str(project / "deploygate.toml"), *args)
    assert result.exit_code == 0, result.output


def check(project: Path, *args: str, env: dict[str, str] | None = None):
    return run_cli(
        "check", "--config", str(project / "deploygate.toml"), "--service", "checkout", "--now",
        FIXED_NOW, *args,
        env=env,
    )  # fmt: skip


def test_empty_history_warns_that_nothing_was_seen_with_exit_0(project: Path) -> None:
    # An empty history is no evidence: a warning (exit 0), never "the loop is closed".
    result = check(project)
    assert result.exit_code == 0
    assert "verdict: warn: no source saw this service" in result.stdout
    assert "no-evidence" in result.stdout
    assert "closed" not in result.stdout


def test_warning_exits_0_and_strict_blocks_with_exit_1(project: Path) -> None:
    write_postmortem(
        project,
        "pm.md",
        '+++\nservice = "checkout"\ndate = 2026-11-01\n+++\n'
        "# Slow\n- [ ] Add a cache (due: 2027-01-01)\n",
    )
    assert check(project).exit_code == 0
    assert check(project, "--strict").exit_code == 1
    assert check(project, env={"DEPLOYGATE_STRICT": "true"}).exit_code == 1


def test_overdue_item_blocks_with_exit_1(project: Path) -> None:
    write_postmortem(
        project, "pm.md", "+++\ndate = 2026-10-01\n+++\n# Outage\n- [ ] Alert (due: 2026-10-15)\n"
    )
    result = check(project, "--format", "json")
    assert result.exit_code == 1
    report = json_report(result.stdout)
    assert report["verdict"] == "block"
    assert [f["rule"] for f in report["findings"]] == ["overdue-action-item"]


def test_usage_error_exits_2(project: Path) -> None:
    result = check(project, "--format", "xml")
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def _unreachable_github(project: Path) -> dict[str, str]:
    """The project's config with a GitHub source where nothing listens: it fails (exit 3).

    A local file cannot stand in for it any more: whatever is wrong with the
    repository's own files is an input error (exit 2), never a failed source.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = project / "deploygate.toml"
    config.write_text(
        'source = ["local", "github"]\n'
        + config.read_text()
        + f'\n[github]\nrepository = "acme/shop"\napi-url = "http://127.0.0.1:{port}"\n'
        'deadline = "1s"\n'
    )
    return {"GITHUB_TOKEN": "test-token", "CI": "true"}


def test_failed_source_exits_3_and_on_error_warn_exits_0_not_verified(project: Path) -> None:
    env = _unreachable_github(project)
    result = check(project, "--format", "json", env=env)
    assert result.exit_code == 3
    report = json_report(result.stdout)
    assert report["verdict"] == "unknown"
    github = next(source for source in report["sources"] if source["name"] == "github")
    assert github["ok"] is False
    assert "the connection was refused" in github["error"]
    assert "NOT VERIFIED" in result.stderr

    warned = check(project, "--on-error", "warn", env=env)
    assert warned.exit_code == 0
    assert "NOT VERIFIED" in warned.stdout
    assert "--on-error warn" in warned.stderr
    assert check(project, env={**env, "DEPLOYGATE_ON_ERROR": "warn"}).exit_code == 0


def test_on_error_from_config(project: Path) -> None:
    env = _unreachable_github(project)
    config = project / "deploygate.toml"
    config.write_text('on-error = "warn"\n' + config.read_text())
    assert check(project, env=env).exit_code == 0


def test_internal_error_exits_4_with_one_line_and_no_traceback(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        name = "broken"

        def collect(self, query: object) -> object:
            raise RuntimeError("boom")

        def usage(self) -> None:
            return None

    local = replace(sources.REGISTRY["local"], connect=lambda settings: Broken())
    monkeypatch.setattr(sources.local, "BACKEND", local)
    result = check(project)
    assert result.exit_code == 4
    assert result.stderr.strip().splitlines() == [
        "deploygate: error: internal error: RuntimeError: boom. This is a bug in deploygate; "
        "rerun as 'deploygate --debug ...' for the traceback and report it."
    ]


def test_every_option_reads_its_environment_variable(project: Path) -> None:
    record(
        project,
        "--service",
        "checkout",
        "--environment",
        "staging",
        "--status",
        "failure",
        "--time",
        "2026-11-10T00:00:00Z",
    )
    env = {
        "DEPLOYGATE_SERVICE": "checkout",
        "DEPLOYGATE_ENVIRONMENT": "staging",
        "DEPLOYGATE_CONFIG": str(project / "deploygate.toml"),
        "DEPLOYGATE_FORMAT": "json",
        "DEPLOYGATE_NOW": FIXED_NOW,
        "DEPLOYGATE_SOURCE": "local",
        "DEPLOYGATE_OUTPUT": f"markdown={project / 'out.md'}",
    }
    result = run_cli("check", env=env)
    report = json_report(result.stdout)
    assert (report["environment"], report["evaluated_at"]) == ("staging", FIXED_NOW)
    assert [f["rule"] for f in report["findings"]] == ["unreviewed-failure"]
    assert (project / "out.md").read_text().startswith("### ⚠️ deploygate: warn")


def test_output_writes_each_format_to_its_file(project: Path) -> None:
    (project / "sub").mkdir()  # deploygate writes into directories, never creates them
    result = check(
        project,
        "--output",
        f"json={project / 'r.json'}",
        "--output",
        f"text={project / 'sub' / 'r.txt'}",
    )
    assert result.exit_code == 0
    assert json_report((project / "r.json").read_text())["verdict"] == "warn"  # nothing seen
    assert "verdict: warn" in (project / "sub" / "r.txt").read_text()


def test_record_assigns_sequential_ids_and_check_links_them(project: Path) -> None:
    record(
        project,
        "--service",
        "checkout",
        "--environment",
        "production",
        "--status",
        "success",
        "--time",
        "2026-11-01T10:00:00Z",
    )
    result = run_cli(
        "record", "--config", str(project / "deploygate.toml"), "--service", "checkout",
        "--environment", "production", "--status", "failure", "--sha", "abcdef1234567",
        "--time", "2026-11-02T10:00:00Z",
    )  # fmt: skip
    assert result.stdout.startswith("recorded deployment checkout-2 to production (failure)")
    write_postmortem(
        project, "pm.md", "+++\ndate = 2026-11-10\n+++\n# Bad cache\nCommit abcdef12 broke it.\n"
    )
    report = json_report(check(project, "--format", "json").stdout)
    [finding] = report["findings"]
    assert (finding["rule"], finding["link"], finding["deployment"]["id"]) == (
        "reviewed-failure",
        "reference",
        "checkout-2",
    )


def test_config_is_discovered_walking_up_and_in_pyproject(project: Path) -> None:
    nested = project / "a" / "b"
    nested.mkdir(parents=True)
    (project / "deploygate.toml").write_text(
        'strict = true\n[local]\npostmortems = "postmortems"\n'
    )
    result = run_cli("config", cwd=nested)
    assert f"config file:    {project / 'deploygate.toml'}" in result.stdout
    assert "strict:         yes" in result.stdout

    (project / "deploygate.toml").unlink()
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\n[tool.deploygate]\nlookback = "30d"\n'
    )
    result = run_cli("config", cwd=nested)
    assert f"config file:    {project / 'pyproject.toml'}" in result.stdout
    assert "lookback:       30d" in result.stdout


def test_config_explains_environment_overrides() -> None:
    production = run_cli("config", "--config", str(QUICKSTART), "--environment", "production")
    staging = run_cli("config", "--config", str(QUICKSTART), "--environment", "staging")
    assert "overdue-action-item    error" in production.stdout
    assert "overdue-action-item    warning" in staging.stdout
    assert staging.stdout.rstrip().endswith("The configuration is valid.")


def test_environment_override_changes_the_verdict() -> None:
    args = ("check", "--config", str(QUICKSTART), "--service", "checkout", "--now", FIXED_NOW)
    assert run_cli(*args, "--environment", "production").exit_code == 1
    assert run_cli(*args, "--environment", "staging").exit_code == 0


def test_help_documents_the_exit_codes() -> None:
    for args in ((), ("check",)):
        text = run_cli(*args, "--help").stdout
        assert "3  could not decide: a source failed (0 with --on-error warn)" in text


def test_module_and_console_script_run() -> None:
    for command in (
        [sys.executable, "-m", "deploygate"],
        [str(Path(sys.executable).parent / "deploygate")],
    ):
        result = subprocess.run(
            [*command, "--version"], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0
        assert result.stdout.startswith("deploygate, version ")


def test_command_line_beats_environment_beats_config_file(project: Path) -> None:
    config = project / "deploygate.toml"
    config.write_text("strict = false\n" + config.read_text())
    write_postmortem(
        project, "pm.md", "+++\ndate = 2026-11-01\n+++\n# Slow\n- [ ] Cache (due: 2027-01-01)\n"
    )
    assert check(project).exit_code == 0  # the file: warnings pass
    assert check(project, env={"DEPLOYGATE_STRICT": "1"}).exit_code == 1  # env over file
    assert check(project, "--no-strict", env={"DEPLOYGATE_STRICT": "1"}).exit_code == 0


def test_config_command_shows_what_check_would_use(project: Path) -> None:
    args = ("config", "--config", str(project / "deploygate.toml"))
    assert "strict:         no: only errors block" in run_cli(*args).stdout
    shown = run_cli(*args, env={"DEPLOYGATE_STRICT": "true", "DEPLOYGATE_ON_ERROR": "warn"}).stdout
    assert "strict:         yes: warnings block" in shown
    assert "on error:       warn" in shown
    assert "declined-action-item   notice   an action item that was declined" in shown
    assert "rollbacks:      a deployment replaced by an older version within 1d counts" in shown


def test_config_command_explains_services_rollbacks_and_jira(project: Path) -> None:
    config = project / "deploygate.toml"
    config.write_text(
        'source = ["local", "github"]\n[rollbacks]\ndetect = false\n'
        '[services.checkout]\nworkflow = "deploy.yml"\njob = "ship"\nbranch = "main"\n'
        'environments = ["production"]\n[services.cart]\n'
    )
    shown = run_cli(
        "config", "--config", str(config), "--source", "github,local", "--repo", "acme/shop"
    ).stdout
    assert "sources:        github, local" in shown
    assert "rollbacks:      not detected ([rollbacks] detect = false)" in shown
    assert "service checkout: runs of job ship in workflow deploy.yml on main; production" in (
        shown
    )
    assert "service cart:   deployment records; every environment" in shown


def test_informational_rules_cannot_be_made_to_block(project: Path) -> None:
    config = project / "deploygate.toml"
    config.write_text(config.read_text() + '[rules]\ndeclined-action-item = "error"\n')
    result = check(project)
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"deploygate: error: {config}:5: rules.declined-action-item: unknown value 'error' "
        "(expected one of 'off', 'notice')"
    )


def _planted_bug(*args: object, **kwargs: object) -> None:
    raise RuntimeError("planted bug")


@pytest.mark.parametrize(
    ("before", "after", "env"),
    [
        (["--debug"], [], None),
        ([], ["--debug"], None),
        ([], [], {"DEPLOYGATE_DEBUG": "1"}),
        ([], [], None),
    ],
    ids=["before-the-command", "after-the-command", "variable", "none"],
)
def test_debug_shows_the_traceback_wherever_it_is_typed(
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    before: list[str],
    after: list[str],
    env: dict[str, str] | None,
) -> None:
    """``--debug`` after the command's name does what it does before it: people add it to
    the end of the line they just ran."""
    monkeypatch.setattr("deploygate.gate.check", _planted_bug)
    config = str(project / "deploygate.toml")
    result = run_cli(*before, "check", "--config", config, "--service", "checkout", *after, env=env)
    assert result.exit_code == 4, result.output
    debug = bool(before or after or env)
    assert ("Traceback (most recent call last):" in result.stderr) is debug, result.stderr
    assert result.stderr.splitlines()[-1].startswith("deploygate: error: internal error: ")


def test_every_command_accepts_debug() -> None:
    for name, command in cli.commands.items():
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert "--debug" in options, name


DOCS_ROW = re.compile(r"^\| `deploygate (?P<command>[a-z]+)(?P<usage>[^`]*)` \|", re.MULTILINE)
DOCS_OPTION = re.compile(r"(?P<optional>\[)?(?P<name>--[a-z-]+)(?: (?P<value>[^\s\]]+))?")


def _documented_commands() -> dict[str, dict[str, tuple[bool, str | None]]]:
    """Each command of the table in docs/commands.md: its options, whether each is required, and the
    choices it lists (``a|b``), if any."""
    text = (REPO_ROOT / "docs" / "commands.md").read_text("utf-8")
    table = text.split("\n## ", 1)[0]
    commands = {}
    for row in DOCS_ROW.finditer(table):
        usage = row["usage"].replace("\\|", "|")
        commands[row["command"]] = {
            option["name"]: (
                option["optional"] is None,
                option["value"] if option["value"] and "|" in option["value"] else None,
            )
            for option in DOCS_OPTION.finditer(usage)
        }
    return commands


def test_the_docs_command_table_matches_help() -> None:
    """The table lists each command's options as ``--help`` does: the same names, the same
    required ones, the same choices. ``--debug`` is said once under the table."""
    documented = _documented_commands()
    assert set(documented) == set(cli.commands)
    for name, command in cli.commands.items():
        options = {
            param.opts[0]: (
                param.required,
                "|".join(param.type.choices) if isinstance(param.type, click.Choice) else None,
            )
            for param in command.params
            if isinstance(param, click.Option) and param.opts[0] != "--debug"
        }
        assert documented[name] == options, name


def test_every_option_has_help_text() -> None:
    for name, command in cli.commands.items():
        for param in command.params:
            assert isinstance(param, click.Option), (name, param.name)
            assert param.help, (name, param.name)


@pytest.mark.parametrize("on_error", ["fail", "warn"])
def test_a_missing_token_is_said_once_and_the_gate_is_still_not_verified(
    project: Path, on_error: str
) -> None:
    """The text report names the failure; stderr says NOT VERIFIED and the exit's reason
    without repeating it."""
    config = project / "deploygate.toml"
    config.write_text('source = "github"\n[github]\nrepository = "acme/shop"\n')
    env = {"CI": "true", "GITHUB_TOKEN": None, "GH_TOKEN": None, "PATH": ""}
    result = check(project, "--on-error", on_error, env=env)
    assert result.exit_code == (3 if on_error == "fail" else 0), result.output
    assert result.output.count("no GitHub token") == 1, result.output
    assert "NOT VERIFIED: source 'github' failed: no GitHub token" in result.stdout
    [warning] = result.stderr.splitlines()
    assert warning.startswith("deploygate: NOT VERIFIED: 1 source ('github') failed")
    assert warning.endswith("Exiting 0 because of --on-error warn.") is (on_error == "warn")


def test_after_a_json_report_stderr_names_the_failure_in_full(project: Path) -> None:
    config = project / "deploygate.toml"
    config.write_text('source = "github"\n[github]\nrepository = "acme/shop"\n')
    env = {"CI": "true", "GITHUB_TOKEN": None, "GH_TOKEN": None, "PATH": ""}
    result = check(project, "--format", "json", env=env)
    assert result.exit_code == 3, result.output
    assert json_report(result.stdout)["verdict"] == "unknown"
    [warning] = result.stderr.splitlines()
    assert warning.startswith("deploygate: NOT VERIFIED: source 'github' failed: no GitHub token")


@pytest.fixture
def quickstart_copy(tmp_path: Path) -> Path:
    """The quickstart in a throwaway folder: advisory checks log beside its history."""
    copy = tmp_path / "quickstart"
    shutil.copytree(QUICKSTART.parent, copy)
    return copy / "deploygate.toml"


@pytest.mark.parametrize(
    ("args", "env"),
    [(("--advisory",), None), ((), {"DEPLOYGATE_ADVISORY": "true"})],
    ids=["option", "variable"],
)
def test_advisory_prints_would_block_and_exits_0(
    quickstart_copy: Path, args: tuple[str, ...], env: dict[str, str] | None
) -> None:
    base = ("check", "--config", str(quickstart_copy), "--service", "checkout", "--now", FIXED_NOW)
    result = run_cli(*base, "--format", "text", *args, env=env)
    assert result.exit_code == 0, result.output
    assert "verdict: would block: lessons of past failures" in result.stdout
    assert 'ADVISORY: not enforced (--advisory or mode = "advisory")' in result.stdout
    assert "deploygate: would have blocked: logged in " in result.stderr
    document = json_report(run_cli(*base, "--format", "json", *args, env=env).stdout)
    assert (document["verdict"], document["enforced"]) == ("block", False)
    enforced = run_cli(*base, "--format", "json")
    assert enforced.exit_code == 1
    assert json_report(enforced.stdout)["enforced"] is True


def test_report_says_how_many_deploys_advisory_checks_would_have_blocked(
    quickstart_copy: Path,
) -> None:
    for _ in range(2):
        args = ("--config", str(quickstart_copy), "--service", "checkout", "--now", FIXED_NOW)
        assert run_cli("check", *args, "--advisory").exit_code == 0
    report = run_cli("report", "--config", str(quickstart_copy), "--now", FIXED_NOW)
    assert report.exit_code == 0, report.output
    assert (
        "**Advisory mode:** checkout would have blocked 2 deploys in the period." in report.stdout
    )
    assert "| Overrides | Would have blocked |" in report.stdout


def test_config_explains_the_mode(quickstart_copy: Path) -> None:
    enforce = run_cli("config", "--config", str(quickstart_copy))
    assert "mode:           enforce: a block exits 1" in enforce.stdout
    quickstart_copy.write_text('mode = "advisory"\n' + quickstart_copy.read_text())
    advisory = run_cli("config", "--config", str(quickstart_copy))
    assert "mode:           advisory: every verdict exits 0" in advisory.stdout
