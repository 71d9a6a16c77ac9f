"""Find, load and validate ``deploygate.toml`` or ``[tool.deploygate]`` in ``pyproject.toml``.

Every mistake is a :class:`ConfigError` that names the file, the line and
the key, and suggests the closest valid key: a gate that ignores a typo in
its own policy would enforce something nobody wrote.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol, TypeVar

from deploygate import tables, toml
from deploygate.dates import format_duration
from deploygate.errors import ConfigError, Mode, OnError, decode_utf8, did_you_mean
from deploygate.model import MIN_WAIVER_PREFIX, SHORT_FINGERPRINT, Level, RuleId, Waiver
from deploygate.rules import DEFAULT_LEVELS, SPECS, Policy, PolicyOption
from deploygate.sanitize import terminal
from deploygate.tables import Locator, setting

DEFAULT_POLICY = Policy()
CONFIG_NAME = "deploygate.toml"
PYPROJECT_NAME = "pyproject.toml"
LEVEL_FORM = "one of 'off', 'notice', 'warning', 'error'"
TableT = TypeVar("TableT")

_CORE_KEYS = (
    "source",
    "lookback",
    "link-window",
    "strict",
    "on-error",
    "mode",
    "rules",
    "environments",
    "services",
    "waivers",
    "rollbacks",
    "lessons-headings",
)
"""The keys of the document that are not a backend's table."""
_WAIVER_KEYS = ("finding", "rule", "subject", "reason", "expires", "team")
_FINGERPRINT_PREFIX = re.compile(rf"[0-9a-fA-F]{{{MIN_WAIVER_PREFIX},32}}")
MAX_WAIVER_DAYS = 90
"""A waiver expires at most this many days after the check: accepted risks get revisited."""
_ENVIRONMENT_KEYS = ("rules",)
_RULE_NAMES = tuple(rule.value for rule in RuleId)
_LEVELS: Mapping[str, Level | None] = {"off": None} | {level.label: level for level in Level}
_INFORMATIONAL_LEVELS: Mapping[str, Level | None] = {"off": None, "notice": Level.NOTICE}


class BackendTable(Protocol):
    """What config needs to know of a backend: the table it owns, and what kind it is.

    The backends register themselves in :mod:`deploygate.sources`; config is
    handed them, so it reads every table without importing any backend.
    """

    @property
    def table(self) -> type[Any]:
        """The frozen dataclass of the backend's ``[NAME]`` table."""
        ...

    @property
    def holds_deployments(self) -> bool:
        """False for a tracker, which only adds action items to what the others found."""
        ...


@dataclass(frozen=True, slots=True)
class RuleOverride:
    """What one config table says about one rule: a level, options, or both."""

    level: Level | None = None
    level_set: bool = False
    """Whether ``level`` was written; ``None`` with this set means "off"."""
    options: Mapping[str, timedelta] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RollbackConfig:
    """The ``[rollbacks]`` table: whether a rolled-back deployment counts as failed."""

    detect: bool = setting(True, tables.boolean)
    window: timedelta = setting(timedelta(hours=24), tables.duration)
    """How soon an older version must follow a deployment for it to count as rolled back."""


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    """One ``[services.NAME]`` table."""

    environments: tuple[str, ...] = setting((), tables.texts)
    """Its deployment environments; empty means every environment."""
    workflow: str | None = setting(None, tables.text("a workflow file, e.g. deploy.yml"))
    """GitHub: the deploy workflow's file (``deploy.yml``) whose runs are this service's
    deployments, for teams that do not record GitHub deployments."""
    job: str | None = setting(None, tables.text("the deploy job's name"))
    """The deploying job's name: in that workflow (GitHub), or in the project's
    pipelines (GitLab), whose runs are then the deployments."""
    branch: str | None = setting(None, tables.text("a branch name"))
    """The branch deploys run from; default: the repository's default branch."""


@dataclass(frozen=True, slots=True)
class Config:
    """A validated configuration: the core's keys, and each backend's table as it read it."""

    path: Path | None
    """The file it came from; None when no file was found and defaults apply."""
    root: Path
    """The folder relative paths start from: the file's, else the working directory."""
    tables: Mapping[str, object]
    """The backend tables the file writes, by the backend's name; :meth:`table` gives the
    defaults of the others, so a run imports only the backends it uses."""
    source: tuple[str, ...] = ("local",)
    """The sources, in order: each contributes what it knows; a tracker (jira) adds
    action items to the postmortems the others found."""
    lookback: timedelta = DEFAULT_POLICY.lookback
    link_window: timedelta = DEFAULT_POLICY.link_window
    lessons_headings: tuple[str, ...] = DEFAULT_POLICY.lessons_headings
    strict: bool = False
    on_error: OnError = OnError.FAIL
    mode: Mode = Mode.ENFORCE
    """``mode = "advisory"``: every check exits 0 and says what it would do."""
    rules: Mapping[RuleId, RuleOverride] = field(default_factory=dict)
    environments: Mapping[str, Mapping[RuleId, RuleOverride]] = field(default_factory=dict)
    rollbacks: RollbackConfig = field(default_factory=RollbackConfig)
    services: Mapping[str, ServiceConfig] = field(default_factory=dict)
    """Each ``[services.NAME]`` table."""
    waivers: tuple[Waiver, ...] = ()
    """Each ``[[waivers]]`` entry, with its file and line, checked against the time of the
    check."""
    locator: Locator | None = field(default=None, compare=False, repr=False)
    """Finds the line of a key in the file, for the checks a backend makes after reading."""

    def table(self, name: str, kind: type[TableT]) -> TableT:
        """The table of backend ``name``, as the dataclass ``kind`` that backend declared."""
        table = self.tables.get(name)
        if table is None:
            return kind()
        if not isinstance(table, kind):
            raise TypeError(f"the [{name}] table is a {type(table).__name__}, not a {kind}")
        return table

    def error(
        self, table: tuple[str, ...], key: str, problem: str, expected: str | None = None
    ) -> ConfigError:
        """A ConfigError at ``key`` of ``table``: with its line when it came from a file."""
        if self.locator is not None:
            return self.locator.error(table, key, problem, expected)
        return ConfigError(
            problem, path=self.path, field=".".join((*table, key)), expected=expected
        )

    def check_waivers(self, now: datetime) -> None:
        """Every waiver expires at most 90 days after ``now``; a longer one is a config error."""
        latest = now.date() + timedelta(days=MAX_WAIVER_DAYS)
        for waiver in self.waivers:
            if waiver.expires > latest:
                raise ConfigError(
                    f"expires {waiver.expires.isoformat()}, more than {MAX_WAIVER_DAYS} days ahead",
                    path=self.path,
                    line=waiver.line,
                    field="waivers.expires",
                    expected=f"a date no later than {latest.isoformat()}",
                )

    def settings(
        self,
        environment: str | None,
        *,
        source: tuple[str, ...] | None = None,
        strict: bool | None = None,
        on_error: OnError | None = None,
        mode: Mode | None = None,
    ) -> Settings:
        """What one run uses: the command line or environment where given, else this file."""
        return Settings(
            sources=source or self.source,
            policy=self.policy(environment, strict=strict),
            on_error=on_error or self.on_error,
            mode=mode or self.mode,
        )

    def policy(self, environment: str | None, *, strict: bool | None = None) -> Policy:
        """The policy for one environment: defaults, then ``[rules]``, then its overrides."""
        levels = dict(DEFAULT_LEVELS)
        options: dict[PolicyOption, timedelta] = {}
        layers = [self.rules]
        if environment is not None and environment in self.environments:
            layers.append(self.environments[environment])
        for layer in layers:
            for rule, override in layer.items():
                if override.level_set:
                    levels[rule] = override.level
                for key, value in override.options.items():
                    options[SPECS[rule].options[key]] = value
        return Policy(
            waivers=self.waivers,
            levels=levels,
            lookback=self.lookback,
            link_window=self.link_window,
            lessons_headings=self.lessons_headings,
            grace=options.get("grace", DEFAULT_POLICY.grace),
            max_age=options.get("max_age", DEFAULT_POLICY.max_age),
            strict=self.strict if strict is None else strict,
            rollback_window=self.rollbacks.window if self.rollbacks.detect else None,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force for one run, after command line, environment and file."""

    sources: tuple[str, ...]
    policy: Policy
    on_error: OnError
    mode: Mode = Mode.ENFORCE

    @property
    def enforced(self) -> bool:
        """Whether the verdict decides the exit code (not advisory)."""
        return self.mode is Mode.ENFORCE


def sources_form(backends: Mapping[str, BackendTable]) -> str:
    """What the ``source`` key and ``--source`` accept, for messages."""
    return (
        "one of " + ", ".join(repr(name) for name in backends) + ", or a list of them such as "
        "['github', 'jira']"
    )


def parse_sources(names: Iterable[object], backends: Mapping[str, BackendTable]) -> tuple[str, ...]:
    """Validate a list of source names: known, each once, and at least one with deployments.

    Raises ValueError with the problem; callers add where it was written.
    """
    found: list[str] = []
    for name in names:
        if not isinstance(name, str) or name not in backends:
            hint = did_you_mean(name, tuple(backends)) if isinstance(name, str) else ""
            raise ValueError(f"unknown source {name!r}{hint}")
        if name in found:
            raise ValueError(f"source {name!r} is named twice")
        found.append(name)
    if not any(backends[name].holds_deployments for name in found):
        raise ValueError(
            f"{' and '.join(found)} holds no deployments; name a source of deployments too"
        )
    return tuple(found)


def default_config(root: Path) -> Config:
    """The configuration used when no file is found: the local source under ``root``."""
    return Config(
        path=None,
        root=root,
        tables={},
    )


def discover(start: Path) -> Path | None:
    """The nearest ``deploygate.toml``, or ``pyproject.toml`` with ``[tool.deploygate]``."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT_NAME
        if pyproject.is_file() and _has_tool_table(pyproject):
            return pyproject
    return None


def _has_tool_table(pyproject: Path) -> bool:
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return re.search(r"^\s*\[tool\.deploygate(\]|\.)", text, re.MULTILINE) is not None


def load(path: Path | None, cwd: Path, backends: Mapping[str, BackendTable]) -> Config:
    """Load ``path``, or the file found from ``cwd`` upwards, or the defaults."""
    if path is None:
        path = discover(cwd)
        if path is None:
            return default_config(cwd)
    elif not path.is_file():
        raise ConfigError("config file not found", path=path, expected="an existing TOML file")
    try:
        content = path.read_bytes()
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror}", path=path) from None
    return parse(decode_utf8(content, path), path.resolve(), backends)


def parse(text: str, path: Path, backends: Mapping[str, BackendTable]) -> Config:
    """Validate a config file's text; ``path`` names it in errors and anchors relative paths."""
    try:
        document = toml.parse(text)
    except toml.TomlError as error:
        raise ConfigError(f"not valid TOML: {error.message}", path=path, line=error.line) from None
    reader = _Reader(text, path, (), backends)
    if path.name == PYPROJECT_NAME:
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise reader.error((), "tool", "must be a table", "a [tool] table")
        document = tool.get("deploygate", {})
        if not isinstance(document, dict):
            raise _Reader(text, path, ("tool",), backends).error(
                (), "deploygate", "must be a table", "a [tool.deploygate] table"
            )
        reader = _Reader(text, path, ("tool", "deploygate"), backends)
    return reader.config(document)


class _Reader(Locator):
    """Validates one document: the core's keys here, each backend's table by its dataclass."""

    def __init__(
        self,
        text: str,
        path: Path,
        prefix: tuple[str, ...],
        backends: Mapping[str, BackendTable],
    ) -> None:
        super().__init__(text, path, prefix)
        self.backends = backends

    def config(self, document: Mapping[str, Any]) -> Config:
        top = self.checked(document, (), (*_CORE_KEYS, *self.backends))

        def read(key: str, kind: tables.Kind, default: Any) -> Any:
            return self.value((), key, kind, top[key]) if key in top else default

        return Config(
            path=self.path,
            root=self.path.parent,
            tables={
                name: self.table(top[name], (name,), self.backends[name].table)
                for name in self.backends
                if name in top
            },
            locator=self,
            source=self.sources(top.get("source", "local")),
            lookback=read("lookback", tables.duration, DEFAULT_POLICY.lookback),
            link_window=read("link-window", tables.duration, DEFAULT_POLICY.link_window),
            lessons_headings=read(
                "lessons-headings", tables.texts, DEFAULT_POLICY.lessons_headings
            ),
            strict=read("strict", tables.boolean, False),
            on_error=read(
                "on-error",
                tables.choice({choice.value: choice for choice in OnError}),
                OnError.FAIL,
            ),
            mode=read(
                "mode", tables.choice({choice.value: choice for choice in Mode}), Mode.ENFORCE
            ),
            rules=self.rules(top.get("rules", {}), ("rules",)),
            environments=self.environments(top.get("environments", {})),
            services=self.services(top.get("services", {})),
            waivers=self.waivers(top.get("waivers", [])),
            rollbacks=self.table(top.get("rollbacks", {}), ("rollbacks",), RollbackConfig),
        )

    def sources(self, value: Any) -> tuple[str, ...]:
        names = [value] if isinstance(value, str) else value
        form = sources_form(self.backends)
        if not isinstance(names, list) or not names:
            raise self.error((), "source", f"{value!r} is not a source or a list of sources", form)
        try:
            return parse_sources(names, self.backends)
        except ValueError as error:
            raise self.error((), "source", str(error), form) from None

    def services(self, document: Any) -> dict[str, ServiceConfig]:
        if not isinstance(document, dict):
            raise self.error((), "services", "must be a table", "[services.NAME] tables")
        return {
            name: self.table(table, ("services", name), ServiceConfig)
            for name, table in document.items()
        }

    def environments(self, document: Any) -> dict[str, Mapping[RuleId, RuleOverride]]:
        if not isinstance(document, dict):
            raise self.error((), "environments", "must be a table", "[environments.NAME.rules]")
        result: dict[str, Mapping[RuleId, RuleOverride]] = {}
        for name, table in document.items():
            checked = self.checked(table, ("environments", name), _ENVIRONMENT_KEYS)
            result[name] = self.rules(checked.get("rules", {}), ("environments", name, "rules"))
        return result

    def rules(self, document: Any, table: tuple[str, ...]) -> dict[RuleId, RuleOverride]:
        checked = self.checked(document, table, _RULE_NAMES)
        return {
            RuleId(name): self.rule(RuleId(name), value, table) for name, value in checked.items()
        }

    def level(self, table: tuple[str, ...], key: str, rule: RuleId, value: Any) -> Level | None:
        choices = _INFORMATIONAL_LEVELS if SPECS[rule].informational else _LEVELS
        level: Level | None = self.value(table, key, tables.choice(choices), value)
        return level

    def rule(self, rule: RuleId, value: Any, table: tuple[str, ...]) -> RuleOverride:
        if isinstance(value, str):
            return RuleOverride(level=self.level(table, rule.value, rule, value), level_set=True)
        options = SPECS[rule].options
        keys = ("level", *options)
        if not isinstance(value, dict):
            raise self.error(
                table,
                rule.value,
                f"{value!r} is not a level or a table",
                f"{LEVEL_FORM}, or a table with " + ", ".join(keys),
            )
        inner = (*table, rule.value)
        checked = self.checked(value, inner, keys)
        return RuleOverride(
            level=self.level(inner, "level", rule, checked["level"])
            if "level" in checked
            else None,
            level_set="level" in checked,
            options={
                key: self.value(inner, key, tables.duration, checked[key])
                for key in options
                if key in checked
            },
        )

    def waivers(self, document: Any) -> tuple[Waiver, ...]:
        if not isinstance(document, list):
            raise self.error((), "waivers", "must be an array of tables", "[[waivers]] entries")
        return tuple(
            self.waiver(entry, self.nth_line("waivers", index))
            for index, entry in enumerate(document)
        )

    def waiver(self, entry: Any, line: int | None) -> Waiver:
        where = ("waivers",)
        if not isinstance(entry, dict):
            raise ConfigError("must be a table", path=self.path, line=line, field="waivers")
        for key in entry:
            if key not in _WAIVER_KEYS:
                raise ConfigError(
                    f"unknown key{did_you_mean(key, _WAIVER_KEYS)}", path=self.path,
                    line=line, field=f"waivers.{key}", expected=", ".join(_WAIVER_KEYS),
                )  # fmt: skip
        missing = [key for key in ("reason", "expires", "team") if key not in entry]
        if missing:
            raise ConfigError(
                f"a waiver needs {', '.join(missing)}", path=self.path, line=line,
                field=f"waivers.{missing[0]}",
                expected="reason, expires (a date at most 90 days ahead) and team",
            )  # fmt: skip
        by_fingerprint = "finding" in entry
        if by_fingerprint == ("rule" in entry or "subject" in entry) or (
            not by_fingerprint and not ("rule" in entry and "subject" in entry)
        ):
            raise ConfigError(
                "name one finding", path=self.path, line=line, field="waivers",
                expected="finding = FINGERPRINT, or rule = RULE-ID with subject = ID",
            )  # fmt: skip
        expires = entry["expires"]
        if not isinstance(expires, date) or isinstance(expires, datetime):
            # TOML values, as the user wrote them: a datetime is '2026-12-01T10:00:00Z'.
            shown = expires.isoformat() if isinstance(expires, date) else repr(expires)
            raise ConfigError(
                f"{shown} is not a date (a waiver holds through whole days)",
                path=self.path, line=line,
                field="waivers.expires", expected="a TOML date such as 2027-01-31",
            )  # fmt: skip

        def text(key: str, expected: str) -> str:
            return str(self.value(where, key, tables.text(expected), entry[key]))

        rule = None
        if "rule" in entry:
            rule = self.value(
                where, "rule", tables.choice({r.value: r for r in RuleId}), entry["rule"]
            )
        return Waiver(
            reason=text("reason", "why the risk is accepted"),
            expires=expires,
            team=text("team", "the team that accepts the risk"),
            fingerprint=self.fingerprint(entry["finding"], line) if by_fingerprint else None,
            rule=rule,
            subject=None if by_fingerprint else text("subject", "a deployment or item id"),
            path=self.path,
            line=line,
        )

    def fingerprint(self, value: Any, line: int | None) -> str:
        """A fingerprint or a prefix of it, as the reports show it; lower-cased."""
        if not isinstance(value, str) or not _FINGERPRINT_PREFIX.fullmatch(value.strip()):
            raise ConfigError(
                f"{value!r} is not a fingerprint", path=self.path, line=line,
                field="waivers.finding",
                expected=f"{MIN_WAIVER_PREFIX} to 32 hex characters, e.g. the "
                f"{SHORT_FINGERPRINT} that the report shows after 'fingerprint'",
            )  # fmt: skip
        return value.strip().lower()


def explain(
    config: Config,
    settings: Settings,
    environment: str | None,
    backend_facts: Iterable[tuple[str, str]],
    now: datetime,
) -> str:
    """What the configuration means for one environment, as a person reads it.

    ``backend_facts`` are what each selected backend says of its own table;
    ``now`` is the day each waiver's days left are counted from.
    Every value is passed through :func:`terminal`, so a path or key holding a
    line break cannot print a line of its own.
    """
    policy = settings.policy
    facts = [
        ("config file", str(config.path) if config.path else "none found; using defaults"),
        ("sources", ", ".join(settings.sources)),
        ("lookback", format_duration(policy.lookback)),
        ("link window", format_duration(policy.link_window)),
        ("lessons under", ", ".join(policy.lessons_headings)),
        ("strict", "yes: warnings block" if policy.strict else "no: only errors block"),
        ("on error", settings.on_error.value),
        (
            "mode",
            "enforce: a block exits 1"
            if settings.enforced
            else "advisory: every verdict exits 0, shown as what it would do",
        ),
        ("environment", environment or "all (no --environment given)"),
        ("overrides for", ", ".join(sorted(config.environments)) or "no environment"),
        (
            "rollbacks",
            f"a deployment replaced by an older version within "
            f"{format_duration(policy.rollback_window)} counts as failed"
            if policy.rollback_window is not None
            else "not detected ([rollbacks] detect = false)",
        ),
    ]
    for name, service in sorted(config.services.items()):
        history = (
            f"runs of job {service.job}"
            + (f" in workflow {service.workflow}" if service.workflow else "")
            if service.job
            else f"runs of workflow {service.workflow}"
            if service.workflow
            else "deployment records"
        )
        branch = f" on {service.branch}" if service.branch else ""
        where = ", ".join(service.environments) or "every environment"
        facts.append((f"service {name}", f"{history}{branch}; {where}"))
    facts += backend_facts
    lines = [f"{name + ':':<15} {terminal(value)}" for name, value in facts]
    lines.append("rules:")
    for rule in RuleId:
        level = policy.levels[rule]
        option_text = "".join(
            f", {key} {format_duration(getattr(policy, name))}"
            for key, name in SPECS[rule].options.items()
        )
        state = level.label if level else "off"
        lines.append(f"  {rule.value:<22} {state:<8} {SPECS[rule].help}{option_text}")
    lines += _waiver_lines(config.waivers, now)
    lines.append("The configuration is valid.")
    return "\n".join(lines)


def _waiver_lines(waivers: Iterable[Waiver], now: datetime) -> list[str]:
    """One line per waiver: what it names, how many days it still holds, who, why, where."""
    lines = []
    for waiver in waivers:
        left = (waiver.expires - now.date()).days
        count = f"{abs(left)} day{'' if abs(left) == 1 else 's'}"
        days = (
            f"expired {count} ago"
            if left < 0
            else "today is its last day"
            if left == 0
            else f"{count} left"
        )
        lines.append(
            terminal(
                f"  {waiver.names} until {waiver.expires.isoformat()} ({days}), "
                f"team {waiver.team}: {waiver.reason} [{waiver.where}]"
            )
        )
    return [f"waivers:        {len(lines) or 'none'}", *lines]


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
"""A TOML key that needs no quotes."""


def starter_config(source: str, detected: str, tables_text: str, service: str) -> str:
    """A commented ``deploygate.toml`` reading ``source``, with one ``[services.NAME]`` table.

    ``detected`` says what ``init`` found, ``tables_text`` is the starter table of the
    source's backend, if it has one.
    """
    service_key = service if _BARE_KEY.fullmatch(service) else json.dumps(service)
    return f"""\
# deploygate configuration. Check it with: deploygate config
# {terminal(detected)}

# Where history comes from: "local" (Markdown postmortems and `deploygate record`),
# "github" (deployments, postmortem issues and their sub-issues) or "gitlab"; or a
# list that adds Jira action items, e.g. ["github", "jira"] (see the README).
source = "{source}"

# How far back failed deployments count, and how long after a failure a
# postmortem of the same service is taken to review it when it does not
# reference the deployment.
lookback = "{format_duration(DEFAULT_POLICY.lookback)}"
link-window = "{format_duration(DEFAULT_POLICY.link_window)}"

# The headings of a postmortem's lessons section, quoted in the lessons digest.
# lessons-headings = ["Lessons", "Lessons learned", "What we learned", "What we learnt"]

# Warnings block too when true; on-error = "warn" lets a deploy through
# (exit 0, loudly NOT VERIFIED) when a source cannot be read.
strict = false
on-error = "fail"

[local]
# Postmortems as Markdown files with TOML front matter, and the history that
# `deploygate record` appends to. Paths are relative to this file; these are
# the defaults. A postmortems folder or a history file named here must exist.
# postmortems = "postmortems"
# history = ".deploygate/deployments.jsonl"
{tables_text}
[rules]
# Levels: "off", "notice", "warning", "error". A table sets options too.
unreviewed-failure = {{ level = "warning", grace = "3d" }}
reviewed-failure = "notice"
open-action-item = "warning"
overdue-action-item = {{ level = "error", max-age = "30d" }}
declined-action-item = "notice"
# A check that saw nothing of the service or environment; "error" makes a strict gate.
no-evidence = "warning"

# Per-environment overrides, e.g. be gentler before staging:
# [environments.staging.rules]
# overdue-action-item = "warning"

# A deployment replaced by an older version within the window counts as failed.
# [rollbacks]
# detect = true
# window = "24h"

# The services deployed from here: `deploygate report` covers these, and
# `deploygate check --service` names one. `environments` lists a service's
# deployment environments (default: all); --environment picks one.
[services.{service_key}]
# environments = ["production"]
"""
