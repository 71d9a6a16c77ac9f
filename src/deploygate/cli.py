"""The command line: parse options into settings, build the pieces, run, exit.

No policy and no counting happen here. Every error reaches one handler,
:meth:`_Group.invoke`, which prints one line and exits with the code from
:mod:`deploygate.errors`.

Start-up is paid on every deploy, so this module imports only click and the
small modules its options need; a command imports the run, the sources and
the formats when it runs, and the choices that name formats and sources are
read from their registries when a command parses or shows its help
(``_Names``). ``deploygate --version`` and ``--help`` load none of them
(benchmarks/startup.py measures it).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from deploygate import __version__
from deploygate.dates import parse_duration, parse_instant
from deploygate.errors import (
    EXIT_CODE_HELP,
    DeploygateError,
    ExitCode,
    InputError,
    OnError,
)
from deploygate.sanitize import terminal

if TYPE_CHECKING:
    from deploygate import run
    from deploygate.config import Config

_ENV = "DEPLOYGATE_"


def _format_names() -> Iterable[str]:
    from deploygate.formats import FORMATS

    return FORMATS


def _loop_format_names() -> Iterable[str]:
    from deploygate.formats import LOOP_FORMATS

    return LOOP_FORMATS


def _source_names() -> Iterable[str]:
    from deploygate.sources import REGISTRY

    return REGISTRY


def _statuses() -> Iterable[str]:
    from deploygate.model import DeploymentStatus

    return [status.value for status in DeploymentStatus]


def _starter_sources() -> Iterable[str]:
    from deploygate.starter import SOURCES

    return SOURCES


class _Names(click.Choice):  # type: ignore[type-arg]  # generic from click 8.4 only
    """A ``click.Choice`` whose names a registry gives when a command parses or shows its
    help, not when this module is imported: naming the formats means importing them all."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self._names = names
        super().__init__(())

    @property
    def choices(self) -> tuple[str, ...]:
        return tuple(self._names())

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """click's own ``__init__`` sets the names; they are read from the registry instead."""


_EPILOG = "\b\n" + EXIT_CODE_HELP  # \b keeps click from re-wrapping the table


def _option(
    *declarations: str, **attributes: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A click option that ``DEPLOYGATE_<NAME>`` sets too, shown in ``--help``: every
    option of a run can come from the CI's variables as well as from the command line."""
    name = declarations[0].removeprefix("--").split("/")[0].replace("-", "_").upper()
    return click.option(*declarations, envvar=_ENV + name, show_envvar=True, **attributes)


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Read an ISO 8601 time option; click reports a bad one as a usage error."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _commit(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Read a ``--sha`` option: a commit's name, 7 to 64 hex digits. Anything else would be
    followed as a commit and match the wrong one, or go into a URL."""
    from deploygate.linking import COMMIT_NAME

    if value is None or COMMIT_NAME.fullmatch(value):
        return value
    raise click.BadParameter(f"{value!r:.60} is not a commit sha; expected 7 to 64 hex digits")


def _targets(
    format_names: Callable[[], Iterable[str]],
) -> Callable[[click.Context, click.Parameter, Sequence[str]], list[tuple[str, Path]]]:
    """A callback that reads ``FORMAT=PATH`` options for one registry of formats."""

    def parse(
        ctx: click.Context, param: click.Parameter, values: Sequence[str]
    ) -> list[tuple[str, Path]]:
        from deploygate.sinks.files import require_directory

        targets = []
        formats = list(format_names())
        for value in values:
            name, equals, path = value.partition("=")
            if not equals or not path or name not in formats:
                raise click.BadParameter(
                    f"{value!r} is not FORMAT=PATH; expected a format among "
                    f"{', '.join(formats)}, then '=', then a file path"
                )
            # Checked now, before any source is read, and again when the file is written.
            require_directory(Path(path), field="--output")
            targets.append((name, Path(path)))
        return targets

    return parse


def _output_option(
    format_names: Callable[[], Iterable[str]], option: Callable[..., Callable[[Any], Any]]
) -> Callable[[Any], Any]:
    """``--output FORMAT=PATH`` for one registry of formats; ``option`` is ``_option`` where
    ``DEPLOYGATE_OUTPUT`` may set it (check), ``click.option`` where it must not (report)."""
    return option(
        "--output",
        "outputs",
        metavar="FORMAT=PATH",
        multiple=True,
        callback=_targets(format_names),
        help="Also write FORMAT to PATH; repeatable.",
    )


class _Group(click.Group):
    """The one error handler: a typed error becomes one line and its exit code."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run, turning click's own four-line usage errors into one line and exit 2."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, False, **extra)
        except click.exceptions.NoArgsIsHelpError as error:
            click.echo(error.format_message())
            sys.exit(ExitCode.OK)
        except click.UsageError as error:
            where = error.ctx.command_path if error.ctx else "deploygate"
            _fail(f"{error.format_message()} (see '{where} --help')", ExitCode.USAGE)
        except click.ClickException as error:
            _fail(error.format_message(), ExitCode.USAGE)
        except click.Abort:
            _fail("aborted", ExitCode.USAGE)
        sys.exit(code if isinstance(code, int) else ExitCode.OK)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeploygateError as error:
            _fail(str(error), error.exit_code)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            # A bug's message may quote data (a title, a server's answer, a request with its
            # token), so it is redacted and escaped like any other output.
            from deploygate import ci
            from deploygate.redaction import redact
            from deploygate.sources import secrets

            known = secrets(ctx.meta.get(_CONFIG_KEY), ci.environment())
            if ctx.meta.get(_DEBUG_KEY):
                for line in _traceback_lines(error):
                    # Redacted before escaping, as _fail's line is: escaping may respell a token.
                    click.echo(terminal(redact(line, known)), err=True)
            _fail(
                redact(
                    f"internal error: {type(error).__name__}: {error}. This is a bug in "
                    "deploygate; rerun as 'deploygate --debug ...' for the traceback and "
                    "report it.",
                    known,
                ),
                ExitCode.INTERNAL,
            )


_CHAINED = {
    True: "The above exception was the direct cause of the following exception:",
    False: "During handling of the above exception, another exception occurred:",
}


def _traceback_lines(error: BaseException) -> list[str]:
    """The traceback of ``error`` and of the exceptions it came from, oldest first, as
    ``traceback.print_exc`` shows them, but each exception's message on one line: a message
    holding a line break and then ``::error::...`` would otherwise start a runner command."""
    import traceback

    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    lines: list[str] = []
    for exception in reversed(chain):
        if lines:
            lines += ["", _CHAINED[exception.__cause__ is not None], ""]
        lines.append("Traceback (most recent call last):")
        lines += "".join(traceback.format_tb(exception.__traceback__)).splitlines()
        lines.append(f"{type(exception).__name__}: {exception}")
    return lines


def _fail(message: str, code: ExitCode) -> None:
    click.echo(f"deploygate: error: {terminal(message)}", err=True)
    sys.exit(code)


_DEBUG_KEY = "deploygate.debug"
"""Set in ``click.Context.meta``, which a command shares with the group, by ``--debug``
before or after the command's name."""


def _debug(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[_DEBUG_KEY] = True
        import logging  # only with --debug: start-up stays small

        # deploygate's own debug lines (which way a source read, say) go to stderr.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("deploygate: debug: %(message)s"))
        logging.getLogger("deploygate").addHandler(handler)
        logging.getLogger("deploygate").setLevel(logging.DEBUG)


_debug_option = click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    callback=_debug,
    envvar=_ENV + "DEBUG",
    help="Show tracebacks of bugs.",
)
"""``--debug``, on the group and on every command, so it works wherever it is typed."""


_CONFIG_KEY = "deploygate.config"
"""Where the loaded config waits in ``click.Context.meta``, for the error handler's secrets."""


def _load_config(path: Path | None) -> Config:
    from deploygate.config import load
    from deploygate.sources import REGISTRY

    config = load(path, Path.cwd(), REGISTRY)
    click.get_current_context().meta[_CONFIG_KEY] = config
    return config


_config_option = _option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file. Default: the nearest deploygate.toml, or pyproject.toml with "
    "[tool.deploygate], from the working directory upwards.",
)


def _sources(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...] | None:
    """Read ``--source github,jira``: the same names and checks as the config's list."""
    if value is None:
        return None
    from deploygate.config import parse_sources, sources_form
    from deploygate.sources import REGISTRY

    try:
        return parse_sources((name.strip() for name in value.split(",")), REGISTRY)
    except ValueError as error:
        form = sources_form(REGISTRY)
        raise click.BadParameter(f"{error}; expected {form}") from None


class _HelpNamingSources(click.Option):
    """``--source``, whose help names the registered sources when it is shown."""

    @property
    def help(self) -> str:
        return (
            f"Where history comes from: {', '.join(_source_names())}, or several separated by "
            "commas (e.g. github,jira). Default: the config's, or local."
        )

    @help.setter
    def help(self, value: str | None) -> None:
        """click's own ``__init__`` sets the help; it is composed when shown instead."""


_source_option = _option(
    "--source", metavar="NAME[,NAME...]", callback=_sources, cls=_HelpNamingSources
)
_strict_option = _option(
    "--strict/--no-strict",
    default=None,
    help="Warnings block too. Default: the config's, or no.",
)
_on_error_option = _option(
    "--on-error",
    type=click.Choice([choice.value for choice in OnError]),
    help="When a source fails: 'fail' exits 3, 'warn' exits 0 with a NOT VERIFIED "
    "warning. Default: the config's, or fail.",
)


_repo_option = _option(
    "--repo",
    metavar="OWNER/NAME",
    help="The repository to read with --source github. Default: the config's, or "
    "GITHUB_REPOSITORY.",
)
_project_option = _option(
    "--project",
    metavar="PATH_OR_ID",
    help="The project to read with --source gitlab. Default: the config's, or CI_PROJECT_PATH.",
)


def _now_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--now``: the same option and variable on every command; ``help`` says what it times."""
    return _option(
        "--now", metavar="ISO8601", callback=_instant,
        help=help,
    )  # fmt: skip


def _environment_option(help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """``--environment``, optional; ``help`` says what it changes for the command."""
    return _option("--environment", help=help)


def _selects(environment_help: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The options a check and ``config`` choose alike (``--environment``, ``--source``,
    ``--repo``, ``--project``, ``--strict``, ``--on-error``), handed to the command as one
    :class:`~deploygate.run.Selection`, so both read them the same way."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def with_selection(
            *,
            environment: str | None,
            source: tuple[str, ...] | None,
            repo: str | None,
            project: str | None,
            strict: bool | None,
            on_error: str | None,
            **rest: Any,
        ) -> Any:
            from deploygate import run

            selection = run.Selection(
                environment, source, repo, project, strict, OnError(on_error) if on_error else None
            )
            return command(selection=selection, **rest)

        options = (
            _environment_option(environment_help),
            _source_option,
            _repo_option,
            _project_option,
            _strict_option,
            _on_error_option,
        )
        decorated: Callable[..., Any] = with_selection
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


@click.group(
    name="deploygate", cls=_Group, epilog=_EPILOG, context_settings={"max_content_width": 100}
)
@click.version_option(__version__, prog_name="deploygate")
@_debug_option
def cli() -> None:
    """Gate a deploy on the learning loop: were past failures reviewed, and their lessons done?"""


@cli.command(epilog=_EPILOG)
@_option(
    "--service",
    required=True,
    help="The service about to be deployed.",
)
@_selects("Only deployments to this environment, and its rule overrides.")
@_config_option
@_option(
    "--format",
    "format_name",
    type=_Names(_format_names),
    help="How to print the report on stdout. Default: github inside GitHub Actions, else text.",
)
@_output_option(_format_names, _option)
@_now_option("Evaluate as of this time, for reproducible runs. Default: the clock.")
@_option(
    "--override",
    metavar="REASON",
    help="Emergency override: a deploy that would block passes, with this reason shown "
    "everywhere the report goes.",
)
@_option(
    "--comment/--no-comment",
    default=False,
    help="On a pull request (GitHub) or merge request (GitLab), create or update one sticky "
    "comment with the report.",
)
@_option(
    "--advisory",
    is_flag=True,
    help="Report in full but exit 0 whatever the verdict, shown as 'would block' or 'would "
    "warn': roll a gate out before it enforces. Default: the config's mode, or enforce.",
)
@_option(
    "--sha",
    callback=_commit,
    help="The commit being deployed: a done item's fix it contains ships with this deploy. "
    "Default: GITHUB_SHA or CI_COMMIT_SHA.",
)
@_debug_option
def check(
    selection: run.Selection,
    service: str,
    config_path: Path | None,
    format_name: str | None,
    outputs: Sequence[tuple[str, Path]],
    now: datetime | None,
    override: str | None,
    comment: bool,
    advisory: bool,
    sha: str | None,
) -> None:
    """Check SERVICE's learning loop and pass, warn or block the deploy."""
    import dataclasses

    from deploygate import ci, run
    from deploygate.formats import FORMATS

    config = _load_config(config_path)
    env = ci.environment()
    request = run.CheckRequest(
        service,
        selection,
        outputs,
        override=override,
        comment=comment,
        advisory=advisory,
        sha=sha or ci.deploying_sha(env),
    )
    outcome = run.check(config, request, env, now or datetime.now(timezone.utc))
    for notice in outcome.notices:
        _say(notice)
    stdout_format = format_name or ci.default_format(env)
    render = FORMATS[stdout_format]
    options = dataclasses.replace(
        outcome.options,
        color=ci.wants_color(sys.stdout, env),
        width=ci.terminal_width(sys.stdout, env),
    )
    # color=True: the format decided about colour already (options.color); click would
    # otherwise strip every ANSI code from a pipe, GitLab's section markers included.
    click.echo(render(outcome.report, options), nl=False, color=True)
    warning = run.closing_warning(outcome, stdout_format)
    if warning:
        _say(warning)
    sys.exit(outcome.exit_code)


def _say(notice: str) -> None:
    """A plain line on stderr: not an annotation, so it takes none of the runner's ten."""
    click.echo(f"deploygate: {terminal(notice)}", err=True)


@cli.command(epilog=_EPILOG)
@click.option(
    "--service",
    "services",
    multiple=True,
    help="A service to report on; repeatable. Default: every [services.NAME] in the config.",
)
@click.option(
    "--since",
    default="90d",
    show_default=True,
    help="The period before now to report on, e.g. 90d or 12w.",
)
@_config_option
@_source_option
@_repo_option
@_project_option
@click.option(
    "--format",
    "format_name",
    type=_Names(_loop_format_names),
    default="markdown",
    show_default=True,
    help="Markdown with Mermaid charts, a self-contained HTML page, or JSON.",
)
@_output_option(_loop_format_names, click.option)
@_now_option("Report as of this time. Default: the clock.")
@click.option(
    "--publish",
    is_flag=True,
    help="Also create or update one issue titled 'Learning loop report' with the Markdown "
    "report: on GitHub or GitLab, whichever the sources read (else the CI platform).",
)
@_debug_option
def report(
    services: Sequence[str],
    since: str,
    config_path: Path | None,
    source: tuple[str, ...] | None,
    repo: str | None,
    project: str | None,
    format_name: str,
    outputs: Sequence[tuple[str, Path]],
    now: datetime | None,
    publish: bool,
) -> None:
    """Report how healthy the learning loop is, per service and per week."""
    from deploygate import ci, run
    from deploygate.formats import LOOP_FORMATS

    config = _load_config(config_path)
    try:
        period = parse_duration(since)
    except ValueError as error:
        raise InputError(str(error), field="--since") from None
    request = run.ReportRequest(
        services=tuple(dict.fromkeys(services)),
        period=period,
        selection=run.Selection(sources=source, repository=repo, project=project),
        outputs=outputs,
    )
    env = ci.environment()
    loop = run.report(config, request, env, now or datetime.now(timezone.utc))
    click.echo(LOOP_FORMATS[format_name](loop), nl=False)
    if publish:
        _say(run.publish(config, request, env, loop))


@cli.command()
@_option("--service", required=True, help="The service that was deployed.")
@_option(
    "--environment",
    required=True,
    help="Where it was deployed, e.g. production; check --environment reads it back.",
)
@click.option(
    "--status",
    required=True,
    type=_Names(_statuses),
    help="How the deployment ended.",
)
@click.option("--sha", callback=_commit, help="The commit that was deployed: 7 to 64 hex digits.")
@click.option(
    "--url",
    help="Where the deployment can be seen: its CI job or run (a postmortem that pastes "
    "it, or any page of that run, reviews it). Not the site it deployed to.",
)
@click.option("--description", help="A short human description.")
@click.option(
    "--time",
    "created_at",
    metavar="ISO8601",
    callback=_instant,
    help="When it happened. Default: now.",
)
@_config_option
@_debug_option
def record(
    service: str,
    environment: str,
    status: str,
    sha: str | None,
    url: str | None,
    description: str | None,
    created_at: datetime | None,
    config_path: Path | None,
) -> None:
    """Append one deployment to the local history and print its id."""
    from deploygate.model import DeploymentStatus
    from deploygate.sources.local import HistoryStore
    from deploygate.sources.local import settings as local_settings

    config = _load_config(config_path)
    deployment = HistoryStore(local_settings(config).history).record(
        service=service,
        environment=environment,
        status=DeploymentStatus(status),
        created_at=created_at or datetime.now(timezone.utc),
        sha=sha,
        url=url,
        description=description,
    )
    click.echo(
        terminal(
            f"recorded deployment {deployment.id} to {environment} ({status}) "
            f"in {local_settings(config).history}"
        )
    )


@cli.command()
@click.option(
    "--path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the config; the local store's folders go beside it. "
    "Default: deploygate.toml.",
)
@click.option(
    "--source",
    type=_Names(_starter_sources),
    help="Where history comes from. Default: GitHub or GitLab when the CI, the git remote's "
    "host or the repository's CI files say so, else local. Name it for a self-hosted "
    "server whose name says neither.",
)
@click.option(
    "--service",
    help="The service deployed from here, for [services.NAME]. Default: the repository's name.",
)
@click.option(
    "--ci",
    "ci_name",
    type=click.Choice(["github", "gitlab"]),
    help="Also write the gate's job: a GitHub workflow or a GitLab CI include.",
)
@click.option("--force", is_flag=True, help="Replace the files init writes when they exist.")
@_debug_option
def init(
    path: Path | None, source: str | None, service: str | None, ci_name: str | None, force: bool
) -> None:
    """Set up this repository: a config for the repository its git remote names, and what the
    source needs. It never replaces a file that exists, so running it again changes nothing."""
    from deploygate import ci, starter
    from deploygate.config import CONFIG_NAME

    request = starter.Request(
        config_path=path or Path(CONFIG_NAME),
        source=source,
        service=service,
        ci=cast("starter.CiName | None", ci_name),  # click.Choice of CI_FILES' keys
        force=force,
        today=datetime.now(timezone.utc).date(),
    )
    remote = ci.git_remote(Path.cwd())
    outcome = starter.initialise(
        request, ci.environment(), ci.parse_remote(remote) if remote else None
    )
    for line in starter.render(outcome):
        click.echo(terminal(line))


@cli.command("config")
@_selects("Show the rule levels in force for this environment.")
@_config_option
@_now_option("Validate the waivers' expiry as of this time. Default: the clock.")
@_debug_option
def explain_config(
    selection: run.Selection,
    config_path: Path | None,
    now: datetime | None,
) -> None:
    """Explain which config file was found and what it means, and validate it.

    It reads the same options and DEPLOYGATE_* variables as check, so it
    shows the settings that check would use.
    """
    from deploygate import ci, run

    config = _load_config(config_path)
    click.echo(run.explain(config, selection, ci.environment(), now or datetime.now(timezone.utc)))


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="deploygate")
