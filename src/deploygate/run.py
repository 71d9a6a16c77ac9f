"""Run a check or a report from settings, the environment and ``now``: no click, no printing.

The CLI parses options into a :class:`CheckRequest` or :class:`ReportRequest`
and hands it here with the loaded config; what comes back is the report, the
lines to say on stderr, and the exit code. So every decision of a run (which
platform to write to, when to record an override, what the exit code is)
can be tested without a terminal.

The platform clients, the runner's sinks and the learning loop are imported
in the functions that use them: a check on a laptop never writes to a
platform, and start-up is the first thing a user feels.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from deploygate import ci, gate
from deploygate import config as config_module
from deploygate.config import CONFIG_NAME, Config, Settings
from deploygate.errors import (
    DeploygateError,
    ExitCode,
    InputError,
    OnError,
    PublishError,
    SourceError,
)
from deploygate.formats import (
    FORMATS,
    LOOP_FORMATS,
    SHOWS_NOT_VERIFIED,
    RenderOptions,
)
from deploygate.formats.common import not_verified, plural
from deploygate.model import Query, Report, Verdict
from deploygate.redaction import redact_record
from deploygate.sinks.files import write_file
from deploygate.sources import REGISTRY, SourceContext, build_sources, check_sources, secrets
from deploygate.sources import local as local_backend
from deploygate.sources.local import AdvisoryLog, OverrideLog, advisory_path, overrides_path

if TYPE_CHECKING:
    from deploygate.loop import LoopReport
    from deploygate.platforms import Platform, PlatformName, Target

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Selection:
    """What every command chooses alike, from options and ``DEPLOYGATE_*`` variables: the
    environment, the sources and where they read, and the policy's switches. None: the
    config's."""

    environment: str | None = None
    sources: tuple[str, ...] | None = None
    repository: str | None = None
    project: str | None = None
    strict: bool | None = None
    on_error: OnError | None = None

    def settings(self, config: Config) -> Settings:
        """The settings in force: these choices over the config file's."""
        return config.settings(
            self.environment, source=self.sources, strict=self.strict, on_error=self.on_error
        )

    def context(self, env: Mapping[str, str], *, every_deployment: bool = False) -> SourceContext:
        """What the sources are handed beside their tables."""
        return SourceContext(
            env=env,
            repository=self.repository,
            project=self.project,
            every_deployment=every_deployment,
        )


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """What ``deploygate check`` was asked."""

    service: str
    selection: Selection = field(default_factory=Selection)
    outputs: Sequence[tuple[str, Path]] = ()
    override: str | None = None
    comment: bool = False
    advisory: bool = False
    """``--advisory``: exit 0 whatever the verdict, as ``mode = "advisory"`` does; without
    it, the config's mode holds."""
    sha: str | None = None
    """The commit being deployed (``--sha``, else the CI's), where known."""


@dataclass(frozen=True, slots=True)
class Output(Generic[T]):
    """One place a check's report goes: a format renders it, a sink puts it there."""

    render: Callable[[Report, RenderOptions], T]
    write: Callable[[T], None]


def outputs(files: Sequence[tuple[str, Path]], env: Mapping[str, str]) -> list[Output[Any]]:
    """Every output of a check, built here and nowhere else: each ``--output FORMAT=PATH``,
    then, inside GitHub Actions, the job summary and the step outputs where the runner
    asked for them."""
    built: list[Output[Any]] = [
        Output(FORMATS[name], partial(write_file, path, field="--output")) for name, path in files
    ]
    actions = ci.github_actions(env)
    if actions is None:
        return built
    from deploygate.sinks.github import append_summary, set_outputs

    if actions.step_summary is not None:
        built.append(Output(FORMATS["markdown"], partial(append_summary, actions.step_summary)))
    if actions.output is not None:
        built.append(Output(_step_outputs, partial(set_outputs, actions.output)))
    return built


def _step_outputs(report: Report, options: RenderOptions) -> Mapping[str, str]:
    from deploygate.formats.github import outputs

    return outputs(report)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What a check found and what the CLI should say and exit with."""

    report: Report
    options: RenderOptions
    notices: list[str] = field(default_factory=list)
    """Lines for stderr, said before the report: what the comment and notes did."""
    warning: str | None = None
    """The NOT VERIFIED line for stderr, said after the report, when a source failed."""
    exit_code: ExitCode = ExitCode.OK


def check(
    config: Config, request: CheckRequest, env: Mapping[str, str], now: datetime
) -> CheckOutcome:
    """Check one service: collect, judge, write the outputs, comment, and decide the exit."""
    config.check_waivers(now)
    settings = request.selection.settings(config)
    enforced = settings.enforced and not request.advisory
    query = Query(
        service=request.service,
        environment=request.selection.environment,
        now=now,
        lookback=settings.policy.lookback,
    )
    context = request.selection.context(env)
    opened = build_sources(settings.sources, config, context)
    report = gate.check(
        opened.backends,
        query,
        settings.policy,
        override=override_reason(request.override),
        configured_services=tuple(config.services),
        enforced=enforced,
        deploying=request.sha,
    )
    report = redact_record(report, secrets(config, env) + opened.secrets)
    options = RenderOptions(on_error=settings.on_error, config_path=_relative(config.path))
    for output in outputs(request.outputs, env):
        output.write(output.render(report, options))
    notices = []
    if report.verdict is Verdict.OVERRIDE and "local" in settings.sources:
        notices.append(_record_local_override(config, report, now, ci.run_url(env)))
    if not enforced and report.verdict is Verdict.BLOCK and "local" in settings.sources:
        notices.append(_record_would_have_blocked(config, report, now, ci.run_url(env)))
    if request.comment:
        from deploygate import platforms
        from deploygate.formats import override_note

        drafted = override_note.notes(report, run_url=ci.run_url(env))
        notices += _write_back(
            platforms.pick(settings.sources, env),
            lambda name: _target(name, config, context),
            env,
            FORMATS["markdown"](report, options),
            [(postmortem.id, body) for postmortem, body in drafted],
        )
    code = gate.exit_code(report, settings.on_error)
    warning = not_verified(report)
    if warning and not enforced:
        warning += " Exiting 0 because the gate is advisory."
    elif warning and code is ExitCode.OK:
        warning += " Exiting 0 because of --on-error warn."
    return CheckOutcome(report, options, notices, warning or None, code)


def closing_warning(outcome: CheckOutcome, stdout_format: str) -> str | None:
    """The NOT VERIFIED line for stderr after a report printed in ``stdout_format``.

    It names each failure in full only when the report on stdout does not (json, dotenv):
    after a text or github report, which already says "no GitHub token: ...", repeating it
    said every failure twice. What stays on stderr either way is NOT VERIFIED and why the
    exit code is what it is, for a stdout that is redirected or read by a machine.
    """
    if outcome.warning is None or stdout_format not in SHOWS_NOT_VERIFIED:
        return outcome.warning
    failed = ", ".join(repr(source.name) for source in outcome.report.failed_sources)
    line = f"NOT VERIFIED: {plural(len(outcome.report.failed_sources), 'source')} ({failed}) "
    line += "failed, as the report says. The gate could not decide."
    if outcome.exit_code is ExitCode.OK:
        why = "the gate is advisory" if not outcome.report.enforced else "of --on-error warn"
        line += f" Exiting 0 because {why}."
    return line


def explain(config: Config, selection: Selection, env: Mapping[str, str], now: datetime) -> str:
    """What ``deploygate config`` says: the settings ``check`` would use with the same
    options, after the same validation, every selected backend's table included."""
    config.check_waivers(now)
    settings = selection.settings(config)
    resolved = check_sources(settings.sources, config, selection.context(env))
    facts = [
        fact
        for name, backend in zip(settings.sources, resolved, strict=True)
        for fact in REGISTRY[name].explain(backend)
    ]
    return config_module.explain(config, settings, selection.environment, facts, now)


def override_reason(override: str | None) -> str | None:
    """The override's reason; an empty one is refused, since an override must say why."""
    if override is None:
        return None
    if not override.strip():
        raise InputError(
            "an override needs a reason", field="--override",
            expected='a reason, e.g. --override "hotfix for the checkout outage, on-call agreed"',
        )  # fmt: skip
    return override.strip()


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """What ``deploygate report`` was asked."""

    services: tuple[str, ...]
    period: timedelta
    selection: Selection = field(default_factory=Selection)
    outputs: Sequence[tuple[str, Path]] = ()


def report(
    config: Config, request: ReportRequest, env: Mapping[str, str], now: datetime
) -> LoopReport:
    """Report on the services' learning loop over the period before ``now``."""
    from deploygate.loop import with_overrides, with_would_have_blocked

    if not request.period:
        raise InputError(
            "a report needs a period longer than zero", field="--since", expected="e.g. 90d or 12w"
        )
    names = request.services or tuple(config.services)
    if not names:
        raise InputError(
            "no service to report on", field="--service",
            expected="--service NAME, or [services.NAME] tables in the config",
        )  # fmt: skip
    settings = request.selection.settings(config)
    context = request.selection.context(env, every_deployment=True)
    config.check_waivers(now)
    opened = build_sources(settings.sources, config, context)
    loop = gate.learning_report(
        opened.backends, names, settings.policy, now=now, period=request.period
    )
    loop = redact_record(loop, secrets(config, env) + opened.secrets)
    since = now - request.period
    loop = with_overrides(loop, _overrides(config, context, settings.sources, since, now))
    if "local" in settings.sources:
        log = AdvisoryLog(advisory_path(local_backend.settings(config).history))
        loop = with_would_have_blocked(loop, log.count(since=since, until=now))
    for output_format, path in request.outputs:
        write_file(path, LOOP_FORMATS[output_format](loop), field="--output")
    return loop


def publish(
    config: Config, request: ReportRequest, env: Mapping[str, str], loop: LoopReport
) -> str:
    """Create or update the report issue; what happened, in one line. ``report --publish``
    prints the report first, so a report that cannot be published is still seen."""
    sources = request.selection.settings(config).sources
    context = request.selection.context(env)
    url = _publish_report(config, context, sources, LOOP_FORMATS["markdown"](loop))
    return f"published the learning loop report: {url}"


def _target(name: PlatformName, config: Config, context: SourceContext) -> Target:
    """Where the platform ``name`` writes: the repository or project its source reads.

    A missing repository is an InputError (exit 2), a missing token a SourceError.
    """
    from deploygate.platforms import Target

    backend = REGISTRY[name]
    settings = backend.credentials(backend.settings(config, context), context.env)
    url, project, postmortem_project = settings.where
    return Target(url, project, postmortem_project, token=settings.token, env=context.env)


def _write_back(
    name: PlatformName | None,
    target: Callable[[PlatformName], Target],
    env: Mapping[str, str],
    markdown: str,
    drafted: Sequence[tuple[str, str]],
) -> list[str]:
    """The sticky PR comment or MR note, then the override notes; one line per outcome.

    Both are courtesies: whatever goes wrong, the verdict stands. The
    platform clients raise more than their documented errors (PyGithub
    asserts that a pagination link stays on its host), so this is the one
    place that catches everything, and says what happened.
    """
    from deploygate import platforms
    from deploygate.platforms import OverrideNote
    from deploygate.platforms.overrides import platform_issue

    notes = [OverrideNote(id, body) for id, body in drafted if platform_issue(id)]
    review = platforms.no_review(name, env)
    platform: Platform | None = None
    problem = "neither GitHub nor GitLab is a source or the CI"
    if name is not None and (review is None or notes):
        try:
            platform = platforms.connect(name, target(name))
        except (InputError, SourceError) as error:
            problem = str(error)
    lines = []
    if review is not None:
        lines.append(review)
    elif platform is None:
        lines.append(f"no {'note' if name == 'gitlab' else 'comment'} written: {problem}")
    else:
        try:
            lines.append(platform.comment(markdown))
        except Exception as error:
            lines.append(f"no comment written: {type(error).__name__} while commenting")
    if len(notes) < len(drafted):
        local = plural(len(drafted) - len(notes), "overridden postmortem")
        lines.append(f"{local} kept in local files: no platform to note the override on")
    if notes and platform is None:
        lines.append(f"no override notes written: {problem}")
    elif notes and platform is not None:
        try:
            lines += platform.note_overrides(notes)
        except Exception as error:
            lines.append(f"no override notes written: {type(error).__name__} while noting")
    return lines


def _record_local_override(
    config: Config, report: Report, at: datetime, run_url: str | None
) -> str:
    """Log the override beside the history; like the notes, a failure never changes the verdict."""
    log = OverrideLog(overrides_path(local_backend.settings(config).history))
    try:
        log.record(
            service=report.service, environment=report.environment, created_at=at,
            reason=report.override_reason or "", run_url=run_url,
        )  # fmt: skip
    except DeploygateError as error:
        return f"override not logged: {error}"
    return f"override logged in {_relative(log.path)}"


def _record_would_have_blocked(
    config: Config, report: Report, at: datetime, run_url: str | None
) -> str:
    """Log an advisory block beside the history, for ``report``'s would-have-blocked count;
    like the override log, a failure to write is said and changes nothing else."""
    log = AdvisoryLog(advisory_path(local_backend.settings(config).history))
    try:
        log.record(
            service=report.service, environment=report.environment, created_at=at,
            run_url=run_url,
        )  # fmt: skip
    except DeploygateError as error:
        return f"advisory block not logged: {error}"
    return f"would have blocked: logged in {_relative(log.path)}"


def _overrides(
    config: Config,
    context: SourceContext,
    sources: Sequence[str],
    since: datetime,
    until: datetime,
) -> Counter[str]:
    """Overrides per service from the audit trail of each source that keeps one."""
    from deploygate import platforms
    from deploygate.platforms.overrides import combined

    counts = []
    for name in platforms.PLATFORMS:
        if name in sources:
            platform = platforms.connect(name, _target(name, config, context))
            counts.append(platform.count_overrides(since, until))
    if "local" in sources:
        log = OverrideLog(overrides_path(local_backend.settings(config).history))
        counts.append(log.count(since=since, until=until))
    return combined(counts)


def _publish_report(
    config: Config, context: SourceContext, sources: Sequence[str], markdown: str
) -> str:
    """Publish the report issue and return its URL; a missing token is a PublishError too."""
    from deploygate import platforms

    name = platforms.pick(sources, context.env)
    if name is None:
        raise InputError(
            "nowhere to publish: the sources are neither GitHub nor GitLab and this is not "
            "GitHub Actions or GitLab CI", field="--publish",
            expected="--source github or gitlab, or a run in GitHub Actions or GitLab CI",
        )  # fmt: skip
    try:
        target = _target(name, config, context)
    except SourceError as error:
        raise PublishError(f"cannot publish the report: {error.problem}") from None
    return platforms.connect(name, target).publish_report(markdown)


def _relative(path: Path | None) -> str:
    """The config file as the repository sees it, for the Code Quality report's locations."""
    if path is None:
        return CONFIG_NAME
    try:
        return path.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name
