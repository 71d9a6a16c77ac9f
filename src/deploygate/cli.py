"""The command line: parse options into settings, build the pieces, run, exit.

No policy and no counting happen here. Every error reaches one handler,
:meth:`_Group.invoke`, which prints one line and exits with the code from
:mod:`deploygate.errors`.
"""

from __future__ import annotations

import sys
import traceback
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from deploygate import __version__, ci, gate
from deploygate import config as config_module
from deploygate.dates import parse_duration, parse_instant
from deploygate.errors import (
    EXIT_CODE_HELP,
    DeploygateError,
    ExitCode,
    InputError,
    OnError,
    PublishError,
    SourceError,
)
from deploygate.formats import (
    FORMATS,
    RenderOptions,
    escape,
    loop_html,
    loop_json,
    loop_markdown,
    override_note,
)
from deploygate.formats.common import not_verified, plural
from deploygate.formats.github import outputs as github_outputs
from deploygate.loop import with_overrides
from deploygate.model import DeploymentStatus, Query, Report, Verdict
from deploygate.redaction import redact, redact_record
from deploygate.sinks.files import write_file
from deploygate.sinks.github import append_summary, set_outputs
from deploygate.sinks.github_comment import PullRequest, pull_request_number
from deploygate.sinks.github_comment import publish as publish_pr_comment
from deploygate.sinks.gitlab_note import MergeRequest, merge_request_iid
from deploygate.sinks.gitlab_note import publish as publish_mr_note
from deploygate.sinks.override_notes import Note, platform_issue
from deploygate.sinks.override_notes import post_github as post_override_github
from deploygate.sinks.override_notes import post_gitlab as post_override_gitlab
from deploygate.sinks.report_issue import GitHubTarget, GitLabTarget
from deploygate.sinks.report_issue import publish_github as publish_github_issue
from deploygate.sinks.report_issue import publish_gitlab as publish_gitlab_issue
from deploygate.sources import REGISTRY, SourceContext, build_sources, check_sources, secrets
from deploygate.sources import github as github_backend
from deploygate.sources import gitlab as gitlab_backend
from deploygate.sources.github.settings import GitHubSettings
from deploygate.sources.github.settings import with_token as github_token
from deploygate.sources.gitlab.settings import GitLabSettings
from deploygate.sources.gitlab.settings import with_token as gitlab_token
from deploygate.sources.local import HistoryStore, OverrideLog, overrides_path
from deploygate.sources.local import settings as local_settings
from deploygate.sources.override_notes import combined as combined_overrides
from deploygate.sources.override_notes import count_github as count_github_overrides
from deploygate.sources.override_notes import count_gitlab as count_gitlab_overrides

_ENV = "DEPLOYGATE_"
_EPILOG = "\b\n" + EXIT_CODE_HELP  # \b keeps click from re-wrapping the table


def _instant(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    """Read an ISO 8601 time option; click reports a bad one as a usage error."""
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _targets(
    formats: Mapping[str, object],
) -> Callable[[click.Context, click.Parameter, Sequence[str]], list[tuple[str, Path]]]:
    """A callback that reads ``FORMAT=PATH`` options for one registry of formats."""

    def parse(
        ctx: click.Context, param: click.Parameter, values: Sequence[str]
    ) -> list[tuple[str, Path]]:
        targets = []
        for value in values:
            name, equals, path = value.partition("=")
            if not equals or not path or name not in formats:
                raise click.BadParameter(
                    f"{value!r} is not FORMAT=PATH; expected a format among "
                    f"{', '.join(formats)}, then '=', then a file path"
                )
            targets.append((name, Path(path)))
        return targets

    return parse


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
            known = secrets(ctx.meta.get(_CONFIG_KEY), ci.environment())
            if ctx.params.get("debug"):
                for line in _traceback_lines(error):
                    # Redacted before escaping, as _fail's line is: escaping may respell a token.
                    click.echo(escape.terminal(redact(line, known)), err=True)
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
    click.echo(f"deploygate: error: {escape.terminal(message)}", err=True)
    sys.exit(code)


_CONFIG_KEY = "deploygate.config"
"""Where the loaded config waits in ``click.Context.meta``, for the error handler's secrets."""


def _load_config(path: Path | None) -> config_module.Config:
    config = config_module.load(path, Path.cwd(), REGISTRY)
    click.get_current_context().meta[_CONFIG_KEY] = config
    return config


_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar=_ENV + "CONFIG",
    show_envvar=True,
    help="Config file. Default: the nearest deploygate.toml, or pyproject.toml with "
    "[tool.deploygate], from the working directory upwards.",
)


def _sources(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> tuple[str, ...] | None:
    """Read ``--source github,jira``: the same names and checks as the config's list."""
    if value is None:
        return None
    try:
        return config_module.parse_sources((name.strip() for name in value.split(",")), REGISTRY)
    except ValueError as error:
        form = config_module.sources_form(REGISTRY)
        raise click.BadParameter(f"{error}; expected {form}") from None


_source_option = click.option(
    "--source",
    metavar="NAME[,NAME...]",
    callback=_sources,
    envvar=_ENV + "SOURCE",
    show_envvar=True,
    help=f"Where history comes from: {', '.join(REGISTRY)}, or several separated by commas "
    "(e.g. github,jira). Default: the config's, or local.",
)
_strict_option = click.option(
    "--strict/--no-strict",
    default=None,
    envvar=_ENV + "STRICT",
    show_envvar=True,
    help="Warnings block too. Default: the config's, or no.",
)
_on_error_option = click.option(
    "--on-error",
    type=click.Choice([choice.value for choice in OnError]),
    envvar=_ENV + "ON_ERROR",
    show_envvar=True,
    help="When a source fails: 'fail' exits 3, 'warn' exits 0 with a NOT VERIFIED "
    "warning. Default: the config's, or fail.",
)


@click.group(
    name="deploygate", cls=_Group, epilog=_EPILOG, context_settings={"max_content_width": 100}
)
@click.version_option(__version__, prog_name="deploygate")
@click.option("--debug", is_flag=True, envvar=_ENV + "DEBUG", help="Show tracebacks of bugs.")
def cli(debug: bool) -> None:
    """Gate a deploy on the learning loop: were past failures reviewed, and their lessons done?"""


@cli.command(epilog=_EPILOG)
@click.option(
    "--service",
    required=True,
    envvar=_ENV + "SERVICE",
    show_envvar=True,
    help="The service about to be deployed.",
)
@click.option(
    "--environment",
    envvar=_ENV + "ENVIRONMENT",
    show_envvar=True,
    help="Only deployments to this environment, and its rule overrides.",
)
@_config_option
@_source_option
@click.option(
    "--repo",
    metavar="OWNER/NAME",
    envvar=_ENV + "REPO",
    show_envvar=True,
    help="The repository to read with --source github. Default: the config's, or "
    "GITHUB_REPOSITORY.",
)
@click.option(
    "--project",
    metavar="PATH_OR_ID",
    envvar=_ENV + "PROJECT",
    show_envvar=True,
    help="The project to read with --source gitlab. Default: the config's, or CI_PROJECT_PATH.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(FORMATS)),
    envvar=_ENV + "FORMAT",
    show_envvar=True,
    help="How to print the report on stdout. Default: github inside GitHub Actions, else text.",
)
@click.option(
    "--output",
    "outputs",
    metavar="FORMAT=PATH",
    multiple=True,
    callback=_targets(FORMATS),
    envvar=_ENV + "OUTPUT",
    show_envvar=True,
    help="Also write FORMAT to PATH; repeatable.",
)
@click.option(
    "--now",
    metavar="ISO8601",
    callback=_instant,
    envvar=_ENV + "NOW",
    show_envvar=True,
    help="Evaluate as of this time, for reproducible runs. Default: the clock.",
)
@_strict_option
@_on_error_option
@click.option(
    "--override",
    metavar="REASON",
    envvar=_ENV + "OVERRIDE",
    show_envvar=True,
    help="Emergency override: a deploy that would block passes, with this reason shown "
    "everywhere the report goes.",
)
@click.option(
    "--comment/--no-comment",
    default=False,
    envvar=_ENV + "COMMENT",
    show_envvar=True,
    help="On a pull request (GitHub) or merge request (GitLab), create or update one sticky "
    "comment with the report.",
)
def check(
    service: str,
    environment: str | None,
    config_path: Path | None,
    source: tuple[str, ...] | None,
    repo: str | None,
    project: str | None,
    format_name: str | None,
    outputs: Sequence[tuple[str, Path]],
    now: datetime | None,
    strict: bool | None,
    on_error: str | None,
    override: str | None,
    comment: bool,
) -> None:
    """Check SERVICE's learning loop and pass, warn or block the deploy."""
    config = _load_config(config_path)
    evaluated_at = now or datetime.now(timezone.utc)
    config.check_waivers(evaluated_at)
    settings = config.settings(
        environment, source=source, strict=strict, on_error=_on_error(on_error)
    )
    query = Query(
        service=service,
        environment=environment,
        now=evaluated_at,
        lookback=settings.policy.lookback,
    )
    env = ci.environment()
    context = SourceContext(env=env, repository=repo, project=project)
    report = gate.check(
        build_sources(settings.sources, config, context),
        query,
        settings.policy,
        override=_override_reason(override),
    )
    report = redact_record(report, secrets(config, env))
    options = RenderOptions(on_error=settings.on_error, config_path=_relative(config.path))
    for output_format, path in outputs:
        write_file(path, FORMATS[output_format](report, options))
    actions = ci.github_actions(env)
    if actions is not None:
        _publish_to_github_actions(report, options, actions)
    if report.verdict is Verdict.OVERRIDE and "local" in settings.sources:
        _say(_record_local_override(config, report, evaluated_at, ci.run_url(env)))
    if comment:
        _say(_safe_comment(config, context, FORMATS["markdown"](report, options)))
        for line in _safe_override_notes(config, context, report, settings):
            _say(line)
    render = FORMATS[format_name or ci.default_format(env)]
    color = ci.wants_color(sys.stdout, env)
    click.echo(render(report, replace(options, color=color)), nl=False)
    code = gate.exit_code(report, settings.on_error)
    warning = not_verified(report)
    if warning:
        suffix = " Exiting 0 because of --on-error warn." if code is ExitCode.OK else ""
        click.echo(f"deploygate: {escape.terminal(warning)}{suffix}", err=True)
    sys.exit(code)


def _override_reason(override: str | None) -> str | None:
    """The override's reason; an empty one is refused, since an override must say why."""
    if override is None:
        return None
    if not override.strip():
        raise InputError(
            "an override needs a reason", field="--override",
            expected='a reason, e.g. --override "hotfix for the checkout outage, on-call agreed"',
        )  # fmt: skip
    return override.strip()


def _record_local_override(
    config: config_module.Config, report: Report, at: datetime, run_url: str | None
) -> str:
    """Log the override beside the history; like the notes, a failure never changes the verdict."""
    log = OverrideLog(overrides_path(local_settings(config).history))
    try:
        log.record(
            service=report.service, environment=report.environment, created_at=at,
            reason=report.override_reason or "", run_url=run_url,
        )  # fmt: skip
    except DeploygateError as error:
        return f"override not logged: {error}"
    return f"override logged in {_relative(log.path)}"


def resolve_github(config: config_module.Config, context: SourceContext) -> GitHubSettings:
    """GitHub's settings with the token, for writing to the platform."""
    return github_token(github_backend.BACKEND.settings(config, context), context.env)


def resolve_gitlab(config: config_module.Config, context: SourceContext) -> GitLabSettings:
    """GitLab's settings with the token, for writing to the platform."""
    return gitlab_token(gitlab_backend.BACKEND.settings(config, context), context.env)


def _comment(config: config_module.Config, context: SourceContext, markdown: str) -> str:
    """Post the sticky PR comment or MR note; every outcome is a sentence, never a failed gate."""
    if context.env.get("GITLAB_CI") == "true":
        return _gitlab_note(config, context, markdown)
    event_name, event = ci.github_event(context.env)
    number = pull_request_number(event, event_name)
    if number is None:
        return f"not a pull request event ({event_name or 'none'}); no comment written"
    try:
        settings = resolve_github(config, context)
    except DeploygateError as error:
        return f"no comment written: {error}"
    pull_request = PullRequest(
        api_url=settings.api_url,
        repository=settings.repository,
        number=number,
        token=settings.token,
        in_actions=context.env.get("GITHUB_ACTIONS") == "true",
    )
    return publish_pr_comment(pull_request, markdown)


def _safe_comment(config: config_module.Config, context: SourceContext, markdown: str) -> str:
    """The comment is a courtesy: whatever goes wrong in it, the gate's verdict stands.

    The platform clients raise more than their documented errors (PyGithub
    asserts that a pagination link stays on its host), so this is the one
    place that catches everything, and says what happened.
    """
    try:
        return _comment(config, context, markdown)
    except Exception as error:
        return f"no comment written: {type(error).__name__} while commenting"


def _safe_override_notes(
    config: config_module.Config,
    context: SourceContext,
    report: Report,
    settings: config_module.Settings,
) -> list[str]:
    """Override notes are a courtesy too: whatever goes wrong, the verdict stands."""
    drafted = override_note.notes(
        report, strict=settings.policy.strict, run_url=ci.run_url(context.env)
    )
    notes = [
        Note(postmortem.id, body) for postmortem, body in drafted if platform_issue(postmortem.id)
    ]
    lines = []
    if len(notes) < len(drafted):
        local = plural(len(drafted) - len(notes), "overridden postmortem")
        lines.append(f"{local} kept in local files: no platform to note the override on")
    if not notes:
        return lines
    platform = _platform(settings.sources, context.env)
    try:
        if platform == "gitlab":
            gitlab = resolve_gitlab(config, context)
            return lines + post_override_gitlab(gitlab.url, gitlab.token, notes)
        if platform == "github":
            github = resolve_github(config, context)
            return lines + post_override_github(github.api_url, github.token, notes)
    except DeploygateError as error:
        return [*lines, f"no override notes written: {error}"]
    except Exception as error:
        return [*lines, f"no override notes written: {type(error).__name__} while noting"]
    return [*lines, "no override notes written: neither GitHub nor GitLab is a source or the CI"]


def _gitlab_note(config: config_module.Config, context: SourceContext, markdown: str) -> str:
    iid = merge_request_iid(context.env)
    if iid is None:
        return "not a merge request pipeline (no CI_MERGE_REQUEST_IID); no note written"
    try:
        settings = resolve_gitlab(config, context)
    except DeploygateError as error:
        return f"no note written: {error}"
    target = MergeRequest(url=settings.url, project=settings.project, iid=iid, token=settings.token)
    return publish_mr_note(target, markdown)


def _say(notice: str) -> None:
    """A plain line on stderr: not an annotation, so it takes none of the runner's ten."""
    click.echo(f"deploygate: {escape.terminal(notice)}", err=True)


def _relative(path: Path | None) -> str:
    """The config file as the repository sees it, for the Code Quality report's locations."""
    if path is None:
        return config_module.CONFIG_NAME
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def _on_error(value: str | None) -> OnError | None:
    return OnError(value) if value else None


def _publish_to_github_actions(
    report: Report, options: RenderOptions, actions: ci.GitHubActions
) -> None:
    """The job summary and the step outputs, wherever the runner asked for them."""
    if actions.step_summary is not None:
        append_summary(actions.step_summary, FORMATS["markdown"](report, options))
    if actions.output is not None:
        set_outputs(actions.output, github_outputs(report))


LOOP_FORMATS = {
    "markdown": loop_markdown.render,
    "html": loop_html.render,
    "json": loop_json.render,
}


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
@click.option("--repo", metavar="OWNER/NAME", envvar=_ENV + "REPO", help="As for check.")
@click.option("--project", metavar="PATH_OR_ID", envvar=_ENV + "PROJECT", help="As for check.")
@click.option(
    "--format",
    "format_name",
    type=click.Choice(list(LOOP_FORMATS)),
    default="markdown",
    show_default=True,
    help="Markdown with Mermaid charts, a self-contained HTML page, or JSON.",
)
@click.option(
    "--output", "outputs", metavar="FORMAT=PATH", multiple=True, callback=_targets(LOOP_FORMATS),
    help="Also write FORMAT to PATH; repeatable.",
)  # fmt: skip
@click.option("--now", metavar="ISO8601", envvar=_ENV + "NOW", callback=_instant,
              help="Report as of this time. Default: the clock.")  # fmt: skip
@click.option(
    "--publish",
    is_flag=True,
    help="Also create or update one issue titled 'Learning loop report' with the Markdown "
    "report: on GitHub or GitLab, whichever the sources read (else the CI platform).",
)
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
    config = _load_config(config_path)
    try:
        period = parse_duration(since)
    except ValueError as error:
        raise InputError(str(error), field="--since") from None
    if not period:
        raise InputError(
            "a report needs a period longer than zero", field="--since", expected="e.g. 90d or 12w"
        )
    names = tuple(dict.fromkeys(services)) or tuple(config.services)
    if not names:
        raise InputError(
            "no service to report on", field="--service",
            expected="--service NAME, or [services.NAME] tables in the config",
        )  # fmt: skip
    settings = config.settings(None, source=source)
    context = SourceContext(
        env=ci.environment(), repository=repo, project=project, every_deployment=True
    )
    until = now or datetime.now(timezone.utc)
    config.check_waivers(until)
    loop = gate.learning_report(
        build_sources(settings.sources, config, context),
        names,
        settings.policy,
        now=until,
        period=period,
    )
    loop = with_overrides(
        loop, _overrides(config, context, settings.sources, until - period, until)
    )
    for output_format, path in outputs:
        write_file(path, LOOP_FORMATS[output_format](loop))
    click.echo(LOOP_FORMATS[format_name](loop), nl=False)
    if publish:
        url = _publish_report(config, context, settings.sources, loop_markdown.render(loop))
        _say(f"published the learning loop report: {url}")


def _overrides(
    config: config_module.Config,
    context: SourceContext,
    sources: Sequence[str],
    since: datetime,
    until: datetime,
) -> Counter[str]:
    """Overrides per service from the audit trail of each source that keeps one."""
    counts = []
    if "github" in sources:
        github = resolve_github(config, context)
        counts.append(count_github_overrides(
            github.api_url, github.postmortem_repository, github.token,
            in_actions=context.env.get("GITHUB_ACTIONS") == "true", since=since, until=until,
        ))  # fmt: skip
    if "gitlab" in sources:
        counts.append(count_gitlab_overrides(
            resolve_gitlab(config, context), since=since, until=until
        ))  # fmt: skip
    if "local" in sources:
        log = OverrideLog(overrides_path(local_settings(config).history))
        counts.append(log.count(since=since, until=until))
    return combined_overrides(counts)


def _platform(sources: Sequence[str], env: Mapping[str, str]) -> ci.Platform | None:
    """Where to write: the platform the sources read, else the CI it runs in, else nowhere."""
    for platform in ("github", "gitlab"):
        if platform in sources:
            return platform
    guess = ci.guess_platform(env, None)
    return guess.platform if guess else None


def _publish_platform(sources: Sequence[str], env: Mapping[str, str]) -> ci.Platform:
    """Where ``--publish`` goes (see :func:`_platform`); nowhere is a usage error."""
    platform = _platform(sources, env)
    if platform is None:
        raise InputError(
            "nowhere to publish: the sources are neither GitHub nor GitLab and this is not "
            "GitHub Actions or GitLab CI", field="--publish",
            expected="--source github or gitlab, or a run in GitHub Actions or GitLab CI",
        )  # fmt: skip
    return platform


def _publish_report(
    config: config_module.Config, context: SourceContext, sources: Sequence[str], markdown: str
) -> str:
    """Publish the report issue and return its URL; a missing token is a PublishError too."""
    platform = _publish_platform(sources, context.env)
    try:
        if platform == "gitlab":
            gitlab = resolve_gitlab(config, context)
            return publish_gitlab_issue(
                GitLabTarget(url=gitlab.url, project=gitlab.project, token=gitlab.token), markdown
            )
        github = resolve_github(config, context)
        target = GitHubTarget(
            api_url=github.api_url,
            repository=github.repository,
            token=github.token,
            in_actions=context.env.get("GITHUB_ACTIONS") == "true",
        )
        return publish_github_issue(target, markdown)
    except SourceError as error:
        raise PublishError(f"cannot publish the report: {error.problem}") from None


@cli.command()
@click.option("--service", required=True, envvar=_ENV + "SERVICE", show_envvar=True)
@click.option("--environment", required=True, envvar=_ENV + "ENVIRONMENT", show_envvar=True)
@click.option(
    "--status",
    required=True,
    type=click.Choice([s.value for s in DeploymentStatus]),
    help="How the deployment ended.",
)
@click.option("--sha", help="The commit that was deployed.")
@click.option("--url", help="Where the deployment can be seen, e.g. the CI job.")
@click.option("--description", help="A short human description.")
@click.option(
    "--time",
    "created_at",
    metavar="ISO8601",
    callback=_instant,
    help="When it happened. Default: now.",
)
@_config_option
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
        escape.terminal(
            f"recorded deployment {deployment.id} to {environment} ({status}) "
            f"in {local_settings(config).history}"
        )
    )


@cli.command()
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option(
    "--path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path(config_module.CONFIG_NAME),
    show_default=True,
    help="Where to write the starter config.",
)
def init(force: bool, path: Path) -> None:
    """Write a commented starter config, guessing GitHub or GitLab from the environment."""
    if path.exists() and not force:
        raise InputError(
            "already exists; not overwriting it", path=path, expected="--force to replace it"
        )
    guess = ci.guess_platform(ci.environment(), ci.git_remote(Path.cwd()))
    write_file(
        path,
        config_module.starter_config(
            guess.platform if guess else None,
            guess.evidence if guess else None,
            REGISTRY[guess.platform].starter if guess else "",
        ),
    )
    detected = f" (detected {guess.platform}: {guess.evidence})" if guess else ""
    click.echo(escape.terminal(f"wrote {path}{detected}"))


@cli.command("config")
@_config_option
@click.option(
    "--environment",
    envvar=_ENV + "ENVIRONMENT",
    show_envvar=True,
    help="Show the rule levels in force for this environment.",
)
@_source_option
@click.option("--repo", metavar="OWNER/NAME", envvar=_ENV + "REPO", help="As for check.")
@click.option("--project", metavar="PATH_OR_ID", envvar=_ENV + "PROJECT", help="As for check.")
@_strict_option
@_on_error_option
@click.option("--now", metavar="ISO8601", envvar=_ENV + "NOW", callback=_instant,
              help="Validate the waivers' expiry as of this time. Default: the clock.")  # fmt: skip
def explain_config(
    config_path: Path | None,
    environment: str | None,
    source: tuple[str, ...] | None,
    repo: str | None,
    project: str | None,
    strict: bool | None,
    on_error: str | None,
    now: datetime | None,
) -> None:
    """Explain which config file was found and what it means, and validate it.

    It reads the same options and DEPLOYGATE_* variables as check, so it
    shows the settings that check would use.
    """
    config = _load_config(config_path)
    config.check_waivers(now or datetime.now(timezone.utc))
    settings = config.settings(
        environment, source=source, strict=strict, on_error=_on_error(on_error)
    )
    context = SourceContext(env=ci.environment(), repository=repo, project=project)
    backends = check_sources(settings.sources, config, context)
    facts = [
        fact
        for name, backend in zip(settings.sources, backends, strict=True)
        for fact in REGISTRY[name].explain(backend)
    ]
    click.echo(config_module.explain(config, settings, environment, facts))


def main() -> None:
    """The console script's entry point."""
    cli(prog_name="deploygate")
