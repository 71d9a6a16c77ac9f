"""Find, load and validate ``deploygate.toml`` or ``[tool.deploygate]`` in ``pyproject.toml``.

Every mistake is a :class:`ConfigError` that names the file, the line and
the key, and suggests the closest valid key: a gate that ignores a typo in
its own policy would enforce something nobody wrote.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from deploygate import toml
from deploygate.dates import DURATION_FORM, format_duration, parse_duration
from deploygate.errors import ConfigError, OnError, decode_utf8, did_you_mean
from deploygate.model import Level, RuleId, Waiver
from deploygate.rules import (
    DEFAULT_LEVELS,
    INFORMATIONAL_RULES,
    RULE_HELP,
    RULE_OPTIONS,
    Policy,
    PolicyOption,
)
from deploygate.sanitize import terminal
from deploygate.sources import SOURCES
from deploygate.sources.local import LocalSettings

DEFAULT_POLICY = Policy()
CONFIG_NAME = "deploygate.toml"
PYPROJECT_NAME = "pyproject.toml"
DEFAULT_POSTMORTEMS = "postmortems"
DEFAULT_HISTORY = ".deploygate/deployments.jsonl"
LEVEL_FORM = "one of 'off', 'notice', 'warning', 'error'"

_TOP_KEYS = (
    "source",
    "lookback",
    "link-window",
    "strict",
    "on-error",
    "local",
    "rules",
    "environments",
    "github",
    "gitlab",
    "services",
    "waivers",
)
_LOCAL_KEYS = ("postmortems", "history")
_GITHUB_KEYS = (
    "repository",
    "postmortem-repository",
    "postmortem-labels",
    "service-label",
    "team-label",
    "cause-label",
    "token-env",
    "api-url",
    "graphql-url",
    "deadline",
)
_GITLAB_KEYS = (
    "url",
    "project",
    "postmortem-project",
    "postmortem-labels",
    "incidents",
    "service-label",
    "team-label",
    "cause-label",
    "declined-labels",
    "token-env",
    "deadline",
)
_SERVICE_KEYS = ("environments",)
_WAIVER_KEYS = ("finding", "rule", "subject", "reason", "expires", "team")
MAX_WAIVER_DAYS = 90
"""A waiver expires at most this many days after the check: accepted risks get revisited."""
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
REPOSITORY_FORM = "OWNER/NAME, e.g. acme/shop"
_ENVIRONMENT_KEYS = ("rules",)
_RULE_NAMES = tuple(rule.value for rule in RuleId)
_LEVELS: Mapping[str, Level | None] = {"off": None} | {level.label: level for level in Level}
_INFORMATIONAL_LEVELS: Mapping[str, Level | None] = {"off": None, "notice": Level.NOTICE}
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
# The first part of a plain, quoted or dotted key ("rules.open-action-item = ...").
_KEY = re.compile(r"""^\s*(?:"([^"]+)"|'([^']+)'|([A-Za-z0-9_-]+))\s*[=.]""")


@dataclass(frozen=True, slots=True)
class RuleOverride:
    """What one config table says about one rule: a level, options, or both."""

    level: Level | None = None
    level_set: bool = False
    """Whether ``level`` was written; ``None`` with this set means "off"."""
    options: Mapping[str, timedelta] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class GitHubConfig:
    """The ``[github]`` table. Unset values fall back to the Actions environment."""

    repository: str | None = None
    postmortem_repository: str | None = None
    postmortem_labels: tuple[str, ...] = ("postmortem",)
    service_label: str = "service:{service}"
    team_label: str = "team:{team}"
    cause_label: str = "cause:{cause}"
    token_env: str = "GITHUB_TOKEN"
    api_url: str | None = None
    graphql_url: str | None = None
    deadline: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class GitLabConfig:
    """The ``[gitlab]`` table. Unset values fall back to the GitLab CI variables."""

    url: str | None = None
    project: str | None = None
    postmortem_project: str | None = None
    postmortem_labels: tuple[str, ...] = ("postmortem",)
    incidents: bool = True
    service_label: str = "service::{service}"
    team_label: str = "team::{team}"
    cause_label: str = "cause::{cause}"
    declined_labels: tuple[str, ...] = ("wontfix", "won't do", "duplicate", "declined")
    token_env: str = "GITLAB_TOKEN"
    deadline: timedelta = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Config:
    """A validated configuration, with paths already resolved against its file."""

    path: Path | None
    """The file it came from; None when no file was found and defaults apply."""
    local: LocalSettings
    source: str = "local"
    lookback: timedelta = DEFAULT_POLICY.lookback
    link_window: timedelta = DEFAULT_POLICY.link_window
    strict: bool = False
    on_error: OnError = OnError.FAIL
    rules: Mapping[RuleId, RuleOverride] = field(default_factory=dict)
    environments: Mapping[str, Mapping[RuleId, RuleOverride]] = field(default_factory=dict)
    github: GitHubConfig = field(default_factory=GitHubConfig)
    gitlab: GitLabConfig = field(default_factory=GitLabConfig)
    services: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Each service's deployment environments, from ``[services.NAME] environments``."""
    waivers: tuple[tuple[Waiver, int | None], ...] = ()
    """Each ``[[waivers]]`` entry with its line, checked against the time of the check."""

    def check_waivers(self, now: datetime) -> None:
        """Every waiver expires at most 90 days after ``now``; a longer one is a config error."""
        latest = now.date() + timedelta(days=MAX_WAIVER_DAYS)
        for waiver, line in self.waivers:
            if waiver.expires > latest:
                raise ConfigError(
                    f"expires {waiver.expires.isoformat()}, more than {MAX_WAIVER_DAYS} days ahead",
                    path=self.path,
                    line=line,
                    field="waivers.expires",
                    expected=f"a date no later than {latest.isoformat()}",
                )

    def settings(
        self,
        environment: str | None,
        *,
        source: str | None = None,
        strict: bool | None = None,
        on_error: OnError | None = None,
    ) -> Settings:
        """What one run uses: the command line or environment where given, else this file."""
        return Settings(
            source=source or self.source,
            policy=self.policy(environment, strict=strict),
            on_error=on_error or self.on_error,
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
                    options[RULE_OPTIONS[rule][key]] = value
        return Policy(
            waivers=tuple(waiver for waiver, _ in self.waivers),
            levels=levels,
            lookback=self.lookback,
            link_window=self.link_window,
            grace=options.get("grace", DEFAULT_POLICY.grace),
            max_age=options.get("max_age", DEFAULT_POLICY.max_age),
            strict=self.strict if strict is None else strict,
        )


@dataclass(frozen=True, slots=True)
class Settings:
    """The settings in force for one run, after command line, environment and file."""

    source: str
    policy: Policy
    on_error: OnError


def default_config(root: Path) -> Config:
    """The configuration used when no file is found: local source under ``root``."""
    return Config(path=None, local=_local_settings({}, root, None))


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


def load(path: Path | None, cwd: Path) -> Config:
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
    return parse(decode_utf8(content, path), path.resolve())


def parse(text: str, path: Path) -> Config:
    """Validate a config file's text; ``path`` names it in errors and anchors relative paths."""
    try:
        document = toml.parse(text)
    except toml.TomlError as error:
        raise ConfigError(f"not valid TOML: {error.message}", path=path, line=error.line) from None
    reader = _Reader(text, path, ())
    if path.name == PYPROJECT_NAME:
        tool = document.get("tool", {})
        if not isinstance(tool, dict):
            raise reader.error((), "tool", "must be a table", "a [tool] table")
        document = tool.get("deploygate", {})
        if not isinstance(document, dict):
            raise _Reader(text, path, ("tool",)).error(
                (), "deploygate", "must be a table", "a [tool.deploygate] table"
            )
        reader = _Reader(text, path, ("tool", "deploygate"))
    return reader.config(document)


def _local_settings(table: Mapping[str, Any], root: Path, reader: _Reader | None) -> LocalSettings:
    paths = {}
    for key, default in (("postmortems", DEFAULT_POSTMORTEMS), ("history", DEFAULT_HISTORY)):
        value = table.get(key, default)
        if reader is not None and (not isinstance(value, str) or not value.strip()):
            raise reader.error(
                ("local",),
                key,
                f"{value!r} is not a path",
                "a path relative to the config file, as a string",
            )
        resolved = root / value
        if key == "postmortems" and key in table and not resolved.is_dir() and reader is not None:
            raise reader.error(
                ("local",),
                key,
                f"folder {resolved} does not exist",
                "a folder of postmortem Markdown files, relative to the config",
            )
        paths[key] = resolved
    return LocalSettings(postmortems=paths["postmortems"], history=paths["history"], root=root)


class _Reader:
    """Validates one document; knows the text so that errors can name the line."""

    def __init__(self, text: str, path: Path, prefix: tuple[str, ...]) -> None:
        self.lines = toml.lines(text)
        self.path = path
        self.prefix = prefix

    def line_of(self, table: tuple[str, ...], key: str) -> int | None:
        """The line where ``key`` is set inside ``table``, or where that table starts.

        A key inside an inline table or a dotted key has no line of its own:
        then the line of the enclosing key is the one to edit.
        """
        wanted = (*self.prefix, *table)
        current: tuple[str, ...] = ()
        table_line = None
        for number, line in enumerate(self.lines, start=1):
            header = _HEADER.match(line)
            if header:
                current = tuple(part.strip().strip("\"'") for part in header.group(1).split("."))
                if current == (*wanted, key):
                    return number
                if current == wanted:
                    table_line = number
                continue
            found = _KEY.match(line)
            if found and current == wanted and key in found.groups():
                return number
        if table_line is None and table:
            return self.line_of(table[:-1], table[-1])
        return table_line

    def error(
        self, table: tuple[str, ...], key: str, problem: str, expected: str | None = None
    ) -> ConfigError:
        return ConfigError(
            problem,
            path=self.path,
            line=self.line_of(table, key),
            field=".".join((*self.prefix, *table, key)),
            expected=expected,
        )

    def table(self, document: Any, table: tuple[str, ...], keys: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(document, dict):
            raise self.error(table[:-1], table[-1], "must be a table", "a [table]")
        for key in document:
            if key not in keys:
                hint = did_you_mean(key, keys)
                raise self.error(table, key, f"unknown key{hint}", "one of " + ", ".join(keys))
        return document

    def duration(self, table: tuple[str, ...], key: str, value: Any) -> timedelta:
        if not isinstance(value, str):
            raise self.error(table, key, f"{value!r} is not a duration", DURATION_FORM)
        try:
            return parse_duration(value)
        except ValueError as error:
            raise self.error(table, key, str(error)) from None

    def choice(
        self, table: tuple[str, ...], key: str, value: Any, choices: Mapping[str, Any]
    ) -> Any:
        if isinstance(value, str) and value in choices:
            return choices[value]
        raise self.error(
            table,
            key,
            f"unknown value {value!r}",
            "one of " + ", ".join(repr(choice) for choice in choices),
        )

    def config(self, document: Mapping[str, Any]) -> Config:
        top = self.table(document, (), _TOP_KEYS)
        strict = top.get("strict", False)
        if not isinstance(strict, bool):
            raise self.error((), "strict", f"{strict!r} is not a boolean", "true or false")
        root = self.path.parent
        return Config(
            path=self.path,
            local=_local_settings(
                self.table(top.get("local", {}), ("local",), _LOCAL_KEYS), root, self
            ),
            source=self.choice(
                (), "source", top.get("source", "local"), {name: name for name in SOURCES}
            ),
            lookback=self.duration((), "lookback", top["lookback"])
            if "lookback" in top
            else DEFAULT_POLICY.lookback,
            link_window=self.duration((), "link-window", top["link-window"])
            if "link-window" in top
            else DEFAULT_POLICY.link_window,
            strict=strict,
            on_error=self.choice(
                (),
                "on-error",
                top.get("on-error", "fail"),
                {choice.value: choice for choice in OnError},
            ),
            rules=self.rules(top.get("rules", {}), ("rules",)),
            environments=self.environments(top.get("environments", {})),
            github=self.github(top.get("github", {})),
            gitlab=self.gitlab(top.get("gitlab", {})),
            services=self.services(top.get("services", {})),
            waivers=self.waivers(top.get("waivers", [])),
        )

    def waivers(self, document: Any) -> tuple[tuple[Waiver, int | None], ...]:
        if not isinstance(document, list):
            raise self.error((), "waivers", "must be an array of tables", "[[waivers]] entries")
        found = []
        for index, entry in enumerate(document):
            line = self.nth_line("waivers", index)
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
                raise ConfigError(
                    f"{expires!r} is not a date", path=self.path, line=line,
                    field="waivers.expires", expected="a TOML date such as 2027-01-31",
                )  # fmt: skip
            rule = None
            if "rule" in entry:
                rule = self.choice(where, "rule", entry["rule"], {r.value: r for r in RuleId})
            waiver = Waiver(
                reason=self.text(where, "reason", entry["reason"], "why the risk is accepted"),
                expires=expires,
                team=self.text(where, "team", entry["team"], "the team that accepts the risk"),
                fingerprint=self.text(where, "finding", entry["finding"], "a fingerprint")
                if by_fingerprint
                else None,
                rule=rule,
                subject=None
                if by_fingerprint
                else self.text(where, "subject", entry["subject"], "a deployment or item id"),
            )
            found.append((waiver, line))
        return tuple(found)

    def nth_line(self, array: str, index: int) -> int | None:
        """The line of the ``index``-th ``[[array]]`` header."""
        headers = [
            number
            for number, line in enumerate(self.lines, start=1)
            if re.match(rf"^\s*\[\[\s*{re.escape('.'.join((*self.prefix, array)))}\s*\]\]", line)
        ]
        return headers[index] if index < len(headers) else None

    def text(self, table: tuple[str, ...], key: str, value: Any, expected: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(table, key, f"{value!r} is not a non-empty string", expected)
        return value.strip()

    def texts(self, table: tuple[str, ...], key: str, value: Any) -> tuple[str, ...]:
        if not isinstance(value, list) or not value:
            raise self.error(
                table, key, f"{value!r} is not a list", 'a list of strings, e.g. ["a"]'
            )
        return tuple(self.text(table, key, item, "a list of strings") for item in value)

    def repository(self, table: tuple[str, ...], key: str, value: Any) -> str:
        text = self.text(table, key, value, REPOSITORY_FORM)
        if not _REPOSITORY.match(text):
            raise self.error(table, key, f"{text!r} is not a repository", REPOSITORY_FORM)
        return text

    def template(self, table: tuple[str, ...], key: str, value: Any, name: str) -> str:
        text = self.text(table, key, value, f"a label with {{{name}}}, e.g. 'team:{{{name}}}'")
        if text.count(f"{{{name}}}") != 1 or not text.endswith(f"{{{name}}}"):
            raise self.error(
                table, key, f"{text!r} must end with {{{name}}}", f"e.g. '{name}:{{{name}}}'"
            )
        return text

    def github(self, document: Any) -> GitHubConfig:
        where = ("github",)
        table = self.table(document, where, _GITHUB_KEYS)
        defaults = GitHubConfig()
        return GitHubConfig(
            repository=self.repository(where, "repository", table["repository"])
            if "repository" in table
            else None,
            postmortem_repository=self.repository(
                where, "postmortem-repository", table["postmortem-repository"]
            )
            if "postmortem-repository" in table
            else None,
            postmortem_labels=self.texts(where, "postmortem-labels", table["postmortem-labels"])
            if "postmortem-labels" in table
            else defaults.postmortem_labels,
            service_label=self.template(where, "service-label", table["service-label"], "service")
            if "service-label" in table
            else defaults.service_label,
            team_label=self.template(where, "team-label", table["team-label"], "team")
            if "team-label" in table
            else defaults.team_label,
            cause_label=self.template(where, "cause-label", table["cause-label"], "cause")
            if "cause-label" in table
            else defaults.cause_label,
            token_env=self.text(where, "token-env", table["token-env"], "a variable name")
            if "token-env" in table
            else defaults.token_env,
            api_url=self.text(where, "api-url", table["api-url"], "a URL")
            if "api-url" in table
            else None,
            graphql_url=self.text(where, "graphql-url", table["graphql-url"], "a URL")
            if "graphql-url" in table
            else None,
            deadline=self.duration(where, "deadline", table["deadline"])
            if "deadline" in table
            else defaults.deadline,
        )

    def gitlab(self, document: Any) -> GitLabConfig:
        where = ("gitlab",)
        table = self.table(document, where, _GITLAB_KEYS)
        defaults = GitLabConfig()

        def text(key: str, expected: str) -> str | None:
            return self.text(where, key, table[key], expected) if key in table else None

        incidents = table.get("incidents", defaults.incidents)
        if not isinstance(incidents, bool):
            raise self.error(where, "incidents", f"{incidents!r} is not a boolean", "true or false")
        return GitLabConfig(
            url=text("url", "the server URL, e.g. https://gitlab.example.com"),
            project=text("project", "GROUP/NAME or a numeric id"),
            postmortem_project=text("postmortem-project", "GROUP/NAME or a numeric id"),
            postmortem_labels=self.texts(where, "postmortem-labels", table["postmortem-labels"])
            if "postmortem-labels" in table
            else defaults.postmortem_labels,
            incidents=incidents,
            service_label=self.template(where, "service-label", table["service-label"], "service")
            if "service-label" in table
            else defaults.service_label,
            team_label=self.template(where, "team-label", table["team-label"], "team")
            if "team-label" in table
            else defaults.team_label,
            cause_label=self.template(where, "cause-label", table["cause-label"], "cause")
            if "cause-label" in table
            else defaults.cause_label,
            declined_labels=tuple(
                label.lower()
                for label in self.texts(where, "declined-labels", table["declined-labels"])
            )
            if "declined-labels" in table
            else defaults.declined_labels,
            token_env=text("token-env", "a variable name") or defaults.token_env,
            deadline=self.duration(where, "deadline", table["deadline"])
            if "deadline" in table
            else defaults.deadline,
        )

    def services(self, document: Any) -> dict[str, tuple[str, ...]]:
        if not isinstance(document, dict):
            raise self.error((), "services", "must be a table", "[services.NAME] tables")
        services = {}
        for name, table in document.items():
            checked = self.table(table, ("services", name), _SERVICE_KEYS)
            services[name] = (
                self.texts(("services", name), "environments", checked["environments"])
                if "environments" in checked
                else ()
            )
        return services

    def environments(self, document: Any) -> dict[str, Mapping[RuleId, RuleOverride]]:
        if not isinstance(document, dict):
            raise self.error((), "environments", "must be a table", "[environments.NAME.rules]")
        result: dict[str, Mapping[RuleId, RuleOverride]] = {}
        for name, table in document.items():
            checked = self.table(table, ("environments", name), _ENVIRONMENT_KEYS)
            result[name] = self.rules(checked.get("rules", {}), ("environments", name, "rules"))
        return result

    def rules(self, document: Any, table: tuple[str, ...]) -> dict[RuleId, RuleOverride]:
        checked = self.table(document, table, _RULE_NAMES)
        return {
            RuleId(name): self.rule(RuleId(name), value, table) for name, value in checked.items()
        }

    def level(self, table: tuple[str, ...], key: str, rule: RuleId, value: Any) -> Level | None:
        choices = _INFORMATIONAL_LEVELS if rule in INFORMATIONAL_RULES else _LEVELS
        level: Level | None = self.choice(table, key, value, choices)
        return level

    def rule(self, rule: RuleId, value: Any, table: tuple[str, ...]) -> RuleOverride:
        if isinstance(value, str):
            return RuleOverride(level=self.level(table, rule.value, rule, value), level_set=True)
        options = RULE_OPTIONS.get(rule, {})
        keys = ("level", *options)
        if not isinstance(value, dict):
            raise self.error(
                table,
                rule.value,
                f"{value!r} is not a level or a table",
                f"{LEVEL_FORM}, or a table with " + ", ".join(keys),
            )
        inner = (*table, rule.value)
        checked = self.table(value, inner, keys)
        return RuleOverride(
            level=self.level(inner, "level", rule, checked["level"])
            if "level" in checked
            else None,
            level_set="level" in checked,
            options={
                key: self.duration(inner, key, checked[key]) for key in options if key in checked
            },
        )


def explain(config: Config, settings: Settings, environment: str | None) -> str:
    """What the configuration means for one environment, as a person reads it.

    Every value is passed through :func:`terminal`, so a path or key holding a
    line break cannot print a line of its own.
    """
    policy = settings.policy
    facts = [
        ("config file", str(config.path) if config.path else "none found; using defaults"),
        ("source", settings.source),
        ("postmortems", str(config.local.postmortems)),
        ("history", str(config.local.history)),
        ("lookback", format_duration(policy.lookback)),
        ("link window", format_duration(policy.link_window)),
        ("strict", "yes: warnings block" if policy.strict else "no: only errors block"),
        ("on error", settings.on_error.value),
        ("environment", environment or "all (no --environment given)"),
        ("overrides for", ", ".join(sorted(config.environments)) or "no environment"),
    ]
    if settings.source == "github":
        github = config.github
        facts += [
            ("repository", github.repository or "--repo, or GITHUB_REPOSITORY"),
            ("postmortems in", github.postmortem_repository or "the same repository"),
            (
                "labels",
                f"{', '.join(github.postmortem_labels)}; {github.service_label}; "
                f"{github.team_label}",
            ),
            ("token from", f"{github.token_env} (or gh auth token outside CI)"),
        ]
    lines = [f"{name + ':':<16}{terminal(value)}" for name, value in facts]
    lines.append("rules:")
    for rule in RuleId:
        level = policy.levels[rule]
        option_text = "".join(
            f", {key} {format_duration(getattr(policy, name))}"
            for key, name in RULE_OPTIONS.get(rule, {}).items()
        )
        state = level.label if level else "off"
        lines.append(f"  {rule.value:<22} {state:<8} {RULE_HELP[rule]}{option_text}")
    lines.append("The configuration is valid.")
    return "\n".join(lines)


_GITHUB_STARTER = """
[github]
# Read by default from GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_GRAPHQL_URL
# inside Actions; the token comes from GITHUB_TOKEN (or `gh auth token`).
# repository = "OWNER/NAME"
# postmortem-repository = "OWNER/incidents"   # where postmortem issues live
postmortem-labels = ["postmortem"]
service-label = "service:{service}"          # a postmortem without one is for every service
team-label = "team:{team}"                   # the team that owns an action item
deadline = "60s"

# Each service's deployment environments; --environment picks one.
# [services.checkout]
# environments = ["production"]
"""


def starter_config(platform: str | None, evidence: str | None) -> str:
    """A commented ``deploygate.toml``: GitHub's source when GitHub was detected, else local."""
    source = "github" if platform == "github" else "local"
    detected = (
        f"# Detected {platform} ({terminal(evidence or '')}).\n"
        if platform
        else "# No GitHub or GitLab detected.\n"
    )
    return f"""\
# deploygate configuration. Check it with: deploygate config
{detected}
# Where history comes from: "local" (Markdown postmortems and `deploygate record`)
# or "github" (deployments, postmortem issues and their sub-issues).
source = "{source}"

# How far back failed deployments count, and how long after a failure a
# postmortem of the same service is taken to review it when it does not
# reference the deployment.
lookback = "{format_duration(DEFAULT_POLICY.lookback)}"
link-window = "{format_duration(DEFAULT_POLICY.link_window)}"

# Warnings block too when true; on-error = "warn" lets a deploy through
# (exit 0, loudly NOT VERIFIED) when a source cannot be read.
strict = false
on-error = "fail"

[local]
# Postmortems as Markdown files with TOML front matter, and the history that
# `deploygate record` appends to. Paths are relative to this file; these are
# the defaults. A postmortems folder named here must exist.
# postmortems = "{DEFAULT_POSTMORTEMS}"
# history = "{DEFAULT_HISTORY}"
{_GITHUB_STARTER if source == "github" else ""}
[rules]
# Levels: "off", "notice", "warning", "error". A table sets options too.
unreviewed-failure = {{ level = "warning", grace = "3d" }}
reviewed-failure = "notice"
open-action-item = "warning"
overdue-action-item = {{ level = "error", max-age = "30d" }}
declined-action-item = "notice"

# Per-environment overrides, e.g. be gentler before staging:
# [environments.staging.rules]
# overdue-action-item = "warning"
"""
